//! What a function builds once at init and shares across requests: the table and the cursor
//! codec, and its telemetry. In AWS from the environment (`TABLE_NAME`, `CURSOR_SECRET`); locally the stack hands
//! in its embedded table.

use std::sync::Arc;

use podcastflow_resilience::RetryPolicy;
use podcastflow_store::dynamo::DynamoTable;
use podcastflow_store::{CursorCodec, ResilientTable, Table, TenantTable};
use thiserror::Error;

use crate::telemetry::Telemetry;
use crate::tenancy::{ScopedTables, SharedTables, StsSessions, TenantTables};

/// Shared state of a function.
#[derive(Clone)]
pub struct AppContext {
    /// The single table with the function's own credentials: platform items, and every tenant's
    /// items for the functions that work across tenants (stream, jobs).
    pub table: Arc<dyn Table>,
    /// The table per organization, with that organization's credentials in AWS.
    pub tenants: Arc<dyn TenantTables>,
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
        Self {
            tenants: Arc::new(SharedTables(table.clone())),
            table,
            cursors: Arc::new(CursorCodec::new(cursor_secret)),
            telemetry: Arc::new(Telemetry::off()),
        }
    }

    /// The same context reaching each organization's items through `tenants`.
    pub fn with_tenants(mut self, tenants: Arc<dyn TenantTables>) -> Self {
        self.tenants = tenants;
        self
    }

    /// The table as `org`'s credentials reach it, without the tenant handle's prefix check: for
    /// repositories whose transactions also write the identity claims the function's tenant
    /// sessions may reach (`TENANT_PLATFORM_KEYS`). Everything else uses [`Self::tenant`].
    pub fn org_table(&self, org: &podcastflow_domain::OrgId) -> Arc<dyn Table> {
        self.tenants.for_org(org)
    }

    /// `bucket` as `org`'s tenant session reaches it: confined by IAM to that organization's
    /// prefixes (`backups/<org>/`, `media/<org>/`).
    pub async fn objects(
        &self,
        bucket: &podcastflow_objects::Objects,
        org: &podcastflow_domain::OrgId,
    ) -> Result<podcastflow_objects::Objects, podcastflow_objects::ObjectError> {
        self.tenants.objects(bucket, org).await
    }

    /// The same context reporting to `telemetry`.
    pub fn with_telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = Arc::new(telemetry);
        self
    }

    /// Every organization's record, each read through its own tenant table: a scheduled job's
    /// round (one list of the platform's organizations, one read each).
    pub async fn organizations(
        &self,
    ) -> Result<Vec<podcastflow_domain::organization::Organization>, podcastflow_store::repo::RepoError> {
        use podcastflow_store::repo::organizations::OrganizationRepo;
        let summaries = OrganizationRepo::new(self.table.as_ref(), &self.cursors).all().await?;
        let mut out = Vec::with_capacity(summaries.len());
        for summary in &summaries {
            let table = self.org_table(&summary.id);
            if let Some(org) = OrganizationRepo::new(table.as_ref(), &self.cursors).get(&summary.id).await? {
                out.push(org);
            }
        }
        Ok(out)
    }

    /// `org`'s table as a scheduled job writes it, with the run's `request_id` on every item it
    /// changes (as an API request's id would be).
    pub fn job_tenant(&self, org: &podcastflow_domain::OrgId, request_id: &str) -> TenantTable {
        TenantTable::new(self.tenants.for_org(org), *org, self.cursors.as_ref().clone()).with_request_id(request_id)
    }

    /// The table confined to the principal's organization, stamping the request's id on every
    /// item it writes (the tenant comes only from the verified principal).
    pub fn tenant(&self, p: &podcastflow_domain::Principal, req: &lambda_http::Request) -> TenantTable {
        TenantTable::new(self.tenants.for_org(&p.org_id), p.org_id, self.cursors.as_ref().clone())
            .with_request_id(crate::request_id(req))
    }

    /// The context in AWS: DynamoDB table `TABLE_NAME`, cursors signed with `CURSOR_SECRET`.
    /// With `TENANT_ROLE_ARN` set, each organization's items are reached through sessions of that
    /// role confined to the organization (`TABLE_ARN` names the table in their policy,
    /// `TENANT_PLATFORM_KEYS` the platform prefixes they may also reach).
    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let name = setting("TABLE_NAME")?;
        let secret = setting("CURSOR_SECRET")?;
        let telemetry = Telemetry::from_env()?;
        let config = podcastflow_resilience::sdk_config_with(1).await;
        let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), name.clone());
        let context = Self::new(Arc::new(table), secret).with_telemetry(telemetry);
        let Ok(role) = setting("TENANT_ROLE_ARN") else { return Ok(context) };
        let table_arn = setting("TABLE_ARN")?;
        let platform = std::env::var("TENANT_PLATFORM_KEYS").unwrap_or_default();
        let platform = podcastflow_iam::tenant::platform_prefixes(&platform)
            .map_err(|e| InvalidSetting("TENANT_PLATFORM_KEYS", e.to_string()))?;
        let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "podcastflow".into());
        let sts = podcastflow_resilience::sdk_config().await;
        let sessions = StsSessions::new(&sts, &config, role, (name, table_arn), platform, &function);
        Ok(context.with_tenants(Arc::new(ScopedTables::new(sessions))))
    }
}
