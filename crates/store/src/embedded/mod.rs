//! The embedded adapter: the single table in a redb file under a data directory.
//!
//! redb gives ACID, crash-safe transactions (copy-on-write B-trees, fsync on commit). Each write
//! runs in one redb write transaction that also maintains the GSIs, the TTL index and the change
//! feed, so an item, its index entries and its change record are committed together or not at
//! all; writes that arrive together share a transaction and its fsync ([`commits`]). redb is
//! synchronous; every call runs on tokio's blocking pool.

mod commits;
pub mod encoding;

pub use commits::CommitStats;

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use podcastflow_domain::keys::{self, Index, Key};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde_json::Value;
use tokio::sync::watch;

use crate::condition::{Condition, Update};
use crate::feed::{ChangeBatch, ChangeFeed, ChangeKind, ChangeRecord};
use crate::item::{self, Item, MAX_ITEM_BYTES, StoredItem};
use crate::table::{Query, QueryOutput, StoreError, Table, TransactOp, check_transaction, dedupe};

/// Items: encode(PK, SK) -> JSON.
const ITEMS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("items");
/// GSI1: encode(GSI1PK, GSI1SK, PK, SK) -> encode(PK, SK).
const GSI1: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi1");
/// GSI2: encode(GSI2PK, GSI2SK, PK, SK) -> encode(PK, SK).
const GSI2: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi2");
/// GSI3: encode(GSI3PK, GSI3SK, PK, SK) -> encode(PK, SK).
const GSI3: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi3");
/// GSI4: encode(GSI4PK, GSI4SK, PK, SK) -> encode(PK, SK).
const GSI4: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi4");
/// GSI5 (the tenant index): encode(GSI5PK, GSI5SK, PK, SK) -> encode(PK, SK).
const GSI5: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gsi5");
/// TTL index: big-endian expiresAt ++ encode(PK, SK) -> ().
const TTL: TableDefinition<&[u8], ()> = TableDefinition::new("ttl");
/// Change feed: sequence -> JSON change record.
const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes");
/// Counters of the store itself.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const SEQ: &str = "changeSequence";

/// How long change records are kept, like DynamoDB Streams.
pub const FEED_RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// The single table in a redb database file.
#[derive(Clone)]
pub struct EmbeddedTable {
    db: Arc<Database>,
    latest: Arc<watch::Sender<u64>>,
    commits: commits::Commits,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("embedded store: {e}"))
}

fn index_table(index: Index) -> Option<TableDefinition<'static, &'static [u8], &'static [u8]>> {
    match index {
        Index::Main => None,
        Index::Gsi1 => Some(GSI1),
        Index::Gsi2 => Some(GSI2),
        Index::Gsi3 => Some(GSI3),
        Index::Gsi4 => Some(GSI4),
        Index::Gsi5 => Some(GSI5),
    }
}

/// Every secondary index with its redb table.
fn secondary_tables() -> impl Iterator<Item = (Index, TableDefinition<'static, &'static [u8], &'static [u8]>)> {
    Index::SECONDARY.into_iter().filter_map(|i| index_table(i).map(|def| (i, def)))
}

fn main_key(k: &Key) -> Vec<u8> {
    encoding::encode(&[&k.pk, &k.sk])
}

fn index_entry(index_key: &Key, k: &Key) -> Vec<u8> {
    encoding::encode(&[&index_key.pk, &index_key.sk, &k.pk, &k.sk])
}

fn ttl_entry(expires: u64, k: &Key) -> Vec<u8> {
    let mut v = expires.to_be_bytes().to_vec();
    v.extend(main_key(k));
    v
}

fn expires_of(item: &Item) -> Option<u64> {
    item.get(keys::EXPIRES_AT).and_then(Value::as_u64)
}

