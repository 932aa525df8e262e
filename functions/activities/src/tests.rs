//! The activities function fed the sample event of events/.

use std::sync::Arc;

use chrono::Utc;
use lambda_http::Body;
use podcastflow_domain::activity::Activity;
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::{ActivityId, OrgId};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::activities::ActivityRepo;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_list_reads_the_campaigns_log_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let app = ActivitiesApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let raw: Value = serde_json::from_str(include_str!("../../../events/activities/list-of-campaign.json")).unwrap();
    let org: OrgId = raw["requestContext"]["authorizer"]["orgId"].as_str().unwrap().parse().unwrap();
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let entity = EntityRef {
        kind: podcastflow_domain::visibility::EntityKind::Campaign,
        id: "01JD0000000000000000000009".into(),
    };
    for action in ["campaign.created", "campaign.updated"] {
        let at = Utc::now();
        let a = Activity {
            id: ActivityId::new(),
            org_id: org,
            actor_id: None,
            action: action.into(),
            entity: entity.clone(),
            changes: Default::default(),
            request_id: None,
            at,
            expires_at: Activity::expiry(at),
        };
        ActivityRepo::new(&t).record(&a).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 200);
    let Body::Text(text) = r.body() else { panic!("a text body") };
    let page: Value = serde_json::from_str(text).unwrap();
    assert_eq!(page["items"][0]["action"], "campaign.updated");
    assert_eq!(page["items"][1]["action"], "campaign.created");
}
