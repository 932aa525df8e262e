//! The delivery ledger: log files read once, the monthly listener secret, listeners' ledgers and
//! the daily rollups they move (keys and access patterns in
//! `podcastflow_domain::delivery::records`).
//!
//! **Exactly once.** A batch of listeners' ledgers is written in one transaction with the rollup
//! changes their new counts make, each ledger on the version it was read at (or on being absent).
//! A concurrent ingest of another file touching one of the same listeners makes the transaction
//! fail as a whole; [`DeliveryRepo::apply`] reports it, and the caller reads those ledgers again
//! and counts anew. A file read twice merges requests already there, which changes no count.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use podcastflow_domain::delivery::alerts::{ALERT_DAYS, PACING_ALERT, PacingAlert};
use podcastflow_domain::delivery::ledger::ListenerLedger;
use podcastflow_domain::delivery::records::{
    self, FileCounts, LISTENER_LEDGER, LISTENER_SECRET, LineDay, LogFile, LogFileStatus, ROLLUP,
};
use podcastflow_domain::keys::{self, EXPIRES_AT, Index, Key};
use podcastflow_domain::{CampaignId, EpisodeId, ShowId};
use serde_json::{Value, json};

use super::RepoError;
use crate::condition::{Condition, Update};
use crate::item::{self, Item};
use crate::table::{KeyCondition, MAX_TRANSACT_ITEMS, Query, StoreError, Table, TransactOp};
use crate::tenant::TenantTable;

/// How a log file's claim turned out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileClaim {
    /// Not read before, or read in part: go on from `linesDone`.
    Read(LogFile),
    /// Read to its end before: nothing to do.
    Done(LogFile),
}

/// A listener's ledger as read, with its version (0: none stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredLedger {
    /// The ledger.
    pub ledger: ListenerLedger,
    /// The version read.
    pub version: u64,
}

/// One ledger to write, on the version it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerWrite {
    /// The episode.
    pub episode: EpisodeId,
    /// The listener key.
    pub listener: String,
    /// The new ledger.
    pub ledger: ListenerLedger,
    /// The version it was read at (0: absent).
    pub expected: u64,
    /// When it is forgotten.
    pub expires_at: DateTime<Utc>,
}

/// The changes of one rollup item: attribute -> amount.
pub type RollupChanges = BTreeMap<Key, BTreeMap<String, i64>>;

/// A day's counts as stored in a rollup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCounts {
    /// The day.
    pub day: Option<NaiveDate>,
    /// Every counted attribute (`downloads`, `listeners`, `adDeliveries`, `ad<n>`).
    pub counts: BTreeMap<String, i64>,
}

impl DayCounts {
    /// One count (0 when absent).
    pub fn get(&self, name: &str) -> i64 {
        self.counts.get(name).copied().unwrap_or(0)
    }
}

/// The most rollup days one read answers (a year and a day).
pub const MAX_DAYS: usize = 367;

