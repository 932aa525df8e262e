//! Building an evidence export: the evidence objects of a campaign's episodes for a period,
//! gathered into one gzip JSON Lines file in the logs bucket.
//!
//! The delivery API stores the export (queued) and leaves a note under `exports/<orgId>/`; the
//! note's S3 event brings this function. Each evidence object of the campaign's episodes for
//! the UTC days around the period is read, its lines kept when their time falls in the period in
//! the organization's time zone, and written on in parts of a multipart upload. The export is
//! then completed with its counts and the note removed. A note heard twice finds the export no
//! longer queued and does nothing.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, BufWriter, Write};

use chrono::{Duration, Utc};
use chrono_tz::Tz;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use podcastflow_domain::delivery::evidence::{Decision, EvidenceExport, EvidenceLine, ExportStatus};
use podcastflow_domain::{EpisodeId, OrgId};
use podcastflow_objects::{ObjectError, Objects};
use podcastflow_store::repo::evidence::EvidenceRepo;
use podcastflow_store::repo::orders::OrderRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;

use crate::lines::{gzip_finish, gzip_writer};
use crate::{FileReport, IngestApp, RunError, after_failed_attempt, note_id};

/// Bytes of gzip per uploaded part (S3's least for a part that is not the last is 5 MiB).
const PART_BYTES: usize = 8 * 1024 * 1024;

/// The export named by the note `key`.
pub async fn build(app: &IngestApp, org: OrgId, key: &str) -> Result<FileReport, RunError> {
    let report = |outcome| FileReport { key: key.to_owned(), outcome, lines: 0 };
    let t = app.tenant(org);
    let objects = app.ctx.objects(&app.logs, &org).await?;
    let id = note_id(key);
    let repo = EvidenceRepo::new(&t);
    let Some(mut export) = repo.get(id).await? else {
        tracing::warn!(key, "no such evidence export: ignored");
        objects.delete(key).await?;
        return Ok(report("ignored"));
    };
    if export.status != ExportStatus::Queued {
        objects.delete(key).await?;
        return Ok(report("skipped"));
    }
    let built = gather(&t, &objects, &export).await;
    let (kept, dropped) = match built {
        Ok(counts) => counts,
        Err(e) => {
            tracing::error!(export = %export.id, error = %e, attempt = export.failed_attempts + 1, "evidence export not built");
            let last = export.attempt_failed(Utc::now());
            repo.save(&export).await?;
            after_failed_attempt(&objects, key, last, e).await?;
            return Ok(report("failed"));
        }
    };
    export.status = ExportStatus::Completed;
    export.kept = kept;
    export.dropped = dropped;
    export.object = Some(export.object_key());
    export.finished_at = Some(Utc::now());
    repo.save(&export).await?;
    objects.delete(key).await?;
    tracing::info!(export = %export.id, kept, dropped, "evidence export built");
    Ok(FileReport { key: key.to_owned(), outcome: "done", lines: kept + dropped })
}

/// Writes the export's file: its kept and dropped counts.
async fn gather(
    t: &podcastflow_store::TenantTable,
    objects: &Objects,
    export: &EvidenceExport,
) -> Result<(u64, u64), RunError> {
    let repo = EvidenceRepo::new(t);
    let zone: Tz = match OrganizationRepo::new(t, t.cursors()).get(t.org()).await? {
        Some(o) => o.settings.timezone.parse().unwrap_or(Tz::UTC),
        None => Tz::UTC,
    };
    let episodes = campaign_episodes(t, export).await?;
    let mut file = ExportFile::start(objects, export).await?;
    let (key, upload) = (file.key.clone(), file.upload.clone());
    let written = match write_lines(&repo, objects, export, zone, &episodes, &mut file).await {
        Ok(()) => file.finish().await,
        Err(e) => Err(e),
    };
    if written.is_err()
        && let Err(abort) = objects.abort_upload(&key, &upload).await
    {
        // The next attempt starts a file of its own; this one is left to the bucket's lifecycle.
        tracing::warn!(export = %export.id, error = %abort, "export upload not aborted");
    }
    written
}

/// Adds to `file` the evidence lines of `episodes` in the export's period.
async fn write_lines(
    repo: &EvidenceRepo<'_>,
    objects: &Objects,
    export: &EvidenceExport,
    zone: Tz,
    episodes: &BTreeSet<EpisodeId>,
    file: &mut ExportFile<'_>,
) -> Result<(), RunError> {
    // A zone's day spans parts of the UTC days either side of it.
    let (from, to) = (export.from - Duration::days(1), export.to + Duration::days(1));
    for episode in episodes {
        for chunk in repo.chunks(episode, from, to).await? {
            for (line, e) in evidence_lines(objects, &chunk.object).await? {
                let day = e.at.with_timezone(&zone).date_naive();
                if day >= export.from && day <= export.to {
                    file.add(&line, e.decision).await?;
                }
            }
        }
    }
    Ok(())
}

