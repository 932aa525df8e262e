//! The reader index (`podcastflow_domain::readers`): the entries that let a seller's, producer's
//! or talent's campaign list and a talent's episode list page in the store. The campaign and
//! episode repositories write an item's entries with the item; this one pages a reader's entries,
//! moves the entries of a client's or show's items when its assignments change, puts back what a
//! restore calls for, and rebuilds an item's entries from what it relates to.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::episode::Episode;
use podcastflow_domain::keys::{self, Index, Key};
use podcastflow_domain::readers::{
    Listed, READER_ENTRY, ReaderEntry, Relation, after_item, campaign_entries, changes, episode_entries,
};
use podcastflow_domain::show::Show;
use podcastflow_domain::{CampaignId, ClientId, EpisodeId, OrgId, ShowId, UserId};
use serde_json::Value;

use super::campaigns::CampaignRepo;
use super::clients::ClientRepo;
use super::episodes::EpisodeRepo;
use super::shows::ShowRepo;
use super::{EntityPage, RepoError, Write, all_decoded, all_pages, commit, link_diff};
use crate::item::{self, Item};
use crate::table::{KeyCondition, MAX_TRANSACT_ITEMS, Query, StoreError, Table, TransactOp};
use crate::tenant::TenantTable;

/// Where a restored campaign record places it in reader lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlacedCampaign {
    /// Its client.
    pub client_id: Option<ClientId>,
    /// Its targeted shows.
    pub show_ids: Vec<ShowId>,
    /// Its start date.
    pub start_date: Option<NaiveDate>,
}

/// Where a restored episode places it in reader lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedEpisode {
    /// Its show.
    pub show_id: ShowId,
    /// The talent on it.
    pub talent_ids: Vec<UserId>,
    /// Its air date.
    pub air_date: Option<NaiveDate>,
}

impl From<&Campaign> for PlacedCampaign {
    fn from(c: &Campaign) -> Self {
        Self { client_id: c.client_id, show_ids: c.targeting.show_ids.clone(), start_date: c.start_date }
    }
}

impl From<&Episode> for PlacedEpisode {
    fn from(e: &Episode) -> Self {
        Self { show_id: e.show_id, talent_ids: e.talent_ids.clone(), air_date: e.air_date }
    }
}

/// What a restore put back that places items in reader lists: campaign records, team members,
/// episodes, clients (their sellers) and shows (their producers and talent).
#[derive(Debug, Clone, Default)]
pub struct Restored {
    /// Restored campaign records.
    pub campaigns: BTreeMap<CampaignId, PlacedCampaign>,
    /// Restored team members (campaign, user).
    pub members: Vec<(CampaignId, UserId)>,
    /// Restored episodes.
    pub episodes: BTreeMap<EpisodeId, PlacedEpisode>,
    /// Restored clients.
    pub clients: BTreeSet<ClientId>,
    /// Restored shows.
    pub shows: BTreeSet<ShowId>,
}

/// Reads and writes one tenant's reader index.
pub struct ReaderRepo<'a> {
    t: &'a TenantTable,
}

/// The stored item of an entry: the entry under its key, also in its item's GSI2 partition.
pub(crate) fn entry_item<I: Listed>(e: &ReaderEntry<I>) -> Result<Item, StoreError> {
    let mut it = item::value_item(&e.key(), READER_ENTRY, e)?;
    let at = e.by_item_key();
    let (pk, sk) = Index::Gsi2.attributes();
    it.insert(pk.into(), Value::String(at.pk));
    it.insert(sk.into(), Value::String(at.sk));
    Ok(it)
}

/// The writes that take an item's entries from `current` to `wanted`.
pub(crate) fn entry_writes<I: Listed>(
    current: &BTreeSet<ReaderEntry<I>>,
    wanted: &BTreeSet<ReaderEntry<I>>,
) -> Result<Vec<Write>, StoreError> {
    let (puts, deletes) = changes(current, wanted);
    let mut writes = Vec::with_capacity(puts.len() + deletes.len());
    for e in &puts {
        writes.push(Write::put(entry_item(e)?));
    }
    writes.extend(deletes.into_iter().map(Write::delete));
    Ok(writes)
}

