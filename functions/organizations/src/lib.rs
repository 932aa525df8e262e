//! `organizations`: the tenants.
//!
//! Master: `POST /organizations` (an organization with its first admin, all or nothing),
//! `GET /organizations`, `PUT /organizations/{id}` (suspend or reactivate). Everyone:
//! `GET /organization` (their own; master's choice with `X-Org-Id`). Admin: `PUT /organization`
//! (name and settings).

use std::sync::Arc;

use chrono::Utc;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use podcastflow_domain::organization::{OrgSettings, OrgStatus, Organization};
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::{OrgId, Principal, Role, Stamp, UserId};
use podcastflow_identity::provisioning::{PLATFORM_SLUG, ProvisionError, create_organization};
use podcastflow_identity::{Identity, IdentityError};
use podcastflow_platform::idempotency;
use podcastflow_platform::{
    AppContext, Failure, Outage, Outcome, PageBody, Problem, RoutePath, allow, created, if_match, json, json_body,
    json_with_etag, not_found, paging, principal, request_id, respond,
};
use podcastflow_store::Table;
use podcastflow_store::repo::organizations::OrganizationRepo;
use serde::{Deserialize, Serialize};

/// What the function needs, built once at init.
pub struct OrganizationsApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// The identity provider (for the first admin).
    pub identity: Arc<dyn Identity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewAdmin {
    email: String,
    name: String,
    #[serde(default)]
    temporary_password: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewOrganization {
    name: String,
    slug: String,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    settings: Option<OrgSettings>,
    admin: NewAdmin,
}

#[derive(Serialize)]
struct Created<'a> {
    organization: &'a Organization,
    admin: &'a User,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StatusChange {
    status: OrgStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsChange {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    settings: Option<OrgSettings>,
}

fn provision_failure(e: ProvisionError) -> Failure {
    match e {
        ProvisionError::Repo(r) => r.into(),
        ProvisionError::Identity(IdentityError::InvalidPassword(why)) => {
            let mut v = podcastflow_domain::ValidationErrors::new();
            v.add("admin.temporaryPassword", "weak_password", why);
            Problem::validation(v).into()
        }
        ProvisionError::Identity(IdentityError::UserExists) => {
            Problem::new("taken", StatusCode::CONFLICT, "Already taken").detail("this email is already in use").into()
        }
        ProvisionError::Identity(other) => Outage(other.to_string()).into(),
    }
}

impl OrganizationsApp {
    /// Organizations through `table`: a session of the organization concerned (its slug claim
    /// changes with its record, so those sessions may write slug claims), or the function's own
    /// credentials for master's list of every organization.
    fn repo<'a>(&'a self, table: &'a Arc<dyn Table>) -> OrganizationRepo<'a> {
        OrganizationRepo::new(table.as_ref(), &self.ctx.cursors)
    }

    async fn create(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::OrganizationCreate, &Resource::Platform)?;
        idempotency::once(self.ctx.org_table(&p.org_id).as_ref(), req, &p, || self.create_once(req, &p, rid)).await
    }

    async fn create_once(&self, req: &Request, p: &Principal, rid: &str) -> Outcome {
        let body: NewOrganization = json_body(req)?;
        let (now, org_id, admin_id) = (Utc::now(), OrgId::new(), UserId::new());
        let org = Organization {
            id: org_id,
            name: body.name.trim().to_owned(),
            slug: body.slug.trim().to_owned(),
            status: OrgStatus::Active,
            plan: body.plan.unwrap_or_else(|| "standard".into()),
            settings: body.settings.unwrap_or_default(),
            stamp: Stamp::created(p.user_id, now),
        };
        let admin = User {
            id: admin_id,
            org_id,
            email: body.admin.email.trim().to_owned(),
            name: body.admin.name.trim().to_owned(),
            role: Role::Admin,
            status: UserStatus::Invited,
            client_id: None,
            timezone: body.admin.timezone.unwrap_or_else(|| org.settings.timezone.clone()),
            avatar_url: None,
            stamp: Stamp::created(p.user_id, now),
        };
        let mut errors = podcastflow_domain::ValidationErrors::new();
        if let Err(e) = org.validate() {
            errors.extend(e);
        }
        if let Err(e) = admin.validate() {
            errors.extend_prefixed("admin.", e);
        }
        if org.slug == PLATFORM_SLUG {
            errors.add("slug", "reserved", "this slug is reserved");
        }
        if !errors.is_empty() {
            return Err(Problem::validation(errors).into());
        }
        let temp = body.admin.temporary_password.as_deref();
        create_organization(
            self.ctx.org_table(&org_id).as_ref(),
            &self.ctx.cursors,
            self.identity.as_ref(),
            &org,
            &admin,
            temp,
        )
        .await
        .map_err(provision_failure)?;
        Ok(created(&Created { organization: &org, admin: &admin }, None, &format!("/organizations/{org_id}"), rid))
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::OrganizationListAll, &Resource::Platform)?;
        let paging = paging(req)?;
        // The platform lookup of every organization, with this function's own credentials.
        let page = self.repo(&self.ctx.table).list(paging.cursor.as_deref(), paging.limit).await?;
        Ok(json(StatusCode::OK, &PageBody { items: page.items, next_cursor: page.cursor }, rid))
    }

    async fn set_status(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let id: OrgId = id.parse().map_err(|_| not_found())?;
        allow(&p, Action::OrganizationSuspend, &Resource::Org(id))?;
        let expected = if_match(req)?;
        let body: StatusChange = json_body(req)?;
        let org = self.repo(&self.ctx.org_table(&id)).get(&id).await?.ok_or_else(not_found)?;
        if org.slug == PLATFORM_SLUG && body.status == OrgStatus::Suspended {
            return Err(Problem::new("conflict", StatusCode::CONFLICT, "Conflict")
                .detail("the platform organization cannot be suspended")
                .into());
        }
        let mut next = org.clone();
        next.status = body.status;
        next.stamp = org.stamp.touched(p.user_id, Utc::now());
        // Stale versions are refused by the write itself: 412 with the current version.
        let expected = expected.check(org.stamp.version)?;
        next.stamp.version = expected + 1;
        self.repo(&self.ctx.org_table(&next.id)).update(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &next, next.stamp.version, rid))
    }

    async fn own(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::OrganizationRead, &Resource::Org(p.org_id))?;
        let org = self.repo(&self.ctx.org_table(&p.org_id)).get(&p.org_id).await?.ok_or_else(not_found)?;
        Ok(json_with_etag(StatusCode::OK, &org, org.stamp.version, rid))
    }

    async fn update_own(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::OrganizationUpdateSettings, &Resource::Org(p.org_id))?;
        let expected = if_match(req)?;
        let body: SettingsChange = json_body(req)?;
        let org = self.repo(&self.ctx.org_table(&p.org_id)).get(&p.org_id).await?.ok_or_else(not_found)?;
        let mut next = org.clone();
        if let Some(name) = body.name {
            next.name = name.trim().to_owned();
        }
        if let Some(settings) = body.settings {
            next.settings = settings;
        }
        next.validate().map_err(Problem::validation)?;
        next.stamp = org.stamp.touched(p.user_id, Utc::now());
        let expected = expected.check(org.stamp.version)?;
        next.stamp.version = expected + 1;
        self.repo(&self.ctx.org_table(&next.id)).update(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &next, next.stamp.version, rid))
    }
}

/// Handles one request.
pub async fn handle(app: &OrganizationsApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    let route = RoutePath::of(&req);
    let outcome = match (req.method(), route.segments().as_slice()) {
        (&Method::POST, ["organizations"]) => app.create(&req, &rid).await,
        (&Method::GET, ["organizations"]) => app.list(&req, &rid).await,
        (&Method::PUT, ["organizations", id]) => app.set_status(&req, id, &rid).await,
        (&Method::GET, ["organization"]) => app.own(&req, &rid).await,
        (&Method::PUT, ["organization"]) => app.update_own(&req, &rid).await,
        (m, _) => Err(route.not_found(m)),
    };
    respond(outcome, &rid)
}

podcastflow_wiring::http_function!(OrganizationsApp, handle, identity = identity());

#[cfg(test)]
mod tests;
