//! A Table adapter wrapper that counts the calls reaching the table, so tests can show that a
//! route costs a bounded number of store calls whatever the amount of data.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use podcastflow_domain::keys::Key;
use podcastflow_store::{Condition, Item, Query, QueryOutput, StoreError, StoredItem, Table, TransactOp, Update};

/// Counts every call and the items it read, then passes it on.
pub struct CountingTable {
    inner: Arc<dyn Table>,
    calls: AtomicUsize,
    items: AtomicUsize,
}

impl CountingTable {
    /// Wraps a table.
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self { inner, calls: AtomicUsize::new(0), items: AtomicUsize::new(0) }
    }

    /// Calls so far; resets the counts.
    pub fn take(&self) -> usize {
        self.take_with_items().0
    }

    /// Calls and the items they read so far; resets the counts.
    pub fn take_with_items(&self) -> (usize, usize) {
        (self.calls.swap(0, Ordering::SeqCst), self.items.swap(0, Ordering::SeqCst))
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }

    fn read(&self, items: usize) {
        self.items.fetch_add(items, Ordering::SeqCst);
    }
}

#[async_trait]
impl Table for CountingTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.count();
        let got = self.inner.get(key).await?;
        self.read(usize::from(got.is_some()));
        Ok(got)
    }
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.count();
        self.inner.put(item, condition).await
    }
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.count();
        self.inner.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        self.count();
        self.inner.delete(key, condition).await
    }
    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        self.count();
        let out = self.inner.query_stored(query).await?;
        self.read(out.items.len());
        Ok(out)
    }
    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        self.count();
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.count();
        let got = self.inner.batch_get(keys).await?;
        self.read(got.len());
        Ok(got)
    }
}
