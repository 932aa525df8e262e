//! Activity records: by entity, by actor and the organization's timeline, newest first.

use chrono::{DateTime, Utc};
use podcastflow_domain::activity::Activity;
use podcastflow_domain::keys::Index;
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::{ActivityId, UserId};

use super::{EntityPage, RepoError, Write, commit};
use crate::condition::Condition;
use crate::item::{self, StoredItem};
use crate::table::{KeyCondition, Query, Table};
use crate::tenant::TenantTable;

/// Reads and writes one tenant's activity.
pub struct ActivityRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> ActivityRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Records an activity; recording the same one twice (a redelivered change) is harmless and
    /// answers `false`.
    pub async fn record(&self, a: &Activity) -> Result<bool, RepoError> {
        match commit(self.t, vec![Write::create(a)?]).await {
            Err(RepoError::AlreadyExists) => Ok(false),
            other => other.map(|()| true),
        }
    }

    /// Records an activity whatever is stored (stream processors with deterministic ids).
    pub async fn upsert(&self, a: &Activity) -> Result<(), RepoError> {
        Ok(self.t.put(item::to_item(a)?, Condition::Always).await?)
    }

    async fn list(&self, q: Query, cursor: Option<&str>) -> Result<EntityPage<Activity>, RepoError> {
        EntityPage::decode(self.t.page(&q.reverse(), cursor).await?)
    }

    /// One entity's activity.
    pub async fn of_entity(
        &self,
        entity: &EntityRef,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Activity>, RepoError> {
        self.list(Query::partition(Index::Main, Activity::entity_pk(self.t.org(), entity)).limit(limit), cursor).await
    }

    /// The organization's timeline.
    pub async fn timeline(&self, cursor: Option<&str>, limit: u32) -> Result<EntityPage<Activity>, RepoError> {
        self.list(Query::partition(Index::Gsi1, Activity::timeline_pk(self.t.org())).limit(limit), cursor).await
    }

    /// The organization's activity between two instants (both inclusive), newest first: activity
    /// ids are ULIDs, so a time range is a range of ids.
    pub async fn timeline_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Activity>, RepoError> {
        let (low, high) = (Activity::first_id_at(from), Activity::last_id_at(to));
        let q = Query::partition(Index::Gsi1, Activity::timeline_pk(self.t.org()))
            .sort(KeyCondition::Between(low, high))
            .limit(limit);
        self.list(q, cursor).await
    }

    /// One activity of the organization, by id (one Query of the timeline).
    pub async fn get(&self, id: &ActivityId) -> Result<Option<Activity>, RepoError> {
        let q = Query::partition(Index::Gsi1, Activity::timeline_pk(self.t.org()))
            .sort(KeyCondition::Eq(id.to_string()))
            .limit(1);
        let page = self.t.page(&q, None).await?;
        Ok(page.items.into_iter().next().map(StoredItem::decode).transpose()?)
    }

    /// One actor's activity.
    pub async fn of_actor(
        &self,
        actor: &UserId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Activity>, RepoError> {
        self.list(Query::partition(Index::Gsi2, Activity::actor_pk(self.t.org(), actor)).limit(limit), cursor).await
    }
}
