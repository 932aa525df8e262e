//! The WebSocket gateway, as API Gateway's WebSocket APIs behave: `$connect` runs before the
//! handshake completes (a non-2xx answer refuses it), frames are routed by
//! `$request.body.action` to their route or `$default`, `$disconnect` follows every close, and the
//! management API (`POST/GET/DELETE /@connections/{id}`, SigV4-signed with the data dir's
//! credentials) lets aws-sdk-apigatewaymanagement post to connections, answering 410 Gone for
//! closed ones. Connections close after 10 minutes idle or 2
//! hours in all; messages are limited to 128 KB.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::authorizer::{AuthOutcome, AuthorizerCache};
use crate::credentials::LocalCredentials;
use crate::functions::{EventHandler, HttpHandler};
use crate::sigv4::{self, Signed};
use crate::template::{AuthorizerDef, WsRoute};

/// A connection closes after this long without a message either way.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// A connection closes after this long whatever happens.
pub const MAX_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);
/// Largest message either way.
pub const MAX_MESSAGE: usize = 128 * 1024;

enum Outbound {
    Text(String),
    Close,
}

struct Connection {
    tx: mpsc::UnboundedSender<Outbound>,
    connected_at: DateTime<Utc>,
    last_active: DateTime<Utc>,
    source_ip: String,
    user_agent: Option<String>,
}

/// The WebSocket API of the template.
pub struct WsGateway {
    /// Route key -> function logical id.
    pub routes: HashMap<String, String>,
    /// The functions by logical id.
    pub functions: HashMap<String, HttpHandler>,
    /// Stage in request contexts and the management path.
    pub stage: String,
    /// `host:port` the gateway listens on (the events' `domainName`).
    pub domain: String,
    /// The `$connect` authorizer, if any.
    pub connect_authorizer: Option<AuthorizerDef>,
    /// Authorizer functions by logical id.
    pub authorizers: HashMap<String, EventHandler>,
    /// Region in method ARNs.
    pub region: String,
    auth: AuthorizerCache,
    connections: Mutex<HashMap<String, Connection>>,
    /// The key `@connections` callers must sign with (SigV4, service `execute-api`).
    credentials: LocalCredentials,
}

