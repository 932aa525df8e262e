//! RFC 9457 problem details: every failure a client can cause is answered with one.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use podcastflow_domain::FieldError;
use serde::Serialize;

/// Base of the stable problem `type` URIs.
pub const TYPE_BASE: &str = "https://podcastflow.dev/problems/";

/// A problem response: boxed, so a `Result<_, Problem>` stays one pointer wide.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Problem(Box<ProblemBody>);

impl std::ops::Deref for Problem {
    type Target = ProblemBody;
    fn deref(&self) -> &ProblemBody {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemBody {
        &mut self.0
    }
}

/// The fields of a problem response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemBody {
    /// Stable URI naming the kind of problem, e.g. `https://podcastflow.dev/problems/not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short human summary, the same for every occurrence of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Field-level validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For 412: the version now stored.
    #[serde(rename = "currentVersion", skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// For 429 and 503: seconds to wait, also sent as the `Retry-After` header.
    #[serde(rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// 400 with one field-level error.
    pub fn field(field: &str, code: &'static str, message: &str) -> Self {
        let mut v = podcastflow_domain::ValidationErrors::new();
        v.add(field, code, message.to_owned());
        Self::validation(v)
    }

    /// A problem of a kind (the last segment of its type URI) with a status and title.
    pub fn new(kind: &str, status: StatusCode, title: &str) -> Self {
        Self(Box::new(ProblemBody {
            kind: format!("{TYPE_BASE}{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            errors: Vec::new(),
            current_version: None,
            retry_after: None,
        }))
    }

    /// 404 for a path no route serves.
    pub fn route_not_found(method: &str, path: &str) -> Self {
        Self::new("route-not-found", StatusCode::NOT_FOUND, "No such route")
            .detail(format!("no route serves {method} {path}"))
            .instance(path)
    }

    /// Adds the detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds the instance.
    pub fn instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// Adds the field errors of a failed validation.
    pub fn fields(mut self, v: podcastflow_domain::ValidationErrors) -> Self {
        self.errors = v.errors;
        self
    }

    /// 400 for field-level validation errors.
    pub fn validation(v: podcastflow_domain::ValidationErrors) -> Self {
        Self::new("validation", StatusCode::BAD_REQUEST, "Invalid request body").fields(v)
    }

    /// The response carrying this problem, tagged with the request id.
    pub fn response(&self, request_id: &str) -> Response<Body> {
        let body = serde_json::to_string(&self.0).unwrap_or_else(|_| String::from("{}"));
        let mut resp = Response::new(Body::Text(body));
        *resp.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        crate::response::set_headers(&mut resp, "application/problem+json", request_id);
        if let Some(seconds) = self.retry_after {
            resp.headers_mut().insert("retry-after", lambda_http::http::HeaderValue::from(seconds));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_serialize_as_rfc_9457() {
        let p = Problem::route_not_found("GET", "/nope");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "https://podcastflow.dev/problems/route-not-found");
        assert_eq!(v["status"], 404);
        assert_eq!(v["instance"], "/nope");
        assert!(v.get("errors").is_none());
        let r = p.response("req-1");
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert_eq!(r.headers()["x-request-id"], "req-1");
    }
}
