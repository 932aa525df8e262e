//! `POST /campaigns/{id}/team`, `PUT` and `DELETE /campaigns/{id}/team/{userId}`: who works on a
//! campaign and what they may do on it. The owner is set when the campaign is created and stays.

use std::collections::BTreeSet;

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::campaign::team::{TeamChangeRefusal, TeamMember, TeamPermission, TeamRole, check_team_change};
use podcastflow_domain::permissions::Action;
use podcastflow_domain::user::UserStatus;
use podcastflow_domain::{Principal, Role, UserId, ValidationErrors};
use podcastflow_platform::{
    Failure, Outcome, Problem, created, idempotency, if_match, json_body, json_with_etag, merge, no_content, not_found,
    principal,
};
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::users::UserRepo;
use serde::Deserialize;
use serde_json::Value;

use crate::CampaignsApp;

/// The fields a PUT of a member may change.
const CHANGEABLE: [&str; 2] = ["role", "permissions"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewMember {
    user_id: UserId,
    role: TeamRole,
    #[serde(default)]
    permissions: BTreeSet<TeamPermission>,
}

fn owner_fixed() -> Failure {
    Problem::new("team-owner-fixed", StatusCode::CONFLICT, "The owner stays")
        .detail("the campaign's owner is set when it is created and keeps every permission")
        .into()
}

/// 403 unless `p` may make this change to the team (domain rule: never one's own entry, never
/// a permission one does not hold).
fn team_change(
    p: &Principal,
    team: &[TeamMember],
    target: UserId,
    granted: &BTreeSet<TeamPermission>,
) -> Result<(), Failure> {
    check_team_change(p, team, target, granted).map_err(|e| {
        let detail = match &e {
            TeamChangeRefusal::OwnEntry => e.to_string(),
            TeamChangeRefusal::BeyondOwnPermissions(beyond) => format!("{e}; you do not hold {beyond:?}"),
        };
        Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden").detail(detail).into()
    })
}

/// The member of `id` named by `user` on a loaded team, or 404.
fn member_of<'a>(team: &'a [TeamMember], user: &str) -> Result<&'a TeamMember, Failure> {
    let user: UserId = user.parse().map_err(|_| not_found())?;
    team.iter().find(|m| m.user_id == user).ok_or_else(|| not_found().into())
}

impl CampaignsApp {
    /// Field errors when a user cannot play `role` on the campaign: the user must be active in the
    /// organization with a matching role; client contacts must belong to the campaign's client and
    /// may only view.
    async fn check_member(
        &self,
        c: &Campaign,
        user: &UserId,
        role: TeamRole,
        permissions: &BTreeSet<TeamPermission>,
    ) -> Result<(), Failure> {
        let mut v = ValidationErrors::new();
        if role == TeamRole::Owner {
            v.add("role", "owner_fixed", "the owner is set when the campaign is created");
        }
        let table = self.ctx.org_table(&c.org_id);
        let users = UserRepo::new(table.as_ref(), &self.ctx.cursors);
        match users.get(&c.org_id, user).await? {
            Some(u) if u.status != UserStatus::Disabled => {
                let fits = match role {
                    TeamRole::Owner => true,
                    TeamRole::Seller => matches!(u.role, Role::Seller | Role::Admin),
                    TeamRole::Producer => u.role == Role::Producer,
                    TeamRole::Talent => u.role == Role::Talent,
                    TeamRole::ClientContact => {
                        u.role == Role::Client && u.client_id.is_some() && u.client_id == c.client_id
                    }
                };
                if !fits {
                    v.add("role", "role_mismatch", format!("a {} user cannot be a {role:?} on this campaign", u.role));
                }
            }
            _ => v.add("userId", "unknown", "no active user with this id in this organization"),
        }
        if role == TeamRole::ClientContact && permissions.iter().any(|p| *p != TeamPermission::View) {
            v.add("permissions", "client_view_only", "a client contact can only view");
        }
        v.into_result().map_err(|e| Problem::validation(e).into())
    }

    pub(crate) async fn add_member(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        idempotency::once(self.ctx.org_table(&p.org_id).as_ref(), req, &p, || self.add_member_once(req, id, &p, rid))
            .await
    }

    async fn add_member_once(&self, req: &Request, id: &str, p: &Principal, rid: &str) -> Outcome {
        let t = self.ctx.tenant(p, req);
        let l = self.authorized(p, &t, id, Action::CampaignManageTeam).await?;
        let body: NewMember = json_body(req)?;
        let mut permissions = body.permissions;
        if permissions.is_empty() {
            permissions.insert(TeamPermission::View);
        }
        team_change(p, l.team(), body.user_id, &permissions)?;
        if l.team().iter().any(|m| m.user_id == body.user_id) {
            return Err(Problem::new("team-member-exists", StatusCode::CONFLICT, "Already on the team")
                .detail("change the member with PUT instead")
                .into());
        }
        if l.team().len() >= TeamMember::MAX_MEMBERS {
            return Err(Problem::new("team-full", StatusCode::CONFLICT, "Team full")
                .detail(format!("a campaign team has at most {} members", TeamMember::MAX_MEMBERS))
                .into());
        }
        self.check_member(&l.campaign, &body.user_id, body.role, &permissions).await?;
        let m = new_member(p, &l.campaign, body.user_id, body.role, permissions);
        CampaignRepo::new(&t).add_member(&l.campaign, &m).await?;
        Ok(created(&m, Some(m.version), &format!("/campaigns/{}/team/{}", m.campaign_id, m.user_id), rid))
    }

    pub(crate) async fn update_member(&self, req: &Request, id: &str, user: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let l = self.authorized(&p, &t, id, Action::CampaignManageTeam).await?;
        let m = member_of(l.team(), user)?;
        let expected = if_match(req)?.check(m.version)?;
        let patch: Value = json_body(req)?;
        if m.role == TeamRole::Owner {
            return Err(owner_fixed());
        }
        let mut next: TeamMember = merge(m, patch, &CHANGEABLE)?;
        team_change(&p, l.team(), m.user_id, &next.permissions)?;
        self.check_member(&l.campaign, &next.user_id, next.role, &next.permissions).await?;
        next.version = expected + 1;
        next.updated_by = Some(p.user_id);
        next.updated_at = Some(Utc::now());
        CampaignRepo::new(&t).update_member(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &next, next.version, rid))
    }

    pub(crate) async fn remove_member(&self, req: &Request, id: &str, user: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let l = self.authorized(&p, &t, id, Action::CampaignManageTeam).await?;
        let m = member_of(l.team(), user)?;
        let expected = if_match(req)?.check(m.version)?;
        if m.role == TeamRole::Owner {
            return Err(owner_fixed());
        }
        team_change(&p, l.team(), m.user_id, &BTreeSet::new())?;
        CampaignRepo::new(&t).remove_member(&l.campaign, &m.user_id, expected).await?;
        Ok(no_content(rid))
    }
}

fn new_member(
    p: &Principal,
    c: &Campaign,
    user: UserId,
    role: TeamRole,
    permissions: BTreeSet<TeamPermission>,
) -> TeamMember {
    TeamMember {
        campaign_id: c.id,
        org_id: c.org_id,
        user_id: user,
        role,
        permissions,
        added_at: Utc::now(),
        added_by: p.user_id,
        updated_by: None,
        updated_at: None,
        version: 1,
    }
}
