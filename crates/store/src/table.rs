//! The Table port: what every adapter of the single table provides.

use std::collections::HashSet;

use async_trait::async_trait;
use podcastflow_domain::keys::{Index, Key};
use thiserror::Error;

use crate::condition::{Condition, Update};
use crate::item::{Item, StoredItem};

/// Most items one transaction may write (DynamoDB's limit, enforced by both adapters).
pub const MAX_TRANSACT_ITEMS: usize = 100;

/// Why a table operation failed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StoreError {
    /// The write's condition did not hold; nothing was written.
    #[error("the condition on {key} did not hold")]
    ConditionFailed {
        /// The key whose condition failed.
        key: Key,
    },
    /// A transaction was cancelled because one item's condition did not hold; nothing was written.
    #[error("transaction cancelled: item {index} ({key}) failed its condition")]
    TransactionConflict {
        /// Position of the failing operation in the request.
        index: usize,
        /// Its key.
        key: Key,
    },
    /// A concurrent transaction touched the same items; retrying may succeed.
    #[error("transaction collided with a concurrent one")]
    TransactionContention,
    /// A key outside the tenant was used through a tenant handle. Always a bug, never client input.
    #[error("key {key} is outside tenant {prefix}")]
    TenantViolation {
        /// The offending key.
        key: String,
        /// The tenant prefix.
        prefix: String,
    },
    /// The credentials in use may not do this (IAM in AWS, the template's policies locally).
    /// Always a bug: the code reached past what its role or tenant session allows.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// A pagination cursor was forged, altered, or used with another query.
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// The request is malformed (empty update, key change, too large, duplicate keys).
    #[error("invalid store request: {0}")]
    InvalidRequest(String),
    /// Stored data does not decode; a bug or a corrupted item.
    #[error("corrupt item: {0}")]
    Corrupt(String),
    /// The backend asked us to slow down and retries ran out.
    #[error("throttled by the table")]
    Throttled,
    /// The backend did not answer in time; a write's outcome is unknown.
    #[error("the table did not answer in time")]
    Timeout,
    /// The backend is unreachable or failed: an outage, not a client error.
    #[error("table unavailable: {0}")]
    Unavailable(String),
}

/// A condition on the sort key of an index within one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCondition {
    /// Equal.
    Eq(String),
    /// Starts with.
    BeginsWith(String),
    /// Between, both ends inclusive.
    Between(String, String),
    /// Less than.
    Lt(String),
    /// Less than or equal.
    Le(String),
    /// Greater than.
    Gt(String),
    /// Greater than or equal.
    Ge(String),
}

/// A Query: one partition of one index, optionally narrowed by sort key, in one direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The index (main table or a GSI).
    pub index: Index,
    /// The partition key value.
    pub partition: String,
    /// The sort key condition.
    pub sort: Option<KeyCondition>,
    /// Ascending sort key order when true.
    pub forward: bool,
    /// At most this many items.
    pub limit: u32,
    /// Continue after this position (an item's key attributes in this index), exclusive.
    pub start_after: Option<Item>,
}

impl Query {
    /// All items of a partition, ascending, up to 1000.
    pub fn partition(index: Index, partition: impl Into<String>) -> Self {
        Self { index, partition: partition.into(), sort: None, forward: true, limit: 1000, start_after: None }
    }

    /// Narrows by sort key.
    pub fn sort(mut self, c: KeyCondition) -> Self {
        self.sort = Some(c);
        self
    }

    /// Descending order.
    pub fn reverse(mut self) -> Self {
        self.forward = false;
        self
    }

    /// Caps the number of items.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = n;
        self
    }
}

/// One page of query results: items (as [`Item`]s, or as [`StoredItem`]s still to be decoded).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput<I = Item> {
    /// The items, in query order.
    pub items: Vec<I>,
    /// Where the next page starts, when the query stopped before the end of its range.
    pub last_key: Option<Item>,
}

impl<I> Default for QueryOutput<I> {
    fn default() -> Self {
        Self { items: Vec::new(), last_key: None }
    }
}

