//! The reader index: for every user a list reaches through a relation, one entry per item and
//! relation, sorted by the item's date, so a seller's, producer's or talent's campaign list and a
//! talent's episode list are one Query of a page, whatever the size of the organization.
//!
//! Who an entry is for ([`Relation`]): a campaign's team members, its client's assigned sellers
//! and its targeted shows' producers; an episode's talent and the talent of its show.
//!
//! Keys and access patterns:
//! - a reader's campaigns by start date: `ORG#<o>#READER#<u>#CAMPAIGNS` /
//!   `START#<startDate|0000-00-00>#<c>#<relation>`; a reader's episodes by air date:
//!   `ORG#<o>#READER#<u>#EPISODES` / `AIR#<airDate|9999-12-31>#<e>#<relation>` (Query, a range of
//!   dates, either order). An item reached through several relations has one entry per relation,
//!   side by side, and a page names it once ([`distinct_items`], [`after_item`]);
//! - an item's entries (to move them when its date or relations change, and to remove them with
//!   it): GSI2 `ORG#<o>#CAMPAIGN#<c>#READERS` or `ORG#<o>#EPISODE#<e>#READERS` / `<u>#<relation>`.
//!
//! The entries are derived data: written with the changes they follow (a team change, a campaign's
//! or episode's own change in the same transaction; a client's or show's assignments after it, in
//! batches), never backed up (a restore puts back those its items call for), and never trusted
//! alone: a list judges each item it reads by the policy, and only an entry filed under the item's
//! current date places it, so an entry a race or a restore left behind shows nothing.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::campaign::Campaign;
use crate::episode::Episode;
use crate::keys::{Key, org_pk};
use crate::{CampaignId, EpisodeId, OrgId, ShowId, UserId};

/// The `entityType` of an entry (not an entity: never rendered, audited or backed up).
pub const READER_ENTRY: &str = "readerEntry";

/// What a reader list holds: campaigns or episodes, each placed by one date.
pub trait Listed: Copy + Ord + fmt::Display + Serialize + DeserializeOwned {
    /// The list's name in keys.
    const LIST: &'static str;
    /// The item's name in keys.
    const ITEM: &'static str;
    /// The sort key prefix of an item dated `date` (its list index's).
    fn date_sk(date: Option<NaiveDate>) -> String;
}

impl Listed for CampaignId {
    const LIST: &'static str = "CAMPAIGNS";
    const ITEM: &'static str = "CAMPAIGN";
    fn date_sk(date: Option<NaiveDate>) -> String {
        Campaign::start_sk(date)
    }
}

impl Listed for EpisodeId {
    const LIST: &'static str = "EPISODES";
    const ITEM: &'static str = "EPISODE";
    fn date_sk(date: Option<NaiveDate>) -> String {
        Episode::air_sk(date)
    }
}

/// The relation through which a user reads an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "relation", content = "showId")]
pub enum Relation {
    /// A member of the campaign's team.
    Team,
    /// A seller assigned to the campaign's client.
    Client,
    /// A producer of this show, which the campaign targets.
    Show(ShowId),
    /// Talent on the episode.
    Cast,
    /// Talent of the episode's show.
    Host,
}

impl Relation {
    /// The relation's part of an entry's keys.
    fn tag(&self) -> String {
        match self {
            Relation::Team => "TEAM".into(),
            Relation::Client => "CLIENT".into(),
            Relation::Show(s) => format!("SHOW#{s}"),
            Relation::Cast => "CAST".into(),
            Relation::Host => "HOST".into(),
        }
    }
}

/// One entry of the reader index: `user` reads `item` (dated `date`) through `relation`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReaderEntry<I> {
    /// The organization.
    pub org_id: OrgId,
    /// The reader.
    pub user_id: UserId,
    /// The campaign or episode.
    pub item: I,
    /// Its date (a campaign's start, an episode's air date): the entry's place in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Why the user reads it.
    #[serde(flatten)]
    pub relation: Relation,
}

impl<I: Listed> ReaderEntry<I> {
    /// The partition of a reader's entries of this kind.
    pub fn reader_pk(org: &OrgId, user: &UserId) -> String {
        org_pk(org, format!("READER#{user}#{}", I::LIST))
    }

