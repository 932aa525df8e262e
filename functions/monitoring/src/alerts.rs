//! The alarms of PodcastFlow, defined once: template.yaml declares the same ones as CloudWatch
//! alarms (the template test holds the two lists together), and locally they are evaluated on
//! the registry's last [`WINDOW`].

use std::time::Duration;

use podcastflow_platform::telemetry::Window;
use serde::Serialize;

/// The span the local evaluation looks at (the CloudWatch alarms' period times their
/// evaluation periods).
pub const WINDOW: Duration = Duration::from_secs(300);

/// Fewest requests in the window for the rate and latency alarms to judge (CloudWatch: a
/// metric-math alarm treating fewer as missing data).
pub const MIN_REQUESTS: u64 = 20;

/// The business counter of health checks that found a dependency down or degraded.
pub const HEALTH_FAILED: &str = "health.failed";

/// The organization dimension of the platform's own counters (CloudWatch refuses an empty one).
pub const PLATFORM: &str = "platform";

/// One alarm rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Its name, the same as the template's alarm's suffix.
    pub name: &'static str,
    /// What it watches.
    pub description: &'static str,
    /// It fires when the value is above this.
    pub threshold: f64,
    /// Whether it concerns one organization (an admin sees it for theirs) or the platform.
    pub per_org: bool,
}

/// Every alarm.
pub const RULES: [Rule; 8] = [
    Rule { name: "error-rate", description: "share of requests answered 5xx", threshold: 0.05, per_org: false },
    Rule {
        name: "latency-p99",
        description: "99th percentile latency in milliseconds",
        threshold: 1000.0,
        per_org: false,
    },
    Rule {
        name: "throttles",
        description: "requests refused for capacity (429, busy table)",
        threshold: 10.0,
        per_org: false,
    },
    Rule {
        name: "function-errors",
        description: "requests a function failed (outage or deadline)",
        threshold: 0.0,
        per_org: false,
    },
    Rule {
        name: "stream-iterator-age",
        description: "age of the oldest stream record delivered, in milliseconds",
        threshold: 60_000.0,
        per_org: false,
    },
    Rule {
        name: "stream-failures",
        description: "stream records a processor failed on",
        threshold: 0.0,
        per_org: false,
    },
    Rule { name: "backups-failed", description: "backups that failed", threshold: 0.0, per_org: true },
    Rule {
        name: "system-health",
        description: "health checks that found a dependency down or degraded",
        threshold: 0.0,
        per_org: false,
    },
];

/// An alarm's state now.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alert {
    /// The rule's name.
    pub name: &'static str,
    /// What it watches.
    pub description: &'static str,
    /// `alarm` or `ok` (or `insufficient-data` when too few requests were seen).
    pub state: &'static str,
    /// The value seen, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The threshold.
    pub threshold: f64,
}

/// The value a rule watches in a window; `None` when there is too little data. `org` limits the
/// per-organization rules to one organization.
fn value(rule: &Rule, w: &Window, org: Option<&str>) -> Option<f64> {
    let total = w.total();
    let enough = total.requests >= MIN_REQUESTS;
    match rule.name {
        "error-rate" => enough.then(|| total.error_rate()),
        "latency-p99" => {
            if enough {
                total.latency.quantile_ms(0.99)
            } else {
                None
            }
        }
        "throttles" => Some(total.throttled as f64),
        "function-errors" => Some(total.function_errors as f64),
        "stream-iterator-age" => Some(w.stream.max_age.as_millis() as f64),
        "stream-failures" => Some(w.stream.failed_records as f64),
        "system-health" => {
            Some(w.counters.iter().filter(|((_, name), _)| name == HEALTH_FAILED).map(|(_, n)| *n as f64).sum())
        }
        "backups-failed" => Some(
            w.counters
                .iter()
                .filter(|((o, name), _)| name == "backup.failed" && org.is_none_or(|org| o == org))
                .map(|(_, n)| *n as f64)
                .sum(),
        ),
        _ => None,
    }
}

