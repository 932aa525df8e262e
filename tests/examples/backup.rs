//! Backup and restore throughput through the local stack's embedded table and S3.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example backup -- [ITEMS]
//!
//! Writes ITEMS (default 100,000) items of one organization (about 300 bytes each, spread over the
//! tenant index's shards like real data): four in five campaigns, one in five activity entries.
//! Then it times the export (tenant index pages -> gzip JSON Lines -> multipart upload to the
//! local S3, manifest), a merge restore of all of it (checksum pass, decode, batch writes; the
//! activity entries added only where absent), and, after ITEMS/10 items more of the same mix are
//! written, a replace restore (the same, plus the newer campaigns marked and deleted). The items
//! are written as people's writes would be, unmarked, by a stack on the same data dir whose stream
//! function only takes the records off the stream: the timed stack's stream function, which runs
//! in the process, then sees only what the restores themselves write (and the stream's event
//! source drops those, as Lambda's does with the template's filters). Memory: the process's RSS
//! before each phase and its high-water RSS during it (reset with `/proc/self/clear_refs`); the
//! process also holds the local S3, the table and the stream function, so the job's own share is
//! the growth. The table goes to target/benchmarks/backup.md. `WITHOUT_STREAM=1` leaves the
//! stream function idle, to see the job without it.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use podcastflow_backup_job::{BackupJobApp, export, restore};
use podcastflow_domain::backup::{Backup, BackupKind, BackupStatus, Restore, RestoreGroup, RestoreMode};
use podcastflow_domain::keys::org_pk;
use podcastflow_domain::{BackupId, OrgId, UserId};
use podcastflow_store::repo::backups::BackupRepo;
use podcastflow_store::{Item, Table, TenantTable};
use podcastflow_tests::memory::{peak_rss_mb, reset_peak, rss_mb};
use podcastflow_tests::report;
use podcastflow_tests::stack::TestStack;
use serde_json::json;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("a data dir");
    let org = OrgId::new();
    let t0 = Instant::now();
    generate(dir.path(), &org, 0..n).await;
    println!("wrote {n} items in {:.1} s", t0.elapsed().as_secs_f64());
    let s = stack(dir.path(), None).await;
    let app = BackupJobApp { ctx: s.stack.services.ctx.clone(), objects: s.stack.services.backups.clone() };
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let b = Backup::queued(org, BackupKind::Manual, UserId::SYSTEM, chrono::Utc::now());
    BackupRepo::new(&t).create(&b).await.expect("backup record");
    reset_peak();
    let export_base = rss_mb();
    let t1 = Instant::now();
    export::run(&app, org, b.id, export::Deadline(None)).await.expect("export");
    let export_s = t1.elapsed().as_secs_f64();
    let export_peak = peak_rss_mb();
    let done = BackupRepo::new(&t).get(&b.id).await.expect("read").expect("record");
    assert_eq!(done.status, BackupStatus::Completed, "{:?}", done.error);

    let merge = restore_run(&app, &t, b.id, RestoreMode::Merge).await;
    // The table is released only when nothing holds it any more.
    drop((app, t));
    s.stop().await;
    generate(dir.path(), &org, n..n + n / 10).await;
    let s = stack(dir.path(), None).await;
    let app = BackupJobApp { ctx: s.stack.services.ctx.clone(), objects: s.stack.services.backups.clone() };
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let replace = restore_run(&app, &t, b.id, RestoreMode::Replace).await;
    let newer_campaigns = (n..n + n / 10).filter(|i| !i.is_multiple_of(5)).count();
    assert_eq!(replace.deleted, newer_campaigns as u64, "the newer campaigns are gone, the log stays");

    let size_mb = done.size_bytes.unwrap_or(0) as f64 / 1_048_576.0;
    let mut table = format!(
        "Backup of one organization's {n} items and its restores\n\n\
         | phase | items | seconds | items/s | file | RSS before | peak RSS |\n|---|---:|---:|---:|---|---:|---:|\n\
         | export | {n} | {export_s:.2} | {:.0} | {size_mb:.1} MB gzip | {export_base:.0} MB | {export_peak:.0} MB |\n",
        n as f64 / export_s,
    );
    for (mode, r) in [("merge", &merge), ("replace", &replace)] {
        table.push_str(&format!(
            "| restore ({mode}; {} deleted) | {n} | {:.2} | {:.0} | | {:.0} MB | {:.0} MB |\n",
            r.deleted,
            r.seconds,
            n as f64 / r.seconds,
            r.rss_before,
            r.rss_peak
        ));
    }
    s.stop().await;
    if let Err(e) = report::write("backup", &table) {
        eprintln!("could not write the table: {e}");
    }
}

