//! Outbound webhooks end to end: a receiver on loopback (in the test) gets the organization's
//! events signed as docs/webhooks.md says, retried on the schedule with a clock the test controls,
//! and the delivery log shows every attempt; a failing endpoint is turned off after three days
//! and its admins told; deliveries survive a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use podcastflow_dispatch::Sender;
use podcastflow_domain::webhook::destination::DestinationRules;
use podcastflow_local::stack::StackConfig;
use podcastflow_store::TenantTable;
use podcastflow_store::repo::webhooks::WebhookRepo;
use podcastflow_tests::client::Api;
use podcastflow_tests::openapi::{webhook_types, webhook_violation};
use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use podcastflow_webhook_dispatcher::{DispatchReport, Dispatcher, run};
use serde_json::{Value, json};
use sha2::Sha256;

const WAIT: Duration = Duration::from_secs(20);

/// What the receiver got: headers and body of each request.
#[derive(Clone, Default)]
struct Received {
    requests: Arc<std::sync::Mutex<Vec<(HeaderMap, String)>>>,
    /// Answers 500 to this many requests first, then `ok`.
    failures: Arc<AtomicUsize>,
}

impl Received {
    fn all(&self) -> Vec<(HeaderMap, String)> {
        self.requests.lock().unwrap().clone()
    }
}

