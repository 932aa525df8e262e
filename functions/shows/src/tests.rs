//! The shows function fed the sample event of events/.

use std::sync::Arc;

use lambda_http::Body;
use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_create_answers_201_with_the_show_and_its_ad_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let app = ShowsApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let raw = include_str!("../../../events/shows/create.json");
    let r = handle(&app, lambda_http::request::from_str(raw).unwrap()).await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["etag"], "\"v1\"");
    let Body::Text(t) = r.body() else { panic!("a text body") };
    let s: Value = serde_json::from_str(t).unwrap();
    assert_eq!((s["name"].as_str(), s["adConfig"]["slots"]["mid"].as_u64()), (Some("Morning Brew"), Some(2)));
    assert_eq!(s["status"], "active");
}
