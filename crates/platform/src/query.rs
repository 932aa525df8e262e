//! Query-string parameters of list routes, parsed into domain values or answered with a 400
//! naming the parameter.

use std::str::FromStr;

use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Problem;

/// A query parameter's first value, if present and not empty.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_owned).filter(|v| !v.is_empty())
}

/// A query parameter read as a serde enum or value (`status=won`); `what` says what is expected.
pub fn query_as<T: DeserializeOwned>(req: &Request, name: &str, what: &str) -> Result<Option<T>, Problem> {
    match query_param(req, name) {
        Some(v) => serde_json::from_value(Value::from(v)).map(Some).map_err(|_| Problem::field(name, "invalid", what)),
        None => Ok(None),
    }
}

/// A query parameter parsed with `FromStr` (ids, dates); `what` says what is expected.
pub fn query_parsed<T: FromStr>(req: &Request, name: &str, what: &str) -> Result<Option<T>, Problem> {
    match query_param(req, name) {
        Some(v) => v.parse().map(Some).map_err(|_| Problem::field(name, "invalid", what)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;
    use crate::testing::TestRequest;

    #[test]
    fn parameters_parse_or_name_the_bad_one() {
        let req = TestRequest::new("GET", "/x").query(json!({"from": "2026-01-02", "bad": "x", "empty": ""})).build();
        assert_eq!(query_parsed::<NaiveDate>(&req, "from", "a date").unwrap(), NaiveDate::from_ymd_opt(2026, 1, 2));
        assert_eq!(query_param(&req, "empty"), None);
        let p = query_parsed::<NaiveDate>(&req, "bad", "a date").unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (400, "bad"));
        assert!(query_parsed::<bool>(&req, "missing", "true or false").unwrap().is_none());
    }
}
