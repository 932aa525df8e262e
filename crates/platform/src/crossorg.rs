//! Master's requests inside another organization (`X-Org-Id`), recorded in that organization's
//! activity log: one entry per request, naming the route and the answer, so an organization's
//! admins see every time the platform operator looked at or changed their data.

use std::sync::Arc;

use chrono::Utc;
use lambda_http::Request;
use podcastflow_domain::activity::{Activity, FieldChange};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::{ActivityId, Principal, Role};
use podcastflow_store::repo::activities::ActivityRepo;
use podcastflow_store::{CursorCodec, TenantTable};
use serde_json::Value;

use crate::tenancy::TenantTables;

/// The action of a cross-organization access entry.
pub const ACTION: &str = "master.accessed";

/// A request master made inside another organization than their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossOrgRequest {
    /// Master.
    pub principal: Principal,
    /// `METHOD /resource/{template}`.
    pub route: String,
    /// The request's id.
    pub request_id: String,
}

impl CrossOrgRequest {
    /// The request, when `principal` is master acting outside their home organization.
    pub fn of(req: &Request, principal: Option<&Principal>, route: &str, request_id: &str) -> Option<Self> {
        let p = principal.filter(|p| p.role == Role::Master)?;
        let home = crate::principal::home_org(req)?;
        (home != p.org_id).then(|| Self {
            principal: p.clone(),
            route: route.to_owned(),
            request_id: request_id.to_owned(),
        })
    }

    /// The activity entry recording it, with the status it was answered.
    pub fn activity(&self, status: u16) -> Activity {
        let at = Utc::now();
        let field = |v: Value| FieldChange { from: None, to: Some(v) };
        let changes =
            [("route".to_owned(), field(Value::from(self.route.clone()))), ("status".to_owned(), field(status.into()))];
        Activity {
            id: ActivityId::new(),
            org_id: self.principal.org_id,
            actor_id: Some(self.principal.user_id),
            action: ACTION.to_owned(),
            entity: EntityRef { kind: EntityKind::Organization, id: self.principal.org_id.to_string() },
            changes: changes.into_iter().collect(),
            request_id: Some(self.request_id.clone()),
            at,
            expires_at: Activity::expiry(at),
        }
    }
}

/// Writes cross-organization access entries into the organization's own log, through its
/// tenant session.
#[derive(Clone)]
pub struct AccessLog {
    tenants: Arc<dyn TenantTables>,
}

impl AccessLog {
    /// A log writing through `tenants`.
    pub fn new(tenants: Arc<dyn TenantTables>) -> Self {
        Self { tenants }
    }

    /// Records `access`, answered `status`. The request has already been answered, so a failure
    /// is logged, not returned.
    pub async fn record(&self, access: &CrossOrgRequest, status: u16) {
        let org = access.principal.org_id;
        let t = TenantTable::new(self.tenants.for_org(&org), org, CursorCodec::new(Vec::new()));
        if let Err(e) = ActivityRepo::new(&t).record(&access.activity(status)).await {
            tracing::error!(error = %e, orgId = %org, route = %access.route, "master's access not recorded");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use podcastflow_domain::OrgId;

    use super::*;
    use crate::testing::TestRequest;

    #[test]
    fn only_master_outside_home_is_cross_organization() {
        let (home, other) = (OrgId::new(), OrgId::new());
        let master = json!({"userId": podcastflow_domain::UserId::new().to_string(), "orgId": home.to_string(), "role": "master"});
        let req = TestRequest::new("GET", "/campaigns")
            .authorizer(master.clone())
            .header("x-org-id", &other.to_string())
            .build();
        let p = crate::principal(&req).unwrap();
        let access = CrossOrgRequest::of(&req, Some(&p), "GET /campaigns", "rid").unwrap();
        let a = access.activity(200);
        assert_eq!((a.org_id, a.action.as_str(), a.entity.kind), (other, ACTION, EntityKind::Organization));
        assert_eq!(a.changes["route"].to, Some(json!("GET /campaigns")));
        assert_eq!(a.changes["status"].to, Some(json!(200)));
        let at_home = TestRequest::new("GET", "/campaigns").authorizer(master).build();
        let p = crate::principal(&at_home).unwrap();
        assert!(CrossOrgRequest::of(&at_home, Some(&p), "GET /campaigns", "rid").is_none());
        let admin = json!({"userId": podcastflow_domain::UserId::new().to_string(), "orgId": home.to_string(), "role": "admin"});
        let req =
            TestRequest::new("GET", "/campaigns").authorizer(admin).header("x-org-id", &other.to_string()).build();
        let p = crate::principal(&req).unwrap();
        assert!(CrossOrgRequest::of(&req, Some(&p), "GET /campaigns", "rid").is_none());
    }
}
