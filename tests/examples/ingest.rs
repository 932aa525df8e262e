//! A large CDN log ingested end to end through the local stack: generated CloudFront lines
//! (`podcastflow_tests::cdn_logs`) gzip-compressed as they are made and uploaded in parts to the
//! logs bucket under `logs/<orgId>/`, whose completion brings `delivery-ingest` through the S3
//! event; then the time until its record is read to the end, and the memory it took.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example ingest -- [MB of gzip, default 1024] [--dynamodb-model]
//!
//! With `--dynamodb-model` the ingest's ledger reads and transactions go to a modelled DynamoDB
//! (`podcastflow_tests::dynamodb_model`): the real DynamoDB adapter talks to a local endpoint
//! that answers after DynamoDB's time and keeps nothing, and every other call waits a
//! single-item call's time before reaching the local table. That is the wall time of an
//! invocation on AWS, with the SDK's work on the ingest's thread and no local table engine
//! beside it; its counts are not kept.
//!
//! The ingest's invocations run one at a time on a thread of their own with a single-threaded
//! runtime, as a Lambda's one vCPU runs them, and that thread's CPU time is reported: what the
//! ingest itself spends per line, apart from the table's engine, the local S3 and the stream
//! delivery that share the process (on AWS, DynamoDB's and S3's servers).
//!
//! Memory: the process's RSS when the upload completes and its high-water mark while the file is
//! read (reset with `/proc/self/clear_refs`); the process also holds the local S3 serving the
//! object, the table, and the stream function working through the ledger's writes, so the
//! ingest's own share is at most the growth. The table goes to target/benchmarks/ingest.md.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_lambda_events::s3::S3Event;
use lambda_http::LambdaEvent;
use podcastflow_delivery_ingest::{FileReport, IngestApp};

use chrono::{TimeZone, Utc};
use podcastflow_domain::OrgId;
use podcastflow_domain::delivery::records::{LogFile, LogFileStatus};
use podcastflow_platform::AppContext;
use podcastflow_store::{Table, TenantTable};
use podcastflow_tests::cdn_logs::{self, HOST, PATH, Rng, SIZE};
use podcastflow_tests::dynamodb_model::{Latency, LedgerSplit, ModelEndpoint};
use podcastflow_tests::memory::{peak_rss_mb, reset_peak, rss_mb};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::{org, report};
use serde_json::{Value, json};

