//! The verified principal of a request, read only from the authorizer's context (REST v1 and
//! WebSocket shapes alike). The tenant never comes from the path, query or body; the one
//! exception is master's explicit `X-Org-Id`, honoured for master alone.

use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use podcastflow_domain::{OrgId, Principal, PrincipalKind, Role};
use serde_json::Value;

use crate::Problem;

/// Header with which master chooses the organization to act in.
pub const ORG_HEADER: &str = "x-org-id";

fn unauthenticated(detail: &str) -> Problem {
    Problem::new("unauthenticated", StatusCode::UNAUTHORIZED, "Not signed in").detail(detail)
}

/// The authorizer's context of a request (REST v1 and WebSocket shapes alike).
fn authorizer_fields(req: &Request) -> Option<&std::collections::HashMap<String, Value>> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(c)) => Some(&c.authorizer.fields),
        Some(RequestContext::WebSocket(c)) => Some(&c.authorizer.fields),
        _ => None,
    }
}

/// The organization the verified credential belongs to, before master's `X-Org-Id` choice.
pub fn home_org(req: &Request) -> Option<OrgId> {
    authorizer_fields(req)?.get("orgId")?.as_str()?.parse().ok()
}

/// The rate limit of the principal's organization (its `settings.rateLimits`), as the authorizer
/// read it: `(burst, per second)`; `None` without one (public routes, older authorizer answers).
pub fn org_rate_limit(req: &Request) -> Option<(u32, u32)> {
    let fields = authorizer_fields(req)?;
    // API Gateway hands context values to the function as strings; tests pass numbers.
    let number = |name: &str| match fields.get(name)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    Some((number("orgBurst")?, number("orgRequestsPerSecond")?))
}

/// The calendar date of the organization `p` acts in at `at` (its `settings.timezone`, as the
/// authorizer read it): what "today" means for the request. UTC when the context has no zone, or
/// for master acting in another organization than their own (whose zone the authorizer did not read).
pub fn org_today(req: &Request, p: &Principal, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    at.with_timezone(&org_zone(req, p)).date_naive()
}

/// The time zone of the organization `p` acts in (its `settings.timezone`, as the authorizer read
/// it; UTC as for [`org_today`]): where its deadlines fall.
pub fn org_zone(req: &Request, p: &Principal) -> podcastflow_domain::ad_read::deadlines::Tz {
    let tz = authorizer_fields(req)
        .filter(|_| home_org(req) == Some(p.org_id))
        .and_then(|f| f.get("orgTimezone")?.as_str())
        .unwrap_or("UTC");
    podcastflow_domain::organization::zone_of(tz)
}

/// The principal the authorizer verified for this request.
pub fn principal(req: &Request) -> Result<Principal, Problem> {
    let fields = authorizer_fields(req).ok_or_else(|| unauthenticated("the request carries no authorizer context"))?;
    let text = |name: &str| fields.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    let parse = |name: &str| text(name).ok_or_else(|| unauthenticated(&format!("the authorizer context lacks {name}")));
    let bad = |name: &str| unauthenticated(&format!("the authorizer context has an invalid {name}"));
    let user_id = parse("userId")?.parse().map_err(|_| bad("userId"))?;
    let role: Role = parse("role")?.parse().map_err(|_| bad("role"))?;
    let mut org_id = parse("orgId")?.parse().map_err(|_| bad("orgId"))?;
    let client_id = match text("clientId") {
        Some(c) => Some(c.parse().map_err(|_| bad("clientId"))?),
        None => None,
    };
    let kind = match text("principalType") {
        Some("apiKey") => PrincipalKind::ApiKey,
        Some("system") => PrincipalKind::System,
        _ => PrincipalKind::User,
    };
    if let Some(h) = req.headers().get(ORG_HEADER).filter(|_| role == Role::Master) {
        org_id = h.to_str().ok().and_then(|s| s.parse().ok()).ok_or_else(|| {
            Problem::new("invalid-header", StatusCode::BAD_REQUEST, "Invalid header")
                .detail(format!("{ORG_HEADER} must be an organization id"))
        })?;
    }
    Ok(Principal { user_id, org_id, role, client_id, kind })
}

#[cfg(test)]
mod tests {
    use super::*;
    use podcastflow_domain::{OrgId, UserId};
    use serde_json::json;

    fn request(authorizer: Value, headers: Value) -> Request {
        let mut r = crate::testing::TestRequest::new("GET", "/x").authorizer(authorizer);
        for (k, v) in headers.as_object().into_iter().flatten() {
            r = r.header(k, v.as_str().unwrap_or_default());
        }
        r.build()
    }

    #[test]
    fn today_is_the_home_organization_s_date() {
        let (u, o) = (UserId::new(), OrgId::new());
        let context = json!({"userId": u.to_string(), "orgId": o.to_string(), "role": "master",
            "orgTimezone": "America/Los_Angeles"});
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T03:00:00Z").unwrap().to_utc();
        let home = request(context.clone(), json!({}));
        let p = principal(&home).unwrap();
        assert_eq!(org_today(&home, &p, at).to_string(), "2026-12-01");
        let elsewhere = request(context, json!({ORG_HEADER: OrgId::new().to_string()}));
        let p = principal(&elsewhere).unwrap();
        assert_eq!(org_today(&elsewhere, &p, at).to_string(), "2026-12-02", "another organization: UTC");
        let bare = request(json!({"userId": u.to_string(), "orgId": o.to_string(), "role": "admin"}), json!({}));
        assert_eq!(org_today(&bare, &principal(&bare).unwrap(), at).to_string(), "2026-12-02");
    }

    #[test]
    fn the_principal_comes_from_the_authorizer_context() {
        let (u, o) = (UserId::new(), OrgId::new());
        let p = principal(&request(
            json!({"principalId": u.to_string(), "userId": u.to_string(), "orgId": o.to_string(), "role": "seller"}),
            json!({}),
        ))
        .unwrap();
        assert_eq!((p.user_id, p.org_id, p.role, p.client_id, p.kind), (u, o, Role::Seller, None, PrincipalKind::User));
    }

    #[test]
    fn only_master_chooses_the_organization() {
        let (u, own, other) = (UserId::new(), OrgId::new(), OrgId::new());
        let ctx = |role: &str| json!({"userId": u.to_string(), "orgId": own.to_string(), "role": role});
        let header = json!({"x-org-id": other.to_string()});
        assert_eq!(principal(&request(ctx("master"), header.clone())).unwrap().org_id, other);
        // An admin naming another organization stays in their own.
        assert_eq!(principal(&request(ctx("admin"), header)).unwrap().org_id, own);
        assert_eq!(principal(&request(ctx("master"), json!({"x-org-id": "nope"}))).unwrap_err().status, 400);
    }

    #[test]
    fn missing_or_malformed_context_is_401() {
        let u = UserId::new().to_string();
        for ctx in [
            json!({}),
            json!({"userId": u, "role": "admin"}),
            json!({"userId": "x", "orgId": OrgId::new().to_string(), "role": "admin"}),
            json!({"userId": u, "orgId": OrgId::new().to_string(), "role": "emperor"}),
        ] {
            assert_eq!(principal(&request(ctx.clone(), json!({}))).unwrap_err().status, 401, "{ctx}");
        }
    }
}
