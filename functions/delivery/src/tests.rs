//! The delivery function fed the sample event of events/.

use std::sync::Arc;

use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_request_is_checked_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec());
    // Never reached by these tests: no export is asked for.
    let objects = podcastflow_objects::Objects::local("http://127.0.0.1:9", "us-east-1", "key", "secret", "logs");
    let app = DeliveryApp { ctx, objects };
    let raw: Value = serde_json::from_str(include_str!("../../../events/delivery/campaign-delivery.json")).unwrap();
    // The sample names a campaign that does not exist in an empty table: a 404, never a 5xx.
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 404);
    // A granularity it does not know is refused by name before anything is read.
    let mut odd = raw.clone();
    odd["queryStringParameters"]["granularity"] = Value::from("month");
    odd["multiValueQueryStringParameters"]["granularity"] = serde_json::json!(["month"]);
    let r = handle(&app, lambda_http::request::from_str(&odd.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(body["errors"][0]["field"], "granularity");
}