/// Commits `writes` with the entry writes `entries` in one transaction when they fit in one, else
/// `writes` first and the entries after them in batches (derived data: a list judges what it reads,
/// so entries that land a moment later or not at all never show what the reader may not see).
pub(crate) async fn commit_with_entries(
    t: &TenantTable,
    mut writes: Vec<Write>,
    entries: Vec<Write>,
) -> Result<(), RepoError> {
    if writes.len() + entries.len() <= MAX_TRANSACT_ITEMS {
        writes.extend(entries);
        return commit(t, writes).await;
    }
    commit(t, writes).await?;
    apply(t, entries).await
}

/// Applies unconditional puts and deletes of entries in batches.
async fn apply(t: &TenantTable, writes: Vec<Write>) -> Result<(), RepoError> {
    let (mut puts, mut deletes) = (Vec::new(), Vec::new());
    for w in writes {
        match w.op {
            TransactOp::Put { item, .. } => puts.push(item),
            TransactOp::Delete { key, .. } => deletes.push(key),
            _ => return Err(RepoError::Conflict("only puts and deletes apply in batches")),
        }
    }
    write_batches(t, puts, deletes).await
}

/// Puts and deletes in calls of at most 100 items.
async fn write_batches(t: &TenantTable, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), RepoError> {
    let mut deletes = deletes.into_iter();
    let mut puts = puts.into_iter();
    loop {
        let p: Vec<Item> = puts.by_ref().take(100).collect();
        let d: Vec<Key> = deletes.by_ref().take(100 - p.len()).collect();
        if p.is_empty() && d.is_empty() {
            return Ok(());
        }
        t.batch_write(p, d).await?;
    }
}

/// The entry of `user` for `item` dated `date` through `relation`.
fn entry<I>(org: OrgId, item: I, date: Option<NaiveDate>, user: UserId, relation: Relation) -> ReaderEntry<I> {
    ReaderEntry { org_id: org, user_id: user, item, date, relation }
}