fn parse(bytes: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The encoded position of an item in an index, from a start key given by a caller.
fn start_position(index: Index, start: &Item) -> Result<Vec<u8>, StoreError> {
    let key = item::key_of(start)?;
    Ok(match index {
        Index::Main => main_key(&key),
        _ => {
            let ik = item::index_key_of(start, index)
                .ok_or_else(|| StoreError::InvalidRequest("start key lacks the index's key attributes".into()))?;
            index_entry(&ik, &key)
        }
    })
}

/// An open secondary-index table: index entry -> main key.
type IndexTable<'t> = redb::Table<'t, &'static [u8], &'static [u8]>;

/// One redb write transaction's view of all tables, keeping items, indexes and feed in step.
struct Writer<'t> {
    items: redb::Table<'t, &'static [u8], &'static [u8]>,
    /// The secondary indexes' tables, in [`Index::SECONDARY`] order.
    gsis: Vec<(Index, IndexTable<'t>)>,
    ttl: redb::Table<'t, &'static [u8], ()>,
    changes: redb::Table<'t, u64, &'static [u8]>,
    seq: u64,
    now: DateTime<Utc>,
}

impl<'t> Writer<'t> {
    fn open(txn: &'t redb::WriteTransaction) -> Result<Self, StoreError> {
        let seq = {
            let meta = txn.open_table(META).map_err(unavailable)?;
            meta.get(SEQ).map_err(unavailable)?.map(|g| g.value()).unwrap_or(0)
        };
        Ok(Self {
            items: txn.open_table(ITEMS).map_err(unavailable)?,
            gsis: secondary_tables()
                .map(|(index, def)| Ok((index, txn.open_table(def).map_err(unavailable)?)))
                .collect::<Result<_, StoreError>>()?,
            ttl: txn.open_table(TTL).map_err(unavailable)?,
            changes: txn.open_table(CHANGES).map_err(unavailable)?,
            seq,
            now: Utc::now(),
        })
    }

    fn current(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        match self.items.get(main_key(key).as_slice()).map_err(unavailable)? {
            Some(g) => parse(g.value()).map(Some),
            None => Ok(None),
        }
    }

    fn unindex(&mut self, key: &Key, item: &Item) -> Result<(), StoreError> {
        for (index, gsi) in &mut self.gsis {
            if let Some(ik) = item::index_key_of(item, *index) {
                gsi.remove(index_entry(&ik, key).as_slice()).map_err(unavailable)?;
            }
        }
        if let Some(exp) = expires_of(item) {
            self.ttl.remove(ttl_entry(exp, key).as_slice()).map_err(unavailable)?;
        }
        Ok(())
    }

    fn index(&mut self, key: &Key, item: &Item) -> Result<(), StoreError> {
        let mk = main_key(key);
        for (index, gsi) in &mut self.gsis {
            if let Some(ik) = item::index_key_of(item, *index) {
                gsi.insert(index_entry(&ik, key).as_slice(), mk.as_slice()).map_err(unavailable)?;
            }
        }
        if let Some(exp) = expires_of(item) {
            self.ttl.insert(ttl_entry(exp, key).as_slice(), ()).map_err(unavailable)?;
        }
        Ok(())
    }

    /// Replaces what is stored under `key` (`new: None` deletes) and records the change.
    fn write(&mut self, key: &Key, old: Option<Item>, new: Option<Item>, expired: bool) -> Result<(), StoreError> {
        if old.is_none() && new.is_none() {
            return Ok(());
        }
        if let Some(o) = &old {
            self.unindex(key, o)?;
        }
        let mk = main_key(key);
        match &new {
            Some(n) => {
                let bytes = serde_json::to_vec(n).map_err(|e| StoreError::InvalidRequest(e.to_string()))?;
                if bytes.len() > MAX_ITEM_BYTES {
                    return Err(StoreError::InvalidRequest(format!("item of {} bytes exceeds 400 KB", bytes.len())));
                }
                self.items.insert(mk.as_slice(), bytes.as_slice()).map_err(unavailable)?;
                self.index(key, n)?;
            }
            None => {
                self.items.remove(mk.as_slice()).map_err(unavailable)?;
            }
        }
        self.seq += 1;
        let kind = match (&old, &new) {
            (None, _) => ChangeKind::Insert,
            (Some(_), Some(_)) => ChangeKind::Modify,
            (Some(_), None) => ChangeKind::Remove,
        };
        let record = ChangeRecord {
            sequence: format!("{:020}", self.seq),
            kind,
            key: key.into(),
            old_image: old,
            new_image: new,
            at: self.now,
            expired,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.changes.insert(self.seq, bytes.as_slice()).map_err(unavailable)?;
        Ok(())
    }

    fn finish(self, txn: &redb::WriteTransaction) -> Result<u64, StoreError> {
        let seq = self.seq;
        drop(self);
        let mut meta = txn.open_table(META).map_err(unavailable)?;
        meta.insert(SEQ, seq).map_err(unavailable)?;
        Ok(seq)
    }
}

/// redb's page cache. Its default (1 GiB) let a bulk write (a large log's ledgers) grow the
/// local stack by gigabytes; the working set of a development stack is far smaller.
const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// The most items a read makes in place rather than on the blocking pool (see
/// [`EmbeddedTable::read`]): a page of 100 and the one item more that tells whether another
/// follows, with room.
const INLINE_READ_ITEMS: usize = 128;

impl EmbeddedTable {
    /// Opens (or creates) the table in `dir/table.redb`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(unavailable)?;
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(dir.join("table.redb")).map_err(unavailable)?;
        let txn = db.begin_write().map_err(unavailable)?;
        let seq = {
            txn.open_table(ITEMS).map_err(unavailable)?;
            for (_, def) in secondary_tables() {
                txn.open_table(def).map_err(unavailable)?;
            }
            txn.open_table(TTL).map_err(unavailable)?;
            txn.open_table(CHANGES).map_err(unavailable)?;
            let meta = txn.open_table(META).map_err(unavailable)?;
            meta.get(SEQ).map_err(unavailable)?.map(|g| g.value()).unwrap_or(0)
        };
        txn.commit().map_err(unavailable)?;
        let (latest, _) = watch::channel(seq);
        Ok(Self { db: Arc::new(db), latest: Arc::new(latest), commits: commits::Commits::default() })
    }

    /// A receiver told the latest change sequence after every commit (for feed consumers).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }

    /// How many writes this table made in how many transactions (group commit's saving).
    pub fn commit_stats(&self) -> CommitStats {
        self.commits.stats()
    }

    /// A reader of this table's change feed.
    pub fn feed(&self) -> EmbeddedFeed {
        EmbeddedFeed { table: self.clone() }
    }

    /// Runs a read of at most `items` items with the database: in place when it is small (a read
    /// transaction never waits for a writer; a page of 26 takes 10-20 µs and one of
    /// [`INLINE_READ_ITEMS`] at most about 75 µs, `examples/inline_reads.rs`, inside the 10-100
    /// µs tokio allows a task between two awaits), on the blocking pool when it is not. Handing
    /// every read to the pool cost a GET a fifth of its throughput in thread hand-offs
    /// (BENCHMARKS.md, local stack).
    async fn read<T, F>(&self, items: usize, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        if items <= INLINE_READ_ITEMS {
            return f(&self.db);
        }
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db)).await.map_err(unavailable)?
    }

    /// Makes one write: `f` decides and writes, and its writes are committed only if it returns
    /// Ok. `f` may run twice (its group of concurrent writes abandoned for another's failure),
    /// so it clones what it writes instead of moving it.
    async fn write_txn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut Writer<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.commits.write(&self.db, &self.latest, f).await
    }

    /// Deletes every item whose `expiresAt` (epoch seconds) is at or before `now`, recording the
    /// removals as expired in the feed, and drops change records older than the feed retention.
    /// Returns how many items expired. The local stack calls this periodically, as DynamoDB's TTL
    /// sweeper would.
    pub async fn sweep_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let cutoff = u64::try_from(now.timestamp()).unwrap_or(0);
        let feed_cutoff = now - FEED_RETENTION;
        self.write_txn(move |w| {
            let mut due = Vec::new();
            let upper = (cutoff + 1).to_be_bytes();
            for entry in w.ttl.range::<&[u8]>(..upper.as_slice()).map_err(unavailable)? {
                let (k, _) = entry.map_err(unavailable)?;
                let parts = encoding::decode(&k.value()[8..]).ok_or_else(|| StoreError::Corrupt("ttl index".into()))?;
                if let [pk, sk] = parts.as_slice() {
                    due.push(Key::new(pk.clone(), sk.clone()));
                }
            }
            for key in &due {
                let old = w.current(key)?;
                w.write(key, old, None, true)?;
            }
            let mut stale = Vec::new();
            for entry in w.changes.iter().map_err(unavailable)? {
                let (seq, bytes) = entry.map_err(unavailable)?;
                let rec: ChangeRecord =
                    serde_json::from_slice(bytes.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                if rec.at >= feed_cutoff {
                    break;
                }
                stale.push(seq.value());
            }
            for seq in stale {
                w.changes.remove(seq).map_err(unavailable)?;
            }
            Ok(due.len())
        })
        .await
    }
}

