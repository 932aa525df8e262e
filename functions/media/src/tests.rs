//! The media function fed its sample event.

use std::sync::Arc;

use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_upload_for_an_unknown_episode_is_404_and_a_bad_one_400() {
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::local("http://127.0.0.1:9", "us-east-1", "AKIA", "secret", "media");
    let app =
        MediaApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()), objects };
    let text = include_str!("../../../events/media/upload.json");
    // The sample names an episode this empty table does not hold: not found, and no URL issued.
    let r = handle(&app, lambda_http::request::from_str(text).unwrap()).await.unwrap();
    assert_eq!(r.status(), 404);
    let mut raw: Value = serde_json::from_str(text).unwrap();
    raw["body"] = Value::String(r#"{"entity":{"type":"episode","id":"x"},"fileName":"a.exe","contentType":"application/x-msdownload","size":1}"#.into());
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 400);
}
