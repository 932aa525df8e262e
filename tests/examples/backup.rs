//! Backup and restore throughput through the local stack's embedded table and S3.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example backup -- [ITEMS]
//!
//! Writes ITEMS (default 100,000) items of one organization (about 300 bytes each, spread over the
//! tenant index's shards like real data), then times the export (tenant index pages -> gzip JSON
//! Lines -> multipart upload to the local S3, manifest) and a merge restore of all of it (checksum
//! pass, decode, batch writes). Memory: the process's RSS before each phase and its high-water RSS
//! during it (reset with `/proc/self/clear_refs`); the process also holds the local S3, the table
//! and the stream function working through the bulk write, so the job's own share is the growth.
//! The table goes to target/benchmarks/backup.md.

use std::time::Instant;

use podcastflow_backup_job::{BackupJobApp, export, restore};
use podcastflow_domain::backup::{Backup, BackupKind, BackupStatus, Restore, RestoreGroup, RestoreMode};
use podcastflow_domain::keys::org_pk;
use podcastflow_domain::{OrgId, UserId};
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
    let s = TestStack::with_config(move |cfg| {
        cfg.event_functions.insert("BackupJobFunction".into(), idle);
    })
    .await;
    let org = OrgId::new();
    let items: Vec<Item> = (0..n)
        .map(|i| {
            json!({"PK": org_pk(&org, format!("ACTIVITY#{i:07}")), "SK": "PROFILE", "entityType": "activity",
                "id": format!("a{i:07}"), "action": "campaign.updated", "actorId": UserId::new(),
                "entity": {"type": "campaign", "id": format!("c{}", i % 977)},
                "changes": {"name": {"from": "Spring push", "to": "Spring push 2027"}},
                "at": "2026-11-22T10:00:00Z", "version": 1})
            .as_object()
            .cloned()
            .unwrap_or_default()
        })
        .collect();
    let t0 = Instant::now();
    for chunk in items.chunks(1000) {
        s.stack.table.batch_write(chunk.to_vec(), Vec::new()).await.expect("bulk write");
    }
    drop(items);
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

    let mut queued = done.clone();
    queued.restore = Some(Restore {
        entities: vec![RestoreGroup::Activities],
        mode: RestoreMode::Merge,
        status: BackupStatus::Queued,
        progress: 0,
        restored: Default::default(),
        deleted: Default::default(),
        error: None,
        requested_by: UserId::SYSTEM,
        requested_at: chrono::Utc::now(),
    });
    queued.stamp = done.stamp.touched(UserId::SYSTEM, chrono::Utc::now());
    BackupRepo::new(&t).update(&queued, done.stamp.version).await.expect("queue restore");
    reset_peak();
    let restore_base = rss_mb();
    let t2 = Instant::now();
    restore::run(&app, org, b.id).await.expect("restore");
    let restore_s = t2.elapsed().as_secs_f64();
    let restore_peak = peak_rss_mb();
    let restored = BackupRepo::new(&t).get(&b.id).await.expect("read").expect("record");
    let r = restored.restore.expect("restore state");
    assert_eq!(r.status, BackupStatus::Completed, "{:?}", r.error);

    let size_mb = done.size_bytes.unwrap_or(0) as f64 / 1_048_576.0;
    let table = format!(
        "Backup of one organization's {n} items and its restore (merge)\n\n\
         | phase | items | seconds | items/s | file | RSS before | peak RSS |\n|---|---:|---:|---:|---|---:|---:|\n\
         | export | {n} | {export_s:.2} | {:.0} | {size_mb:.1} MB gzip | {export_base:.0} MB | {export_peak:.0} MB |\n\
         | restore (merge) | {n} | {restore_s:.2} | {:.0} | | {restore_base:.0} MB | {restore_peak:.0} MB |\n",
        n as f64 / export_s,
        n as f64 / restore_s
    );
    s.stop().await;
    if let Err(e) = report::write("backup", &table) {
        eprintln!("could not write the table: {e}");
    }
}