/// Every rule's state on a window.
pub fn evaluate(w: &Window, org: Option<&str>) -> Vec<Alert> {
    RULES
        .iter()
        .map(|r| {
            let v = value(r, w, org);
            let state = match v {
                None => "insufficient-data",
                Some(v) if v > r.threshold => "alarm",
                Some(_) => "ok",
            };
            Alert { name: r.name, description: r.description, state, value: v, threshold: r.threshold }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use podcastflow_platform::telemetry::{MetricsRegistry, RequestSample, emf};

    use super::*;

    fn feed(r: &MetricsRegistry, status: u16, n: usize) {
        let s = RequestSample {
            function: "F",
            route: "GET /x",
            status,
            latency: Duration::from_millis(3),
            store_calls: 1,
            function_error: status >= 500,
            org: None,
        };
        for _ in 0..n {
            r.ingest(&emf::request_line(&s, "rid"));
        }
    }

    fn state(w: &Window, name: &str) -> &'static str {
        evaluate(w, None).into_iter().find(|a| a.name == name).map_or("missing", |a| a.state)
    }

    #[test]
    fn the_error_rate_fires_above_five_percent_and_clears_below() {
        let r = MetricsRegistry::new();
        feed(&r, 200, 10);
        assert_eq!(state(&r.window(WINDOW), "error-rate"), "insufficient-data");
        feed(&r, 200, 80);
        feed(&r, 503, 10);
        assert_eq!(state(&r.window(WINDOW), "error-rate"), "alarm");
        feed(&r, 200, 120);
        assert_eq!(state(&r.window(WINDOW), "error-rate"), "ok");
    }

    #[test]
    fn every_rule_is_an_alarm_of_the_template_and_every_alarm_a_rule() {
        let template = include_str!("../../../template.yaml");
        let declared: Vec<&str> =
            template.lines().filter_map(|l| l.trim().strip_prefix("AlarmName: !Sub podcastflow-${Stage}-")).collect();
        let mut rules: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        let mut declared_sorted = declared.clone();
        rules.sort_unstable();
        declared_sorted.sort_unstable();
        assert_eq!(rules, declared_sorted);
        // Each alarm tells the operations topic when it fires and when it clears.
        let alarms = template.split("Type: AWS::CloudWatch::Alarm").skip(1);
        for (body, name) in alarms.zip(&declared) {
            let props = body.split("\n\n").next().unwrap_or_default();
            assert!(props.contains("AlarmActions: [!Ref OperationsAlertsTopic]"), "{name}");
            assert!(props.contains("OKActions: [!Ref OperationsAlertsTopic]"), "{name}");
        }
    }

    #[test]
    fn a_failed_health_check_raises_the_system_health_alarm() {
        let r = MetricsRegistry::new();
        let w = r.window(WINDOW);
        let health = |w: &Window| evaluate(w, None).into_iter().find(|a| a.name == "system-health").map(|a| a.state);
        assert_eq!(health(&w), Some("ok"));
        r.ingest(&emf::counter_line(PLATFORM, HEALTH_FAILED, 1));
        r.ingest(&emf::counter_line(PLATFORM, "health.other", 5));
        assert_eq!(health(&r.window(WINDOW)), Some("alarm"));
    }

    #[test]
    fn failed_backups_are_judged_per_organization() {
        let r = MetricsRegistry::new();
        r.ingest(&emf::counter_line("org-a", "backup.failed", 1));
        let w = r.window(WINDOW);
        let backups = |org| evaluate(&w, org).into_iter().find(|a| a.name == "backups-failed").map(|a| a.state);
        assert_eq!(backups(Some("org-a")), Some("alarm"));
        assert_eq!(backups(Some("org-b")), Some("ok"));
        assert_eq!(backups(None), Some("alarm"));
    }
}
