//! What the delivery ledger stores, with its keys and access patterns:
//! - a log file read (once): `ORG#<o>#LOGFILE#<id>` / `PROFILE`, `id` a hash of its bucket and
//!   key; it holds the line reached (the checkpoint) and the file's counts;
//! - the organization's listener secret of a month: `ORG#<o>#DLV#SECRET` / `MONTH#<yyyy-mm>`,
//!   gone (TTL) after the next month, so no listener key can be traced back after it;
//! - a listener's ledger for an episode ([`super::ledger::ListenerLedger`]):
//!   `ORG#<o>#DLV#EP#<e>#L#<listener>` / `LEDGER`, kept [`LEDGER_DAYS`] after its last request;
//! - daily rollups, read by day range: an episode's `ORG#<o>#DLV#EPISODE#<e>` / `DAY#<day>`
//!   (downloads, listeners, `ad<n>` deliveries of its marker `n`), a show's
//!   `ORG#<o>#DLV#SHOW#<s>` / `DAY#<day>` (downloads, ad deliveries), and a campaign's
//!   `ORG#<o>#DLV#CAMPAIGN#<c>` / `DAY#<day>#ORDER#<order>#LINE#<nnnnn>` (impressions of one
//!   order line).
//!
//! Rollups are only ever moved by the ledger's differences ([`super::ledger::changes`]), in the
//! same transaction as the ledgers that moved them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Key, PROFILE, org_pk};
use crate::{CampaignId, EpisodeId, OrderId, OrgId, ShowId};

/// How long a listener's ledger is kept after its last request, in days: a log file arriving
/// later than this counts its requests anew.
pub const LEDGER_DAYS: i64 = 60;

/// The record type of a log file read.
pub const LOG_FILE: &str = "logFile";
/// The record type of a listener's ledger (not backed up: it expires, and holds no business data).
pub const LISTENER_LEDGER: &str = "listenerLedger";
/// The record type of a month's listener secret (never backed up).
pub const LISTENER_SECRET: &str = "listenerSecret";
/// The record type of a daily rollup.
pub const ROLLUP: &str = "deliveryRollup";

/// Where reading a log file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFileStatus {
    /// Being read; `linesDone` is where a continuation starts.
    Reading,
    /// Read to its end.
    Done,
}

/// What reading a log file found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileCounts {
    /// Request lines read.
    pub requests: u64,
    /// Lines that could not be read, by reason.
    pub bad_lines: BTreeMap<String, u64>,
    /// Requests for no episode's enclosure URL.
    pub unmatched: u64,
    /// Requests dropped by the guidelines' filters, by rule.
    pub dropped: BTreeMap<String, u64>,
    /// Requests kept for counting.
    pub kept: u64,
}

impl FileCounts {
    /// Adds the counts of `more` (a chunk's) to these.
    pub fn add(&mut self, more: FileCounts) {
        self.requests += more.requests;
        self.unmatched += more.unmatched;
        self.kept += more.kept;
        for (reason, n) in more.bad_lines {
            *self.bad_lines.entry(reason).or_default() += n;
        }
        for (rule, n) in more.dropped {
            *self.dropped.entry(rule).or_default() += n;
        }
    }
}

/// One log file of the logs bucket, read once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogFile {
    /// Its id (a hash of bucket and key).
    pub id: String,
    /// Its organization.
    pub org_id: OrgId,
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// Where reading it stands.
    pub status: LogFileStatus,
    /// Lines read and counted so far (a continuation skips them).
    pub lines_done: u64,
    /// How many invocations read it.
    pub invocations: u32,
    /// What it held.
    pub counts: FileCounts,
    /// When reading began.
    pub started_at: DateTime<Utc>,
    /// When it was read to its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Optimistic concurrency.
    #[serde(default)]
    pub version: u64,
}

impl LogFile {
    /// The id of the object `key` in `bucket`: 32 hex digits of a SHA-256 of both.
    pub fn id_of(bucket: &str, key: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{bucket}/{key}").as_bytes());
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &str) -> Key {
        Key::new(org_pk(org, format!("LOGFILE#{id}")), PROFILE)
    }
}

/// Where a CDN delivers the organization's logs in the logs bucket.
pub fn logs_prefix(org: &OrgId) -> String {
    format!("logs/{org}/")
}

