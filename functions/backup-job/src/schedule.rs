//! The hourly schedule: starts each organization's scheduled backup once per period (daily,
//! weekly, monthly, at the hour of its time zone) and deletes backups whose retention has passed
//! (their objects follow through the stream). Cost: one read per organization plus its backups
//! list, whatever the table holds.

use chrono::{DateTime, Utc};
use podcastflow_domain::UserId;
use podcastflow_domain::backup::{Backup, BackupSchedule};
use podcastflow_store::repo::backups::BackupRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::{RepoError, all_pages};
use serde::Serialize;

use crate::{BackupJobApp, JobError, tenant};

/// What one run of the schedule did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleReport {
    /// Organizations looked at.
    pub organizations: u32,
    /// Scheduled backups started.
    pub started: u32,
    /// Expired backups deleted.
    pub expired: u32,
}

/// Runs the schedule for the time `now`.
pub async fn run(app: &BackupJobApp, now: DateTime<Utc>) -> Result<ScheduleReport, JobError> {
    let mut report = ScheduleReport::default();
    let summaries = OrganizationRepo::new(app.ctx.table.as_ref(), &app.ctx.cursors).all().await?;
    for summary in summaries {
        report.organizations += 1;
        let org_table = app.ctx.org_table(&summary.id);
        let Some(org) = OrganizationRepo::new(org_table.as_ref(), &app.ctx.cursors).get(&summary.id).await? else {
            continue;
        };
        let t = tenant(app, org.id);
        let repo = BackupRepo::new(&t);
        if let Some(schedule) = org.settings.backup_schedule {
            // An unknown zone (the settings check only its shape) falls back to UTC.
            let tz: chrono_tz::Tz = org.settings.timezone.parse().unwrap_or(chrono_tz::UTC);
            if let Some((kind, period)) = schedule.due(now.with_timezone(&tz).naive_local()) {
                let b = Backup::queued(org.id, kind, UserId::SYSTEM, now);
                match repo.create_for_period(&b, &BackupSchedule::period_key(&org.id, kind, &period)).await {
                    Ok(()) => report.started += 1,
                    Err(RepoError::Taken(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let backups = all_pages(|cursor| {
            let repo = &repo;
            async move { repo.list(cursor.as_deref(), 100).await }
        })
        .await?;
        for b in backups.iter().filter(|b| b.expires_at.is_some_and(|at| at <= now.timestamp())) {
            match repo.delete(&b.id, b.stamp.version).await {
                Ok(()) => report.expired += 1,
                // Changed or gone meanwhile: the next hour looks again.
                Err(RepoError::VersionConflict { .. } | RepoError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(report)
}