/// The lines of the evidence object `object`, each with what it says; none when the object has
/// expired with the bucket's lifecycle (the rest is still evidence). An unreadable line is
/// skipped, and a broken gzip read as far as it goes.
pub(crate) async fn evidence_lines(objects: &Objects, object: &str) -> Result<Vec<(String, EvidenceLine)>, RunError> {
    let bytes = match objects.read_all(object).await {
        Ok(b) => b,
        Err(ObjectError::NotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for line in BufReader::new(MultiGzDecoder::new(bytes.as_slice())).lines() {
        let Ok(line) = line else { break };
        if let Ok(e) = serde_json::from_str::<EvidenceLine>(&line) {
            out.push((line, e));
        }
    }
    Ok(out)
}

/// The episodes the campaign's orders book spots in.
async fn campaign_episodes(
    t: &podcastflow_store::TenantTable,
    export: &EvidenceExport,
) -> Result<BTreeSet<EpisodeId>, RunError> {
    let repo = OrderRepo::new(t);
    let mut out = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = repo.of_campaign(&export.campaign_id, cursor.as_deref(), 100).await?;
        out.extend(page.items.iter().flat_map(|o| o.lines.iter().map(|l| l.spot.episode_id)));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// The export's file, written as a multipart upload.
struct ExportFile<'a> {
    objects: &'a Objects,
    key: String,
    upload: String,
    parts: Vec<(i32, String)>,
    gzip: BufWriter<GzEncoder<Vec<u8>>>,
    kept: u64,
    dropped: u64,
}

impl<'a> ExportFile<'a> {
    async fn start(objects: &'a Objects, export: &EvidenceExport) -> Result<ExportFile<'a>, RunError> {
        let key = export.object_key();
        let upload = objects.start_upload(&key, "application/gzip").await?;
        let gzip = gzip_writer(Vec::with_capacity(PART_BYTES), Compression::default());
        Ok(ExportFile { objects, key, upload, parts: Vec::new(), gzip, kept: 0, dropped: 0 })
    }

    async fn add(&mut self, line: &str, decision: Decision) -> Result<(), RunError> {
        match decision {
            Decision::Kept => self.kept += 1,
            Decision::Dropped => self.dropped += 1,
        }
        let written = self.gzip.write_all(line.as_bytes()).and_then(|()| self.gzip.write_all(b"\n"));
        written.map_err(|e| ObjectError::Unavailable(e.to_string()))?;
        if self.gzip.get_ref().get_ref().len() >= PART_BYTES {
            let bytes = std::mem::take(self.gzip.get_mut().get_mut());
            self.part(bytes).await?;
        }
        Ok(())
    }

    async fn part(&mut self, bytes: Vec<u8>) -> Result<(), RunError> {
        let n = self.parts.len() as i32 + 1;
        let etag = self.objects.upload_part(&self.key, &self.upload, n, bytes).await?;
        self.parts.push((n, etag));
        Ok(())
    }

    /// Completes the file; its kept and dropped counts.
    async fn finish(mut self) -> Result<(u64, u64), RunError> {
        let gzip = std::mem::replace(&mut self.gzip, gzip_writer(Vec::new(), Compression::fast()));
        let rest = gzip_finish(gzip).map_err(|e| ObjectError::Unavailable(e.to_string()))?;
        self.part(rest).await?;
        self.objects.complete_upload(&self.key, &self.upload, &self.parts).await?;
        Ok((self.kept, self.dropped))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use podcastflow_domain::{CampaignId, UserId};
    use podcastflow_platform::AppContext;
    use podcastflow_store::embedded::EmbeddedTable;

    use super::*;

    #[tokio::test]
    async fn an_export_that_cannot_be_written_is_tried_three_times_then_failed() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec());
        // S3 is out: nothing answers there.
        let logs = Objects::local("http://127.0.0.1:9", "us-east-1", "key", "secret", "logs");
        let app = IngestApp { ctx, logs };
        let org = OrgId::new();
        let t = app.tenant(org);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let x = EvidenceExport::queued(org, CampaignId::new(), day, day, UserId::new(), Utc::now());
        EvidenceRepo::new(&t).create(&x).await.unwrap();
        for attempt in 1..=2 {
            assert!(build(&app, org, &x.note_key()).await.is_err(), "attempt {attempt} fails and is retried");
            let stored = EvidenceRepo::new(&t).get(&x.id).await.unwrap().unwrap();
            assert_eq!((stored.status, stored.failed_attempts), (ExportStatus::Queued, attempt));
        }
        // The last attempt fails the export; removing the note fails too, and a later event
        // finds the export no longer queued.
        let _ = build(&app, org, &x.note_key()).await;
        let stored = EvidenceRepo::new(&t).get(&x.id).await.unwrap().unwrap();
        assert_eq!((stored.status, stored.failed_attempts), (ExportStatus::Failed, 3));
        assert_eq!(stored.error.as_deref(), Some("not built after 3 attempts; ask for it again"));
        assert!(stored.object.is_none());
    }
}
