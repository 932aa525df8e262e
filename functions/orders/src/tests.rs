//! The orders function fed the sample event of events/.

use std::sync::Arc;

use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_order_is_checked_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let app = OrdersApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let raw: Value = serde_json::from_str(include_str!("../../../events/orders/create.json")).unwrap();
    // The sample names a campaign that does not exist in an empty table: a 404, never a 5xx.
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 404);
    // A body naming a field orders do not have is refused before any read.
    let mut odd = raw.clone();
    odd["body"] = Value::from(r#"{"campaignId":"01JD0000000000000000000201","discount":10}"#);
    let r = handle(&app, lambda_http::request::from_str(&odd.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 400);
}