/// A stack on `dir` whose backup job does nothing: it would pick up the queued backup and
/// restore from the change stream and race the runs timed here. With `generating`, the stream
/// function only counts the records it is handed (as does `WITHOUT_STREAM`, without counting).
async fn stack(dir: &Path, generating: Option<Arc<AtomicUsize>>) -> TestStack {
    let idle = podcastflow_local::functions::event(|_: lambda_http::LambdaEvent<serde_json::Value>| async {
        Ok::<_, lambda_http::Error>(())
    });
    let mut config = TestStack::config(dir);
    config.event_functions.insert("BackupJobFunction".into(), idle.clone());
    if let Some(seen) = generating {
        let counting = podcastflow_local::functions::event(move |e: lambda_http::LambdaEvent<serde_json::Value>| {
            let records = e.payload["Records"].as_array().map_or(0, Vec::len);
            seen.fetch_add(records, Ordering::SeqCst);
            async { Ok::<_, lambda_http::Error>(()) }
        });
        config.event_functions.insert("StreamFunction".into(), counting);
    } else if std::env::var_os("WITHOUT_STREAM").is_some() {
        config.event_functions.insert("StreamFunction".into(), idle);
    }
    TestStack::start_in(config).await
}

/// Writes the items `range` of the organization as people's writes (no restore's mark), on a
/// stack whose stream function takes them off the stream without working on them, and stops it
/// once they are all taken: the stack timed next starts from there.
async fn generate(dir: &Path, org: &OrgId, range: Range<usize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let s = stack(dir, Some(seen.clone())).await;
    let count = range.len();
    write(&s, range.map(|i| item(org, i))).await;
    // The stack's own start-up writes are on the stream too: wait until it is quiet.
    let mut last = usize::MAX;
    while seen.load(Ordering::SeqCst) < count || seen.load(Ordering::SeqCst) != last {
        last = seen.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    s.stop().await;
}

/// Item `i` of the generated organization: a campaign, or every fifth an activity entry.
fn item(org: &OrgId, i: usize) -> Item {
    let item = if i.is_multiple_of(5) {
        json!({"PK": org_pk(org, format!("ACTIVITY#{i:07}")), "SK": "PROFILE", "entityType": "activity",
            "id": format!("a{i:07}"), "action": "campaign.updated", "actorId": UserId::new(),
            "entity": {"type": "campaign", "id": format!("c{}", i % 977)},
            "changes": {"name": {"from": "Spring push", "to": "Spring push 2027"}},
            "at": "2026-11-22T10:00:00Z", "version": 1})
    } else {
        json!({"PK": org_pk(org, format!("CAMPAIGN#c{i:07}")), "SK": "PROFILE", "entityType": "campaign",
            "id": format!("c{i:07}"), "name": format!("Spring push {i}"), "status": "draft",
            "ownerId": UserId::new(), "probability": 10, "archived": false,
            "updatedAt": "2026-11-22T10:00:00.000Z", "updatedBy": UserId::new(), "version": 1})
    };
    item.as_object().cloned().unwrap_or_default()
}

/// Writes the items straight to the table, 1,000 at a time.
async fn write(s: &TestStack, items: impl Iterator<Item = Item>) {
    let items: Vec<Item> = items.collect();
    for chunk in items.chunks(1000) {
        s.stack.table.batch_write(chunk.to_vec(), Vec::new()).await.expect("bulk write");
    }
}

/// What one timed restore did.
struct Timed {
    seconds: f64,
    deleted: u64,
    rss_before: f64,
    rss_peak: f64,
}

/// Queues a restore of the campaigns and the activity log in `mode` on the backup and runs it.
async fn restore_run(app: &BackupJobApp, t: &TenantTable, id: BackupId, mode: RestoreMode) -> Timed {
    let repo = BackupRepo::new(t);
    let current = repo.get(&id).await.expect("read").expect("record");
    let mut queued = current.clone();
    queued.restore = Some(Restore {
        entities: vec![RestoreGroup::Campaigns, RestoreGroup::Activities],
        mode,
        status: BackupStatus::Queued,
        progress: 0,
        restored: Default::default(),
        deleted: Default::default(),
        error: None,
        requested_by: UserId::SYSTEM,
        requested_at: chrono::Utc::now(),
    });
    queued.stamp = current.stamp.touched(UserId::SYSTEM, chrono::Utc::now());
    repo.update(&queued, current.stamp.version).await.expect("queue restore");
    reset_peak();
    let rss_before = rss_mb();
    let t0 = Instant::now();
    restore::run(app, *t.org(), id).await.expect("restore");
    let seconds = t0.elapsed().as_secs_f64();
    let rss_peak = peak_rss_mb();
    let r = repo.get(&id).await.expect("read").expect("record").restore.expect("restore state");
    assert_eq!(r.status, BackupStatus::Completed, "{:?}", r.error);
    Timed { seconds, deleted: r.deleted.values().sum(), rss_before, rss_peak }
}
