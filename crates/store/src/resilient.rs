//! [`ResilientTable`]: the timeouts and retries of every table call, the same over both adapters
//! (the DynamoDB client is built with one SDK attempt, so this is the one retry policy).
//!
//! Each attempt has a timeout. What is retried, with backoff and jitter:
//! - throttling and transaction contention, always: the backend wrote nothing;
//! - timeouts and outages of reads and of idempotent writes (`batch_write`), which are safe to
//!   repeat;
//! - never a timed-out conditional write, transaction or counter: it may have been applied, and a
//!   second attempt could apply it twice or fail its own condition. The caller gets `Timeout`,
//!   and the handler answers 503 so the client may retry with its idempotency key.
//!
//! Every call is counted in the request's scope ([`crate::calls`]).

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use podcastflow_domain::keys::Key;
use podcastflow_resilience::RetryPolicy;

use crate::calls;
use crate::{Condition, Item, Query, QueryOutput, StoreError, StoredItem, Table, TransactOp, Update};

/// A table whose calls time out and retry by [`RetryPolicy`].
pub struct ResilientTable {
    inner: Arc<dyn Table>,
    policy: RetryPolicy,
}

/// Whether a failed attempt may be made again.
#[derive(Clone, Copy)]
enum Repeat {
    /// Reads and unconditional bulk writes: any transient failure.
    Safe,
    /// Conditional writes: only when the backend certainly wrote nothing.
    NotIfUnknown,
}

impl ResilientTable {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: Arc<dyn Table>, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    async fn run<T, F, Fut>(&self, repeat: Repeat, mut attempt: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        calls::add_call();
        let mut n = 1;
        loop {
            let result =
                tokio::time::timeout(self.policy.attempt_timeout, attempt()).await.unwrap_or(Err(StoreError::Timeout));
            let retry = matches!(
                (&result, repeat),
                (Err(StoreError::Throttled | StoreError::TransactionContention), _)
                    | (Err(StoreError::Timeout | StoreError::Unavailable(_)), Repeat::Safe)
            );
            if !retry || n >= self.policy.attempts {
                return result;
            }
            if let Err(e) = &result {
                tracing::debug!(attempt = n, error = %e, "table call retried");
            }
            calls::add_retry();
            tokio::time::sleep(self.policy.backoff(n)).await;
            n += 1;
        }
    }
}

#[async_trait]
impl Table for ResilientTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.run(Repeat::Safe, || self.inner.get(key)).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.run(Repeat::NotIfUnknown, || self.inner.put(item.clone(), condition.clone())).await
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.run(Repeat::NotIfUnknown, || self.inner.update(key, update.clone(), condition.clone())).await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        self.run(Repeat::NotIfUnknown, || self.inner.delete(key, condition.clone())).await
    }

    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        self.run(Repeat::Safe, || self.inner.query_stored(query)).await
    }

    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        self.run(Repeat::NotIfUnknown, || self.inner.transact(ops.clone())).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.run(Repeat::Safe, || self.inner.batch_get(keys)).await
    }

    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        self.run(Repeat::Safe, || self.inner.batch_write(puts.clone(), deletes.clone())).await
    }

    async fn increment(&self, key: &Key, attribute: &str, by: i64) -> Result<i64, StoreError> {
        self.run(Repeat::NotIfUnknown, || self.inner.increment(key, attribute, by)).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::embedded::EmbeddedTable;
    use crate::fault::{Fault, FaultPlan, FaultyTable, Op, Target};

    const QUICK: RetryPolicy = RetryPolicy {
        attempts: 3,
        attempt_timeout: Duration::from_millis(100),
        first_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    };

    fn item(sk: &str) -> Item {
        json!({"PK": "T", "SK": sk, "n": 1}).as_object().cloned().unwrap_or_default()
    }

    fn key(sk: &str) -> Key {
        Key::new("T", sk)
    }

    /// The resilient table over a faulty one over the embedded adapter; also the bare adapter.
    fn tables() -> (tempfile::TempDir, Arc<FaultPlan>, ResilientTable, Arc<EmbeddedTable>) {
        let dir = tempfile::tempdir().unwrap();
        let raw = Arc::new(EmbeddedTable::open(dir.path()).unwrap());
        let plan = FaultPlan::new();
        let faulty = Arc::new(FaultyTable::new(raw.clone(), plan.clone()));
        (dir, plan, ResilientTable::new(faulty, QUICK), raw)
    }

    #[tokio::test]
    async fn throttling_is_retried_and_counted() {
        let (_d, plan, t, raw) = tables();
        plan.inject(Target::Writes, Fault::Throttle, 2);
        let ((), count) = calls::counted(async { t.put(item("a"), Condition::NotExists).await.unwrap() }).await;
        assert_eq!(count, calls::CallCount { calls: 1, retries: 2 });
        assert!(raw.get(&key("a")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn throttling_past_the_attempts_fails_with_nothing_written() {
        let (_d, plan, t, raw) = tables();
        plan.inject(Target::Any, Fault::Throttle, 3);
        assert!(matches!(t.put(item("a"), Condition::NotExists).await, Err(StoreError::Throttled)));
        assert_eq!(plan.injected(), 3);
        assert!(raw.get(&key("a")).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_hanging_read_times_out_and_is_retried() {
        let (_d, plan, t, raw) = tables();
        raw.put(item("a"), Condition::Always).await.unwrap();
        plan.inject(Target::Only(Op::Get), Fault::Hang, 2);
        assert!(t.get(&key("a")).await.unwrap().is_some());
        plan.inject(Target::Reads, Fault::Hang, 3);
        assert!(matches!(t.get(&key("a")).await, Err(StoreError::Timeout)));
    }

    #[tokio::test]
    async fn a_write_whose_answer_is_lost_is_not_repeated() {
        let (_d, plan, t, raw) = tables();
        plan.inject(Target::Writes, Fault::LoseAnswer, 1);
        let (r, count) = calls::counted(t.put(item("a"), Condition::NotExists)).await;
        // Repeating it would fail its own condition and call a success a conflict.
        assert!(matches!(r, Err(StoreError::Timeout)));
        assert_eq!(count.retries, 0);
        assert!(raw.get(&key("a")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_cancelled_transaction_writes_none_of_its_items() {
        let (_d, plan, t, raw) = tables();
        plan.inject(Target::Only(Op::Transact), Fault::CancelTransaction, 3);
        let ops = || {
            vec![
                TransactOp::Put { item: item("a"), condition: Condition::NotExists },
                TransactOp::Put { item: item("b"), condition: Condition::NotExists },
            ]
        };
        assert!(matches!(t.transact(ops()).await, Err(StoreError::TransactionContention)));
        assert!(raw.get(&key("a")).await.unwrap().is_none() && raw.get(&key("b")).await.unwrap().is_none());
        plan.inject(Target::Only(Op::Transact), Fault::CancelTransaction, 1);
        t.transact(ops()).await.unwrap();
        assert_eq!(raw.batch_get(&[key("a"), key("b")]).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn outside_a_scope_nothing_is_counted() {
        let (_d, _plan, t, _raw) = tables();
        t.get(&key("a")).await.unwrap();
        assert_eq!(calls::so_far(), calls::CallCount::default());
    }
}
