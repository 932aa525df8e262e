//! Starting and stopping the local stack as a whole.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use podcastflow_platform::crossorg::AccessLog;
use podcastflow_store::embedded::EmbeddedTable;
use serde::Serialize;
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::credentials::LocalCredentials;
use crate::delivery::Delivery;
use crate::functions::{EventHandler, HttpHandler, event_functions, http_functions, observed};
use crate::models::{ModelError, RequestValidator};
use crate::rest::{Gateway, serve};
use crate::routes::RouteTable;
use crate::s3;
use crate::schedule::{Schedule, ScheduleError, Scheduled};
use crate::services::{LocalAws, Operations, Services, ServicesError};
use crate::template::{Template, TemplateError};
use crate::usage::UsagePlans;
use crate::websocket::{self, WsGateway};

/// The file in the data dir naming a running stack's URLs: written once it serves, removed when
/// it stops.
pub const ENDPOINTS_FILE: &str = "endpoints.json";

/// How often expired items are swept, as DynamoDB's TTL would.
const TTL_SWEEP: Duration = Duration::from_secs(60);

/// How to start the stack.
#[derive(Clone)]
pub struct StackConfig {
    /// Where all state lives (the table, later the S3 objects and the outbox).
    pub data_dir: PathBuf,
    /// Port of the REST API on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Port of the WebSocket API and its management API (the API's port + 1 by default).
    pub websocket_port: u16,
    /// Port of the S3 endpoint (the API's port + 2 by default; 0 picks a free one).
    pub s3_port: u16,
    /// The template's text (the bundled one by default).
    pub template: String,
    /// Stage name in request contexts.
    pub stage: String,
    /// HTTP functions by logical id in addition to (or instead of) the template's own, which the
    /// stack builds on its services; tests add theirs beside a template of their own.
    pub functions: std::collections::HashMap<String, HttpHandler>,
    /// Event functions (authorizers, stream, schedules) likewise.
    pub event_functions: std::collections::HashMap<String, EventHandler>,
    /// The platform operator to create on first start: e-mail (default
    /// `master@podcastflow.local`) and password (generated when unset).
    pub master_email: Option<String>,
    /// See `master_email`.
    pub master_password: Option<String>,
    /// Whether to create the platform operator at all (tests of the stream's mechanics start
    /// from an empty table so they see only their own records).
    pub create_master: bool,
    /// Clock offset, rate limits and injected faults of the functions.
    pub ops: Operations,
    /// Region named in ARNs and events.
    pub region: String,
    /// Whether to create the demonstration organization (`--demo`), before any request is served.
    pub demo: bool,
}

impl StackConfig {
    /// Defaults: the bundled template, stage `local`.
    pub fn new(data_dir: impl Into<PathBuf>, port: u16) -> Self {
        Self {
            data_dir: data_dir.into(),
            port,
            websocket_port: if port == 0 { 0 } else { port.saturating_add(1) },
            s3_port: if port == 0 { 0 } else { port.saturating_add(2) },
            template: crate::template::BUNDLED.to_owned(),
            stage: "local".into(),
            functions: HashMap::new(),
            event_functions: HashMap::new(),
            master_email: None,
            master_password: None,
            create_master: true,
            ops: Operations::default(),
            region: "us-east-1".into(),
            demo: false,
        }
    }
}

/// The URLs of a running stack, also written to `<data-dir>/endpoints.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoints {
    /// Base URL of the REST API.
    pub api: String,
    /// URL of the WebSocket API.
    pub websocket: String,
    /// Endpoint of the WebSocket management API (for aws-sdk-apigatewaymanagement).
    pub connections: String,
    /// Base URL of the S3 endpoint (path-style; SigV4 with the data dir's credentials).
    pub s3: String,
}