/// The ingest Lambda's allocator (functions/delivery-ingest/src/main.rs), so its thread here
/// allocates as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bytes of gzip per uploaded part.
const PART: usize = 16 * 1024 * 1024;
/// Compressed bytes a generated line takes, about (for spreading the lines over a day).
const BYTES_PER_LINE: usize = 30;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mb: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1024);
    let modelled = args.iter().any(|a| a == "--dynamodb-model");
    let target = mb * 1024 * 1024;
    let (ingest, app, cpu_us) = ingest_thread();
    let s = TestStack::with_config(move |cfg| {
        cfg.event_functions.insert("DeliveryIngestFunction".into(), ingest);
    })
    .await;
    let model =
        if modelled { Some(ModelEndpoint::start(Latency::DYNAMODB).await.expect("the model endpoint")) } else { None };
    let ctx = match &model {
        Some(m) => {
            let dynamo: Arc<dyn Table> = Arc::new(m.table("podcastflow-model"));
            let split =
                LedgerSplit::new(s.stack.services.ctx.table.clone(), dynamo, Latency::DYNAMODB, m.calls.clone());
            AppContext::new(Arc::new(split), b"ingest-model-cursors".to_vec())
        }
        None => s.stack.services.ctx.clone(),
    };
    let _ = app.set(IngestApp { ctx, logs: s.stack.services.logs.clone() });
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
    let mut polls = 0u64;
    let done = loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        polls += 1;
        let Ok(Some(item)) = t.get(&LogFile::key_of(&org, &id)).await else { continue };
        let Ok(f) =
            serde_json::from_value::<LogFile>(Value::Object(podcastflow_store::item::without_bookkeeping(item)))
        else {
            continue;
        };
        if polls.is_multiple_of(10) || f.status == LogFileStatus::Done {
            println!(
                "  {:>10} lines read after {:.0?}, peak RSS {:.0} MB",
                f.lines_done,
                reading.elapsed(),
                peak_rss_mb()
            );
        }
        if f.status == LogFileStatus::Done {
            break f;
        }
    };
    let took = reading.elapsed();
    let peak = peak_rss_mb();
    let cpu = cpu_us.load(Ordering::Relaxed) as f64 / 1e6;
    if let Some(m) = &model {
        let c = &m.calls;
        println!(
            "modelled DynamoDB ({:?}): {} batch reads, {} transactions, {} local calls",
            Latency::DYNAMODB,
            c.batch_reads.load(Ordering::Relaxed),
            c.transactions.load(Ordering::Relaxed),
            c.local.load(Ordering::Relaxed)
        );
    }
    let table = format!(
        "| gzip | lines | kept | read in | lines/s | ingest CPU | µs/line | RSS before | peak RSS while reading | growth |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n| {:.1} MB | {} | {} | {:.1} s | {:.0} | {cpu:.1} s | {:.2} | {:.0} MB | {:.0} MB | {:.0} MB |\n",
        sent as f64 / 1e6,
        done.lines_done,
        done.counts.kept,
        took.as_secs_f64(),
        done.lines_done as f64 / took.as_secs_f64(),
        cpu * 1e6 / done.lines_done.max(1) as f64,
        rss_before,
        peak,
        peak - rss_before,
    );
    print!("{table}");
    let name = if modelled { "ingest-dynamodb-model" } else { "ingest" };
    if let Ok(path) = report::write(name, &table) {
        println!("written to {}", path.display());
    }
}

/// An invocation handed to the ingest's thread, with where its answer goes.
type Invocation = (LambdaEvent<S3Event>, tokio::sync::oneshot::Sender<Result<Vec<FileReport>, String>>);

/// The stack's `DeliveryIngestFunction`: each invocation handed to a thread of its own running the
/// real handler on a single-threaded runtime; the app (set once the stack is up) and the thread's
/// CPU time in µs, added up over invocations.
fn ingest_thread() -> (podcastflow_local::functions::EventHandler, Arc<OnceLock<IngestApp>>, Arc<AtomicU64>) {
    let app: Arc<OnceLock<IngestApp>> = Arc::default();
    let cpu_us = Arc::new(AtomicU64::new(0));
    let (tx, rx) = std::sync::mpsc::channel::<Invocation>();
    let (a, c) = (app.clone(), cpu_us.clone());
    let thread = std::thread::Builder::new().name("ingest-lambda".into());
    let _ = thread.spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        for (event, reply) in rx {
            let started = thread_cpu_us();
            let out = match a.get() {
                Some(app) => rt.block_on(podcastflow_delivery_ingest::handle(app, event)).map_err(|e| e.to_string()),
                None => Err("the stack has not started".to_owned()),
            };
            c.fetch_add(thread_cpu_us().saturating_sub(started), Ordering::Relaxed);
            let _ = reply.send(out);
        }
    });
    let handler = podcastflow_local::functions::event(move |e: LambdaEvent<S3Event>| {
        let tx = tx.clone();
        async move {
            let (reply, answer) = tokio::sync::oneshot::channel();
            tx.send((e, reply)).map_err(|_| "the ingest thread has stopped")?;
            answer.await?.map_err(lambda_http::Error::from)
        }
    });
    (handler, app, cpu_us)
}

/// This thread's CPU time (user and system) so far, in µs, from `/proc/thread-self/stat`.
fn thread_cpu_us() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are the 14th and 15th
    // of the whole line, in clock ticks of 10 ms.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<u64>().ok()).sum();
    ticks * 10_000
}
