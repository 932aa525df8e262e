//! What an ingest invocation would take against DynamoDB, measured without AWS.
//!
//! [`ModelEndpoint`] is an HTTP server speaking the two calls of the ingest's ledger traffic,
//! `BatchGetItem` and `TransactWriteItems`: it answers each after the time DynamoDB takes
//! ([`Latency`]) and keeps nothing, so every ledger read finds nothing and every transaction
//! succeeds. [`LedgerSplit`] is a table that sends ledger reads and ledger transactions to the
//! real DynamoDB adapter pointed at that endpoint, and every other call (organization, shows,
//! episodes, the file's checkpoint, the evidence index) to a local table, after the time a
//! single-item call takes. The ingest thus pays the SDK's own work on its thread (items to
//! attribute values, JSON, SigV4, HTTP) and waits as long as it would on AWS, while the local
//! table's engine does not share the machine with it. Counts are not kept this way: the
//! local-stack run of the same benchmark checks them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use podcastflow_domain::keys::Key;
use podcastflow_store::dynamo::DynamoTable;
use podcastflow_store::{Condition, Item, Query, QueryOutput, StoreError, StoredItem, Table, TransactOp, Update};

/// How long DynamoDB takes to answer a call from a Lambda in its region.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    /// A `GetItem`, `PutItem`, `UpdateItem`, `DeleteItem` or one page of `Query`.
    pub single: Duration,
    /// A `BatchGetItem` of up to 100 keys, strongly consistent.
    pub batch_read: Duration,
    /// A `TransactWriteItems` of up to 100 items.
    pub transaction: Duration,
}

impl Latency {
    /// The figures the ingest's projection assumed, at their high end: 10 ms a single-item
    /// call, 20 ms a batch read of 100 ledgers, 50 ms a transaction of 100 items.
    pub const DYNAMODB: Latency = Latency {
        single: Duration::from_millis(10),
        batch_read: Duration::from_millis(20),
        transaction: Duration::from_millis(50),
    };
}

/// Calls the model answered.
#[derive(Debug, Default)]
pub struct ModelCalls {
    /// `BatchGetItem` calls.
    pub batch_reads: AtomicU64,
    /// `TransactWriteItems` calls.
    pub transactions: AtomicU64,
    /// Calls that went to the local table.
    pub local: AtomicU64,
}

/// The modelled DynamoDB endpoint, serving on a free local port.
pub struct ModelEndpoint {
    /// Where it listens (`http://127.0.0.1:<port>`).
    pub url: String,
    /// What it answered.
    pub calls: Arc<ModelCalls>,
}

impl ModelEndpoint {
    /// Starts the endpoint with `latency`, on the current runtime.
    pub async fn start(latency: Latency) -> std::io::Result<ModelEndpoint> {
        let calls = Arc::new(ModelCalls::default());
        let c = calls.clone();
        let app = Router::new().fallback(move |headers: HeaderMap, _body: axum::body::Bytes| {
            let c = c.clone();
            async move { answer(&headers, latency, &c).await }
        });
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(ModelEndpoint { url, calls })
    }

    /// A DynamoDB adapter for table `name` reaching this endpoint.
    pub fn table(&self, name: &str) -> DynamoTable {
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("model", "model", None, None, "model"))
            .build();
        DynamoTable::new(aws_sdk_dynamodb::Client::from_conf(conf), name)
    }
}

/// DynamoDB's answer to one call of the JSON protocol, after its time.
async fn answer(headers: &HeaderMap, latency: Latency, calls: &ModelCalls) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (status, body) = match target.rsplit('.').next() {
        Some("BatchGetItem") => {
            calls.batch_reads.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(latency.batch_read).await;
            (StatusCode::OK, r#"{"Responses":{},"UnprocessedKeys":{}}"#.to_owned())
        }
        Some("TransactWriteItems") => {
            calls.transactions.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(latency.transaction).await;
            (StatusCode::OK, "{}".to_owned())
        }
        _ => (
            StatusCode::BAD_REQUEST,
            format!(
                r#"{{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"the model answers BatchGetItem and TransactWriteItems, not {target}"}}"#
            ),
        ),
    };
    (status, [(header::CONTENT_TYPE, "application/x-amz-json-1.0")], body).into_response()
}

/// A table sending ledger reads and ledger transactions to `dynamo` and the rest to `local`.
pub struct LedgerSplit {
    local: Arc<dyn Table>,
    dynamo: Arc<dyn Table>,
    latency: Latency,
    calls: Arc<ModelCalls>,
}

impl LedgerSplit {
    /// Ledgers through `dynamo` (the [`ModelEndpoint`]'s adapter), the rest through `local`
    /// after [`Latency::single`].
    pub fn new(local: Arc<dyn Table>, dynamo: Arc<dyn Table>, latency: Latency, calls: Arc<ModelCalls>) -> Self {
        LedgerSplit { local, dynamo, latency, calls }
    }

    async fn local(&self) -> &dyn Table {
        self.calls.local.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.latency.single).await;
        self.local.as_ref()
    }
}

/// Whether `key` is a listener's ledger (`...#DLV#EP#<episode>#L#<listener>` / `LEDGER`).
fn is_ledger(key: &Key) -> bool {
    key.sk == "LEDGER" && key.pk.contains("#DLV#EP#")
}

#[async_trait]
impl Table for LedgerSplit {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.local().await.get(key).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.local().await.put(item, condition).await
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.local().await.update(key, update, condition).await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        self.local().await.delete(key, condition).await
    }

    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        self.local().await.query_stored(query).await
    }

    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        if ops.iter().any(|op| op.key().is_ok_and(|k| is_ledger(&k))) {
            return self.dynamo.transact(ops).await;
        }
        self.local().await.transact(ops).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if !keys.is_empty() && keys.iter().all(is_ledger) {
            return self.dynamo.batch_get(keys).await;
        }
        self.local().await.batch_get(keys).await
    }

    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        self.local().await.batch_write(puts, deletes).await
    }

    async fn increment(&self, key: &Key, attribute: &str, by: i64) -> Result<i64, StoreError> {
        self.local().await.increment(key, attribute, by).await
    }
}