/// Who connected: what `$connect` saw, kept for the connection's later events.
#[derive(Clone)]
struct Peer {
    ip: String,
    user_agent: Option<String>,
    /// The `$connect` authorizer's context, which API Gateway passes to every later event of the
    /// connection.
    authorizer: Option<Value>,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl WsGateway {
    /// A gateway for these routes and functions.
    pub fn new(
        routes: &[WsRoute],
        functions: HashMap<String, HttpHandler>,
        authorizers: HashMap<String, EventHandler>,
        stage: &str,
        domain: String,
        region: &str,
        credentials: LocalCredentials,
    ) -> Self {
        Self {
            routes: routes.iter().map(|r| (r.key.clone(), r.function.clone())).collect(),
            functions,
            stage: stage.to_owned(),
            domain,
            connect_authorizer: routes.iter().find(|r| r.key == "$connect").and_then(|r| r.authorizer.clone()),
            authorizers,
            region: region.to_owned(),
            auth: AuthorizerCache::default(),
            connections: Mutex::new(HashMap::new()),
            credentials,
        }
    }

    fn event(&self, route: &str, kind: &str, id: &str, peer: &Peer, connected_at: i64, extra: Value) -> Value {
        let rid = ulid::Ulid::new().to_string().to_lowercase();
        let mut e = json!({
            "requestContext": {
                "routeKey": route,
                "eventType": kind,
                "extendedRequestId": rid,
                "requestTime": Utc::now().format("%d/%b/%Y:%H:%M:%S %z").to_string(),
                "messageDirection": "IN",
                "stage": self.stage,
                "connectedAt": connected_at,
                "requestTimeEpoch": now_ms(),
                "identity": {"sourceIp": peer.ip, "userAgent": peer.user_agent},
                "requestId": rid,
                "authorizer": peer.authorizer,
                "domainName": self.domain,
                "connectionId": id,
                "apiId": "local",
            },
            "isBase64Encoded": false,
        });
        if let (Some(target), Some(add)) = (e.as_object_mut(), extra.as_object()) {
            for (k, v) in add {
                if k == "requestContext" {
                    if let (Some(ctx), Some(more)) =
                        (target.get_mut("requestContext").and_then(Value::as_object_mut), v.as_object())
                    {
                        ctx.extend(more.clone());
                    }
                } else {
                    target.insert(k.clone(), v.clone());
                }
            }
        }
        e
    }

    /// Invokes the function of a route; `None` when the route has no function.
    async fn invoke(
        &self,
        route: &str,
        event: Value,
    ) -> Option<Result<lambda_http::Response<lambda_http::Body>, String>> {
        let function = self.routes.get(route)?;
        let handler = self.functions.get(function)?.clone();
        let request = match lambda_http::request::from_str(&event.to_string()) {
            Ok(r) => r,
            Err(e) => return Some(Err(e.to_string())),
        };
        Some(handler(request).await.map_err(|e| e.to_string()))
    }

    /// Routes one message from a client.
    async fn message(self: &Arc<Self>, id: &str, peer: &Peer, connected_at: i64, body: String) {
        let action = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("action").and_then(Value::as_str).map(str::to_owned))
            .filter(|a| self.routes.contains_key(a) && !a.starts_with('$'));
        let route = action.unwrap_or_else(|| "$default".into());
        let extra = json!({"body": body, "requestContext": {"messageId": ulid::Ulid::new().to_string()}});
        let event = self.event(&route, "MESSAGE", id, peer, connected_at, extra);
        match self.invoke(&route, event).await {
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                tracing::warn!(route = %route, error = %e, "websocket route failed");
                self.send(id, json!({"message": "Internal server error", "connectionId": id}).to_string());
            }
            // API Gateway's answer when nothing serves the route.
            None => {
                self.send(id, json!({"message": "Forbidden", "connectionId": id}).to_string());
            }
        }
    }

    fn send(&self, id: &str, text: String) -> bool {
        let mut conns = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        match conns.get_mut(id) {
            Some(c) if c.tx.send(Outbound::Text(text)).is_ok() => {
                c.last_active = Utc::now();
                true
            }
            _ => false,
        }
    }

    async fn run(self: Arc<Self>, socket: WebSocket, id: String, peer: Peer, connected_at: DateTime<Utc>) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.connections.lock().unwrap_or_else(|p| p.into_inner()).insert(
            id.clone(),
            Connection {
                tx,
                connected_at,
                last_active: connected_at,
                source_ip: peer.ip.clone(),
                user_agent: peer.user_agent.clone(),
            },
        );
        let (mut sink, mut stream) = socket.split();
        let lifetime = tokio::time::sleep(MAX_LIFETIME);
        tokio::pin!(lifetime);
        let (mut status, mut reason) = (1000u16, "Client closed");
        loop {
            let idle = {
                let conns = self.connections.lock().unwrap_or_else(|p| p.into_inner());
                let last = conns.get(&id).map_or(connected_at, |c| c.last_active);
                let since = (Utc::now() - last).to_std().unwrap_or_default();
                IDLE_TIMEOUT.saturating_sub(since)
            };
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(t))) => {
                        if let Some(c) = self.connections.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&id) {
                            c.last_active = Utc::now();
                        }
                        let (gw, id, peer) = (self.clone(), id.clone(), peer.clone());
                        let body = t.to_string();
                        tokio::spawn(async move { gw.message(&id, &peer, connected_at.timestamp_millis(), body).await });
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Ok(_)) => {}
                    Some(Err(_)) => {
                        (status, reason) = (1009, "Message too big or malformed");
                        break;
                    }
                },
                out = rx.recv() => match out {
                    Some(Outbound::Text(t)) => {
                        if sink.send(Message::Text(t.into())).await.is_err() {
                            break;
                        }
                    }
                    Some(Outbound::Close) | None => {
                        (status, reason) = (1000, "Closed by the management API");
                        let _ = sink.send(Message::Close(Some(CloseFrame { code: 1000, reason: "".into() }))).await;
                        break;
                    }
                },
                _ = tokio::time::sleep(idle) => {
                    (status, reason) = (1001, "Going away");
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 1001, reason: "Going away".into() }))).await;
                    break;
                }
                _ = &mut lifetime => {
                    (status, reason) = (1001, "Going away");
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 1001, reason: "Going away".into() }))).await;
                    break;
                }
            }
        }
        self.connections.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        let extra = json!({"requestContext": {"disconnectStatusCode": status, "disconnectReason": reason}});
        let event = self.event("$disconnect", "DISCONNECT", &id, &peer, connected_at.timestamp_millis(), extra);
        if let Some(Err(e)) = self.invoke("$disconnect", event).await {
            tracing::warn!(error = %e, "$disconnect failed");
        }
    }
}

async fn upgrade(
    State(gw): State<Arc<WsGateway>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let id = ulid::Ulid::new().to_string().to_lowercase();
    let mut peer = Peer {
        ip: addr.ip().to_string(),
        user_agent: headers.get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned),
        authorizer: None,
    };
    let connected_at = Utc::now();
    let mut single = serde_json::Map::new();
    let mut multi: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in &headers {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        single.insert(k.as_str().to_owned(), Value::String(v.clone()));
        multi.entry(k.as_str().to_owned()).or_default().push(v);
    }
    let mut query = serde_json::Map::new();
    let mut multi_query: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        query.insert(k.to_string(), Value::String(v.to_string()));
        multi_query.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    let extra = json!({
        "headers": single, "multiValueHeaders": multi,
        "queryStringParameters": if query.is_empty() { Value::Null } else { Value::Object(query) },
        "multiValueQueryStringParameters": if multi_query.is_empty() { Value::Null } else { json!(multi_query) },
    });
    let mut event = gw.event("$connect", "CONNECT", &id, &peer, connected_at.timestamp_millis(), extra);
    if let Some(def) = &gw.connect_authorizer {
        let Some(handler) = gw.authorizers.get(&def.function) else {
            return connect_failed("the authorizer function is not deployed");
        };
        let arn = format!("arn:aws:execute-api:{}:000000000000:local/{}/$connect", gw.region, gw.stage);
        match gw.auth.authorize(def, handler, &event, &arn).await {
            AuthOutcome::Allowed(context, _) => {
                event["requestContext"]["authorizer"] = context.clone();
                peer.authorizer = Some(context);
            }
            AuthOutcome::Unauthorized => return StatusCode::UNAUTHORIZED.into_response(),
            AuthOutcome::Forbidden => return StatusCode::FORBIDDEN.into_response(),
            AuthOutcome::Failed(e) => return connect_failed(&format!("the authorizer failed: {e}")),
        }
    }
    match gw.invoke("$connect", event).await {
        None => {}
        Some(Ok(r)) if r.status().is_success() => {}
        Some(Ok(r)) => return r.status().into_response(),
        Some(Err(e)) => return connect_failed(&format!("the $connect route failed: {e}")),
    }
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| gw.run(socket, id, peer, connected_at))
}

