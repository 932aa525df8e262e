//! Concurrent writes to the embedded table: how group commit turns many writers' fsyncs into few.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example writes -- [WRITES]
//!
//! For 1, 8 and 64 concurrent writers, WRITES (default 2,000) conditional puts of about 300 bytes
//! (each with a tenant-index entry and a change record, as the repositories write them) into a
//! fresh table in a temporary directory on this machine's disk: writes per second, latency of
//! one write (p50, p99), and how many writes a committed transaction held on average. The table
//! goes to target/benchmarks/writes.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::{Condition, Item, Table};
use podcastflow_tests::report;
use serde_json::json;

fn item(writer: usize, n: usize) -> Item {
    json!({
        "PK": format!("ORG#bench#CONNECTION#{writer:03}-{n:06}"), "SK": "META",
        "GSI5PK": format!("TENANT#bench#{}", n % 16), "GSI5SK": format!("{writer:03}-{n:06}"),
        "payload": "x".repeat(240),
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// One run: `writers` tasks sharing `total` writes. Returns (elapsed, sorted latencies, stats).
async fn run(writers: usize, total: usize) -> (Duration, Vec<Duration>, podcastflow_store::embedded::CommitStats) {
    let dir = tempfile::tempdir().expect("tempdir");
    let table = Arc::new(EmbeddedTable::open(dir.path()).expect("open table"));
    let per = total / writers;
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let table = table.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per);
                for n in 0..per {
                    let t = Instant::now();
                    table.put(item(w, n), Condition::NotExists).await.expect("put");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await.expect("writer"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    (elapsed, latencies, table.commit_stats())
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let mut table = String::from(
        "| writers | writes | writes/s | p50 ms | p99 ms | writes per transaction |\n|---:|---:|---:|---:|---:|---:|\n",
    );
    for writers in [1, 8, 64] {
        let (elapsed, latencies, stats) = run(writers, total).await;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        table.push_str(&format!(
            "| {writers} | {} | {:.0} | {:.2} | {:.2} | {:.1} |\n",
            stats.writes,
            stats.writes as f64 / elapsed.as_secs_f64(),
            ms(report::percentile(&latencies, 50.0)),
            ms(report::percentile(&latencies, 99.0)),
            stats.writes as f64 / stats.transactions.max(1) as f64,
        ));
    }
    if let Err(e) = report::write("writes", &table) {
        eprintln!("could not write the report: {e}");
    }
}
