//! The inventory function fed the sample event of events/.

use std::sync::Arc;

use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_avails_request_is_checked_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let app = InventoryApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let raw: Value = serde_json::from_str(include_str!("../../../events/inventory/avails.json")).unwrap();
    // The sample names a show that does not exist in an empty table: a 404, never a 5xx.
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 404);
    // Without dates the request is refused before any read.
    let mut undated = raw.clone();
    undated["queryStringParameters"].as_object_mut().unwrap().remove("from");
    undated["multiValueQueryStringParameters"].as_object_mut().unwrap().remove("from");
    let r = handle(&app, lambda_http::request::from_str(&undated.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 400);
}