/// A handshake refused for a failure of ours: 500, as API Gateway answers, with the reason in
/// the body (the local stack's own addition, so a failing client shows why).
fn connect_failed(reason: &str) -> Response {
    tracing::warn!(reason, "$connect failed");
    (StatusCode::INTERNAL_SERVER_ERROR, json!({"message": "Internal server error", "reason": reason}).to_string())
        .into_response()
}

fn gone(id: &str) -> Response {
    let mut r = (StatusCode::GONE, json!({"message": format!("connection {id} is gone")}).to_string()).into_response();
    r.headers_mut().insert("x-amzn-errortype", axum::http::HeaderValue::from_static("GoneException"));
    r.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("application/json"));
    r
}

async fn post_to(
    State(gw): State<Arc<WsGateway>>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let id = params.get("id").cloned().unwrap_or_default();
    if body.len() > MAX_MESSAGE {
        let mut r =
            (StatusCode::PAYLOAD_TOO_LARGE, json!({"message": "payload too large"}).to_string()).into_response();
        r.headers_mut().insert("x-amzn-errortype", axum::http::HeaderValue::from_static("PayloadTooLargeException"));
        return r;
    }
    if gw.send(&id, String::from_utf8_lossy(&body).into_owned()) { StatusCode::OK.into_response() } else { gone(&id) }
}

async fn get_connection(State(gw): State<Arc<WsGateway>>, Path(params): Path<HashMap<String, String>>) -> Response {
    let id = params.get("id").cloned().unwrap_or_default();
    let conns = gw.connections.lock().unwrap_or_else(|p| p.into_inner());
    match conns.get(&id) {
        Some(c) => {
            let body = json!({
                "connectedAt": c.connected_at.to_rfc3339(),
                "lastActiveAt": c.last_active.to_rfc3339(),
                "identity": {"sourceIp": c.source_ip, "userAgent": c.user_agent},
            });
            let mut r = body.to_string().into_response();
            r.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("application/json"));
            r
        }
        None => gone(&id),
    }
}

async fn delete_connection(State(gw): State<Arc<WsGateway>>, Path(params): Path<HashMap<String, String>>) -> Response {
    let id = params.get("id").cloned().unwrap_or_default();
    let conns = gw.connections.lock().unwrap_or_else(|p| p.into_inner());
    match conns.get(&id) {
        Some(c) if c.tx.send(Outbound::Close).is_ok() => StatusCode::NO_CONTENT.into_response(),
        _ => gone(&id),
    }
}

/// The gateway's routes: the WebSocket endpoint and the management API (with or without the
/// stage in the path, as the SDK's endpoint may carry it).
pub fn router(gw: Arc<WsGateway>) -> Router {
    let manage = || get(get_connection).post(post_to).delete(delete_connection);
    let management = Router::new()
        .route("/@connections/{id}", manage())
        .route("/{stage}/@connections/{id}", manage())
        .route_layer(middleware::from_fn_with_state(gw.clone(), signed));
    Router::new().route("/", any(upgrade)).route("/{stage}", any(upgrade)).merge(management).with_state(gw)
}

/// Lets through only management calls signed with the stack's credentials, as API Gateway
/// requires IAM-signed calls to `@connections`; others get 403 with AWS's error type.
async fn signed(State(gw): State<Arc<WsGateway>>, req: axum::extract::Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_MESSAGE + 1).await else {
        let mut r =
            (StatusCode::PAYLOAD_TOO_LARGE, json!({"message": "payload too large"}).to_string()).into_response();
        r.headers_mut().insert("x-amzn-errortype", axum::http::HeaderValue::from_static("PayloadTooLargeException"));
        return r;
    };
    let request = Signed {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &bytes,
    };
    if let Err(e) = sigv4::verify(&request, &gw.credentials, "execute-api", Utc::now()) {
        let mut r = (StatusCode::FORBIDDEN, json!({"message": e.to_string()}).to_string()).into_response();
        r.headers_mut().insert("x-amzn-errortype", axum::http::HeaderValue::from_static(e.error_type()));
        r.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("application/json"));
        return r;
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
}
