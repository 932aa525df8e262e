//! The monitoring routes on the local adapters: the sample event, roles, windows, filtering.

use std::sync::Arc;
use std::time::Duration;

use podcastflow_domain::{OrgId, UserId};
use podcastflow_identity::TokenVerifier;
use podcastflow_platform::telemetry::{MetricsRegistry, RequestSample, emf};
use podcastflow_platform::tenancy::SharedTables;
use podcastflow_platform::testing::TestRequest;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::{Value, json};

use super::*;
use crate::health::TableProbe;
use crate::metrics::RegistrySource;

struct Fixture {
    app: MonitoringApp,
    registry: Arc<MetricsRegistry>,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let table: Arc<dyn podcastflow_store::Table> = Arc::new(EmbeddedTable::open(dir.path()).unwrap());
    let keys = Arc::new(podcastflow_identity::StaticKeys(serde_json::from_value(json!({"keys": []})).unwrap()));
    let verifier = Arc::new(TokenVerifier::new("https://issuer.test", "client", keys));
    let registry = Arc::new(MetricsRegistry::new());
    let app = MonitoringApp {
        ctx: podcastflow_platform::AppContext::new(table.clone(), b"s".to_vec()),
        authorizer: Authorizer {
            verifier,
            table: table.clone(),
            tenants: Arc::new(SharedTables(table.clone())),
            interactive_usage_key: None,
        },
        probes: vec![Arc::new(TableProbe(table))],
        metrics: Arc::new(RegistrySource(registry.clone())),
    };
    Fixture { app, registry, _dir: dir }
}

/// The sample event of events/ (what `sam local invoke` would send), altered by `change`.
fn event_with(change: impl FnOnce(&mut Value)) -> Request {
    let mut raw: Value = serde_json::from_str(include_str!("../../../events/monitoring/health.json")).unwrap();
    change(&mut raw);
    lambda_http::request::from_str(&raw.to_string()).unwrap()
}

fn event(method: &str) -> Request {
    event_with(|raw| raw["httpMethod"] = method.into())
}

fn body(r: &Response<Body>) -> Value {
    let Body::Text(t) = r.body() else { panic!("text body") };
    serde_json::from_str(t).unwrap()
}

fn as_role(path: &str, role: &str, org: OrgId) -> Request {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let q: serde_json::Map<String, Value> =
        query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), json!(v))).collect();
    TestRequest::new("GET", path)
        .query(if q.is_empty() { Value::Null } else { Value::Object(q) })
        .authorizer(json!({"userId": UserId::new().to_string(), "orgId": org.to_string(), "role": role}))
        .build()
}

#[tokio::test]
async fn the_shallow_health_answers_ok_with_the_version() {
    let f = fixture();
    let r = handle(&f.app, event("GET")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
    assert_eq!(body(&r), json!({"status": "ok", "version": VERSION}));
}

#[tokio::test]
async fn a_token_that_does_not_verify_gets_the_shallow_view() {
    let f = fixture();
    let req = event_with(|raw| raw["headers"]["authorization"] = json!("Bearer not-a-token"));
    let r = handle(&f.app, req).await.unwrap();
    assert!(body(&r).get("dependencies").is_none());
}

#[tokio::test]
async fn other_routes_are_404_problems() {
    let f = fixture();
    let r = handle(&f.app, event("POST")).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn metrics_are_for_admins_and_master_and_business_counters_stay_in_the_org() {
    let f = fixture();
    let (mine, theirs) = (OrgId::new(), OrgId::new());
    let s = RequestSample {
        function: "CampaignsFunction",
        route: "GET /campaigns/{id}",
        status: 200,
        latency: Duration::from_millis(4),
        store_calls: 2,
        function_error: false,
        org: None,
    };
    let (mine_id, theirs_id) = (mine.to_string(), theirs.to_string());
    f.registry.ingest(&emf::request_line(&RequestSample { org: Some(&mine_id), ..s }, "rid"));
    for _ in 0..3 {
        f.registry.ingest(&emf::request_line(&RequestSample { org: Some(&theirs_id), ..s }, "rid"));
    }
    f.registry.ingest(&emf::request_line(&s, "rid"));
    f.registry.ingest(&emf::counter_line(&mine.to_string(), "campaign.transitioned", 2));
    f.registry.ingest(&emf::counter_line(&theirs.to_string(), "campaign.transitioned", 5));
    for role in ["seller", "producer", "talent", "client"] {
        let r = handle(&f.app, as_role("/monitoring/metrics", role, mine)).await.unwrap();
        assert_eq!(r.status(), 403, "{role}");
        let r = handle(&f.app, as_role("/monitoring/alerts", role, mine)).await.unwrap();
        assert_eq!(r.status(), 403, "{role}");
    }
    let admin = body(&handle(&f.app, as_role("/monitoring/metrics?minutes=5", "admin", mine)).await.unwrap());
    assert_eq!(admin["windowSeconds"], 300);
    // An admin's figures are their organization's requests alone, without the platform's stream.
    assert_eq!(admin["totals"]["requests"], 1, "{admin}");
    assert_eq!(admin["routes"][0]["route"], "GET /campaigns/{id}");
    assert_eq!(admin["routes"][0]["requests"], 1);
    assert_eq!(admin["business"], json!([{"orgId": mine.to_string(), "name": "campaign.transitioned", "count": 2}]));
    assert!(admin.get("stream").is_none(), "{admin}");
    let master = body(&handle(&f.app, as_role("/monitoring/metrics", "master", mine)).await.unwrap());
    assert_eq!(master["business"].as_array().map(Vec::len), Some(2));
    assert_eq!(master["totals"]["requests"], 5, "the platform view: every organization's and none's");
    assert!(master.get("stream").is_some());
}

#[tokio::test]
async fn a_window_out_of_range_is_400() {
    let f = fixture();
    for bad in ["0", "61", "x"] {
        let r = handle(&f.app, as_role(&format!("/monitoring/metrics?minutes={bad}"), "admin", OrgId::new()))
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn alerts_list_every_rule_with_its_state() {
    let f = fixture();
    let r = handle(&f.app, as_role("/monitoring/alerts", "admin", OrgId::new())).await.unwrap();
    let v = body(&r);
    assert_eq!(v["active"], 0);
    assert_eq!(v["alerts"].as_array().map(Vec::len), Some(alerts::RULES.len()));
}
