//! `Idempotency-Key` on POST creates (docs/architecture.md section 7): the first request with a key runs;
//! a repeat with the same key, method, path and body gets the first answer again, without running
//! twice; the same key with another request is 422; a repeat while the first still runs is 409.
//! Only successful answers are remembered (24 hours): a failed create may be retried with the
//! same key.

use chrono::Utc;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use podcastflow_domain::Principal;
use podcastflow_domain::keys::{EXPIRES_AT, idempotency};
use podcastflow_store::{Condition, StoreError, Table, item};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Failure, Outage, Outcome, Problem};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// How long a first answer is remembered.
pub const KEEP_SECONDS: i64 = 24 * 3600;
/// Longest key accepted.
pub const MAX_KEY: usize = 255;

/// Headers of a remembered answer worth replaying.
const REPLAYED: [&str; 3] = ["content-type", "location", "etag"];

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Remembered {
    body_hash: String,
    /// `None` while the first request runs.
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn outage(e: impl std::fmt::Display) -> Failure {
    Failure::Outage(Outage(e.to_string()))
}

/// Runs `create` at most once per principal and `Idempotency-Key` (when the request has one).
pub async fn once<F, Fut>(table: &dyn Table, req: &Request, p: &Principal, create: F) -> Outcome
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    let Some(raw) = req.headers().get(HEADER) else { return create().await };
    let key = raw.to_str().ok().filter(|k| !k.is_empty() && k.len() <= MAX_KEY).ok_or_else(|| {
        Problem::new("invalid-header", StatusCode::BAD_REQUEST, "Invalid header")
            .detail(format!("{HEADER} must be 1 to {MAX_KEY} visible characters"))
    })?;
    let at = idempotency(&p.org_id, &p.user_id.to_string(), &hex(key.as_bytes()));
    // The request's method and path count with its body: the same key sent to another route (or
    // to another campaign's team) is a reuse, not a repeat.
    let mut fingerprint = format!("{} {}\n", req.method(), req.raw_http_path()).into_bytes();
    fingerprint.extend_from_slice(crate::body::bytes(req.body()));
    let body_hash = hex(&fingerprint);
    let expires = Utc::now().timestamp() + KEEP_SECONDS;
    let claim = Remembered { body_hash: body_hash.clone(), status: None, body: String::new(), headers: Vec::new() };
    let mut it = item::value_item(&at, "idempotency", &claim).map_err(outage)?;
    it.insert(EXPIRES_AT.into(), Value::from(expires));
    match table.put(it, Condition::NotExists).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => {
            let stored = table.get(&at).await.map_err(outage)?.ok_or_else(|| {
                Problem::new("conflict", StatusCode::CONFLICT, "Conflict").detail("retry the request")
            })?;
            let r: Remembered = item::from_item(stored).map_err(outage)?;
            if r.body_hash != body_hash {
                return Err(Problem::new("idempotency-key-reused", StatusCode::UNPROCESSABLE_ENTITY, "Key reused")
                    .detail("this Idempotency-Key was used with another request (method, path or body)")
                    .into());
            }
            let Some(status) = r.status else {
                return Err(Problem::new("in-progress", StatusCode::CONFLICT, "In progress")
                    .detail("the first request with this Idempotency-Key is still running")
                    .into());
            };
            let mut resp = Response::new(Body::Text(r.body));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            for (k, v) in r.headers {
                if let (Ok(name), Ok(value)) = (k.parse::<lambda_http::http::HeaderName>(), HeaderValue::from_str(&v)) {
                    resp.headers_mut().insert(name, value);
                }
            }
            resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(resp);
        }
        Err(e) => return Err(outage(e)),
    }
    let outcome = create().await;
    match &outcome {
        Ok(resp) if resp.status().is_success() => {
            let body = String::from_utf8_lossy(crate::body::bytes(resp.body())).into_owned();
            let headers = REPLAYED
                .iter()
                .filter_map(|h| {
                    resp.headers().get(*h).and_then(|v| v.to_str().ok()).map(|v| ((*h).to_owned(), v.to_owned()))
                })
                .collect();
            let done = Remembered { body_hash, status: Some(resp.status().as_u16()), body, headers };
            let mut it = item::value_item(&at, "idempotency", &done).map_err(outage)?;
            it.insert(EXPIRES_AT.into(), Value::from(expires));
            table.put(it, Condition::Always).await.map_err(outage)?;
        }
        _ => {
            // Nothing was created: free the key for a retry.
            table.delete(&at, Condition::Always).await.map_err(outage)?;
        }
    }
    outcome
}
