//! `websocket`: the WebSocket API's routes. `$connect` (after the authorizer) records the
//! connection with its principal for 2 hours; `$disconnect` deletes it with its subscriptions and
//! presence; every message is JSON with an `action`:
//!
//! - `{"action": "subscribe", "topics": [...]}` -> `{"type": "subscribe.result", "accepted": [...],
//!   "refused": [{"topic", "reason"}]}`: a topic is accepted only when the principal may read what
//!   it covers (`campaign:<id>`, `show:<id>`, `episode:<id>` as a GET would decide; `org:campaigns`,
//!   `org:shows`, `org:episodes` for anyone of the organization, each update then filtered per
//!   reader; `user:<id>` for that user alone);
//! - `{"action": "unsubscribe", "topics": [...]}` -> `{"type": "unsubscribe.result", "removed"}`;
//! - `{"action": "presence", "topic", "state": "viewing" | "editing" | "left"}` on a followed topic
//!   -> `{"type": "presence.result", "topic", "present": [...]}`; the others on the topic hear of it
//!   through the change stream, and a presence not renewed expires after 2 minutes;
//! - `{"action": "ping"}` -> `{"type": "pong"}`.
//!
//! A message may carry an `id`, echoed as `replyTo`. Mistakes are answered with `{"type": "error",
//! "code", "message"}` on the connection, never by dropping the message. Updates themselves are
//! posted by the stream function's realtime processor, not here.

mod actions;

use std::sync::Arc;

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use podcastflow_domain::connection::Connection;
use podcastflow_platform::{AppContext, principal, request_id};
use podcastflow_push::{Push, PushError, post_with_retry};
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::connections::ConnectionRepo;
use serde_json::{Value, json};

/// What the function needs, built once at init.
pub struct WebSocketApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// Replies go back through the `@connections` API.
    pub push: Arc<dyn Push>,
}

/// The event's route and connection, from API Gateway's request context.
struct Event<'a> {
    kind: &'a str,
    connection: &'a str,
}

fn event(req: &Request) -> Option<Event<'_>> {
    match req.request_context_ref() {
        Some(RequestContext::WebSocket(c)) => {
            Some(Event { kind: c.event_type.as_deref()?, connection: c.connection_id.as_deref()? })
        }
        _ => None,
    }
}

fn status(code: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::Empty);
    *r.status_mut() = code;
    r
}

/// Handles one WebSocket event.
pub async fn handle(app: &WebSocketApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    let Some(ev) = event(&req) else { return Ok(status(StatusCode::BAD_REQUEST)) };
    // Over WebSocket the organization is the one the token names (master's X-Org-Id header is
    // not carried past the handshake, so it is not honoured on `$connect` either).
    let p = match principal(&req) {
        Ok(mut p) => {
            if let Some(home) = home_org(&req) {
                p.org_id = home;
            }
            p
        }
        Err(_) => return Ok(status(StatusCode::UNAUTHORIZED)),
    };
    let t = app.ctx.tenant(&p, &req);
    let repo = ConnectionRepo::new(&t);
    let done = match ev.kind {
        "CONNECT" => repo.open(&Connection::open(ev.connection, &p, Utc::now())).await,
        "DISCONNECT" => repo.close(ev.connection).await,
        "MESSAGE" => {
            let body = String::from_utf8_lossy(req.body().as_ref()).into_owned();
            let reply = actions::message(&t, &p, ev.connection, &body).await?;
            reply_to(app, &repo, ev.connection, &reply).await;
            Ok(())
        }
        _ => return Ok(status(StatusCode::BAD_REQUEST)),
    };
    match done {
        Ok(()) => Ok(status(StatusCode::OK)),
        Err(e) => {
            tracing::error!(request_id = %rid, connection = ev.connection, error = %e, "connection store failed");
            Err(Box::new(e))
        }
    }
}

/// The organization named by the authorizer's context itself.
fn home_org(req: &Request) -> Option<podcastflow_domain::OrgId> {
    match req.request_context_ref() {
        Some(RequestContext::WebSocket(c)) => c.authorizer.fields.get("orgId")?.as_str()?.parse().ok(),
        _ => None,
    }
}

/// Posts a reply; a connection that is gone meanwhile is cleaned up.
async fn reply_to(app: &WebSocketApp, repo: &ConnectionRepo<'_>, connection: &str, reply: &Value) {
    let bytes = reply.to_string().into_bytes();
    match post_with_retry(app.push.as_ref(), connection, &bytes).await {
        Ok(()) => {}
        Err(PushError::Gone) => {
            if let Err(e) = repo.close(connection).await {
                tracing::warn!(connection, error = %e, "closing a gone connection failed");
            }
        }
        Err(e) => tracing::warn!(connection, error = %e, "reply not delivered"),
    }
}

/// An error reply.
pub(crate) fn error(code: &str, message: impl Into<String>) -> Value {
    json!({"type": "error", "code": code, "message": message.into()})
}

/// Whether a store failure is the client's doing (a conflict) rather than an outage.
pub(crate) fn outage(e: RepoError) -> Result<Value, Error> {
    match e {
        RepoError::VersionConflict { .. } | RepoError::Conflict(_) => {
            Ok(error("conflict", "the connection changed meanwhile; send the message again"))
        }
        other => Err(Box::new(other)),
    }
}

podcastflow_wiring::http_function!(WebSocketApp, handle, push = push());

#[cfg(test)]
mod tests;
