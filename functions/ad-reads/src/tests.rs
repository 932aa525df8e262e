//! The ad-reads function fed the sample events of events/.

use std::sync::Arc;

use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_submission_and_brief_are_checked_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let app = AdReadsApp { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    for (raw, status) in [
        (include_str!("../../../events/ad-reads/submit.json"), 404),
        (include_str!("../../../events/ad-reads/create-brief.json"), 404),
    ] {
        let raw: Value = serde_json::from_str(raw).unwrap();
        // The samples name a read and a campaign that do not exist in an empty table: 404, never a 5xx.
        let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
        assert_eq!(r.status(), status);
        // A body naming a field the route does not take is refused before any read.
        let mut odd = raw.clone();
        odd["body"] = Value::from(r#"{"transcript":"x","recordingId":"01JD0000000000000000000201","length":30}"#);
        let r = handle(&app, lambda_http::request::from_str(&odd.to_string()).unwrap()).await.unwrap();
        assert_eq!(r.status(), 400);
    }
}
