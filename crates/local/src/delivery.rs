//! Delivers the embedded table's change feed to a function the way Lambda's DynamoDB event
//! source mapping does: batches of up to `BatchSize` records in feed order (so in order per
//! item), the next batch only after the previous one succeeded, a failing batch retried with
//! backoff (from the first reported failure with `ReportBatchItemFailures`), and skipped after
//! `MaximumRetryAttempts`. The position is checkpointed in the data dir, so a restart neither
//! loses nor repeats acknowledged records.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_lambda_events::event::streams::DynamoDbEventResponse;
use podcastflow_store::embedded::{EmbeddedTable, EncodedChange};
use podcastflow_store::lambda_event::{probe_encoded, to_stream_event};
use podcastflow_store::{ChangeRecord, StoreError};
use serde_json::Value;
use tokio::sync::watch;

use crate::functions::EventHandler;
use crate::template::{StartingPosition, StreamSource};

/// How often the position is saved while the filters empty every batch.
const SAVE_FILTERED_EVERY: Duration = Duration::from_secs(1);

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
    /// The image attributes the source's filters look at (`None`: filter full records).
    pub probed: Option<BTreeSet<String>>,
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

    /// The records the source's filters let through, judged on probes (the attributes the
    /// patterns look at, read from the stored record without decoding the rest) so a
    /// filtered-out record is never decoded whole.
    fn probe_filtered(&self, records: &[EncodedChange]) -> Option<Result<Vec<ChangeRecord>, StoreError>> {
        let attrs = self.probed.as_ref().filter(|_| !self.source.filters.is_empty())?;
        let mut kept = Vec::new();
        for r in records {
            let probe = probe_encoded(&r.bytes, attrs).ok()?;
            if self.source.filters.iter().any(|p| crate::filter::matches(p, &probe)) {
                kept.push(r.decode());
            }
        }
        Some(kept.into_iter().collect())
    }

    /// Invokes the function with the records of `batch` the filters let through; whether any
    /// were delivered.
    async fn invoke(&self, batch: &[EncodedChange]) -> (Outcome, bool) {
        let (decoded, filtered) = match self.probe_filtered(batch) {
            Some(Ok(kept)) if kept.is_empty() => return (Outcome::Done, false),
            Some(kept) => (kept, true),
            None => (batch.iter().map(EncodedChange::decode).collect(), false),
        };
        match decoded {
            Ok(records) => (self.deliver(&records, batch, filtered).await, true),
            Err(e) => {
                tracing::error!(function = %self.source.function, error = %e, "stream record not decoded");
                (Outcome::FailedAt(0), true)
            }
        }
    }

    /// Sends `records`, of `batch`, to the function (`filtered`: the probes already chose them).
    async fn deliver(&self, records: &[ChangeRecord], batch: &[EncodedChange], filtered: bool) -> Outcome {
        let mut event = match to_stream_event(records, &self.stream_arn, &self.region) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(function = %self.source.function, error = %e, "stream event not built");
                return Outcome::FailedAt(0);
            }
        };
        if !filtered && !self.source.filters.is_empty() {
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
                // Positions are in the whole batch, whose earlier records the filters may have left out.
                match failed.iter().filter_map(|id| batch.iter().position(|r| &r.sequence == id)).min() {
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
        let mut saved = Instant::now();
        while !*stop.borrow() {
            let records = match feed.read_encoded(position.as_deref(), self.source.batch_size).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(function = %self.source.function, error = %e, "stream read failed");
                    Vec::new()
                }
            };
            if records.is_empty() {
                tokio::select! {
                    _ = changes.changed() => {}
                    _ = stop.changed() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
            let (outcome, delivered) = self.invoke(&records).await;
            let done = match outcome {
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
            // A batch the filters emptied is saved at most once a second: repeating it after a
            // crash filters it out again, and a write burst's filtered records stay cheap.
            if delivered || saved.elapsed() >= SAVE_FILTERED_EVERY {
                self.save(last);
                saved = Instant::now();
            }
        }
    }
}
