//! What every list and read route costs, as each role, on the demo-sized organization and on one
//! 100 times larger (issue 28).
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example large_org -- [RUNS] [SEED]
//!
//! Writes both organizations through the repositories (`podcastflow_tests::large_org`, each in an
//! embedded table of its own), then serves each route RUNS times (default 200) in process, as the
//! cost suite does: table calls and items read of one request, and the handler's p50 and p99 over
//! the runs. The table goes to target/benchmarks/large-org.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_tests::counting::CountingTable;
use podcastflow_tests::large_org::{LargeOrg, Size, generate};
use podcastflow_tests::org_costs::{Apps, Cost, cases};
use podcastflow_tests::report;

/// One organization ready to serve: its data and the functions on its counted table.
struct Measured {
    org: LargeOrg,
    apps: Apps,
    _dir: tempfile::TempDir,
}

async fn build(size: Size, seed: u64) -> Measured {
    let dir = tempfile::tempdir().expect("temporary directory");
    let counting = Arc::new(CountingTable::new(Arc::new(EmbeddedTable::open(dir.path()).expect("embedded table"))));
    let t0 = Instant::now();
    let org = generate(counting.clone(), size, seed).await.expect("generate");
    println!("{size:?}: written in {:.1} s", t0.elapsed().as_secs_f64());
    Measured { org, apps: Apps::new(counting), _dir: dir }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Serves the case `runs` times: its cost and its p50 and p99 in µs.
async fn measure(m: &Measured, i: usize, runs: usize) -> (Cost, u128, u128) {
    let case = &cases(&m.org)[i];
    let (answer, cost) = m.apps.serve(&m.org, case).await;
    assert_eq!(answer.status(), 200, "{} as {}: {:?}", case.route, case.role, answer.body());
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let _ = m.apps.serve(&m.org, case).await;
        times.push(t.elapsed());
    }
    times.sort();
    (cost, percentile(&times, 0.5).as_micros(), percentile(&times, 0.99).as_micros())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(28);
    let demo = build(Size::DEMO, seed).await;
    let large = build(Size::LARGE, seed).await;
    let mut table = format!(
        "Routes on the demo organization and on one 100 times larger (seed {seed}, {runs} runs each, in process)\n\n\
         | route | role | demo calls | items | p50 µs | p99 µs | large calls | items | p50 µs | p99 µs |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for (i, case) in cases(&demo.org).iter().enumerate() {
        let (d, d50, d99) = measure(&demo, i, runs).await;
        let (l, l50, l99) = measure(&large, i, runs).await;
        let grows = if l.calls > d.calls { " **grows**" } else { "" };
        let line = format!(
            "| {} | {} | {} | {} | {d50} | {d99} | {}{grows} | {} | {l50} | {l99} |\n",
            case.route, case.role, d.calls, d.items, l.calls, l.items
        );
        print!("{line}");
        table.push_str(&line);
    }
    if let Err(e) = report::write("large-org", &table) {
        eprintln!("could not write the table: {e}");
    }
}