/// Reads and writes one organization's delivery ledger.
pub struct DeliveryRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> DeliveryRepo<'a> {
    /// A repository on the organization's table.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// The listener secret of `month` (`yyyy-mm`): the stored one, or `candidate` stored now
    /// (fresh random bytes from the caller), whichever was first.
    pub async fn secret(&self, month: &str, candidate: &[u8]) -> Result<Vec<u8>, RepoError> {
        use base64::Engine;
        let key = records::secret_key(self.t.org(), month);
        let read = |item: &Item| {
            item::str_attr(item, "secret")
                .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                .ok_or_else(|| RepoError::Store(StoreError::Corrupt("listener secret".into())))
        };
        if let Some(item) = self.t.get(&key).await? {
            return read(&item);
        }
        // Forgotten after the next month ends: ~62 days after the month's first.
        let gone = Utc::now() + Duration::days(93);
        let value = json!({
            "secret": base64::engine::general_purpose::STANDARD.encode(candidate),
            EXPIRES_AT: gone.timestamp(),
        });
        let item = item::value_item(&key, LISTENER_SECRET, &value)?;
        match self.t.put(item, Condition::NotExists).await {
            Ok(()) => Ok(candidate.to_vec()),
            Err(StoreError::ConditionFailed { .. }) => {
                let item = self.t.get(&key).await?.ok_or(RepoError::NotFound)?;
                read(&item)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Claims reading the object `key` of `bucket`: a new record, the one of a read that stopped
    /// part way, or `Done`.
    pub async fn claim_file(&self, bucket: &str, key: &str, now: DateTime<Utc>) -> Result<FileClaim, RepoError> {
        let id = LogFile::id_of(bucket, key);
        let k = LogFile::key_of(self.t.org(), &id);
        for _ in 0..4 {
            if let Some(item) = self.t.get(&k).await? {
                let f: LogFile = item::from_item(item::without_bookkeeping(item.clone()))
                    .map(|f: LogFile| LogFile { version: item::version_of(&item), ..f })?;
                return Ok(if f.status == LogFileStatus::Done { FileClaim::Done(f) } else { FileClaim::Read(f) });
            }
            let f = LogFile {
                id: id.clone(),
                org_id: *self.t.org(),
                bucket: bucket.into(),
                key: key.into(),
                status: LogFileStatus::Reading,
                lines_done: 0,
                invocations: 0,
                counts: FileCounts::default(),
                started_at: now,
                finished_at: None,
                version: 1,
            };
            let mut item = item::value_item(&k, records::LOG_FILE, &f)?;
            item.insert(keys::VERSION.into(), json!(1));
            match self.t.put(item, Condition::NotExists).await {
                Ok(()) => return Ok(FileClaim::Read(f)),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RepoError::Conflict("log file claimed concurrently"))
    }

    /// Saves a log file's progress on the version read; `VersionConflict` if another invocation
    /// moved it.
    pub async fn save_file(&self, f: &LogFile) -> Result<LogFile, RepoError> {
        let next = LogFile { version: f.version + 1, ..f.clone() };
        let k = LogFile::key_of(self.t.org(), &f.id);
        let mut item = item::value_item(&k, records::LOG_FILE, &next)?;
        item.insert(keys::VERSION.into(), json!(next.version));
        match self.t.put(item, Condition::VersionIs(f.version)).await {
            Ok(()) => Ok(next),
            Err(StoreError::ConditionFailed { .. }) => Err(RepoError::VersionConflict { current: f.version }),
            Err(e) => Err(e.into()),
        }
    }

    /// Raises `alert` unless it was raised before (its key is per line and day, or once for
    /// over-delivery); whether it is new.
    pub async fn raise_alert(&self, alert: &PacingAlert) -> Result<bool, RepoError> {
        let gone = alert.day.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp()) + ALERT_DAYS * 86_400;
        let mut item = item::value_item(&alert.key(), PACING_ALERT, alert)?;
        item.insert(EXPIRES_AT.into(), json!(gone));
        match self.t.put(item, Condition::NotExists).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The ledgers of `listeners` for `episode` (absent ones empty at version 0).
    pub async fn ledgers(
        &self,
        episode: &EpisodeId,
        listeners: &[String],
    ) -> Result<HashMap<String, StoredLedger>, RepoError> {
        let org = self.t.org();
        let mut out = HashMap::with_capacity(listeners.len());
        for chunk in listeners.chunks(100) {
            let keys: Vec<Key> = chunk.iter().map(|l| records::ledger_key(org, episode, l)).collect();
            let by_pk: HashMap<String, &String> = keys.iter().map(|k| k.pk.clone()).zip(chunk.iter()).collect();
            for it in self.t.batch_get(&keys).await? {
                let Some(listener) = item::str_attr(&it, keys::PK).and_then(|pk| by_pk.get(pk)) else { continue };
                let version = item::version_of(&it);
                let ledger: ListenerLedger = item::from_item(item::without_bookkeeping(it.clone()))?;
                out.insert((*listener).clone(), StoredLedger { ledger, version });
            }
        }
        for l in listeners {
            out.entry(l.clone()).or_default();
        }
        Ok(out)
    }

    /// Writes `ledgers` and the rollup `changes` they make in one transaction. `Ok(false)` when a
    /// ledger moved since it was read (nothing written: read and count again).
    pub async fn apply(&self, ledgers: &[LedgerWrite], changes: &RollupChanges) -> Result<bool, RepoError> {
        let org = self.t.org();
        let mut ops = Vec::with_capacity(ledgers.len() + changes.len());
        for w in ledgers {
            let key = records::ledger_key(org, &w.episode, &w.listener);
            let mut item = item::value_item(&key, LISTENER_LEDGER, &w.ledger)?;
            item.insert(keys::VERSION.into(), json!(w.expected + 1));
            item.insert(EXPIRES_AT.into(), json!(w.expires_at.timestamp()));
            let condition = if w.expected == 0 { Condition::NotExists } else { Condition::VersionIs(w.expected) };
            ops.push(TransactOp::Put { item, condition });
        }
        for (key, attrs) in changes {
            let mut update = Update::new().set(keys::ENTITY, ROLLUP);
            // Rollups are only ever made by updates: they are placed in the tenant index here,
            // so backups carry them.
            if let Some(at) = keys::tenant_index_key(&key.pk, &key.sk) {
                let (p, s) = Index::Gsi5.attributes();
                update = update.set(p, at.pk).set(s, at.sk);
            }
            for (name, by) in attrs.iter().filter(|(_, by)| **by != 0) {
                update = update.add(name.clone(), *by);
            }
            ops.push(TransactOp::Update { key: key.clone(), update, condition: Condition::Always });
        }
        if ops.is_empty() {
            return Ok(true);
        }
        if ops.len() > MAX_TRANSACT_ITEMS {
            return Err(RepoError::Store(StoreError::InvalidRequest(format!(
                "{} writes do not fit one transaction",
                ops.len()
            ))));
        }
        match self.t.transact(ops).await {
            Ok(()) => Ok(true),
            Err(
                StoreError::TransactionConflict { .. }
                | StoreError::TransactionContention
                | StoreError::ConditionFailed { .. },
            ) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn days(&self, pk: String, from: NaiveDate, to: NaiveDate) -> Result<Vec<(String, Item)>, RepoError> {
        let range = KeyCondition::Between(records::day_sk(from), format!("{}~", records::day_sk(to)));
        let mut q = Query::partition(Index::Main, pk).sort(range).limit(500);
        let mut out = Vec::new();
        loop {
            let page = self.t.query(&q).await?;
            for it in page.items {
                let sk = item::str_attr(&it, keys::SK).unwrap_or_default().to_owned();
                out.push((sk, it));
            }
            match page.last_key {
                Some(last) => q.start_after = Some(last),
                None => return Ok(out),
            }
        }
    }

    /// Each day's counts, its shards summed, in day order.
    fn summed(items: &[(String, Item)]) -> Vec<DayCounts> {
        let mut days: BTreeMap<Option<NaiveDate>, DayCounts> = BTreeMap::new();
        for (sk, it) in items {
            let c = Self::counts_of(sk, it);
            let day = days.entry(c.day).or_insert_with(|| DayCounts { day: c.day, counts: BTreeMap::new() });
            for (name, n) in c.counts {
                *day.counts.entry(name).or_default() += n;
            }
        }
        days.into_values().collect()
    }

    fn counts_of(sk: &str, it: &Item) -> DayCounts {
        let day = sk.strip_prefix("DAY#").and_then(|d| d.get(..10)).and_then(|d| d.parse().ok());
        let counts = it
            .iter()
            .filter(|(k, _)| {
                matches!(k.as_str(), "downloads" | "listeners" | "adDeliveries" | "impressions")
                    || records::is_ad_attribute(k)
            })
            .filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n)))
            .collect();
        DayCounts { day, counts }
    }

    /// An episode's daily rollups within `[from, to]`.
    pub async fn episode_days(
        &self,
        episode: &EpisodeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayCounts>, RepoError> {
        let items = self.days(records::episode_rollup_pk(self.t.org(), episode), from, to).await?;
        Ok(Self::summed(&items))
    }

    /// A show's daily rollups within `[from, to]`.
    pub async fn show_days(&self, show: &ShowId, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayCounts>, RepoError> {
        let items = self.days(records::show_rollup_pk(self.t.org(), show), from, to).await?;
        Ok(Self::summed(&items))
    }

    /// A campaign's impressions per order line and day within `[from, to]`.
    pub async fn campaign_days(
        &self,
        campaign: &CampaignId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<LineDay>, RepoError> {
        let items = self.days(records::campaign_rollup_pk(self.t.org(), campaign), from, to).await?;
        // A line's day is summed over its shards.
        let mut lines: BTreeMap<(NaiveDate, String, u32), LineDay> = BTreeMap::new();
        for (sk, it) in &items {
            let n = it.get("impressions").and_then(Value::as_u64).unwrap_or(0);
            let Some(d) = LineDay::parse(sk, n) else { continue };
            lines
                .entry((d.day, d.order_id.to_string(), d.line))
                .and_modify(|l| l.impressions += d.impressions)
                .or_insert(d);
        }
        Ok(lines.into_values().collect())
    }
}
