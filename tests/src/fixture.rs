//! One fixture per Table adapter, so the contract suite runs the same cases against both.
//!
//! The DynamoDB fixture needs a DynamoDB-compatible endpoint in `PODCASTFLOW_DYNAMODB_ENDPOINT`
//! (scripts/test.sh starts moto and sets it). Without it those cases fail with that message
//! rather than pass vacuously.

use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use podcastflow_store::dynamo::stream::DynamoStreamFeed;
use podcastflow_store::dynamo::{DynamoTable, schema};
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::{ChangeFeed, Table};

/// Environment variable naming the DynamoDB endpoint for contract runs.
pub const DYNAMODB_ENDPOINT: &str = "PODCASTFLOW_DYNAMODB_ENDPOINT";

/// A table adapter under test with its change feed.
pub struct Fixture {
    /// The table.
    pub table: Arc<dyn Table>,
    /// Its change feed.
    pub feed: Arc<dyn ChangeFeed>,
    /// Which adapter this is.
    pub adapter: &'static str,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh embedded table in a temporary directory.
pub async fn embedded() -> Fixture {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = EmbeddedTable::open(dir.path()).expect("open embedded table");
    Fixture { feed: Arc::new(table.feed()), table: Arc::new(table), adapter: "embedded", _dir: Some(dir) }
}

fn endpoint() -> String {
    std::env::var(DYNAMODB_ENDPOINT).unwrap_or_else(|_| {
        panic!("{DYNAMODB_ENDPOINT} is not set: run scripts/test.sh, which starts moto and sets it")
    })
}

/// Static test credentials and region for the local endpoint.
fn credentials() -> (Credentials, Region) {
    (Credentials::new("testing", "testing", None, None, "podcastflow-tests"), Region::new("us-east-1"))
}

/// An SDK configuration for the test endpoint (moto answers every service on it).
pub fn sdk_config() -> aws_config::SdkConfig {
    let (creds, region) = credentials();
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(region)
        .endpoint_url(endpoint())
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(creds))
        .build()
}

/// The test table's name and ARN on the test endpoint, created now.
pub async fn dynamodb_table() -> (String, String) {
    let client = dynamodb_client();
    let name = format!("podcastflow-test-{}", ulid::Ulid::new().to_string().to_lowercase());
    schema::create_table(&client, &name).await.expect("create table");
    let described = client.describe_table().table_name(&name).send().await.expect("describe table");
    let arn = described.table().and_then(|t| t.table_arn()).expect("a table ARN").to_owned();
    (name, arn)
}

/// A DynamoDB client for the test endpoint.
pub fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let (creds, region) = credentials();
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .endpoint_url(endpoint())
        .credentials_provider(creds)
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// A fresh, uniquely named table on the DynamoDB endpoint.
pub async fn dynamodb() -> Fixture {
    let client = dynamodb_client();
    let name = format!("podcastflow-test-{}", ulid::Ulid::new().to_string().to_lowercase());
    schema::create_table(&client, &name).await.expect("create table");
    let table = DynamoTable::new(client, name);
    let arn = table.stream_arn().await.expect("describe table").expect("the table has a stream");
    let (creds, region) = credentials();
    let conf = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodbstreams::config::Region::new(region.to_string()))
        .endpoint_url(endpoint())
        .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            None,
            None,
            "podcastflow-tests",
        ))
        .build();
    let feed = DynamoStreamFeed::new(aws_sdk_dynamodbstreams::Client::from_conf(conf), arn);
    Fixture { table: Arc::new(table), feed: Arc::new(feed), adapter: "dynamodb", _dir: None }
}
