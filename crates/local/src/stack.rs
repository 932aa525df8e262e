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

use crate::functions::{HttpHandler, http_functions};
use crate::rest::{Gateway, MAX_BODY, serve};
use crate::routes::RouteTable;
use crate::template::{Template, TemplateError};

/// How often expired items are swept, as DynamoDB's TTL would.
const TTL_SWEEP: Duration = Duration::from_secs(60);

/// How to start the stack.
#[derive(Clone)]
pub struct StackConfig {
    /// Where all state lives (the table, later the S3 objects and the outbox).
    pub data_dir: PathBuf,
    /// Port of the REST API on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The template's text (the bundled one by default).
    pub template: String,
    /// Stage name in request contexts.
    pub stage: String,
    /// The HTTP functions by logical id (every function of the template by default; tests may
    /// add their own beside a template of their own).
    pub functions: std::collections::HashMap<String, HttpHandler>,
}

impl StackConfig {
    /// Defaults: the bundled template, stage `local`.
    pub fn new(data_dir: impl Into<PathBuf>, port: u16) -> Self {
        Self {
            data_dir: data_dir.into(),
            port,
            template: crate::template::BUNDLED.to_owned(),
            stage: "local".into(),
            functions: http_functions().into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}

/// The URLs of a running stack, also written to `<data-dir>/endpoints.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoints {
    /// Base URL of the REST API.
    pub api: String,
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
    std::fs::create_dir_all(&config.data_dir)?;
    let table = EmbeddedTable::open(&config.data_dir.join("dynamodb"))?;
    let gateway =
        Arc::new(Gateway { routes: RouteTable::new(&template.routes), functions, stage: config.stage.clone() });
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

    let endpoints = Endpoints { api: format!("http://{addr}") };
    let json = serde_json::to_vec_pretty(&endpoints).map_err(std::io::Error::other)?;
    std::fs::write(config.data_dir.join("endpoints.json"), json)?;
    Ok(RunningStack { endpoints, table, stop, tasks: vec![http, sweeper] })
}