impl QueryOutput<StoredItem> {
    /// The page with its items decoded into [`Item`]s.
    pub fn into_items(self) -> Result<QueryOutput, StoreError> {
        let items = self.items.into_iter().map(StoredItem::into_item).collect::<Result<_, _>>()?;
        Ok(QueryOutput { items, last_key: self.last_key })
    }
}

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum TransactOp {
    /// Put an item.
    Put {
        /// The item.
        item: Item,
        /// Condition on the current item at its key.
        condition: Condition,
    },
    /// Update an item.
    Update {
        /// Its key.
        key: Key,
        /// The changes.
        update: Update,
        /// Condition on the current item.
        condition: Condition,
    },
    /// Delete an item.
    Delete {
        /// Its key.
        key: Key,
        /// Condition on the current item.
        condition: Condition,
    },
    /// Only check a condition.
    Check {
        /// The key.
        key: Key,
        /// The condition.
        condition: Condition,
    },
}

impl TransactOp {
    /// The key this operation touches.
    pub fn key(&self) -> Result<Key, StoreError> {
        match self {
            TransactOp::Put { item, .. } => crate::item::key_of(item),
            TransactOp::Update { key, .. } | TransactOp::Delete { key, .. } | TransactOp::Check { key, .. } => {
                Ok(key.clone())
            }
        }
    }
}

/// The single table. Every write is atomic; conditions are evaluated against the stored item.
#[async_trait]
pub trait Table: Send + Sync {
    /// Reads one item (strongly consistent).
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// Writes a whole item if the condition holds.
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError>;

    /// Updates attributes if the condition holds; returns the item as written.
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError>;

    /// Deletes an item if the condition holds; returns what was deleted.
    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError>;

    /// Reads one page of a partition of an index, its items as the adapter read them (lists decode
    /// them straight into their entities). Every adapter and wrapper implements this one; none
    /// overrides [`Table::query`], so a wrapper's checks cannot be gone around.
    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError>;

    /// Reads one page of a partition of an index as items.
    async fn query(&self, query: &Query) -> Result<QueryOutput, StoreError> {
        self.query_stored(query).await?.into_items()
    }

    /// Applies all operations or none; a failed condition names the operation.
    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError>;

    /// Reads many items by key; missing ones are left out, order is not kept.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;

    /// Puts and deletes many items unconditionally, each on its own (not a transaction): bulk
    /// work such as restores. Items are written exactly as given. Adapters retry what the
    /// backend leaves unprocessed, with backoff; `Throttled` when it stays so.
    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        for item in puts {
            self.put(item, Condition::Always).await?;
        }
        for key in deletes {
            self.delete(&key, Condition::Always).await?;
        }
        Ok(())
    }

    /// Atomically adds to a numeric attribute (creating the item if needed); returns the new value.
    async fn increment(&self, key: &Key, attribute: &str, by: i64) -> Result<i64, StoreError> {
        let item = self.update(key, Update::new().add(attribute, by), Condition::Always).await?;
        item.get(attribute)
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| StoreError::Corrupt(format!("counter {attribute} is not an integer")))
    }
}

/// The distinct keys of a batch, in first-seen order.
pub(crate) fn dedupe(keys: &[Key]) -> Vec<Key> {
    let mut seen = HashSet::new();
    keys.iter().filter(|k| seen.insert((*k).clone())).cloned().collect()
}

/// Refuses transactions DynamoDB refuses: empty, too many items, one key twice, bad updates.
pub(crate) fn check_transaction(ops: &[TransactOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACT_ITEMS {
        return Err(StoreError::InvalidRequest(format!("a transaction holds 1 to {MAX_TRANSACT_ITEMS} operations")));
    }
    let mut seen = HashSet::new();
    for op in ops {
        if !seen.insert(op.key()?) {
            return Err(StoreError::InvalidRequest("a transaction cannot touch one item twice".into()));
        }
        if let TransactOp::Update { update, .. } = op {
            update.check()?;
        }
    }
    Ok(())
}
