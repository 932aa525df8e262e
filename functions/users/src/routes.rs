//! The user routes of `users`.

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::permissions::{Action, Resource, View, authorize};
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::visibility::{EntityKind, Lens};
use podcastflow_domain::{ClientId, Principal, Role, Stamp, UserId};
use podcastflow_identity::IdentityError;
use podcastflow_identity::provisioning::{ProvisionError, create_user};
use podcastflow_platform::{
    Failure, Outage, Outcome, PageBody, Problem, RoutePath, allow, created, if_match, json, json_body, json_with_etag,
    no_content, not_found, paging, principal, query_as, query_parsed, request_id,
};
use podcastflow_platform::{idempotency, preferences};
use std::sync::Arc;

use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::users::UserRepo;
use podcastflow_store::{Table, TenantTable};
use serde::Deserialize;
use serde_json::Value;

use crate::UsersApp;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Invite {
    email: String,
    name: String,
    role: Role,
    #[serde(default)]
    client_id: Option<ClientId>,
    #[serde(default)]
    temporary_password: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Change {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    /// `null` removes the client (with a role change away from client).
    #[serde(default, with = "double_option")]
    client_id: Option<Option<ClientId>>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    status: Option<UserStatus>,
    /// `null` removes the picture.
    #[serde(default, with = "double_option")]
    avatar_url: Option<Option<String>>,
}

impl Change {
    /// Whether the change touches only what everyone edits of their own profile (name, time zone,
    /// picture): an unchanged role, status or client named in the body changes nothing.
    fn is_profile_only(&self, u: &User) -> bool {
        self.role.is_none_or(|r| r == u.role)
            && self.status.is_none_or(|s| s == u.status)
            && self.client_id.is_none_or(|c| c == u.client_id)
    }
}

/// Tells an absent field from an explicit `null`.
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A user as a reader the policy allowed with `view` sees them (colleagues: names and roles).
fn view_of(u: &User, view: View) -> Value {
    Lens::of(view).render(EntityKind::User, u)
}

fn identity_outage(e: IdentityError) -> Failure {
    match e {
        // The identity is already gone or never existed: nothing to revoke.
        IdentityError::UserNotFound => Failure::Client(not_found()),
        other => Failure::Outage(Outage(other.to_string())),
    }
}

impl UsersApp {
    /// Users through `table`: an organization's session ([`AppContext::org_table`]), since a
    /// user's records and identity claims change together.
    pub(crate) fn users<'a>(&'a self, table: &'a Arc<dyn Table>) -> UserRepo<'a> {
        UserRepo::new(table.as_ref(), &self.ctx.cursors)
    }

    /// A user of the principal's organization, or 404.
    async fn user_in_org(&self, p: &Principal, id: &str) -> Result<User, Failure> {
        let id: UserId = id.parse().map_err(|_| not_found())?;
        Ok(self.users(&self.ctx.org_table(&p.org_id)).get(&p.org_id, &id).await?.ok_or_else(not_found)?)
    }

    /// A client user's client must be a client of the organization.
    async fn check_client(&self, p: &Principal, role: Role, client: Option<ClientId>) -> Result<(), Failure> {
        match (role, client) {
            (Role::Client, Some(c)) => {
                let tenant =
                    TenantTable::new(self.ctx.tenants.for_org(&p.org_id), p.org_id, (*self.ctx.cursors).clone());
                match ClientRepo::new(&tenant).get(&c).await? {
                    Some(_) => Ok(()),
                    None => Err(Problem::field("clientId", "unknown", "no such client in this organization").into()),
                }
            }
            (Role::Client, None) => Err(Problem::field("clientId", "required", "required for role client").into()),
            (_, Some(_)) => {
                Err(Problem::field("clientId", "not_allowed", "only users with role client belong to a client").into())
            }
            _ => Ok(()),
        }
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::UserList, &Resource::Org(p.org_id))?;
        let paging = paging(req)?;
        let role = query_parsed::<Role>(req, "role", "one of the six roles")?;
        let status = query_as::<UserStatus>(req, "status", "invited, active or disabled")?;
        let page = self
            .users(&self.ctx.org_table(&p.org_id))
            .list(&p.org_id, role, paging.cursor.as_deref(), paging.limit)
            .await?;
        // The status filter applies within the page: a page may hold fewer items; follow the cursor.
        // Each user as their GET shows them to this reader (oneself whole, colleagues by role).
        let items = page
            .items
            .iter()
            .filter(|u| status.is_none_or(|s| u.status == s))
            .filter_map(|u| {
                let resource = Resource::User { org: u.org_id, id: u.id, role: u.role };
                authorize(&p, Action::UserRead, &resource).ok().map(|view| view_of(u, view))
            })
            .collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid))
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let u = self.user_in_org(&p, id).await?;
        let view = allow(&p, Action::UserRead, &Resource::User { org: u.org_id, id: u.id, role: u.role })?;
        Ok(json_with_etag(StatusCode::OK, &view_of(&u, view), u.stamp.version, rid))
    }

    async fn invite(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        idempotency::once(self.ctx.org_table(&p.org_id).as_ref(), req, &p, || self.invite_once(req, &p, rid)).await
    }

    async fn invite_once(&self, req: &Request, p: &Principal, rid: &str) -> Outcome {
        let p = p.clone();
        let body: Invite = json_body(req)?;
        allow(&p, Action::UserInvite, &Resource::Invite { org: p.org_id, role: body.role })?;
        let now = Utc::now();
        let user = User {
            id: UserId::new(),
            org_id: p.org_id,
            email: body.email.trim().to_owned(),
            name: body.name.trim().to_owned(),
            role: body.role,
            status: UserStatus::Invited,
            client_id: body.client_id,
            timezone: body.timezone.unwrap_or_else(|| "UTC".into()),
            avatar_url: None,
            stamp: Stamp::created(p.user_id, now),
        };
        user.validate().map_err(Problem::validation)?;
        self.check_client(&p, user.role, user.client_id).await?;
        let temp = body.temporary_password.as_deref();
        create_user(self.ctx.org_table(&p.org_id).as_ref(), &self.ctx.cursors, self.identity.as_ref(), &user, temp)
            .await
            .map_err(|e| match e {
                ProvisionError::Repo(r) => Failure::from(r),
                ProvisionError::Identity(IdentityError::InvalidPassword(why)) => {
                    Problem::field("temporaryPassword", "weak_password", &why).into()
                }
                ProvisionError::Identity(IdentityError::UserExists) => {
                    Problem::new("taken", StatusCode::CONFLICT, "Already taken")
                        .detail("this email is already in use")
                        .into()
                }
                ProvisionError::Identity(other) => Outage(other.to_string()).into(),
            })?;
        Ok(created(&user, Some(user.stamp.version), &format!("/users/{}", user.id), rid))
    }

    async fn update(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let u = self.user_in_org(&p, id).await?;
        let body: Change = json_body(req)?;
        let changes_role = body.role.is_some_and(|r| r != u.role);
        let changes_status = body.status.is_some_and(|s| s != u.status);
        // Everyone edits their own profile; anything more is managing a user, and nobody changes
        // their own role or status (the policy's rows for both say so).
        let view = if u.id == p.user_id && body.is_profile_only(&u) {
            allow(&p, Action::ProfileUpdate, &Resource::OwnedBy(u.id))?
        } else {
            allow(&p, Action::UserUpdate, &Resource::User { org: u.org_id, id: u.id, role: u.role })?
        };
        let mut next = u.clone();
        if let Some(to) = body.role.filter(|_| changes_role) {
            allow(&p, Action::UserChangeRole, &Resource::RoleChange { org: u.org_id, id: u.id, from: u.role, to })?;
            next.role = to;
        }
        if let Some(status) = body.status.filter(|_| changes_status) {
            allow(&p, Action::UserDisable, &Resource::User { org: u.org_id, id: u.id, role: u.role })?;
            if status == UserStatus::Invited {
                return Err(Problem::field("status", "invalid", "a user can be made active or disabled").into());
            }
            next.status = status;
        }
        if let Some(name) = body.name {
            next.name = name.trim().to_owned();
        }
        if let Some(c) = body.client_id {
            next.client_id = c;
        }
        if let Some(tz) = body.timezone {
            next.timezone = tz;
        }
        if let Some(url) = body.avatar_url {
            next.avatar_url = url.map(|u| u.trim().to_owned());
        }
        let expected = if_match(req)?;
        next.validate().map_err(Problem::validation)?;
        if next.client_id != u.client_id || next.role != u.role {
            self.check_client(&p, next.role, next.client_id).await?;
        }
        next.stamp = u.stamp.touched(p.user_id, Utc::now());
        let expected = expected.check(u.stamp.version)?;
        next.stamp.version = expected + 1;
        let revoke = changes_role || next.status == UserStatus::Disabled && changes_status;
        self.users(&self.ctx.org_table(&next.org_id)).update(&next, expected, revoke.then(Utc::now)).await?;
        self.sync_identity(&u, &next).await?;
        Ok(json_with_etag(StatusCode::OK, &view_of(&next, view), next.stamp.version, rid))
    }

    /// Mirrors a status or role change to the identity provider.
    async fn sync_identity(&self, before: &User, after: &User) -> Result<(), Failure> {
        let name = after.id.to_string();
        if before.status != after.status {
            match after.status {
                UserStatus::Disabled => self.identity.admin_disable_user(&name).await.map_err(identity_outage)?,
                _ => self.identity.admin_enable_user(&name).await.map_err(identity_outage)?,
            }
        } else if before.role != after.role {
            self.identity.admin_sign_out(&name).await.map_err(identity_outage)?;
        }
        Ok(())
    }

    async fn disable(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let u = self.user_in_org(&p, id).await?;
        allow(&p, Action::UserDisable, &Resource::User { org: u.org_id, id: u.id, role: u.role })?;
        if u.status != UserStatus::Disabled {
            let mut next = u.clone();
            next.status = UserStatus::Disabled;
            next.stamp = u.stamp.touched(p.user_id, Utc::now());
            self.users(&self.ctx.org_table(&next.org_id)).update(&next, u.stamp.version, Some(Utc::now())).await?;
            self.sync_identity(&u, &next).await?;
        }
        Ok(no_content(rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &UsersApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["users"]) => app.list(req, &rid).await,
        (&Method::POST, ["users"]) => app.invite(req, &rid).await,
        (&Method::GET, ["users", "me", "preferences"]) => preferences::read(&app.ctx, req, &rid).await,
        (&Method::PUT, ["users", "me", "preferences"]) => preferences::replace(&app.ctx, req, &rid).await,
        (&Method::GET, ["users", id]) => app.get(req, id, &rid).await,
        (&Method::PUT, ["users", id]) => app.update(req, id, &rid).await,
        (&Method::DELETE, ["users", id]) => app.disable(req, id, &rid).await,
        (&Method::POST, ["api-keys"]) => app.create_key(req, &rid).await,
        (&Method::GET, ["api-keys"]) => app.list_keys(req, &rid).await,
        (&Method::DELETE, ["api-keys", id]) => app.revoke_key(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
