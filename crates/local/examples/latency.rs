//! Start-up time of the local stack and latency of a trivial route, measured in process.
//!
//!     cargo run --profile bench-local -p podcastflow-local --example latency -- [REQUESTS]
//!
//! Prints the time from `start` to a listening stack (fresh data dir, which includes creating the
//! platform operator: two argon2id hashes), then p50/p90/p99/max of REQUESTS sequential requests
//! over one keep-alive connection for: `GET /monitoring/health` (public), `GET /auth/me` behind
//! the authorizer with its decision cached (as most requests are), and `GET /auth/me` with the
//! cache off (authorizer: signature check, membership and organization reads). Compare runs on one
//! machine; BENCHMARKS.md records them.

use std::time::{Duration, Instant};

use podcastflow_local::stack::{StackConfig, start};
use podcastflow_local::template::BUNDLED;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn measure(client: &reqwest::Client, url: &str, token: Option<&str>, n: usize) -> Result<String, reqwest::Error> {
    let request = || {
        let r = client.get(url);
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    };
    for _ in 0..50 {
        request().send().await?.bytes().await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = request().send().await?;
        assert!(r.status().is_success(), "{url}: {}", r.status());
        r.bytes().await?;
        samples.push(t.elapsed());
    }
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    Ok(format!(
        "p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        us(percentile(&samples, 0.50)),
        us(percentile(&samples, 0.90)),
        us(percentile(&samples, 0.99)),
        samples.last().map_or(0.0, |d| us(*d)),
    ))
}

async fn run(n: usize, cached: bool) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut config = StackConfig::new(dir.path(), 0);
    config.master_password = Some("benchmark passphrase".into());
    if !cached {
        config.template = BUNDLED.replace("ReauthorizeEvery: 60", "ReauthorizeEvery: 0");
    }
    let t0 = Instant::now();
    let stack = start(config).await?;
    let startup = t0.elapsed();
    let client = reqwest::Client::new();
    let api = &stack.endpoints.api;
    let login = serde_json::json!({"email": "master@podcastflow.local", "password": "benchmark passphrase"});
    let tokens: serde_json::Value = client.post(format!("{api}/auth/login")).json(&login).send().await?.json().await?;
    let token = tokens["accessToken"].as_str().ok_or("no access token")?.to_owned();
    if cached {
        println!("start-up: {:.1} ms", startup.as_secs_f64() * 1e3);
        println!(
            "GET /monitoring/health x{n}: {}",
            measure(&client, &format!("{api}/monitoring/health"), None, n).await?
        );
        println!(
            "GET /auth/me, authorizer cached x{n}: {}",
            measure(&client, &format!("{api}/auth/me"), Some(&token), n).await?
        );
    } else {
        println!(
            "GET /auth/me, authorizer uncached x{n}: {}",
            measure(&client, &format!("{api}/auth/me"), Some(&token), n).await?
        );
    }
    stack.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    run(n, true).await?;
    run(n, false).await
}
