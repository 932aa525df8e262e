//! Start-up time of the local stack and latency of a trivial route, measured in process.
//!
//!     cargo run --profile bench-local -p podcastflow-local --example latency -- [REQUESTS]
//!
//! Prints the time from `start` to a listening stack (fresh data dir), then p50/p90/p99/max of
//! REQUESTS sequential `GET /monitoring/health` over one keep-alive connection. Compare runs on
//! one machine; BENCHMARKS.md records them.

use std::time::{Duration, Instant};

use podcastflow_local::stack::{StackConfig, start};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir()?;
    let t0 = Instant::now();
    let stack = start(StackConfig::new(dir.path(), 0)).await?;
    let startup = t0.elapsed();
    let url = format!("{}/monitoring/health", stack.endpoints.api);
    let client = reqwest::Client::new();
    for _ in 0..50 {
        client.get(&url).send().await?.bytes().await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = client.get(&url).send().await?;
        assert!(r.status().is_success());
        r.bytes().await?;
        samples.push(t.elapsed());
    }
    samples.sort();
    println!("start-up: {:.1} ms", startup.as_secs_f64() * 1e3);
    println!(
        "GET /monitoring/health x{n}: p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.90).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
        samples.last().map_or(0.0, |d| d.as_secs_f64() * 1e6),
    );
    stack.shutdown().await;
    Ok(())
}
