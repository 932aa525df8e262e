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
pub mod recount;

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

use crate::ingest::{CHUNK_LINES, Evidence, IngestError, Judge, Judged, Ledgers};
use crate::lines::Lines;

/// Where organizations' logs land: `logs/<orgId>/...`.
pub const LOGS_PREFIX: &str = "logs/";
/// Where a paused read leaves the note that brings its continuation.
pub const CONTINUATIONS_PREFIX: &str = "continuations/";
/// Where the delivery API leaves the note that asks for an evidence export.
pub const EXPORTS_PREFIX: &str = "exports/";
/// Where the delivery API leaves the note that asks for a recount.
pub const RECOUNTS_PREFIX: &str = "recounts/";

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

    pub(crate) fn near(&self) -> bool {
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
    /// A recount's note, under `recounts/<orgId>/<recountId>.json`.
    Recount,
}

/// The organization whose object `key` is, and what it is.
pub fn org_of(key: &str) -> Option<(OrgId, Heard)> {
    let (rest, heard) = if let Some(r) = key.strip_prefix(LOGS_PREFIX) {
        (r, Heard::Log)
    } else if let Some(r) = key.strip_prefix(CONTINUATIONS_PREFIX) {
        (r, Heard::Continuation)
    } else if let Some(r) = key.strip_prefix(RECOUNTS_PREFIX) {
        (r, Heard::Recount)
    } else {
        (key.strip_prefix(EXPORTS_PREFIX)?, Heard::Export)
    };
    let (org, _) = rest.split_once('/')?;
    Some((org.parse().ok()?, heard))
}

/// The id a request note names by its file name (`exports/<orgId>/<id>.json`).
pub(crate) fn note_id(key: &str) -> &str {
    key.rsplit('/').next().and_then(|n| n.strip_suffix(".json")).unwrap_or_default()
}

