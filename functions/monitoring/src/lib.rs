//! `monitoring`: the health, metrics and alerts of PodcastFlow.
//!
//! - `GET /monitoring/health` needs no sign-in (load balancers, uptime checks): `200 {status: ok,
//!   version}`, or 503 when the table does not answer. Sent with an admin's or master's bearer
//!   token (checked here by the authorizer's own code, since the route has no authorizer) it is
//!   the deep view: `{status: healthy | degraded | down, version, dependencies: [{name, status,
//!   latencyMs}]}` for the table, both buckets, identity and the connections endpoint.
//! - `GET /monitoring/metrics?minutes=15`: requests, errors and p50/p95/p99 latency per function
//!   and route over the window (1 to 60 minutes) and business counters: an admin's of the
//!   requests made in their own organization, master's of the whole platform, with the
//!   stream's figures.
//! - `GET /monitoring/alerts`: every alarm's state ([`alerts::RULES`]); an admin sees the
//!   per-organization ones for their organization only.
//!
//! Every health check that finds a dependency down (or, deep, degraded) adds to the
//! `health.failed` counter, which the `system-health` alarm watches.
//!
//! Metrics and alerts are for admins and master (docs/domain.md); others get 403.

pub mod alerts;
pub mod cloudwatch;
pub mod health;
pub mod metrics;

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, LambdaEvent, Request, RequestExt, Response};
use podcastflow_authorization::Authorizer;
use podcastflow_domain::Role;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_platform::{Problem, allow, json, principal, query_param, request_id};
use serde::Serialize;
use serde_json::json;

use crate::health::{Dependency, Probe, Status};
use crate::metrics::MetricsSource;

/// The deployed version, from the crate version at build time.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the function needs, built once at init.
pub struct MonitoringApp {
    /// Table, tenant sessions and telemetry.
    pub ctx: podcastflow_platform::AppContext,
    /// Checks the bearer token of a deep health request.
    pub authorizer: Authorizer,
    /// The dependencies to probe; the first is the table (the shallow check's one probe).
    pub probes: Vec<Arc<dyn Probe>>,
    /// Where metrics and alarms are read.
    pub metrics: Arc<dyn MetricsSource>,
}

/// The health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok` / `down` (shallow), `healthy` / `degraded` / `down` (deep).
    pub status: &'static str,
    /// The deployed version.
    pub version: &'static str,
    /// Each dependency (deep only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<Dependency>>,
}

/// Whether the request carries an admin's or master's credential, judged as the authorizer
/// would judge it for an authorized route.
async fn operator(app: &MonitoringApp, req: &Request) -> bool {
    let Some(auth) = req.headers().get("authorization").filter(|v| !v.is_empty()) else { return false };
    let mut event = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
    event.headers.insert("authorization", auth.clone());
    event.method_arn = Some(String::from("arn:aws:execute-api:-:-:-/-/GET/monitoring/health"));
    event.request_context.request_id = Some(request_id(req));
    match podcastflow_authorization::handle(&app.authorizer, LambdaEvent::new(event, Default::default())).await {
        Ok(policy) => {
            let allowed =
                policy.pointer("/policyDocument/Statement/0/Effect").and_then(|v| v.as_str()) == Some("Allow");
            let role = policy.pointer("/context/role").and_then(|v| v.as_str()).and_then(|r| r.parse::<Role>().ok());
            allowed && matches!(role, Some(Role::Admin | Role::Master))
        }
        Err(_) => false,
    }
}

