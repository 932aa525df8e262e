//! Template schedules fire their functions with genuine EventBridge scheduled events.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Timelike, Utc};
use lambda_http::LambdaEvent;
use podcastflow_local::functions::event;
use podcastflow_local::stack::StackConfig;
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until;
use serde_json::Value;

const TEMPLATE: &str = r#"
Resources:
  JobFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        EveryMinute: { Type: Schedule, Properties: { Schedule: "cron(* * * * ? *)" } }
        WithInput: { Type: ScheduleV2, Properties: { ScheduleExpression: "cron(* * * * ? *)", Input: '{"job": "retention"}' } }
        Never: { Type: Schedule, Properties: { Schedule: "cron(0 0 1 1 ? 2099)" } }
"#;

#[tokio::test]
async fn a_cron_schedule_fires_on_the_minute_with_a_scheduled_event() {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = seen.clone();
    let handler = event(move |e: LambdaEvent<Value>| {
        let sink = sink.clone();
        async move {
            sink.lock().map_err(|_| "poisoned")?.push(e.payload);
            Ok::<_, lambda_http::Error>(Value::Null)
        }
    });
    // Shift the stack's clock so that its next minute starts in about 3 s (start-up must not pass it).
    let now = Utc::now();
    let into_minute = i64::from(now.second()) * 1000 + i64::from(now.timestamp_subsec_millis());
    let offset = chrono::Duration::milliseconds(60_000 - into_minute - 3_000);
    let s = TestStack::with_config(move |c: &mut StackConfig| {
        c.template = TEMPLATE.to_owned();
        c.event_functions.insert("JobFunction".into(), handler);
        c.ops.clock_offset = offset;
    })
    .await;
    let events = until(Duration::from_secs(20), "both schedules", || {
        let s = seen.lock().ok()?;
        (s.len() >= 2).then(|| s.clone())
    })
    .await;
    let scheduled = events.iter().find(|e| e.get("detail-type").is_some()).expect("a scheduled event");
    assert_eq!(scheduled["source"], "aws.events");
    assert_eq!(scheduled["detail-type"], "Scheduled Event");
    let at: chrono::DateTime<Utc> = scheduled["time"].as_str().unwrap_or_default().parse().expect("an RFC 3339 time");
    assert_eq!(at.second(), 0, "fired on the minute");
    assert!(
        scheduled["resources"][0].as_str().is_some_and(|r| r.ends_with("rule/podcastflow-JobFunction-EveryMinute"))
    );
    assert!(events.iter().any(|e| e == &serde_json::json!({"job": "retention"})), "Input replaces the event");
    assert_eq!(seen.lock().unwrap().len(), 2, "the 2099 schedule did not fire");
    s.stop().await;
}

#[tokio::test]
async fn invalid_schedules_and_missing_functions_stop_start_up() {
    let bad = TEMPLATE.replace("cron(* * * * ? *)\" } }", "cron(* * * * * *)\" } }");
    let dir = tempfile::tempdir().unwrap();
    let mut config = StackConfig::new(dir.path(), 0);
    config.template = bad;
    config.event_functions.insert(
        "JobFunction".into(),
        event(|_: LambdaEvent<Value>| async { Ok::<_, lambda_http::Error>(Value::Null) }),
    );
    assert!(podcastflow_local::stack::start(config).await.is_err());
    let mut config = StackConfig::new(dir.path(), 0);
    config.template = TEMPLATE.to_owned();
    let err = podcastflow_local::stack::start(config).await.err().expect("refused");
    assert!(err.to_string().contains("JobFunction"), "{err}");
}