/// Why the stack did not start.
#[derive(Debug, Error)]
pub enum StackError {
    /// The template is unusable.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A request model of the template is not a valid draft-4 schema.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A route names a function the stack does not have.
    #[error("template route {method} {path} names {function}, which the local stack does not run")]
    MissingFunction {
        /// The route's method.
        method: String,
        /// The route's path.
        path: String,
        /// The function's logical id.
        function: String,
    },
    /// A stream or schedule names a function the stack does not have.
    #[error("template event {event} names {function}, which the local stack does not run")]
    MissingEventFunction {
        /// The event's name.
        event: String,
        /// The function's logical id.
        function: String,
    },
    /// A schedule expression is invalid.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A function could not be built on the stack's services.
    #[error("building a function: {0}")]
    Build(String),
    /// The store could not be opened.
    #[error("store: {0}")]
    Store(#[from] podcastflow_store::StoreError),
    /// The bundled OpenAPI document does not parse.
    #[error("infra/openapi.yaml: {0}")]
    OpenApi(String),
    /// The functions' services could not be made.
    #[error(transparent)]
    Services(#[from] ServicesError),
    /// Data of an earlier version could not be brought up to date.
    #[error("moving identity items of an earlier version: {0}")]
    Upgrade(#[from] podcastflow_store::repo::RepoError),
    /// A socket or file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// A running stack.
pub struct RunningStack {
    /// Its URLs.
    pub endpoints: Endpoints,
    /// Its table (for tests and tools in the same process).
    pub table: EmbeddedTable,
    /// The credentials its S3 endpoint and `@connections` API accept.
    pub credentials: LocalCredentials,
    /// The buckets of the template: (logical id, local name).
    pub buckets: Vec<(String, String)>,
    /// What the functions run on (identity provider, outbox), for tests and tools.
    pub services: Services,
    /// The platform operator's e-mail and password when created by this start (shown once).
    pub master_created: Option<(String, String)>,
    /// What `--demo` did: the e-mails it created now (empty when it existed), or why it failed
    /// (the stack runs on without it).
    pub demo: Option<Result<Vec<String>, String>>,
    data_dir: PathBuf,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningStack {
    /// Stops serving, finishes in-flight requests and waits for every task.
    pub async fn shutdown(self) {
        // Clients reading endpoints.json must not find ports nobody listens on.
        let _ = std::fs::remove_file(self.data_dir.join(ENDPOINTS_FILE));
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Refuses a template whose routes, streams, schedules or authorizers name a function the stack
/// does not run, so a mistake shows at start-up rather than as a 5xx later.
fn check_functions(
    template: &Template,
    functions: &HashMap<String, HttpHandler>,
    events: &HashMap<String, EventHandler>,
) -> Result<(), StackError> {
    if let Some(r) = template.routes.iter().find(|r| !functions.contains_key(&r.function)) {
        let (method, path, function) = (r.method.clone(), r.path.clone(), r.function.clone());
        return Err(StackError::MissingFunction { method, path, function });
    }
    if let Some(r) = template.websocket_routes.iter().find(|r| !functions.contains_key(&r.function)) {
        let (path, function) = (r.key.clone(), r.function.clone());
        return Err(StackError::MissingFunction { method: "WEBSOCKET".into(), path, function });
    }
    let streams = template
        .streams
        .iter()
        .map(|s| (s.name.clone(), &s.function))
        .chain(template.object_events.iter().map(|o| (o.name.clone(), &o.function)));
    let schedules = template.schedules.iter().map(|s| (s.name.clone(), &s.function));
    let authorizers = template
        .routes
        .iter()
        .filter_map(|r| r.authorizer.as_ref())
        .chain(template.websocket_routes.iter().filter_map(|r| r.authorizer.as_ref()))
        .map(|a| (format!("authorizer {}", a.name), &a.function));
    match streams.chain(schedules).chain(authorizers).find(|(_, f)| !events.contains_key(*f)) {
        Some((event, function)) => Err(StackError::MissingEventFunction { event, function: function.clone() }),
        None => Ok(()),
    }
}

/// Serves an axum app until `stop` turns true, finishing requests in flight.
fn serve_http(
    listener: tokio::net::TcpListener,
    app: Router,
    mut stop: watch::Receiver<bool>,
    name: &'static str,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "{name} stopped");
        }
    })
}

/// Deletes expired items now and then, as DynamoDB's TTL process does.
fn spawn_ttl_sweeper(table: EmbeddedTable, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(TTL_SWEEP) => {
                    if let Err(e) = table.sweep_expired(chrono::Utc::now()).await {
                        tracing::warn!(error = %e, "TTL sweep failed");
                    }
                }
                _ = stop.changed() => break,
            }
        }
    })
}

