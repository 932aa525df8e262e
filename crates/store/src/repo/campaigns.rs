//! Campaigns with their team members and status history (one item collection per campaign).

use chrono::NaiveDate;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::campaign::{Campaign, CampaignStatus, HistoryEntry};
use podcastflow_domain::keys::{self, Index, org_pk};
use podcastflow_domain::readers::{ReaderEntry, Relation};
use podcastflow_domain::show::Show;
use podcastflow_domain::{CampaignId, ClientId, ShowId, UserId};
use serde_json::json;

use super::readers::{ReaderRepo, commit_with_entries, entry_item, entry_writes};
use super::{
    EntityPage, OnConflict, RepoError, Write, all_decoded, all_items, commit, get, get_many, ids_in, link_diff,
    link_item,
};
use crate::condition::Condition;
use crate::table::{KeyCondition, Query, Table};
use crate::tenant::TenantTable;

/// Reads and writes one tenant's campaigns.
pub struct CampaignRepo<'a> {
    t: &'a TenantTable,
}

/// A sort key above every campaign id after a date prefix.
const AFTER_IDS: &str = "~";

/// Which index partition a campaign list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSource {
    /// Every campaign, by start date.
    All,
    /// One client's, by start date.
    Client(ClientId),
    /// One status's, by start date.
    Status(CampaignStatus),
    /// Every campaign, by last update.
    Updated,
}

/// A campaign list: its source, a start-date range (ignored by [`ListSource::Updated`]) and order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignList {
    /// The partition read.
    pub source: ListSource,
    /// Start dates within `[from, to]`, both inclusive.
    pub start_range: Option<(NaiveDate, NaiveDate)>,
    /// Latest first.
    pub descending: bool,
}

