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

/// Checks the body of a request that takes no fields (`POST /backups`, `POST /delivery/recounts`):
/// nothing or `{}`; anything else is the problem to answer, naming `what` takes no fields.
pub fn no_fields(req: &Request, what: &str) -> Result<(), Problem> {
    if bytes(req.body()).is_empty() {
        return Ok(());
    }
    if json_body::<serde_json::Map<String, serde_json::Value>>(req)?.is_empty() {
        return Ok(());
    }
    Err(Problem::field("body", "unknown", &format!("{what} takes no fields; send {{}} or nothing")))
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
    let value = serde_json::from_slice::<Unique>(raw).map_err(|e| {
        // Only the duplicate-key check makes a data error here: any other JSON is a value.
        let (kind, title) = match e.classify() {
            serde_json::error::Category::Data => ("duplicate-key", "Duplicate key"),
            _ => ("malformed-json", "Malformed JSON"),
        };
        Problem::new(kind, StatusCode::BAD_REQUEST, title).detail(format!(
            "line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    from_value(value.0)
}

/// A JSON value whose objects name each key once: parsers disagree on which of two equal keys
/// wins (`{"role": "seller", "role": "admin"}`), so a body with one is refused, not guessed at.
struct Unique(serde_json::Value);

impl<'de> serde::Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor).map(Unique)
    }
}

struct UniqueVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("the key \"{key}\" appears twice in one object")));
            }
            let Unique(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// A JSON value as `T`, or 400 naming the field of the wrong shape.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
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

/// PUT with merge semantics: the fields present in `patch` (only those in `allowed`) replace the
/// entity's, `null` clears an optional one (a required one set to `null` is a 400), the rest stay.
pub fn merge<T: serde::Serialize + DeserializeOwned>(
    current: &T,
    patch: serde_json::Value,
    allowed: &[&str],
) -> Result<T, Problem> {
    let serde_json::Value::Object(patch) = patch else {
        return Err(Problem::new("validation", StatusCode::BAD_REQUEST, "Invalid request body")
            .detail("the body must be a JSON object of the fields to change"));
    };
    let mut unknown = podcastflow_domain::ValidationErrors::new();
    for k in patch.keys().filter(|k| !allowed.contains(&k.as_str())) {
        unknown.add(k.clone(), "unknown_field", "this field cannot be changed here");
    }
    if !unknown.is_empty() {
        return Err(Problem::validation(unknown));
    }
    let mut value = serde_json::to_value(current).map_err(|e| {
        Problem::new("internal", StatusCode::INTERNAL_SERVER_ERROR, "Entity could not be encoded").detail(e.to_string())
    })?;
    if let Some(obj) = value.as_object_mut() {
        for (k, v) in patch {
            match v {
                serde_json::Value::Null => obj.remove(&k),
                v => obj.insert(k, v),
            };
        }
    }
    from_value(value)
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
        for twice in [r#"{"name": "x", "name": "y"}"#, r#"{"name": "x", "budget": {"amount": 1, "amount": 2}}"#] {
            let dup = json_body::<Create>(&req("application/json", twice)).unwrap_err();
            assert_eq!((dup.status, dup.kind.ends_with("duplicate-key")), (400, true), "{twice}");
        }
        let list: serde_json::Value =
            json_body(&req("application/json", r#"[{"a": 1.5, "b": [true, null, "s", -2]}, {"a": 2}]"#)).unwrap();
        assert_eq!(list, serde_json::json!([{"a": 1.5, "b": [true, null, "s", -2]}, {"a": 2}]));
        let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(MAX_JSON_BODY));
        assert_eq!(json_body::<Create>(&req("application/json", &big)).unwrap_err().status, 413);
    }
}

#[cfg(test)]
mod merge_tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::merge;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Thing {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        count: u32,
    }

    #[test]
    fn present_fields_replace_null_clears_and_the_rest_stay() {
        let t = Thing { name: "a".into(), note: Some("n".into()), count: 1 };
        let got = merge(&t, json!({"name": "b", "note": null}), &["name", "note", "count"]).unwrap();
        assert_eq!(got, Thing { name: "b".into(), note: None, count: 1 });
    }

    #[test]
    fn unknown_fields_required_nulls_and_wrong_shapes_are_400() {
        let t = Thing { name: "a".into(), note: None, count: 1 };
        assert!(merge(&t, json!({"id": "x"}), &["name"]).unwrap_err().errors.iter().any(|e| e.field == "id"));
        assert_eq!(merge(&t, json!({"name": null}), &["name"]).unwrap_err().status, 400);
        assert_eq!(merge(&t, json!({"count": "many"}), &["count"]).unwrap_err().errors[0].field, "count");
        assert_eq!(merge(&t, json!([1]), &["count"]).unwrap_err().status, 400);
    }
}
