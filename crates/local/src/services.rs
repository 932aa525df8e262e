//! The stand-ins the functions are built on locally, made once when the stack starts: the
//! application table, the identity provider (its own table, a signing key kept in the data dir,
//! mail into the outbox), the cursor secret, and the platform operator.

use std::path::Path;
use std::sync::Arc;

use podcastflow_identity::local::{LocalIdentity, generate_password};
use podcastflow_identity::provisioning::{ProvisionError, ensure_master};
use podcastflow_identity::tokens::SigningKey;
use podcastflow_identity::{HttpKeySource, Identity, TokenVerifier};
use podcastflow_mail::Outbox;
use podcastflow_objects::{Credentials, Objects};
use podcastflow_platform::AppContext;
use podcastflow_platform::ratelimit::RateLimits;
use podcastflow_platform::telemetry::{MetricsRegistry, Telemetry};
use podcastflow_push::{ApiGatewayPush, Push};
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::fault::{FaultPlan, FaultyTable};
use thiserror::Error;

use crate::credentials::LocalCredentials;
use crate::iam::Access;
use crate::s3::S3Principals;
use crate::usage::{INTERACTIVE_KEY, LocalUsageKeys, UsagePlans};
use podcastflow_usage::UsageKeys;

/// The app client id the local provider issues tokens to.
pub const CLIENT_ID: &str = "podcastflow-local";

/// Environment variables naming the platform operator (master) to create on first start.
pub const MASTER_EMAIL_VAR: &str = "PODCASTFLOW_MASTER_EMAIL";
/// Its password (at least 12 characters); generated and printed once when unset.
pub const MASTER_PASSWORD_VAR: &str = "PODCASTFLOW_MASTER_PASSWORD";
/// The master's e-mail when none is configured.
pub const DEFAULT_MASTER_EMAIL: &str = "master@podcastflow.local";

/// Why the services could not be made.
#[derive(Debug, Error)]
pub enum ServicesError {
    /// A file of the data dir.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The embedded store.
    #[error("store: {0}")]
    Store(#[from] podcastflow_store::StoreError),
    /// The signing key on disk is unusable.
    #[error("identity signing key: {0}")]
    Key(#[from] podcastflow_identity::tokens::KeyError),
    /// The platform operator or the demo users could not be created.
    #[error("creating users: {0}")]
    Master(#[from] ProvisionError),
    /// template.yaml's grants could not be read.
    #[error("template.yaml's grants: {0}")]
    Access(#[from] crate::template::TemplateError),
    /// The demo data could not be written.
    #[error("demo data: {0}")]
    Demo(String),
}

/// Everything the local functions share.
#[derive(Clone)]
pub struct Services {
    /// The application table and cursors.
    pub ctx: AppContext,
    /// The embedded table behind `ctx` (for the stream, TTL sweeps, tests).
    pub table: EmbeddedTable,
    /// The local identity provider.
    pub identity: Arc<LocalIdentity>,
    /// The authorizer's verifier (fetching the provider's JWKS over HTTP, as in AWS).
    pub verifier: Arc<TokenVerifier>,
    /// Where mail lands.
    pub outbox: Outbox,
    /// Live updates and WebSocket replies: the local gateway's `@connections` API, signed with the
    /// data dir's credentials, as the functions reach API Gateway's in AWS.
    pub push: Arc<dyn Push>,
    /// The backups bucket on the stack's S3.
    pub backups: Objects,
    /// The media bucket on the stack's S3.
    pub media: Objects,
    /// The logs bucket on the stack's S3.
    pub logs: Objects,
    /// The metrics of every function of the stack (CloudWatch's part locally).
    pub metrics: Arc<MetricsRegistry>,
    /// What template.yaml's IAM grants each function, enforced on its table and bucket calls.
    pub access: Arc<Access>,
    /// The S3 endpoint's access keys.
    pub principals: Arc<S3Principals>,
    /// API keys registered with the usage plans, as aws-sdk-apigateway does in AWS.
    pub usage: Arc<dyn UsageKeys>,
    /// The value of the template's key for people ([`INTERACTIVE_KEY`]), which the authorizer
    /// names for every request made with a token.
    pub interactive_usage_key: Option<String>,
}

/// Where the functions find the stack's AWS stand-ins, and the key they sign calls with.
pub struct LocalAws<'a> {
    /// The WebSocket management API, `http://<host:port>/<stage>`.
    pub connections: &'a str,
    /// The S3 endpoint, `http://<host:port>`.
    pub s3: &'a str,
    /// The local name of the template's `BackupsBucket`.
    pub backups_bucket: &'a str,
    /// The local name of the template's `MediaBucket`.
    pub media_bucket: &'a str,
    /// The local name of the template's `LogsBucket`.
    pub logs_bucket: &'a str,
    /// The region the calls are signed for.
    pub region: &'a str,
    /// The key they are signed with (the operator's).
    pub credentials: &'a LocalCredentials,
    /// The access keys the S3 endpoint accepts: the functions' own and their tenant sessions'.
    pub principals: &'a Arc<S3Principals>,
    /// API Gateway's usage plans (the gateway meters with them; users registers API keys).
    pub usage: &'a Arc<UsagePlans>,
}

/// How the functions are run: their limits, and for tests the faults injected into the table.
#[derive(Clone, Default)]
pub struct Operations {
    /// Added to the system clock wherever the stack tells time (schedules), to rehearse a date.
    pub clock_offset: chrono::Duration,
    /// The rate limits of the functions (the production defaults unless a test turns them off).
    pub rate_limits: RateLimits,
    /// Faults to inject into the functions' table calls (tests of resilience).
    pub faults: Option<Arc<FaultPlan>>,
}

/// Reads a secret file of the data dir, or creates it with `make` (readable by the owner only).
fn secret_file(path: &Path, make: impl FnOnce() -> Result<Vec<u8>, ServicesError>) -> Result<Vec<u8>, ServicesError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let bytes = make()?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            std::io::Write::write_all(&mut options.open(path)?, &bytes)?;
            Ok(bytes)
        }
        Err(e) => Err(e.into()),
    }
}

