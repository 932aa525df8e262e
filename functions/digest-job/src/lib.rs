//! `digest-job`: the hourly EventBridge schedule that sends the daily digest.
//!
//! For every organization, each user who chose the daily digest (the sparse index of
//! `podcastflow_domain::notification::digest`) whose local time has reached 08:00 gets one
//! e-mail listing their unread notifications, once per local date: the day's marker is created
//! only if absent before the e-mail goes, and given back if sending fails, so the next hourly
//! run tries again. A user with nothing unread gets no e-mail that day; a disabled one none.

use chrono::{DateTime, Utc};
use lambda_http::{Error, LambdaEvent};
use podcastflow_domain::notification::digest;
use podcastflow_domain::user::UserStatus;
use podcastflow_domain::{OrgId, UserId};
use podcastflow_mail::{Mail, Message};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::notifications::NotificationRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::users::UserRepo;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// What the job needs, built once at init.
pub struct DigestJob {
    /// Table and cursors.
    pub ctx: AppContext,
    /// Where e-mail goes.
    pub mail: Arc<dyn Mail>,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestReport {
    /// The instant the run acted at.
    pub at: Option<DateTime<Utc>>,
    /// Organizations visited.
    pub organizations: u32,
    /// Digests e-mailed.
    pub sent: u32,
    /// Users whose digest was due with nothing unread (no e-mail).
    pub empty: u32,
    /// Digests whose e-mail failed (given back for the next run).
    pub failed: u32,
}

/// Handles one scheduled event.
pub async fn handle(job: &DigestJob, event: LambdaEvent<Value>) -> Result<DigestReport, Error> {
    let at = podcastflow_platform::scheduled::event_time(&event.payload);
    let report = run(job, at).await?;
    tracing::info!(?report, "digest job done");
    Ok(report)
}

/// Sends every digest due at `at`.
pub async fn run(job: &DigestJob, at: DateTime<Utc>) -> Result<DigestReport, RepoError> {
    let mut report = DigestReport { at: Some(at), ..DigestReport::default() };
    let orgs = OrganizationRepo::new(job.ctx.table.as_ref(), &job.ctx.cursors).all().await?;
    for org in &orgs {
        report.organizations += 1;
        digest_org(job, org.id, at, &mut report).await?;
    }
    Ok(report)
}

async fn digest_org(
    job: &DigestJob,
    org: OrgId,
    at: DateTime<Utc>,
    report: &mut DigestReport,
) -> Result<(), RepoError> {
    let t = TenantTable::new(job.ctx.tenants.for_org(&org), org, job.ctx.cursors.as_ref().clone());
    let users = UserRepo::new(&t, &job.ctx.cursors);
    for user in users.digest_subscribers(&org).await? {
        digest_user(job, &t, &users, user, at, report).await?;
    }
    Ok(())
}

async fn digest_user(
    job: &DigestJob,
    t: &TenantTable,
    users: &UserRepo<'_>,
    id: UserId,
    at: DateTime<Utc>,
    report: &mut DigestReport,
) -> Result<(), RepoError> {
    // The preferences are read again: the index may lag a change made since.
    let Some((user, prefs)) = users.with_preferences(t.org(), &id).await? else { return Ok(()) };
    if user.status == UserStatus::Disabled || !prefs.daily_digest {
        return Ok(());
    }
    let Some(date) = digest::due(&user.timezone, at) else { return Ok(()) };
    let notifications = NotificationRepo::new(t);
    if !notifications.claim_digest(&id, date, at).await? {
        return Ok(());
    }
    let page = notifications.list(&id, true, None, digest::MAX_ITEMS as u32).await?;
    let total = if page.cursor.is_some() { notifications.unread_count(&id).await? } else { page.items.len() };
    let Some((subject, body)) = digest::compose(&user.name, &page.items, total) else {
        report.empty += 1;
        return Ok(());
    };
    match job.mail.send(&Message { to: user.email.clone(), subject, body, ..Message::default() }).await {
        Ok(()) => report.sent += 1,
        Err(e) => {
            tracing::warn!(user = %id, error = %e, "digest e-mail failed; the next run retries");
            notifications.release_digest(&id, date).await?;
            report.failed += 1;
        }
    }
    Ok(())
}

impl podcastflow_wiring::EventFunction for DigestJob {
    type Event = Value;
    type Output = DigestReport;

    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        Ok(Self { ctx: deps.context().await?, mail: deps.mail().await? })
    }

    async fn handle(&self, event: LambdaEvent<Value>) -> Result<DigestReport, Error> {
        handle(self, event).await
    }
}

#[cfg(test)]
mod tests;
