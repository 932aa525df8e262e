//! `stream`: every committed write of the table, as DynamoDB Streams delivers it, through the
//! change processors (docs/architecture.md section 6). Handlers never audit inline: this is where it
//! happens, so it cannot be forgotten.
//!
//! Processors: **realtime** (each change posted to the connections following its topics, rendered
//! per reader; see [`realtime`]), **activity** (one audit record per change of an audited entity, actor from
//! `updatedBy`, changed fields with secrets redacted, request id, 90 days) and **notifications**
//! (the rules of `podcastflow_domain::notification::rules`, in-app, never to the actor; e-mailed
//! by priority and preference, at most once per notification), **makegoods** (an episode
//! cancelled gives back its held spots and flags its booked order lines `needsMakegood`) and
//! **ad reads** (a booked order makes its host reads; see [`ad_reads`]) and **webhooks** (one
//! delivery per subscribed endpoint of each business event; see [`webhooks`]). Each is
//! idempotent: a record delivered twice yields the same activity and notification ids, written
//! once.
//!
//! A batch is processed in order; the first record that fails on an outage is reported as the
//! batch item failure (Lambda's `ReportBatchItemFailures`), so delivery resumes from it and nothing
//! after it is lost. Records that are not audited are skipped and counted. A restore's own writes
//! pass every processor by ([`made_by_restore`]): the backup job records the restore as one
//! activity entry, and what it put back was already known to everyone.

mod activity;
mod ad_reads;
mod makegoods;
mod notify;
pub mod readers;
pub mod realtime;
mod webhooks;

use aws_lambda_events::dynamodb::Event;
use lambda_http::{Error, LambdaEvent};
use podcastflow_domain::backup::made_by_restore;
use podcastflow_platform::AppContext;
pub use podcastflow_platform::batch::{BatchResponse, ItemFailure};
use podcastflow_store::lambda_event::from_event_record;
use std::time::Duration;
use tracing::Instrument;

/// What the function needs, built once at init.
pub struct StreamApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// Where notification e-mail goes (SES in AWS, the outbox locally).
    pub mail: std::sync::Arc<dyn podcastflow_mail::Mail>,
    /// Live updates go out through the WebSocket API's `@connections`.
    pub push: std::sync::Arc<dyn podcastflow_push::Push>,
    /// Live readers' current standing.
    pub readers: readers::ReaderCache,
}

impl StreamApp {
    /// The app on its dependencies, with nothing yet known of any reader.
    pub fn new(
        ctx: AppContext,
        mail: std::sync::Arc<dyn podcastflow_mail::Mail>,
        push: std::sync::Arc<dyn podcastflow_push::Push>,
    ) -> Self {
        Self { ctx, mail, push, readers: readers::ReaderCache::default() }
    }
}

/// What a batch did, for the log line.
#[derive(Debug, Default)]
struct Counts {
    recorded: u32,
    notified: u32,
    skipped: u32,
    restored: u32,
    unreadable: u32,
    delivered: u32,
    gone: u32,
    undelivered: u32,
}

/// Processes one batch of stream records.
pub async fn handle(app: &StreamApp, event: LambdaEvent<Event>) -> Result<BatchResponse, Error> {
    let mut counts = Counts::default();
    let oldest = event.payload.records.iter().map(|r| r.change.approximate_creation_date_time).min();
    let age = oldest.map_or(Duration::ZERO, |at| (chrono::Utc::now() - at).to_std().unwrap_or_default());
    for (i, r) in event.payload.records.iter().enumerate() {
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
        if made_by_restore(change.old_image.as_ref(), change.new_image.as_ref()) {
            counts.restored += 1;
            continue;
        }
        // Both processors are idempotent, so a record retried after one of them failed is safe.
        // Live updates first: they are what a person waits for.
        // The id of the request that wrote it, so these lines join that request's.
        let rid = change
            .new_image
            .as_ref()
            .or(change.old_image.as_ref())
            .and_then(|i| i.get("requestId"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let span = tracing::info_span!("change", requestId = %rid, %sequence, pk = %change.key.pk, sk = %change.key.sk);
        let done = async {
            let fanout = realtime::fan_out(app, &change).await?;
            let recorded = activity::record(app, &change).await?;
            let notified = notify::notify(app, &change).await?;
            makegoods::on_change(app, &change).await?;
            ad_reads::on_change(app, &change).await?;
            let hooks = webhooks::enqueue(app, &change).await?;
            if hooks > 0 {
                tracing::info!(deliveries = hooks, "webhook deliveries made");
            }
            Ok::<_, podcastflow_store::repo::RepoError>((fanout, recorded, notified))
        };
        match done.instrument(span.clone()).await {
            Ok((fanout, recorded, notified)) => {
                span.in_scope(|| {
                    tracing::info!(
                        kind = ?change.kind,
                        recorded,
                        notified,
                        delivered = fanout.delivered,
                        "change processed"
                    );
                });
                counts.recorded += u32::from(recorded);
                counts.skipped += u32::from(!recorded);
                counts.notified += notified;
                counts.delivered += fanout.delivered;
                counts.gone += fanout.gone;
                counts.undelivered += fanout.failed;
            }
            Err(e) => {
                span.in_scope(|| tracing::error!(error = %e, "a processor failed; the batch resumes here"));
                let left = (event.payload.records.len() - i) as u64;
                app.ctx.telemetry.record_stream(age, left);
                return Ok(BatchResponse::retry_from(sequence));
            }
        }
    }
    app.ctx.telemetry.record_stream(age, 0);
    tracing::info!(
        recorded = counts.recorded,
        skipped = counts.skipped,
        restored = counts.restored,
        notified = counts.notified,
        unreadable = counts.unreadable,
        delivered = counts.delivered,
        gone = counts.gone,
        undelivered = counts.undelivered,
        "batch done"
    );
    Ok(BatchResponse::done())
}

impl podcastflow_wiring::EventFunction for StreamApp {
    type Event = Event;
    type Output = BatchResponse;

    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        Ok(Self::new(deps.context().await?, deps.mail().await?, deps.push().await?))
    }

    async fn handle(&self, event: LambdaEvent<Event>) -> Result<BatchResponse, Error> {
        handle(self, event).await
    }
}

#[cfg(test)]
mod tests;
