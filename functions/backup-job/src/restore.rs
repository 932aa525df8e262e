//! The restore: the backup's checksum is verified before anything is written; then its items of
//! the chosen types go back in batches (retried by the store when left unprocessed), each checked
//! to lie inside the organization; in replace mode the items of those types that the backup does
//! not hold are deleted; finally the counts written must equal the manifest's. The activity log is
//! append-only ([`is_append_only`]): of each batch, the entries a batch read does not find are
//! added in one transaction, each only if absent, and none is deleted or overwritten in either
//! mode. Up to `IN_FLIGHT` write calls run as tasks while the file is read.
//!
//! Every item the restore writes carries the run's mark ([`restore_mark`]), and every item it
//! deletes is marked just before, so the change processors pass over all of it
//! ([`podcastflow_domain::backup::made_by_restore`]): the restore is one activity entry, written
//! here, and tells no one of each item it put back.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use tokio::task::JoinSet;

use podcastflow_domain::activity::{Activity, FieldChange};
use podcastflow_domain::backup::{Backup, BackupStatus, Manifest, Restore, RestoreMode, is_append_only, restore_mark};
use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::client::Client;
use podcastflow_domain::episode::Episode;
use podcastflow_domain::keys::{self, Index, Key, TENANT_SHARDS, tenant_index_pk, tenant_prefix};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::show::Show;
use podcastflow_domain::{ActivityId, BackupId, OrgId};
use podcastflow_store::condition::Condition;
use podcastflow_store::item::{Item, key_of};
use podcastflow_store::repo::activities::ActivityRepo;
use podcastflow_store::repo::backups::BackupRepo;
use podcastflow_store::repo::readers::{PlacedCampaign, PlacedEpisode, ReaderRepo, Restored};
use podcastflow_store::{Query, StoreError, Table, TenantTable, TransactOp};
use serde_json::Value;

use crate::lines::{LineReader, checksum};
use crate::{BackupJobApp, JobError, save, tenant};

/// Items per write call: the DynamoDB adapter sends them 25 to a request, the embedded table
/// writes them in one transaction, and a log batch is checked in one batch read.
const BATCH: usize = 100;
/// Write calls in flight at once, so the table's round trips (or the embedded table's commits)
/// overlap with each other and with reading the file.
const IN_FLIGHT: usize = 8;

/// Why a restore was refused or did not add up: the client's backup, not an outage.
fn refused(why: impl Into<String>) -> JobError {
    JobError::Data(why.into())
}

fn kind(item: &Item) -> &str {
    item.get(keys::ENTITY).and_then(Value::as_str).unwrap_or("untyped")
}

