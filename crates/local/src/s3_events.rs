//! Delivers S3 event notifications the way S3 and Lambda do for the template's `S3` events: each
//! object created in a bucket reaches every function subscribed to that bucket whose event types
//! and key filters match, as an asynchronous invocation of an `S3Event` (a record with the bucket,
//! the URL-encoded key and the size). Asynchronous invocations run side by side, and a failed one
//! is retried twice, after a pause that grows, then dropped with an error logged (Lambda's
//! defaults; S3 delivers at least once, so functions must tolerate a repeat).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::functions::EventHandler;
use crate::s3::ObjectCreated;
use crate::template::ObjectSource;

/// Retries after a failed invocation (Lambda's default for asynchronous invocations).
const RETRIES: u32 = 2;
/// The pause before the first retry (then twice as long).
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// One subscription: the template's event, its bucket's local name and the function.
#[derive(Clone)]
pub struct Subscription {
    /// The event from the template.
    pub source: ObjectSource,
    /// The bucket's name.
    pub bucket: String,
    /// The function.
    pub handler: EventHandler,
}

/// The `S3Event` telling of `o`.
pub fn event_of(o: &ObjectCreated, source: &ObjectSource, region: &str) -> Value {
    // As S3 writes it: form-encoded, slashes left as they are.
    let key = form_urlencoded::byte_serialize(o.key.as_bytes()).collect::<String>().replace("%2F", "/");
    json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "eventName": o.event,
        "userIdentity": {"principalId": "local"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": format!("{}-{}", source.function, source.name),
            "bucket": {"name": o.bucket, "ownerIdentity": {"principalId": "local"}, "arn": format!("arn:aws:s3:::{}", o.bucket)},
            "object": {"key": key, "size": o.size, "sequencer": format!("{:016X}", Utc::now().timestamp_micros())},
        },
    }]})
}

/// Runs until `stop`: each object created reaches its subscriptions.
pub fn spawn(
    subscriptions: Vec<Subscription>,
    mut created: mpsc::UnboundedReceiver<ObjectCreated>,
    region: String,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let subscriptions = Arc::new(subscriptions);
    tokio::spawn(async move {
        loop {
            let o = tokio::select! {
                o = created.recv() => match o { Some(o) => o, None => break },
                _ = stop.changed() => break,
            };
            for s in subscriptions.iter().filter(|s| s.bucket == o.bucket && s.source.matches(o.event, &o.key)) {
                let event = event_of(&o, &s.source, &region);
                let (handler, function) = (s.handler.clone(), s.source.function.clone());
                tokio::spawn(async move {
                    let mut pause = FIRST_RETRY;
                    for attempt in 0..=RETRIES {
                        match handler(event.clone()).await {
                            Ok(_) => return,
                            Err(e) if attempt < RETRIES => {
                                tracing::warn!(%function, attempt, error = %e, "S3 event failed; retrying");
                                tokio::time::sleep(pause).await;
                                pause *= 2;
                            }
                            Err(e) => tracing::error!(%function, error = %e, "S3 event dropped after its retries"),
                        }
                    }
                });
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_encoded_key_and_read_as_lambdas_s3_event() {
        let o =
            ObjectCreated { bucket: "logs".into(), key: "logs/a b+c.gz".into(), size: 42, event: "ObjectCreated:Put" };
        let source = ObjectSource {
            function: "F".into(),
            name: "E".into(),
            bucket: "Logs".into(),
            events: vec!["s3:ObjectCreated:*".into()],
            prefix: None,
            suffix: None,
        };
        let v = event_of(&o, &source, "us-east-1");
        let e: aws_lambda_events::s3::S3Event = serde_json::from_value(v).unwrap();
        let r = &e.records[0];
        assert_eq!(r.s3.object.key.as_deref(), Some("logs/a+b%2Bc.gz"));
        assert_eq!(r.s3.object.size, Some(42));
        assert_eq!(r.s3.bucket.name.as_deref(), Some("logs"));
        assert_eq!(r.event_name.as_deref(), Some("ObjectCreated:Put"));
    }
}
