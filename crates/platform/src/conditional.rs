//! Optimistic concurrency over HTTP (RFC 9110 13.1.1): the ETag of a version, and what a write's
//! `If-Match` asks for: 428 without it, 400 when it is not a list of entity tags or `*`, 412 when
//! no tag in it is the current one (weak tags and other servers' tags never are).

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::Problem;

/// The ETag of an entity version.
pub fn etag(version: u64) -> String {
    format!("\"v{version}\"")
}

/// The version named by an ETag of ours (weak or strong): for `If-None-Match`, where a weak tag
/// compares equal (RFC 9110 8.8.3.2).
pub fn parse_etag(value: &str) -> Option<u64> {
    let v = value.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: whatever version is current (the entity must exist).
    Any,
    /// The versions named by the strong tags of ours in the list; weak tags and tags that are
    /// not ours are left out, since strong comparison never matches them (an empty list: none).
    Versions(Vec<u64>),
}

impl IfMatch {
    /// The current version when `If-Match` names it (or any), else 412: every write then expects
    /// exactly that version, so a change in between is refused by the store as well.
    pub fn check(&self, current: u64) -> Result<u64, Problem> {
        match self {
            IfMatch::Versions(vs) if !vs.contains(&current) => Err(stale(current)),
            _ => Ok(current),
        }
    }
}

/// Splits an `If-Match` value into its entity tags: `None` when it is not a comma-separated list
/// of `"opaque"` or `W/"opaque"` (the quotes hold no `"`; commas inside them do not split).
fn entity_tags(value: &str) -> Option<Vec<(bool, &str)>> {
    let mut tags = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (weak, after) = match rest.strip_prefix("W/") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let inner = after.strip_prefix('"')?;
        let close = inner.find('"')?;
        let opaque = &inner[..close];
        if opaque.bytes().any(|b| b < 0x21 || b == 0x7f) {
            return None;
        }
        tags.push((weak, opaque));
        rest = inner[close + 1..].trim_start();
        rest = match rest.strip_prefix(',') {
            Some(r) => r.trim_start(),
            None if rest.is_empty() => rest,
            None => return None,
        };
    }
    (!tags.is_empty()).then_some(tags)
}

fn invalid_header(detail: &str) -> Problem {
    Problem::new("invalid-header", StatusCode::BAD_REQUEST, "Invalid header").detail(detail)
}

/// What the client's `If-Match` asks for; required on every update.
pub fn if_match(req: &Request) -> Result<IfMatch, Problem> {
    let Some(h) = req.headers().get("if-match") else {
        return Err(Problem::new("precondition-required", StatusCode::PRECONDITION_REQUIRED, "If-Match required")
            .detail("send the ETag you read in If-Match, so concurrent edits are not lost"));
    };
    let value = h.to_str().map_err(|_| invalid_header("If-Match must be ASCII"))?.trim();
    if value == "*" {
        return Ok(IfMatch::Any);
    }
    let tags =
        entity_tags(value).ok_or_else(|| invalid_header("If-Match must be * or a list of entity tags, e.g. \"v3\""))?;
    let versions = tags
        .into_iter()
        .filter(|(weak, _)| !weak)
        .filter_map(|(_, opaque)| opaque.strip_prefix('v')?.parse().ok())
        .collect();
    Ok(IfMatch::Versions(versions))
}

/// The `If-Match` of a write where it is optional (transitions): absent means the current version.
pub fn optional_if_match(req: &Request) -> Result<IfMatch, Problem> {
    if req.headers().contains_key("if-match") { if_match(req) } else { Ok(IfMatch::Any) }
}

/// 412: the entity changed since the client read it.
pub fn stale(current: u64) -> Problem {
    let mut p = Problem::new("version-conflict", StatusCode::PRECONDITION_FAILED, "The entity changed")
        .detail(format!("the current version is {current}; read it again and retry"));
    p.current_version = Some(current);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_round_trip() {
        assert_eq!(etag(7), "\"v7\"");
        assert_eq!(parse_etag("\"v7\""), Some(7));
        assert_eq!(parse_etag("W/\"v7\""), Some(7));
        for bad in ["v7", "\"7\"", "\"vx\"", "*", ""] {
            assert_eq!(parse_etag(bad), None, "{bad}");
        }
        assert_eq!(stale(4).status, 412);
        assert_eq!(IfMatch::Versions(vec![4]).check(4), Ok(4));
        assert_eq!(IfMatch::Any.check(4), Ok(4));
        let refused = IfMatch::Versions(vec![3]).check(4).map_err(|p| (p.status, p.current_version));
        assert_eq!(refused, Err((412, Some(4))));
        assert_eq!(IfMatch::Versions(vec![]).check(0).map_err(|p| p.status), Err(412));
        assert_eq!(stale(4).current_version, Some(4));
    }

    fn req(v: Option<&str>) -> Request {
        let r = crate::testing::TestRequest::new("PUT", "/x");
        match v {
            Some(v) => r.header("if-match", v).build(),
            None => r.build(),
        }
    }

    #[test]
    fn if_match_takes_a_list_of_etags_or_a_star_and_is_required() {
        assert_eq!(if_match(&req(Some("\"v3\""))).unwrap(), IfMatch::Versions(vec![3]));
        assert_eq!(if_match(&req(Some("*"))).unwrap().check(9), Ok(9));
        assert_eq!(if_match(&req(Some(" \"v1\", \"v9\" ,\"v4\""))).unwrap().check(9), Ok(9));
        assert_eq!(if_match(&req(None)).unwrap_err().status, 428);
        for malformed in ["v3", "\"v3", "\"v3\" \"v4\"", "\"v3\",,", "W/v3", "\"a b\"", ","] {
            assert_eq!(if_match(&req(Some(malformed))).unwrap_err().status, 400, "{malformed}");
        }
    }

    #[test]
    fn well_formed_tags_that_are_not_current_weak_or_foreign_answer_412() {
        for stale_tag in ["\"v8\"", "W/\"v9\"", "\"xyzzy\"", "\"9\"", "\"v9x\"", "W/\"v9\", \"v2\"", "\"a,b\""] {
            let m = if_match(&req(Some(stale_tag))).unwrap();
            assert_eq!(m.check(9).map_err(|p| p.status), Err(412), "{stale_tag}");
        }
        let mixed = if_match(&req(Some("W/\"v9\", \"v9\""))).unwrap();
        assert_eq!(mixed.check(9), Ok(9), "the strong one matches");
    }
}
