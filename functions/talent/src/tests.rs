//! The talent function fed the sample event of events/.

use std::sync::Arc;

use chrono::Utc;
use lambda_http::Body;
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::{OrgId, Role, UserId};
use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::users::UserRepo;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_replace_saves_the_talents_own_windows() {
    let dir = tempfile::tempdir().unwrap();
    let app = TalentApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let raw: Value = serde_json::from_str(include_str!("../../../events/talent/replace-availability.json")).unwrap();
    let auth = &raw["requestContext"]["authorizer"];
    let org: OrgId = auth["orgId"].as_str().unwrap().parse().unwrap();
    let id: UserId = auth["userId"].as_str().unwrap().parse().unwrap();
    let user: User = serde_json::from_value(serde_json::json!({
        "id": id, "orgId": org, "email": "host@example.com", "name": "The host", "role": "talent",
        "status": "active", "timezone": "UTC", "createdAt": Utc::now(), "createdBy": id, "updatedAt": Utc::now(), "updatedBy": id, "version": 1
    }))
    .unwrap();
    assert_eq!((user.role, user.status), (Role::Talent, UserStatus::Active));
    UserRepo::new(app.ctx.table.as_ref(), &app.ctx.cursors).create(&user).await.unwrap();
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"v1\"");
    let Body::Text(text) = r.body() else { panic!("a text body") };
    let set: Value = serde_json::from_str(text).unwrap();
    assert_eq!(set["windows"][0]["note"], "Conference");
}
