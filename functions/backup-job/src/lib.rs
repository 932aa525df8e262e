//! `backup-job`: runs what happens to backups outside a request. Hourly ([`schedule`], the
//! `podcastflow-backup-schedule` binary) it starts due scheduled backups and deletes expired
//! ones. The rest is driven by the table's stream
//! (filtered in template.yaml to backup records): a record created `queued` is exported
//! ([`export`]; one that runs short of time leaves a checkpoint on the record, whose change brings
//! the next invocation), a restore set `queued` on a record is run ([`restore`]), and a removed record
//! (deleted by an admin, or expired by its TTL under the retention rules) takes its objects in S3
//! with it.
//!
//! Each run claims its record first (a conditional write from `queued` to `running`), so a record
//! delivered twice runs once. Progress is written to the record as it goes, which the stream
//! turns into live updates on `org:backups`.

pub mod export;
mod lines;
pub mod restore;
pub mod schedule;

use aws_lambda_events::dynamodb::Event;
use lambda_http::{Error, LambdaEvent};
use podcastflow_domain::backup::{Backup, BackupStatus};
use podcastflow_domain::keys::{self, org_of_pk};
use podcastflow_domain::{BackupId, OrgId};
use podcastflow_objects::{ObjectError, Objects};
use podcastflow_platform::AppContext;
pub use podcastflow_platform::batch::{BatchResponse, ItemFailure};
use podcastflow_store::lambda_event::from_event_record;
use podcastflow_store::repo::RepoError;
use podcastflow_store::{ChangeRecord, Item, TenantTable};
use serde_json::Value;
use thiserror::Error;

/// What the job needs, built once at init.
pub struct BackupJobApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// The backups bucket.
    pub objects: Objects,
}

