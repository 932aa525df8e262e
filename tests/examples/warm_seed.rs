//! Seeds a table on the DynamoDB endpoint (`PODCASTFLOW_DYNAMODB_ENDPOINT`, moto in the benchmark)
//! for the warm-invocation benchmark (`scripts/bench-coldstart.py --warm`): creates the table,
//! writes a small generated organization through the repositories and prints, as one JSON line,
//! the table's name and the ids the benchmark's events name.
//!
//!     cargo run --profile bench-local -p podcastflow-tests --example warm_seed -- <table name>

use std::sync::Arc;

use podcastflow_store::Table;
use podcastflow_store::dynamo::{DynamoTable, schema};
use podcastflow_tests::fixture::dynamodb_client;
use podcastflow_tests::large_org::{Size, generate};

#[tokio::main]
async fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "podcastflow-warm".into());
    let client = dynamodb_client();
    schema::create_table(&client, &name).await.expect("create the table");
    let table: Arc<dyn Table> = Arc::new(DynamoTable::new(client, name.clone()));
    // Enough campaigns for a page of 20 and more; a few of everything else.
    let size =
        Size { sellers: 2, producers: 1, talent: 1, clients: 4, campaigns: 40, shows: 2, episodes: 4, activities: 8 };
    let org = generate(table, size, 28).await.expect("seed the organization");
    let seeded = serde_json::json!({
        "table": name,
        "org": org.org,
        "admin": org.admin,
        "campaign": org.campaigns[0],
    });
    println!("{seeded}");
}
