//! The job fed the sample scheduled event of events/.

use std::sync::Arc;

use podcastflow_store::embedded::EmbeddedTable;

use super::*;

#[tokio::test]
async fn the_sample_event_runs_for_the_day_of_its_scheduled_time() {
    let dir = tempfile::tempdir().unwrap();
    let job = CampaignJob { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let event: Value = serde_json::from_str(include_str!("../../../events/campaign-job/scheduled.json")).unwrap();
    let report = handle(&job, LambdaEvent::new(event, lambda_http::Context::default())).await.unwrap();
    assert_eq!(report.at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-22T00:05:00+00:00"));
    assert_eq!((report.organizations, report.started, report.completed), (0, 0, 0));
    let by_hand = handle(&job, LambdaEvent::new(serde_json::json!({}), lambda_http::Context::default())).await.unwrap();
    assert!(by_hand.at.is_some_and(|t| (Utc::now() - t).num_seconds().abs() < 60));
}
