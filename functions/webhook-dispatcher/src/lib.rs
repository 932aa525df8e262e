//! `webhook-dispatcher`: the every-minute EventBridge schedule that sends webhook deliveries.
//!
//! For every organization it reads the deliveries due by the event's time (the sparse due index
//! of `podcastflow_domain::webhook::delivery`), soonest first, and sends each through
//! `podcastflow_dispatch::attempt`: claimed first (so overlapping runs, or an admin's
//! redelivery, never send one twice at once), signed, posted with a 5 s timeout, recorded, and
//! retried on the schedule (1 min, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h, with a tenth of jitter)
//! until a 2xx or the eighth attempt. An endpoint whose deliveries all failed for three days is
//! turned off (the change stream tells the admins); its pending deliveries are kept `skipped`
//! for a replay. A delivery whose endpoint was deleted is dropped.
//!
//! Deliveries of one endpoint go out side by side, in no promised order (as the Standard Webhooks
//! specification allows): `occurredAt` orders them. The first attempt of a new event waits for
//! the next run, so within about a minute.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use lambda_http::{Error, LambdaEvent};
use podcastflow_dispatch::{AttemptError, Outcome, Sender};
use podcastflow_domain::webhook::delivery::DeliveryStatus;
use podcastflow_domain::webhook::endpoint::WebhookEndpoint;
use podcastflow_domain::{OrgId, WebhookId};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::webhooks::WebhookRepo;
use serde::Serialize;
use serde_json::Value;

/// Due deliveries read at once per organization.
pub const BATCH: u32 = 100;

/// Deliveries sent at once.
pub const CONCURRENCY: usize = 16;

/// A run stops taking new batches after this, so it ends before the next one starts.
pub const RUN_BUDGET: Duration = Duration::from_secs(45);

/// What the job needs, built once at init.
pub struct Dispatcher {
    /// Table and cursors.
    pub ctx: AppContext,
    /// Sends the deliveries.
    pub sender: Sender,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DispatchReport {
    /// The instant the run acted at.
    pub at: Option<DateTime<Utc>>,
    /// Organizations visited.
    pub organizations: u32,
    /// Attempts made.
    pub sent: u32,
    /// Attempts answered 2xx.
    pub succeeded: u32,
    /// Deliveries that failed their last attempt.
    pub failed: u32,
    /// Deliveries kept unsent because their endpoint is turned off.
    pub skipped: u32,
    /// Deliveries another run (or an admin) was sending.
    pub taken: u32,
    /// Endpoints turned off by this run.
    pub disabled: u32,
    /// Deliveries dropped because their endpoint was deleted.
    pub dropped: u32,
}

/// Handles one scheduled event.
pub async fn handle(job: &Dispatcher, event: LambdaEvent<Value>) -> Result<DispatchReport, Error> {
    let at = podcastflow_platform::scheduled::event_time(&event.payload);
    let report = run(job, at).await?;
    tracing::info!(?report, "webhook dispatch done");
    Ok(report)
}

/// Sends every delivery due at `at`.
pub async fn run(job: &Dispatcher, at: DateTime<Utc>) -> Result<DispatchReport, AttemptError> {
    let started = Instant::now();
    let mut report = DispatchReport { at: Some(at), ..DispatchReport::default() };
    let orgs = OrganizationRepo::new(job.ctx.table.as_ref(), &job.ctx.cursors).all().await?;
    for org in &orgs {
        report.organizations += 1;
        dispatch_org(job, org.id, at, started, &mut report).await?;
    }
    Ok(report)
}

async fn dispatch_org(
    job: &Dispatcher,
    org: OrgId,
    at: DateTime<Utc>,
    started: Instant,
    report: &mut DispatchReport,
) -> Result<(), AttemptError> {
    let t = TenantTable::new(job.ctx.tenants.for_org(&org), org, job.ctx.cursors.as_ref().clone());
    let repo = WebhookRepo::new(&t);
    let mut endpoints: Option<HashMap<WebhookId, WebhookEndpoint>> = None;
    loop {
        let due = repo.due(&org, at, BATCH).await?;
        if due.is_empty() {
            return Ok(());
        }
        let full = due.len() as u32 == BATCH;
        // Read once per organization and run: at most 20, one Query.
        if endpoints.is_none() {
            endpoints = Some(repo.list(&org).await?.into_iter().map(|e| (e.id, e)).collect());
        }
        let known = endpoints.clone().unwrap_or_default();
        let results: Vec<Result<Step, AttemptError>> = stream::iter(due)
            .map(|d| {
                let (repo, known) = (&repo, &known);
                async move {
                    let Some(e) = known.get(&d.endpoint_id) else {
                        repo.forget_delivery(&d).await?;
                        return Ok(Step::Dropped);
                    };
                    let (outcome, disabled) = podcastflow_dispatch::attempt(repo, &job.sender, e, d, at).await?;
                    Ok(Step::Done(outcome, disabled))
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut turned_off = false;
        for r in results {
            match r? {
                Step::Dropped => report.dropped += 1,
                Step::Done(Outcome::Taken, _) => report.taken += 1,
                Step::Done(Outcome::Skipped(_), _) => report.skipped += 1,
                Step::Done(Outcome::Sent(d), disabled) => {
                    report.sent += 1;
                    match d.status {
                        DeliveryStatus::Succeeded => report.succeeded += 1,
                        DeliveryStatus::Failed => report.failed += 1,
                        _ => {}
                    }
                    if disabled {
                        report.disabled += 1;
                        turned_off = true;
                    }
                }
            }
        }
        if turned_off {
            // The rest of this organization's due deliveries see the endpoint as it is now.
            endpoints = None;
        }
        if !full || started.elapsed() > RUN_BUDGET {
            return Ok(());
        }
    }
}

/// What became of one due delivery.
enum Step {
    Done(Outcome, bool),
    Dropped,
}

impl podcastflow_wiring::EventFunction for Dispatcher {
    type Event = Value;
    type Output = DispatchReport;

    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        let rules = podcastflow_dispatch::rules_of(deps.setting(podcastflow_dispatch::DESTINATIONS_SETTING).as_deref());
        Ok(Self { ctx: deps.context().await?, sender: Sender::new(rules)? })
    }

    async fn handle(&self, event: LambdaEvent<Value>) -> Result<DispatchReport, Error> {
        handle(self, event).await
    }
}

#[cfg(test)]
mod tests;
