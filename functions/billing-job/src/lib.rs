//! `billing-job`: the hourly EventBridge schedule of billing.
//!
//! - **Monthly drafts.** From each organization's invoice day (`settings.billing.invoiceDay`, in
//!   its time zone) until they are done, every booked or completed order gets its invoice for the
//!   billing month that ended last in its calendar (the calendar month before, or the broadcast
//!   month that ended on the last Sunday), drafted the one way an admin drafts by hand
//!   (`podcastflow_invoicing::drafting`). A month of a line is claimed once, so a run that stops
//!   half way is finished by the next one and nothing is billed twice; once every order was
//!   drafted the month is marked done and later runs skip it.
//! - **Overdue.** Every run, each issued or partially paid invoice whose due date has passed with
//!   a balance becomes overdue (`Invoice::mark_overdue`), a versioned write by the system; the
//!   change stream tells the admins and sellers.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lambda_http::{Error, LambdaEvent};
use podcastflow_domain::billing::invoice::InvoiceStatus;
use podcastflow_domain::billing::period::BillingMonth;
use podcastflow_domain::order::{Order, OrderStatus};
use podcastflow_domain::organization::Organization;
use podcastflow_domain::{OrgId, UserId};
use podcastflow_invoicing::drafting::{DraftFailure, draft_order};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::repo::billing::BillingRepo;
use podcastflow_store::repo::orders::OrderRepo;
use podcastflow_store::repo::{RepoError, all_pages};
use serde::Serialize;
use serde_json::Value;

/// What the job needs, built once at init.
pub struct BillingJob {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReport {
    /// The instant the run acted at.
    pub at: Option<DateTime<Utc>>,
    /// Organizations visited.
    pub organizations: u32,
    /// Invoices drafted.
    pub drafted: u32,
    /// Orders whose month was already billed (an earlier run, or an admin by hand).
    pub already_billed: u32,
    /// Orders that could not be drafted (each logged with why).
    pub refused: u32,
    /// Invoices marked overdue.
    pub overdue: u32,
}

/// Handles one scheduled event.
pub async fn handle(job: &BillingJob, event: LambdaEvent<Value>) -> Result<JobReport, Error> {
    let at = podcastflow_platform::scheduled::event_time(&event.payload);
    let report = run(job, at, &event.context.request_id).await?;
    tracing::info!(?report, "billing job done");
    Ok(report)
}

/// One run at `at` over every organization; `request_id` is written on the items it changes.
pub async fn run(job: &BillingJob, at: DateTime<Utc>, request_id: &str) -> Result<JobReport, RepoError> {
    let mut report = JobReport { at: Some(at), ..JobReport::default() };
    for org in job.ctx.organizations().await? {
        report.organizations += 1;
        let t = job.ctx.job_tenant(&org.id, request_id);
        let today = org.settings.today(at);
        draft_month(&t, &org, at, today, &mut report).await?;
        mark_overdue(&t, org.id, today, &mut report).await?;
    }
    Ok(report)
}

/// The billing month `order` is drafted for on `today`: the last one of its calendar that ended.
pub fn month_to_bill(order: &Order, today: NaiveDate) -> BillingMonth {
    BillingMonth::containing(order.billing_calendar, today).previous()
}

async fn draft_month(
    t: &TenantTable,
    org: &Organization,
    at: DateTime<Utc>,
    today: NaiveDate,
    report: &mut JobReport,
) -> Result<(), RepoError> {
    let repo = BillingRepo::new(t);
    if u32::from(org.settings.billing.invoice_day) > today.day()
        || repo.drafts_done(today.year(), today.month()).await?
    {
        return Ok(());
    }
    let orders = OrderRepo::new(t);
    let all = all_pages(|c| {
        let orders = &orders;
        async move { orders.list(c.as_deref(), 100).await }
    })
    .await?;
    let mut drafted = 0;
    for o in all.iter().filter(|o| matches!(o.status, OrderStatus::Booked | OrderStatus::Completed)) {
        match draft_order(t, o, month_to_bill(o, today), UserId::SYSTEM, at, today).await {
            Ok(Some(_)) => drafted += 1,
            Ok(None) => {}
            Err(DraftFailure::AlreadyBilled) => report.already_billed += 1,
            Err(DraftFailure::Repo(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(order = %o.id, number = %o.number, error = %e, "order not drafted");
                report.refused += 1;
            }
        }
    }
    report.drafted += drafted;
    repo.mark_drafts_done(today.year(), today.month(), drafted).await
}

async fn mark_overdue(t: &TenantTable, org: OrgId, today: NaiveDate, report: &mut JobReport) -> Result<(), RepoError> {
    let repo = BillingRepo::new(t);
    let now = Utc::now();
    for status in [InvoiceStatus::Issued, InvoiceStatus::PartiallyPaid] {
        let open = all_pages(|c| {
            let repo = &repo;
            async move { repo.in_status(status, c.as_deref(), 100).await }
        })
        .await?;
        for i in open {
            let mut next = i.clone();
            if !next.mark_overdue(today) {
                continue;
            }
            next.stamp = i.stamp.touched(UserId::SYSTEM, now);
            match repo.save(&next, i.stamp.version).await {
                Ok(()) => report.overdue += 1,
                // A payment landed since it was read: the next run judges it again.
                Err(RepoError::VersionConflict { .. }) => {
                    tracing::info!(%org, invoice = %i.id, "invoice changed while marking it overdue")
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

impl podcastflow_wiring::EventFunction for BillingJob {
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
