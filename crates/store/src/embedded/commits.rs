//! Group commit: writes that arrive together share one redb transaction and one fsync.
//!
//! redb has one writer at a time and makes each commit durable with fsync, so N concurrent
//! writes used to wait for N fsyncs in a row: a burst of 50 WebSocket connects on a busy disk
//! outlasted the table's 2 s attempt timeout. Now the first write to find no commit under way
//! leads: on the blocking pool it takes every queued write, runs them in arrival order in one
//! transaction (each sees the ones before it, as if they had run one after another), commits
//! once and answers each; then it takes what queued meanwhile, until the queue is empty.
//!
//! A write that fails (its condition, an update that does not apply, an item too large) must
//! neither fail the others nor leave its partial writes behind, so such a group is abandoned
//! and each of its writes runs again in a transaction of its own: each gets exactly the answer
//! it would have had alone. Nobody is answered before the commit that holds their write.

use std::sync::{Arc, Mutex, Weak};

use redb::Database;
use tokio::sync::{oneshot, watch};

use super::{Writer, unavailable};
use crate::table::StoreError;

/// One queued write: runs against a transaction (again, if its group is abandoned), then is
/// told how its transaction ended.
trait Job: Send {
    /// Makes the write; an error abandons the transaction.
    fn run(&mut self, w: &mut Writer<'_>) -> Result<(), StoreError>;
    /// Answers the writer: `Ok` once the transaction holding the write has committed.
    fn settle(self: Box<Self>, outcome: Result<(), StoreError>);
}

/// A write with its closure, the result of its last run and the writer's answer channel.
struct Pending<T, F> {
    write: F,
    out: Option<T>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnMut(&mut Writer<'_>) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, w: &mut Writer<'_>) -> Result<(), StoreError> {
        self.out = Some((self.write)(w)?);
        Ok(())
    }

    fn settle(self: Box<Self>, outcome: Result<(), StoreError>) {
        let out = self.out;
        let answer = outcome.and_then(|()| out.ok_or_else(|| unavailable("a write was answered without running")));
        // The writer may have stopped waiting (its caller timed out); the write stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// The writes waiting for a commit, whether a leader is taking them, and the counts.
#[derive(Default)]
struct Queue {
    jobs: Vec<Box<dyn Job>>,
    leading: bool,
    stats: CommitStats,
}

/// How many writes were made and in how many committed transactions: their ratio is how much
/// group commit saved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CommitStats {
    /// Writes asked for, failed ones included.
    pub writes: u64,
    /// Transactions committed.
    pub transactions: u64,
}

/// The group-commit queue of one database.
#[derive(Default, Clone)]
pub(super) struct Commits {
    queue: Arc<Mutex<Queue>>,
}

impl Commits {
    /// Makes `write` in a transaction with whatever else is queued, and answers once committed.
    pub(super) async fn write<T, F>(
        &self,
        db: &Arc<Database>,
        latest: &Arc<watch::Sender<u64>>,
        write: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut Writer<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let lead = {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.jobs.push(Box::new(Pending { write, out: None, reply }));
            q.stats.writes += 1;
            !std::mem::replace(&mut q.leading, true)
        };
        if lead {
            let leader = Leader { commits: self.clone(), done: false };
            let (db, latest) = (Arc::downgrade(db), latest.clone());
            // Not awaited: the leader answers this write through its channel like every other.
            drop(tokio::task::spawn_blocking(move || leader.run(&db, &latest)));
        }
        answer.await.map_err(|_| unavailable("the write was dropped before it was committed"))?
    }

    /// The counts so far.
    pub(super) fn stats(&self) -> CommitStats {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).stats
    }

    fn committed(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).stats.transactions += 1;
    }

    /// Takes every queued write, or ends the lead when none is left.
    fn next_group(&self) -> Option<Vec<Box<dyn Job>>> {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.jobs.is_empty() {
            q.leading = false;
            return None;
        }
        Some(std::mem::take(&mut q.jobs))
    }
}

/// The lead, held by the blocking task that commits; dropped without finishing (the task never
/// ran because the runtime shut down, or a panic), it gives the lead up so the next write leads.
struct Leader {
    commits: Commits,
    done: bool,
}

impl Leader {
    /// Commits groups until the queue is empty. The database is held only while committing and
    /// released before anyone is answered, so a caller that closes the table on its answer can
    /// open the file again at once.
    fn run(mut self, db: &Weak<Database>, latest: &watch::Sender<u64>) {
        while let Some(group) = self.commits.next_group() {
            let settled = match db.upgrade() {
                Some(db) => commit_group(&db, latest, &self.commits, group),
                None => group.into_iter().map(|job| (job, Err(unavailable("the table was closed")))).collect(),
            };
            for (job, outcome) in settled {
                job.settle(outcome);
            }
        }
        self.done = true;
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        if !self.done {
            self.commits.queue.lock().unwrap_or_else(|p| p.into_inner()).leading = false;
        }
    }
}

/// The outcome of each write of a group.
type Settled = Vec<(Box<dyn Job>, Result<(), StoreError>)>;

/// Commits `group` together if every write in it succeeds, else each write alone.
fn commit_group(
    db: &Database,
    latest: &watch::Sender<u64>,
    commits: &Commits,
    mut group: Vec<Box<dyn Job>>,
) -> Settled {
    if group.len() > 1
        && let Ok(seq) = transaction(db, &mut group)
    {
        commits.committed();
        announce(latest, seq);
        return group.into_iter().map(|job| (job, Ok(()))).collect();
    }
    group
        .into_iter()
        .map(|mut job| {
            let outcome = transaction(db, std::slice::from_mut(&mut job));
            if let Ok(seq) = outcome {
                commits.committed();
                announce(latest, seq);
            }
            (job, outcome.map(drop))
        })
        .collect()
}

