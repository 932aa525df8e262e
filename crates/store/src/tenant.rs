//! A table handle confined to one organization: every key it reads or writes, every partition it
//! queries and every index key of every item it puts must start with `ORG#<orgId>#`, a platform
//! lookup key (`keys::lookup`, which its readers trust only for the item's own organization)
//! aside. A handler holding one cannot touch another tenant's data even through a bug.

use std::sync::Arc;

use async_trait::async_trait;
use podcastflow_domain::OrgId;
use podcastflow_domain::keys::{self, Index, Key, lookup, tenant_prefix};

use crate::condition::{Condition, Update};
use crate::cursor::{self, CursorCodec, Page};
use crate::item::{self, Item, StoredItem};
use crate::table::{Query, QueryOutput, StoreError, Table, TransactOp};

/// The table as seen by one tenant.
#[derive(Clone)]
pub struct TenantTable {
    inner: Arc<dyn Table>,
    org: OrgId,
    prefix: String,
    cursors: CursorCodec,
    /// Written as `requestId` on every item this handle puts or updates.
    request_id: Option<String>,
}

impl TenantTable {
    /// A handle on `inner` confined to `org`, signing cursors with `cursors`.
    pub fn new(inner: Arc<dyn Table>, org: OrgId, cursors: CursorCodec) -> Self {
        Self { inner, prefix: tenant_prefix(&org), org, cursors, request_id: None }
    }

    /// The same handle, stamping every item it puts or updates with the request that wrote it, so
    /// the change stream can tie each change to its request.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    fn stamp_item(&self, mut item: Item) -> Item {
        if let Some(rid) = &self.request_id {
            item.insert(keys::REQUEST_ID.to_owned(), serde_json::Value::String(rid.clone()));
        }
        item
    }

    /// The update as this handle writes it: stamped with the request, and dropping a restore's
    /// marks, so an item carries one only while the restore's own write is its last
    /// ([`podcastflow_domain::backup::made_by_restore`]; a put writes an item as its type has it,
    /// which is without them).
    fn stamp_update(&self, mut update: Update) -> Update {
        if let Some(rid) = &self.request_id {
            update.set.push((keys::REQUEST_ID.to_owned(), serde_json::Value::String(rid.clone())));
        }
        // An empty update stays empty, for the store to refuse.
        let empty = update.set.is_empty() && update.remove.is_empty() && update.add.is_empty();
        for mark in [keys::RESTORED_BY, keys::REMOVED_BY_RESTORE] {
            if !empty && !update.remove.iter().any(|r| r == mark) {
                update.remove.push(mark.to_owned());
            }
        }
        update
    }

    /// The tenant.
    pub fn org(&self) -> &OrgId {
        &self.org
    }

    /// The codec this handle signs cursors with (for repositories that page themselves).
    pub fn cursors(&self) -> &CursorCodec {
        &self.cursors
    }

    fn check_pk(&self, pk: &str) -> Result<(), StoreError> {
        if pk.starts_with(&self.prefix) {
            Ok(())
        } else {
            Err(StoreError::TenantViolation { key: pk.to_owned(), prefix: self.prefix.clone() })
        }
    }

    /// An index partition key an item of this tenant may carry on `index`.
    fn check_index_pk(&self, index: Index, pk: &str) -> Result<(), StoreError> {
        if index == lookup::INDEX && lookup::is_lookup(pk) { Ok(()) } else { self.check_pk(pk) }
    }

    fn check_item(&self, item: &Item) -> Result<(), StoreError> {
        self.check_pk(&item::key_of(item)?.pk)?;
        for index in Index::SECONDARY {
            let (p, _) = index.attributes();
            if let Some(v) = item.get(p) {
                // A non-string GSI key would keep the item out of the index; refuse it too.
                self.check_index_pk(index, v.as_str().unwrap_or_default())?;
            }
        }
        Ok(())
    }

    fn check_update(&self, key: &Key, update: &Update) -> Result<(), StoreError> {
        self.check_pk(&key.pk)?;
        for (name, value) in &update.set {
            if let Some(index) = Index::SECONDARY.into_iter().find(|i| i.attributes().0 == name) {
                self.check_index_pk(index, value.as_str().unwrap_or_default())?;
            }
        }
        Ok(())
    }

    /// One page of `query` for a client, continuing at `cursor` (signed and bound to the query).
    pub async fn page(&self, query: &Query, cursor: Option<&str>) -> Result<Page, StoreError> {
        self.check_pk(&query.partition)?;
        cursor::page(self, &self.cursors, query, cursor).await
    }
}

#[async_trait]
impl Table for TenantTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.check_pk(&key.pk)?;
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.check_item(&item)?;
        self.inner.put(self.stamp_item(item), condition).await
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.check_update(key, &update)?;
        self.inner.update(key, self.stamp_update(update), condition).await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        self.check_pk(&key.pk)?;
        self.inner.delete(key, condition).await
    }

    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        self.check_pk(&query.partition)?;
        if let Some(start) = &query.start_after {
            self.check_pk(item::str_attr(start, query.index.attributes().0).unwrap_or_default())?;
        }
        self.inner.query_stored(query).await
    }

    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        for op in &ops {
            match op {
                TransactOp::Put { item, .. } => self.check_item(item)?,
                TransactOp::Update { key, update, .. } => self.check_update(key, update)?,
                TransactOp::Delete { key, .. } | TransactOp::Check { key, .. } => self.check_pk(&key.pk)?,
            }
        }
        let ops = ops
            .into_iter()
            .map(|op| match op {
                TransactOp::Put { item, condition } => TransactOp::Put { item: self.stamp_item(item), condition },
                TransactOp::Update { key, update, condition } => {
                    TransactOp::Update { key, update: self.stamp_update(update), condition }
                }
                other => other,
            })
            .collect();
        self.inner.transact(ops).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        for k in keys {
            self.check_pk(&k.pk)?;
        }
        self.inner.batch_get(keys).await
    }

    /// Writes exactly the items given (no request id stamped: a restore puts back what was
    /// backed up), each checked to be inside the tenant, index keys included.
    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        for item in &puts {
            self.check_item(item)?;
        }
        for k in &deletes {
            self.check_pk(&k.pk)?;
        }
        self.inner.batch_write(puts, deletes).await
    }
}
