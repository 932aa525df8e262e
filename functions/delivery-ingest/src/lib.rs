//! `delivery-ingest`: counts each CDN log file that lands in the logs bucket, once.
//!
//! A CDN delivers an organization's logs under `logs/<orgId>/` (CloudFront standard logs, gzip,
//! or the JSON Lines format of docs/delivery-logs.md). Each new object's S3 event brings one
//! invocation, which claims the file ([`podcastflow_store::repo::delivery::DeliveryRepo::claim_file`]:
//! a file read to its end before is skipped, so an event delivered twice counts once) and reads
//! it in chunks ([`ingest`]). When the invocation's time runs short it saves its checkpoint and
//! writes a small continuation object under `continuations/<orgId>/`, whose own S3 event brings
//! the next invocation to go on from there.

pub mod export;
pub mod ingest;
pub mod lines;

use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use aws_lambda_events::s3::S3Event;
use chrono::Utc;
use lambda_http::{Error, LambdaEvent};
use podcastflow_domain::OrgId;
use podcastflow_domain::delivery::records::{self, LogFile, LogFileStatus};
use podcastflow_objects::{ObjectError, Objects};
use podcastflow_platform::AppContext;
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::delivery::{DeliveryRepo, FileClaim};
use podcastflow_store::repo::organizations::OrganizationRepo;
use serde::{Deserialize, Serialize};

use futures::StreamExt;
use podcastflow_domain::delivery::evidence::EvidenceChunk;
use podcastflow_store::repo::evidence::EvidenceRepo;

use crate::ingest::{CHUNK_LINES, Counter, Evidence, IngestError};
use crate::lines::Lines;

/// Where organizations' logs land: `logs/<orgId>/...`.
pub const LOGS_PREFIX: &str = "logs/";
/// Where a paused read leaves the note that brings its continuation.
pub const CONTINUATIONS_PREFIX: &str = "continuations/";
/// Where the delivery API leaves the note that asks for an evidence export.
pub const EXPORTS_PREFIX: &str = "exports/";

/// Evidence objects written at once.
const EVIDENCE_WRITES: usize = 8;

/// Stop reading this long before the invocation's deadline.
const MARGIN: StdDuration = StdDuration::from_secs(60);

/// What the function needs, built once at init.
pub struct IngestApp {
    /// Table, tenant sessions and cursors.
    pub ctx: AppContext,
    /// The logs bucket (read through each organization's tenant session).
    pub logs: Objects,
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Counting failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// S3 failed.
    #[error(transparent)]
    Objects(#[from] ObjectError),
}

impl From<RepoError> for RunError {
    fn from(e: RepoError) -> Self {
        RunError::Ingest(e.into())
    }
}

/// When an invocation must stop (none: never).
#[derive(Debug, Clone, Copy, Default)]
pub struct Deadline(pub Option<SystemTime>);

impl Deadline {
    /// From the Lambda context's deadline in epoch milliseconds (0: none).
    pub fn from_epoch_ms(ms: u64) -> Self {
        Self((ms > 0).then(|| UNIX_EPOCH + StdDuration::from_millis(ms)))
    }

    fn near(&self) -> bool {
        self.0.is_some_and(|d| SystemTime::now() + MARGIN >= d)
    }
}

/// The note a paused read leaves: the file to go on with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    /// The log file's key in the logs bucket.
    pub key: String,
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The object key.
    pub key: String,
    /// `done`, `paused`, `skipped` (read before) or `ignored` (not an organization's log).
    pub outcome: &'static str,
    /// Lines read so far.
    pub lines: u64,
}

/// What an object the function hears of is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A log file, under `logs/<orgId>/`.
    Log,
    /// A continuation note, under `continuations/<orgId>/`: it names the log to go on with.
    Continuation,
    /// An evidence export's request note, under `exports/<orgId>/<exportId>.json`.
    Export,
}

/// The organization whose object `key` is, and what it is.
pub fn org_of(key: &str) -> Option<(OrgId, Heard)> {
    let (rest, heard) = if let Some(r) = key.strip_prefix(LOGS_PREFIX) {
        (r, Heard::Log)
    } else if let Some(r) = key.strip_prefix(CONTINUATIONS_PREFIX) {
        (r, Heard::Continuation)
    } else {
        (key.strip_prefix(EXPORTS_PREFIX)?, Heard::Export)
    };
    let (org, _) = rest.split_once('/')?;
    Some((org.parse().ok()?, heard))
}

/// S3 event keys are URL-encoded, spaces as `+`.
fn decode_key(key: &str) -> String {
    percent_encoding::percent_decode_str(&key.replace('+', " ")).decode_utf8_lossy().into_owned()
}

impl IngestApp {
    pub(crate) fn tenant(&self, org: OrgId) -> TenantTable {
        TenantTable::new(self.ctx.tenants.for_org(&org), org, self.ctx.cursors.as_ref().clone())
    }

