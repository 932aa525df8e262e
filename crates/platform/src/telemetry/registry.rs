//! The in-process metrics registry: CloudWatch's part locally. It is fed the very EMF lines that
//! go to CloudWatch in AWS ([`MetricsRegistry::ingest`]), and the local monitoring endpoints read
//! it as the AWS ones read CloudWatch. Figures are kept in 10-second slots for an hour,
//! per function and route (bounded: routes are the template's, never raw paths), plus business
//! counters per organization and the stream's lag and failures.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;

use super::histogram::Histogram;

/// Width of one slot.
pub const SLOT: Duration = Duration::from_secs(10);
/// How far back figures are kept.
pub const KEEP: Duration = Duration::from_secs(3600);

/// Figures of one function and route over some time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestStats {
    /// Requests answered.
    pub requests: u64,
    /// Answers 400-499, 429 included.
    pub client_errors: u64,
    /// Answers 500-599.
    pub server_errors: u64,
    /// Answers 429 (rate limited) and 503 from a busy table.
    pub throttled: u64,
    /// Requests that failed in the function (an outage or the deadline), not by the client.
    pub function_errors: u64,
    /// Table calls made.
    pub store_calls: u64,
    /// Latencies.
    pub latency: Histogram,
}

impl RequestStats {
    fn merge(&mut self, o: &RequestStats) {
        self.requests += o.requests;
        self.client_errors += o.client_errors;
        self.server_errors += o.server_errors;
        self.throttled += o.throttled;
        self.function_errors += o.function_errors;
        self.store_calls += o.store_calls;
        self.latency.merge(&o.latency);
    }

    /// Share of requests answered 5xx (0 when there were none).
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 { 0.0 } else { self.server_errors as f64 / self.requests as f64 }
    }
}

/// One request, as its EMF line reports it.
#[derive(Debug, Clone, Copy)]
pub struct RequestSample<'a> {
    /// The function's name.
    pub function: &'a str,
    /// `METHOD /resource/{template}`.
    pub route: &'a str,
    /// The status answered.
    pub status: u16,
    /// Time from receipt to answer.
    pub latency: Duration,
    /// Table calls made.
    pub store_calls: u32,
    /// Whether the function failed (rather than the client).
    pub function_error: bool,
    /// The organization the request acted in, when it had a principal.
    pub org: Option<&'a str>,
}

/// The stream processors' figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamStats {
    /// Batches delivered.
    pub batches: u64,
    /// Records a processor failed on (to be redelivered).
    pub failed_records: u64,
    /// The oldest record's age when its batch was delivered.
    pub max_age: Duration,
}

#[derive(Debug, Default)]
struct Slot {
    requests: HashMap<(String, String), RequestStats>,
    org_requests: HashMap<(String, String, String), RequestStats>,
    counters: HashMap<(String, String), u64>,
    stream: StreamStats,
}

/// Everything recorded within a window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    /// Per `(function, route)`.
    pub requests: BTreeMap<(String, String), RequestStats>,
    /// Per `(organization id, function, route)`: the requests made in one organization.
    pub org_requests: BTreeMap<(String, String, String), RequestStats>,
    /// Business counters per `(organization id, name)`.
    pub counters: BTreeMap<(String, String), u64>,
    /// The change stream.
    pub stream: StreamStats,
}

impl Window {
    /// The requests made in organization `org`, per `(function, route)`.
    pub fn requests_of(&self, org: &str) -> BTreeMap<(String, String), RequestStats> {
        self.org_requests
            .iter()
            .filter(|((o, _, _), _)| o == org)
            .map(|((_, f, r), s)| ((f.clone(), r.clone()), s.clone()))
            .collect()
    }

    /// All requests of the window together.
    pub fn total(&self) -> RequestStats {
        let mut t = RequestStats::default();
        for s in self.requests.values() {
            t.merge(s);
        }
        t
    }
}

/// The registry, shared by every function of a process.
#[derive(Debug, Default)]
pub struct MetricsRegistry {
    slots: Mutex<BTreeMap<i64, Slot>>,
}

fn slot_now() -> i64 {
    let secs = Utc::now().timestamp();
    secs - secs.rem_euclid(SLOT.as_secs() as i64)
}

