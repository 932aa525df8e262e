//! Uploaded files' records (keys and access patterns in `podcastflow_domain::media`).

use podcastflow_domain::MediaId;
use podcastflow_domain::keys::Index;
use podcastflow_domain::media::Media;
use podcastflow_domain::notification::EntityRef;

use super::{EntityPage, RepoError, Write, commit, get};
use crate::table::Query;
use crate::tenant::TenantTable;

/// Reads and writes one tenant's media records.
pub struct MediaRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> MediaRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Stores a new record.
    pub async fn create(&self, m: &Media) -> Result<(), RepoError> {
        commit(self.t, vec![Write::create(m)?]).await
    }

    /// Reads a record.
    pub async fn get(&self, id: &MediaId) -> Result<Option<Media>, RepoError> {
        get(self.t, &Media::key_of(self.t.org(), id)).await
    }

    /// Replaces a record read at version `expected`.
    pub async fn update(&self, m: &Media, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(m, expected)?]).await
    }

    /// Deletes a record read at version `expected`.
    pub async fn delete(&self, id: &MediaId, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::delete_versioned(Media::key_of(self.t.org(), id), expected)]).await
    }

    /// An entity's files, newest first.
    pub async fn of_entity(
        &self,
        e: &EntityRef,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Media>, RepoError> {
        let q = Query::partition(Index::Gsi1, Media::of_entity_pk(self.t.org(), e)).reverse().limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }
}