    /// The sort key of an item in reader lists, without the relation: entries of one item share it.
    pub fn item_sk(date: Option<NaiveDate>, item: &I) -> String {
        format!("{}#{item}", I::date_sk(date))
    }

    /// The entry's key.
    pub fn key(&self) -> Key {
        Key::new(
            Self::reader_pk(&self.org_id, &self.user_id),
            format!("{}#{}", Self::item_sk(self.date, &self.item), self.relation.tag()),
        )
    }

    /// The GSI2 partition of an item's entries.
    pub fn by_item_pk(org: &OrgId, item: &I) -> String {
        org_pk(org, format!("{}#{item}#READERS", I::ITEM))
    }

    /// The entry's key in its item's partition (GSI2).
    pub fn by_item_key(&self) -> Key {
        Key::new(Self::by_item_pk(&self.org_id, &self.item), format!("{}#{}", self.user_id, self.relation.tag()))
    }
}

/// Where a reader's list goes on after a page whose last entry has sort key `last_sk`: past every
/// other entry of that entry's item (its other relations), so the next page does not name the item
/// again. Relations sort after `#` and before `~`.
pub fn after_item(last_sk: &str, descending: bool) -> String {
    // Entry sort keys are `<DATE>#<date>#<item>#<relation>`; the item part ends at the third `#`.
    let item_part = last_sk.match_indices('#').nth(2).map_or(last_sk, |(at, _)| &last_sk[..at]);
    match descending {
        false => format!("{item_part}#~"),
        true => format!("{item_part}#"),
    }
}

/// The items a page of entries names, each once, in the page's order.
pub fn distinct_items<I: Listed>(entries: &[ReaderEntry<I>]) -> Vec<I> {
    let mut seen = BTreeSet::new();
    entries.iter().filter(|e| seen.insert(e.item)).map(|e| e.item).collect()
}

/// Whether a page of entries places `item` at `date`: only an entry filed under the item's current
/// date does (one a restore left under an older date does not).
pub fn placed_at<I: Listed>(entries: &[ReaderEntry<I>], item: &I, date: Option<NaiveDate>) -> bool {
    entries.iter().any(|e| e.item == *item && e.date == date)
}

/// Every entry a campaign should have: one per team member, one per seller of its client, one
/// per producer of each targeted show (`show_producers`: each show with its producers; shows it
/// does not target are left out).
pub fn campaign_entries(
    c: &Campaign,
    team: &[UserId],
    client_sellers: &[UserId],
    show_producers: &[(ShowId, Vec<UserId>)],
) -> BTreeSet<ReaderEntry<CampaignId>> {
    let entry = |user: UserId, relation| ReaderEntry {
        org_id: c.org_id,
        user_id: user,
        item: c.id,
        date: c.start_date,
        relation,
    };
    let mut out: BTreeSet<_> = team.iter().map(|u| entry(*u, Relation::Team)).collect();
    if c.client_id.is_some() {
        out.extend(client_sellers.iter().map(|u| entry(*u, Relation::Client)));
    }
    for (show, producers) in show_producers.iter().filter(|(s, _)| c.targeting.show_ids.contains(s)) {
        out.extend(producers.iter().map(|u| entry(*u, Relation::Show(*show))));
    }
    out
}

/// Every entry an episode should have: one per talent on it, one per talent of its show
/// (`show_talent`).
pub fn episode_entries(e: &Episode, show_talent: &[UserId]) -> BTreeSet<ReaderEntry<EpisodeId>> {
    let entry = |user: UserId, relation| ReaderEntry {
        org_id: e.org_id,
        user_id: user,
        item: e.id,
        date: e.air_date,
        relation,
    };
    let mut out: BTreeSet<_> = e.talent_ids.iter().map(|u| entry(*u, Relation::Cast)).collect();
    out.extend(show_talent.iter().map(|u| entry(*u, Relation::Host)));
    out
}