impl<'a> CampaignRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    fn show_link(&self, c: &CampaignId, show: &ShowId) -> Result<Write, RepoError> {
        let key = Campaign::show_link_key(self.t.org(), show, c);
        Ok(Write::put(link_item(&key, "campaignShow", json!({"campaignId": c, "showId": show}))?))
    }

    /// The link writes that take a campaign's targeted shows from `before` to `after`.
    fn show_link_changes(&self, id: &CampaignId, before: &[ShowId], after: &[ShowId]) -> Result<Vec<Write>, RepoError> {
        let (added, removed) = link_diff(before, after);
        let mut writes = Vec::new();
        for s in &added {
            writes.push(self.show_link(id, s)?);
        }
        for s in &removed {
            writes.push(Write::delete(Campaign::show_link_key(self.t.org(), s, id)));
        }
        Ok(writes)
    }

    /// The link writes that take a campaign's agency from `before` to `after`.
    fn agency_link_changes(
        &self,
        id: &CampaignId,
        before: Option<ClientId>,
        after: Option<ClientId>,
    ) -> Result<Vec<Write>, RepoError> {
        let mut writes = Vec::new();
        if before == after {
            return Ok(writes);
        }
        if let Some(a) = before {
            writes.push(Write::delete(Campaign::agency_link_key(self.t.org(), &a, id)));
        }
        if let Some(a) = after {
            let key = Campaign::agency_link_key(self.t.org(), &a, id);
            writes.push(Write::put(link_item(&key, "campaignAgency", json!({"campaignId": id, "agencyId": a}))?));
        }
        Ok(writes)
    }

    /// Creates a campaign with its owner as the first team member, its show links and its reader
    /// entries (the client's sellers and the shows' producers are read for them).
    pub async fn create(&self, c: &Campaign, owner: &TeamMember) -> Result<(), RepoError> {
        let mut writes = vec![Write::create(c)?, Write::create(owner)?];
        writes.extend(self.show_link_changes(&c.id, &[], &c.targeting.show_ids)?);
        writes.extend(self.agency_link_changes(&c.id, None, c.agency_id)?);
        let wanted = ReaderRepo::new(self.t).campaign_wanted(c, &[owner.user_id]).await?;
        commit_with_entries(self.t, writes, entry_writes(&Default::default(), &wanted)?).await
    }

    /// The reader entry writes of a change from `before` to `c`: none unless what places the
    /// campaign in reader lists changed (its start date, client or shows), else its entries moved
    /// to what its team, client and shows give now.
    async fn reader_changes(&self, before: &Campaign, c: &Campaign) -> Result<Vec<Write>, RepoError> {
        if before.start_date == c.start_date
            && before.client_id == c.client_id
            && before.targeting.show_ids == c.targeting.show_ids
        {
            return Ok(Vec::new());
        }
        let readers = ReaderRepo::new(self.t);
        let team: Vec<UserId> = self.team(&c.id).await?.into_iter().map(|m| m.user_id).collect();
        let current = readers.of_item(&c.id).await?;
        Ok(entry_writes(&current, &readers.campaign_wanted(c, &team).await?)?)
    }

    /// The check that a campaign exists with the start date its reader entries were keyed by, so a
    /// team change cannot file an entry under a date the campaign just left.
    fn dated_check(&self, campaign: &CampaignId, start_date: Option<NaiveDate>) -> Write {
        let dated = match start_date {
            Some(d) => Condition::Equals("startDate".into(), json!(d)),
            None => Condition::AttributeMissing("startDate".into()),
        };
        Write::check(
            Campaign::key_of(self.t.org(), campaign),
            Condition::All(vec![Condition::Exists, dated]),
            OnConflict::Version,
        )
    }

    /// Reads a campaign.
    pub async fn get(&self, id: &CampaignId) -> Result<Option<Campaign>, RepoError> {
        get(self.t, &Campaign::key_of(self.t.org(), id)).await
    }

    /// Replaces a campaign's fields (not its status), as read in `before`, conditional on version
    /// `expected`; its show links follow its targeting.
    pub async fn update(&self, before: &Campaign, c: &Campaign, expected: u64) -> Result<(), RepoError> {
        // The status moves only through transition(): refuse a write that would change it.
        let w = Write::replace_if(c, expected, Condition::Equals("status".into(), json!(c.status)))?;
        let mut writes = vec![w];
        writes.extend(self.show_link_changes(&c.id, &before.targeting.show_ids, &c.targeting.show_ids)?);
        writes.extend(self.agency_link_changes(&c.id, before.agency_id, c.agency_id)?);
        let entries = self.reader_changes(before, c).await?;
        commit_with_entries(self.t, writes, entries).await
    }

    /// Deletes a draft campaign read at version `expected`, with its team, show links and reader
    /// entries (drafts have no history: no edge leads back to draft).
    pub async fn delete_draft(&self, c: &Campaign, expected: u64) -> Result<(), RepoError> {
        let org = self.t.org();
        let guard = Condition::All(vec![
            Condition::VersionIs(expected),
            Condition::Equals("status".into(), json!(CampaignStatus::Draft)),
        ]);
        let record = crate::table::TransactOp::Delete { key: Campaign::key_of(org, &c.id), condition: guard };
        let mut writes = vec![Write { op: record, on_conflict: OnConflict::Version }];
        for m in self.team(&c.id).await? {
            writes.push(Write::delete(TeamMember::key_of(org, &c.id, &m.user_id)));
        }
        for s in &c.targeting.show_ids {
            writes.push(Write::delete(Campaign::show_link_key(org, s, &c.id)));
        }
        writes.extend(self.agency_link_changes(&c.id, c.agency_id, None)?);
        let current = ReaderRepo::new(self.t).of_item(&c.id).await?;
        commit_with_entries(self.t, writes, entry_writes(&current, &Default::default())?).await
    }

    /// Writes a status change and its history entry together.
    pub async fn transition(&self, c: &Campaign, expected: u64, entry: &HistoryEntry) -> Result<(), RepoError> {
        if entry.to != c.status || entry.campaign_id != c.id {
            return Err(RepoError::Conflict("history entry does not match the campaign"));
        }
        let w = Write::replace_if(c, expected, Condition::Equals("status".into(), json!(entry.from)))?;
        commit(self.t, vec![w, Write::create(entry)?]).await
    }

    /// The campaign's status history, oldest first.
    pub async fn history(
        &self,
        id: &CampaignId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<HistoryEntry>, RepoError> {
        let q = Query::partition(Index::Main, Campaign::collection_pk(self.t.org(), id))
            .sort(KeyCondition::BeginsWith(Campaign::HISTORY_PREFIX.into()))
            .limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// The campaign with its team in one Query of its collection, from the first member to the
    /// record (`MEMBER#…` < `PROFILE`; the history, `HISTORY#…`, sorts before both and is not
    /// read): what every guarded read or write of a campaign starts with.
    pub async fn get_with_team(&self, id: &CampaignId) -> Result<Option<(Campaign, Vec<TeamMember>)>, RepoError> {
        let q = Query::partition(Index::Main, Campaign::collection_pk(self.t.org(), id))
            .sort(KeyCondition::Between(TeamMember::PREFIX.into(), keys::PROFILE.into()));
        let out = self.t.query_stored(&q).await?;
        let mut campaign = None;
        let mut team = Vec::with_capacity(out.items.len());
        for i in out.items {
            if i.key()?.sk == keys::PROFILE {
                campaign = Some(i.decode()?);
            } else {
                team.push(i.decode()?);
            }
        }
        Ok(campaign.map(|c| (c, team)))
    }

    /// The campaign's team (at most a few dozen members).
    pub async fn team(&self, id: &CampaignId) -> Result<Vec<TeamMember>, RepoError> {
        let q = Query::partition(Index::Main, Campaign::collection_pk(self.t.org(), id))
            .sort(KeyCondition::BeginsWith(TeamMember::PREFIX.into()));
        all_decoded(self.t, &q).await
    }

    /// Adds a member of campaign `c` with their reader entry; the campaign must exist with `c`'s
    /// start date and the user must not be on the team yet.
    pub async fn add_member(&self, c: &Campaign, m: &TeamMember) -> Result<(), RepoError> {
        let entry = self.team_entry(c, &m.user_id);
        let writes =
            vec![Write::create(m)?, self.dated_check(&m.campaign_id, c.start_date), Write::put(entry_item(&entry)?)];
        commit(self.t, writes).await
    }

    fn team_entry(&self, c: &Campaign, user: &UserId) -> ReaderEntry<CampaignId> {
        ReaderEntry { org_id: *self.t.org(), user_id: *user, item: c.id, date: c.start_date, relation: Relation::Team }
    }

    /// Replaces a member read at version `expected`.
    pub async fn update_member(&self, m: &TeamMember, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(m, expected)?]).await
    }

    /// Removes a member of campaign `c` read at version `expected`, with their reader entry.
    pub async fn remove_member(&self, c: &Campaign, user: &UserId, expected: u64) -> Result<(), RepoError> {
        let key = TeamMember::key_of(self.t.org(), &c.id, user);
        let writes = vec![
            Write::delete_versioned(key, expected),
            self.dated_check(&c.id, c.start_date),
            Write::delete(self.team_entry(c, user).key()),
        ];
        commit(self.t, writes).await
    }

    /// Lists campaigns in the order of `list`: by start date (optionally within a range of start
    /// dates) over all campaigns, one client's or one status's, or by last update.
    pub async fn list(
        &self,
        list: &CampaignList,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Campaign>, RepoError> {
        let org = self.t.org();
        let (index, pk) = match list.source {
            ListSource::All => (Index::Gsi1, Campaign::list_pk(org)),
            ListSource::Client(c) => (Index::Gsi2, Campaign::by_client_pk(org, &c)),
            ListSource::Status(s) => (Index::Gsi3, Campaign::by_status_pk(org, s)),
            ListSource::Updated => (Index::Gsi4, Campaign::by_update_pk(org)),
        };
        let mut q = Query::partition(index, pk).limit(limit);
        if let (Some((from, to)), false) = (list.start_range, matches!(list.source, ListSource::Updated)) {
            q = q.sort(KeyCondition::Between(
                Campaign::start_sk(Some(from)),
                format!("{}#{AFTER_IDS}", Campaign::start_sk(Some(to))),
            ));
        }
        q.forward = !list.descending;
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// The ids of the campaigns targeting a show.
    pub async fn ids_for_show(&self, show: &ShowId) -> Result<Vec<CampaignId>, RepoError> {
        let q = Query::partition(Index::Main, Show::collection_pk(self.t.org(), show))
            .sort(KeyCondition::BeginsWith(Campaign::SHOW_LINK_PREFIX.into()));
        Ok(ids_in(&all_items(self.t, &q).await?, "campaignId"))
    }

    /// A user's memberships of campaign teams (with their team role and permissions).
    pub async fn memberships(&self, user: &UserId) -> Result<Vec<TeamMember>, RepoError> {
        let q = Query::partition(Index::Gsi1, TeamMember::by_user_pk(self.t.org(), user));
        all_decoded(self.t, &q).await
    }

    /// Whether a client has campaigns that hold a commitment (won, live, paused): such a client
    /// cannot be archived.
    pub async fn client_has_committed(&self, client: &ClientId) -> Result<bool, RepoError> {
        Ok(self.of_client(client).await?.iter().any(|c| c.status.is_committed() && !c.archived))
    }

    /// Every campaign of a client (its GSI2 partition, all pages): for the whole-client questions
    /// and moves (the archive guard, a change of its sellers).
    pub async fn of_client(&self, client: &ClientId) -> Result<Vec<Campaign>, RepoError> {
        let q = Query::partition(Index::Gsi2, Campaign::by_client_pk(self.t.org(), client));
        all_decoded(self.t, &q).await
    }

    /// Every campaign targeting a show: its campaign links, then one batch read per 100.
    pub async fn on_show(&self, show: &ShowId) -> Result<Vec<Campaign>, RepoError> {
        let mut out = Vec::new();
        for ids in self.ids_for_show(show).await?.chunks(100) {
            out.extend(self.get_many(ids).await?);
        }
        Ok(out)
    }

    /// Whether any campaign, archived or not, names `client` as its client or its agency (one
    /// Query of at most one item per relation): a client's type cannot change under them.
    pub async fn client_is_referenced(&self, client: &ClientId) -> Result<bool, RepoError> {
        for q in [
            Query::partition(Index::Gsi2, Campaign::by_client_pk(self.t.org(), client)),
            Query::partition(Index::Main, org_pk(self.t.org(), format!("CLIENT#{client}")))
                .sort(KeyCondition::BeginsWith(Campaign::AGENCY_LINK_PREFIX.into())),
        ] {
            if !self.t.page(&q.limit(1), None).await?.items.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reads many campaigns (missing ones left out), in the order of `ids`.
    pub async fn get_many(&self, ids: &[CampaignId]) -> Result<Vec<Campaign>, RepoError> {
        let keys: Vec<_> = ids.iter().map(|id| Campaign::key_of(self.t.org(), id)).collect();
        get_many(self.t, &keys).await
    }
}
