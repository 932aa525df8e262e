//! The billing function fed the sample event of events/.

use std::sync::Arc;

use podcastflow_objects::Objects;
use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_draft_is_checked_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let app = BillingApp {
        ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()),
        objects: Objects::local("http://127.0.0.1:9", "us-east-1", "k", "s", "media"),
        mail: Arc::new(podcastflow_mail::Outbox::new(dir.path().join("outbox"), "billing@network.example")),
    };
    let raw: Value = serde_json::from_str(include_str!("../../../events/billing/draft.json")).unwrap();
    // The sample names an order that does not exist in an empty table: a 404, never a 5xx.
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 404);
    // A body naming a field a draft does not have is refused before any read.
    let mut odd = raw.clone();
    odd["body"] = Value::from(r#"{"orderId":"01JD0000000000000000000201","year":2026,"month":12,"discount":10}"#);
    let r = handle(&app, lambda_http::request::from_str(&odd.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 400);
}