impl MetricsRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_slot(&self, f: impl FnOnce(&mut Slot)) {
        let now = slot_now();
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        f(slots.entry(now).or_default());
        let oldest = now - KEEP.as_secs() as i64;
        while slots.first_key_value().is_some_and(|(k, _)| *k < oldest) {
            slots.pop_first();
        }
    }

    /// Takes in one EMF line of [`super::emf`]: a request, a business counter or a stream batch.
    /// Lines of other shapes are not ours and are ignored.
    pub fn ingest(&self, line: &str) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return };
        let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
        let num = |k: &str| v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
        let namespace = v.pointer("/_aws/CloudWatchMetrics/0/Namespace").and_then(serde_json::Value::as_str);
        match (namespace, text("Route"), text("Metric")) {
            (Some(super::emf::NAMESPACE), Some(route), _) => self.with_slot(|slot| {
                let function = text("Function").unwrap_or("-");
                let class = text("StatusClass").unwrap_or("");
                let add = |stats: &mut RequestStats| {
                    stats.requests += num("Requests") as u64;
                    stats.client_errors += u64::from(class == "4xx");
                    stats.server_errors += num("Errors") as u64;
                    stats.throttled += num("Throttles") as u64;
                    stats.function_errors += num("FunctionErrors") as u64;
                    stats.store_calls += num("StoreCalls") as u64;
                    stats.latency.record(Duration::from_secs_f64(num("Latency").max(0.0) / 1000.0));
                };
                add(slot.requests.entry((function.to_owned(), route.to_owned())).or_default());
                if let Some(org) = text("OrgId") {
                    add(slot.org_requests.entry((org.to_owned(), function.to_owned(), route.to_owned())).or_default());
                }
            }),
            (Some(super::emf::NAMESPACE), None, _) if v.get("StreamRecordAge").is_some() => self.with_slot(|slot| {
                slot.stream.batches += 1;
                slot.stream.failed_records += num("StreamFailures") as u64;
                let age = Duration::from_millis(num("StreamRecordAge").max(0.0) as u64);
                slot.stream.max_age = slot.stream.max_age.max(age);
            }),
            (Some(super::emf::BUSINESS_NAMESPACE), _, Some(name)) => {
                let org = text("OrgId").unwrap_or("-");
                let n = num("Count") as u64;
                self.with_slot(|slot| *slot.counters.entry((org.to_owned(), name.to_owned())).or_default() += n);
            }
            _ => {}
        }
    }

    /// Everything recorded in the last `span` (whole slots, so up to one slot more).
    pub fn window(&self, span: Duration) -> Window {
        let from = slot_now() - span.as_secs() as i64;
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let mut w = Window::default();
        for (_, slot) in slots.range(from..) {
            for (k, s) in &slot.requests {
                w.requests.entry(k.clone()).or_default().merge(s);
            }
            for (k, s) in &slot.org_requests {
                w.org_requests.entry(k.clone()).or_default().merge(s);
            }
            for (k, n) in &slot.counters {
                *w.counters.entry(k.clone()).or_default() += n;
            }
            w.stream.batches += slot.stream.batches;
            w.stream.failed_records += slot.stream.failed_records;
            w.stream.max_age = w.stream.max_age.max(slot.stream.max_age);
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(status: u16, ms: u64) -> RequestSample<'static> {
        RequestSample {
            function: "CampaignsFunction",
            route: "GET /campaigns/{id}",
            status,
            latency: Duration::from_millis(ms),
            store_calls: 2,
            function_error: status == 503,
            org: (status != 429).then_some("org-1"),
        }
    }

    #[test]
    fn a_window_sums_the_emf_lines_it_was_fed() {
        let r = MetricsRegistry::new();
        for (status, ms) in [(200, 5), (200, 7), (404, 3), (503, 900), (429, 1)] {
            r.ingest(&super::super::emf::request_line(&sample(status, ms), "rid"));
        }
        let w = r.window(Duration::from_secs(60));
        let of_org = w.requests_of("org-1");
        assert_eq!(of_org.values().map(|s| s.requests).sum::<u64>(), 4, "the throttled one had no organization");
        assert!(w.requests_of("org-2").is_empty(), "nothing of one organization shows in another's");
        r.ingest(&super::super::emf::counter_line("org-1", "campaign.transitioned", 2));
        r.ingest(&super::super::emf::counter_line("org-1", "campaign.transitioned", 1));
        r.ingest(&super::super::emf::stream_line("StreamFunction", 40, 1));
        r.ingest("not a metric line");
        r.ingest(r#"{"_aws": {"CloudWatchMetrics": [{"Namespace": "Other"}]}, "Route": "x"}"#);
        let w = r.window(Duration::from_secs(60));
        let t = w.total();
        assert_eq!((t.requests, t.client_errors, t.server_errors, t.throttled, t.function_errors), (5, 2, 1, 1, 1));
        assert_eq!(t.store_calls, 10);
        assert!((t.error_rate() - 0.2).abs() < 1e-9);
        assert!(t.latency.quantile_ms(0.99).unwrap() >= 900.0);
        assert_eq!(w.counters[&("org-1".to_owned(), "campaign.transitioned".to_owned())], 3);
        assert_eq!((w.stream.batches, w.stream.failed_records, w.stream.max_age), (1, 1, Duration::from_millis(40)));
    }
}
