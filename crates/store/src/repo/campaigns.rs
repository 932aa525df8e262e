//! Campaigns with their team members and status history (one item collection per campaign).

use chrono::NaiveDate;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::campaign::{Campaign, HistoryEntry};
use podcastflow_domain::keys::Index;
use podcastflow_domain::{CampaignId, ClientId, UserId};
use serde_json::json;

use super::{EntityPage, OnConflict, RepoError, Write, all_items, commit, get, get_many, ids_in};
use crate::condition::Condition;
use crate::item;
use crate::table::{KeyCondition, Query, Table};
use crate::tenant::TenantTable;

/// Reads and writes one tenant's campaigns.
pub struct CampaignRepo<'a> {
    t: &'a TenantTable,
}

/// A sort key above every campaign id after a date prefix.
const AFTER_IDS: &str = "~";

impl<'a> CampaignRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Creates a campaign with its owner as the first team member.
    pub async fn create(&self, c: &Campaign, owner: &TeamMember) -> Result<(), RepoError> {
        commit(self.t, vec![Write::create(c)?, Write::create(owner)?]).await
    }

    /// Reads a campaign.
    pub async fn get(&self, id: &CampaignId) -> Result<Option<Campaign>, RepoError> {
        get(self.t, &Campaign::key_of(self.t.org(), id)).await
    }

    /// Replaces a campaign's fields (not its status) read at version `expected`.
    pub async fn update(&self, c: &Campaign, expected: u64) -> Result<(), RepoError> {
        // The status moves only through transition(): refuse a write that would change it.
        let w = Write::replace_if(c, expected, Condition::Equals("status".into(), json!(c.status)))?;
        commit(self.t, vec![w]).await
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

    /// The campaign's team (at most a few dozen members).
    pub async fn team(&self, id: &CampaignId) -> Result<Vec<TeamMember>, RepoError> {
        let q = Query::partition(Index::Main, Campaign::collection_pk(self.t.org(), id))
            .sort(KeyCondition::BeginsWith(TeamMember::PREFIX.into()));
        let out = self.t.query(&q).await?;
        out.items.into_iter().map(|i| item::from_item(i).map_err(RepoError::from)).collect()
    }

    /// Adds a member; the campaign must exist and the user must not be on the team yet.
    pub async fn add_member(&self, m: &TeamMember) -> Result<(), RepoError> {
        let campaign = Campaign::key_of(self.t.org(), &m.campaign_id);
        commit(self.t, vec![Write::create(m)?, Write::check(campaign, Condition::Exists, OnConflict::NotFound)]).await
    }

    /// Replaces a member read at version `expected`.
    pub async fn update_member(&self, m: &TeamMember, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(m, expected)?]).await
    }

    /// Removes a member.
    pub async fn remove_member(&self, campaign: &CampaignId, user: &UserId) -> Result<(), RepoError> {
        let key = TeamMember::key_of(self.t.org(), campaign, user);
        let op = crate::table::TransactOp::Delete { key, condition: Condition::Exists };
        commit(self.t, vec![Write { op, on_conflict: OnConflict::NotFound }]).await
    }

    /// Lists campaigns by start date, optionally within `[from, to]`.
    pub async fn list(
        &self,
        range: Option<(NaiveDate, NaiveDate)>,
        newest_first: bool,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Campaign>, RepoError> {
        let mut q = Query::partition(Index::Gsi1, Campaign::list_pk(self.t.org())).limit(limit);
        if let Some((from, to)) = range {
            q = q.sort(KeyCondition::Between(
                Campaign::start_sk(Some(from)),
                format!("{}#{AFTER_IDS}", Campaign::start_sk(Some(to))),
            ));
        }
        q.forward = !newest_first;
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// Lists one client's campaigns by start date.
    pub async fn list_by_client(
        &self,
        client: &ClientId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Campaign>, RepoError> {
        let q = Query::partition(Index::Gsi2, Campaign::by_client_pk(self.t.org(), client)).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// The ids of the campaigns a user is on the team of.
    pub async fn ids_for_member(&self, user: &UserId) -> Result<Vec<CampaignId>, RepoError> {
        let q = Query::partition(Index::Gsi1, TeamMember::by_user_pk(self.t.org(), user));
        Ok(ids_in(&all_items(self.t, &q).await?, "campaignId"))
    }

    /// Whether a client has campaigns that hold a commitment (won, live, paused): such a client
    /// cannot be archived.
    pub async fn client_has_committed(&self, client: &ClientId) -> Result<bool, RepoError> {
        let q = Query::partition(Index::Gsi2, Campaign::by_client_pk(self.t.org(), client));
        for i in all_items(self.t, &q).await? {
            let c: Campaign = item::from_item(i)?;
            if c.status.is_committed() && !c.archived {
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
