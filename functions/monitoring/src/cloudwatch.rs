//! The metrics port in AWS: CloudWatch. Figures come from `GetMetricData` over the EMF metrics
//! the functions print (`SEARCH` expressions per function and route, labelled with their
//! dimensions), alarm states from `DescribeAlarms` on the template's alarms.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::DisplayErrorContext;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, StateValue};
use podcastflow_platform::telemetry::emf::{BUSINESS_NAMESPACE, NAMESPACE};

use crate::alerts::{Alert, RULES, WINDOW};
use crate::metrics::{Counter, Figures, MetricsSource, Report, Stream};

/// CloudWatch, with the prefix of the template's alarm names.
pub struct CloudWatchSource {
    client: Client,
    alarm_prefix: String,
}

/// Separates dimension values in labels (never in a function name or route).
const SEP: &str = "|~|";

fn route_label() -> String {
    format!("${{PROP('Dim.Function')}}{SEP}${{PROP('Dim.Route')}}")
}

fn search(id: &str, schema: &str, filter: &str, stat: &str, period: i32, label: &str) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .expression(format!("SEARCH('{{{schema}}} {filter}', '{stat}', {period})"))
        .label(label)
        .period(period)
        .return_data(true)
        .build()
}

fn total(id: &str, metric: &str, stat: &str, period: i32, org: Option<&str>) -> MetricDataQuery {
    let mut m = Metric::builder().namespace(NAMESPACE).metric_name(metric);
    if let Some(org) = org {
        m = m.dimensions(Dimension::builder().name("OrgId").value(org).build());
    }
    let m = m.build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(MetricStat::builder().metric(m).period(period).stat(stat).build())
        .return_data(true)
        .build()
}

/// A period CloudWatch accepts that covers `span`: whole minutes.
fn period_of(span: Duration) -> i32 {
    (span.as_secs().div_ceil(60).max(1) * 60).min(86_400) as i32
}

impl CloudWatchSource {
    /// On a client (built once at init); alarms are those named `alarm_prefix...`.
    pub fn new(client: Client, alarm_prefix: impl Into<String>) -> Self {
        Self { client, alarm_prefix: alarm_prefix.into() }
    }

    /// In AWS: the SDK configuration with our timeouts and `ALARM_PREFIX`.
    pub async fn from_env() -> Result<Self, String> {
        let prefix = std::env::var("ALARM_PREFIX").ok().filter(|p| !p.is_empty()).ok_or("ALARM_PREFIX is not set")?;
        Ok(Self::new(Client::new(&podcastflow_resilience::sdk_config().await), prefix))
    }

