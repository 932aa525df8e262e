//! Starting and stopping the local stack as a whole.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use podcastflow_store::embedded::EmbeddedTable;
use serde::Serialize;
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::delivery::Delivery;
use crate::functions::{EventHandler, HttpHandler, event_functions, http_functions};
use crate::rest::{Gateway, MAX_BODY, serve};
use crate::routes::RouteTable;
use crate::s3::{self, S3Credentials};
use crate::schedule::{Schedule, ScheduleError, Scheduled};
use crate::template::{Template, TemplateError};
use crate::websocket::{self, WsGateway};

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
    /// The HTTP functions by logical id (every function of the template by default; tests may
    /// add their own beside a template of their own).
    pub functions: std::collections::HashMap<String, HttpHandler>,
    /// The event functions (stream, schedules) by logical id, likewise.
    pub event_functions: std::collections::HashMap<String, EventHandler>,
    /// Added to the system clock wherever the stack tells time (schedules), to rehearse a date.
    pub clock_offset: chrono::Duration,
    /// Region named in ARNs and events.
    pub region: String,
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
            functions: http_functions().into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            event_functions: event_functions().into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            clock_offset: chrono::Duration::zero(),
            region: "us-east-1".into(),
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
    /// The store could not be opened.
    #[error("store: {0}")]
    Store(#[from] podcastflow_store::StoreError),
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
    /// The credentials its S3 endpoint accepts.
    pub s3_credentials: S3Credentials,
    /// The buckets of the template: (logical id, local name).
    pub buckets: Vec<(String, String)>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningStack {
    /// Stops serving, finishes in-flight requests and waits for every task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Starts the stack: opens the store, checks the template against the functions it runs, serves
/// the REST API and writes `endpoints.json`.
pub async fn start(config: StackConfig) -> Result<RunningStack, StackError> {
    let template = Template::parse(&config.template)?;
    let functions = config.functions;
    if let Some(r) = template.routes.iter().find(|r| !functions.contains_key(r.function.as_str())) {
        return Err(StackError::MissingFunction {
            method: r.method.clone(),
            path: r.path.clone(),
            function: r.function.clone(),
        });
    }
    let events = config.event_functions;
    let event_targets = template.streams.iter().map(|s| (&s.name, &s.function));
    let schedule_targets = template.schedules.iter().map(|s| (&s.name, &s.function));
    if let Some((event, function)) =
        event_targets.chain(schedule_targets).find(|(_, f)| !events.contains_key(f.as_str()))
    {
        return Err(StackError::MissingEventFunction { event: event.clone(), function: function.clone() });
    }
    let missing_authorizer =
        template.routes.iter().filter_map(|r| r.authorizer.as_ref()).find(|a| !events.contains_key(&a.function));
    if let Some(a) = missing_authorizer {
        return Err(StackError::MissingEventFunction {
            event: format!("authorizer {}", a.name),
            function: a.function.clone(),
        });
    }
    let schedules = template
        .schedules
        .iter()
        .map(|s| Ok((s.clone(), s.expression.parse::<Schedule>()?)))
        .collect::<Result<Vec<_>, ScheduleError>>()?;
    std::fs::create_dir_all(&config.data_dir)?;
    let table = EmbeddedTable::open(&config.data_dir.join("dynamodb"))?;
    let ws_listener = tokio::net::TcpListener::bind(("127.0.0.1", config.websocket_port)).await?;
    let ws_addr = ws_listener.local_addr()?;
    let ws_gateway = Arc::new(WsGateway::new(
        &template.websocket_routes,
        functions.clone(),
        events.clone(),
        &config.stage,
        ws_addr.to_string(),
        &config.region,
    ));
    let gateway = Arc::new(Gateway {
        routes: RouteTable::new(&template.routes),
        functions,
        stage: config.stage.clone(),
        authorizers: events.clone(),
        auth_cache: Default::default(),
        cors: template.cors.clone(),
        region: config.region.clone(),
    });
    let app = Router::new().fallback(serve).layer(DefaultBodyLimit::max(MAX_BODY)).with_state(gateway);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);

    let mut stop_http = stopped.clone();
    let http = tokio::spawn(async move {
        let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop_http.wait_for(|s| *s).await;
            });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "REST gateway stopped");
        }
    });

    let sweeper_table = table.clone();
    let mut stop_sweep = stopped.clone();
    let sweeper = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(TTL_SWEEP) => {
                    if let Err(e) = sweeper_table.sweep_expired(chrono::Utc::now()).await {
                        tracing::warn!(error = %e, "TTL sweep failed");
                    }
                }
                _ = stop_sweep.changed() => break,
            }
        }
    });

    let s3_root = config.data_dir.join("s3");
    std::fs::create_dir_all(&s3_root)?;
    let bucket_names: Vec<String> = template.buckets.iter().map(|(_, n)| n.clone()).collect();
    s3::create_buckets(&s3_root, &bucket_names)?;
    let s3_credentials = S3Credentials::load_or_create(&config.data_dir)?;
    let s3_listener = tokio::net::TcpListener::bind(("127.0.0.1", config.s3_port)).await?;
    let s3_addr = s3_listener.local_addr()?;
    let s3_task = s3::serve(s3_root, &s3_credentials, s3_listener, stopped.clone())?;

    let ws_app = websocket::router(ws_gateway);
    let mut stop_ws = stopped.clone();
    let ws_task = tokio::spawn(async move {
        let server = axum::serve(ws_listener, ws_app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop_ws.changed().await;
            });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "WebSocket gateway stopped");
        }
    });

    let mut tasks = vec![http, sweeper, s3_task, ws_task];
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
        };
        tasks.push(tokio::spawn(delivery.run(stopped.clone())));
    }
    for (source, schedule) in schedules {
        let Some(handler) = events.get(&source.function).cloned() else { continue };
        let rule = format!(
            "arn:aws:events:{}:000000000000:rule/podcastflow-{}-{}",
            config.region, source.function, source.name
        );
        let scheduled = Scheduled {
            source,
            schedule,
            handler,
            rule_arn: rule,
            region: config.region.clone(),
            clock_offset: config.clock_offset,
        };
        tasks.push(tokio::spawn(scheduled.run(stopped.clone())));
    }

    let endpoints = Endpoints {
        api: format!("http://{addr}"),
        websocket: format!("ws://{ws_addr}/{}", config.stage),
        connections: format!("http://{ws_addr}/{}", config.stage),
        s3: format!("http://{s3_addr}"),
    };
    let json = serde_json::to_vec_pretty(&endpoints).map_err(std::io::Error::other)?;
    std::fs::write(config.data_dir.join("endpoints.json"), json)?;
    Ok(RunningStack { endpoints, table, s3_credentials, buckets: template.buckets, stop, tasks })
}