/// Why a run stopped.
#[derive(Debug, Error)]
pub enum JobError {
    /// The table failed.
    #[error(transparent)]
    Store(#[from] RepoError),
    /// S3 failed.
    #[error(transparent)]
    Objects(#[from] ObjectError),
    /// Writing or reading the compressed data failed.
    #[error("data: {0}")]
    Data(String),
}

impl From<podcastflow_store::StoreError> for JobError {
    fn from(e: podcastflow_store::StoreError) -> Self {
        JobError::Store(e.into())
    }
}

/// The tenant handle a job works through: confined to the backup's organization, and stamping
/// nothing, so restored items come back exactly as they were backed up.
pub(crate) fn tenant(app: &BackupJobApp, org: OrgId) -> TenantTable {
    TenantTable::new(app.ctx.tenants.for_org(&org), org, app.ctx.cursors.as_ref().clone())
}

/// What a stream record asks of the job.
#[derive(Debug, PartialEq, Eq)]
enum Work {
    Export(OrgId, BackupId),
    Restore(OrgId, BackupId),
    DeleteObjects(OrgId, BackupId),
}

fn backup_of(image: Option<&Item>) -> Option<Backup> {
    let image = image?;
    if image.get(keys::ENTITY).and_then(Value::as_str) != Some("backup") {
        return None;
    }
    serde_json::from_value(Value::Object(image.clone())).ok()
}

fn work(change: &ChangeRecord) -> Option<Work> {
    org_of_pk(&change.key.pk)?;
    match (backup_of(change.old_image.as_ref()), backup_of(change.new_image.as_ref())) {
        (Some(old), None) => Some(Work::DeleteObjects(old.org_id, old.id)),
        (_, Some(new)) if new.status == BackupStatus::Queued => Some(Work::Export(new.org_id, new.id)),
        // A paused export: its checkpoint was just written.
        (old, Some(new))
            if new.status == BackupStatus::Running
                && new.checkpoint.is_some()
                && old.as_ref().and_then(|o| o.checkpoint.as_ref()) != new.checkpoint.as_ref() =>
        {
            Some(Work::Export(new.org_id, new.id))
        }
        (_, Some(new)) if new.restore.as_ref().is_some_and(|r| r.status == BackupStatus::Queued) => {
            Some(Work::Restore(new.org_id, new.id))
        }
        _ => None,
    }
}

/// Handles one batch of stream records.
pub async fn handle(app: &BackupJobApp, event: LambdaEvent<Event>) -> Result<BatchResponse, Error> {
    let deadline = export::Deadline::from_epoch_ms(event.context.deadline);
    handle_with(app, event, deadline, export::PART_SIZE).await
}

/// [`handle`] with the deadline and part size given (tests make an export pause after a part).
pub async fn handle_with(
    app: &BackupJobApp,
    event: LambdaEvent<Event>,
    deadline: export::Deadline,
    part_size: usize,
) -> Result<BatchResponse, Error> {
    for r in &event.payload.records {
        let sequence = r.change.sequence_number.clone().unwrap_or_default();
        let Ok(change) = from_event_record(r) else { continue };
        let done = match work(&change) {
            None => Ok(()),
            // Boxed: these futures are deep, and the runtime's would otherwise nest them inline.
            Some(Work::Export(org, id)) => Box::pin(export::run_with(app, org, id, deadline, part_size)).await,
            Some(Work::Restore(org, id)) => Box::pin(restore::run(app, org, id)).await,
            Some(Work::DeleteObjects(org, id)) => delete_objects(app, org, id).await,
        };
        if let Err(e) = done {
            tracing::error!(%sequence, error = %e, "backup work failed; the batch resumes here");
            return Ok(BatchResponse::retry_from(sequence));
        }
    }
    Ok(BatchResponse::done())
}

/// Handles the hourly scheduled event (the `BackupScheduleFunction` binary).
pub async fn handle_schedule(app: &BackupJobApp, event: LambdaEvent<Value>) -> Result<schedule::ScheduleReport, Error> {
    let now = podcastflow_platform::scheduled::event_time(&event.payload);
    let report = schedule::run(app, now).await?;
    tracing::info!(?report, "backup schedule done");
    Ok(report)
}

/// Deletes a removed backup's objects (missing ones are fine: a failed export left none).
async fn delete_objects(app: &BackupJobApp, org: OrgId, id: BackupId) -> Result<(), JobError> {
    let objects = app.ctx.objects(&app.objects, &org).await?;
    objects.delete(&Backup::data_key(&org, &id)).await?;
    objects.delete(&Backup::manifest_key(&org, &id)).await?;
    tracing::info!(%org, backup = %id, "backup objects deleted");
    Ok(())
}

/// The backup schedule: the same app, answering the hourly EventBridge rule.
pub struct BackupSchedule(pub BackupJobApp);

impl podcastflow_wiring::EventFunction for BackupJobApp {
    type Event = Event;
    type Output = BatchResponse;

    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        Ok(Self { ctx: deps.context().await?, objects: deps.objects(podcastflow_wiring::Bucket::Backups).await? })
    }

    async fn handle(&self, event: LambdaEvent<Event>) -> Result<BatchResponse, Error> {
        handle(self, event).await
    }
}

impl podcastflow_wiring::EventFunction for BackupSchedule {
    type Event = Value;
    type Output = schedule::ScheduleReport;

    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        Ok(Self(<BackupJobApp as podcastflow_wiring::EventFunction>::build(deps).await?))
    }

    async fn handle(&self, event: LambdaEvent<Value>) -> Result<schedule::ScheduleReport, Error> {
        handle_schedule(&self.0, event).await
    }
}

#[cfg(test)]
mod tests;

/// Writes `b` changed by `change` as the system, conditional on the version read; the record as
/// stored, or `None` when someone else changed it first (another delivery claimed the run).
pub(crate) async fn save(
    t: &TenantTable,
    b: &Backup,
    change: impl FnOnce(&mut Backup),
) -> Result<Option<Backup>, JobError> {
    let mut next = b.clone();
    change(&mut next);
    next.stamp = b.stamp.touched(podcastflow_domain::UserId::SYSTEM, chrono::Utc::now());
    match podcastflow_store::repo::backups::BackupRepo::new(t).update(&next, b.stamp.version).await {
        Ok(()) => Ok(Some(next)),
        Err(RepoError::VersionConflict { .. } | RepoError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
