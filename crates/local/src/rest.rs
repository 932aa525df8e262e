//! The REST gateway: matches a request to a template route, builds the REST v1 proxy event API
//! Gateway would send (no stage in `path`, the stage in `requestContext.path`, multi-value headers
//! and query strings, base64 for non-UTF-8 bodies), turns it into the handler's request through
//! lambda_http's own conversion, calls the handler in process and maps the response.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body as AxumBody, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::Utc;
use podcastflow_platform::Problem;
use serde_json::{Value, json};

use crate::authorizer::{AuthOutcome, AuthorizerCache};
use crate::functions::{EventHandler, HttpHandler};
use crate::models::RequestValidator;
use crate::routes::{Matched, RouteTable};
use crate::template::Cors;
use crate::usage::{Refusal, UsagePlans};

/// Largest request body API Gateway accepts (10 MB).
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// What the gateway serves.
pub struct Gateway {
    /// The routes of the template.
    pub routes: RouteTable,
    /// The handlers by logical id.
    pub functions: HashMap<String, HttpHandler>,
    /// The stage name placed in the request context.
    pub stage: String,
    /// Authorizer functions by logical id.
    pub authorizers: HashMap<String, EventHandler>,
    /// Authorizer decisions per identity.
    pub auth_cache: AuthorizerCache,
    /// CORS of the API, answered on preflight requests.
    pub cors: Option<Cors>,
    /// Region in method ARNs.
    pub region: String,
    /// The API's request models, checked before a route's function runs.
    pub validator: RequestValidator,
    /// The usage plans metering routes with `ApiKeyRequired`.
    pub usage: Arc<UsagePlans>,
}

/// API Gateway's answer to a request its usage plans refuse.
fn refused(refusal: Refusal) -> Problem {
    match refusal {
        Refusal::Forbidden => {
            Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden").detail("the request is in no usage plan")
        }
        Refusal::Throttled => Problem::new("throttled", StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
            .detail("the usage plan's rate for this key is exceeded"),
        Refusal::QuotaExceeded => Problem::new("quota-exceeded", StatusCode::TOO_MANY_REQUESTS, "Limit Exceeded")
            .detail("the usage plan's quota for this key is used up"),
    }
}

fn preflight(cors: &Cors) -> Response {
    let mut resp = StatusCode::OK.into_response();
    let h = resp.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("access-control-allow-origin", &cors.allow_origin);
    if let Some(v) = &cors.allow_headers {
        set("access-control-allow-headers", v);
    }
    if let Some(v) = &cors.allow_methods {
        set("access-control-allow-methods", v);
    }
    if let Some(v) = &cors.max_age {
        set("access-control-max-age", v);
    }
    resp
}

fn problem(p: &Problem, rid: &str) -> Response {
    let mut resp = (
        StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_GATEWAY),
        serde_json::to_string(p).unwrap_or_default(),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/problem+json"));
    if let Ok(v) = HeaderValue::from_str(rid) {
        h.insert("x-request-id", v.clone());
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// An HTTP request as the gateway received it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// Method.
    pub method: &'a Method,
    /// Path and query.
    pub uri: &'a Uri,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// Body bytes.
    pub body: &'a [u8],
    /// The client's address.
    pub source_ip: &'a str,
}

/// The REST v1 proxy event for a request matched to a route.
pub fn proxy_event(stage: &str, m: &Matched<'_>, req: &Incoming<'_>, request_id: &str) -> Value {
    let Incoming { method, uri, headers, body, source_ip } = *req;
    let mut single = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        single.insert(name.as_str().to_owned(), v.clone());
        multi.entry(name.as_str().to_owned()).or_default().push(v);
    }
    let mut query_single = BTreeMap::new();
    let mut query_multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        query_single.insert(k.to_string(), v.to_string());
        query_multi.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    let (body, base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_owned()), false),
        Err(_) => (Value::String(base64::engine::general_purpose::STANDARD.encode(body)), true),
    };
    let null_if_empty = |v: Value| if v.as_object().is_some_and(|o| o.is_empty()) { Value::Null } else { v };
    let now = Utc::now();
    let path = uri.path();
    json!({
        "resource": m.route.path,
        "path": path,
        "httpMethod": method.as_str(),
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": null_if_empty(json!(query_single)),
        "multiValueQueryStringParameters": null_if_empty(json!(query_multi)),
        "pathParameters": null_if_empty(json!(m.params)),
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "requestTimeEpoch": now.timestamp_millis(),
            "path": format!("/{stage}{path}"),
            "resourcePath": m.route.path,
            "httpMethod": method.as_str(),
            "protocol": "HTTP/1.1",
            "identity": {
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent").and_then(|v| v.to_str().ok()),
            },
        },
        "body": body,
        "isBase64Encoded": base64,
    })
}

