//! Operations end to end: health (shallow and deep), metrics of the requests just made, the
//! error-rate alarm firing and clearing, rate limits answering 429 and recovering, one request's
//! id through gateway, authorizer, function and stream, no secret in any log line, and injected
//! table failures (throttling, hangs, cancelled transactions, lost answers) retried and then
//! answered 503 without a partial write.

use std::time::Duration;

use podcastflow_domain::campaign::CampaignStatus;
use podcastflow_platform::ratelimit::{Limit, RateLimits};
use podcastflow_store::fault::{Fault, FaultPlan, Op, Target};
use podcastflow_tests::client::Api;
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until;
use serde_json::{Value, json};

use super::campaigns::stored;

fn alert<'a>(alerts: &'a Value, name: &str) -> &'a str {
    alerts["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == name)
        .and_then(|a| a["state"].as_str())
        .unwrap_or("missing")
}

fn route<'a>(report: &'a Value, function: &str, route: &str) -> &'a Value {
    report["routes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["function"] == function && r["route"] == route)
        .unwrap_or_else(|| panic!("{function} {route} in {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_shallow_for_anyone_and_deep_for_operators() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let shallow = s.api().get("/monitoring/health").await;
    assert_eq!(shallow.status, 200);
    assert_eq!(shallow.body["status"], "ok");
    assert!(shallow.body["version"].is_string() && shallow.body.get("dependencies").is_none());
    // A seller's token is valid but not an operator's: still the shallow view.
    assert!(o.seller.api.get("/monitoring/health").await.body.get("dependencies").is_none());
    for operator in [&o.admin.api, &master] {
        let deep = operator.get("/monitoring/health").await;
        assert_eq!(deep.status, 200, "{:?}", deep.body);
        assert_eq!(deep.body["status"], "healthy", "{:?}", deep.body);
        let names: Vec<&str> =
            deep.body["dependencies"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["table", "identity", "backups-bucket", "media-bucket", "connections"]);
        assert!(
            deep.body["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["status"] == "healthy" && d["latencyMs"].is_number())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_reflect_the_requests_just_made() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    for _ in 0..7 {
        assert_eq!(o.admin.api.get("/campaigns").await.status, 200);
    }
    let c = stored(&s, &o, CampaignStatus::Proposal).await;
    let moved = o.admin.api.post(&format!("/campaigns/{}/transitions", c.id), json!({"to": "negotiation"})).await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);

    // The transition is counted once the stream has recorded its activity.
    let report = wait_for_counter(&o.admin.api, "campaign.transitioned").await;
    let list = route(&report, "CampaignsFunction", "GET /campaigns");
    assert!(list["requests"].as_u64().unwrap() >= 7, "{list}");
    assert!(
        list["p50Ms"].as_f64().unwrap() > 0.0 && list["p99Ms"].as_f64().unwrap() >= list["p50Ms"].as_f64().unwrap()
    );
    assert!(list["storeCalls"].as_u64().unwrap() >= 7);
    assert_eq!(report["windowSeconds"], 300);
    // The admin sees their own organization's figures only; master the platform's, with the stream.
    assert!(report.get("stream").is_none(), "{report}");
    assert!(report["business"].as_array().unwrap().iter().all(|c| c["orgId"] == o.id.as_str()));
    let all = master.get("/monitoring/metrics?minutes=5").await;
    assert!(all.body["stream"]["batches"].as_u64().unwrap() >= 1);
    let orgs: std::collections::BTreeSet<&str> =
        all.body["business"].as_array().unwrap().iter().filter_map(|c| c["orgId"].as_str()).collect();
    assert!(orgs.contains(o.id.as_str()));
    for who in [&o.seller.api, &o.producer.api, &o.talent.api, &o.client.api] {
        assert_eq!(who.get("/monitoring/metrics").await.status, 403);
        assert_eq!(who.get("/monitoring/alerts").await.status, 403);
    }
    assert_eq!(s.api().get("/monitoring/metrics").await.status, 401);
    assert_eq!(o.admin.api.get("/monitoring/metrics?minutes=0").await.status, 400);
}

/// The admin's metrics once `counter` of their organization has been counted.
pub(crate) async fn wait_for_counter(admin: &Api, counter: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = admin.get("/monitoring/metrics?minutes=5").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        if r.body["business"].as_array().into_iter().flatten().any(|c| c["name"] == counter && c["count"] == 1) {
            return r.body;
        }
        assert!(tokio::time::Instant::now() < deadline, "{counter} never counted: {}", r.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stack whose table fails as the returned plan says, with an organization.
async fn with_faults() -> (TestStack, std::sync::Arc<FaultPlan>, TestOrg) {
    let plan = FaultPlan::new();
    let faults = plan.clone();
    let s = TestStack::with_config(move |c| c.ops.faults = Some(faults)).await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    (s, plan, o)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_rate_alarm_fires_above_five_percent_and_clears_below() {
    let (_stack, plan, o) = with_faults().await;
    let admin = &o.admin.api;
    for _ in 0..40 {
        assert_eq!(admin.get("/campaigns").await.status, 200);
    }
    assert_eq!(alert(&admin.get("/monitoring/alerts").await.body, "error-rate"), "ok");

    // The table fails every read, three attempts each: each failing request is a clean 503.
    plan.inject(Target::Reads, Fault::Outage, 18);
    let mut failed = 0;
    while plan.injected() < 18 {
        let r = admin.get("/campaigns").await;
        if r.status == 503 {
            failed += 1;
            assert_eq!(r.headers["content-type"], "application/problem+json");
            assert_eq!(r.headers["retry-after"], "1");
        }
    }
    assert!(failed >= 3, "{failed} failed");
    let alerts = admin.get("/monitoring/alerts").await.body;
    assert_eq!(alert(&alerts, "error-rate"), "alarm", "{alerts}");
    assert_eq!(alert(&alerts, "function-errors"), "alarm");
    assert!(alerts["active"].as_u64().unwrap() >= 2);

    // Enough good requests bring the share under 5 %: it clears.
    for _ in 0..(failed * 20) {
        assert_eq!(admin.get("/campaigns").await.status, 200);
    }
    assert_eq!(alert(&admin.get("/monitoring/alerts").await.body, "error-rate"), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_over_the_limit_gets_429_and_recovers_after_retry_after() {
    let s = TestStack::with_config(|c| {
        c.ops.rate_limits = RateLimits { admin_read: Limit { burst: 5, per_second: 2.0 }, ..RateLimits::default() };
    })
    .await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let admin = &o.admin.api;
    let mut answers = Vec::new();
    for _ in 0..8 {
        answers.push(admin.get("/campaigns").await);
    }
    let limited: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(!limited.is_empty(), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    let first = limited[0];
    assert_eq!(first.headers["content-type"], "application/problem+json");
    assert_eq!(first.body["type"], "https://podcastflow.dev/problems/rate-limited");
    assert_eq!(first.headers["ratelimit-policy"], "\"admin-read\";q=5;w=3");
    assert!(first.headers["ratelimit"].to_str().unwrap().starts_with("\"admin-read\";r=0;"));
    let wait: u64 = first.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert!(answers[0].headers["ratelimit"].to_str().unwrap().starts_with("\"admin-read\";r=4;"));
    // Another principal has its own bucket; writes have theirs.
    assert_eq!(o.seller.api.get("/campaigns").await.status, 200);
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(admin.get("/campaigns").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_runs_through_gateway_authorizer_function_and_stream_and_no_secret_is_logged() {
    let logs = podcastflow_tests::logs::capture();
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    // A fresh sign-in, so the authorizer runs for this request rather than its cache.
    let tokens = s.api().post("/auth/login", json!({"email": o.admin.email, "password": org::CHOSEN})).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.body);
    let access = tokens.body["accessToken"].as_str().unwrap().to_owned();
    let refresh = tokens.body["refreshToken"].as_str().unwrap().to_owned();
    let admin = s.api().with_token(&access).with_header("x-correlation-id", "trace-me-42");
    let created = admin.post("/campaigns", json!({"name": "Traced", "clientId": o.client_id})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.headers["x-correlation-id"], "trace-me-42");
    let rid = created.headers["x-request-id"].to_str().unwrap().to_owned();

    let lines = until(Duration::from_secs(20), "the stream's line for the request", || {
        let lines = logs.containing(&rid);
        lines.iter().any(|l| l.contains("change processed")).then_some(lines)
    })
    .await;
    for (component, message) in [
        ("gateway", "\"gateway\""),
        ("authorizer", "\"allowed\""),
        ("function", "\"request\""),
        ("stream", "\"change processed\""),
    ] {
        assert!(lines.iter().any(|l| l.contains(message)), "no {component} line with {rid}: {lines:#?}");
    }
    let function = lines.iter().find(|l| l.contains("\"message\":\"request\"")).unwrap();
    let v: Value = serde_json::from_str(function).unwrap();
    assert_eq!(v["status"], 201);
    assert_eq!(v["span"]["correlationId"], "trace-me-42");
    assert_eq!(v["span"]["orgId"], o.id.as_str());
    assert!(v["storeCalls"].as_u64().unwrap() >= 1 && v["latencyMs"].is_number());

    // An API key in use and a refresh, then: none of these secrets in any line of the process.
    let key = o.admin.api.post("/api-keys", json!({"name": "ci", "role": "seller"})).await;
    assert_eq!(key.status, 201, "{:?}", key.body);
    let secret = key.body["secret"].as_str().unwrap().to_owned();
    let mut with_key = s.api();
    with_key.authorization = Some(format!("ApiKey {secret}"));
    assert_eq!(with_key.get("/campaigns").await.status, 200);
    let refreshed = s.api().post("/auth/refresh", json!({"refreshToken": refresh})).await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.body);
    assert!(!logs.is_empty());
    for needle in [access.as_str(), refresh.as_str(), secret.as_str(), org::CHOSEN, org::TEMPORARY, TestStack::MASTER.1]
    {
        let leaked = logs.containing(needle);
        assert!(leaked.is_empty(), "a secret is logged: {leaked:#?}");
    }
    assert!(logs.containing("Bearer ").is_empty() && logs.containing("authorization").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_failures_are_retried_then_answered_503_without_a_partial_write() {
    let (s, plan, o) = with_faults().await;
    let admin = &o.admin.api;
    let c = stored(&s, &o, CampaignStatus::Proposal).await;
    let path = format!("/campaigns/{}", c.id);
    let history = |api: &Api| {
        let api = api.clone();
        let path = format!("{path}/history");
        async move { api.get(&path).await.body["items"].as_array().map_or(0, Vec::len) }
    };
    let before = history(admin).await;

    // Throttling twice is absorbed by the retries.
    plan.inject(Target::Only(Op::Transact), Fault::Throttle, 2);
    let moved = admin.post(&format!("{path}/transitions"), json!({"to": "negotiation"})).await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(plan.injected(), 2);

    // A transaction cancelled on every attempt: 503, and neither the campaign nor its history moved.
    plan.inject(Target::Only(Op::Transact), Fault::CancelTransaction, 3);
    let refused = admin.post(&format!("{path}/transitions"), json!({"to": "pending_approval"})).await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    assert_eq!(refused.headers["retry-after"], "1");
    assert_eq!(refused.body["status"], 503);
    assert_eq!(admin.get(&path).await.body["status"], "negotiation");
    assert_eq!(history(admin).await, before + 1);

    // Reads (the campaign with its team: a Query) that hang past every attempt's timeout: 503
    // within the deadline, not a hung request.
    plan.inject(Target::Only(Op::Query), Fault::Hang, 3);
    let started = std::time::Instant::now();
    let slow = admin.get(&path).await;
    assert_eq!(slow.status, 503, "{:?}", slow.body);
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());

    // A transition whose answer is lost: 503, and the write is there whole (campaign and history).
    plan.inject(Target::Only(Op::Transact), Fault::LoseAnswer, 1);
    let lost = admin.post(&format!("{path}/transitions"), json!({"to": "pending_approval"})).await;
    assert_eq!(lost.status, 503, "{:?}", lost.body);
    assert_eq!(admin.get(&path).await.body["status"], "pending_approval");
    assert_eq!(history(admin).await, before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_s_rate_limit_setting_bounds_all_its_principals_together() {
    // The principals' own limits as deployed; sign-ins from this one address unbounded.
    let s = TestStack::with_config(|c| {
        c.ops.rate_limits = RateLimits { public: Limit { burst: 1000, per_second: 100.0 }, ..RateLimits::default() }
    })
    .await;
    let o = org::create(&s, &s.master().await).await;
    let other = org::create(&s, &s.master().await).await;
    let current = o.admin.api.get("/organization").await;
    let mut settings = current.body["settings"].clone();
    settings["rateLimits"] = json!({"requestsPerSecond": 1, "burst": 4});
    let set =
        o.admin.api.send("PUT", "/organization", Some(json!({"settings": settings})), Some(&current.etag())).await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    // Fresh sign-ins, so the authorizer reads the new setting rather than its cache.
    let seller = s.api().signed_in(&o.seller.email, org::CHOSEN, org::CHOSEN).await;
    let producer = s.api().signed_in(&o.producer.email, org::CHOSEN, org::CHOSEN).await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let api = if i % 2 == 0 { &seller } else { &producer };
        statuses.push(api.get("/campaigns").await);
    }
    let limited: Vec<_> = statuses.iter().filter(|a| a.status == 429).collect();
    assert!(limited.len() >= 3, "{:?}", statuses.iter().map(|a| a.status).collect::<Vec<_>>());
    assert!(limited[0].headers["ratelimit-policy"].to_str().unwrap().starts_with("\"organization\";q=4;"));
    assert_eq!(limited[0].body["type"], "https://podcastflow.dev/problems/rate-limited");
    // Each principal alone is far inside its own limit; another organization is untouched.
    assert_eq!(other.admin.api.get("/campaigns").await.status, 200);
}