    /// Reads the file (or continuation note) `key` of `bucket`.
    pub async fn file(&self, bucket: &str, key: &str, deadline: Deadline) -> Result<FileReport, RunError> {
        self.file_in_chunks(bucket, key, deadline, CHUNK_LINES).await
    }

    /// [`IngestApp::file`] in chunks of `chunk_lines` (tests make a file pause after each).
    pub async fn file_in_chunks(
        &self,
        bucket: &str,
        key: &str,
        deadline: Deadline,
        chunk_lines: usize,
    ) -> Result<FileReport, RunError> {
        let ignored = FileReport { key: key.to_owned(), outcome: "ignored", lines: 0 };
        let Some((org, heard)) = org_of(key) else {
            tracing::warn!(key, "not under logs/<orgId>/: ignored");
            return Ok(ignored);
        };
        if heard == Heard::Export {
            return export::build(self, org, key).await;
        }
        let continuation = heard == Heard::Continuation;
        let t = self.tenant(org);
        let table = self.ctx.org_table(&org);
        let Some(organization) = OrganizationRepo::new(table.as_ref(), &self.ctx.cursors).get(&org).await? else {
            tracing::warn!(key, %org, "no such organization: ignored");
            return Ok(ignored);
        };
        let objects = self.ctx.objects(&self.logs, &org).await?;
        let log_key = if continuation {
            let note = objects.read_all(key).await?;
            match serde_json::from_slice::<Continuation>(&note) {
                Ok(c) if org_of(&c.key) == Some((org, Heard::Log)) => c.key,
                _ => {
                    tracing::warn!(key, "unreadable continuation: ignored");
                    return Ok(ignored);
                }
            }
        } else {
            key.to_owned()
        };
        let repo = DeliveryRepo::new(&t);
        let mut file = match repo.claim_file(bucket, &log_key, Utc::now()).await? {
            FileClaim::Done(f) => {
                return Ok(FileReport { key: log_key, outcome: "skipped", lines: f.lines_done });
            }
            FileClaim::Read(f) => f,
        };
        file.invocations += 1;
        let mut counter = Counter::new(&t, &organization).await?;
        let paused = read(&objects, &log_key, &mut counter, &mut file, &t, deadline, chunk_lines.max(1)).await?;
        if paused {
            let note = serde_json::to_vec(&Continuation { key: log_key.clone() }).unwrap_or_default();
            let note_key = format!("{}{}.json", records::continuations_prefix(&org), file.id);
            objects.put(&note_key, note, "application/json").await?;
            tracing::info!(key = %log_key, lines = file.lines_done, "paused; a continuation goes on");
            return Ok(FileReport { key: log_key, outcome: "paused", lines: file.lines_done });
        }
        if continuation {
            objects.delete(key).await?;
        }
        tracing::info!(key = %log_key, lines = file.lines_done, counts = ?file.counts, "log file read");
        Ok(FileReport { key: log_key, outcome: "done", lines: file.lines_done })
    }
}

/// Reads `key` from its checkpoint to its end (`false`) or until `deadline` is near (`true`),
/// saving the checkpoint after every chunk.
async fn read(
    objects: &Objects,
    key: &str,
    counter: &mut Counter<'_>,
    file: &mut LogFile,
    t: &TenantTable,
    deadline: Deadline,
    chunk_lines: usize,
) -> Result<bool, RunError> {
    let repo = DeliveryRepo::new(t);
    let mut reader = objects.get(key).await?;
    let mut lines = Lines::new();
    let mut seen: u64 = 0;
    let mut chunk: Vec<String> = Vec::with_capacity(chunk_lines);
    let mut ended = false;
    while !ended {
        let next = match reader.next().await? {
            Some(bytes) => lines.push(&bytes),
            None => {
                ended = true;
                lines.finish()
            }
        };
        let got = match next {
            Ok(l) => l,
            Err(e) => {
                // A file that is not what it says (a broken gzip) is read as far as it goes.
                tracing::warn!(key, error = %e, "the rest of the file is unreadable");
                *file.counts.bad_lines.entry("unreadable file".into()).or_default() += 1;
                ended = true;
                Vec::new()
            }
        };
        for line in got {
            seen += 1;
            if seen <= file.lines_done {
                counter.skip(&line);
                continue;
            }
            chunk.push(line);
            if chunk.len() >= chunk_lines {
                let evidence = counter.count(&chunk, file).await?;
                store_evidence(objects, t, &file.id, file.lines_done, evidence).await?;
                file.lines_done += chunk.len() as u64;
                chunk.clear();
                *file = repo.save_file(file).await?;
                if deadline.near() {
                    return Ok(true);
                }
            }
        }
    }
    let evidence = counter.count(&chunk, file).await?;
    store_evidence(objects, t, &file.id, file.lines_done, evidence).await?;
    file.lines_done += chunk.len() as u64;
    file.status = LogFileStatus::Done;
    file.finished_at = Some(Utc::now());
    *file = repo.save_file(file).await?;
    Ok(false)
}