/// Where a paused read of the organization's logs leaves the note that continues it.
pub fn continuations_prefix(org: &OrgId) -> String {
    format!("continuations/{org}/")
}

/// The key of the organization's listener secret for `month` (`yyyy-mm`).
pub fn secret_key(org: &OrgId, month: &str) -> Key {
    Key::new(org_pk(org, "DLV#SECRET"), format!("MONTH#{month}"))
}

/// The key of a listener's ledger for an episode.
pub fn ledger_key(org: &OrgId, episode: &EpisodeId, listener: &str) -> Key {
    Key::new(org_pk(org, format!("DLV#EP#{episode}#L#{listener}")), "LEDGER")
}

/// The sort key of a day's rollup.
pub fn day_sk(day: NaiveDate) -> String {
    format!("DAY#{day}")
}

/// The partition of an episode's daily rollups.
pub fn episode_rollup_pk(org: &OrgId, episode: &EpisodeId) -> String {
    org_pk(org, format!("DLV#EPISODE#{episode}"))
}

/// The partition of a show's daily rollups.
pub fn show_rollup_pk(org: &OrgId, show: &ShowId) -> String {
    org_pk(org, format!("DLV#SHOW#{show}"))
}

/// The partition of a campaign's daily rollups per order line.
pub fn campaign_rollup_pk(org: &OrgId, campaign: &CampaignId) -> String {
    org_pk(org, format!("DLV#CAMPAIGN#{campaign}"))
}

/// The key of one order line's rollup of a day.
pub fn line_rollup_key(org: &OrgId, campaign: &CampaignId, day: NaiveDate, order: &OrderId, line: u32) -> Key {
    Key::new(campaign_rollup_pk(org, campaign), format!("DAY#{day}#ORDER#{order}#LINE#{line:05}"))
}

/// Shards of each rollup item. Ingest transactions running side by side (in one invocation or
/// in several) each add to their own shard, so they never contend for one item; a reader sums a
/// day's shards. Shard 0 is the unsuffixed item.
pub const ROLLUP_SHARDS: u32 = 64;

/// The key of shard `shard` of the rollup item `key` (`<sk>#S<n>`; shard 0 is `key` itself).
pub fn shard_key(key: &Key, shard: u32) -> Key {
    match shard % ROLLUP_SHARDS {
        0 => key.clone(),
        n => Key::new(key.pk.clone(), format!("{}#S{n:02}", key.sk)),
    }
}

/// The rollup sort key `sk` names, without its shard.
pub fn unsharded_sk(sk: &str) -> &str {
    match sk.rsplit_once("#S") {
        Some((base, n)) if n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => sk,
    }
}

/// The attribute of an episode rollup counting deliveries of its marker `n`.
pub fn ad_attribute(n: usize) -> String {
    format!("ad{n}")
}

/// Whether `name` is an episode rollup's attribute of one marker's deliveries (`ad<n>`).
pub fn is_ad_attribute(name: &str) -> bool {
    name.strip_prefix("ad").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// One line's impressions on one day, as read back from a campaign's rollups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDay {
    /// The day.
    pub day: NaiveDate,
    /// The order.
    pub order_id: OrderId,
    /// The line.
    pub line: u32,
    /// Impressions (ad deliveries).
    pub impressions: u64,
}

