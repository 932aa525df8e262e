//! `POST /campaigns/{id}/transitions` and `GET /campaigns/{id}/history`: the HTTP face of the state
//! machine in `podcastflow_domain::campaign::transitions`, which holds every rule.

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::campaign::CampaignStatus;
use podcastflow_domain::campaign::transitions::{Actor, TransitionError, next_statuses, transition};
use podcastflow_domain::permissions::Action;
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{ValidationErrors, campaign::Campaign};
use podcastflow_platform::{Outcome, PageBody, Problem, json, json_body, optional_if_match, paging, principal};
use podcastflow_store::repo::campaigns::CampaignRepo;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::CampaignsApp;
use crate::routes::campaign_response;

/// Longest reason kept in the history.
const MAX_REASON: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransitionRequest {
    to: CampaignStatus,
    #[serde(default)]
    reason: Option<String>,
}

/// The problem answering a refused transition: its reason in `detail`, what is allowed instead.
fn refused(e: &TransitionError, c: &Campaign, actor: Actor) -> Problem {
    let next: Vec<&str> = next_statuses(c.status, actor).iter().map(CampaignStatus::as_str).collect();
    let allowed = if next.is_empty() { "none".to_owned() } else { next.join(", ") };
    let detail = format!("{e}; from {} the next statuses are: {allowed}", c.status);
    match e {
        TransitionError::NotReady { missing } => {
            let mut v = ValidationErrors::new();
            for f in missing {
                v.add(*f, "required", format!("required to leave {}", c.status));
            }
            Problem::new("transition-not-ready", StatusCode::UNPROCESSABLE_ENTITY, "Campaign not ready")
                .detail(detail)
                .fields(v)
        }
        TransitionError::ReasonRequired(_) => {
            Problem::new("transition-reason-required", StatusCode::UNPROCESSABLE_ENTITY, "Reason required")
                .detail(detail)
                .fields({
                    let mut v = ValidationErrors::new();
                    v.add("reason", "required", e.to_string());
                    v
                })
        }
        TransitionError::Archived => {
            Problem::new("campaign-archived", StatusCode::CONFLICT, "Campaign archived").detail(e.to_string())
        }
        TransitionError::AdminOnly { .. } => {
            Problem::new("transition-admin-only", StatusCode::FORBIDDEN, "Admins only").detail(detail)
        }
        _ => Problem::new("transition-not-allowed", StatusCode::CONFLICT, "Transition not allowed").detail(detail),
    }
}

impl CampaignsApp {
    pub(crate) async fn transition(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let l = self.authorized(&p, &t, id, Action::CampaignUpdate).await?;
        let c = &l.campaign;
        let expected = optional_if_match(req)?.check(c.stamp.version)?;
        let body: TransitionRequest = json_body(req)?;
        let reason = body.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
            return Err(Problem::field("reason", "too_long", "at most 1000 characters").into());
        }
        let actor = Actor::User(p.role);
        let now = Utc::now();
        // "Today" is the organization's date, as the daily job takes it.
        let today = podcastflow_platform::principal::org_today(req, &p, now);
        let moved = transition(c, body.to, actor, p.user_id, reason, now, today).map_err(|e| refused(&e, c, actor))?;
        CampaignRepo::new(&t).transition(&moved.campaign, expected, &moved.entry).await?;
        Ok(campaign_response(&moved.campaign, l.view, Some(l.team()), StatusCode::OK, rid))
    }

    pub(crate) async fn history(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let paging = paging(req)?;
        let t = self.ctx.tenant(&p, req);
        let l = self.authorized(&p, &t, id, Action::CampaignRead).await?;
        let page = CampaignRepo::new(&t).history(&l.campaign.id, paging.cursor.as_deref(), paging.limit).await?;
        let items: Vec<Value> = page
            .items
            .iter()
            .map(|e| match l.view {
                // Who moved it and why stay inside the organization.
                Lens::Client => json!({"id": e.id, "at": e.at, "from": e.from, "to": e.to}),
                _ => serde_json::to_value(e).unwrap_or(Value::Null),
            })
            .collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid))
    }
}
