//! The metrics port of the monitoring endpoints: figures over a window and the alarms' states.
//! Locally the registry ([`RegistrySource`]); in AWS CloudWatch.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use podcastflow_platform::telemetry::{MetricsRegistry, RequestStats};
use serde::Serialize;

use crate::alerts::{self, Alert};

/// Figures of requests: one route of one function, or all together.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// The function (absent in the totals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// `METHOD /resource` (absent in the totals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Requests answered.
    pub requests: u64,
    /// Answered 5xx.
    pub errors: u64,
    /// Answered 4xx.
    pub client_errors: u64,
    /// Refused for capacity.
    pub throttled: u64,
    /// Table calls made.
    pub store_calls: u64,
    /// Median latency, milliseconds.
    pub p50_ms: Option<f64>,
    /// 95th percentile.
    pub p95_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
}

impl Figures {
    fn of(function: Option<String>, route: Option<String>, s: &RequestStats) -> Self {
        Self {
            function,
            route,
            requests: s.requests,
            errors: s.server_errors,
            client_errors: s.client_errors,
            throttled: s.throttled,
            store_calls: s.store_calls,
            p50_ms: s.latency.quantile_ms(0.5),
            p95_ms: s.latency.quantile_ms(0.95),
            p99_ms: s.latency.quantile_ms(0.99),
        }
    }
}

/// A business counter of one organization.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Counter {
    /// The organization.
    pub org_id: String,
    /// What was counted (`campaign.transitioned`...).
    pub name: String,
    /// How often.
    pub count: u64,
}

/// The change stream's figures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Stream {
    /// Batches delivered.
    pub batches: u64,
    /// Records a processor failed on.
    pub failed_records: u64,
    /// The oldest record's age at delivery, milliseconds.
    pub max_age_ms: u64,
}

/// What `GET /monitoring/metrics` answers.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The window's length.
    pub window_seconds: u64,
    /// All requests together.
    pub totals: Figures,
    /// Per function and route.
    pub routes: Vec<Figures>,
    /// Business counters.
    pub business: Vec<Counter>,
    /// The change stream (the platform view only: master's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<Stream>,
}

/// Where the figures come from.
#[async_trait]
pub trait MetricsSource: Send + Sync {
    /// The figures of the last `span`: of the requests made in organization `org` and its
    /// business counters, or with `None` the platform's (every request, every counter, the
    /// stream).
    async fn report(&self, span: Duration, org: Option<&str>) -> Result<Report, String>;
    /// Every alarm's state; `org` limits the per-organization alarms to one organization.
    async fn alerts(&self, org: Option<&str>) -> Result<Vec<Alert>, String>;
}

/// The local stack's registry.
pub struct RegistrySource(pub Arc<MetricsRegistry>);

#[async_trait]
impl MetricsSource for RegistrySource {
    async fn report(&self, span: Duration, org: Option<&str>) -> Result<Report, String> {
        let mut w = self.0.window(span);
        if let Some(org) = org {
            w.requests = w.requests_of(org);
            w.counters.retain(|(o, _), _| o == org);
        }
        Ok(Report {
            window_seconds: span.as_secs(),
            totals: Figures::of(None, None, &w.total()),
            routes: w.requests.iter().map(|((f, r), s)| Figures::of(Some(f.clone()), Some(r.clone()), s)).collect(),
            business: w
                .counters
                .iter()
                .map(|((org, name), n)| Counter { org_id: org.clone(), name: name.clone(), count: *n })
                .collect(),
            stream: org.is_none().then_some(Stream {
                batches: w.stream.batches,
                failed_records: w.stream.failed_records,
                max_age_ms: w.stream.max_age.as_millis() as u64,
            }),
        })
    }

    async fn alerts(&self, org: Option<&str>) -> Result<Vec<Alert>, String> {
        Ok(alerts::evaluate(&self.0.window(alerts::WINDOW), org))
    }
}
