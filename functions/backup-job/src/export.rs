//! The export: every lasting item of the tenant, read shard by shard from the tenant index (cost
//! in proportion to the tenant, never a Scan), written as gzip JSON Lines with a multipart upload.
//! Memory stays bounded whatever the tenant's size: one page of items and one part. Each part is
//! a complete gzip member (the file is a valid multi-member gzip stream), so an export that runs
//! short of time stops after a part, leaves an [`ExportCheckpoint`] on the record, and the record's
//! change brings the next invocation, which goes on from there.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use flate2::Compression;
use flate2::write::GzEncoder;
use podcastflow_domain::backup::{Backup, BackupStatus, ExportCheckpoint, FORMAT_VERSION, Manifest, NOT_BACKED_UP};
use podcastflow_domain::keys::{self, Index, TENANT_SHARDS, tenant_index_pk};
use podcastflow_domain::{BackupId, OrgId};
use podcastflow_objects::Objects;
use podcastflow_store::repo::backups::BackupRepo;
use podcastflow_store::{Query, Table, TenantTable};
use serde_json::Value;

use crate::lines::checksum;
use crate::{BackupJobApp, JobError, save, tenant};

/// Compressed bytes per uploaded part (S3 wants at least 5 MiB for all but the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Items per page read from the tenant index.
const PAGE: u32 = 500;
/// Time kept in hand when pausing: enough to write one more part and the checkpoint.
pub const MARGIN: Duration = Duration::from_secs(120);

/// What an export produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Items per type.
    pub counts: BTreeMap<String, u64>,
    /// SHA-256 (hex) of the data object.
    pub sha256: String,
    /// Its size.
    pub size_bytes: u64,
}

/// How an export invocation ended.
#[derive(Debug)]
pub enum Step {
    /// The file is complete.
    Done(Exported),
    /// Out of time: go on from here in the next invocation.
    Paused(ExportCheckpoint),
}

/// When the invocation must hand over (Lambda's deadline less [`MARGIN`]); `None`: no limit.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Option<SystemTime>);

impl Deadline {
    /// From the Lambda context's deadline in epoch milliseconds (0 when there is none).
    pub fn from_epoch_ms(ms: u64) -> Self {
        Self((ms > 0).then(|| UNIX_EPOCH + Duration::from_millis(ms)))
    }

    fn near(&self) -> bool {
        self.0.is_some_and(|d| SystemTime::now() + MARGIN >= d)
    }
}

/// The backup record an export reports its progress on.
pub struct Progress<'a> {
    t: &'a TenantTable,
    backup: Backup,
}

impl Progress<'_> {
    /// Records that `shards` of the tenant index are done (the last tenth is the manifest).
    async fn shards_done(&mut self, shards: u32) -> Result<(), JobError> {
        let pct = u8::try_from(shards * 90 / TENANT_SHARDS).unwrap_or(90);
        if let Some(next) = save(self.t, &self.backup, |b| b.progress = pct).await? {
            self.backup = next;
        }
        Ok(())
    }
}

/// Items reach the encoder in blocks of this many bytes: flate2 zeroes its output buffer's spare
/// capacity on every write, and serde writes an item a few bytes at a time.
const GZIP_BLOCK: usize = 256 * 1024;

fn new_encoder() -> BufWriter<GzEncoder<Vec<u8>>> {
    BufWriter::with_capacity(GZIP_BLOCK, GzEncoder::new(Vec::new(), Compression::default()))
}

fn finish(encoder: BufWriter<GzEncoder<Vec<u8>>>) -> Result<Vec<u8>, JobError> {
    let encoder = encoder.into_inner().map_err(|e| JobError::Data(e.into_error().to_string()))?;
    encoder.finish().map_err(|e| JobError::Data(e.to_string()))
}

/// Streams the tenant's items into the data object from `from` (a checkpoint, or the start),
/// until done or until `deadline` is near at a part boundary. `part_size` is [`PART_SIZE`]
/// outside tests.
pub async fn export_items(
    t: &TenantTable,
    objects: &Objects,
    key: &str,
    progress: &mut Progress<'_>,
    from: Option<ExportCheckpoint>,
    deadline: Deadline,
    part_size: usize,
) -> Result<Step, JobError> {
    let mut at = match from {
        Some(c) => c,
        None => ExportCheckpoint {
            upload_id: objects.start_upload(key, "application/gzip").await?,
            parts: Vec::new(),
            shard: 0,
            start_after: None,
            counts: BTreeMap::new(),
            invocations: 0,
        },
    };
    at.invocations += 1;
    let upload = at.upload_id.clone();
    let result = async {
        let mut encoder = new_encoder();
        while at.shard < TENANT_SHARDS {
            let mut q = Query::partition(Index::Gsi5, tenant_index_pk(t.org(), at.shard)).limit(PAGE);
            q.start_after = at.start_after.clone();
            let out = t.query(&q).await?;
            for item in &out.items {
                let kind = item.get(keys::ENTITY).and_then(Value::as_str).unwrap_or("untyped");
                if NOT_BACKED_UP.contains(&kind) {
                    continue;
                }
                serde_json::to_writer(&mut encoder, item).map_err(|e| JobError::Data(e.to_string()))?;
                encoder.write_all(b"\n").map_err(|e| JobError::Data(e.to_string()))?;
                *at.counts.entry(kind.to_owned()).or_default() += 1;
            }
            match out.last_key {
                Some(last) => at.start_after = Some(last),
                None => {
                    at.shard += 1;
                    at.start_after = None;
                    progress.shards_done(at.shard).await?;
                }
            }
            if encoder.get_ref().get_ref().len() >= part_size {
                let bytes = finish(std::mem::replace(&mut encoder, new_encoder()))?;
                let number = i32::try_from(at.parts.len() + 1).unwrap_or(i32::MAX);
                let etag = objects.upload_part(key, &upload, number, bytes).await?;
                at.parts.push((number, etag));
                if at.shard < TENANT_SHARDS && deadline.near() {
                    return Ok(Step::Paused(at.clone()));
                }
            }
        }
        let bytes = finish(encoder)?;
        let number = i32::try_from(at.parts.len() + 1).unwrap_or(i32::MAX);
        let etag = objects.upload_part(key, &upload, number, bytes).await?;
        at.parts.push((number, etag));
        objects.complete_upload(key, &upload, &at.parts).await?;
        // The checksum is read back from the stored file, so it covers every invocation's parts.
        let (sha256, size_bytes) = checksum(objects, key).await?;
        Ok(Step::Done(Exported { counts: at.counts.clone(), sha256, size_bytes }))
    }
    .await;
    if result.is_err()
        && let Err(abort) = objects.abort_upload(key, &upload).await
    {
        tracing::warn!(error = %abort, "aborting the upload failed");
    }
    result
}