/// Serves one request, logging it as API Gateway's access log would (request id, method, path,
/// status, latency; never headers or bodies).
pub async fn serve(
    gw: State<Arc<Gateway>>,
    peer: ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: AxumBody,
) -> Response {
    let started = std::time::Instant::now();
    let rid = ulid::Ulid::new().to_string().to_lowercase();
    let (m, path) = (method.clone(), uri.path().to_owned());
    let resp = match read_body(body).await {
        Ok(body) => answer(gw, peer, method, uri, headers, body, rid.clone()).await,
        // API Gateway's REQUEST_TOO_LARGE (and an unreadable body), problem+json like every refusal.
        Err(BodyRefused::TooLarge) => {
            let p = Problem::new("payload-too-large", StatusCode::PAYLOAD_TOO_LARGE, "Body too large")
                .detail(format!("a request body is at most {MAX_BODY} bytes"));
            problem(&p, &rid)
        }
        Err(BodyRefused::Unreadable(why)) => {
            problem(&Problem::new("unreadable-body", StatusCode::BAD_REQUEST, "Unreadable body").detail(why), &rid)
        }
    };
    tracing::info!(
        target: "gateway",
        requestId = %rid,
        method = %m,
        path = %path,
        status = resp.status().as_u16(),
        latencyMs = started.elapsed().as_secs_f64() * 1000.0,
        "gateway"
    );
    resp
}

/// How much of an oversized body is read and dropped before the 413 is sent. Answering while the
/// client is still sending makes the kernel reset the connection, and a client that loses the
/// answer sees a broken connection instead of the refusal; past this much the client is cut off.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Why a request body was not taken.
enum BodyRefused {
    /// Over [`MAX_BODY`].
    TooLarge,
    /// The connection failed while sending it.
    Unreadable(String),
}

/// Reads a request body of at most [`MAX_BODY`] bytes; a larger one is drained (up to
/// [`DRAIN_LIMIT`]) so its sender reads the refusal.
async fn read_body(body: AxumBody) -> Result<Bytes, BodyRefused> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| BodyRefused::Unreadable(e.to_string()))?;
        seen = seen.saturating_add(chunk.len());
        if seen > DRAIN_LIMIT {
            return Err(BodyRefused::TooLarge);
        }
        if seen <= MAX_BODY {
            kept.extend_from_slice(&chunk);
        }
    }
    if seen > MAX_BODY { Err(BodyRefused::TooLarge) } else { Ok(Bytes::from(kept)) }
}