/// Stores a chunk's evidence (the chunk of `file` from line `first_line`): each object, then
/// its index item; a replayed chunk writes the same keys again.
async fn store_evidence(
    objects: &Objects,
    t: &TenantTable,
    file: &str,
    first_line: u64,
    evidence: Vec<Evidence>,
) -> Result<(), RunError> {
    let repo = EvidenceRepo::new(t);
    let writes: Vec<_> = evidence
        .into_iter()
        .map(|e| {
            let repo = &repo;
            async move {
                let (object, key) = EvidenceChunk::locate(t.org(), &e.episode, e.day, file, first_line);
                let chunk =
                    EvidenceChunk { episode_id: e.episode, day: e.day, object, kept: e.kept, dropped: e.dropped };
                let bytes = e.finish().map_err(|e| ObjectError::Unavailable(e.to_string()))?;
                objects.put(&chunk.object, bytes, "application/gzip").await?;
                repo.record_chunk(&key, &chunk).await?;
                Ok::<_, RunError>(())
            }
        })
        .collect();
    let mut writes = futures::stream::iter(writes).buffer_unordered(EVIDENCE_WRITES);
    while let Some(done) = writes.next().await {
        done?;
    }
    Ok(())
}

/// Handles one S3 event: each object it names.
pub async fn handle(app: &IngestApp, event: LambdaEvent<S3Event>) -> Result<Vec<FileReport>, Error> {
    let deadline = Deadline::from_epoch_ms(event.context.deadline);
    handle_with(app, event, deadline, CHUNK_LINES).await
}

/// [`handle`] with the deadline and chunk size given (tests make every chunk the last one an
/// invocation has time for).
pub async fn handle_with(
    app: &IngestApp,
    event: LambdaEvent<S3Event>,
    deadline: Deadline,
    chunk_lines: usize,
) -> Result<Vec<FileReport>, Error> {
    let mut reports = Vec::new();
    for r in &event.payload.records {
        let (Some(bucket), Some(key)) = (r.s3.bucket.name.as_deref(), r.s3.object.key.as_deref()) else { continue };
        let key = decode_key(key);
        match app.file_in_chunks(bucket, &key, deadline, chunk_lines).await {
            Ok(report) => reports.push(report),
            // An outage: the invocation fails and S3's asynchronous invocation retries it; the
            // checkpoint keeps what was counted.
            Err(e) => {
                tracing::error!(key = %key, error = %e, "log file not read");
                return Err(e.into());
            }
        }
    }
    Ok(reports)
}

impl podcastflow_wiring::EventFunction for IngestApp {
    type Event = S3Event;
    type Output = Vec<FileReport>;

    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        Ok(Self { ctx: deps.context().await?, logs: deps.objects(podcastflow_wiring::Bucket::Logs).await? })
    }

    async fn handle(&self, event: LambdaEvent<S3Event>) -> Result<Vec<FileReport>, Error> {
        handle(self, event).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use podcastflow_store::embedded::EmbeddedTable;

    use super::*;

    #[tokio::test]
    async fn the_sample_event_of_an_unknown_organization_is_ignored_not_failed() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec());
        // Never reached: the organization is looked up first.
        let logs = Objects::local("http://127.0.0.1:9", "us-east-1", "key", "secret", "logs");
        let app = IngestApp { ctx, logs };
        let raw = include_str!("../../../events/delivery-ingest/log-created.json");
        let event: S3Event = serde_json::from_str(raw).unwrap();
        let reports = handle(&app, LambdaEvent::new(event, lambda_http::Context::default())).await.unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].outcome, "ignored");
        assert!(reports[0].key.starts_with("logs/01JD0000000000000000000001/"));
    }

    #[test]
    fn keys_name_their_organization() {
        let org = OrgId::new();
        assert_eq!(org_of(&format!("logs/{org}/E2X.2026-12-07-08.abc.gz")), Some((org, Heard::Log)));
        assert_eq!(org_of(&format!("continuations/{org}/abc.json")), Some((org, Heard::Continuation)));
        assert_eq!(org_of(&format!("exports/{org}/01X.json")), Some((org, Heard::Export)));
        assert_eq!(org_of(&format!("evidence/{org}/x.jsonl.gz")), None);
        assert_eq!(org_of("logs/not-an-org/x.gz"), None);
        assert_eq!(org_of(&format!("other/{org}/x.gz")), None);
        assert_eq!(org_of(&format!("logs/{org}")), None);
        assert_eq!(decode_key("logs/a/b+c%2Bd.gz"), "logs/a/b c+d.gz");
    }
}
