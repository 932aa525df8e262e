//! [`FaultyTable`]: a table that fails on purpose, for tests of what a request does when the
//! backend misbehaves. It wraps any adapter (the embedded one in tests) and injects the faults of
//! a shared [`FaultPlan`]: throttling, hanging past every timeout, outages, transactions
//! cancelled part way, and writes applied whose answer is lost.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use podcastflow_domain::keys::Key;

use crate::{Condition, Item, Query, QueryOutput, StoreError, StoredItem, Table, TransactOp, Update};

/// The port operations, to aim a fault at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `get`.
    Get,
    /// `put`.
    Put,
    /// `update` (and `increment`).
    Update,
    /// `delete`.
    Delete,
    /// `query`.
    Query,
    /// `transact`.
    Transact,
    /// `batch_get`.
    BatchGet,
    /// `batch_write`.
    BatchWrite,
}

impl Op {
    /// Whether the operation only reads.
    pub fn is_read(self) -> bool {
        matches!(self, Op::Get | Op::Query | Op::BatchGet)
    }
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The backend throttles: nothing is done.
    Throttle,
    /// The call hangs (an hour) until the caller's timeout gives up on it: nothing is done.
    Hang,
    /// The backend fails: nothing is done.
    Outage,
    /// A transaction is cancelled because some of its items collided (DynamoDB's
    /// `TransactionCanceledException` with `TransactionConflict` among the reasons): none of it
    /// is applied, though other items of it were fine.
    CancelTransaction,
    /// The write is applied, then the answer is lost (the caller sees a timeout).
    LoseAnswer,
}

/// Which calls a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every call.
    Any,
    /// Reads only.
    Reads,
    /// Writes only.
    Writes,
    /// One operation.
    Only(Op),
}

impl Target {
    fn hits(self, op: Op) -> bool {
        match self {
            Target::Any => true,
            Target::Reads => op.is_read(),
            Target::Writes => !op.is_read(),
            Target::Only(o) => o == op,
        }
    }
}

#[derive(Debug)]
struct Rule {
    target: Target,
    fault: Fault,
    times: u32,
}

/// The faults still to inject, shared by the test and the table.
#[derive(Debug, Default)]
pub struct FaultPlan {
    rules: Mutex<Vec<Rule>>,
    injected: Mutex<u32>,
}

impl FaultPlan {
    /// A plan with no faults.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Injects `fault` into the next `times` calls `target` hits (after earlier rules run out).
    pub fn inject(&self, target: Target, fault: Fault, times: u32) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).push(Rule { target, fault, times });
    }

    /// Drops every fault still planned.
    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// How many faults were injected so far.
    pub fn injected(&self) -> u32 {
        *self.injected.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next(&self, op: Op) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let rule = rules.iter_mut().find(|r| r.times > 0 && r.target.hits(op))?;
        if rule.fault == Fault::CancelTransaction && op != Op::Transact {
            return None;
        }
        rule.times -= 1;
        *self.injected.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Some(rule.fault)
    }
}

/// A table injecting the faults of a plan into the calls it passes on.
pub struct FaultyTable {
    inner: Arc<dyn Table>,
    plan: Arc<FaultPlan>,
}

impl FaultyTable {
    /// Wraps `inner`; faults come from `plan`.
    pub fn new(inner: Arc<dyn Table>, plan: Arc<FaultPlan>) -> Self {
        Self { inner, plan }
    }

    /// The fault's failure before the call, if it is one that prevents the call.
    async fn before(&self, op: Op) -> Result<Option<Fault>, StoreError> {
        match self.plan.next(op) {
            None => Ok(None),
            Some(Fault::Throttle) => Err(StoreError::Throttled),
            Some(Fault::Outage) => Err(StoreError::Unavailable("injected outage".into())),
            Some(Fault::CancelTransaction) => Err(StoreError::TransactionContention),
            Some(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(StoreError::Timeout)
            }
            Some(f @ Fault::LoseAnswer) => Ok(Some(f)),
        }
    }

    /// The call's answer, or the timeout a lost answer looks like.
    fn after<T>(fault: Option<Fault>, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match (fault, result) {
            (Some(Fault::LoseAnswer), Ok(_)) => Err(StoreError::Timeout),
            (_, r) => r,
        }
    }
}

#[async_trait]
impl Table for FaultyTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let f = self.before(Op::Get).await?;
        Self::after(f, self.inner.get(key).await)
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        let f = self.before(Op::Put).await?;
        Self::after(f, self.inner.put(item, condition).await)
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        let f = self.before(Op::Update).await?;
        Self::after(f, self.inner.update(key, update, condition).await)
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        let f = self.before(Op::Delete).await?;
        Self::after(f, self.inner.delete(key, condition).await)
    }

    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        let f = self.before(Op::Query).await?;
        Self::after(f, self.inner.query_stored(query).await)
    }

    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        let f = self.before(Op::Transact).await?;
        Self::after(f, self.inner.transact(ops).await)
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let f = self.before(Op::BatchGet).await?;
        Self::after(f, self.inner.batch_get(keys).await)
    }

    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        let f = self.before(Op::BatchWrite).await?;
        Self::after(f, self.inner.batch_write(puts, deletes).await)
    }

    async fn increment(&self, key: &Key, attribute: &str, by: i64) -> Result<i64, StoreError> {
        let f = self.before(Op::Update).await?;
        Self::after(f, self.inner.increment(key, attribute, by).await)
    }
}
