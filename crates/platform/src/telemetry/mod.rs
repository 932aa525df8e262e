//! What a function reports about itself: request and business metrics (EMF lines to CloudWatch
//! in AWS, the in-process [`MetricsRegistry`] locally), and the settings of the request wrapper
//! ([`crate::observe`]): its rate limiter and its deadline.

pub mod emf;
pub mod histogram;
pub mod registry;
pub mod xray;

use std::sync::Arc;
use std::time::Duration;

pub use histogram::Histogram;
pub use registry::{MetricsRegistry, RequestSample, RequestStats, StreamStats, Window};

use crate::ratelimit::{RateLimiter, RateLimits};

/// How long a request may run before it is answered 503: API Gateway gives up at 29 s.
pub const DEADLINE: Duration = Duration::from_secs(25);

/// Where metrics go: EMF lines, printed in AWS, fed to the registry locally.
#[derive(Debug, Clone)]
pub enum Sink {
    /// Nowhere (unit tests).
    Off,
    /// EMF lines on stdout (AWS).
    Emf,
    /// The process's registry (local stack).
    Registry(Arc<MetricsRegistry>),
}

/// A function's telemetry, built once at init.
#[derive(Debug, Clone)]
pub struct Telemetry {
    /// The function's name in metrics when the caller does not name it (AWS: the Lambda's name).
    pub function: String,
    /// Where metrics go.
    pub sink: Sink,
    /// The instance's rate limiter.
    pub limiter: Arc<RateLimiter>,
    /// The request deadline.
    pub deadline: Duration,
    /// The browser origin allowed to call the API (`Access-Control-Allow-Origin` on every answer;
    /// API Gateway answers only the preflight).
    pub cors_origin: Option<String>,
}

impl Telemetry {
    /// No metrics, no limits: unit tests.
    pub fn off() -> Self {
        Self {
            function: String::from("test"),
            sink: Sink::Off,
            limiter: Arc::new(RateLimiter::new(RateLimits::off())),
            deadline: DEADLINE,
            cors_origin: None,
        }
    }

    /// The local stack's: the shared registry and limits.
    pub fn local(registry: Arc<MetricsRegistry>, limits: RateLimits) -> Self {
        Self {
            function: String::from("local"),
            sink: Sink::Registry(registry),
            limiter: Arc::new(RateLimiter::new(limits)),
            deadline: DEADLINE,
            cors_origin: None,
        }
    }

    /// The same telemetry answering browsers from `origin`.
    pub fn with_cors_origin(mut self, origin: Option<String>) -> Self {
        self.cors_origin = origin;
        self
    }

    /// In AWS: EMF, the Lambda's name, limits from `RATE_LIMITS` (JSON) or the defaults.
    pub fn from_env() -> Result<Self, crate::context::InvalidSetting> {
        let limits = match std::env::var("RATE_LIMITS").ok().filter(|v| !v.trim().is_empty()) {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| crate::context::InvalidSetting("RATE_LIMITS", e.to_string()))?
            }
            None => RateLimits::default(),
        };
        Ok(Self {
            function: std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| String::from("unknown")),
            sink: Sink::Emf,
            limiter: Arc::new(RateLimiter::new(limits)),
            deadline: DEADLINE,
            cors_origin: std::env::var("CORS_ALLOW_ORIGIN").ok().filter(|o| !o.trim().is_empty()),
        })
    }

    /// The registry, where there is one (locally).
    pub fn registry(&self) -> Option<&Arc<MetricsRegistry>> {
        match &self.sink {
            Sink::Registry(r) => Some(r),
            _ => None,
        }
    }

    /// Sends one EMF line where metrics go.
    fn emit(&self, line: impl FnOnce() -> String) {
        match &self.sink {
            Sink::Off => {}
            Sink::Emf => println!("{}", line()),
            Sink::Registry(r) => r.ingest(&line()),
        }
    }

    /// Records a request.
    pub fn record_request(&self, s: &RequestSample<'_>, request_id: &str) {
        self.emit(|| emf::request_line(s, request_id));
    }

    /// Annotates the request's X-Ray trace (in AWS, when the trace is sampled).
    pub fn annotate_trace(
        &self,
        trace_header: Option<&str>,
        started: std::time::SystemTime,
        a: &xray::Annotations<'_>,
    ) {
        if let (Sink::Emf, Some(header)) = (&self.sink, trace_header) {
            xray::send(header, started, std::time::SystemTime::now(), a);
        }
    }

    /// Adds `n` to a business counter (`campaign.transitioned`...) of an organization.
    pub fn count(&self, org: &str, name: &str, n: u64) {
        self.emit(|| emf::counter_line(org, name, n));
    }

    /// Records a stream batch: the oldest record's age and the records that failed.
    pub fn record_stream(&self, age: Duration, failed: u64) {
        self.emit(|| emf::stream_line(&self.function, age.as_millis() as u64, failed));
    }
}
