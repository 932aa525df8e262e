//! CloudWatch Embedded Metric Format: one JSON line on stdout that CloudWatch Logs turns into
//! metrics, with no API call on the request path. Dimensions are bounded: function, route (the
//! template's resource, never a raw path) and status class; business counters by name, and by
//! organization (one series per tenant, the accepted cost of per-tenant figures).

use serde_json::{Value, json};

use super::registry::RequestSample;

/// Namespace of the request metrics.
pub const NAMESPACE: &str = "PodcastFlow";
/// Namespace of the business counters.
pub const BUSINESS_NAMESPACE: &str = "PodcastFlow/Business";

fn envelope(namespace: &str, dimensions: Value, metrics: Value) -> Value {
    json!({
        "_aws": {
            "Timestamp": chrono::Utc::now().timestamp_millis(),
            "CloudWatchMetrics": [{"Namespace": namespace, "Dimensions": dimensions, "Metrics": metrics}],
        }
    })
}

/// The status class of a status: `2xx`, `4xx`...
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The line of one request: `Requests`, `Errors` (5xx), `FunctionErrors`, `Throttles`, `Latency`
/// and `StoreCalls`: over everything (for the totals' percentiles), by function, by function and
/// route, and by function, route and status class; a request made in an organization also by
/// organization, so an admin's figures are their organization's alone.
pub fn request_line(s: &RequestSample<'_>, request_id: &str) -> String {
    let mut dimensions = vec![json!([]), json!(["Function"]), json!(["Function", "Route"])];
    dimensions.push(json!(["Function", "Route", "StatusClass"]));
    if s.org.is_some() {
        dimensions.push(json!(["OrgId"]));
        dimensions.push(json!(["OrgId", "Function", "Route"]));
        dimensions.push(json!(["OrgId", "Function", "Route", "StatusClass"]));
    }
    let mut v = envelope(
        NAMESPACE,
        Value::Array(dimensions),
        json!([
            {"Name": "Requests", "Unit": "Count"},
            {"Name": "Errors", "Unit": "Count"},
            {"Name": "FunctionErrors", "Unit": "Count"},
            {"Name": "Throttles", "Unit": "Count"},
            {"Name": "Latency", "Unit": "Milliseconds"},
            {"Name": "StoreCalls", "Unit": "Count"},
        ]),
    );
    v["Function"] = json!(s.function);
    v["Route"] = json!(s.route);
    v["StatusClass"] = json!(status_class(s.status));
    if let Some(org) = s.org {
        v["OrgId"] = json!(org);
    }
    v["Requests"] = json!(1);
    v["Errors"] = json!(u8::from(s.status >= 500));
    v["FunctionErrors"] = json!(u8::from(s.function_error));
    v["Throttles"] = json!(u8::from(s.status == 429 || (s.status == 503 && !s.function_error)));
    v["Latency"] = json!(s.latency.as_secs_f64() * 1000.0);
    v["StoreCalls"] = json!(s.store_calls);
    // A property, not a dimension: searchable in Logs Insights, no metric per request.
    v["requestId"] = json!(request_id);
    v.to_string()
}

/// The line of a business counter (`campaigns.transitioned`...), by name and by organization.
pub fn counter_line(org: &str, name: &str, n: u64) -> String {
    let mut v = envelope(
        BUSINESS_NAMESPACE,
        json!([["Metric"], ["Metric", "OrgId"]]),
        json!([{"Name": "Count", "Unit": "Count"}]),
    );
    v["Metric"] = json!(name);
    v["OrgId"] = json!(org);
    v["Count"] = json!(n);
    v.to_string()
}

/// The line of a stream batch: the oldest record's age and the failed records.
pub fn stream_line(function: &str, age_ms: u64, failed: u64) -> String {
    let mut v = envelope(
        NAMESPACE,
        json!([["Function"]]),
        json!([{"Name": "StreamRecordAge", "Unit": "Milliseconds"}, {"Name": "StreamFailures", "Unit": "Count"}]),
    );
    v["Function"] = json!(function);
    v["StreamRecordAge"] = json!(age_ms);
    v["StreamFailures"] = json!(failed);
    v.to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_request_line_is_valid_emf_with_bounded_dimensions() {
        let s = RequestSample {
            function: "CampaignsFunction",
            route: "GET /campaigns/{id}",
            status: 503,
            latency: Duration::from_millis(12),
            store_calls: 3,
            function_error: true,
            org: Some("01JD0000000000000000000001"),
        };
        let v: Value = serde_json::from_str(&request_line(&s, "rid-1")).unwrap();
        let m = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(m["Namespace"], NAMESPACE);
        // Every dimension and metric named is present on the line, as EMF requires.
        for dims in m["Dimensions"].as_array().unwrap() {
            for d in dims.as_array().unwrap() {
                assert!(v[d.as_str().unwrap()].is_string(), "{d}");
            }
        }
        for metric in m["Metrics"].as_array().unwrap() {
            assert!(v[metric["Name"].as_str().unwrap()].is_number(), "{metric}");
        }
        assert_eq!(
            (v["StatusClass"].as_str(), v["Errors"].as_u64(), v["Latency"].as_f64()),
            (Some("5xx"), Some(1), Some(12.0))
        );
        assert!(!m["Dimensions"].to_string().contains("requestId"));
    }
}