#[async_trait]
impl Table for EmbeddedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let mk = main_key(key);
        self.read(1, move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let items = txn.open_table(ITEMS).map_err(unavailable)?;
            match items.get(mk.as_slice()).map_err(unavailable)? {
                Some(g) => parse(g.value()).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        let key = item::key_of(&item)?;
        let item = item::with_tenant_index(item);
        self.write_txn(move |w| {
            let old = w.current(&key)?;
            if !condition.holds(old.as_ref()) {
                return Err(StoreError::ConditionFailed { key: key.clone() });
            }
            w.write(&key, old, Some(item.clone()), false)
        })
        .await
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        update.check()?;
        let key = key.clone();
        self.write_txn(move |w| {
            let old = w.current(&key)?;
            if !condition.holds(old.as_ref()) {
                return Err(StoreError::ConditionFailed { key: key.clone() });
            }
            let new = update.apply(&key, old.as_ref())?;
            w.write(&key, old, Some(new.clone()), false)?;
            Ok(new)
        })
        .await
    }

    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        // One redb transaction per call, as one BatchWriteItem per 25 items in DynamoDB.
        let puts = puts
            .into_iter()
            .map(|i| Ok((item::key_of(&i)?, item::with_tenant_index(i))))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_txn(move |w| {
            for (key, item) in &puts {
                let old = w.current(key)?;
                w.write(key, old, Some(item.clone()), false)?;
            }
            for key in &deletes {
                let old = w.current(key)?;
                if old.is_some() {
                    w.write(key, old, None, false)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.write_txn(move |w| {
            let old = w.current(&key)?;
            if !condition.holds(old.as_ref()) {
                return Err(StoreError::ConditionFailed { key: key.clone() });
            }
            w.write(&key, old.clone(), None, false)?;
            Ok(old)
        })
        .await
    }

    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        let q = query.clone();
        self.read(q.limit as usize, move |db| {
            let (mut lo, mut hi) = encoding::range(&q.partition, q.sort.as_ref());
            if let Some(start) = &q.start_after {
                let pos = start_position(q.index, start)?;
                // Narrow, never widen: the start only moves the bound on the reading side inward.
                if q.forward {
                    if bound_below(&lo, &pos) {
                        lo = Bound::Excluded(pos);
                    }
                } else if bound_above(&hi, &pos) {
                    hi = Bound::Excluded(pos);
                }
            }
            if is_empty_range(&lo, &hi) || q.limit == 0 {
                return Ok(QueryOutput::default());
            }
            let txn = db.begin_read().map_err(unavailable)?;
            let items = txn.open_table(ITEMS).map_err(unavailable)?;
            let range = (as_slice(&lo), as_slice(&hi));
            let mut out = Vec::new();
            let limit = q.limit as usize;
            match index_table(q.index) {
                None => {
                    let iter = items.range::<&[u8]>(range).map_err(unavailable)?;
                    let iter: Box<dyn Iterator<Item = _>> =
                        if q.forward { Box::new(iter) } else { Box::new(iter.rev()) };
                    for entry in iter.take(limit) {
                        let (_, v) = entry.map_err(unavailable)?;
                        out.push(StoredItem::json(v.value().to_vec()));
                    }
                }
                Some(def) => {
                    let gsi = txn.open_table(def).map_err(unavailable)?;
                    let iter = gsi.range::<&[u8]>(range).map_err(unavailable)?;
                    let iter: Box<dyn Iterator<Item = _>> =
                        if q.forward { Box::new(iter) } else { Box::new(iter.rev()) };
                    for entry in iter.take(limit) {
                        let (_, mk) = entry.map_err(unavailable)?;
                        let got = items.get(mk.value()).map_err(unavailable)?;
                        let got = got.ok_or_else(|| StoreError::Corrupt("index entry without item".into()))?;
                        out.push(StoredItem::json(got.value().to_vec()));
                    }
                }
            }
            // Like DynamoDB: a full page names its last position, even when nothing follows.
            let last = out.last().filter(|_| out.len() == limit);
            let last_key = last.map(|i| i.position_in(q.index)).transpose()?;
            Ok(QueryOutput { items: out, last_key })
        })
        .await
    }

    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        check_transaction(&ops)?;
        self.write_txn(move |w| {
            let mut current = Vec::with_capacity(ops.len());
            for (index, op) in ops.iter().enumerate() {
                let key = op.key()?;
                let old = w.current(&key)?;
                let condition = match op {
                    TransactOp::Put { condition, .. }
                    | TransactOp::Update { condition, .. }
                    | TransactOp::Delete { condition, .. }
                    | TransactOp::Check { condition, .. } => condition,
                };
                if !condition.holds(old.as_ref()) {
                    return Err(StoreError::TransactionConflict { index, key });
                }
                current.push((key, old));
            }
            for (op, (key, old)) in ops.iter().zip(current) {
                match op {
                    TransactOp::Put { item, .. } => {
                        w.write(&key, old, Some(item::with_tenant_index(item.clone())), false)?;
                    }
                    TransactOp::Update { update, .. } => {
                        let new = update.apply(&key, old.as_ref())?;
                        w.write(&key, old, Some(new), false)?;
                    }
                    TransactOp::Delete { .. } => w.write(&key, old, None, false)?,
                    TransactOp::Check { .. } => {}
                }
            }
            Ok(())
        })
        .await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let unique: Vec<Vec<u8>> = dedupe(keys).iter().map(main_key).collect();
        self.read(unique.len(), move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let items = txn.open_table(ITEMS).map_err(unavailable)?;
            let mut out = Vec::with_capacity(unique.len());
            for k in unique {
                if let Some(g) = items.get(k.as_slice()).map_err(unavailable)? {
                    out.push(parse(g.value())?);
                }
            }
            Ok(out)
        })
        .await
    }
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    b.as_ref().map(Vec::as_slice)
}

