//! Throughput and latency through the local stack: N clients (8 by default), each on its own
//! keep-alive connection, send GET campaign, list campaigns, the avails of 10 shows over 13 weeks
//! and a 500-spot hold preview as fast as they are answered for S seconds each (20 by default),
//! on loopback only.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example load -- [SECONDS] [CLIENTS]
//!     ROUTE="GET /campaigns/" target/bench-local/examples/load 10   # only the routes that name
//!
//! The clients read each answer's status and body without parsing it or checking it against the
//! OpenAPI document (each route is answered once through the checking client first), as `wrk`
//! would: until session 25 they did both, and weighed 27 % of the machine's CPU on a list.
//!
//! The path measured is the whole local one: HTTP gateway, the Lambda authorizer (its decision
//! cached for the token, as API Gateway caches it), the v1 event built and parsed, the campaigns
//! function on the embedded table, the response mapped back. The organization holds 200
//! campaigns; the list reads a page of 25. The interactive usage plan (500 requests/s for every
//! signed-in person together, as in AWS) is raised for the run, so the figures are the stack's
//! and not the plan's. Its network: 10 shows with 13 weekly episodes each
//! (1 pre, 2 mid, 1 post: 520 spots), all made through the API. Prints one table and writes it to
//! target/benchmarks/load.md; BENCHMARKS.md records runs to compare on one machine.

use std::time::{Duration, Instant};

use podcastflow_tests::client::Api;
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::{org, report};
use serde_json::{Value, json};

const CAMPAIGNS: usize = 200;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter_map(|a| a.parse::<u64>().ok());
    let seconds = args.next().unwrap_or(20);
    let clients = args.next().unwrap_or(8) as usize;
    // The stack's capacity, not the interactive usage plan's throttle (500/s, burst 1,000).
    let plan = "      Throttle:\n        BurstLimit: 1000\n        RateLimit: 500\n";
    let template = podcastflow_local::template::BUNDLED.replacen(
        plan,
        "      Throttle:\n        BurstLimit: 1000000\n        RateLimit: 1000000\n",
        1,
    );
    assert_ne!(template, podcastflow_local::template::BUNDLED, "the interactive plan's throttle is where it was");
    let s = TestStack::with_config(|c| c.template = template).await;
    let o = org::create(&s, &s.master().await).await;
    let mut id = String::new();
    for i in 0..CAMPAIGNS {
        let body = json!({"name": format!("Load {i:04}"), "clientId": o.client_id, "startDate": "2027-03-01",
                          "endDate": "2027-03-31", "budget": {"amount": 1_500_000, "currency": "USD"}});
        let r = o.admin.api.post("/campaigns", body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        id = r.body["id"].as_str().expect("a campaign id").to_owned();
    }
    // The network the inventory routes read.
    let admin = &o.admin.api;
    let mut shows = Vec::new();
    for s in 0..10 {
        let show = json!({"name": format!("Show {s:02}"), "releaseFrequency": "weekly", "averageDownloads": 20000,
            "adConfig": {"slots": {"pre": 1, "mid": 2, "post": 1}, "flatSpotPrice": {"amount": 40000, "currency": "USD"}}});
        let show = admin.post("/shows", show).await.body["id"].as_str().expect("a show id").to_owned();
        for week in 0..13 {
            let air = chrono::NaiveDate::from_ymd_opt(2027, 3, 1).expect("a date") + chrono::Duration::weeks(week);
            let e = admin.post("/episodes", json!({"showId": show, "title": format!("E{week}"), "airDate": air})).await;
            let e = e.body["id"].as_str().expect("an episode id").to_owned();
            let scheduled = admin.post(&format!("/episodes/{e}/transitions"), json!({"to": "scheduled"})).await;
            assert_eq!(scheduled.status, 200, "{:?}", scheduled.body);
        }
        shows.push(show);
    }
    let avails = format!("/inventory?showIds={}&from=2027-03-01&to=2027-05-24&limit=100", shows.join(","));
    let plan = json!({"plan": {"showIds": shows, "from": "2027-03-01", "to": "2027-05-24", "spotsTotal": 500}});
    let preview = format!("/campaigns/{id}/holds?preview=true");
    let placed = admin.post(&preview, plan.clone()).await;
    assert_eq!(placed.body["spots"].as_array().map(Vec::len), Some(500), "{:?}", placed.body);
    let mut table = format!(
        "Local stack, {clients} clients for {seconds} s per route, {CAMPAIGNS} campaigns\n\n\
         | route | requests | requests/s | p50 | p90 | p99 | max | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for (name, path, body) in [
        ("GET /campaigns/{id}", format!("/campaigns/{id}"), None),
        ("GET /campaigns?limit=25", "/campaigns?limit=25".to_owned(), None),
        ("GET /inventory (10 shows, 13 weeks)", avails, None),
        ("POST /campaigns/{id}/holds?preview (500 spots)", preview, Some(plan)),
    ] {
        // `ROUTE=<part of a name>` measures only the routes that name, e.g. to profile one.
        if std::env::var("ROUTE").is_ok_and(|only| !name.contains(only.as_str())) {
            continue;
        }
        // Once through the checking client (status, body against the OpenAPI document); the
        // timed clients then only read the answers, as a load generator does.
        let checked = match &body {
            Some(b) => o.admin.api.post(&path, b.clone()).await,
            None => o.admin.api.get(&path).await,
        };
        assert_eq!(checked.status, 200, "{name}: {:?}", checked.body);
        let run = load(&o.admin.api, &path, body, clients, Duration::from_secs(seconds)).await;
        let mut lat = run.latencies;
        lat.sort_unstable();
        let us = |p: f64| format!("{} µs", report::percentile(&lat, p).as_micros());
        table.push_str(&format!(
            "| {name} | {} | {:.0} | {} | {} | {} | {} | {} |\n",
            lat.len(),
            lat.len() as f64 / run.elapsed.as_secs_f64(),
            us(50.0),
            us(90.0),
            us(99.0),
            us(100.0),
            run.errors
        ));
    }
    s.stop().await;
    match report::write("load", &table) {
        Ok(path) => println!("written to {}", path.display()),
        Err(e) => eprintln!("could not write the table: {e}"),
    }
}

struct Run {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

/// `clients` loops of `GET path` (or `POST` of `body`), each on a fresh connection pool of its
/// own, until `length` has passed.
async fn load(signed_in: &Api, path: &str, body: Option<Value>, clients: usize, length: Duration) -> Run {
    let start = Instant::now();
    let deadline = start + length;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let mut api = Api::new(signed_in.base());
            api.authorization = signed_in.authorization.clone();
            let path = path.to_owned();
            let (method, body) = match &body {
                Some(b) => ("POST", Some(b.to_string().into_bytes())),
                None => ("GET", None),
            };
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let (status, answer) = api.exchange(method, &path, body.as_deref()).await;
                    if status == 200 {
                        latencies.push(t.elapsed());
                    } else {
                        if errors == 0 {
                            eprintln!("{path}: first error {status} {}", String::from_utf8_lossy(&answer));
                        }
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut run = Run { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO };
    for t in tasks {
        let (l, e) = t.await.expect("a client task");
        run.latencies.extend(l);
        run.errors += e;
    }
    run.elapsed = start.elapsed();
    run
}
