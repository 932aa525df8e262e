//! The campaigns function fed the sample events of events/.

use std::sync::Arc;

use chrono::Utc;
use lambda_http::Body;
use podcastflow_domain::campaign::team::{TeamMember, TeamPermission, TeamRole};
use podcastflow_domain::campaign::{Campaign, CampaignStatus, Goals, Targeting};
use podcastflow_domain::{CampaignId, OrgId, Stamp, UserId};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::campaigns::CampaignRepo;
use serde_json::Value;

use super::*;

fn sample(raw: &str) -> (Request, OrgId, UserId) {
    let raw: Value = serde_json::from_str(raw).unwrap();
    let auth = &raw["requestContext"]["authorizer"];
    let org = auth["orgId"].as_str().unwrap().parse().unwrap();
    let user = auth["userId"].as_str().unwrap().parse().unwrap();
    (lambda_http::request::from_str(&raw.to_string()).unwrap(), org, user)
}

fn body(r: &Response<Body>) -> Value {
    let Body::Text(t) = r.body() else { panic!("a text body") };
    serde_json::from_str(t).unwrap()
}

fn app(dir: &tempfile::TempDir) -> CampaignsApp {
    let table = Arc::new(EmbeddedTable::open(dir.path()).unwrap());
    CampaignsApp { ctx: AppContext::new(table, b"secret".to_vec()) }
}

#[tokio::test]
async fn the_sample_create_answers_a_draft_that_the_sample_list_finds() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir);
    let (req, _, user) = sample(include_str!("../../../events/campaigns/create.json"));
    let r = handle(&app, req).await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["etag"], "\"v1\"");
    let c = body(&r);
    assert_eq!((c["status"].as_str(), c["probability"].as_u64()), (Some("draft"), Some(10)));
    assert_eq!(c["ownerId"], user.to_string().as_str());
    let (req, _, _) = sample(include_str!("../../../events/campaigns/list.json"));
    let r = handle(&app, req).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(body(&r)["items"][0]["id"], c["id"]);
}

#[tokio::test]
async fn the_sample_transition_loses_the_campaign_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir);
    let (req, org, user) = sample(include_str!("../../../events/campaigns/transition.json"));
    let id: CampaignId = "01JD0000000000000000000009".parse().unwrap();
    let c = Campaign {
        id,
        org_id: org,
        name: "Q2 flight".into(),
        client_id: None,
        agency_id: None,
        owner_id: user,
        start_date: None,
        end_date: None,
        budget: None,
        goals: Goals::default(),
        targeting: Targeting::default(),
        internal_notes: None,
        rate_overrides: Vec::new(),
        status: CampaignStatus::Negotiation,
        probability: CampaignStatus::Negotiation.probability(),
        archived: false,
        stamp: Stamp::created(user, Utc::now()),
    };
    let owner = TeamMember {
        campaign_id: id,
        org_id: org,
        user_id: user,
        role: TeamRole::Owner,
        permissions: TeamPermission::ALL.into_iter().collect(),
        added_at: Utc::now(),
        added_by: user,
        updated_by: None,
        updated_at: None,
        version: 1,
    };
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    CampaignRepo::new(&t).create(&c, &owner).await.unwrap();
    let r = handle(&app, req).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!((body(&r)["status"].as_str(), body(&r)["probability"].as_u64()), (Some("lost"), Some(0)));
    let history = CampaignRepo::new(&t).history(&id, None, 10).await.unwrap().items;
    assert_eq!(history[0].reason.as_deref(), Some("Budget moved to Q3"));
}
