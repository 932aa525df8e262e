//! Paging parameters of list routes: `limit` (1..=100, default 25) and an opaque `cursor`.

use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};

use crate::Problem;

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: u32 = 25;
/// Largest page.
pub const MAX_LIMIT: u32 = 100;

/// One list request's paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// Items per page.
    pub limit: u32,
    /// Where to continue.
    pub cursor: Option<String>,
}

/// The paging of a request, or 400.
pub fn paging(req: &Request) -> Result<Paging, Problem> {
    let q = req.query_string_parameters_ref();
    let limit = match q.and_then(|q| q.first("limit")) {
        None => DEFAULT_LIMIT,
        Some(v) => v.parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            let mut p = Problem::new("validation", StatusCode::BAD_REQUEST, "Invalid query")
                .detail(format!("limit must be 1 to {MAX_LIMIT}"));
            p.errors.push(podcastflow_domain::FieldError {
                field: "limit".into(),
                code: "out_of_range",
                message: format!("limit must be 1 to {MAX_LIMIT}"),
            });
            p
        })?,
    };
    let cursor = q.and_then(|q| q.first("cursor")).filter(|c| !c.is_empty()).map(str::to_owned);
    Ok(Paging { limit, cursor })
}

/// One page of a list gathered whole in memory (a principal's own related items), in the order of
/// `key` (descending when asked), after the position the cursor names. The cursor is the last
/// item's key, base64url: it only positions within what the caller may already see.
pub fn page_in_memory<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    descending: bool,
    paging: &Paging,
) -> Result<(Vec<T>, Option<String>), Problem> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    items.sort_by_cached_key(|i| key(i));
    if descending {
        items.reverse();
    }
    let after = match &paging.cursor {
        Some(c) => {
            let invalid = || {
                Problem::new("invalid-cursor", StatusCode::BAD_REQUEST, "Invalid cursor")
                    .detail("start again without a cursor")
            };
            let raw = URL_SAFE_NO_PAD.decode(c).map_err(|_| invalid())?;
            Some(String::from_utf8(raw).map_err(|_| invalid())?)
        }
        None => None,
    };
    let mut rest: Vec<T> = match &after {
        Some(a) => items
            .into_iter()
            .filter(|i| {
                let k = key(i);
                if descending { k < *a } else { k > *a }
            })
            .collect(),
        None => items,
    };
    let limit = paging.limit as usize;
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = match (more, rest.last()) {
        (true, Some(last)) => Some(URL_SAFE_NO_PAD.encode(key(last))),
        _ => None,
    };
    Ok((rest, next))
}

/// One page of a list as clients get it: `{items, nextCursor}`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageBody<T: serde::Serialize> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(query: serde_json::Value) -> Request {
        crate::testing::TestRequest::new("GET", "/x").query(query).build()
    }

    #[test]
    fn limits_default_and_are_bounded() {
        assert_eq!(paging(&req(serde_json::Value::Null)).unwrap(), Paging { limit: DEFAULT_LIMIT, cursor: None });
        assert_eq!(
            paging(&req(json!({"limit": "100", "cursor": "abc"}))).unwrap(),
            Paging { limit: 100, cursor: Some("abc".into()) }
        );
        for bad in ["0", "101", "-1", "ten", ""] {
            let p = paging(&req(json!({ "limit": bad }))).unwrap_err();
            assert_eq!((p.status, p.errors[0].field.as_str()), (400, "limit"), "{bad}");
        }
    }

    #[test]
    fn in_memory_pages_visit_every_item_once_in_order() {
        let items: Vec<u32> = (0..25).rev().collect();
        let key = |n: &u32| format!("{n:03}");
        for descending in [false, true] {
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let p = Paging { limit: 10, cursor: cursor.clone() };
                let (page, next) = page_in_memory(items.clone(), key, descending, &p).unwrap();
                seen.extend(page);
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            let mut want: Vec<u32> = (0..25).collect();
            if descending {
                want.reverse();
            }
            assert_eq!(seen, want);
        }
        let bad = Paging { limit: 10, cursor: Some("!!".into()) };
        assert_eq!(page_in_memory(items, key, false, &bad).unwrap_err().status, 400);
    }
}
