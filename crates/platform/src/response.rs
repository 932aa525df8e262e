//! JSON responses and the request id every response carries.

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

/// Header carrying the request id on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// The API Gateway request id of a request (empty outside API Gateway).
pub fn request_id(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(c)) => c.request_id.clone().unwrap_or_default(),
        Some(RequestContext::WebSocket(c)) => c.request_id.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

pub(crate) fn set_headers(resp: &mut Response<Body>, content_type: &'static str, request_id: &str) {
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID, v);
    }
}

/// Whether the request's `Accept` prefers CSV (`text/csv`) to JSON: CSV named with a higher
/// quality than JSON, or named and JSON not.
pub fn prefers_csv(req: &Request) -> bool {
    let Some(accept) = req.headers().get("accept").and_then(|v| v.to_str().ok()) else { return false };
    let quality = |wanted: &str| {
        accept
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let kind = it.next()?.trim().to_ascii_lowercase();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                    .unwrap_or(1.0);
                (kind == wanted).then_some(q)
            })
            .fold(None, |best: Option<f32>, q| Some(best.map_or(q, |b| b.max(q))))
    };
    match (quality("text/csv"), quality("application/json")) {
        (Some(c), Some(j)) => c > 0.0 && c > j,
        (Some(c), None) => c > 0.0,
        _ => false,
    }
}

/// A CSV document (`text/csv`, RFC 4180) offered for download as `filename`.
pub fn csv(body: String, filename: &str, request_id: &str) -> Response<Body> {
    let mut resp = Response::new(Body::Text(body));
    set_headers(&mut resp, "text/csv; charset=utf-8", request_id);
    let name: String = filename.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        resp.headers_mut().insert("content-disposition", v);
    }
    resp
}

/// A JSON response with a status, tagged with the request id.
pub fn json<T: Serialize>(status: StatusCode, body: &T, request_id: &str) -> Response<Body> {
    match serde_json::to_string(body) {
        Ok(text) => {
            let mut resp = Response::new(Body::Text(text));
            *resp.status_mut() = status;
            set_headers(&mut resp, "application/json", request_id);
            resp
        }
        Err(e) => crate::Problem::new("internal", StatusCode::INTERNAL_SERVER_ERROR, "Response could not be encoded")
            .detail(e.to_string())
            .response(request_id),
    }
}

/// A JSON response carrying the entity's version as its `ETag`, for the next `If-Match`.
pub fn json_with_etag<T: Serialize>(status: StatusCode, body: &T, version: u64, request_id: &str) -> Response<Body> {
    let mut resp = json(status, body, request_id);
    if let Ok(v) = HeaderValue::from_str(&crate::etag(version)) {
        resp.headers_mut().insert("etag", v);
    }
    resp
}

/// 204 without a body.
pub fn no_content(request_id: &str) -> Response<Body> {
    let mut resp = Response::new(Body::Empty);
    *resp.status_mut() = StatusCode::NO_CONTENT;
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// 201 for a new entity at `location`, with its ETag when it has a version of its own.
pub fn created<T: Serialize>(body: &T, version: Option<u64>, location: &str, request_id: &str) -> Response<Body> {
    let mut resp = match version {
        Some(v) => json_with_etag(StatusCode::CREATED, body, v, request_id),
        None => json(StatusCode::CREATED, body, request_id),
    };
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert("location", v);
    }
    resp
}
