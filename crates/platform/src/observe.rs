//! The wrapper every HTTP-triggered function runs its handler in (in Lambda through
//! [`crate::serve_http`], locally through the stack's gateway), so no function can forget it:
//!
//! 1. the request id (API Gateway's) and the correlation id (`x-correlation-id` when the caller
//!    sends a sane one, else the request id), echoed on the response;
//! 2. rate limiting ([`crate::ratelimit`]) before the handler, answered 429;
//! 3. the handler within a span carrying those ids, the function, the route and the tenant, so
//!    every line it logs carries them, and within a count of its table calls;
//! 4. the deadline: a request still running then is answered 503 before API Gateway's 29 s;
//! 5. a failure of the function (an outage) answered as 503 problem+json and logged, never an
//!    opaque 502;
//! 6. one log line and one metrics record per request: status, latency, table calls; in AWS an
//!    X-Ray subsegment annotated with the ids, route, status and tenant;
//! 7. master's requests inside another organization recorded in its activity log
//!    ([`crate::crossorg`]).

use std::future::Future;
use std::time::{Duration, Instant};

use lambda_http::http::{HeaderValue, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use podcastflow_domain::Principal;
use tracing::Instrument;

use crate::crossorg::{AccessLog, CrossOrgRequest};
use crate::telemetry::{RequestSample, Telemetry};
use crate::{Outage, Problem, request_id};

/// Header carrying the correlation id in and out.
pub const CORRELATION_ID: &str = "x-correlation-id";

/// What the wrapper learns of a request before running it.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    /// API Gateway's request id.
    pub request_id: String,
    /// The caller's correlation id, or the request id.
    pub correlation_id: String,
    /// `METHOD /resource/{template}` for REST, the route key for WebSocket.
    pub route: String,
    /// Whether it came through the REST API (WebSocket events are not rate limited here).
    pub rest: bool,
    /// The caller's address.
    pub source_ip: String,
    /// The verified principal, when the route has an authorizer.
    pub principal: Option<Principal>,
}

fn sane_correlation_id(v: &str) -> bool {
    !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

impl RequestFacts {
    /// The facts of a request.
    pub fn of(req: &Request) -> Self {
        let request_id = request_id(req);
        let correlation_id = req
            .headers()
            .get(CORRELATION_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| sane_correlation_id(v))
            .map_or_else(|| request_id.clone(), str::to_owned);
        let (route, rest, source_ip) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(c)) => (
                format!("{} {}", req.method(), c.resource_path.as_deref().unwrap_or("-")),
                true,
                c.identity.source_ip.clone().unwrap_or_default(),
            ),
            Some(RequestContext::WebSocket(c)) => (
                c.route_key.clone().unwrap_or_else(|| String::from("-")),
                false,
                c.identity.source_ip.clone().unwrap_or_default(),
            ),
            _ => (format!("{} -", req.method()), false, String::new()),
        };
        Self { request_id, correlation_id, route, rest, source_ip, principal: crate::principal(req).ok() }
    }
}

/// The time left before the Lambda's own deadline, less a second to answer in.
fn lambda_time_left(req: &Request) -> Option<Duration> {
    let deadline_ms = req.lambda_context_ref()?.deadline;
    let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
    (deadline_ms > 0).then(|| Duration::from_millis(deadline_ms.saturating_sub(now_ms).saturating_sub(1000)))
}

