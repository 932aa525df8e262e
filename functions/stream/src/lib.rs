//! `stream`: every committed write of the table, as DynamoDB Streams delivers it, through the
//! change processors (ARCHITECTURE section 5). Handlers never audit inline: this is where it
//! happens, so it cannot be forgotten.
//!
//! Processors: **realtime** (each change posted to the connections following its topics, rendered
//! per reader; see [`realtime`]), **activity** (one audit record per change of an audited entity, actor from
//! `updatedBy`, changed fields with secrets redacted, request id, 90 days) and **notifications**
//! (the rules of `podcastflow_domain::notification::rules`, in-app, never to the actor; e-mailed
//! by priority and preference, at most once per notification). Each is
//! idempotent: a record delivered twice yields the same activity and notification ids, written
//! once.
//!
//! A batch is processed in order; the first record that fails on an outage is reported as the
//! batch item failure (Lambda's `ReportBatchItemFailures`), so delivery resumes from it and nothing
//! after it is lost. Records that are not audited are skipped and counted.

mod activity;
mod notify;
pub mod realtime;

use aws_lambda_events::dynamodb::Event;
use lambda_http::{Error, LambdaEvent};
use podcastflow_platform::AppContext;
pub use podcastflow_platform::batch::{BatchResponse, ItemFailure};
use podcastflow_store::lambda_event::from_event_record;

/// What the function needs, built once at init.
pub struct StreamApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// Where notification e-mail goes (SES in AWS, the outbox locally).
    pub mail: std::sync::Arc<dyn podcastflow_mail::Mail>,
    /// Live updates go out through the WebSocket API's `@connections`.
    pub push: std::sync::Arc<dyn podcastflow_push::Push>,
}

/// What a batch did, for the log line.
#[derive(Debug, Default)]
struct Counts {
    recorded: u32,
    notified: u32,
    skipped: u32,
    unreadable: u32,
    delivered: u32,
    gone: u32,
    undelivered: u32,
}

/// Processes one batch of stream records.
pub async fn handle(app: &StreamApp, event: LambdaEvent<Event>) -> Result<BatchResponse, Error> {
    let mut counts = Counts::default();
    for r in &event.payload.records {
        let sequence = r.change.sequence_number.clone().unwrap_or_default();
        let change = match from_event_record(r) {
            Ok(c) => c,
            Err(e) => {
                // A record this code cannot read will not become readable by retrying it.
                tracing::warn!(%sequence, error = %e, "unreadable stream record skipped");
                counts.unreadable += 1;
                continue;
            }
        };
        // Both processors are idempotent, so a record retried after one of them failed is safe.
        // Live updates first: they are what a person waits for.
        let done = async {
            let fanout = realtime::fan_out(app, &change).await?;
            let recorded = activity::record(app, &change).await?;
            let notified = notify::notify(app, &change).await?;
            Ok::<_, podcastflow_store::repo::RepoError>((fanout, recorded, notified))
        };
        match done.await {
            Ok((fanout, recorded, notified)) => {
                counts.recorded += u32::from(recorded);
                counts.skipped += u32::from(!recorded);
                counts.notified += notified;
                counts.delivered += fanout.delivered;
                counts.gone += fanout.gone;
                counts.undelivered += fanout.failed;
            }
            Err(e) => {
                tracing::error!(%sequence, error = %e, "a processor failed; the batch resumes here");
                return Ok(BatchResponse::retry_from(sequence));
            }
        }
    }
    tracing::info!(
        recorded = counts.recorded,
        skipped = counts.skipped,
        notified = counts.notified,
        unreadable = counts.unreadable,
        delivered = counts.delivered,
        gone = counts.gone,
        undelivered = counts.undelivered,
        "batch done"
    );
    Ok(BatchResponse::done())
}

#[cfg(test)]
mod tests;