/// The keys (with their types) of the tenant's current items of `types`, from the tenant index:
/// its shards read at once, each page by page.
async fn current_keys(t: &TenantTable, types: &HashSet<&str>) -> Result<HashMap<Key, String>, JobError> {
    let types: Arc<HashSet<String>> = Arc::new(types.iter().map(|t| (*t).to_owned()).collect());
    let mut shards = JoinSet::new();
    for shard in 0..TENANT_SHARDS {
        let (t, types) = (t.clone(), types.clone());
        shards.spawn(async move {
            let mut keys = Vec::new();
            let mut q = Query::partition(Index::Gsi5, tenant_index_pk(t.org(), shard)).limit(500);
            loop {
                let out = t.query(&q).await?;
                for item in &out.items {
                    if types.contains(kind(item)) {
                        keys.push((key_of(item)?, kind(item).to_owned()));
                    }
                }
                match out.last_key {
                    Some(last) => q.start_after = Some(last),
                    None => return Ok::<_, JobError>(keys),
                }
            }
        });
    }
    let mut keys = HashMap::new();
    while let Some(shard) = shards.join_next().await {
        match shard {
            Ok(found) => keys.extend(found?),
            // Never cancelled: a shard that did not finish panicked, raised here as inline.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    Ok(keys)
}

/// Notes what a restored item says of where campaigns and episodes stand in reader lists (a
/// campaign record, a team member, an episode, a client, a show), read as its domain type; other
/// items, and items that do not read as their type, say nothing of it.
fn note_placing(r: &mut Restored, item: &Item) {
    fn read<T: serde::de::DeserializeOwned>(item: &Item) -> Option<T> {
        podcastflow_store::item::from_item(item.clone()).ok()
    }
    match kind(item) {
        "campaign" => {
            if let Some(c) = read::<Campaign>(item) {
                r.campaigns.insert(c.id, PlacedCampaign::from(&c));
            }
        }
        "episode" => {
            if let Some(e) = read::<Episode>(item) {
                r.episodes.insert(e.id, PlacedEpisode::from(&e));
            }
        }
        "teamMember" => r.members.extend(read::<TeamMember>(item).map(|m| (m.campaign_id, m.user_id))),
        "client" => r.clients.extend(read::<Client>(item).map(|c| c.id)),
        "show" => r.shows.extend(read::<Show>(item).map(|s| s.id)),
        _ => {}
    }
}

/// What a restore did.
#[derive(Debug, Default)]
struct Outcome {
    restored: BTreeMap<String, u64>,
    deleted: BTreeMap<String, u64>,
    /// Append-only items the backup holds that were there already, left as they are.
    kept: BTreeMap<String, u64>,
}

/// Deletes one batch of stale items, each marked for removal first (read, marked, written back,
/// then deleted) so the change processors pass over the deletion too.
async fn delete_marked(t: &TenantTable, keys: Vec<Key>, mark: &str) -> Result<(), JobError> {
    let mut marked = t.batch_get(&keys).await?;
    for item in &mut marked {
        item.insert(keys::REMOVED_BY_RESTORE.to_owned(), Value::String(mark.to_owned()));
    }
    t.batch_write(marked, Vec::new()).await?;
    t.batch_write(Vec::new(), keys).await?;
    Ok(())
}

/// Adds the append-only `items` that are not there (one batch read finds which, one transaction
/// adds them, each only if absent); answers how many per type were there already and stay as
/// they are.
async fn add_missing(t: &TenantTable, items: Vec<Item>) -> Result<BTreeMap<String, u64>, JobError> {
    let keys = items.iter().map(key_of).collect::<Result<Vec<_>, _>>()?;
    let present = t.batch_get(&keys).await?.iter().map(key_of).collect::<Result<HashSet<_>, _>>()?;
    let mut kept: BTreeMap<String, u64> = BTreeMap::new();
    let mut missing = Vec::with_capacity(items.len());
    for (key, item) in keys.iter().zip(items) {
        match present.contains(key) {
            true => *kept.entry(kind(&item).to_owned()).or_default() += 1,
            false => missing.push(item),
        }
    }
    if missing.is_empty() {
        return Ok(kept);
    }
    let ops = missing.iter().map(|item| TransactOp::Put { item: item.clone(), condition: Condition::NotExists });
    match t.transact(ops.collect()).await {
        Ok(()) => Ok(kept),
        // One appeared since the read: each on its own, so the others still come back.
        Err(StoreError::TransactionConflict { .. } | StoreError::TransactionContention) => {
            for item in missing {
                let ty = kind(&item).to_owned();
                match t.put(item, Condition::NotExists).await {
                    Ok(()) => {}
                    Err(StoreError::ConditionFailed { .. }) => *kept.entry(ty).or_default() += 1,
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(kept)
        }
        Err(e) => Err(e.into()),
    }
}

/// A restore's writes and deletions, up to [`IN_FLIGHT`] calls at a time, each a task of its own
/// so it goes on while the next lines are read.
struct Writes {
    t: TenantTable,
    pending: JoinSet<Result<BTreeMap<String, u64>, JobError>>,
    kept: BTreeMap<String, u64>,
}

impl Writes {
    fn new(t: &TenantTable) -> Self {
        Self { t: t.clone(), pending: JoinSet::new(), kept: BTreeMap::new() }
    }

    /// Starts writing a batch (added only where absent if `append_only`), first waiting for a
    /// call to finish when [`IN_FLIGHT`] are under way.
    async fn send(&mut self, batch: Vec<Item>, append_only: bool) -> Result<(), JobError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.make_room().await?;
        let t = self.t.clone();
        self.pending.spawn(async move {
            match append_only {
                true => add_missing(&t, batch).await,
                false => Ok(t.batch_write(batch, Vec::new()).await.map(|()| BTreeMap::new())?),
            }
        });
        Ok(())
    }

    /// Starts deleting a batch of stale items under the run's `mark`, as [`Writes::send`] writes.
    async fn delete(&mut self, keys: Vec<Key>, mark: &str) -> Result<(), JobError> {
        self.make_room().await?;
        let (t, mark) = (self.t.clone(), mark.to_owned());
        self.pending.spawn(async move { delete_marked(&t, keys, &mark).await.map(|()| BTreeMap::new()) });
        Ok(())
    }

    async fn make_room(&mut self) -> Result<(), JobError> {
        while self.pending.len() >= IN_FLIGHT {
            self.finish_one().await?;
        }
        Ok(())
    }

    async fn finish_one(&mut self) -> Result<(), JobError> {
        match self.pending.join_next().await {
            Some(Ok(kept)) => {
                for (ty, n) in kept? {
                    *self.kept.entry(ty).or_default() += n;
                }
            }
            // The tasks are never cancelled (the set is dropped only with the restore), so a
            // task that did not finish panicked: a bug, raised here as it would have been inline.
            Some(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            None => {}
        }
        Ok(())
    }

    /// Waits for every call under way; answers what was kept per type.
    async fn finish(mut self) -> Result<BTreeMap<String, u64>, JobError> {
        while !self.pending.is_empty() {
            self.finish_one().await?;
        }
        Ok(self.kept)
    }
}

async fn restore_items(
    app: &BackupJobApp,
    t: &TenantTable,
    b: &Backup,
    r: &Restore,
    mark: &str,
) -> Result<Outcome, JobError> {
    let org = *t.org();
    let objects = app.ctx.objects(&app.objects, &org).await?;
    let manifest: Manifest = serde_json::from_slice(&objects.read_all(&Backup::manifest_key(&org, &b.id)).await?)
        .map_err(|e| refused(format!("the manifest does not parse: {e}")))?;
    if manifest.org_id != org || manifest.backup_id != b.id {
        return Err(refused("the manifest belongs to another backup"));
    }
    let data = Backup::data_key(&org, &b.id);
    let (sha, size) = checksum(&objects, &data).await?;
    if Some(&sha) != b.sha256.as_ref() || sha != manifest.sha256 || size != manifest.size_bytes {
        return Err(refused("the backup file does not match its checksum; it was changed after the backup"));
    }
    let types: HashSet<&str> = r.entities.iter().flat_map(|g| g.entity_types().iter().copied()).collect();
    let replaced: HashSet<&str> = types.iter().copied().filter(|ty| !is_append_only(ty)).collect();
    let mut stale = match r.mode {
        RestoreMode::Replace if !replaced.is_empty() => current_keys(t, &replaced).await?,
        _ => HashMap::new(),
    };
    let prefix = tenant_prefix(&org);
    let mut out = Outcome::default();
    let mut writes = Writes::new(t);
    let (mut batch, mut log): (Vec<Item>, Vec<Item>) = (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH));
    let mut placing = Restored::default();
    let mut lines = LineReader::open(&objects, &data).await?;
    while let Some(line) = lines.next_line().await? {
        let mut item: Item =
            serde_json::from_slice(&line).map_err(|e| refused(format!("a line of the backup does not parse: {e}")))?;
        if !types.contains(kind(&item)) {
            continue;
        }
        let key = key_of(&item)?;
        if !key.pk.starts_with(&prefix) {
            return Err(refused("the backup holds an item of another organization"));
        }
        stale.remove(&key);
        note_placing(&mut placing, &item);
        let ty = kind(&item).to_owned();
        *out.restored.entry(ty.clone()).or_default() += 1;
        item.insert(keys::RESTORED_BY.to_owned(), Value::String(mark.to_owned()));
        let append_only = is_append_only(&ty);
        let into = if append_only { &mut log } else { &mut batch };
        into.push(item);
        if into.len() == BATCH {
            let full = std::mem::replace(into, Vec::with_capacity(BATCH));
            writes.send(full, append_only).await?;
        }
    }
    writes.send(batch, false).await?;
    writes.send(log, true).await?;
    // Only now is `stale` what the backup does not hold; the deletions go on as the writes did.
    let stale: Vec<(Key, String)> = stale.into_iter().collect();
    for chunk in stale.chunks(BATCH) {
        writes.delete(chunk.iter().map(|(k, _)| k.clone()).collect(), mark).await?;
        for (_, ty) in chunk {
            *out.deleted.entry(ty.clone()).or_default() += 1;
        }
    }
    out.kept = writes.finish().await?;
    // The reader index is derived, never backed up: what came back places campaigns anew.
    ReaderRepo::new(t).restore(&placing).await?;
    for ty in &types {
        let expected = manifest.counts.get(*ty).copied().unwrap_or(0);
        let got = out.restored.get(*ty).copied().unwrap_or(0);
        if expected != got {
            return Err(refused(format!("restored {got} {ty} items where the manifest lists {expected}")));
        }
    }
    Ok(out)
}

/// The restore in the activity log, as the person who asked for it: what came back per type (and
/// what was deleted), or why it failed.
async fn record_activity(
    t: &TenantTable,
    b: &Backup,
    r: &Restore,
    outcome: &Result<Outcome, JobError>,
) -> Result<(), JobError> {
    let at = chrono::Utc::now();
    let change = |to: Value| FieldChange { from: None, to: Some(to) };
    let mut changes = BTreeMap::new();
    changes.insert("entities".to_owned(), change(serde_json::to_value(&r.entities).unwrap_or(Value::Null)));
    changes.insert("mode".to_owned(), change(serde_json::to_value(r.mode).unwrap_or(Value::Null)));
    let action = match outcome {
        Ok(o) => {
            changes.insert("restored".to_owned(), change(serde_json::to_value(&o.restored).unwrap_or(Value::Null)));
            changes.insert("deleted".to_owned(), change(serde_json::to_value(&o.deleted).unwrap_or(Value::Null)));
            changes.insert("kept".to_owned(), change(serde_json::to_value(&o.kept).unwrap_or(Value::Null)));
            "backup.restored"
        }
        Err(e) => {
            changes.insert("error".to_owned(), change(Value::String(e.to_string())));
            "backup.restore_failed"
        }
    };
    let a = Activity {
        id: ActivityId::new(),
        org_id: *t.org(),
        actor_id: Some(r.requested_by),
        action: action.into(),
        entity: EntityRef { kind: podcastflow_domain::visibility::EntityKind::Backup, id: b.id.to_string() },
        changes,
        request_id: None,
        at,
        expires_at: Activity::expiry(at),
    };
    ActivityRepo::new(t).record(&a).await?;
    Ok(())
}

/// Runs a queued restore: claims it, restores, and records the outcome on the backup.
pub async fn run(app: &BackupJobApp, org: OrgId, id: BackupId) -> Result<(), JobError> {
    let t = tenant(app, org);
    let Some(b) = BackupRepo::new(&t).get(&id).await? else { return Ok(()) };
    let Some(r) = b.restore.clone().filter(|r| r.status == BackupStatus::Queued) else { return Ok(()) };
    let running = |b: &mut Backup| {
        if let Some(r) = &mut b.restore {
            r.status = BackupStatus::Running;
            r.progress = 10;
        }
    };
    let Some(b) = save(&t, &b, running).await? else { return Ok(()) };
    let outcome = restore_items(app, &t, &b, &r, &restore_mark(&b.id, chrono::Utc::now())).await;
    record_activity(&t, &b, &r, &outcome).await?;
    let current = BackupRepo::new(&t).get(&id).await?.unwrap_or(b);
    save(&t, &current, |b| {
        if let Some(r) = &mut b.restore {
            match outcome {
                Ok(o) => {
                    r.status = BackupStatus::Completed;
                    r.progress = 100;
                    r.restored = o.restored;
                    r.deleted = o.deleted;
                }
                Err(e) => {
                    tracing::error!(backup = %b.id, error = %e, "restore failed");
                    r.status = BackupStatus::Failed;
                    r.error = Some(e.to_string());
                }
            }
        }
    })
    .await?;
    Ok(())
}