async fn health(app: &MonitoringApp, req: &Request, rid: &str) -> Response<Body> {
    if operator(app, req).await {
        let (status, deps) = health::check(&app.probes).await;
        let code = if status == Status::Down { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
        let name = match status {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Down => "down",
        };
        if status != Status::Healthy {
            app.ctx.telemetry.count(alerts::PLATFORM, alerts::HEALTH_FAILED, 1);
        }
        return json(code, &Health { status: name, version: VERSION, dependencies: Some(deps) }, rid);
    }
    let (status, _) = health::check(&app.probes[..app.probes.len().min(1)]).await;
    let (code, name) = match status {
        Status::Down => (StatusCode::SERVICE_UNAVAILABLE, "down"),
        _ => (StatusCode::OK, "ok"),
    };
    // Every check that finds trouble counts toward the system-health alarm.
    if status == Status::Down {
        app.ctx.telemetry.count(alerts::PLATFORM, alerts::HEALTH_FAILED, 1);
    }
    json(code, &Health { status: name, version: VERSION, dependencies: None }, rid)
}

fn window(req: &Request) -> Result<Duration, Problem> {
    match query_param(req, "minutes") {
        None => Ok(Duration::from_secs(15 * 60)),
        Some(m) => match m.parse::<u64>() {
            Ok(m) if (1..=60).contains(&m) => Ok(Duration::from_secs(m * 60)),
            _ => Err(Problem::field("minutes", "range", "minutes must be a whole number from 1 to 60")),
        },
    }
}

fn source_failed(e: String) -> Error {
    podcastflow_platform::Outage(format!("metrics source: {e}")).into()
}

/// Handles one request.
pub async fn handle(app: &MonitoringApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    let path = req.raw_http_path().to_owned();
    if (req.method(), path.as_str()) == (&Method::GET, "/monitoring/health") {
        return Ok(health(app, &req, &rid).await);
    }
    let route = match (req.method(), path.as_str()) {
        (&Method::GET, "/monitoring/metrics") => "metrics",
        (&Method::GET, "/monitoring/alerts") => "alerts",
        (m, p) => return Ok(Problem::route_not_found(m.as_str(), p).response(&rid)),
    };
    let p = match principal(&req) {
        Ok(p) => p,
        Err(problem) => return Ok(problem.response(&rid)),
    };
    if let Err(problem) = allow(&p, Action::MonitoringRead, &Resource::Org(p.org_id)) {
        return Ok(problem.response(&rid));
    }
    // Master sees every organization's figures; an admin their own.
    let org = (p.role != Role::Master).then(|| p.org_id.to_string());
    if route == "alerts" {
        let alerts = app.metrics.alerts(org.as_deref()).await.map_err(source_failed)?;
        let active = alerts.iter().filter(|a| a.state == "alarm").count();
        return Ok(json(StatusCode::OK, &json!({"active": active, "alerts": alerts}), &rid));
    }
    let span = match window(&req) {
        Ok(s) => s,
        Err(problem) => return Ok(problem.response(&rid)),
    };
    let mut report = app.metrics.report(span, org.as_deref()).await.map_err(source_failed)?;
    // Whatever the source answers, an admin's report holds their organization's counters alone.
    if let Some(org) = &org {
        report.business.retain(|c| &c.org_id == org);
    }
    Ok(json(StatusCode::OK, &report, &rid))
}

impl podcastflow_wiring::HttpFunction for MonitoringApp {
    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        use podcastflow_wiring::Bucket;
        let ctx = deps.context().await?;
        // Figures are read where the telemetry goes: the local registry, else CloudWatch.
        let metrics: Arc<dyn MetricsSource> = match ctx.telemetry.registry() {
            Some(registry) => Arc::new(metrics::RegistrySource(registry.clone())),
            None => Arc::new(cloudwatch::CloudWatchSource::from_env().await?),
        };
        Ok(Self {
            authorizer: Authorizer {
                verifier: deps.verifier().await?,
                table: ctx.table.clone(),
                tenants: ctx.tenants.clone(),
                interactive_usage_key: None,
            },
            probes: vec![
                Arc::new(health::TableProbe(ctx.table.clone())),
                Arc::new(health::IdentityProbe(deps.identity().await?)),
                Arc::new(health::BucketProbe("backups-bucket", deps.objects(Bucket::Backups).await?)),
                Arc::new(health::BucketProbe("media-bucket", deps.objects(Bucket::Media).await?)),
                Arc::new(health::ConnectionsProbe(deps.push().await?)),
            ],
            metrics,
            ctx,
        })
    }

    fn context(&self) -> &podcastflow_platform::AppContext {
        &self.ctx
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, Error> {
        handle(self, req).await
    }
}

#[cfg(test)]
mod tests;
