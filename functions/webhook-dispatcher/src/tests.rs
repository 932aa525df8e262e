//! The dispatcher fed the sample event of events/.

use std::sync::Arc;

use podcastflow_domain::webhook::destination::DestinationRules;
use podcastflow_store::embedded::EmbeddedTable;

use super::*;

#[tokio::test]
async fn the_sample_scheduled_event_runs_at_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let job = Dispatcher {
        ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()),
        sender: Sender::new(DestinationRules::LOCAL).unwrap(),
    };
    let raw: Value = serde_json::from_str(include_str!("../../../events/webhook-dispatcher/scheduled.json")).unwrap();
    let report = handle(&job, LambdaEvent::new(raw, lambda_http::Context::default())).await.unwrap();
    let at: DateTime<Utc> = "2026-11-22T13:01:00Z".parse().unwrap();
    assert_eq!(report, DispatchReport { at: Some(at), ..DispatchReport::default() });
}
