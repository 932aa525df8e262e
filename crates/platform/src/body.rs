//! Reading JSON request bodies: 415 for another media type, 413 over the limit, 400 for malformed
//! JSON, and 400 with a field-level error for a value of the wrong shape or an unknown field
//! (write types use `deny_unknown_fields`).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

use crate::Problem;

/// Largest JSON body accepted by default.
pub const MAX_JSON_BODY: usize = 256 * 1024;

pub(crate) fn bytes(body: &Body) -> &[u8] {
    match body {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// The request's JSON body as `T`, or the problem to answer.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media != "application/json" && !media.ends_with("+json") {
        return Err(Problem::new(
            "unsupported-media-type",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
        )
        .detail("send the body as application/json"));
    }
    let raw = bytes(req.body());
    if raw.len() > MAX_JSON_BODY {
        return Err(Problem::new("payload-too-large", StatusCode::PAYLOAD_TOO_LARGE, "Body too large")
            .detail(format!("at most {MAX_JSON_BODY} bytes")));
    }
    if raw.is_empty() {
        return Err(
            Problem::new("malformed-json", StatusCode::BAD_REQUEST, "Malformed JSON").detail("the body is empty")
        );
    }
    // Syntax first, so a broken document is told apart from a valid one of the wrong shape.
    let value: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
        Problem::new("malformed-json", StatusCode::BAD_REQUEST, "Malformed JSON").detail(format!(
            "line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // The path already ends with the offending field, unknown ones included.
        let field = if path == "." { String::new() } else { path };
        let code = if inner.starts_with("unknown field") { "unknown_field" } else { "invalid" };
        let mut p = Problem::new("validation", StatusCode::BAD_REQUEST, "Invalid request body").detail(inner.clone());
        p.errors.push(podcastflow_domain::FieldError { field, code, message: inner });
        p
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        amount: i64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Create {
        name: String,
        budget: Option<Inner>,
    }

    fn req(content_type: &str, body: &str) -> Request {
        crate::testing::TestRequest::new("POST", "/x").header("content-type", content_type).body(body).build()
    }

    #[test]
    fn good_bodies_parse() {
        let c: Create =
            json_body(&req("application/json; charset=utf-8", r#"{"name": "x", "budget": {"amount": 5}}"#)).unwrap();
        assert_eq!(c, Create { name: "x".into(), budget: Some(Inner { amount: 5 }) });
    }

    #[test]
    fn bad_bodies_are_precise_4xx() {
        assert_eq!(json_body::<Create>(&req("text/plain", "{}")).unwrap_err().status, 415);
        assert_eq!(json_body::<Create>(&req("application/json", "")).unwrap_err().status, 400);
        let malformed = json_body::<Create>(&req("application/json", r#"{"name": "#)).unwrap_err();
        assert_eq!((malformed.status, malformed.kind.ends_with("malformed-json")), (400, true));
        let unknown =
            json_body::<Create>(&req("application/json", r#"{"name": "x", "budget": {"amount": 1, "cents": 2}}"#))
                .unwrap_err();
        assert_eq!(unknown.errors[0].field, "budget.cents");
        assert_eq!(unknown.errors[0].code, "unknown_field");
        let top = json_body::<Create>(&req("application/json", r#"{"name": "x", "evil": true}"#)).unwrap_err();
        assert_eq!(top.errors[0].field, "evil");
        let wrong = json_body::<Create>(&req("application/json", r#"{"name": "x", "budget": {"amount": "lots"}}"#))
            .unwrap_err();
        assert_eq!((wrong.errors[0].field.as_str(), wrong.errors[0].code), ("budget.amount", "invalid"));
        let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(MAX_JSON_BODY));
        assert_eq!(json_body::<Create>(&req("application/json", &big)).unwrap_err().status, 413);
    }
}
