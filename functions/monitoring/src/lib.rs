//! `monitoring`: `GET /monitoring/health`, the unauthenticated shallow health check (200 and the
//! version). The deep view, metrics and alerts arrive with the operations issue.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, RequestExt, Response};
use podcastflow_platform::{Problem, json, request_id};
use serde::Serialize;

/// The deployed version, from the crate version at build time.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The shallow health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok` when the function runs.
    pub status: &'static str,
    /// The deployed version.
    pub version: &'static str,
}

/// Handles one request.
pub async fn handle(req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    // The stage-free path: lambda_http puts the stage in front of the URI's path, as in AWS.
    Ok(match (req.method(), req.raw_http_path()) {
        (&Method::GET, "/monitoring/health") => json(StatusCode::OK, &Health { status: "ok", version: VERSION }, &rid),
        (m, p) => Problem::route_not_found(m.as_str(), p).response(&rid),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample event of events/ (what `sam local invoke` would send), optionally altered.
    fn event(method: &str) -> Request {
        let mut raw: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/monitoring/health.json")).unwrap();
        raw["httpMethod"] = method.into();
        lambda_http::request::from_str(&raw.to_string()).unwrap()
    }

    #[tokio::test]
    async fn health_answers_ok_with_the_version() {
        let r = handle(event("GET")).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-request-id"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
        let Body::Text(t) = r.body() else { panic!("text body") };
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        assert_eq!(v, serde_json::json!({"status": "ok", "version": VERSION}));
    }

    #[tokio::test]
    async fn other_routes_are_404_problems() {
        let r = handle(event("POST")).await.unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}