async fn receive(State(r): State<Received>, headers: HeaderMap, body: String) -> StatusCode {
    r.requests.lock().unwrap().push((headers, body));
    let left = r.failures.load(Ordering::SeqCst);
    if left > 0 {
        r.failures.store(left - 1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::NO_CONTENT
}

/// A receiver on loopback answering 500 to the first `failures` requests.
async fn receiver(failures: usize) -> (String, Received) {
    let got = Received::default();
    got.failures.store(failures, Ordering::SeqCst);
    let app = Router::new().route("/in", post(receive)).with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

/// The receiver's check, as docs/webhooks.md tells it: HMAC-SHA256 keyed with the base64 after
/// `whsec_`, over `id.timestamp.body`, base64, compared with each `v1,` signature of the header.
fn verifies(secret: &str, headers: &HeaderMap, body: &str) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let (id, ts) = (headers["webhook-id"].to_str().unwrap(), headers["webhook-timestamp"].to_str().unwrap());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    let header = headers["webhook-signature"].to_str().unwrap();
    header.split(' ').filter_map(|s| s.strip_prefix("v1,")).any(|sig| sig == expected)
}

/// The stack without the dispatcher's own schedule: the test runs it, on a clock of its own.
fn by_hand(c: &mut StackConfig) {
    c.template = c.template.replace("Schedule: rate(1 minute)", "Schedule: cron(0 0 1 1 ? 2099)");
}

fn dispatcher(s: &TestStack) -> Dispatcher {
    Dispatcher { ctx: s.stack.services.ctx.clone(), sender: Sender::new(DestinationRules::LOCAL).unwrap() }
}

async fn deliveries(api: &Api, hook: &str) -> Vec<Value> {
    let r = api.get(&format!("/webhooks/{hook}/deliveries")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until the stream has made `n` deliveries for the endpoint.
async fn made(api: &Api, hook: &str, n: usize) -> Vec<Value> {
    until_async(WAIT, "the deliveries", || async {
        let items = deliveries(api, hook).await;
        (items.len() >= n).then_some(items)
    })
    .await
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn the_openapi_document_describes_every_event_type_of_the_catalogue() {
    let mut documented = webhook_types();
    documented.sort();
    let mut catalogue: Vec<String> =
        podcastflow_domain::webhook::event::EVENT_TYPES.iter().map(|t| t.to_string()).collect();
    catalogue.sort();
    assert_eq!(documented, catalogue);
    // An envelope of the wrong shape is caught: the check can fail.
    let wrong = json!({"id": "msg_x", "type": "campaign.created", "occurredAt": "2026-12-04T09:00:00Z",
        "orgId": "o", "data": {"status": "no such status"}});
    assert!(webhook_violation(&wrong).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_move_reaches_the_receiver_signed_and_is_retried_on_the_schedule() {
    let s = TestStack::with_config(by_hand).await;
    let o = org::create(&s, &s.master().await).await;
    let admin = &o.admin.api;
    let (url, got) = receiver(2).await;
    let hook = admin.post("/webhooks", json!({"url": url, "events": ["campaign.transitioned"]})).await;
    assert_eq!(hook.status, 201, "{:?}", hook.body);
    let secret = hook.body["secret"].as_str().unwrap().to_owned();
    let id = hook.body["id"].as_str().unwrap().to_owned();
    assert!(admin.get(&format!("/webhooks/{id}")).await.body.get("secret").is_none(), "shown once");

    let c = admin
        .post(
            "/campaigns",
            json!({"name": "Hooked", "clientId": o.client_id, "ownerId": o.seller.id, "startDate": "2027-01-01",
            "endDate": "2027-01-31", "budget": {"amount": 100000, "currency": "USD"}}),
        )
        .await;
    let campaign = c.body["id"].as_str().unwrap().to_owned();
    let moved = admin.post(&format!("/campaigns/{campaign}/transitions"), json!({"to": "proposal"})).await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    let pending = made(admin, &id, 1).await;
    assert_eq!(pending.len(), 1, "the creation is not subscribed: {pending:?}");
    assert_eq!(
        (pending[0]["status"].as_str(), pending[0]["eventType"].as_str()),
        (Some("pending"), Some("campaign.transitioned"))
    );

    // The dispatcher on a clock of the test's: 500, 500 (a minute later), then 2xx (five later).
    let job = dispatcher(&s);
    let t0 = Utc::now() + chrono::Duration::seconds(1);
    let first = run(&job, t0).await.unwrap();
    assert_eq!((first.sent, first.succeeded), (1, 0), "{first:?}");
    let log = deliveries(admin, &id).await;
    let next = time(&log[0]["nextAttemptAt"]);
    let after_first = (next - t0).num_seconds();
    assert!((54..=66).contains(&after_first), "a minute, give or take a tenth: {after_first}");
    assert_eq!(run(&job, next - chrono::Duration::seconds(1)).await.unwrap().sent, 0, "not due yet");
    assert_eq!(run(&job, next).await.unwrap().sent, 1);
    let log = deliveries(admin, &id).await;
    let third_at = time(&log[0]["nextAttemptAt"]);
    let after_second = (third_at - next).num_seconds();
    assert!((270..=330).contains(&after_second), "five minutes, give or take a tenth: {after_second}");
    let last = run(&job, third_at).await.unwrap();
    assert_eq!((last.sent, last.succeeded), (1, 1));
    assert_eq!(run(&job, third_at + chrono::Duration::hours(1)).await.unwrap().sent, 0, "nothing left");

    let log = deliveries(admin, &id).await;
    let d = &log[0];
    assert_eq!((d["status"].as_str(), d["nextAttemptAt"].as_str()), (Some("succeeded"), None));
    let statuses: Vec<u64> = d["attempts"].as_array().unwrap().iter().map(|a| a["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [500, 500, 204]);
    let ats: Vec<DateTime<Utc>> = d["attempts"].as_array().unwrap().iter().map(|a| time(&a["at"])).collect();
    assert_eq!(ats, [t0, next, third_at], "the backoff between the attempts");

    // Every request was signed as documented, with one message id and the admin's view of the
    // campaign after its move.
    let requests = got.all();
    assert_eq!(requests.len(), 3);
    for (headers, body) in &requests {
        assert!(verifies(&secret, headers, body), "{headers:?}");
        assert_eq!(headers["webhook-id"], d["id"].as_str().unwrap());
        let envelope: Value = serde_json::from_str(body).unwrap();
        assert_eq!(envelope["type"], "campaign.transitioned");
        assert_eq!(webhook_violation(&envelope), None, "the webhooks section describes what is sent");
        assert_eq!(envelope["orgId"], o.id.as_str());
        let get = admin.get(&format!("/campaigns/{campaign}")).await.body;
        for field in ["id", "name", "status", "clientId", "ownerId", "version"] {
            assert_eq!(envelope["data"][field], get[field], "{field}");
        }
        assert_eq!(envelope["data"]["status"], "proposal");
    }
    assert_eq!(requests[0].0["webhook-timestamp"], t0.timestamp().to_string());
    let mut tampered = requests[0].1.clone();
    tampered.push(' ');
    assert!(!verifies(&secret, &requests[0].0, &tampered), "a changed body does not verify");

    // A rotation: both secrets sign during the overlap, and a receiver holding either verifies.
    let rotated = admin.post(&format!("/webhooks/{id}/rotate-secret"), json!({})).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.body);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated.body["previousSecretExpiresAt"].is_string());
    let ping = admin.post(&format!("/webhooks/{id}/test"), json!({})).await;
    assert_eq!(ping.status, 200, "{:?}", ping.body);
    assert_eq!(
        (ping.body["status"].as_str(), ping.body["attempts"][0]["status"].as_u64()),
        (Some("succeeded"), Some(204))
    );
    let (headers, body) = got.all().pop().unwrap();
    assert_eq!(headers["webhook-signature"].to_str().unwrap().split(' ').count(), 2);
    assert!(verifies(&new_secret, &headers, &body) && verifies(&secret, &headers, &body));
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((envelope["type"].as_str(), envelope["data"]["webhookId"].as_str()), (Some("ping"), Some(id.as_str())));
    assert_eq!(webhook_violation(&envelope), None);

    // The log, newest first; one delivery by its id; a redelivery by hand.
    let log = deliveries(admin, &id).await;
    assert_eq!(
        log.iter().map(|d| d["eventType"].as_str().unwrap()).collect::<Vec<_>>(),
        ["ping", "campaign.transitioned"]
    );
    let one = admin.get(&format!("/webhooks/{id}/deliveries/{}", log[1]["id"].as_str().unwrap())).await;
    assert_eq!(one.body["attempts"].as_array().unwrap().len(), 3);
    let again =
        admin.post(&format!("/webhooks/{id}/deliveries/{}/redeliver", log[1]["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    let attempts = again.body["attempts"].as_array().unwrap();
    assert_eq!((attempts.len(), attempts[3]["manual"].as_bool()), (4, Some(true)));

    // The audit trail has the endpoint's changes for admins only, its secrets redacted.
    let webhook_entries = |api: &Api| {
        let api = api.clone();
        async move {
            let items = api.get("/activities").await.body["items"].as_array().cloned().unwrap_or_default();
            items.into_iter().filter(|a| a["entity"]["type"] == "webhook").collect::<Vec<Value>>()
        }
    };
    let seen = until_async(WAIT, "the endpoint's activity", || async {
        let entries = webhook_entries(admin).await;
        entries.iter().any(|a| a["action"] == "webhook.created").then_some(entries)
    })
    .await;
    let text = Value::Array(seen).to_string();
    assert!(!text.contains(&secret) && !text.contains(&new_secret), "secrets never reach the log: {text}");
    for reader in [&o.seller.api, &o.producer.api, &o.client.api] {
        assert!(webhook_entries(reader).await.is_empty(), "only admins read an endpoint's story");
    }

    // Another organization's admin finds none of it; bad input is a 400 that stores nothing.
    let other = org::create(&s, &s.master().await).await;
    for path in [format!("/webhooks/{id}"), format!("/webhooks/{id}/deliveries")] {
        assert_eq!(other.admin.api.get(&path).await.status, 404, "{path}");
    }
    assert_eq!(other.admin.api.post(&format!("/webhooks/{id}/test"), json!({})).await.status, 404);
    for body in [
        json!({"url": "http://10.0.0.8/in"}),
        json!({"url": "ftp://example.com/in"}),
        json!({"url": url, "events": ["campaign.deleted"]}),
        json!({"url": url, "events": []}),
    ] {
        let r = admin.post("/webhooks", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {:?}", r.body);
    }
    assert_eq!(admin.get("/webhooks").await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(admin.post(&format!("/webhooks/{id}/replay"), json!({"since": "yesterday"})).await.status, 400);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_for_three_days_is_turned_off_told_and_replayed_after_a_restart() {
    let s = TestStack::with_config(by_hand).await;
    let o = org::create(&s, &s.master().await).await;
    let admin = &o.admin.api;
    let (url, got) = receiver(usize::MAX).await;
    let hook = admin.post("/webhooks", json!({"url": url, "description": "always down"})).await;
    let id = hook.body["id"].as_str().unwrap().to_owned();
    let client = |name: &str| json!({"name": name, "type": "advertiser"});
    assert_eq!(admin.post("/clients", client("First")).await.status, 201);
    made(admin, &id, 1).await;

    // Eight attempts over about a day, every one refused: the delivery fails, the endpoint stays on.
    let job = dispatcher(&s);
    let t0 = Utc::now() + chrono::Duration::seconds(1);
    let mut at = t0;
    let mut reports: Vec<DispatchReport> = Vec::new();
    for _ in 0..8 {
        reports.push(run(&job, at).await.unwrap());
        let log = deliveries(admin, &id).await;
        match log[0]["nextAttemptAt"].as_str() {
            Some(next) => at = next.parse().unwrap(),
            None => break,
        }
    }
    assert_eq!(reports.iter().map(|r| r.sent).sum::<u32>(), 8);
    assert_eq!(reports.last().unwrap().failed, 1);
    let log = deliveries(admin, &id).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_array().unwrap().len()), (Some("failed"), 8));
    let span = time(&log[0]["attempts"][7]["at"]) - t0;
    assert!((20..=30).contains(&span.num_hours()), "about a day: {span}");
    let endpoint = admin.get(&format!("/webhooks/{id}")).await.body;
    assert_eq!((endpoint["enabled"].as_bool(), endpoint["failingSince"].as_str().map(|_| ())), (Some(true), Some(())));

    // Another event, due now; tried three days after the streak began, it turns the endpoint off.
    assert_eq!(admin.post("/clients", client("Second")).await.status, 201);
    made(admin, &id, 2).await;
    let late = t0 + chrono::Duration::days(3) + chrono::Duration::minutes(1);
    let off = run(&job, late).await.unwrap();
    assert_eq!((off.sent, off.disabled), (1, 1), "{off:?}");
    let endpoint = admin.get(&format!("/webhooks/{id}")).await;
    assert_eq!(endpoint.body["enabled"], false);
    assert!(endpoint.body["disabledReason"].as_str().is_some_and(|r| r.contains("every delivery failed")));
    let told = until_async(WAIT, "the admin's notification", || async {
        let items = admin.get("/notifications").await.body["items"].as_array().cloned().unwrap_or_default();
        items.into_iter().find(|n| n["type"] == "webhook.disabled")
    })
    .await;
    assert_eq!((told["priority"].as_str(), told["entity"]["id"].as_str()), (Some("urgent"), Some(id.as_str())));
    assert_eq!(
        admin.post(&format!("/webhooks/{id}/test"), json!({})).await.status,
        409,
        "a turned-off endpoint sends nothing"
    );

    // While off, events are kept unsent; the second's retry was due and is skipped.
    assert_eq!(admin.post("/clients", client("Third")).await.status, 201);
    let log = made(admin, &id, 3).await;
    assert_eq!(log[0]["status"], "skipped");
    let skipped = run(&job, late + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!((skipped.sent, skipped.skipped), (0, 1), "{skipped:?}");
    let sent_so_far = got.all().len();
    assert_eq!(sent_so_far, 9);

    // Deliveries are in the table: they survive a restart of the stack.
    let org_id = o.id.parse().unwrap();
    // The job holds the store open; the restart needs it closed.
    drop(job);
    let dir = s.stop().await.expect("data dir");
    let mut config = TestStack::config(dir.path());
    config.create_master = false;
    by_hand(&mut config);
    let again = TestStack::start_in(config).await;
    let ctx = &again.stack.services.ctx;
    let t = TenantTable::new(ctx.tenants.for_org(&org_id), org_id, ctx.cursors.as_ref().clone());
    let kept = WebhookRepo::new(&t).deliveries(&org_id, &id.parse().unwrap(), None, None, 10).await.unwrap();
    assert_eq!(kept.items.len(), 3);
    assert_eq!(kept.items.iter().map(|d| d.attempts.len()).sum::<usize>(), 9);

    // Fixed and turned on again: the streak is cleared, and a replay sends everything since t0.
    let admin = again.api().signed_in(&o.admin.email, org::CHOSEN, org::CHOSEN).await;
    got.failures.store(0, Ordering::SeqCst);
    let current = admin.get(&format!("/webhooks/{id}")).await;
    let on = admin.send("PUT", &format!("/webhooks/{id}"), Some(json!({"enabled": true})), Some(&current.etag())).await;
    assert_eq!(on.status, 200, "{:?}", on.body);
    assert_eq!((on.body["enabled"].as_bool(), on.body.get("failingSince")), (Some(true), None));
    let since = (t0 - chrono::Duration::minutes(5)).to_rfc3339();
    let replay = admin.post(&format!("/webhooks/{id}/replay"), json!({"since": since})).await;
    assert_eq!((replay.status.as_u16(), replay.body["queued"].as_u64()), (202, Some(3)), "{:?}", replay.body);
    let job = dispatcher(&again);
    let sent = run(&job, Utc::now() + chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!((sent.sent, sent.succeeded), (3, 3), "{sent:?}");
    assert_eq!(got.all().len(), sent_so_far + 3);
    let log = deliveries(&admin, &id).await;
    assert!(log.iter().all(|d| d["status"] == "succeeded"), "{log:?}");
    drop(job);
    again.stop().await;
}
