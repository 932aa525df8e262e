//! The job fed the sample scheduled event of events/.

use podcastflow_mail::Outbox;
use podcastflow_store::embedded::EmbeddedTable;

use super::*;

#[tokio::test]
async fn the_sample_event_runs_at_its_scheduled_time() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = AppContext::new(Arc::new(EmbeddedTable::open(&dir.path().join("t")).unwrap()), b"s".to_vec());
    let job = DigestJob { ctx, mail: Arc::new(Outbox::new(dir.path().join("mail"), "no-reply@test")) };
    let event: Value = serde_json::from_str(include_str!("../../../events/digest-job/scheduled.json")).unwrap();
    let report = handle(&job, LambdaEvent::new(event, lambda_http::Context::default())).await.unwrap();
    assert_eq!(report.at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-22T13:00:00+00:00"));
    assert_eq!((report.organizations, report.sent), (0, 0));
}