fn manifest(org: OrgId, id: BackupId, x: &Exported) -> Manifest {
    Manifest {
        format_version: FORMAT_VERSION,
        org_id: org,
        backup_id: id,
        created_at: Utc::now(),
        counts: x.counts.clone(),
        items: x.counts.values().sum(),
        sha256: x.sha256.clone(),
        size_bytes: x.size_bytes,
        encoding: "gzip JSON Lines".into(),
        key_schema: Index::ALL
            .iter()
            .flat_map(|i| {
                let (p, s) = i.attributes();
                [p.to_owned(), s.to_owned()]
            })
            .collect(),
    }
}

/// Runs a queued backup, or goes on with a paused one: claims it, exports, writes the manifest,
/// and records the outcome (or the checkpoint to go on from).
pub async fn run(app: &BackupJobApp, org: OrgId, id: BackupId, deadline: Deadline) -> Result<(), JobError> {
    run_with(app, org, id, deadline, PART_SIZE).await
}

/// [`run`] with a part size of the caller's (tests pause after small parts).
pub async fn run_with(
    app: &BackupJobApp,
    org: OrgId,
    id: BackupId,
    deadline: Deadline,
    part_size: usize,
) -> Result<(), JobError> {
    let t = tenant(app, org);
    let Some(b) = BackupRepo::new(&t).get(&id).await? else { return Ok(()) };
    // Claiming takes the checkpoint off the record, so only one invocation goes on from it.
    let (claimed, from) = match (b.status, b.checkpoint.clone()) {
        (BackupStatus::Queued, _) => (save(&t, &b, |b| b.status = BackupStatus::Running).await?, None),
        (BackupStatus::Running, Some(c)) => (save(&t, &b, |b| b.checkpoint = None).await?, Some(c)),
        _ => return Ok(()),
    };
    let Some(b) = claimed else { return Ok(()) };
    let key = Backup::data_key(&org, &id);
    let mut progress = Progress { t: &t, backup: b };
    let objects = app.ctx.objects(&app.objects, &org).await?;
    let step = export_items(&t, &objects, &key, &mut progress, from, deadline, part_size).await;
    let step = match step {
        Ok(Step::Done(x)) => {
            let json = serde_json::to_vec_pretty(&manifest(org, id, &x)).map_err(|e| JobError::Data(e.to_string()))?;
            let put = objects.put(&Backup::manifest_key(&org, &id), json, "application/json").await;
            put.map(|()| Step::Done(x)).map_err(JobError::from)
        }
        other => other,
    };
    // The outcome is recorded on whatever version is current now.
    let current = BackupRepo::new(&t).get(&id).await?.unwrap_or(progress.backup);
    match step {
        Ok(Step::Done(x)) => {
            save(&t, &current, |b| {
                b.status = BackupStatus::Completed;
                b.progress = 100;
                b.counts = x.counts;
                b.sha256 = Some(x.sha256);
                b.size_bytes = Some(x.size_bytes);
            })
            .await?;
            tracing::info!(%org, backup = %id, "backup completed");
        }
        Ok(Step::Paused(c)) => {
            tracing::info!(%org, backup = %id, invocations = c.invocations, "backup paused; the next invocation goes on");
            save(&t, &current, |b| b.checkpoint = Some(c)).await?;
        }
        // Whatever went wrong, the record says so (a store outage here fails the record instead,
        // and the stream delivers it again).
        Err(e) => {
            tracing::error!(%org, backup = %id, error = %e, "backup failed");
            save(&t, &current, |b| {
                b.status = BackupStatus::Failed;
                b.error = Some(e.to_string());
            })
            .await?;
            // The failed-backups alarm counts these (per organization in the metrics).
            app.ctx.telemetry.count(&org.to_string(), "backup.failed", 1);
        }
    }
    Ok(())
}
