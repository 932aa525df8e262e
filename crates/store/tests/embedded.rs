//! What only the embedded adapter promises: crash safety, TTL sweeping, feed wake-ups.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use podcastflow_domain::keys::{Index, Key};
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::{ChangeFeed, ChangeKind, Condition, Item, Query, Table};
use serde_json::json;

const CRASH_DIR: &str = "PODCASTFLOW_CRASH_WRITER_DIR";

fn item(v: serde_json::Value) -> Item {
    v.as_object().cloned().unwrap_or_default()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// Concurrent writers in the crash test, so that writes are committed in groups too.
const CRASH_WRITERS: u64 = 8;

/// The child's part: write items forever from [`CRASH_WRITERS`] tasks, acknowledging each
/// committed write on stdout.
fn crash_writer(dir: &str) {
    runtime().block_on(async {
        let t = EmbeddedTable::open(std::path::Path::new(dir)).expect("open");
        let writers = (0..CRASH_WRITERS).map(|w| {
            let t = t.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    let i = n * CRASH_WRITERS + w;
                    let sk = format!("{i:08}");
                    let it = item(json!({
                        "PK": "CRASH", "SK": sk, "GSI1PK": "CRASHLIST", "GSI1SK": sk, "payload": "x".repeat(2000)
                    }));
                    t.put(it, Condition::NotExists).await.expect("put");
                    println!("ACK {i}");
                }
            })
        });
        for w in writers.collect::<Vec<_>>() {
            w.await.expect("writer");
        }
    });
}

/// Concurrent writers (so commits are grouped too) killed with SIGKILL at an arbitrary point lose
/// no acknowledged write, and what is on disk is consistent: every item is in its index and has
/// exactly one change record.
#[test]
fn killed_writer_loses_no_acknowledged_write() {
    if let Ok(dir) = std::env::var(CRASH_DIR) {
        crash_writer(&dir);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["--exact", "killed_writer_loses_no_acknowledged_write", "--nocapture", "--test-threads=1"])
        .env(CRASH_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().expect("stdout");
    let mut acked = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(n) = line.strip_prefix("ACK ") {
            acked.push(n.parse::<u64>().expect("number"));
            if acked.len() >= 300 {
                break;
            }
        }
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(!acked.is_empty(), "the writer acknowledged writes");

    runtime().block_on(async {
        let t = EmbeddedTable::open(dir.path()).expect("reopen after the crash");
        let main = t.query(&Query::partition(Index::Main, "CRASH").limit(100_000)).await.expect("query");
        let listed = t.query(&Query::partition(Index::Gsi1, "CRASHLIST").limit(100_000)).await.expect("query index");
        let n = main.items.len() as u64;
        assert!(n >= acked.len() as u64, "{n} items stored, {} acknowledged", acked.len());
        assert_eq!(listed.items.len() as u64, n, "every item is in its index");
        for i in acked {
            assert!(
                t.get(&Key::new("CRASH", format!("{i:08}"))).await.expect("get").is_some(),
                "acknowledged write {i} lost"
            );
        }
        let feed = t.feed().read(None, 100_000).await.expect("feed");
        assert_eq!(feed.records.len() as u64, n, "one change record per committed write");
        // And the reopened table takes writes again.
        t.put(item(json!({"PK": "CRASH", "SK": "after"})), Condition::NotExists).await.expect("write after reopen");
    });
}

#[tokio::test]
async fn expired_items_are_swept_with_expired_change_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = EmbeddedTable::open(dir.path()).expect("open");
    let now = Utc::now().timestamp();
    t.put(
        item(json!({"PK": "T", "SK": "old", "expiresAt": now - 10, "GSI1PK": "L", "GSI1SK": "old"})),
        Condition::Always,
    )
    .await
    .unwrap();
    t.put(item(json!({"PK": "T", "SK": "new", "expiresAt": now + 3600})), Condition::Always).await.unwrap();
    t.put(item(json!({"PK": "T", "SK": "forever"})), Condition::Always).await.unwrap();
    // Moving the TTL later keeps an item alive.
    t.put(item(json!({"PK": "T", "SK": "renewed", "expiresAt": now - 5})), Condition::Always).await.unwrap();
    t.put(item(json!({"PK": "T", "SK": "renewed", "expiresAt": now + 60})), Condition::Always).await.unwrap();

    assert_eq!(t.sweep_expired(Utc::now()).await.unwrap(), 1);
    assert!(t.get(&Key::new("T", "old")).await.unwrap().is_none());
    assert!(t.query(&Query::partition(Index::Gsi1, "L")).await.unwrap().items.is_empty());
    for sk in ["new", "forever", "renewed"] {
        assert!(t.get(&Key::new("T", sk)).await.unwrap().is_some(), "{sk}");
    }
    let feed = t.feed().read(None, 100).await.unwrap();
    let last = feed.records.last().unwrap();
    assert_eq!((last.kind, last.expired, last.key.sk.as_str()), (ChangeKind::Remove, true, "old"));
    assert_eq!(feed.records.iter().filter(|r| r.expired).count(), 1);

    // A day later everything with a TTL is gone and the feed keeps only its last 24 hours.
    let later = Utc::now() + chrono::Duration::hours(25);
    assert_eq!(t.sweep_expired(later).await.unwrap(), 2);
    assert!(t.get(&Key::new("T", "forever")).await.unwrap().is_some());
    let kept = t.feed().read(None, 100).await.unwrap();
    assert!(kept.records.is_empty(), "{:?}", kept.records);
}

#[tokio::test]
async fn feed_consumers_are_woken_by_commits_and_resume_from_a_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = EmbeddedTable::open(dir.path()).expect("open");
    let mut rx = t.subscribe();
    let writer = t.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        writer.put(item(json!({"PK": "W", "SK": "1"})), Condition::Always).await.expect("put");
    });
    tokio::time::timeout(Duration::from_secs(5), rx.changed()).await.expect("woken in time").expect("sender alive");
    assert_eq!(*rx.borrow(), 1);
    let feed = t.feed();
    let first = feed.read(None, 10).await.unwrap();
    assert_eq!(first.records.len(), 1);
    t.put(item(json!({"PK": "W", "SK": "2"})), Condition::Always).await.unwrap();
    let next = feed.read(first.position.as_deref(), 10).await.unwrap();
    assert_eq!(next.records.iter().map(|r| r.key.sk.as_str()).collect::<Vec<_>>(), vec!["2"]);
    assert!(feed.read(Some("not-a-position"), 10).await.is_err());
    // A failed conditional write commits nothing and wakes nobody.
    let before = *t.subscribe().borrow();
    assert!(t.put(item(json!({"PK": "W", "SK": "2"})), Condition::NotExists).await.is_err());
    assert_eq!(*t.subscribe().borrow(), before);
}
