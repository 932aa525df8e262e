//! The routes of `campaigns`: dispatch, and the campaign record's create, read, update and delete.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Utc};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::campaign::team::{TeamMember, TeamPermission, TeamRole};
use podcastflow_domain::campaign::view::render;
use podcastflow_domain::campaign::{Campaign, CampaignStatus, Goals, Targeting};
use podcastflow_domain::client::{ClientStatus, ClientType};
use podcastflow_domain::inventory::avails::RateOverride;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::show::ShowStatus;
use podcastflow_domain::user::UserStatus;
use podcastflow_domain::visibility::{EntityKind, Lens, Part};
use podcastflow_domain::{CampaignId, ClientId, Money, Principal, Role, Stamp, UserId, ValidationErrors};
use podcastflow_platform::{
    Failure, Outcome, Problem, RoutePath, allow, created, idempotency, if_match, json_body, json_with_etag, merge,
    no_content, principal, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::users::UserRepo;
use serde::Deserialize;
use serde_json::Value;

use crate::CampaignsApp;

/// The fields a PUT may change (the status moves only through transitions; the owner is fixed).
const CHANGEABLE: [&str; 10] = [
    "name",
    "clientId",
    "agencyId",
    "startDate",
    "endDate",
    "budget",
    "goals",
    "targeting",
    "internalNotes",
    "rateOverrides",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewCampaign {
    name: String,
    #[serde(default)]
    client_id: Option<ClientId>,
    #[serde(default)]
    agency_id: Option<ClientId>,
    #[serde(default)]
    owner_id: Option<UserId>,
    #[serde(default)]
    start_date: Option<NaiveDate>,
    #[serde(default)]
    end_date: Option<NaiveDate>,
    #[serde(default)]
    budget: Option<Money>,
    #[serde(default)]
    goals: Goals,
    #[serde(default)]
    targeting: Targeting,
    #[serde(default)]
    internal_notes: Option<String>,
    #[serde(default)]
    rate_overrides: Vec<RateOverride>,
}

/// 409 for writes to a campaign whose sale is over.
fn closed(status: CampaignStatus) -> Failure {
    Problem::new("campaign-closed", StatusCode::CONFLICT, "Campaign closed")
        .detail(format!("a {status} campaign can no longer be changed"))
        .into()
}

/// Whether a campaign in this status can no longer be edited.
pub(crate) fn is_closed(status: CampaignStatus) -> bool {
    matches!(status, CampaignStatus::Completed | CampaignStatus::Lost | CampaignStatus::Cancelled)
}

/// The answer carrying a campaign as its reader sees it, with its ETag.
pub(crate) fn campaign_response(
    c: &Campaign,
    view: Lens,
    team: Option<&[TeamMember]>,
    status: StatusCode,
    rid: &str,
) -> lambda_http::Response<lambda_http::Body> {
    json_with_etag(status, &render(c, view, team), c.stamp.version, rid)
}

impl CampaignsApp {
    /// Field errors for links to other entities: an active advertiser client, an agency client, an
    /// active seller or admin as owner, existing shows.
    async fn check_links(&self, t: &TenantTable, before: Option<&Campaign>, c: &Campaign) -> Result<(), Failure> {
        let mut v = ValidationErrors::new();
        let clients = ClientRepo::new(t);
        if let Some(id) = c.client_id.filter(|id| before.is_none_or(|b| b.client_id != Some(*id))) {
            match clients.get(&id).await? {
                Some(cl) if cl.kind == ClientType::Advertiser && cl.status == ClientStatus::Active => {}
                _ => v.add("clientId", "unknown", "no active advertiser with this id in this organization"),
            }
        }
        if let Some(id) = c.agency_id.filter(|id| before.is_none_or(|b| b.agency_id != Some(*id))) {
            match clients.get(&id).await? {
                Some(a) if a.kind == ClientType::Agency && a.status == ClientStatus::Active => {}
                _ => v.add("agencyId", "unknown", "no active agency with this id in this organization"),
            }
        }
        // Whoever creates a campaign may own it; anyone else named as owner must be able to sell.
        if before.is_none() && c.owner_id != c.stamp.created_by {
            let table = self.ctx.org_table(&c.org_id);
            let users = UserRepo::new(table.as_ref(), &self.ctx.cursors);
            match users.get(&c.org_id, &c.owner_id).await? {
                Some(u) if matches!(u.role, Role::Seller | Role::Admin) && u.status != UserStatus::Disabled => {}
                _ => v.add("ownerId", "unknown", "not an active seller or admin of this organization"),
            }
        }
        let shows = &c.targeting.show_ids;
        if before.is_none_or(|b| &b.targeting.show_ids != shows) && !shows.is_empty() {
            let found: BTreeSet<_> = ShowRepo::new(t)
                .get_many(shows)
                .await?
                .into_iter()
                .filter(|s| s.status == ShowStatus::Active)
                .map(|s| s.id)
                .collect();
            for (i, s) in shows.iter().enumerate() {
                if !found.contains(s) {
                    v.add(
                        format!("targeting.showIds[{i}]"),
                        "unknown",
                        "no active show with this id in this organization",
                    );
                }
            }
        }
        v.into_result().map_err(|e| Problem::validation(e).into())
    }

    /// Whether the principal may have a campaign for `client`: the rule of creating one, which
    /// also holds for moving a campaign to another client (sellers: a client assigned to them).
    async fn may_sell_to(&self, p: &Principal, t: &TenantTable, client: Option<ClientId>) -> Result<(), Failure> {
        let client_sellers = match client {
            Some(id) => ClientRepo::new(t).get(&id).await?.map(|c| c.assigned_seller_ids).unwrap_or_default(),
            None => Vec::new(),
        };
        allow(p, Action::CampaignCreate, &Resource::NewCampaign { org: p.org_id, client_sellers: &client_sellers })?;
        Ok(())
    }

    async fn create(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        idempotency::once(self.ctx.org_table(&p.org_id).as_ref(), req, &p, || self.create_once(req, &p, rid)).await
    }

    async fn create_once(&self, req: &Request, p: &Principal, rid: &str) -> Outcome {
        let body: NewCampaign = json_body(req)?;
        let t = self.ctx.tenant(p, req);
        self.may_sell_to(p, &t, body.client_id).await?;
        let owner = match body.owner_id {
            Some(o) if p.role == Role::Seller && o != p.user_id => {
                return Err(Problem::field("ownerId", "not_self", "a seller owns the campaigns they create").into());
            }
            Some(o) => o,
            None => p.user_id,
        };
        let now = Utc::now();
        let status = CampaignStatus::Draft;
        let c = Campaign {
            id: CampaignId::new(),
            org_id: p.org_id,
            name: body.name.trim().to_owned(),
            client_id: body.client_id,
            agency_id: body.agency_id,
            owner_id: owner,
            start_date: body.start_date,
            end_date: body.end_date,
            budget: body.budget,
            goals: body.goals,
            targeting: body.targeting,
            internal_notes: body.internal_notes,
            rate_overrides: body.rate_overrides,
            status,
            probability: status.probability(),
            archived: false,
            stamp: Stamp::created(p.user_id, now),
        };
        c.validate().map_err(Problem::validation)?;
        self.check_links(&t, None, &c).await?;
        let member = TeamMember {
            campaign_id: c.id,
            org_id: c.org_id,
            user_id: owner,
            role: TeamRole::Owner,
            permissions: TeamPermission::ALL.into_iter().collect(),
            added_at: now,
            added_by: p.user_id,
            updated_by: None,
            updated_at: None,
            version: 1,
        };
        CampaignRepo::new(&t).create(&c, &member).await?;
        let body = render(&c, Lens::Full, Some(std::slice::from_ref(&member)));
        Ok(created(&body, Some(c.stamp.version), &format!("/campaigns/{}", c.id), rid))
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let l = self.authorized(&p, &self.ctx.tenant(&p, req), id, Action::CampaignRead).await?;
        Ok(campaign_response(&l.campaign, l.view, Some(l.team()), StatusCode::OK, rid))
    }

    async fn update(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let l = self.authorized(&p, &t, id, Action::CampaignUpdate).await?;
        let c = &l.campaign;
        let expected = if_match(req)?.check(c.stamp.version)?;
        let patch: Value = json_body(req)?;
        if is_closed(c.status) {
            return Err(closed(c.status));
        }
        // Nobody writes a field they cannot read: the budget needs `viewFinancials`.
        let hidden = patch
            .as_object()
            .into_iter()
            .flatten()
            .map(|(f, _)| f)
            .find(|f| !l.view.shows(EntityKind::Campaign, Part::Record, f));
        if let Some(field) = hidden {
            return Err(Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
                .detail(format!("you cannot change {field}: it is not part of what you see of this campaign"))
                .into());
        }
        let mut next: Campaign = merge(c, patch, &CHANGEABLE)?;
        if next.client_id != c.client_id {
            self.may_sell_to(&p, &t, next.client_id).await?;
        }
        next.name = next.name.trim().to_owned();
        let mut errors = next.validate().err().unwrap_or_default();
        // Past draft the fields that let it leave draft stay required.
        if c.status != CampaignStatus::Draft
            && let Err(podcastflow_domain::campaign::transitions::TransitionError::NotReady { missing }) =
                podcastflow_domain::campaign::transitions::ready_to_leave_draft(&next.guard_facts())
        {
            for field in missing {
                errors.add(field, "required", format!("required once the campaign is past draft ({})", c.status));
            }
        }
        errors.into_result().map_err(Problem::validation)?;
        self.check_links(&t, Some(c), &next).await?;
        next.stamp = c.stamp.touched(p.user_id, Utc::now());
        next.stamp.version = expected + 1;
        CampaignRepo::new(&t).update(c, &next, expected).await?;
        Ok(campaign_response(&next, l.view, Some(l.team()), StatusCode::OK, rid))
    }

    async fn delete(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let l = self.authorized(&p, &t, id, Action::CampaignUpdate).await?;
        let c = l.campaign.clone();
        let expected = if_match(req)?.check(c.stamp.version)?;
        let repo = CampaignRepo::new(&t);
        if c.status == CampaignStatus::Draft {
            repo.delete_draft(&c, expected).await?;
            return Ok(no_content(rid));
        }
        allow(&p, Action::CampaignArchive, &Resource::Campaign(l.facts()))?;
        if !c.status.is_archivable() {
            return Err(Problem::new("campaign-in-play", StatusCode::CONFLICT, "Campaign in play")
                .detail(format!(
                    "a {} campaign cannot be archived: only draft, lost, completed or cancelled ones can",
                    c.status
                ))
                .into());
        }
        if !c.archived {
            let mut next = c.clone();
            next.archived = true;
            next.stamp = c.stamp.touched(p.user_id, Utc::now());
            next.stamp.version = expected + 1;
            repo.update(&c, &next, expected).await?;
        }
        Ok(no_content(rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &CampaignsApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["campaigns"]) => app.list(req, &rid).await,
        (&Method::POST, ["campaigns"]) => app.create(req, &rid).await,
        (&Method::GET, ["campaigns", id]) => app.get(req, id, &rid).await,
        (&Method::PUT, ["campaigns", id]) => app.update(req, id, &rid).await,
        (&Method::DELETE, ["campaigns", id]) => app.delete(req, id, &rid).await,
        (&Method::POST, ["campaigns", id, "transitions"]) => app.transition(req, id, &rid).await,
        (&Method::GET, ["campaigns", id, "history"]) => app.history(req, id, &rid).await,
        (&Method::POST, ["campaigns", id, "team"]) => app.add_member(req, id, &rid).await,
        (&Method::PUT, ["campaigns", id, "team", user]) => app.update_member(req, id, user, &rid).await,
        (&Method::DELETE, ["campaigns", id, "team", user]) => app.remove_member(req, id, user, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
