//! Query-string parameters of list routes, parsed into domain values or answered with a 400
//! naming the parameter.

use std::str::FromStr;

use chrono::NaiveDate;
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

/// The date range of `from` and `to` (`YYYY-MM-DD`, both inclusive, either may be left out), or
/// `None` without either; 400 when `to` is before `from`. An open end reaches 0001-01-01 or
/// 9999-12-30 (9999-12-31 is left to the "no date" sentinel some indexes sort last).
pub fn query_date_range(req: &Request) -> Result<Option<(NaiveDate, NaiveDate)>, Problem> {
    let from: Option<NaiveDate> = query_parsed(req, "from", "a date, YYYY-MM-DD")?;
    let to: Option<NaiveDate> = query_parsed(req, "to", "a date, YYYY-MM-DD")?;
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let from = from.or(NaiveDate::from_ymd_opt(1, 1, 1)).unwrap_or(NaiveDate::MIN);
    let to = to.or(NaiveDate::from_ymd_opt(9999, 12, 30)).unwrap_or(NaiveDate::MAX);
    if to < from {
        return Err(Problem::field("to", "before_from", "must not be before from"));
    }
    Ok(Some((from, to)))
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn date_ranges_default_their_open_ends_and_refuse_reversed_ones() {
        let range = |q| query_date_range(&TestRequest::new("GET", "/x").query(q).build());
        assert_eq!(range(json!(null)).unwrap(), None);
        let (from, to) = range(json!({"from": "2027-01-01"})).unwrap().unwrap();
        assert_eq!((from.to_string(), to.to_string()), ("2027-01-01".into(), "9999-12-30".into()));
        assert_eq!(range(json!({"from": "2027-02-01", "to": "2027-01-01"})).unwrap_err().errors[0].field, "to");
    }
}