#[allow(clippy::too_many_arguments)]
async fn answer(
    State(gw): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    rid: String,
) -> Response {
    if let Some(cors) = gw.cors.as_ref().filter(|_| method == Method::OPTIONS && gw.routes.serves_path(uri.path())) {
        return preflight(cors);
    }
    let Some(m) = gw.routes.find(method.as_str(), uri.path()) else {
        return problem(&Problem::route_not_found(method.as_str(), uri.path()), &rid);
    };
    let Some(handler) = gw.functions.get(m.route.function.as_str()).cloned() else {
        let p = Problem::new("function-missing", StatusCode::BAD_GATEWAY, "Function not available locally")
            .detail(format!("{} is not registered with the local stack", m.route.function));
        return problem(&p, &rid);
    };
    let ip = peer.ip().to_string();
    let incoming = Incoming { method: &method, uri: &uri, headers: &headers, body: &body, source_ip: &ip };
    let mut event = proxy_event(&gw.stage, &m, &incoming, &rid);
    if let Some(def) = &m.route.authorizer {
        let Some(handler) = gw.authorizers.get(&def.function) else {
            return problem(
                &Problem::new("function-missing", StatusCode::BAD_GATEWAY, "Authorizer not available locally"),
                &rid,
            );
        };
        let method_arn =
            format!("arn:aws:execute-api:{}:000000000000:local/{}/{}{}", gw.region, gw.stage, method, uri.path());
        match gw.auth_cache.authorize(def, handler, &event, &method_arn).await {
            AuthOutcome::Allowed(context, usage_key) => {
                event["requestContext"]["authorizer"] = context;
                if m.route.api_key_required
                    && let Err(refusal) = gw.usage.admit(usage_key.as_deref(), Utc::now())
                {
                    return problem(&refused(refusal), &rid);
                }
            }
            AuthOutcome::Unauthorized => {
                return problem(&Problem::new("unauthorized", StatusCode::UNAUTHORIZED, "Unauthorized"), &rid);
            }
            AuthOutcome::Forbidden => {
                let p = Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
                    .detail("the authorizer's policy does not allow this request");
                return problem(&p, &rid);
            }
            AuthOutcome::Failed(e) => {
                tracing::error!(authorizer = %def.name, error = %e, request_id = %rid, "authorizer failed");
                let p = Problem::new("authorizer-error", StatusCode::INTERNAL_SERVER_ERROR, "Authorizer failed");
                return problem(&p, &rid);
            }
        }
    }
    if m.route.api_key_required && m.route.authorizer.is_none() {
        // The key comes only from an authorizer (`ApiKeySourceType: AUTHORIZER`).
        return problem(&refused(Refusal::Forbidden), &rid);
    }
    // API Gateway validates after the authorizer has let the request in.
    if let Some(model) = &m.route.request_model
        && (model.required || !body.is_empty())
        && let Err(reasons) = gw.validator.check(&model.name, &body)
    {
        let p = Problem::new("bad-request-body", StatusCode::BAD_REQUEST, "Invalid request body")
            .detail(reasons.join("; "));
        return problem(&p, &rid);
    }
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(r) => r,
        Err(e) => {
            let p =
                Problem::new("bad-event", StatusCode::BAD_GATEWAY, "Event could not be built").detail(e.to_string());
            return problem(&p, &rid);
        }
    };
    match handler(request).await {
        Ok(resp) => {
            let (parts, body) = resp.into_parts();
            let bytes: Vec<u8> = match body {
                lambda_http::Body::Empty => Vec::new(),
                lambda_http::Body::Text(t) => t.into_bytes(),
                lambda_http::Body::Binary(b) => b,
                _ => Vec::new(),
            };
            let mut out = Response::new(AxumBody::from(bytes));
            *out.status_mut() = parts.status;
            *out.headers_mut() = parts.headers;
            if let Ok(v) = HeaderValue::from_str(&rid) {
                out.headers_mut().insert("x-amzn-requestid", v.clone());
                out.headers_mut().entry("x-request-id").or_insert(v);
            }
            out
        }
        Err(e) => {
            // In AWS a function error becomes API Gateway's 502 "Internal server error".
            tracing::error!(function = %m.route.function, error = %e, request_id = %rid, "function failed");
            problem(&Problem::new("function-error", StatusCode::BAD_GATEWAY, "Internal server error"), &rid)
        }
    }
}
