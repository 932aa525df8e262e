//! The episodes function fed the sample event of events/.

use std::sync::Arc;

use chrono::Utc;
use lambda_http::Body;
use podcastflow_domain::show::{AdConfig, ReleaseFrequency, Show, ShowStatus};
use podcastflow_domain::{OrgId, ShowId, Stamp, UserId};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::shows::ShowRepo;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn the_sample_create_answers_a_draft_with_ad_slots_from_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let app = EpisodesApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let raw: Value = serde_json::from_str(include_str!("../../../events/episodes/create.json")).unwrap();
    let org: OrgId = raw["requestContext"]["authorizer"]["orgId"].as_str().unwrap().parse().unwrap();
    let show = Show {
        id: "01JD0000000000000000000005".parse::<ShowId>().unwrap(),
        org_id: org,
        name: "Morning Brew".into(),
        description: None,
        category: None,
        artwork: None,
        release_frequency: ReleaseFrequency::Daily,
        producer_ids: Vec::new(),
        talent_ids: Vec::new(),
        ad_config: AdConfig::default(),
        average_downloads: None,
        feed_hosts: vec![],
        revenue_share: None,
        status: ShowStatus::Active,
        stamp: Stamp::created(UserId::new(), Utc::now()),
    };
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    ShowRepo::new(&t).create(&show).await.unwrap();
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 201);
    let Body::Text(text) = r.body() else { panic!("a text body") };
    let e: Value = serde_json::from_str(text).unwrap();
    assert_eq!((e["status"].as_str(), e["adSlots"].clone()), (Some("draft"), json!({"pre": 1, "mid": 2, "post": 1})));
}