    /// Every series of the queries over the last `span`: id, then label, then the sum of values.
    async fn fetch(
        &self,
        span: Duration,
        queries: Vec<MetricDataQuery>,
    ) -> Result<BTreeMap<String, BTreeMap<String, f64>>, String> {
        let end = SystemTime::now();
        let start = end - span;
        let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .get_metric_data()
                .start_time(DateTime::from(start))
                .end_time(DateTime::from(end))
                .set_metric_data_queries(Some(queries.clone()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| DisplayErrorContext(e).to_string())?;
            for r in page.metric_data_results() {
                let id = r.id().unwrap_or_default().to_owned();
                let label = r.label().unwrap_or_default().to_owned();
                let entry = out.entry(id).or_default().entry(label).or_default();
                *entry += r.values().iter().sum::<f64>();
            }
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl MetricsSource for CloudWatchSource {
    async fn report(&self, span: Duration, org: Option<&str>) -> Result<Report, String> {
        // An id that could break out of the search expression is no organization's.
        if org.is_some_and(|o| !o.bytes().all(|b| b.is_ascii_alphanumeric())) {
            return Ok(Report { window_seconds: span.as_secs(), ..Report::default() });
        }
        let p = period_of(span);
        let label = route_label();
        // An organization's figures are its own series: the same searches, narrowed to it.
        let (by_route, only) = match org {
            Some(o) => ("OrgId,Function,Route".to_owned(), format!(" OrgId=\"{o}\"")),
            None => ("Function,Route".to_owned(), String::new()),
        };
        let filter = |metric: &str| format!("MetricName=\"{metric}\"{only}");
        let mut queries = vec![
            search("requests", &format!("{NAMESPACE},{by_route}"), &filter("Requests"), "Sum", p, &label),
            search("errors", &format!("{NAMESPACE},{by_route}"), &filter("Errors"), "Sum", p, &label),
            search("throttles", &format!("{NAMESPACE},{by_route}"), &filter("Throttles"), "Sum", p, &label),
            search("storecalls", &format!("{NAMESPACE},{by_route}"), &filter("StoreCalls"), "Sum", p, &label),
            search(
                "clienterrors",
                &format!("{NAMESPACE},{by_route},StatusClass"),
                &format!("{} StatusClass=\"4xx\"", filter("Requests")),
                "Sum",
                p,
                &label,
            ),
            search(
                "business",
                &format!("{BUSINESS_NAMESPACE},Metric,OrgId"),
                &format!("MetricName=\"Count\"{only}"),
                "Sum",
                p,
                &format!("${{PROP('Dim.OrgId')}}{SEP}${{PROP('Dim.Metric')}}"),
            ),
        ];
        if org.is_none() {
            queries.extend(stream_queries(p));
        }
        for (id, stat) in [("p50", "p50"), ("p95", "p95"), ("p99", "p99")] {
            queries.push(search(id, &format!("{NAMESPACE},{by_route}"), &filter("Latency"), stat, p, &label));
            queries.push(total(&format!("total{id}"), "Latency", stat, p, org));
        }
        self.report_of(span, org, queries).await
    }

    async fn alerts(&self, org: Option<&str>) -> Result<Vec<Alert>, String> {
        let out = self
            .client
            .describe_alarms()
            .alarm_name_prefix(&self.alarm_prefix)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        let mut alerts = Vec::new();
        for rule in RULES {
            let name = format!("{}{}", self.alarm_prefix, rule.name);
            let alarm = out.metric_alarms().iter().find(|a| a.alarm_name() == Some(name.as_str()));
            let state = match alarm.and_then(|a| a.state_value()) {
                Some(StateValue::Alarm) => "alarm",
                Some(StateValue::Ok) => "ok",
                _ => "insufficient-data",
            };
            alerts.push(Alert {
                name: rule.name,
                description: rule.description,
                state,
                value: None,
                threshold: rule.threshold,
            });
        }
        // The platform's failed-backups alarm counts every organization; an admin sees theirs.
        if let Some(org) = org.filter(|o| o.bytes().all(|b| b.is_ascii_alphanumeric())) {
            let q = search(
                "failed",
                &format!("{BUSINESS_NAMESPACE},Metric,OrgId"),
                &format!("MetricName=\"Count\" Metric=\"backup.failed\" OrgId=\"{org}\""),
                "Sum",
                period_of(WINDOW),
                "failed",
            );
            let failed: f64 = self.fetch(WINDOW, vec![q]).await?.into_values().flat_map(|m| m.into_values()).sum();
            for a in alerts.iter_mut().filter(|a| RULES.iter().any(|r| r.name == a.name && r.per_org)) {
                a.value = Some(failed);
                a.state = if failed > a.threshold { "alarm" } else { "ok" };
            }
        }
        Ok(alerts)
    }
}

/// The change stream's figures (the platform view only).
fn stream_queries(p: i32) -> Vec<MetricDataQuery> {
    vec![
        search("streamage", &format!("{NAMESPACE},Function"), "MetricName=\"StreamRecordAge\"", "Maximum", p, "age"),
        search(
            "streambatches",
            &format!("{NAMESPACE},Function"),
            "MetricName=\"StreamRecordAge\"",
            "SampleCount",
            p,
            "batches",
        ),
        search(
            "streamfailures",
            &format!("{NAMESPACE},Function"),
            "MetricName=\"StreamFailures\"",
            "Sum",
            p,
            "failures",
        ),
    ]
}

impl CloudWatchSource {
    /// The report the `queries` of [`MetricsSource::report`] answer.
    async fn report_of(
        &self,
        span: Duration,
        org: Option<&str>,
        queries: Vec<MetricDataQuery>,
    ) -> Result<Report, String> {
        let data = self.fetch(span, queries).await?;
        let series = |id: &str| data.get(id).cloned().unwrap_or_default();
        let at = |id: &str, label: &str| series(id).get(label).copied();
        let mut routes = Vec::new();
        for (label, requests) in series("requests") {
            let Some((function, route)) = label.split_once(SEP) else { continue };
            let n = |id: &str| at(id, &label).unwrap_or(0.0) as u64;
            routes.push(Figures {
                function: Some(function.to_owned()),
                route: Some(route.to_owned()),
                requests: requests as u64,
                errors: n("errors"),
                client_errors: n("clienterrors"),
                throttled: n("throttles"),
                store_calls: n("storecalls"),
                p50_ms: at("p50", &label),
                p95_ms: at("p95", &label),
                p99_ms: at("p99", &label),
            });
        }
        let first = |id: &str| series(id).into_values().next();
        let totals = Figures {
            function: None,
            route: None,
            requests: routes.iter().map(|r| r.requests).sum(),
            errors: routes.iter().map(|r| r.errors).sum(),
            client_errors: routes.iter().map(|r| r.client_errors).sum(),
            throttled: routes.iter().map(|r| r.throttled).sum(),
            store_calls: routes.iter().map(|r| r.store_calls).sum(),
            p50_ms: first("totalp50"),
            p95_ms: first("totalp95"),
            p99_ms: first("totalp99"),
        };
        let business = series("business")
            .into_iter()
            .filter_map(|(label, n)| {
                let (org, name) = label.split_once(SEP)?;
                Some(Counter { org_id: org.to_owned(), name: name.to_owned(), count: n as u64 })
            })
            .collect();
        let sum = |id: &str| series(id).into_values().sum::<f64>() as u64;
        let stream = org.is_none().then(|| Stream {
            batches: sum("streambatches"),
            failed_records: sum("streamfailures"),
            max_age_ms: series("streamage").into_values().fold(0.0, f64::max) as u64,
        });
        Ok(Report { window_seconds: span.as_secs(), totals, routes, business, stream })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_whole_minutes_covering_the_window() {
        assert_eq!(period_of(Duration::from_secs(1)), 60);
        assert_eq!(period_of(Duration::from_secs(900)), 900);
        assert_eq!(period_of(Duration::from_secs(901)), 960);
    }

    #[test]
    fn searches_name_the_schema_filter_and_statistic() {
        let q = search("requests", "PodcastFlow,Function,Route", "MetricName=\"Requests\"", "Sum", 300, &route_label());
        assert_eq!(q.expression(), Some("SEARCH('{PodcastFlow,Function,Route} MetricName=\"Requests\"', 'Sum', 300)"));
        assert_eq!(q.label(), Some("${PROP('Dim.Function')}|~|${PROP('Dim.Route')}"));
    }
}
