//! A talent's availability windows, replaced as a whole set (`PUT /talent/{id}/availability`).
//!
//! The set carries one version in a header item (`ORG#<o>#TALENT#<u>` / `WINDOW`), written with
//! every replacement on the condition that it is still the version the writer read: two editors
//! cannot silently overwrite each other. The header's sort key sorts before every `WINDOW#` item,
//! so one Query reads the header and the windows together.

use podcastflow_domain::UserId;
use podcastflow_domain::availability::AvailabilityWindow;
use podcastflow_domain::keys::{Entity, Index, Key};
use serde_json::json;

use super::{OnConflict, RepoError, Write, all_items, commit};
use crate::condition::Condition;
use crate::item;
use crate::table::{KeyCondition, MAX_TRANSACT_ITEMS, Query, TransactOp};
use crate::tenant::TenantTable;

/// Most windows a talent may keep: a replacement (old ones deleted, new ones written, the header)
/// must fit in one transaction.
pub const MAX_WINDOWS: usize = (MAX_TRANSACT_ITEMS - 1) / 2;

/// Sort key of the set's header item.
const HEADER: &str = "WINDOW";

/// A talent's windows by start, and the version of the set (0 before the first write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSet {
    /// The windows, by start.
    pub windows: Vec<AvailabilityWindow>,
    /// The set's version.
    pub version: u64,
}

/// Reads and writes one tenant's availability windows.
pub struct AvailabilityRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> AvailabilityRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    fn header_key(&self, talent: &UserId) -> Key {
        Key::new(AvailabilityWindow::talent_pk(self.t.org(), talent), HEADER)
    }

    /// A talent's windows and the set's version, in one Query.
    pub async fn read(&self, talent: &UserId) -> Result<WindowSet, RepoError> {
        let q = Query::partition(Index::Main, AvailabilityWindow::talent_pk(self.t.org(), talent))
            .sort(KeyCondition::BeginsWith(HEADER.into()));
        let mut set = WindowSet { windows: Vec::new(), version: 0 };
        for i in all_items(self.t, &q).await? {
            if item::key_of(&i)?.sk == HEADER {
                set.version = item::version_of(&i);
            } else {
                set.windows.push(item::from_item(i)?);
            }
        }
        Ok(set)
    }

    /// A talent's windows by start.
    pub async fn windows(&self, talent: &UserId) -> Result<Vec<AvailabilityWindow>, RepoError> {
        Ok(self.read(talent).await?.windows)
    }

    /// Replaces a talent's windows with `windows` (each stamped with the new version) if the set is
    /// still at version `expected`; answers the new version.
    pub async fn replace(
        &self,
        talent: &UserId,
        windows: &[AvailabilityWindow],
        expected: u64,
    ) -> Result<u64, RepoError> {
        if windows.len() > MAX_WINDOWS {
            return Err(RepoError::Conflict("too many availability windows"));
        }
        if windows.iter().any(|w| w.talent_id != *talent) {
            return Err(RepoError::Conflict("a window belongs to another talent"));
        }
        let version = expected + 1;
        let keep: Vec<Key> = windows.iter().map(Entity::key).collect();
        let current = self.read(talent).await?;
        let mut writes: Vec<Write> =
            current.windows.iter().map(Entity::key).filter(|k| !keep.contains(k)).map(Write::delete).collect();
        for w in windows {
            let w = AvailabilityWindow { version, ..w.clone() };
            writes.push(Write::put(item::to_item(&w)?));
        }
        let header = item::value_item(
            &self.header_key(talent),
            "availabilitySet",
            &json!({"talentId": talent, "version": version}),
        )?;
        let condition = if expected == 0 { Condition::NotExists } else { Condition::VersionIs(expected) };
        writes.push(Write { op: TransactOp::Put { item: header, condition }, on_conflict: OnConflict::Version });
        commit(self.t, writes).await?;
        Ok(version)
    }
}
