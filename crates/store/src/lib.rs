//! The single-table port and its two adapters, and the repositories built on it.
//!
//! - [`table`]: the [`Table`] port: get, put, update, delete, query, transact, batch get,
//!   atomic counters, with typed [`Condition`]s and [`Update`]s (no expression strings here).
//! - [`feed`]: the change feed (insert, modify, remove with old and new images), and
//!   [`lambda_event`]: the same records as the DynamoDB stream events Lambda delivers.
//! - [`cursor`]: opaque, signed pagination cursors bound to the query they came from.
//! - [`tenant`]: [`TenantTable`], a handle that refuses any key outside one organization.
//! - [`embedded`]: the redb adapter (local stack, unit tests): ACID, crash-safe, in-process feed.
//! - [`dynamo`]: the DynamoDB adapter (aws-sdk-dynamodb + serde_dynamo) and its Streams feed.
//! - [`repo`]: repositories per aggregate on top of the port.
//! - [`resilient`]: timeouts and retries of every call, over either adapter, counted per request
//!   ([`calls`]); [`fault`]: a wrapper that injects failures, for tests.

pub mod calls;
pub mod condition;
pub mod cursor;
pub mod dynamo;
pub mod embedded;
#[cfg(any(test, feature = "fault"))]
pub mod fault;
pub mod feed;
pub mod item;
pub mod lambda_event;
pub mod repo;
pub mod resilient;
pub mod table;
pub mod tenant;

pub use condition::{Condition, Update};
pub use cursor::{CursorCodec, Page};
pub use feed::{ChangeBatch, ChangeFeed, ChangeKind, ChangeRecord};
pub use item::{Item, StoredItem};
pub use resilient::ResilientTable;
pub use table::{KeyCondition, Query, QueryOutput, StoreError, Table, TransactOp};
pub use tenant::TenantTable;
