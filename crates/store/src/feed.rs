//! The change feed: every committed write as a record with old and new images, in order per item.
//! Locally it comes from the embedded store; in AWS from DynamoDB Streams.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use podcastflow_domain::keys::Key;
use serde::{Deserialize, Serialize};

use crate::item::Item;
use crate::table::StoreError;

/// What happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeKind {
    /// Created.
    Insert,
    /// Changed.
    Modify,
    /// Deleted (by a request or by TTL expiry).
    Remove,
}

/// One change of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRecord {
    /// Position in the feed: strictly increasing per item, comparable within one shard.
    pub sequence: String,
    /// Insert, modify or remove.
    pub kind: ChangeKind,
    /// The item's key.
    pub key: ChangeKey,
    /// The item before (modify, remove).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_image: Option<Item>,
    /// The item after (insert, modify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_image: Option<Item>,
    /// When it happened (approximately, as DynamoDB Streams reports it).
    pub at: DateTime<Utc>,
    /// Whether the table removed it because its TTL passed.
    #[serde(default)]
    pub expired: bool,
}

/// A key in serializable form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeKey {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl From<&Key> for ChangeKey {
    fn from(k: &Key) -> Self {
        Self { pk: k.pk.clone(), sk: k.sk.clone() }
    }
}

/// A batch of records and the position to continue from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangeBatch {
    /// Records in feed order.
    pub records: Vec<ChangeRecord>,
    /// Opaque position after the last record; pass it to the next read.
    pub position: Option<String>,
}

/// A reader of the change feed.
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Reads up to `limit` records after `position` (from the oldest retained when `None`).
    async fn read(&self, position: Option<&str>, limit: usize) -> Result<ChangeBatch, StoreError>;
}
