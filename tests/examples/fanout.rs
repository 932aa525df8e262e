//! Live-update fan-out through the local stack: time from a campaign PUT's answer to the first
//! and the last delivery on N subscribed WebSocket connections.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example fanout -- [N...]
//!
//! N defaults to 100 and 1000; each is measured three times on a fresh set of connections (all
//! of one admin, each subscribed to the campaign's topic). Above 5,000 the connections' client
//! ends live in a second process (this example again, with `--clients`): one process holding
//! both ends of 10,000 connections needs more open files than the machine allows (20,000).
//! Times across the two processes are read from the system clock. The path measured: the REST gateway
//! and campaigns function, the commit, the stream delivery, the realtime processor (one Query of
//! the topic's subscribers, one render per reader, 32 posts in flight through
//! aws-sdk-apigatewaymanagement, SigV4-checked by the gateway) and the WebSocket frames. Compare
//! runs on one machine; BENCHMARKS.md records them. The table also goes to
//! target/benchmarks/fanout.md.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use podcastflow_tests::client::Api;
use podcastflow_tests::live::{FanoutTiming, arrivals, fan_out, subscribed};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::{org, report};
use serde_json::json;

/// Above this many connections, their client ends go to a second process.
const ONE_PROCESS_AT_MOST: usize = 5000;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, url, topic, n, kind] = args.as_slice()
        && flag == "--clients"
    {
        return clients(url, topic, n.parse().expect("a number of connections"), kind).await;
    }
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100, 1000] } else { sizes };
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let body = json!({"name": "Fan-out", "clientId": o.client_id, "startDate": "2027-03-01", "endDate": "2027-03-31"});
    let created = o.admin.api.post("/campaigns", body).await;
    let id = created.body["id"].as_str().expect("a campaign").to_owned();
    let topic = format!("campaign:{id}");
    let path = format!("/campaigns/{id}");
    let mut table = String::from(
        "Write to delivery of `campaign.updated` on N subscribed WebSocket connections\n\n\
         | connections | run | first delivery | last delivery |\n|---|---|---:|---:|\n",
    );
    let mut n = 0;
    for size in sizes {
        for run in 1..=3 {
            n += 1;
            let write = || async {
                let etag = o.admin.api.get(&path).await.etag();
                let r =
                    o.admin.api.send("PUT", &path, Some(json!({"name": format!("Fan-out {n}")})), Some(&etag)).await;
                assert_eq!(r.status, 200, "{:?}", r.body);
            };
            let url = &s.stack.endpoints.websocket;
            let t = if size > ONE_PROCESS_AT_MOST {
                fan_out_apart(url, &o.admin.api, &topic, size, "campaign.updated", write).await
            } else {
                fan_out(url, &o.admin.api, &topic, size, "campaign.updated", write).await
            };
            let row = format!("| {size} | {run} | {:.1} ms | {:.1} ms |\n", ms(t.first), ms(t.last));
            print!("{row}");
            table.push_str(&row);
        }
    }
    s.stop().await;
    if let Err(e) = report::write("fanout", &table) {
        eprintln!("could not write the table: {e}");
    }
}

/// [`fan_out`] with the connections' client ends in a child process: it subscribes them, says
/// `ready`, and answers with the system-clock times of the first and the last delivery.
async fn fan_out_apart<F, Fut>(url: &str, api: &Api, topic: &str, n: usize, kind: &str, write: F) -> FanoutTiming
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let exe = std::env::current_exe().expect("this example's path");
    let mut child = Command::new(exe)
        .args(["--clients", url, topic, &n.to_string(), kind])
        .env("FANOUT_AUTHORIZATION", api.authorization.as_deref().unwrap_or_default())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the clients' process");
    let out = child.stdout.take().expect("the clients' output");
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    assert_eq!(lines.recv().await.as_deref(), Some("ready"), "the clients' process subscribed");
    write().await;
    let written = epoch_us(SystemTime::now());
    let times = lines.recv().await.expect("the clients' delivery times");
    let times: Vec<u128> = times.split_whitespace().map(|t| t.parse().expect("a time in µs")).collect();
    let [first, last] = times.as_slice() else { panic!("two times, got {times:?}") };
    assert!(child.wait().expect("the clients' process ends").success());
    let since = |t: u128| Duration::from_micros(u64::try_from(t.saturating_sub(written)).unwrap_or(u64::MAX));
    FanoutTiming { connections: n, first: since(*first), last: since(*last) }
}

/// The child's side of [`fan_out_apart`].
async fn clients(url: &str, topic: &str, n: usize, kind: &str) {
    let mut api = Api::new("");
    api.authorization = std::env::var("FANOUT_AUTHORIZATION").ok();
    let mut conns = subscribed(url, &api, topic, n).await;
    println!("ready");
    let (now, clock) = (Instant::now(), SystemTime::now());
    let times = arrivals(&mut conns, kind).await;
    let at = |t: &Instant| epoch_us(clock) + t.saturating_duration_since(now).as_micros();
    let (first, last) = (times.iter().min().map(at), times.iter().max().map(at));
    println!("{} {}", first.unwrap_or_default(), last.unwrap_or_default());
    for live in conns {
        live.close().await;
    }
}

fn epoch_us(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or_default()
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
