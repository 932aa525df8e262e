//! Delivers the embedded table's change feed to a function the way Lambda's DynamoDB event
//! source mapping does: batches of up to `BatchSize` records in feed order (so in order per
//! item), the next batch only after the previous one succeeded, a failing batch retried with
//! backoff (from the first reported failure with `ReportBatchItemFailures`), and skipped after
//! `MaximumRetryAttempts`. The position is checkpointed in the data dir, so a restart neither
//! loses nor repeats acknowledged records.

use std::path::PathBuf;
use std::time::Duration;

use aws_lambda_events::event::streams::DynamoDbEventResponse;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::lambda_event::to_stream_event;
use podcastflow_store::{ChangeFeed, ChangeRecord};
use serde_json::Value;
use tokio::sync::watch;

use crate::functions::EventHandler;
use crate::template::{StartingPosition, StreamSource};

/// Longest wait between retries of a failing batch.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One stream subscription of one function.
pub struct Delivery {
    /// The table whose feed is delivered.
    pub table: EmbeddedTable,
    /// The subscription from the template.
    pub source: StreamSource,
    /// The function.
    pub handler: EventHandler,
    /// Where the position is kept.
    pub checkpoint: PathBuf,
    /// The stream ARN put in records.
    pub stream_arn: String,
    /// The region put in records.
    pub region: String,
}

/// What became of one invocation.
enum Outcome {
    /// Every record processed.
    Done,
    /// Records before this index processed; retry from it.
    FailedAt(usize),
}

impl Delivery {
    fn load(&self) -> Option<String> {
        std::fs::read_to_string(&self.checkpoint).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
    }

    fn save(&self, position: &str) {
        // Write then rename, so a crash leaves the old checkpoint or the new one, never half.
        let tmp = self.checkpoint.with_extension("tmp");
        let result = std::fs::write(&tmp, position).and_then(|()| std::fs::rename(&tmp, &self.checkpoint));
        if let Err(e) = result {
            tracing::error!(function = %self.source.function, error = %e, "stream checkpoint not saved");
        }
    }

    async fn invoke(&self, records: &[ChangeRecord]) -> Outcome {
        let mut event = match to_stream_event(records, &self.stream_arn, &self.region) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(function = %self.source.function, error = %e, "stream event not built");
                return Outcome::FailedAt(0);
            }
        };
        if !self.source.filters.is_empty() {
            // Filtered-out records are done with, as in Lambda; a batch left empty is not sent.
            if let Some(Value::Array(all)) = event.get_mut("Records") {
                all.retain(|r| self.source.filters.iter().any(|p| crate::filter::matches(p, r)));
                if all.is_empty() {
                    return Outcome::Done;
                }
            }
        }
        match (self.handler)(event).await {
            Err(e) => {
                tracing::warn!(function = %self.source.function, error = %e, "stream batch failed");
                Outcome::FailedAt(0)
            }
            Ok(_) if !self.source.report_failures => Outcome::Done,
            Ok(answer) => {
                let failed: Vec<String> = serde_json::from_value::<DynamoDbEventResponse>(answer)
                    .map(|r| r.batch_item_failures.into_iter().filter_map(|f| f.item_identifier).collect())
                    .unwrap_or_default();
                // Lambda retries from the earliest failed record; an unknown id fails the batch.
                match failed.iter().filter_map(|id| records.iter().position(|r| &r.sequence == id)).min() {
                    Some(i) => Outcome::FailedAt(i),
                    None if failed.is_empty() => Outcome::Done,
                    None => Outcome::FailedAt(0),
                }
            }
        }
    }

    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let feed = self.table.feed();
        let mut changes = self.table.subscribe();
        let mut position = self.load().or_else(|| match self.source.starting_position {
            StartingPosition::TrimHorizon => None,
            StartingPosition::Latest => Some(format!("{:020}", *changes.borrow())),
        });
        let mut attempt: u32 = 0;
        while !*stop.borrow() {
            let batch = match feed.read(position.as_deref(), self.source.batch_size).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(function = %self.source.function, error = %e, "stream read failed");
                    podcastflow_store::ChangeBatch::default()
                }
            };
            let records = batch.records;
            if records.is_empty() {
                tokio::select! {
                    _ = changes.changed() => {}
                    _ = stop.changed() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
            let done = match self.invoke(&records).await {
                Outcome::Done => {
                    attempt = 0;
                    records.len()
                }
                Outcome::FailedAt(i) => {
                    attempt += 1;
                    if self.source.max_retries.is_some_and(|max| attempt > max) {
                        tracing::error!(function = %self.source.function, attempts = attempt, "stream batch skipped after its retries");
                        attempt = 0;
                        records.len()
                    } else {
                        let backoff = Duration::from_millis(100u64 << attempt.min(7)).min(MAX_BACKOFF);
                        if i > 0 {
                            position = Some(records[i - 1].sequence.clone());
                            self.save(&records[i - 1].sequence);
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            _ = stop.changed() => {}
                        }
                        continue;
                    }
                }
            };
            let last = &records[done - 1].sequence;
            position = Some(last.clone());
            self.save(last);
        }
    }
}