/// After a failed attempt at what the note `key` asks for (the attempt already saved): the
/// invocation fails with `e`, so S3's asynchronous invocation tries again, unless it was the
/// `last` attempt, after which the note goes.
pub(crate) async fn after_failed_attempt(
    objects: &Objects,
    key: &str,
    last: bool,
    e: RunError,
) -> Result<(), RunError> {
    if !last {
        return Err(e);
    }
    objects.delete(key).await?;
    Ok(())
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
        match heard {
            Heard::Export => return export::build(self, org, key).await,
            Heard::Recount => return recount::run(self, org, key, deadline).await,
            Heard::Log | Heard::Continuation => {}
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
        let (mut judge, ledgers) = ingest::rules(&t, &organization).await?;
        let mut source = LineSource::new(&log_key, objects.get(&log_key).await?, file.lines_done);
        let chunk_lines = chunk_lines.max(1);
        let paused = read(&mut source, &mut judge, &ledgers, &objects, &mut file, deadline, chunk_lines).await?;
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

/// Reads the file from its checkpoint to its end (`false`) or until `deadline` is near (`true`),
/// saving the checkpoint after every chunk. While one chunk's ledgers, evidence and checkpoint
/// are written, the next chunk is read and judged: on one vCPU the judging fills the time the
/// table takes to answer. A chunk judged when the deadline comes is dropped; the continuation
/// reads it again from the checkpoint.
async fn read(
    source: &mut LineSource,
    judge: &mut Judge<'_>,
    ledgers: &Ledgers<'_>,
    objects: &Objects,
    file: &mut LogFile,
    deadline: Deadline,
    chunk_lines: usize,
) -> Result<bool, RunError> {
    let mut behind = None;
    loop {
        let next = async {
            let (chunk, unreadable) = source.next_chunk(judge, chunk_lines).await?;
            let mut judged = judge.judge(&chunk).await?;
            if unreadable {
                *judged.counts.bad_lines.entry("unreadable file".into()).or_default() += 1;
            }
            Ok::<_, RunError>((judged, source.ended()))
        };
        let (judged, ended) = match behind.take() {
            None => next.await?,
            Some(write) => {
                let (written, next) = tokio::join!(write, next);
                *file = written?;
                if deadline.near() {
                    return Ok(true);
                }
                next?
            }
        };
        let write = write_chunk(ledgers, objects, file.clone(), judged, ended);
        if ended {
            *file = write.await?;
            return Ok(false);
        }
        behind = Some(Box::pin(write));
    }
}

/// Writes a judged chunk of `file`: its listeners' ledgers and its evidence, then the
/// checkpoint after it (the file done when it is the `last`). The file as saved.
async fn write_chunk(
    ledgers: &Ledgers<'_>,
    objects: &Objects,
    mut file: LogFile,
    judged: Judged,
    last: bool,
) -> Result<LogFile, RunError> {
    let t = ledgers.table();
    let Judged { kept, evidence, counts, lines } = judged;
    let (written, stored) =
        tokio::join!(ledgers.write(kept), store_evidence(objects, t, &file.id, file.lines_done, evidence));
    written?;
    stored?;
    file.lines_done += lines;
    file.counts.add(counts);
    if last {
        file.status = LogFileStatus::Done;
        file.finished_at = Some(Utc::now());
    }
    Ok(DeliveryRepo::new(t).save_file(&file).await?)
}

/// A log file's lines, in chunks; those before the checkpoint are only skipped.
struct LineSource {
    key: String,
    reader: podcastflow_objects::Reader,
    lines: Lines,
    ready: std::vec::IntoIter<String>,
    ended: bool,
    seen: u64,
    skip_until: u64,
}

impl LineSource {
    fn new(key: &str, reader: podcastflow_objects::Reader, lines_done: u64) -> Self {
        LineSource {
            key: key.to_owned(),
            reader,
            lines: Lines::new(),
            ready: Vec::new().into_iter(),
            ended: false,
            seen: 0,
            skip_until: lines_done,
        }
    }

    /// Whether every line has been handed out.
    fn ended(&self) -> bool {
        self.ended && self.ready.as_slice().is_empty()
    }

    /// The next `n` lines after the checkpoint (fewer at the end), and whether the rest of the
    /// file turned out unreadable (a broken gzip is read as far as it goes).
    async fn next_chunk(&mut self, judge: &mut Judge<'_>, n: usize) -> Result<(Vec<String>, bool), RunError> {
        let mut chunk = Vec::with_capacity(n);
        loop {
            for line in self.ready.by_ref() {
                self.seen += 1;
                if self.seen <= self.skip_until {
                    judge.skip(&line);
                    continue;
                }
                chunk.push(line);
                if chunk.len() >= n {
                    return Ok((chunk, false));
                }
            }
            if self.ended {
                return Ok((chunk, false));
            }
            let next = match self.reader.next().await? {
                Some(bytes) => self.lines.push(&bytes),
                None => {
                    self.ended = true;
                    self.lines.finish()
                }
            };
            match next {
                Ok(got) => self.ready = got.into_iter(),
                Err(e) => {
                    tracing::warn!(key = %self.key, error = %e, "the rest of the file is unreadable");
                    self.ended = true;
                    return Ok((chunk, true));
                }
            }
        }
    }
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
        assert_eq!(org_of(&format!("recounts/{org}/01X.json")), Some((org, Heard::Recount)));
        assert_eq!(org_of(&format!("evidence/{org}/x.jsonl.gz")), None);
        assert_eq!(org_of("logs/not-an-org/x.gz"), None);
        assert_eq!(org_of(&format!("other/{org}/x.gz")), None);
        assert_eq!(org_of(&format!("logs/{org}")), None);
        assert_eq!(decode_key("logs/a/b+c%2Bd.gz"), "logs/a/b c+d.gz");
        assert_eq!(note_id(&format!("recounts/{org}/01X.json")), "01X");
        assert_eq!(note_id("exports/o/x.txt"), "");
    }
}
