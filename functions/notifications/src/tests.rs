//! The notifications function fed the sample event of events/.

use std::sync::Arc;

use chrono::Utc;
use lambda_http::Body;
use podcastflow_domain::notification::{Notification, Priority};
use podcastflow_domain::{NotificationId, OrgId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::notifications::NotificationRepo;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn the_sample_unread_count_counts_the_callers_unread_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let app =
        NotificationsApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let raw: Value = serde_json::from_str(include_str!("../../../events/notifications/unread-count.json")).unwrap();
    let auth = &raw["requestContext"]["authorizer"];
    let org: OrgId = auth["orgId"].as_str().unwrap().parse().unwrap();
    let me: UserId = auth["userId"].as_str().unwrap().parse().unwrap();
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    for user in [me, me, UserId::new()] {
        let at = Utc::now();
        let n = Notification {
            id: NotificationId::new(),
            org_id: org,
            user_id: user,
            kind: "campaign.approved".into(),
            title: "Approved".into(),
            body: "Approved".into(),
            priority: Priority::High,
            entity: None,
            read_at: None,
            created_at: at,
            expires_at: Notification::expiry(at),
            version: 1,
        };
        NotificationRepo::new(&t).create(&n).await.unwrap();
    }
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 200);
    let Body::Text(text) = r.body() else { panic!("a text body") };
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), json!({"count": 2}));
}