impl LineDay {
    /// Reads a campaign rollup's sort key and count (`None` for another kind of key).
    pub fn parse(sk: &str, impressions: u64) -> Option<LineDay> {
        let rest = unsharded_sk(sk).strip_prefix("DAY#")?;
        let (day, rest) = rest.split_once("#ORDER#")?;
        let (order, line) = rest.split_once("#LINE#")?;
        Some(LineDay { day: day.parse().ok()?, order_id: order.parse().ok()?, line: line.parse().ok()?, impressions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunks_counts_add_to_the_files() {
        let mut file = FileCounts {
            requests: 10,
            bad_lines: BTreeMap::from([("no fields".to_owned(), 1)]),
            unmatched: 2,
            dropped: BTreeMap::from([("head".to_owned(), 3)]),
            kept: 4,
        };
        file.add(FileCounts {
            requests: 5,
            bad_lines: BTreeMap::from([("no fields".to_owned(), 2), ("bad status".to_owned(), 1)]),
            unmatched: 1,
            dropped: BTreeMap::from([("head".to_owned(), 1), ("probe".to_owned(), 6)]),
            kept: 7,
        });
        assert_eq!(
            file,
            FileCounts {
                requests: 15,
                bad_lines: BTreeMap::from([("no fields".to_owned(), 3), ("bad status".to_owned(), 1)]),
                unmatched: 3,
                dropped: BTreeMap::from([("head".to_owned(), 4), ("probe".to_owned(), 6)]),
                kept: 11,
            }
        );
    }

    #[test]
    fn keys_and_ids_are_stable_and_line_keys_read_back() {
        let id = LogFile::id_of("logs-bucket", "logs/o/E2ABC.2026-12-07-08.gz");
        assert_eq!(id.len(), 32);
        assert_eq!(id, LogFile::id_of("logs-bucket", "logs/o/E2ABC.2026-12-07-08.gz"));
        assert_ne!(id, LogFile::id_of("logs-bucket", "logs/o/E2ABC.2026-12-07-09.gz"));
        let (org, c, o) = (OrgId::new(), CampaignId::new(), OrderId::new());
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let k = line_rollup_key(&org, &c, day, &o, 7);
        assert!(k.pk.ends_with(&format!("DLV#CAMPAIGN#{c}")));
        assert_eq!(LineDay::parse(&k.sk, 12), Some(LineDay { day, order_id: o, line: 7, impressions: 12 }));
        assert_eq!(LineDay::parse("DAY#2026-12-07", 1), None);
        for shard in [1, 9, 15] {
            let sharded = shard_key(&k, shard);
            assert_eq!(sharded.pk, k.pk);
            assert_ne!(sharded.sk, k.sk);
            assert!(sharded.sk.starts_with(&k.sk), "{}", sharded.sk);
            assert_eq!(unsharded_sk(&sharded.sk), k.sk);
            assert_eq!(LineDay::parse(&sharded.sk, 3), Some(LineDay { day, order_id: o, line: 7, impressions: 3 }));
        }
        assert_eq!(shard_key(&k, 0), k);
        assert_eq!(shard_key(&k, ROLLUP_SHARDS), k, "shards wrap");
        assert_eq!(shard_key(&k, ROLLUP_SHARDS + 2), shard_key(&k, 2));
        let day_key = Key::new("P", day_sk(day));
        assert_eq!(shard_key(&day_key, 4).sk, "DAY#2026-12-07#S04");
        assert_eq!(unsharded_sk("DAY#2026-12-07#S04"), "DAY#2026-12-07");
        assert_eq!(unsharded_sk("DAY#2026-12-07"), "DAY#2026-12-07");
        assert_eq!(unsharded_sk("DAY#2026-12-07#S4"), "DAY#2026-12-07#S4", "two digits");
        assert_eq!(unsharded_sk("DAY#2026-12-07#Sxy"), "DAY#2026-12-07#Sxy");
        assert_eq!(LineDay::parse("DAY#x#ORDER#y#LINE#1", 1), None);
        assert_eq!(day_sk(day), "DAY#2026-12-07");
        assert_eq!(ad_attribute(3), "ad3");
        assert!(is_ad_attribute(&ad_attribute(12)));
        assert!(!is_ad_attribute("ad") && !is_ad_attribute("adDeliveries") && !is_ad_attribute("downloads"));
        assert_eq!(secret_key(&org, "2026-12").sk, "MONTH#2026-12");
        assert!(ledger_key(&org, &EpisodeId::new(), "ab12").pk.ends_with("#L#ab12"));
        assert_eq!(logs_prefix(&org), format!("logs/{org}/"));
        assert_eq!(continuations_prefix(&org), format!("continuations/{org}/"));
        let (e, s) = (EpisodeId::new(), ShowId::new());
        assert_eq!(episode_rollup_pk(&org, &e), format!("ORG#{org}#DLV#EPISODE#{e}"));
        assert_eq!(show_rollup_pk(&org, &s), format!("ORG#{org}#DLV#SHOW#{s}"));
        assert_eq!(campaign_rollup_pk(&org, &c), format!("ORG#{org}#DLV#CAMPAIGN#{c}"));
    }
}
