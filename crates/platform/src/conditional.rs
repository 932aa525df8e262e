//! Optimistic concurrency over HTTP: the ETag of a version, and the version a write expects from
//! `If-Match` (428 without it, 400 when it is not one of ours, 412 when it is stale).

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::Problem;

/// The ETag of an entity version.
pub fn etag(version: u64) -> String {
    format!("\"v{version}\"")
}

/// The version named by an ETag of ours (weak or strong).
pub fn parse_etag(value: &str) -> Option<u64> {
    let v = value.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: whatever version is current (the entity must exist).
    Any,
    /// The version the client read.
    Version(u64),
}

impl IfMatch {
    /// The version the write must find, given the one just read.
    pub fn expected(self, current: u64) -> u64 {
        match self {
            IfMatch::Any => current,
            IfMatch::Version(v) => v,
        }
    }

    /// The current version when the client's `If-Match` names it (or any), else 412 (RFC 9110
    /// 13.1.1): for writes that build the next version from the one just read.
    pub fn check(self, current: u64) -> Result<u64, Problem> {
        match self {
            IfMatch::Version(v) if v != current => Err(stale(current)),
            _ => Ok(current),
        }
    }
}

/// The version the client read, from `If-Match` (`*` for any); required on every update.
pub fn if_match(req: &Request) -> Result<IfMatch, Problem> {
    let Some(h) = req.headers().get("if-match") else {
        return Err(Problem::new("precondition-required", StatusCode::PRECONDITION_REQUIRED, "If-Match required")
            .detail("send the ETag you read in If-Match, so concurrent edits are not lost"));
    };
    match h.to_str().map(str::trim) {
        Ok("*") => Ok(IfMatch::Any),
        Ok(v) => parse_etag(v).map(IfMatch::Version).ok_or_else(|| {
            Problem::new("invalid-header", StatusCode::BAD_REQUEST, "Invalid header")
                .detail("If-Match must be an ETag of this API, e.g. \"v3\", or *")
        }),
        Err(_) => {
            Err(Problem::new("invalid-header", StatusCode::BAD_REQUEST, "Invalid header")
                .detail("If-Match must be ASCII"))
        }
    }
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
        assert_eq!(IfMatch::Version(4).check(4), Ok(4));
        assert_eq!(IfMatch::Any.check(4), Ok(4));
        assert_eq!(IfMatch::Version(3).check(4).map_err(|p| (p.status, p.current_version)), Err((412, Some(4))));
        assert_eq!(stale(4).current_version, Some(4));
    }

    #[test]
    fn if_match_takes_an_etag_or_a_star_and_is_required() {
        let req = |v: Option<&str>| {
            let r = crate::testing::TestRequest::new("PUT", "/x");
            match v {
                Some(v) => r.header("if-match", v).build(),
                None => r.build(),
            }
        };
        assert_eq!(if_match(&req(Some("\"v3\""))).unwrap(), IfMatch::Version(3));
        assert_eq!(if_match(&req(Some("*"))).unwrap().expected(9), 9);
        assert_eq!(IfMatch::Version(3).expected(9), 3);
        assert_eq!(if_match(&req(None)).unwrap_err().status, 428);
        assert_eq!(if_match(&req(Some("v3"))).unwrap_err().status, 400);
    }
}
