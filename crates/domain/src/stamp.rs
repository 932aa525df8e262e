//! The bookkeeping fields every entity carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::UserId;

/// Who created and last changed an entity, when, and its optimistic-concurrency version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stamp {
    /// When the entity was created.
    pub created_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: UserId,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Who last changed it.
    pub updated_by: UserId,
    /// Starts at 1 and grows by one on every write; `If-Match` compares against it.
    pub version: u64,
}

impl Stamp {
    /// The stamp of a newly created entity.
    pub fn created(by: UserId, at: DateTime<Utc>) -> Self {
        Self { created_at: at, created_by: by, updated_at: at, updated_by: by, version: 1 }
    }

    /// The stamp after one more write.
    pub fn touched(&self, by: UserId, at: DateTime<Utc>) -> Self {
        Self { updated_at: at, updated_by: by, version: self.version + 1, ..self.clone() }
    }
}
