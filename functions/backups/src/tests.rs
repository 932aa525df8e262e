//! The backups function fed its sample event.

use std::sync::Arc;

use podcastflow_domain::OrgId;
use podcastflow_store::TenantTable;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::backups::BackupRepo;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_create_queues_a_manual_backup() {
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::local("http://127.0.0.1:9", "us-east-1", "AKIA", "secret", "backups");
    let app =
        BackupsApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()), objects };
    let text = include_str!("../../../events/backups/create.json");
    let raw: Value = serde_json::from_str(text).unwrap();
    let org: OrgId = raw["requestContext"]["authorizer"]["orgId"].as_str().unwrap().parse().unwrap();
    let r = handle(&app, lambda_http::request::from_str(text).unwrap()).await.unwrap();
    assert_eq!(r.status(), 202);
    let body: Value = serde_json::from_slice(r.body().as_ref()).unwrap();
    assert_eq!((body["status"].as_str(), body["kind"].as_str()), (Some("queued"), Some("manual")));
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let listed = BackupRepo::new(&t).list(None, 10).await.unwrap().items;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].expires_at.is_none(), "manual backups are kept until deleted");
}