fn set(resp: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

/// Answer headers a browser script may read: versions, new locations, the request's ids, and
/// when to come back.
const EXPOSED_HEADERS: &str =
    "ETag, Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id, X-Correlation-Id";

/// The problem a function's failure is answered with: an outage is worth retrying (503), anything
/// else is ours (500); either way the details stay in the log, under the request id.
fn failure(e: &Error) -> Problem {
    if e.downcast_ref::<Outage>().is_some() {
        crate::errors::unavailable("a service this request needs is failing; retry in a moment")
    } else {
        Problem::new("internal", StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
            .detail("the request failed; it was logged with its request id")
    }
}

/// Runs `handler` on `req` as function `function`, with everything the module describes;
/// cross-organization requests are recorded through `log`.
pub async fn observe<F, Fut>(
    t: &Telemetry,
    log: Option<&AccessLog>,
    function: &str,
    req: Request,
    handler: F,
) -> Response<Body>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, Error>>,
{
    let (started, started_at) = (Instant::now(), std::time::SystemTime::now());
    let facts = RequestFacts::of(&req);
    let trace_header = req.lambda_context_ref().and_then(|c| c.xray_trace_id.clone());
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let org_limit = crate::principal::org_rate_limit(&req);
    let decision =
        if facts.rest { t.limiter.check(facts.principal.as_ref(), &facts.source_ip, write, org_limit) } else { None };
    let org = facts.principal.as_ref().map(|p| p.org_id.to_string()).unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        requestId = %facts.request_id,
        correlationId = %facts.correlation_id,
        function,
        route = %facts.route,
        orgId = %org,
    );
    let deadline = lambda_time_left(&req).map_or(t.deadline, |left| left.min(t.deadline));
    let cross_org = CrossOrgRequest::of(&req, facts.principal.as_ref(), &facts.route, &facts.request_id)
        .filter(|_| facts.rest && decision.as_ref().is_none_or(|d| d.allowed));
    let (mut resp, calls, function_error) = match &decision {
        Some(d) if !d.allowed => {
            let mut p =
                Problem::new("rate-limited", StatusCode::TOO_MANY_REQUESTS, "Too many requests").detail(format!(
                    "the {} limit is {} requests at once and {} per second",
                    d.policy, d.limit.burst, d.limit.per_second
                ));
            p.retry_after = Some(d.retry_after);
            (p.response(&facts.request_id), Default::default(), false)
        }
        _ => {
            let run = tokio::time::timeout(deadline, handler(req));
            let (result, calls) = podcastflow_store::calls::counted(run).instrument(span.clone()).await;
            match result {
                Ok(Ok(resp)) => (resp, calls, false),
                Ok(Err(e)) => {
                    span.in_scope(|| tracing::error!(error = %e, "request failed"));
                    (failure(&e).response(&facts.request_id), calls, true)
                }
                Err(_) => {
                    span.in_scope(|| {
                        tracing::error!(deadline_ms = deadline.as_millis() as u64, "request ran out of time")
                    });
                    let mut p = crate::errors::unavailable("the request could not finish in time; retry in a moment");
                    p.kind = format!("{}timeout", crate::problem::TYPE_BASE);
                    (p.response(&facts.request_id), calls, true)
                }
            }
        }
    };
    set(&mut resp, CORRELATION_ID, &facts.correlation_id);
    if let Some(origin) = &t.cors_origin {
        set(&mut resp, "access-control-allow-origin", origin);
        set(&mut resp, "access-control-expose-headers", EXPOSED_HEADERS);
        if origin != "*" {
            set(&mut resp, "vary", "Origin");
        }
    }
    if let Some(d) = &decision {
        for (name, value) in d.headers() {
            set(&mut resp, name, &value);
        }
    }
    let status = resp.status().as_u16();
    if let (Some(log), Some(access)) = (log, &cross_org) {
        log.record(access, status).instrument(span.clone()).await;
    }
    let latency = started.elapsed();
    let sample = RequestSample {
        function,
        route: &facts.route,
        status,
        latency,
        store_calls: calls.calls,
        function_error,
        org: (!org.is_empty()).then_some(org.as_str()),
    };
    t.record_request(&sample, &facts.request_id);
    let annotations = crate::telemetry::xray::Annotations {
        request_id: &facts.request_id,
        correlation_id: &facts.correlation_id,
        route: &facts.route,
        status,
        org_id: &org,
    };
    t.annotate_trace(trace_header.as_deref(), started_at, &annotations);
    let (user, role) =
        facts.principal.as_ref().map_or((String::new(), ""), |p| (p.user_id.to_string(), p.role.as_str()));
    span.in_scope(|| {
        tracing::info!(
            status,
            latencyMs = latency.as_secs_f64() * 1000.0,
            storeCalls = calls.calls,
            storeRetries = calls.retries,
            userId = %user,
            role,
            "request"
        );
    });
    resp
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::ratelimit::{Limit, RateLimits};
    use crate::telemetry::MetricsRegistry;
    use crate::testing::TestRequest;

    fn seller() -> serde_json::Value {
        json!({"userId": podcastflow_domain::UserId::new().to_string(), "orgId": podcastflow_domain::OrgId::new().to_string(), "role": "seller"})
    }

    fn telemetry(limits: RateLimits) -> (Telemetry, Arc<MetricsRegistry>) {
        let r = Arc::new(MetricsRegistry::new());
        (Telemetry::local(r.clone(), limits), r)
    }

    async fn ok(_req: Request) -> Result<Response<Body>, Error> {
        Ok(crate::json(StatusCode::OK, &json!({}), "rid"))
    }

    #[tokio::test]
    async fn a_request_is_counted_and_carries_its_correlation_id() {
        let (t, r) = telemetry(RateLimits::off());
        let req = TestRequest::new("GET", "/campaigns").authorizer(seller()).header(CORRELATION_ID, "abc-123").build();
        let resp = observe(&t, None, "CampaignsFunction", req, ok).await;
        assert_eq!(resp.headers()[CORRELATION_ID], "abc-123");
        let w = r.window(Duration::from_secs(60));
        assert_eq!(w.total().requests, 1);
        let bad = TestRequest::new("GET", "/campaigns").header(CORRELATION_ID, "<script>").build();
        let resp = observe(&t, None, "CampaignsFunction", bad, ok).await;
        assert_ne!(resp.headers()[CORRELATION_ID], "<script>");
    }

    #[tokio::test]
    async fn a_burst_past_the_limit_is_429_with_retry_after() {
        let limits = RateLimits { member_read: Limit { burst: 2, per_second: 0.5 }, ..RateLimits::default() };
        let (t, r) = telemetry(limits);
        let ctx = seller();
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let resp = observe(&t, None, "F", TestRequest::new("GET", "/x").authorizer(ctx.clone()).build(), ok).await;
            statuses.push(resp.status().as_u16());
            if resp.status() == 429 {
                assert_eq!(resp.headers()["retry-after"], "2");
                assert_eq!(resp.headers()["content-type"], "application/problem+json");
                assert_eq!(resp.headers()["ratelimit"], "\"member-read\";r=0;t=4");
            }
        }
        assert_eq!(statuses, [200, 200, 429]);
        assert_eq!(r.window(Duration::from_secs(60)).total().throttled, 1);
    }

    #[tokio::test]
    async fn an_outage_is_a_503_problem_and_counted_as_a_function_error() {
        let (t, r) = telemetry(RateLimits::off());
        let failing = |_req: Request| async { Err::<Response<Body>, Error>(Box::new(Outage("table down".into()))) };
        let resp = observe(&t, None, "F", TestRequest::new("GET", "/x").build(), failing).await;
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()["retry-after"], "1");
        assert_eq!(r.window(Duration::from_secs(60)).total().function_errors, 1);
    }

    #[tokio::test]
    async fn answers_and_failures_carry_the_cors_origin_when_one_is_set() {
        let (t, _r) = telemetry(RateLimits::off());
        let resp = observe(&t, None, "F", TestRequest::new("GET", "/x").build(), ok).await;
        assert!(resp.headers().get("access-control-allow-origin").is_none(), "none configured, none sent");
        let t = t.with_cors_origin(Some("https://app.example".into()));
        let failing = |_req: Request| async { Err::<Response<Body>, Error>(Box::new(Outage("down".into()))) };
        for resp in [
            observe(&t, None, "F", TestRequest::new("GET", "/x").build(), ok).await,
            observe(&t, None, "F", TestRequest::new("GET", "/x").build(), failing).await,
        ] {
            assert_eq!(resp.headers()["access-control-allow-origin"], "https://app.example");
            assert_eq!(resp.headers()["vary"], "Origin");
            assert!(resp.headers()["access-control-expose-headers"].to_str().unwrap().contains("ETag"));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_past_the_deadline_is_answered_503() {
        let (mut t, _r) = telemetry(RateLimits::off());
        t.deadline = Duration::from_secs(25);
        let slow = |_req: Request| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            ok(TestRequest::new("GET", "/x").build()).await
        };
        let resp = observe(&t, None, "F", TestRequest::new("GET", "/x").build(), slow).await;
        assert_eq!(resp.status(), 503);
        let Body::Text(b) = resp.body() else { panic!("text") };
        assert!(b.contains("/timeout"), "{b}");
    }
}