/// Whether `pos` is at or above the lower bound, so excluding it narrows the range.
fn bound_below(lo: &Bound<Vec<u8>>, pos: &[u8]) -> bool {
    match lo {
        Bound::Included(l) | Bound::Excluded(l) => pos >= l.as_slice(),
        Bound::Unbounded => true,
    }
}

/// Whether `pos` is at or below the upper bound, so excluding it narrows the range.
fn bound_above(hi: &Bound<Vec<u8>>, pos: &[u8]) -> bool {
    match hi {
        Bound::Included(h) | Bound::Excluded(h) => pos <= h.as_slice(),
        Bound::Unbounded => true,
    }
}

fn is_empty_range(lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> bool {
    match (lo, hi) {
        (Bound::Included(l), Bound::Included(h)) => l > h,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(h)) | (Bound::Excluded(l), Bound::Included(h)) => {
            l >= h
        }
        _ => false,
    }
}

/// The embedded table's change feed; positions are zero-padded sequence numbers.
#[derive(Clone)]
pub struct EmbeddedFeed {
    table: EmbeddedTable,
}

/// One record of the embedded feed as stored: its position and its JSON, decoded only when needed
/// (the local stack's event sources probe most records and pass them over).
#[derive(Debug, Clone)]
pub struct EncodedChange {
    /// Its position in the feed.
    pub sequence: String,
    /// The [`ChangeRecord`]'s JSON.
    pub bytes: Vec<u8>,
}

