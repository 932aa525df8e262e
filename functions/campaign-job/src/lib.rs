//! `campaign-job`: the daily EventBridge schedule that moves campaigns along by the calendar.
//!
//! For every organization: won campaigns whose start date has come go live, live campaigns whose
//! end date has passed complete (the automatic edges of
//! `podcastflow_domain::campaign::transitions`). Each move is the same conditional write as an
//! API transition, with a history entry by the system, so running twice (or alongside a person)
//! moves each campaign once. "Today" is each organization's calendar date (its time zone) at the
//! event's scheduled time: the schedule runs hourly, so every organization's day is acted on soon
//! after its midnight.
//!
//! Each run also marks the active holds expiring within the next 24 hours whose owner was not yet
//! told of that expiry; the change stream sends them `hold.expiring` (one Query per organization).
//! And it marks each host read's deadline notices that have come (24 hours before a deadline and
//! when it passes, each once: `podcastflow_domain::ad_read::deadlines`); the change stream sends
//! `adread.deadline`. An aircheck not in by its deadline flags the read `aircheckMissing`.
//!
//! Once a day, at 07:00 in each organization's zone, it paces the booked lines ([`pacing`]).

pub mod pacing;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use lambda_http::{Error, LambdaEvent};
use podcastflow_domain::ad_read::deadlines::{DeadlineKind, Stage};
use podcastflow_domain::campaign::transitions::{Actor, automatic_next, transition};
use podcastflow_domain::campaign::{Campaign, CampaignStatus};
use podcastflow_domain::inventory::hold;
use podcastflow_domain::{OrgId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::campaigns::{CampaignList, CampaignRepo, ListSource};
use podcastflow_store::repo::inventory::InventoryRepo;
use podcastflow_store::repo::{RepoError, all_pages};
use serde::Serialize;
use serde_json::Value;

/// What the job needs, built once at init.
pub struct CampaignJob {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReport {
    /// The instant the run acted at (each organization's date is taken in its time zone).
    pub at: Option<DateTime<Utc>>,
    /// Organizations visited.
    pub organizations: u32,
    /// Campaigns moved from won to live.
    pub started: u32,
    /// Campaigns moved from live to completed.
    pub completed: u32,
    /// Campaigns another writer moved first.
    pub skipped: u32,
    /// Holds whose owners are told they expire within a day.
    pub holds_noticed: u32,
    /// Host read deadline notices marked (each read once per run, however many came due).
    pub read_notices: u32,
    /// Pacing alerts raised.
    pub pacing_alerts: u32,
}

/// Handles one scheduled event.
pub async fn handle(job: &CampaignJob, event: LambdaEvent<Value>) -> Result<JobReport, Error> {
    // The scheduled time, or now when invoked by hand without one.
    let at = podcastflow_platform::scheduled::event_time(&event.payload);
    let report = run(job, at, &event.context.request_id).await?;
    tracing::info!(?report, "campaign job done");
    Ok(report)
}

/// Moves every organization's due campaigns for its date at `at`; `request_id` is written on
/// the items it changes, as an API request's id would be. One read of each organization's record
/// (its time zone) besides its campaigns.
pub async fn run(job: &CampaignJob, at: DateTime<Utc>, request_id: &str) -> Result<JobReport, RepoError> {
    let mut report = JobReport { at: Some(at), ..JobReport::default() };
    for org in job.ctx.organizations().await? {
        report.organizations += 1;
        advance_org(job, org.id, org.settings.today(at), request_id, &mut report).await?;
        notice_expiring_holds(job, org.id, at, request_id, &mut report).await?;
        tell_read_deadlines(job, org.id, at, request_id, &mut report).await?;
        if at.with_timezone(&org.settings.zone()).hour() == pacing::PACING_HOUR {
            report.pacing_alerts += pacing::pace(&tenant(job, org.id, request_id), org.settings.today(at)).await?;
        }
    }
    Ok(report)
}

/// `org`'s table as the job writes it, with the run's request id on every item it changes.
fn tenant(job: &CampaignJob, org: OrgId, request_id: &str) -> TenantTable {
    job.ctx.job_tenant(&org, request_id)
}

/// Every campaign of one status whose start date is at most `until` (all of them without one).
async fn in_status(
    repo: &CampaignRepo<'_>,
    status: CampaignStatus,
    until: Option<NaiveDate>,
) -> Result<Vec<Campaign>, RepoError> {
    let range = until.and_then(|u| NaiveDate::from_ymd_opt(1, 1, 1).map(|first| (first, u)));
    let list = CampaignList { source: ListSource::Status(status), start_range: range, descending: false };
    all_pages(|cursor| {
        let list = &list;
        async move { repo.list(list, cursor.as_deref(), 100).await }
    })
    .await
}

async fn advance_org(
    job: &CampaignJob,
    org: OrgId,
    today: NaiveDate,
    request_id: &str,
    report: &mut JobReport,
) -> Result<(), RepoError> {
    let t = tenant(job, org, request_id);
    let repo = CampaignRepo::new(&t);
    // Won campaigns can only have started if their start date is today or earlier; every live one
    // is looked at, since the index orders them by start, not end.
    let mut due = in_status(&repo, CampaignStatus::Won, Some(today)).await?;
    due.extend(in_status(&repo, CampaignStatus::Live, None).await?);
    let now = Utc::now();
    for c in due.into_iter().filter(|c| !c.archived) {
        let Some(to) = automatic_next(c.status, &c.guard_facts(), today) else { continue };
        // The daily job moves campaigns through the same operation as the API.
        let Ok(moved) = transition(&c, to, Actor::System, UserId::SYSTEM, None, now, today) else { continue };
        match repo.transition(&moved.campaign, c.stamp.version, &moved.entry).await {
            Ok(()) if to == CampaignStatus::Live => report.started += 1,
            Ok(()) => report.completed += 1,
            // Someone else moved or edited it since it was read: the next run looks again.
            Err(RepoError::VersionConflict { .. } | RepoError::NotFound | RepoError::Conflict(_)) => {
                report.skipped += 1
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Marks the holds of `org` that expire within a day of `at` and whose owner was not told yet.
async fn notice_expiring_holds(
    job: &CampaignJob,
    org: OrgId,
    at: DateTime<Utc>,
    request_id: &str,
    report: &mut JobReport,
) -> Result<(), RepoError> {
    let t = tenant(job, org, request_id);
    let inventory = InventoryRepo::new(&t);
    let until = at + chrono::Duration::hours(hold::EXPIRY_NOTICE_HOURS);
    for h in inventory.holds_expiring(at, until).await? {
        if hold::notice_pending(&h, at) && inventory.mark_expiry_noticed(&h, Utc::now()).await? {
            report.holds_noticed += 1;
        }
    }
    Ok(())
}

/// Marks the deadline notices of `org`'s host reads that have come by `at` (one Query of the
/// reads with a notice due, then one write per read).
async fn tell_read_deadlines(
    job: &CampaignJob,
    org: OrgId,
    at: DateTime<Utc>,
    request_id: &str,
    report: &mut JobReport,
) -> Result<(), RepoError> {
    let t = tenant(job, org, request_id);
    let repo = AdReadRepo::new(&t);
    let due = all_pages(|cursor| {
        let repo = &repo;
        async move { repo.notices_due(at, cursor.as_deref(), 100).await }
    })
    .await?;
    for r in due {
        let marked = repo
            .modify(&r.id, UserId::SYSTEM, Utc::now(), |r| {
                let notices = r.deadlines.due_notices(&r.notices, at);
                for n in &notices {
                    if n.kind == DeadlineKind::Aircheck && n.stage == Stage::Due && r.aircheck.is_none() {
                        r.aircheck_missing = true;
                    }
                    r.notices.push(n.name());
                }
                !notices.is_empty()
            })
            .await?;
        report.read_notices += u32::from(marked.is_some());
    }
    Ok(())
}

impl podcastflow_wiring::EventFunction for CampaignJob {
    type Event = Value;
    type Output = JobReport;

    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        Ok(Self { ctx: deps.context().await? })
    }

    async fn handle(&self, event: LambdaEvent<Value>) -> Result<JobReport, Error> {
        handle(self, event).await
    }
}

#[cfg(test)]
mod tests;