/// What moves an item's entries from `current` to `wanted`: the entries to put and the keys to
/// delete (a changed date moves every entry: its key changes).
pub fn changes<I: Listed>(
    current: &BTreeSet<ReaderEntry<I>>,
    wanted: &BTreeSet<ReaderEntry<I>>,
) -> (Vec<ReaderEntry<I>>, Vec<Key>) {
    let puts = wanted.difference(current).cloned().collect();
    let deletes = current.difference(wanted).map(ReaderEntry::key).collect();
    (puts, deletes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::tests::campaign as sample;

    fn ids(n: usize) -> Vec<UserId> {
        (0..n).map(|_| UserId::new()).collect()
    }

    fn set(users: &[UserId]) -> BTreeSet<UserId> {
        users.iter().copied().collect()
    }

    #[test]
    fn a_campaign_has_an_entry_per_member_seller_of_its_client_and_producer_of_its_shows() {
        let mut c = sample();
        let (team, sellers, producers) = (ids(2), ids(2), ids(3));
        let (targeted, other) = (ShowId::new(), ShowId::new());
        c.targeting.show_ids = vec![targeted];
        let shows = [(targeted, producers[..2].to_vec()), (other, producers[2..].to_vec())];
        let all = campaign_entries(&c, &team, &sellers, &shows);
        let of = |r: Relation| all.iter().filter(|e| e.relation == r).map(|e| e.user_id).collect::<BTreeSet<_>>();
        assert_eq!(of(Relation::Team), set(&team));
        assert_eq!(of(Relation::Client), set(&sellers));
        assert_eq!(of(Relation::Show(targeted)), set(&producers[..2]));
        assert!(of(Relation::Show(other)).is_empty(), "a show it does not target reaches nobody");
        assert_eq!(all.len(), 6);
        assert!(all.iter().all(|e| e.item == c.id && e.date == c.start_date && e.org_id == c.org_id));
        // Without a client, its sellers reach nothing.
        c.client_id = None;
        assert!(campaign_entries(&c, &team, &sellers, &shows).iter().all(|e| e.relation != Relation::Client));
    }

    #[test]
    fn an_episode_has_an_entry_per_talent_on_it_and_per_host_of_its_show() {
        let mut e = crate::episode::tests::episode();
        let (cast, hosts) = (ids(2), ids(1));
        e.talent_ids = cast.clone();
        let all = episode_entries(&e, &hosts);
        let of = |r: Relation| all.iter().filter(|x| x.relation == r).map(|x| x.user_id).collect::<BTreeSet<_>>();
        assert_eq!(of(Relation::Cast), set(&cast));
        assert_eq!(of(Relation::Host), set(&hosts));
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|x| x.item == e.id && x.date == e.air_date && x.org_id == e.org_id));
        let keys: BTreeSet<Key> = all.iter().map(ReaderEntry::key).collect();
        assert!(keys.iter().all(|k| k.pk.ends_with("#EPISODES") && k.sk.starts_with("AIR#")), "{keys:?}");
        assert!(all.iter().all(|x| x.by_item_key().pk == ReaderEntry::by_item_pk(&e.org_id, &e.id)));
        assert!(
            ReaderEntry::<EpisodeId>::by_item_pk(&e.org_id, &e.id).ends_with(&format!("#EPISODE#{}#READERS", e.id))
        );
    }

    #[test]
    fn changes_move_only_what_differs_and_a_new_date_moves_everything() {
        let mut c = sample();
        let team = ids(2);
        let before = campaign_entries(&c, &team, &[], &[]);
        assert_eq!(changes(&before, &before), (vec![], vec![]));
        let joined = campaign_entries(&c, &[team[0], team[1], UserId::new()], &[], &[]);
        let (puts, deletes) = changes(&before, &joined);
        assert_eq!((puts.len(), deletes.len()), (1, 0));
        let (puts, deletes) = changes(&joined, &before);
        assert_eq!((puts.len(), deletes.len()), (0, 1));
        c.start_date = NaiveDate::from_ymd_opt(2031, 1, 1);
        let moved = campaign_entries(&c, &team, &[], &[]);
        let (puts, deletes) = changes(&before, &moved);
        assert_eq!(puts, moved.iter().cloned().collect::<Vec<_>>());
        assert_eq!(deletes, before.iter().map(ReaderEntry::key).collect::<Vec<_>>());
    }

    #[test]
    fn entries_sort_by_date_and_a_page_names_an_item_once() {
        let mut c = sample();
        let reader = UserId::new();
        let show = ShowId::new();
        c.targeting.show_ids = vec![show];
        let both = campaign_entries(&c, &[reader], &[reader], &[(show, vec![reader])]);
        assert_eq!(both.len(), 3);
        let keys: BTreeSet<Key> = both.iter().map(ReaderEntry::key).collect();
        assert_eq!(keys.len(), 3, "one key per relation");
        assert!(keys.iter().all(|k| k.pk == ReaderEntry::<CampaignId>::reader_pk(&c.org_id, &reader)));
        assert!(keys.iter().all(|k| k.pk.ends_with("#CAMPAIGNS")));
        let prefix = ReaderEntry::item_sk(c.start_date, &c.id);
        assert!(prefix.starts_with("START#2026-03-01#"), "{prefix}");
        assert!(keys.iter().all(|k| k.sk.starts_with(&format!("{prefix}#"))), "{keys:?}");
        let by_item: BTreeSet<Key> = both.iter().map(ReaderEntry::by_item_key).collect();
        assert_eq!(by_item.len(), 3);
        assert!(by_item.iter().all(|k| k.pk == ReaderEntry::by_item_pk(&c.org_id, &c.id)));
        assert!(by_item.iter().all(|k| k.sk.starts_with(&format!("{reader}#"))));
        let listed: Vec<ReaderEntry<CampaignId>> = both.into_iter().collect();
        assert_eq!(distinct_items(&listed), vec![c.id]);
        // The next page starts past every relation of the last item, in either order, and no
        // further: another item's entries lie beyond.
        let later = ReaderEntry::item_sk(NaiveDate::from_ymd_opt(2099, 1, 1), &c.id);
        let earlier = ReaderEntry::item_sk(None, &c.id);
        for k in &keys {
            let after = after_item(&k.sk, false);
            assert!(keys.iter().all(|other| other.sk < after), "{after}");
            let before = after_item(&k.sk, true);
            assert!(keys.iter().all(|other| other.sk > before), "{before}");
            assert!(after < later && before > earlier);
        }
        assert_eq!(after_item("A#B", false), "A#B#~", "a key without a relation is kept whole");
    }

    #[test]
    fn a_page_places_an_item_only_under_its_current_date() {
        let mut c = sample();
        let reader = UserId::new();
        let old: Vec<_> = campaign_entries(&c, &[reader], &[], &[]).into_iter().collect();
        assert!(placed_at(&old, &c.id, c.start_date));
        c.start_date = NaiveDate::from_ymd_opt(2030, 1, 1);
        assert!(!placed_at(&old, &c.id, c.start_date));
        assert!(!placed_at(&old, &CampaignId::new(), old[0].date));
    }

    #[test]
    fn distinct_items_keep_the_page_order() {
        let c = sample();
        let mut d = sample();
        d.id = CampaignId::new();
        let (a, b) = (UserId::new(), UserId::new());
        let page: Vec<_> = [&d, &c, &d]
            .into_iter()
            .zip([a, b, b])
            .flat_map(|(camp, u)| campaign_entries(camp, &[u], &[], &[]))
            .collect();
        assert_eq!(distinct_items(&page), vec![d.id, c.id]);
    }

    #[test]
    fn entries_read_back_as_written() {
        let c = sample();
        let show = ShowId::new();
        for relation in [Relation::Team, Relation::Client, Relation::Show(show), Relation::Cast, Relation::Host] {
            let e = ReaderEntry { org_id: c.org_id, user_id: UserId::new(), item: c.id, date: c.start_date, relation };
            let v = serde_json::to_value(&e).unwrap();
            assert_eq!(serde_json::from_value::<ReaderEntry<CampaignId>>(v).unwrap(), e);
        }
        let tags: BTreeSet<String> =
            [Relation::Team, Relation::Client, Relation::Show(show), Relation::Cast, Relation::Host]
                .iter()
                .map(Relation::tag)
                .collect();
        assert_eq!(tags.len(), 5, "each relation has its own key");
    }
}
