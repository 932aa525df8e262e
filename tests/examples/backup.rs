//! Backup and restore throughput through the local stack's embedded table and S3.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example backup -- [ITEMS]
//!
//! Writes ITEMS (default 100,000) items of one organization (about 300 bytes each, spread over the
//! tenant index's shards like real data): four in five campaigns, one in five activity entries.
//! Then it times the export (tenant index pages -> gzip JSON Lines -> multipart upload to the
//! local S3, manifest), a merge restore of all of it (checksum pass, decode, batch writes; the
//! activity entries added only where absent), and, after ITEMS/10 items more of the same mix are
//! written, a replace restore (the same, plus the newer campaigns marked and deleted). The
//! generated items carry a restore's mark, so the stream function, which runs in the process,
//! passes over them as it does over the restores' writes. Memory: the process's RSS before each
//! phase and its high-water RSS during it (reset with `/proc/self/clear_refs`); the process also
//! holds the local S3, the table and the stream function, so the job's own share is the growth.
//! The table goes to target/benchmarks/backup.md. `WITHOUT_STREAM=1` leaves the stream function
//! idle, to see the job without it.

use std::time::Instant;

use podcastflow_backup_job::{BackupJobApp, export, restore};
use podcastflow_domain::backup::{Backup, BackupKind, BackupStatus, Restore, RestoreGroup, RestoreMode};
use podcastflow_domain::keys::{RESTORED_BY, org_pk};
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
    // The stack's own backup job would pick up the queued backup and restore from the change
    // stream and race the runs timed here: it does nothing in this process.
    let idle = podcastflow_local::functions::event(|_: lambda_http::LambdaEvent<serde_json::Value>| async {
        Ok::<_, lambda_http::Error>(())
    });
    let without_stream = std::env::var_os("WITHOUT_STREAM").is_some();
    let s = TestStack::with_config(move |cfg| {
        cfg.event_functions.insert("BackupJobFunction".into(), idle.clone());
        if without_stream {
            cfg.event_functions.insert("StreamFunction".into(), idle);
        }
    })
    .await;
    let org = OrgId::new();
    let t0 = Instant::now();
    write(&s, (0..n).map(|i| item(&org, i))).await;
    println!("wrote {n} items in {:.1} s", t0.elapsed().as_secs_f64());

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
    write(&s, (n..n + n / 10).map(|i| item(&org, i))).await;
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

/// Item `i` of the generated organization: a campaign, or every fifth an activity entry, carrying a
/// restore's mark so the stream function passes over it.
fn item(org: &OrgId, i: usize) -> Item {
    let mut item = if i.is_multiple_of(5) {
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
    item[RESTORED_BY] = json!("generated");
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
