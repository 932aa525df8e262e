//! Backup records of one organization.

use podcastflow_domain::BackupId;
use podcastflow_domain::backup::Backup;
use podcastflow_domain::keys::{Index, Key};
use serde_json::json;

use super::{EntityPage, RepoError, Write, commit, get};
use crate::item;
use crate::table::Query;
use crate::tenant::TenantTable;

/// Reads and writes one tenant's backup records.
pub struct BackupRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> BackupRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Stores a new backup record.
    pub async fn create(&self, b: &Backup) -> Result<(), RepoError> {
        commit(self.t, vec![Write::create(b)?]).await
    }

    /// Stores a scheduled backup together with the claim on its period; `Taken` when the period
    /// was claimed before (its backup exists or existed), so each period runs once.
    pub async fn create_for_period(&self, b: &Backup, period: &Key) -> Result<(), RepoError> {
        // The claim outlives the longest retention, so a period is never run twice.
        let claim = item::value_item(
            period,
            "backupRun",
            &json!({"backupId": b.id, "expiresAt": b.stamp.created_at.timestamp() + 400 * 86_400}),
        )?;
        commit(self.t, vec![Write::claim(claim, "backup period"), Write::create(b)?]).await
    }

    /// Reads a backup record.
    pub async fn get(&self, id: &BackupId) -> Result<Option<Backup>, RepoError> {
        get(self.t, &Backup::key_of(self.t.org(), id)).await
    }

    /// Replaces a backup record read at version `expected`.
    pub async fn update(&self, b: &Backup, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(b, expected)?]).await
    }

    /// Deletes a backup record read at version `expected`.
    pub async fn delete(&self, id: &BackupId, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::delete_versioned(Backup::key_of(self.t.org(), id), expected)]).await
    }

    /// The organization's backups, newest first.
    pub async fn list(&self, cursor: Option<&str>, limit: u32) -> Result<EntityPage<Backup>, RepoError> {
        let q = Query::partition(Index::Gsi1, Backup::list_pk(self.t.org())).reverse().limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }
}
