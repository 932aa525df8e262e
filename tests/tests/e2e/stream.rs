//! The table's writes reach stream functions as DynamoDB stream events, like Lambda's event
//! source mapping delivers them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::dynamodb::Event;
use lambda_http::LambdaEvent;
use podcastflow_local::functions::event;
use podcastflow_local::stack::StackConfig;
use podcastflow_store::lambda_event::from_event_record;
use podcastflow_store::{ChangeKind, ChangeRecord, Condition, Item, Table};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

fn template(extra: &str) -> String {
    format!(
        r#"
Resources:
  StreamFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 3
{extra}
"#
    )
}

/// What a stream function saw: one entry per invocation.
type Seen = Arc<Mutex<Vec<Vec<ChangeRecord>>>>;

/// A stream function that records its batches and answers with `answer(invocation, batch)`.
fn recorder(
    seen: Seen,
    answer: fn(usize, &[ChangeRecord]) -> Result<Value, String>,
) -> podcastflow_local::functions::EventHandler {
    event(move |e: LambdaEvent<Event>| {
        let seen = seen.clone();
        async move {
            let batch: Vec<ChangeRecord> = e.payload.records.iter().map(from_event_record).collect::<Result<_, _>>()?;
            let n = {
                let mut s = seen.lock().map_err(|_| "poisoned")?;
                s.push(batch.clone());
                s.len() - 1
            };
            answer(n, &batch).map_err(lambda_http::Error::from)
        }
    })
}

async fn stack(seen: &Seen, extra: &str, answer: fn(usize, &[ChangeRecord]) -> Result<Value, String>) -> TestStack {
    let handler = recorder(seen.clone(), answer);
    let t = template(extra);
    TestStack::with_config(move |c: &mut StackConfig| {
        c.template = t;
        c.create_master = false;
        c.event_functions.insert("StreamFunction".into(), handler);
    })
    .await
}

fn item(sk: &str, v: i64) -> Item {
    json!({"PK": "STREAM", "SK": sk, "v": v}).as_object().cloned().unwrap_or_default()
}

fn delivered(seen: &Seen) -> Vec<ChangeRecord> {
    seen.lock().map(|s| s.iter().flatten().cloned().collect()).unwrap_or_default()
}

fn ok(_: usize, _: &[ChangeRecord]) -> Result<Value, String> {
    Ok(Value::Null)
}

#[tokio::test]
async fn writes_reach_the_stream_function_in_batches_and_in_order() {
    let seen = Seen::default();
    let s = stack(&seen, "", ok).await;
    for v in 1..=4 {
        s.stack.table.put(item("a", v), Condition::Always).await.unwrap();
    }
    s.stack.table.put(item("b", 1), Condition::Always).await.unwrap();
    s.stack.table.delete(&podcastflow_domain::keys::Key::new("STREAM", "a"), Condition::Always).await.unwrap();
    until(WAIT, "six records", || (delivered(&seen).len() >= 6).then_some(())).await;
    let all = delivered(&seen);
    assert_eq!(all.len(), 6, "each record once");
    assert!(seen.lock().unwrap().iter().all(|b| b.len() <= 3), "batches respect BatchSize");
    let of_a: Vec<(ChangeKind, Option<Value>)> = all
        .iter()
        .filter(|r| r.key.sk == "a")
        .map(|r| (r.kind, r.new_image.as_ref().map(|i| i["v"].clone())))
        .collect();
    assert_eq!(
        of_a,
        vec![
            (ChangeKind::Insert, Some(json!(1))),
            (ChangeKind::Modify, Some(json!(2))),
            (ChangeKind::Modify, Some(json!(3))),
            (ChangeKind::Modify, Some(json!(4))),
            (ChangeKind::Remove, None),
        ]
    );
    s.stop().await;
}

