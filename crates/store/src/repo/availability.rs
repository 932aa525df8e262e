//! A talent's availability windows, replaced as a whole set (`PUT /talent/{id}/availability`).

use podcastflow_domain::UserId;
use podcastflow_domain::availability::AvailabilityWindow;
use podcastflow_domain::keys::{Entity, Index, Key};

use super::{RepoError, Write, all_items, commit};
use crate::item;
use crate::table::{KeyCondition, MAX_TRANSACT_ITEMS, Query};
use crate::tenant::TenantTable;

/// Most windows a talent may keep: their replacement must fit in one transaction.
pub const MAX_WINDOWS: usize = MAX_TRANSACT_ITEMS / 2;

/// Reads and writes one tenant's availability windows.
pub struct AvailabilityRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> AvailabilityRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// A talent's windows by start.
    pub async fn windows(&self, talent: &UserId) -> Result<Vec<AvailabilityWindow>, RepoError> {
        let q = Query::partition(Index::Main, AvailabilityWindow::talent_pk(self.t.org(), talent))
            .sort(KeyCondition::BeginsWith(AvailabilityWindow::PREFIX.into()));
        all_items(self.t, &q).await?.into_iter().map(|i| item::from_item(i).map_err(RepoError::from)).collect()
    }

    /// Replaces a talent's windows with `windows`, all at once.
    pub async fn replace(&self, talent: &UserId, windows: &[AvailabilityWindow]) -> Result<(), RepoError> {
        if windows.len() > MAX_WINDOWS {
            return Err(RepoError::Conflict("too many availability windows"));
        }
        if windows.iter().any(|w| w.talent_id != *talent) {
            return Err(RepoError::Conflict("a window belongs to another talent"));
        }
        let keep: Vec<Key> = windows.iter().map(Entity::key).collect();
        let mut writes: Vec<Write> = self
            .windows(talent)
            .await?
            .iter()
            .map(Entity::key)
            .filter(|k| !keep.contains(k))
            .map(Write::delete)
            .collect();
        for w in windows {
            writes.push(Write::put(item::to_item(w)?));
        }
        if writes.is_empty() {
            return Ok(());
        }
        commit(self.t, writes).await
    }
}