/// Starts the stack: opens the store, checks the template against the functions it runs, serves
/// the REST and WebSocket APIs and S3, delivers the stream, fires the schedules and writes
/// `endpoints.json`.
pub async fn start(config: StackConfig) -> Result<RunningStack, StackError> {
    let template = Template::parse(&config.template)?;
    let schedules = template
        .schedules
        .iter()
        .map(|s| Ok((s.clone(), s.expression.parse::<Schedule>()?)))
        .collect::<Result<Vec<_>, ScheduleError>>()?;
    std::fs::create_dir_all(&config.data_dir)?;
    let (stop, stopped) = watch::channel(false);
    let bind = |port: u16| tokio::net::TcpListener::bind(("127.0.0.1", port));

    let listener = bind(config.port).await?;
    let addr = listener.local_addr()?;
    let ws_listener = bind(config.websocket_port).await?;
    let ws_addr = ws_listener.local_addr()?;
    let s3_listener = bind(config.s3_port).await?;
    let s3_addr = s3_listener.local_addr()?;

    let api = format!("http://{addr}");
    let credentials = LocalCredentials::load_or_create(&config.data_dir)?;
    let connections_endpoint = format!("http://{ws_addr}/{}", config.stage);
    let s3_endpoint = format!("http://{s3_addr}");
    let bucket = |logical: &str, fallback: &str| {
        template.buckets.iter().find(|(id, _)| id == logical).map_or_else(|| fallback.to_owned(), |(_, n)| n.clone())
    };
    let backups_bucket = bucket("BackupsBucket", "podcastflow-local-backups");
    let media_bucket = bucket("MediaBucket", "podcastflow-local-media");
    let logs_bucket = bucket("LogsBucket", "podcastflow-local-logs");
    let usage = Arc::new(UsagePlans::new(&template, Some(config.data_dir.join("usage-keys.json")))?);
    let principals = Arc::new(s3::S3Principals::new(&credentials));
    let aws = LocalAws {
        connections: &connections_endpoint,
        s3: &s3_endpoint,
        backups_bucket: &backups_bucket,
        media_bucket: &media_bucket,
        logs_bucket: &logs_bucket,
        region: &config.region,
        credentials: &credentials,
        principals: &principals,
        usage: &usage,
    };
    let services = Services::open(&config.data_dir, &api, &aws, &config.ops)?;
    let table = services.table.clone();
    let mut functions = http_functions(&services).await.map_err(|e| StackError::Build(e.to_string()))?;
    functions.extend(config.functions);
    // Every function runs in the request wrapper, as `serve_http` runs it in Lambda.
    // With the template's CORS origin, as CORS_ALLOW_ORIGIN gives it to them in AWS.
    let origin = template.cors.as_ref().map(|c| c.allow_origin.clone());
    let telemetry = Arc::new(services.ctx.telemetry.as_ref().clone().with_cors_origin(origin));
    let functions = functions
        .into_iter()
        .map(|(name, h)| {
            let log = AccessLog::new(services.ctx_of(&name).tenants);
            (name.clone(), observed(telemetry.clone(), log, name, h))
        })
        .collect::<HashMap<_, _>>();
    let mut events = event_functions(&services).await.map_err(|e| StackError::Build(e.to_string()))?;
    events.extend(config.event_functions);
    check_functions(&template, &functions, &events)?;

    let ws_gateway = Arc::new(WsGateway::new(
        &template.websocket_routes,
        functions.clone(),
        events.clone(),
        &config.stage,
        ws_addr.to_string(),
        &config.region,
        credentials.clone(),
    ));
    let gateway = Arc::new(Gateway {
        routes: RouteTable::new(&template.routes),
        functions,
        stage: config.stage.clone(),
        authorizers: events.clone(),
        auth_cache: Default::default(),
        cors: template.cors.clone(),
        region: config.region.clone(),
        validator: RequestValidator::new(&template.models)?,
        usage,
    });
    let identity = services.identity.clone();
    let jwks = axum::routing::get(move || {
        let body = serde_json::to_string(&identity.jwks()).unwrap_or_else(|_| "{\"keys\":[]}".into());
        async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }
    });
    let openapi = crate::docs::openapi_json().map_err(StackError::OpenApi)?;
    let docs = crate::docs::docs_html().map_err(StackError::OpenApi)?;
    let openapi = axum::routing::get(move || {
        let body = openapi.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }
    });
    let docs = axum::routing::get(move || {
        let body = docs.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], body) }
    });
    let app = Router::new()
        .route("/identity/.well-known/jwks.json", jwks)
        .route("/openapi.json", openapi)
        .route("/docs", docs)
        .fallback(serve)
        // The gateway reads bodies itself (rest::serve) and answers 413 past MAX_BODY.
        .layer(DefaultBodyLimit::disable())
        .with_state(gateway);

    let s3_root = config.data_dir.join("s3");
    std::fs::create_dir_all(&s3_root)?;
    let bucket_names: Vec<String> = template.buckets.iter().map(|(_, n)| n.clone()).collect();
    s3::create_buckets(&s3_root, &bucket_names)?;

    // A data dir of an earlier version keeps working: memberships, revoked sign-ins and API-key
    // grants move into their organizations before anyone signs in.
    let moved = podcastflow_store::repo::identity_move::move_identity_items(&services.table).await?;
    if !moved.is_empty() {
        tracing::warn!(?moved, "moved identity items of an earlier version into their organizations");
    }

    // Everything a first request may need exists before the gateways accept one: the platform
    // operator and the demo organization (whose failure is reported, never fatal).
    let master_created = match config.create_master {
        true => services.ensure_master(config.master_email, config.master_password).await?,
        false => None,
    };
    let (demo, demo_files) = match config.demo {
        true => match crate::demo::seed_with_retries(&services).await {
            Ok(seeded) => (Some(Ok(seeded.emails)), seeded.files),
            Err(e) => (Some(Err(e.to_string())), Vec::new()),
        },
        false => (None, Vec::new()),
    };

    // S3 event notifications: each object created reaches the template's S3 events of its bucket.
    let (created_tx, created_rx) = tokio::sync::mpsc::unbounded_channel();
    let subscriptions = template
        .object_events
        .iter()
        .filter_map(|source| {
            let bucket = template.buckets.iter().find(|(id, _)| *id == source.bucket)?.1.clone();
            let handler = events.get(&source.function)?.clone();
            Some(crate::s3_events::Subscription { source: source.clone(), bucket, handler })
        })
        .collect();
    let object_events = crate::s3_events::spawn(subscriptions, created_rx, config.region.clone(), stopped.clone());
    let mut tasks = vec![
        object_events,
        serve_http(listener, app, stopped.clone(), "REST gateway"),
        serve_http(ws_listener, websocket::router(ws_gateway), stopped.clone(), "WebSocket gateway"),
        s3::serve(s3_root, principals.clone(), s3_listener, stopped.clone(), Some(created_tx))?,
        spawn_ttl_sweeper(table.clone(), stopped.clone()),
    ];
    let stream_arn = format!("arn:aws:dynamodb:{}:000000000000:table/podcastflow-local/stream/local", config.region);
    for source in &template.streams {
        let Some(handler) = events.get(&source.function).cloned() else { continue };
        let delivery = Delivery {
            table: table.clone(),
            source: source.clone(),
            handler,
            checkpoint: config.data_dir.join(format!("stream-{}-{}.position", source.function, source.name)),
            stream_arn: stream_arn.clone(),
            region: config.region.clone(),
            probed: if source.filters.is_empty() { None } else { crate::filter::probed_attributes(&source.filters) },
        };
        tasks.push(tokio::spawn(delivery.run(stopped.clone())));
    }
    for (source, schedule) in schedules {
        let Some(handler) = events.get(&source.function).cloned() else { continue };
        let rule_arn = format!(
            "arn:aws:events:{}:000000000000:rule/podcastflow-{}-{}",
            config.region, source.function, source.name
        );
        let region = config.region.clone();
        let scheduled =
            Scheduled { source, schedule, handler, rule_arn, region, clock_offset: config.ops.clock_offset };
        tasks.push(tokio::spawn(scheduled.run(stopped.clone())));
    }

    // The demo's recordings go in once S3 serves (a failure is reported, never fatal).
    if !demo_files.is_empty()
        && let Err(e) = crate::demo::upload(&services, demo_files).await
    {
        tracing::warn!(error = %e, "the demo recordings were not uploaded");
    }

    let endpoints = Endpoints {
        api,
        websocket: format!("ws://{ws_addr}/{}", config.stage),
        connections: connections_endpoint,
        s3: s3_endpoint,
    };
    // Written whole or not at all (a reader never sees half a file), once the stack serves.
    let json = serde_json::to_vec_pretty(&endpoints).map_err(std::io::Error::other)?;
    let partial = config.data_dir.join(format!("{ENDPOINTS_FILE}.partial"));
    std::fs::write(&partial, json)?;
    std::fs::rename(&partial, config.data_dir.join(ENDPOINTS_FILE))?;
    Ok(RunningStack {
        endpoints,
        table,
        credentials,
        buckets: template.buckets,
        services,
        master_created,
        demo,
        data_dir: config.data_dir,
        stop,
        tasks,
    })
}
