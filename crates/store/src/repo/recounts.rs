//! Recounts of an organization's delivery under its current window (keys and what a recount
//! does in `podcastflow_domain::delivery::recount`).

use podcastflow_domain::delivery::recount::{DELIVERY_RECOUNT, Recount};

use super::RepoError;
use crate::condition::Condition;
use crate::item;
use crate::table::{StoreError, Table};
use crate::tenant::TenantTable;

/// Reads and writes one organization's recounts.
pub struct RecountRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> RecountRepo<'a> {
    /// A repository on the organization's table.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Stores a new recount.
    pub async fn create(&self, recount: &Recount) -> Result<(), RepoError> {
        let item = item::value_item(&Recount::key_of(self.t.org(), &recount.id), DELIVERY_RECOUNT, recount)?;
        match self.t.put(item, Condition::NotExists).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(RepoError::Conflict("recount exists")),
            Err(e) => Err(e.into()),
        }
    }

    /// Recount `id`, if any.
    pub async fn get(&self, id: &str) -> Result<Option<Recount>, RepoError> {
        match self.t.get(&Recount::key_of(self.t.org(), id)).await? {
            Some(it) => Ok(Some(item::from_item(item::without_bookkeeping(it))?)),
            None => Ok(None),
        }
    }

    /// Saves where a recount stands (only the ingest writes it once it is queued).
    pub async fn save(&self, recount: &Recount) -> Result<(), RepoError> {
        let item = item::value_item(&Recount::key_of(self.t.org(), &recount.id), DELIVERY_RECOUNT, recount)?;
        Ok(self.t.put(item, Condition::Always).await?)
    }
}
