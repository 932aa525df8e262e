//! A large CDN log ingested end to end through the local stack: generated CloudFront lines
//! (`podcastflow_tests::cdn_logs`) gzip-compressed as they are made and uploaded in parts to the
//! logs bucket under `logs/<orgId>/`, whose completion brings `delivery-ingest` through the S3
//! event; then the time until its record is read to the end, and the memory it took.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example ingest -- [MB of gzip, default 1024]
//!
//! Memory: the process's RSS when the upload completes and its high-water mark while the file is
//! read (reset with `/proc/self/clear_refs`); the process also holds the local S3 serving the
//! object, the table, and the stream function working through the ledger's writes, so the
//! ingest's own share is at most the growth. The table goes to target/benchmarks/ingest.md.

use std::io::Write;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use podcastflow_domain::OrgId;
use podcastflow_domain::delivery::records::{LogFile, LogFileStatus};
use podcastflow_store::{Table, TenantTable};
use podcastflow_tests::cdn_logs::{self, HOST, PATH, Rng, SIZE};
use podcastflow_tests::memory::{peak_rss_mb, reset_peak, rss_mb};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::{org, report};
use serde_json::{Value, json};

/// Bytes of gzip per uploaded part.
const PART: usize = 16 * 1024 * 1024;
/// Compressed bytes a generated line takes, about (for spreading the lines over a day).
const BYTES_PER_LINE: usize = 30;

#[tokio::main]
async fn main() {
    let mb: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1024);
    let target = mb * 1024 * 1024;
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let admin = &o.admin.api;
    let show = admin.post("/shows", json!({"name": "Brew", "releaseFrequency": "weekly", "feedHosts": [HOST]})).await;
    let show = show.body["id"].as_str().expect("a show").to_owned();
    let ep = admin
        .post(
            "/episodes",
            json!({"showId": show, "title": "Ep 1", "durationSeconds": 1800, "fileSizeBytes": SIZE, "headerBytes": 10_000,
                "enclosureUrls": [format!("https://{HOST}{PATH}")],
                "adMarkers": [{"position": "pre", "offsetSeconds": 120, "durationSeconds": 30}]}),
        )
        .await;
    assert_eq!(ep.status, 201, "{:?}", ep.body);

    // Generate and upload.
    let logs = &s.stack.services.logs;
    let key = format!("logs/{}/E2BENCH.2026-12-07.big.gz", o.id);
    let started = Instant::now();
    let upload = logs.start_upload(&key, "application/gzip").await.expect("an upload");
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(PART * 2), flate2::Compression::fast());
    let (mut rng, day) = (Rng::default(), Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).single().expect("a day"));
    let estimate = target / BYTES_PER_LINE;
    let (mut lines, mut sent, mut parts) = (0usize, 0usize, Vec::new());
    writeln!(encoder, "#Version: 1.0\n{}", cdn_logs::FIELDS).expect("gzip");
    while sent + encoder.get_ref().len() < target {
        for _ in 0..10_000 {
            writeln!(encoder, "{}", cdn_logs::line(&mut rng, lines, estimate, day)).expect("gzip");
            lines += 1;
        }
        if encoder.get_ref().len() >= PART {
            let bytes = std::mem::take(encoder.get_mut());
            sent += bytes.len();
            let n = parts.len() as i32 + 1;
            parts.push((n, logs.upload_part(&key, &upload, n, bytes).await.expect("a part")));
        }
    }
    let rest = encoder.finish().expect("gzip");
    sent += rest.len();
    let n = parts.len() as i32 + 1;
    parts.push((n, logs.upload_part(&key, &upload, n, rest).await.expect("the last part")));
    let generated = started.elapsed();
    let rss_before = rss_mb();
    reset_peak();
    logs.complete_upload(&key, &upload, &parts).await.expect("the upload completes");
    let reading = Instant::now();
    println!("{lines} lines, {:.1} MB of gzip, generated and uploaded in {generated:.1?}", sent as f64 / 1e6);

    // Wait for the ingest to read it to the end.
    let org: OrgId = o.id.parse().expect("an org id");
    let ctx = &s.stack.services.ctx;
    let t = TenantTable::new(ctx.tenants.for_org(&org), org, ctx.cursors.as_ref().clone());
    let id = LogFile::id_of(logs.bucket(), &key);
    let done = loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let Ok(Some(item)) = t.get(&LogFile::key_of(&org, &id)).await else { continue };
        let Ok(f) =
            serde_json::from_value::<LogFile>(Value::Object(podcastflow_store::item::without_bookkeeping(item)))
        else {
            continue;
        };
        println!("  {:>10} lines read after {:.0?}, peak RSS {:.0} MB", f.lines_done, reading.elapsed(), peak_rss_mb());
        if f.status == LogFileStatus::Done {
            break f;
        }
    };
    let took = reading.elapsed();
    let peak = peak_rss_mb();
    let table = format!(
        "| gzip | lines | kept | read in | lines/s | RSS before | peak RSS while reading | growth |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n| {:.1} MB | {} | {} | {:.1} s | {:.0} | {:.0} MB | {:.0} MB | {:.0} MB |\n",
        sent as f64 / 1e6,
        done.lines_done,
        done.counts.kept,
        took.as_secs_f64(),
        done.lines_done as f64 / took.as_secs_f64(),
        rss_before,
        peak,
        peak - rss_before,
    );
    print!("{table}");
    if let Ok(path) = report::write("ingest", &table) {
        println!("written to {}", path.display());
    }
}
