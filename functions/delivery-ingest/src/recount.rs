//! Running a recount (`podcastflow_domain::delivery::recount`): every listener's ledger still
//! kept, counted again under the organization's current window, with the difference written to
//! the rollups.
//!
//! The delivery API stores the recount (queued) and leaves a note under `recounts/<orgId>/`;
//! the note's S3 event brings this function. The listeners to count again come from the
//! evidence: per episode (in id order) and UTC day since the ledgers' reach, the listeners of
//! the requests kept that day. Their ledgers are read and written through the ingest's own
//! [`Ledgers::write`], so a recount racing the ingest of a late file for one listener is read
//! again and recounted like two ingests. After each day the recount saves where it stands; near
//! the deadline it leaves its note again, whose new event goes on from there.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Utc};
use podcastflow_domain::OrgId;
use podcastflow_domain::delivery::evidence::{Decision, EvidenceChunk};
use podcastflow_domain::delivery::recount::{Recount, RecountPosition};
use podcastflow_domain::organization::Organization;
use podcastflow_objects::Objects;
use podcastflow_store::TenantTable;
use podcastflow_store::repo::evidence::EvidenceRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::recounts::RecountRepo;

use crate::export::evidence_lines;
use crate::ingest::{self, KeptRequests, Ledgers};
use crate::{Deadline, FileReport, IngestApp, RunError, after_failed_attempt, note_id};

/// Listeners whose ledgers are counted again per write (their reads and transactions in flight
/// as an ingest chunk's are).
const LISTENERS_PER_WRITE: usize = 10_000;

/// The recount named by the note `key`, from where it stands.
pub async fn run(app: &IngestApp, org: OrgId, key: &str, deadline: Deadline) -> Result<FileReport, RunError> {
    let report = |outcome, lines| FileReport { key: key.to_owned(), outcome, lines };
    let t = app.tenant(org);
    let objects = app.ctx.objects(&app.logs, &org).await?;
    let id = note_id(key);
    let repo = RecountRepo::new(&t);
    let Some(mut recount) = repo.get(id).await? else {
        tracing::warn!(key, "no such recount: ignored");
        objects.delete(key).await?;
        return Ok(report("ignored", 0));
    };
    if recount.ended() {
        objects.delete(key).await?;
        return Ok(report("skipped", recount.ledgers));
    }
    let table = app.ctx.org_table(&org);
    let Some(organization) = OrganizationRepo::new(table.as_ref(), &app.ctx.cursors).get(&org).await? else {
        tracing::warn!(key, %org, "no such organization: ignored");
        return Ok(report("ignored", 0));
    };
    // The window in force now is the one every ledger is counted in from here on.
    recount.window = organization.settings.delivery.window;
    match go_through(&t, &objects, &organization, &mut recount, deadline).await {
        Ok(Reached::Deadline) => {
            repo.save(&recount).await?;
            let note = serde_json::to_vec(&serde_json::json!({"recountId": recount.id})).unwrap_or_default();
            objects.put(key, note, "application/json").await?;
            tracing::info!(recount = %recount.id, ledgers = recount.ledgers, "recount paused; its note goes on");
            Ok(report("paused", recount.ledgers))
        }
        Ok(Reached::End) => {
            recount.completed(Utc::now());
            repo.save(&recount).await?;
            objects.delete(key).await?;
            tracing::info!(recount = %recount.id, ledgers = recount.ledgers, changed = recount.changed, "recount done");
            Ok(report("done", recount.ledgers))
        }
        Err(e) => {
            tracing::error!(recount = %recount.id, error = %e, attempt = recount.failed_attempts + 1, "recount stopped");
            let last = recount.attempt_failed(Utc::now());
            repo.save(&recount).await?;
            // A next attempt goes on from `after`.
            after_failed_attempt(&objects, key, last, e).await?;
            Ok(report("failed", recount.ledgers))
        }
    }
}

/// How far a run went.
enum Reached {
    /// Every episode and day.
    End,
    /// Where the invocation's time ran short.
    Deadline,
}

/// Counts again the ledgers of every episode's listeners, day by day, from where `recount`
/// stands, saving it after each day.
async fn go_through(
    t: &TenantTable,
    objects: &Objects,
    organization: &Organization,
    recount: &mut Recount,
    deadline: Deadline,
) -> Result<Reached, RunError> {
    let (mut judge, ledgers) = ingest::rules(t, organization).await?;
    let (evidence, repo) = (EvidenceRepo::new(t), RecountRepo::new(t));
    for target in judge.targets().await? {
        let episode = target.episode.id;
        let from = match recount.after {
            Some(a) if a.episode_id > episode => continue,
            Some(a) if a.episode_id == episode => match a.day.succ_opt() {
                Some(next) => next,
                None => continue,
            },
            _ => recount.since,
        };
        let mut days: BTreeMap<NaiveDate, Vec<EvidenceChunk>> = BTreeMap::new();
        // Every day with evidence from there on (a log's clock may run ahead of ours).
        for chunk in evidence.chunks(&episode, from, last_day()).await? {
            days.entry(chunk.day).or_default().push(chunk);
        }
        for (day, chunks) in days {
            let listeners: Vec<String> = kept_listeners(objects, &chunks).await?.into_iter().collect();
            let (done, changed) = count_again(&ledgers, &target, &listeners).await?;
            recount.advanced(RecountPosition { episode_id: episode, day }, done, changed, Utc::now());
            repo.save(recount).await?;
            if deadline.near() {
                return Ok(Reached::Deadline);
            }
        }
    }
    Ok(Reached::End)
}

/// The last day a four-digit year names (the evidence index's days sort as text).
fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Counts again the ledgers of `listeners`: how many were read, and how many moved.
async fn count_again(
    ledgers: &Ledgers<'_>,
    target: &std::sync::Arc<ingest::Target>,
    listeners: &[String],
) -> Result<(u64, u64), RunError> {
    let mut changed = 0;
    for batch in listeners.chunks(LISTENERS_PER_WRITE) {
        changed += ledgers.write(KeptRequests::again(target.clone(), batch.iter().cloned())).await?;
    }
    Ok((listeners.len() as u64, changed))
}

/// The listeners of the requests `chunks` kept (an object expired with the bucket's lifecycle
/// is older than the ledgers anyway).
async fn kept_listeners(objects: &Objects, chunks: &[EvidenceChunk]) -> Result<BTreeSet<String>, RunError> {
    let mut out = BTreeSet::new();
    for chunk in chunks.iter().filter(|c| c.kept > 0) {
        let lines = evidence_lines(objects, &chunk.object).await?;
        out.extend(lines.into_iter().filter(|(_, e)| e.decision == Decision::Kept).map(|(_, e)| e.listener));
    }
    Ok(out)
}
