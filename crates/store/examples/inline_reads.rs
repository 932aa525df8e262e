//! How long the embedded table's reads take, to hold its in-place read bound (128 items) to what tokio
//! allows a task between two awaits (10-100 µs): queries of 26, 101 and 128 items of about
//! 700 bytes on the main table and on a GSI (a point read per item), 200 times each.
//!
//!     cargo run --profile bench-local -p podcastflow-store --example inline_reads

use std::time::{Duration, Instant};

use podcastflow_domain::keys::Index;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::{Condition, Query, Table};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let table = EmbeddedTable::open(&dir.path().join("table")).expect("a table");
    for i in 0..300 {
        let item = json!({"PK": "P", "SK": format!("S{i:04}"), "GSI1PK": "G", "GSI1SK": format!("G{i:04}"),
                          "name": "x".repeat(600), "n": i, "m": {"a": [1, 2, 3], "b": "y"}});
        table.put(item.as_object().cloned().unwrap_or_default(), Condition::Always).await.expect("a put");
    }
    println!("| index | items | best | mean |\n|---|---:|---:|---:|");
    for (index, partition) in [(Index::Main, "P"), (Index::Gsi1, "G")] {
        for n in [26, 101, 128] {
            let q = Query::partition(index, partition).limit(n);
            let (mut best, mut sum) = (Duration::MAX, Duration::ZERO);
            for _ in 0..200 {
                let start = Instant::now();
                let out = table.query_stored(&q).await.expect("a query");
                let took = start.elapsed();
                assert_eq!(out.items.len(), n as usize);
                (best, sum) = (best.min(took), sum + took);
            }
            println!("| {index:?} | {n} | {} µs | {} µs |", best.as_micros(), (sum / 200).as_micros());
        }
    }
}