impl<'a> ReaderRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// An item's entries (one Query of its GSI2 partition).
    pub async fn of_item<I: Listed>(&self, id: &I) -> Result<BTreeSet<ReaderEntry<I>>, RepoError> {
        let q = Query::partition(Index::Gsi2, ReaderEntry::by_item_pk(self.t.org(), id));
        Ok(all_decoded(self.t, &q).await?.into_iter().collect())
    }

    /// The entries a campaign with team `team` should have: its client's sellers and its shows'
    /// producers read now (one read and one batch read).
    pub async fn campaign_wanted(
        &self,
        c: &Campaign,
        team: &[UserId],
    ) -> Result<BTreeSet<ReaderEntry<CampaignId>>, RepoError> {
        let sellers = match c.client_id {
            Some(client) => ClientRepo::new(self.t).get(&client).await?.map(|c| c.assigned_seller_ids),
            None => None,
        };
        let shows = match c.targeting.show_ids.is_empty() {
            true => Vec::new(),
            false => ShowRepo::new(self.t).get_many(&c.targeting.show_ids).await?,
        };
        let producers: Vec<(ShowId, Vec<UserId>)> = shows.into_iter().map(|s| (s.id, s.producer_ids)).collect();
        Ok(campaign_entries(c, team, &sellers.unwrap_or_default(), &producers))
    }

    /// The entries an episode should have: its talent's and its show's talent's (one read).
    pub async fn episode_wanted(&self, e: &Episode) -> Result<BTreeSet<ReaderEntry<EpisodeId>>, RepoError> {
        let hosts = ShowRepo::new(self.t).get(&e.show_id).await?.map(|s| s.talent_ids).unwrap_or_default();
        Ok(episode_entries(e, &hosts))
    }

    /// Rebuilds one campaign's entries from its record, team, client and shows as they are now
    /// (none when it no longer exists).
    pub async fn rebuild_campaign(&self, id: &CampaignId) -> Result<(), RepoError> {
        let current = self.of_item(id).await?;
        let wanted = match CampaignRepo::new(self.t).get_with_team(id).await? {
            Some((c, team)) => {
                let users: Vec<UserId> = team.iter().map(|m| m.user_id).collect();
                self.campaign_wanted(&c, &users).await?
            }
            None => BTreeSet::new(),
        };
        apply(self.t, entry_writes(&current, &wanted)?).await
    }

    /// Moves the entries of every campaign of `client` for sellers `added` to and `removed` from
    /// its assignments (after the client's own write).
    pub async fn follow_client(
        &self,
        client: &ClientId,
        added: &[UserId],
        removed: &[UserId],
    ) -> Result<(), RepoError> {
        if added.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let campaigns = CampaignRepo::new(self.t).of_client(client).await?;
        self.follow(campaigns.iter().map(|c| (c.id, c.start_date)), Relation::Client, added, removed).await
    }

    /// Moves the entries of a show's items as its people went from `before` to `after` (after the
    /// show's own write): those of the campaigns targeting it for its producers, those of its
    /// episodes for its talent.
    pub async fn follow_show(&self, before: &Show, after: &Show) -> Result<(), RepoError> {
        let (added, removed) = link_diff(&before.producer_ids, &after.producer_ids);
        if !added.is_empty() || !removed.is_empty() {
            let campaigns = CampaignRepo::new(self.t).on_show(&after.id).await?;
            let placed = campaigns.iter().map(|c| (c.id, c.start_date));
            self.follow(placed, Relation::Show(after.id), &added, &removed).await?;
        }
        let (added, removed) = link_diff(&before.talent_ids, &after.talent_ids);
        if !added.is_empty() || !removed.is_empty() {
            let episodes = self.episodes_of_show(&after.id).await?;
            self.follow(episodes.iter().map(|e| (e.id, e.air_date)), Relation::Host, &added, &removed).await?;
        }
        Ok(())
    }

    async fn episodes_of_show(&self, show: &ShowId) -> Result<Vec<Episode>, RepoError> {
        let repo = EpisodeRepo::new(self.t);
        all_pages(|cursor| {
            let repo = &repo;
            async move { repo.list_by_show(show, None, cursor.as_deref(), 100).await }
        })
        .await
    }

    async fn follow<I: Listed>(
        &self,
        items: impl Iterator<Item = (I, Option<NaiveDate>)>,
        relation: Relation,
        added: &[UserId],
        removed: &[UserId],
    ) -> Result<(), RepoError> {
        let org = *self.t.org();
        let (mut puts, mut deletes): (Vec<Item>, Vec<Key>) = (Vec::new(), Vec::new());
        for (id, date) in items {
            for u in added {
                puts.push(entry_item(&entry(org, id, date, *u, relation))?);
            }
            deletes.extend(removed.iter().map(|u| entry(org, id, date, *u, relation).key()));
        }
        write_batches(self.t, puts, deletes).await
    }

    /// Puts the entries what a restore put back calls for: each restored member's; each restored
    /// campaign's for its client's sellers and its shows' producers; each restored episode's for
    /// its talent and its show's; and those of the campaigns of each restored client, and of the
    /// campaigns and episodes of each restored show, as they are now. Only puts: entries the
    /// restored state no longer calls for are left to the lists' judgement (they show nothing).
    /// Answers how many entries were written.
    pub async fn restore(&self, r: &Restored) -> Result<u64, RepoError> {
        let org = *self.t.org();
        let mut campaigns: Vec<(CampaignId, PlacedCampaign)> =
            r.campaigns.iter().map(|(id, p)| (*id, p.clone())).collect();
        let mut episodes: Vec<(EpisodeId, PlacedEpisode)> = r.episodes.iter().map(|(id, p)| (*id, p.clone())).collect();
        let campaigns_repo = CampaignRepo::new(self.t);
        let not_restored = |c: &&Campaign| !r.campaigns.contains_key(&c.id);
        for client in &r.clients {
            let of_client = campaigns_repo.of_client(client).await?;
            campaigns.extend(of_client.iter().filter(not_restored).map(|c| (c.id, c.into())));
        }
        for show in &r.shows {
            let on_show = campaigns_repo.on_show(show).await?;
            campaigns.extend(on_show.iter().filter(not_restored).map(|c| (c.id, c.into())));
            let of_show = self.episodes_of_show(show).await?;
            episodes.extend(of_show.iter().filter(|e| !r.episodes.contains_key(&e.id)).map(|e| (e.id, e.into())));
        }
        let client_ids: BTreeSet<ClientId> = campaigns.iter().filter_map(|(_, p)| p.client_id).collect();
        let show_ids: BTreeSet<ShowId> = campaigns
            .iter()
            .flat_map(|(_, p)| p.show_ids.iter().copied())
            .chain(episodes.iter().map(|(_, p)| p.show_id))
            .collect();
        let mut sellers: BTreeMap<ClientId, Vec<UserId>> = BTreeMap::new();
        for chunk in client_ids.into_iter().collect::<Vec<_>>().chunks(100) {
            let read = ClientRepo::new(self.t).get_many(chunk).await?;
            sellers.extend(read.into_iter().map(|c| (c.id, c.assigned_seller_ids)));
        }
        let mut shows = BTreeMap::new();
        for chunk in show_ids.into_iter().collect::<Vec<_>>().chunks(100) {
            shows.extend(ShowRepo::new(self.t).get_many(chunk).await?.into_iter().map(|s| (s.id, s)));
        }
        let mut puts = Vec::new();
        for (id, p) in &campaigns {
            for u in p.client_id.and_then(|c| sellers.get(&c)).into_iter().flatten() {
                puts.push(entry_item(&entry(org, *id, p.start_date, *u, Relation::Client))?);
            }
            for s in &p.show_ids {
                for u in shows.get(s).map(|s| &s.producer_ids).into_iter().flatten() {
                    puts.push(entry_item(&entry(org, *id, p.start_date, *u, Relation::Show(*s)))?);
                }
            }
        }
        for (id, u) in &r.members {
            if let Some(p) = r.campaigns.get(id) {
                puts.push(entry_item(&entry(org, *id, p.start_date, *u, Relation::Team))?);
            }
        }
        for (id, p) in &episodes {
            for u in &p.talent_ids {
                puts.push(entry_item(&entry(org, *id, p.air_date, *u, Relation::Cast))?);
            }
            for u in shows.get(&p.show_id).map(|s| &s.talent_ids).into_iter().flatten() {
                puts.push(entry_item(&entry(org, *id, p.air_date, *u, Relation::Host))?);
            }
        }
        let written = puts.len() as u64;
        write_batches(self.t, puts, Vec::new()).await?;
        Ok(written)
    }

    /// One page of a reader's entries by date (optionally within `[from, to]`), each item named
    /// once: the cursor of a page goes on past every entry of its last item.
    pub async fn page<I: Listed>(
        &self,
        user: &UserId,
        range: Option<(NaiveDate, NaiveDate)>,
        descending: bool,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<ReaderEntry<I>>, RepoError> {
        let mut q = Query::partition(Index::Main, ReaderEntry::<I>::reader_pk(self.t.org(), user)).limit(limit);
        if let Some((from, to)) = range {
            q = q.sort(KeyCondition::Between(I::date_sk(Some(from)), format!("{}#~", I::date_sk(Some(to)))));
        }
        q.forward = !descending;
        let page = self.t.page(&q, cursor).await?;
        let cursor = match (page.cursor, page.items.last()) {
            (Some(_), Some(last)) => {
                let mut at = last.position_in(Index::Main)?;
                let sk = item::str_attr(&at, keys::SK).unwrap_or_default();
                let after = after_item(sk, descending);
                at.insert(keys::SK.into(), Value::String(after));
                Some(self.t.cursors().encode(&q, &at))
            }
            (other, _) => other,
        };
        EntityPage::decode(crate::cursor::Page { items: page.items, cursor })
    }
}