/// Runs `jobs` in order in one write transaction and commits it; returns the change sequence
/// reached. Any error aborts the whole transaction.
fn transaction(db: &Database, jobs: &mut [Box<dyn Job>]) -> Result<u64, StoreError> {
    let txn = db.begin_write().map_err(unavailable)?;
    let seq = {
        let mut w = Writer::open(&txn)?;
        for job in jobs.iter_mut() {
            job.run(&mut w)?;
        }
        w.finish(&txn)?
    };
    txn.commit().map_err(unavailable)?;
    Ok(seq)
}

/// Tells the feed's readers how far the table has got.
fn announce(latest: &watch::Sender<u64>, seq: u64) {
    latest.send_if_modified(|cur| {
        let changed = *cur != seq;
        *cur = seq;
        changed
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::super::EmbeddedTable;
    use crate::{Condition, Item, Table};
    use podcastflow_domain::keys::Key;

    fn item(sk: &str) -> Item {
        json!({"PK": "G", "SK": sk, "n": 1}).as_object().cloned().unwrap_or_default()
    }

    /// Holds redb's one write transaction while `writes` concurrent writes queue behind it, then
    /// lets them through: they are certain to meet in the queue. Returns their outcomes in order.
    async fn queued_behind_a_commit<F>(t: &EmbeddedTable, writes: Vec<F>) -> Vec<Result<(), crate::StoreError>>
    where
        F: std::future::Future<Output = Result<(), crate::StoreError>> + Send + 'static,
    {
        let before = t.commit_stats().writes;
        let n = writes.len() as u64;
        let blocker = t.db.begin_write().expect("hold the writer");
        let tasks: Vec<_> = writes.into_iter().map(tokio::spawn).collect();
        for _ in 0..10_000 {
            if t.commit_stats().writes == before + n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(t.commit_stats().writes, before + n, "every write queued");
        drop(blocker);
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.expect("write task"));
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_queued_behind_a_commit_share_the_next_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = EmbeddedTable::open(dir.path()).expect("open");
        let writes = (0..32)
            .map(|i| {
                let t = t.clone();
                async move { t.put(item(&format!("{i:02}")), Condition::NotExists).await }
            })
            .collect();
        let outcomes = queued_behind_a_commit(&t, writes).await;
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
        // The first write may have been taken alone before the others queued; the rest share one.
        let stats = t.commit_stats();
        assert_eq!(stats.writes, 32);
        assert!(stats.transactions <= 2, "{stats:?}");
        let feed = crate::ChangeFeed::read(&t.feed(), None, 100).await.expect("feed");
        assert_eq!(feed.records.len(), 32, "one change record per write");
        for i in 0..32 {
            assert!(t.get(&Key::new("G", format!("{i:02}"))).await.expect("get").is_some(), "{i}");
        }
        drop(t);
        let reopened = EmbeddedTable::open(dir.path()).expect("reopen");
        assert!(reopened.get(&Key::new("G", "31")).await.expect("get").is_some(), "committed to disk");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_that_fails_in_a_group_fails_alone_and_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = EmbeddedTable::open(dir.path()).expect("open");
        t.put(item("taken"), Condition::NotExists).await.expect("setup");
        let mut writes: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>> = Vec::new();
        for i in 0..10 {
            let t = t.clone();
            writes.push(Box::pin(async move { t.put(item(&format!("ok{i}")), Condition::NotExists).await }));
        }
        let taken = t.clone();
        writes.push(Box::pin(async move { taken.put(item("taken"), Condition::NotExists).await }));
        // A batch that writes its first item and then fails on its second, inside the group.
        let partial = t.clone();
        let mut huge = item("huge");
        huge.insert("blob".into(), json!("x".repeat(500 * 1024)));
        writes.push(Box::pin(async move { partial.batch_write(vec![item("first"), huge], vec![]).await }));
        for i in 10..20 {
            let t = t.clone();
            writes.push(Box::pin(async move { t.put(item(&format!("ok{i}")), Condition::NotExists).await }));
        }
        let outcomes = queued_behind_a_commit(&t, writes).await;
        for (i, outcome) in outcomes.iter().enumerate() {
            match i {
                10 => assert!(matches!(outcome, Err(crate::StoreError::ConditionFailed { .. })), "{outcome:?}"),
                11 => assert!(matches!(outcome, Err(crate::StoreError::InvalidRequest(_))), "{outcome:?}"),
                _ => assert!(outcome.is_ok(), "write {i}: {outcome:?}"),
            }
        }
        assert!(t.get(&Key::new("G", "first")).await.expect("get").is_none(), "the failed batch left nothing");
        for i in 0..20 {
            assert!(t.get(&Key::new("G", format!("ok{i}"))).await.expect("get").is_some(), "ok{i}");
        }
        let feed = crate::ChangeFeed::read(&t.feed(), None, 100).await.expect("feed");
        assert_eq!(feed.records.len(), 21, "the setup and the 20 writes that succeeded");
        let sequences: Vec<u64> = feed.records.iter().map(|r| r.sequence.parse().expect("number")).collect();
        assert!(sequences.windows(2).all(|w| w[1] == w[0] + 1), "no gaps or repeats: {sequences:?}");
    }
}