impl EncodedChange {
    /// The record.
    pub fn decode(&self) -> Result<ChangeRecord, StoreError> {
        serde_json::from_slice(&self.bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

impl EmbeddedFeed {
    /// Up to `limit` records after `position` (from the first when `None`), undecoded.
    pub async fn read_encoded(&self, position: Option<&str>, limit: usize) -> Result<Vec<EncodedChange>, StoreError> {
        let after = match position {
            None => 0,
            Some(p) => p.parse::<u64>().map_err(|_| StoreError::InvalidRequest(format!("bad feed position {p}")))?,
        };
        self.table
            .read(limit, move |db| {
                let txn = db.begin_read().map_err(unavailable)?;
                let changes = txn.open_table(CHANGES).map_err(unavailable)?;
                let mut records = Vec::new();
                for entry in changes.range((after + 1)..).map_err(unavailable)?.take(limit) {
                    let (k, v) = entry.map_err(unavailable)?;
                    records.push(EncodedChange { sequence: format!("{:020}", k.value()), bytes: v.value().to_vec() });
                }
                Ok(records)
            })
            .await
    }
}

#[async_trait]
impl ChangeFeed for EmbeddedFeed {
    async fn read(&self, position: Option<&str>, limit: usize) -> Result<ChangeBatch, StoreError> {
        let encoded = self.read_encoded(position, limit).await?;
        let records = encoded.iter().map(EncodedChange::decode).collect::<Result<Vec<_>, _>>()?;
        let position = match records.last() {
            Some(r) => Some(r.sequence.clone()),
            None => position.and_then(|p| p.parse::<u64>().ok()).and_then(position_str),
        };
        Ok(ChangeBatch { records, position })
    }
}

fn position_str(after: u64) -> Option<String> {
    (after > 0).then(|| format!("{after:020}"))
}
