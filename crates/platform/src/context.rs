//! What a function builds once at init and shares across requests: the table and the cursor
//! codec, and its telemetry. In AWS from the environment (`TABLE_NAME`, `CURSOR_SECRET`); locally the stack hands
//! in its embedded table.

use std::sync::Arc;

use podcastflow_resilience::RetryPolicy;
use podcastflow_store::dynamo::DynamoTable;
use podcastflow_store::{CursorCodec, ResilientTable, Table, TenantTable};
use thiserror::Error;

use crate::telemetry::Telemetry;

/// Shared state of a function.
#[derive(Clone)]
pub struct AppContext {
    /// The single table.
    pub table: Arc<dyn Table>,
    /// Signs and checks pagination cursors.
    pub cursors: Arc<CursorCodec>,
    /// Metrics, rate limits and the request deadline.
    pub telemetry: Arc<Telemetry>,
}

/// A setting that is present but unusable.
#[derive(Debug, Error)]
#[error("environment variable {0} is invalid: {1}")]
pub struct InvalidSetting(pub &'static str, pub String);

/// A setting the function cannot start without.
#[derive(Debug, Error)]
#[error("environment variable {0} is not set")]
pub struct MissingSetting(pub &'static str);

/// A required environment variable.
pub fn setting(name: &'static str) -> Result<String, MissingSetting> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or(MissingSetting(name))
}

impl AppContext {
    /// A context on a table, with cursors signed by `cursor_secret`. Every call to the table
    /// goes through the table retry policy and is counted for the request's metrics.
    pub fn new(table: Arc<dyn Table>, cursor_secret: impl Into<Vec<u8>>) -> Self {
        let table: Arc<dyn Table> = Arc::new(ResilientTable::new(table, RetryPolicy::TABLE));
        Self { table, cursors: Arc::new(CursorCodec::new(cursor_secret)), telemetry: Arc::new(Telemetry::off()) }
    }

    /// The same context reporting to `telemetry`.
    pub fn with_telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = Arc::new(telemetry);
        self
    }

    /// The table confined to the principal's organization, stamping the request's id on every
    /// item it writes (the tenant comes only from the verified principal).
    pub fn tenant(&self, p: &podcastflow_domain::Principal, req: &lambda_http::Request) -> TenantTable {
        TenantTable::new(self.table.clone(), p.org_id, self.cursors.as_ref().clone())
            .with_request_id(crate::request_id(req))
    }

    /// The context in AWS: DynamoDB table `TABLE_NAME`, cursors signed with `CURSOR_SECRET`.
    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let name = setting("TABLE_NAME")?;
        let secret = setting("CURSOR_SECRET")?;
        let telemetry = Telemetry::from_env()?;
        let config = podcastflow_resilience::sdk_config_with(1).await;
        let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), name);
        Ok(Self::new(Arc::new(table), secret).with_telemetry(telemetry))
    }
}