#[tokio::test]
async fn a_failing_batch_is_retried_until_it_succeeds() {
    let seen = Seen::default();
    let s = stack(&seen, "", |n, _| if n < 2 { Err("downstream unavailable".into()) } else { Ok(Value::Null) }).await;
    s.stack.table.put(item("a", 1), Condition::Always).await.unwrap();
    until(WAIT, "the third attempt", || (seen.lock().unwrap().len() >= 3).then_some(())).await;
    let batches = seen.lock().unwrap().clone();
    assert!(batches.iter().all(|b| b.len() == 1 && b[0].key.sk == "a"), "the same batch each time");
    // After the success nothing is redelivered.
    s.stack.table.put(item("b", 1), Condition::Always).await.unwrap();
    until(WAIT, "the next record", || delivered(&seen).iter().any(|r| r.key.sk == "b").then_some(())).await;
    assert_eq!(delivered(&seen).iter().filter(|r| r.key.sk == "a").count(), 3);
    s.stop().await;
}

#[tokio::test]
async fn reported_item_failures_resume_from_the_first_failed_record() {
    let seen = Seen::default();
    let extra = "            FunctionResponseTypes: [ReportBatchItemFailures]";
    let s = stack(&seen, extra, |n, batch| {
        if n == 0 && batch.len() > 1 {
            Ok(json!({"batchItemFailures": [{"itemIdentifier": batch[1].sequence}]}))
        } else {
            Ok(json!({"batchItemFailures": []}))
        }
    })
    .await;
    // Written in one transaction so they arrive in one batch.
    let ops = ["x", "y", "z"]
        .iter()
        .map(|sk| podcastflow_store::TransactOp::Put { item: item(sk, 1), condition: Condition::Always })
        .collect();
    s.stack.table.transact(ops).await.unwrap();
    until(WAIT, "the retry", || (seen.lock().unwrap().len() >= 2).then_some(())).await;
    let batches = seen.lock().unwrap().clone();
    let sks = |b: &Vec<ChangeRecord>| b.iter().map(|r| r.key.sk.clone()).collect::<Vec<_>>();
    assert_eq!(sks(&batches[0]), vec!["x", "y", "z"]);
    assert_eq!(sks(&batches[1]), vec!["y", "z"], "x succeeded and is not delivered again");
    s.stop().await;
}

#[tokio::test]
async fn a_poison_batch_is_skipped_after_its_retries() {
    let seen = Seen::default();
    let extra = "            MaximumRetryAttempts: 1";
    let s = stack(&seen, extra, |_, batch| {
        if batch.iter().any(|r| r.key.sk == "poison") { Err("cannot process".into()) } else { Ok(Value::Null) }
    })
    .await;
    s.stack.table.put(item("poison", 1), Condition::Always).await.unwrap();
    until(WAIT, "two attempts", || (seen.lock().unwrap().len() >= 2).then_some(())).await;
    s.stack.table.put(item("fine", 1), Condition::Always).await.unwrap();
    until(WAIT, "the record after the poison", || delivered(&seen).iter().any(|r| r.key.sk == "fine").then_some(()))
        .await;
    assert_eq!(delivered(&seen).iter().filter(|r| r.key.sk == "poison").count(), 2, "first try and one retry");
    s.stop().await;
}

#[tokio::test]
async fn the_position_survives_a_restart() {
    let seen = Seen::default();
    let s = stack(&seen, "", ok).await;
    s.stack.table.put(item("before", 1), Condition::Always).await.unwrap();
    until(WAIT, "the first record", || (!delivered(&seen).is_empty()).then_some(())).await;
    let dir = s.stop().await.expect("data dir");

    let again_seen = Seen::default();
    let handler = recorder(again_seen.clone(), ok);
    let mut config = StackConfig::new(dir.path(), 0);
    config.create_master = false;
    config.template = template("");
    config.event_functions.insert("StreamFunction".into(), handler);
    let again = TestStack::start_in(config).await;
    again.stack.table.put(item("after", 1), Condition::Always).await.unwrap();
    until(WAIT, "the new record", || (!delivered(&again_seen).is_empty()).then_some(())).await;
    let sks: Vec<String> = delivered(&again_seen).into_iter().map(|r| r.key.sk).collect();
    assert_eq!(sks, vec!["after"], "nothing acknowledged before the restart is delivered again");
    again.stop().await;
}
