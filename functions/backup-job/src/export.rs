//! The export: every lasting item of the tenant, read shard by shard from the tenant index (cost
//! in proportion to the tenant, never a Scan), written as gzip JSON Lines with a multipart upload.
//! Memory stays bounded whatever the tenant's size: one page of items and one part (each part is
//! a complete gzip member, so the file is a valid multi-member gzip stream).

use std::collections::BTreeMap;
use std::io::Write;

use chrono::Utc;
use flate2::Compression;
use flate2::write::GzEncoder;
use podcastflow_domain::backup::{Backup, BackupStatus, FORMAT_VERSION, Manifest, NOT_BACKED_UP};
use podcastflow_domain::keys::{self, Index, TENANT_SHARDS, tenant_index_pk};
use podcastflow_domain::{BackupId, OrgId};
use podcastflow_objects::Objects;
use podcastflow_store::repo::backups::BackupRepo;
use podcastflow_store::{Query, Table, TenantTable};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{BackupJobApp, JobError, save, tenant};

/// Compressed bytes per uploaded part (S3 wants at least 5 MiB for all but the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Items per page read from the tenant index.
const PAGE: u32 = 500;

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

/// Compressed data on its way to S3 in parts.
struct Upload<'a> {
    objects: &'a Objects,
    key: String,
    id: String,
    parts: Vec<(i32, String)>,
    encoder: GzEncoder<Vec<u8>>,
    hasher: Sha256,
    size: u64,
}

impl Upload<'_> {
    fn write_item(&mut self, item: &podcastflow_store::Item) -> Result<(), JobError> {
        let data = |e: std::io::Error| JobError::Data(e.to_string());
        serde_json::to_writer(&mut self.encoder, item).map_err(|e| JobError::Data(e.to_string()))?;
        self.encoder.write_all(b"\n").map_err(data)
    }

    /// Ends the current gzip member and uploads it as the next part.
    async fn flush_part(&mut self) -> Result<(), JobError> {
        let encoder = std::mem::replace(&mut self.encoder, GzEncoder::new(Vec::new(), Compression::default()));
        let bytes = encoder.finish().map_err(|e| JobError::Data(e.to_string()))?;
        self.hasher.update(&bytes);
        self.size += bytes.len() as u64;
        let number = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        let etag = self.objects.upload_part(&self.key, &self.id, number, bytes).await?;
        self.parts.push((number, etag));
        Ok(())
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

/// Streams the tenant's items into the data object, reporting each shard done.
pub async fn export_items(
    t: &TenantTable,
    objects: &Objects,
    key: &str,
    progress: &mut Progress<'_>,
) -> Result<Exported, JobError> {
    let id = objects.start_upload(key, "application/gzip").await?;
    let mut up = Upload {
        objects,
        key: key.to_owned(),
        id,
        parts: Vec::new(),
        encoder: GzEncoder::new(Vec::new(), Compression::default()),
        hasher: Sha256::new(),
        size: 0,
    };
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let result = async {
        for shard in 0..TENANT_SHARDS {
            let mut q = Query::partition(Index::Gsi5, tenant_index_pk(t.org(), shard)).limit(PAGE);
            loop {
                let out = t.query(&q).await?;
                for item in &out.items {
                    let kind = item.get(keys::ENTITY).and_then(Value::as_str).unwrap_or("untyped");
                    if NOT_BACKED_UP.contains(&kind) {
                        continue;
                    }
                    up.write_item(item)?;
                    *counts.entry(kind.to_owned()).or_default() += 1;
                }
                if up.encoder.get_ref().len() >= PART_SIZE {
                    up.flush_part().await?;
                }
                match out.last_key {
                    Some(last) => q.start_after = Some(last),
                    None => break,
                }
            }
            progress.shards_done(shard + 1).await?;
        }
        up.flush_part().await?;
        objects.complete_upload(&up.key, &up.id, &up.parts).await?;
        Ok::<_, JobError>(())
    }
    .await;
    if let Err(e) = result {
        if let Err(abort) = objects.abort_upload(&up.key, &up.id).await {
            tracing::warn!(error = %abort, "aborting the upload failed");
        }
        return Err(e);
    }
    let sha256 = format!("{:x}", up.hasher.finalize());
    Ok(Exported { counts, sha256, size_bytes: up.size })
}

/// Runs a queued backup: claims it, exports, writes the manifest, and records the outcome.
pub async fn run(app: &BackupJobApp, org: OrgId, id: BackupId) -> Result<(), JobError> {
    let t = tenant(app, org);
    let Some(b) = BackupRepo::new(&t).get(&id).await? else { return Ok(()) };
    if b.status != BackupStatus::Queued {
        return Ok(());
    }
    let Some(b) = save(&t, &b, |b| b.status = BackupStatus::Running).await? else { return Ok(()) };
    let key = Backup::data_key(&org, &id);
    let mut progress = Progress { t: &t, backup: b };
    let exported = export_items(&t, &app.objects, &key, &mut progress).await;
    let b = progress.backup;
    let outcome = match exported {
        Ok(x) => {
            let total = x.counts.values().sum();
            let manifest = Manifest {
                format_version: FORMAT_VERSION,
                org_id: org,
                backup_id: id,
                created_at: Utc::now(),
                counts: x.counts.clone(),
                items: total,
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
            };
            let json = serde_json::to_vec_pretty(&manifest).map_err(|e| JobError::Data(e.to_string()))?;
            app.objects
                .put(&Backup::manifest_key(&org, &id), json, "application/json")
                .await
                .map(|()| x)
                .map_err(JobError::from)
        }
        Err(e) => Err(e),
    };
    // The outcome is recorded on whatever version is current now.
    let current = BackupRepo::new(&t).get(&id).await?.unwrap_or(b);
    match outcome {
        Ok(x) => {
            save(&t, &current, |b| {
                b.status = BackupStatus::Completed;
                b.progress = 100;
                b.counts = x.counts;
                b.sha256 = Some(x.sha256);
                b.size_bytes = Some(x.size_bytes);
            })
            .await?;
            tracing::info!(%org, backup = %id, "backup completed");
            Ok(())
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
            Ok(())
        }
    }
}
