//! Live-update fan-out through the local stack: time from a campaign PUT's answer to the first
//! and the last delivery on N subscribed WebSocket connections.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example fanout -- [N...]
//!
//! N defaults to 100 and 1000; each is measured three times on a fresh set of connections (all
//! of one admin, each subscribed to the campaign's topic). The path measured: the REST gateway
//! and campaigns function, the commit, the stream delivery, the realtime processor (one Query of
//! the topic's subscribers, one render per reader, 32 posts in flight through
//! aws-sdk-apigatewaymanagement, SigV4-checked by the gateway) and the WebSocket frames. Compare
//! runs on one machine; BENCHMARKS.md records them. The table also goes to
//! target/benchmarks/fanout.md.

use podcastflow_tests::live::fan_out;
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::{org, report};
use serde_json::json;

#[tokio::main]
async fn main() {
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
            let t = fan_out(&s.stack.endpoints.websocket, &o.admin.api, &topic, size, "campaign.updated", write).await;
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

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
