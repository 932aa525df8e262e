//! The webhooks function fed the sample event of events/.

use std::sync::Arc;

use podcastflow_domain::webhook::destination::DestinationRules;
use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_endpoint_is_made_with_its_secret_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = WebhooksApp {
        ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()),
        sender: Sender::new(DestinationRules::AWS).unwrap(),
    };
    let raw: Value = serde_json::from_str(include_str!("../../../events/webhooks/create.json")).unwrap();
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = serde_json::from_slice(r.body().as_ref()).unwrap();
    assert!(body["secret"].as_str().is_some_and(|s| s.starts_with("whsec_")), "{body}");
    assert_eq!(body["events"], serde_json::json!(["campaign.transitioned", "order.transitioned"]));
    // A loopback receiver is refused in AWS, before anything is stored.
    let mut local = raw.clone();
    local["body"] = Value::from(r#"{"url":"https://127.0.0.1:8443/hook"}"#);
    let r = handle(&app, lambda_http::request::from_str(&local.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 400);
    // A seller is refused.
    let mut seller = raw.clone();
    seller["requestContext"]["authorizer"]["role"] = Value::from("seller");
    let r = handle(&app, lambda_http::request::from_str(&seller.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 403);
}