impl Services {
    /// Opens (or creates) the services in `data_dir`; tokens are issued by `api/identity`.
    pub fn open(data_dir: &Path, api: &str, aws: &LocalAws<'_>, ops: &Operations) -> Result<Self, ServicesError> {
        let clock_offset = ops.clock_offset;
        let table = EmbeddedTable::open(&data_dir.join("dynamodb"))?;
        let cursor_secret = secret_file(&data_dir.join("cursor-secret"), || {
            Ok(podcastflow_identity::tokens::random_token(32)?.into_bytes())
        })?;
        let metrics = Arc::new(MetricsRegistry::new());
        let backend: Arc<dyn podcastflow_store::Table> = match &ops.faults {
            Some(plan) => Arc::new(FaultyTable::new(Arc::new(table.clone()), plan.clone())),
            None => Arc::new(table.clone()),
        };
        let ctx = AppContext::new(backend, cursor_secret)
            .with_telemetry(Telemetry::local(metrics.clone(), ops.rate_limits.clone()));
        let key_der = secret_file(&data_dir.join("identity-key.der"), || Ok(SigningKey::generate()?.pkcs8().to_vec()))?;
        let key = SigningKey::from_pkcs8(&key_der)?;
        let outbox = Outbox::new(data_dir.join("outbox"), "PodcastFlow <no-reply@podcastflow.local>");
        let issuer = format!("{api}/identity");
        let idp_table = EmbeddedTable::open(&data_dir.join("identity"))?;
        let identity =
            LocalIdentity::new(Arc::new(idp_table), key, issuer.clone(), CLIENT_ID, Arc::new(outbox.clone()))
                .with_clock_offset(clock_offset);
        let jwks = HttpKeySource::new(format!("{issuer}/.well-known/jwks.json"));
        let verifier = Arc::new(TokenVerifier::new(issuer, CLIENT_ID, Arc::new(jwks)));
        let key = aws.credentials;
        let push = Arc::new(ApiGatewayPush::with_static_key(
            aws.connections,
            aws.region,
            &key.access_key_id,
            &key.secret_access_key,
        ));
        let bucket = |name| Objects::local(aws.s3, aws.region, &key.access_key_id, &key.secret_access_key, name);
        let (backups, media, logs) = (bucket(aws.backups_bucket), bucket(aws.media_bucket), bucket(aws.logs_bucket));
        let access = Arc::new(Access::parse(crate::template::BUNDLED)?);
        let usage: Arc<dyn UsageKeys> = Arc::new(LocalUsageKeys(aws.usage.clone()));
        let interactive_usage_key = aws.usage.fixed_key(INTERACTIVE_KEY);
        Ok(Self {
            ctx,
            table,
            identity: Arc::new(identity),
            verifier,
            outbox,
            push,
            backups,
            media,
            logs,
            metrics,
            access,
            principals: aws.principals.clone(),
            usage,
            interactive_usage_key,
        })
    }

    /// The context `function` runs with: the stack's table as template.yaml's IAM lets that
    /// function reach it (its role's own calls, its tenant sessions), checked on every call.
    pub fn ctx_of(&self, function: &str) -> AppContext {
        let (table, tenants) = self.access.tables_of(function, self.ctx.table.clone(), &self.principals);
        let mut ctx = self.ctx.clone().with_tenants(tenants);
        ctx.table = table;
        ctx
    }

    /// `bucket` as `function`'s own role reaches it: a key of its own, held to its role's
    /// policies by the S3 endpoint (each organization's objects it reaches through that
    /// organization's session instead).
    pub fn bucket_of(&self, function: &str, bucket: &Objects) -> Result<Objects, ServicesError> {
        let who = format!("{function}'s role");
        let key = self.principals.register(who, self.access.bucket_grants_of(function), None)?;
        let credentials = Credentials::new(key.access_key_id, key.secret_access_key, None, None, "local-function");
        Ok(bucket.with_credentials(credentials))
    }

    /// Creates the platform operator on first start: e-mail and password from the environment,
    /// or the default e-mail with a generated password. Returns the credentials when it was
    /// created now (to show once), `None` when it already existed.
    pub async fn ensure_master(
        &self,
        email: Option<String>,
        password: Option<String>,
    ) -> Result<Option<(String, String)>, ServicesError> {
        let email = email.unwrap_or_else(|| DEFAULT_MASTER_EMAIL.into());
        let password = match password {
            Some(p) => p,
            None => generate_password().map_err(ProvisionError::from)?,
        };
        let identity: &dyn Identity = self.identity.as_ref();
        let created = ensure_master(self.ctx.table.as_ref(), &self.ctx.cursors, identity, &email, &password).await?;
        Ok(created.map(|_| (email, password)))
    }
}
