//! Evidence of a count: every request of a log matched to an episode, as the rules judged it, so
//! a client can audit what they were billed for.
//!
//! The ingest writes each chunk's matched requests, per episode and UTC day, as a gzip JSON
//! Lines object (`evidence/<orgId>/<episodeId>/<day>/<fileId>-<first line>.jsonl.gz`) and an
//! index item beside the ledger. An export gathers one campaign's episodes' objects for a
//! period into one gzip JSON Lines file, downloadable by presigned URL.
//!
//! Access patterns:
//! - an episode's evidence objects of a day range: `pk = ORG#o#DLV#EVIDENCE#<episodeId>`,
//!   `sk` between `DAY#<from>` and `DAY#<to>~`;
//! - one export: `pk = ORG#o#DLV#EXPORT#<exportId>`, `sk = PROFILE`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::filters::Dropped;
use super::request::Request;
use crate::keys::{Key, PROFILE, org_pk};
use crate::{CampaignId, EpisodeId, OrgId, UserId};

/// Entity type of an evidence object's index item.
pub const EVIDENCE_CHUNK: &str = "deliveryEvidence";
/// Entity type of an evidence export.
pub const EVIDENCE_EXPORT: &str = "evidenceExport";

/// The longest period one export covers, in days.
pub const MAX_EXPORT_DAYS: i64 = 92;

/// How long an export's download link is valid, in seconds.
pub const DOWNLOAD_SECONDS: u64 = 900;

/// Attempts at building an export before it is failed: S3 invokes a function for an object
/// three times at most (the first and two retries).
pub const EXPORT_ATTEMPTS: u32 = 3;

/// How long an export may stay queued before it is shown as failed: a function killed at its
/// time limit never records its own failure.
pub const EXPORT_STALLS_AFTER_MINUTES: i64 = 60;

/// What the rules made of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Kept: its bytes count toward its listener's download.
    Kept,
    /// Dropped by `rule`.
    Dropped,
}

/// One judged request, as an evidence line shows it (never the address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceLine {
    /// When it was served.
    pub at: DateTime<Utc>,
    /// The episode.
    pub episode_id: EpisodeId,
    /// The listener key (the HMAC of address and user agent under the month's secret).
    pub listener: String,
    /// The user agent's product (`AppleCoreMedia`, `Overcast`), not the whole string.
    pub user_agent_class: String,
    /// The method.
    pub method: String,
    /// The status answered.
    pub status: u16,
    /// The byte range asked for, `[start, end]` (`end` absent: to the end).
    pub range: Option<(u64, Option<u64>)>,
    /// Bytes sent.
    pub bytes: u64,
    /// Kept or dropped.
    pub decision: Decision,
    /// The rule that decided: `kept`, or the dropping rule's name.
    pub rule: String,
}

impl EvidenceLine {
    /// The evidence of `r` for `episode` under `listener`, dropped by `dropped` if any.
    pub fn of(r: &Request, episode: EpisodeId, listener: String, dropped: Option<Dropped>) -> EvidenceLine {
        let (decision, rule) = match dropped {
            None => (Decision::Kept, "kept".to_owned()),
            Some(rule) => (Decision::Dropped, rule.name().to_owned()),
        };
        EvidenceLine {
            at: r.at,
            episode_id: episode,
            listener,
            user_agent_class: user_agent_class(&r.user_agent),
            method: r.method.to_string(),
            status: r.status,
            range: r.range.map(|g| (g.start, g.end)),
            bytes: r.bytes_sent,
            decision,
            rule,
        }
    }
}

/// The product a user agent names: its first token before `/`, a space or `(`, at most 40
/// characters (`unknown` when empty). Enough to tell players and bots apart; too little to
/// single out a device.
pub fn user_agent_class(user_agent: &str) -> String {
    let token = user_agent.trim().split(['/', ' ', '(', ';']).next().unwrap_or_default();
    let class: String = token.chars().filter(|c| !c.is_control()).take(40).collect();
    if class.is_empty() { "unknown".to_owned() } else { class }
}

/// The index item of one evidence object: which episode and day it holds, how many requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceChunk {
    /// The episode.
    pub episode_id: EpisodeId,
    /// The UTC day of its requests.
    pub day: NaiveDate,
    /// The object's key in the logs bucket.
    pub object: String,
    /// Requests kept.
    pub kept: u64,
    /// Requests dropped.
    pub dropped: u64,
}

impl EvidenceChunk {
    /// The object and index key of the requests for `episode` on `day` of the chunk of log file
    /// `file` starting at line `first_line` (the same for a replayed chunk, so it overwrites).
    pub fn locate(org: &OrgId, episode: &EpisodeId, day: NaiveDate, file: &str, first_line: u64) -> (String, Key) {
        let object = format!("{}{episode}/{day}/{file}-{first_line:012}.jsonl.gz", evidence_prefix(org));
        let key = Key::new(evidence_pk(org, episode), format!("DAY#{day}#{file}#{first_line:012}"));
        (object, key)
    }
}

/// Where an organization's evidence objects live in the logs bucket.
pub fn evidence_prefix(org: &OrgId) -> String {
    format!("evidence/{org}/")
}

/// Where an export's request note goes (its S3 event brings the ingest function to build it).
pub fn exports_prefix(org: &OrgId) -> String {
    format!("exports/{org}/")
}

/// The partition of an episode's evidence index.
pub fn evidence_pk(org: &OrgId, episode: &EpisodeId) -> String {
    org_pk(org, format!("DLV#EVIDENCE#{episode}"))
}

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// Asked for; not built yet.
    Queued,
    /// Built: `object` holds it.
    Completed,
    /// Could not be built (`error` says why).
    Failed,
}

/// One campaign's evidence for a period, asked for by a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceExport {
    /// Its id (a ULID).
    pub id: String,
    /// The organization.
    pub org_id: OrgId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The first day (the organization's time zone).
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
    /// Where it stands.
    pub status: ExportStatus,
    /// Who asked.
    pub requested_by: UserId,
    /// Requests kept, in the file.
    #[serde(default)]
    pub kept: u64,
    /// Requests dropped, in the file.
    #[serde(default)]
    pub dropped: u64,
    /// The file's key in the logs bucket, once built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Attempts at building it that failed.
    #[serde(default)]
    pub failed_attempts: u32,
}

impl EvidenceExport {
    /// A new export of `campaign` for `[from, to]`, asked for by `by` at `now`: queued.
    pub fn queued(
        org: OrgId,
        campaign: CampaignId,
        from: NaiveDate,
        to: NaiveDate,
        by: UserId,
        now: DateTime<Utc>,
    ) -> EvidenceExport {
        EvidenceExport {
            id: ulid::Ulid::new().to_string(),
            org_id: org,
            campaign_id: campaign,
            from,
            to,
            status: ExportStatus::Queued,
            requested_by: by,
            kept: 0,
            dropped: 0,
            object: None,
            error: None,
            created_at: now,
            finished_at: None,
            failed_attempts: 0,
        }
    }

    /// Records an attempt that failed at `now` (its cause is the operators' log, not the
    /// reader's): `true` when it was the last one, and the export is failed; otherwise it stays
    /// queued for the next attempt.
    pub fn attempt_failed(&mut self, now: DateTime<Utc>) -> bool {
        self.failed_attempts += 1;
        if self.failed_attempts < EXPORT_ATTEMPTS {
            return false;
        }
        self.status = ExportStatus::Failed;
        self.error = Some(format!("not built after {} attempts; ask for it again", self.failed_attempts));
        self.finished_at = Some(now);
        true
    }

    /// The export as a reader sees it at `now`: one queued for longer than
    /// [`EXPORT_STALLS_AFTER_MINUTES`] is failed, since nothing is still building it.
    pub fn as_of(&self, now: DateTime<Utc>) -> EvidenceExport {
        let stalled = self.created_at + chrono::Duration::minutes(EXPORT_STALLS_AFTER_MINUTES);
        if self.status != ExportStatus::Queued || now < stalled {
            return self.clone();
        }
        EvidenceExport {
            status: ExportStatus::Failed,
            error: Some(format!("not built within {EXPORT_STALLS_AFTER_MINUTES} minutes; ask for it again")),
            finished_at: Some(stalled),
            ..self.clone()
        }
    }

    /// The key of export `id`.
    pub fn key_of(org: &OrgId, id: &str) -> Key {
        Key::new(org_pk(org, format!("DLV#EXPORT#{id}")), PROFILE)
    }

    /// The key of its request note in the logs bucket.
    pub fn note_key(&self) -> String {
        format!("{}{}.json", exports_prefix(&self.org_id), self.id)
    }

    /// The key of its file in the logs bucket.
    pub fn object_key(&self) -> String {
        format!("{}exports/{}.jsonl.gz", evidence_prefix(&self.org_id), self.id)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Arc;

    use super::*;
    use crate::delivery::request::ByteRange;

    #[test]
    fn a_user_agent_is_classed_by_its_product() {
        assert_eq!(user_agent_class("AppleCoreMedia/1.0.0.21A5 (iPhone; U)"), "AppleCoreMedia");
        assert_eq!(user_agent_class("Overcast (+http://overcast.fm/)"), "Overcast");
        assert_eq!(user_agent_class("curl"), "curl");
        assert_eq!(user_agent_class("  "), "unknown");
        assert_eq!(user_agent_class("(null)/(null) watchOS"), "unknown");
        assert_eq!(user_agent_class("x;y"), "x");
        assert_eq!(user_agent_class(&"a".repeat(100)).len(), 40);
        assert_eq!(user_agent_class("a\u{7}b/1"), "ab");
    }

    #[test]
    fn a_line_never_carries_the_address_and_names_its_rule() {
        let r = Request {
            at: Utc::now(),
            ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
            user_agent: Arc::from("Spotify/8.8 iOS"),
            method: "GET".into(),
            status: 206,
            bytes_sent: 2,
            range: Some(ByteRange { start: 0, end: Some(1) }),
        };
        let e = EpisodeId::new();
        let kept = EvidenceLine::of(&r, e, "k".into(), None);
        assert_eq!((kept.decision, kept.rule.as_str(), kept.range), (Decision::Kept, "kept", Some((0, Some(1)))));
        assert_eq!((kept.user_agent_class.as_str(), kept.bytes, kept.status), ("Spotify", 2, 206));
        let dropped = EvidenceLine::of(&r, e, "k".into(), Some(Dropped::Probe));
        assert_eq!((dropped.decision, dropped.rule.as_str()), (Decision::Dropped, Dropped::Probe.name()));
        let text = serde_json::to_string(&dropped).unwrap();
        assert!(!text.contains("203.0.113.9"), "{text}");
        assert!(text.contains("\"decision\":\"dropped\""), "{text}");
    }

    #[test]
    fn keys_and_objects_are_per_organization_episode_day_and_chunk() {
        let (org, e) = (OrgId::new(), EpisodeId::new());
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let (object, key) = EvidenceChunk::locate(&org, &e, day, "F1", 20_000);
        assert_eq!(object, format!("evidence/{org}/{e}/2026-12-07/F1-000000020000.jsonl.gz"));
        assert_eq!(key.pk, format!("ORG#{org}#DLV#EVIDENCE#{e}"));
        assert_eq!(key.sk, "DAY#2026-12-07#F1#000000020000");
        assert!(object.starts_with(&evidence_prefix(&org)));
        let x = EvidenceExport {
            id: "X1".into(),
            ..EvidenceExport::queued(org, CampaignId::new(), day, day, UserId::new(), Utc::now())
        };
        assert_eq!((x.status, x.kept, x.dropped, x.object.as_ref()), (ExportStatus::Queued, 0, 0, None));
        assert_ne!(EvidenceExport::queued(org, x.campaign_id, day, day, x.requested_by, x.created_at).id, "X1");
        assert_eq!(x.note_key(), format!("exports/{org}/X1.json"));
        assert_eq!(x.object_key(), format!("evidence/{org}/exports/X1.jsonl.gz"));
        assert_eq!(EvidenceExport::key_of(&org, "X1"), Key::new(format!("ORG#{org}#DLV#EXPORT#X1"), PROFILE));
    }

    #[test]
    fn an_export_fails_on_its_third_failed_attempt_and_not_before() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let now = Utc::now();
        let mut x = EvidenceExport::queued(OrgId::new(), CampaignId::new(), day, day, UserId::new(), now);
        assert!(!x.attempt_failed(now));
        assert!(!x.attempt_failed(now));
        assert_eq!((x.status, x.failed_attempts, x.error.as_ref()), (ExportStatus::Queued, 2, None));
        assert!(x.attempt_failed(now));
        assert_eq!((x.status, x.finished_at), (ExportStatus::Failed, Some(now)));
        assert_eq!(x.error.as_deref(), Some("not built after 3 attempts; ask for it again"));
    }

    #[test]
    fn a_queued_export_is_seen_failed_once_it_has_stalled_for_an_hour() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let asked = Utc::now();
        let x = EvidenceExport::queued(OrgId::new(), CampaignId::new(), day, day, UserId::new(), asked);
        let hour = chrono::Duration::minutes(EXPORT_STALLS_AFTER_MINUTES);
        assert_eq!(x.as_of(asked + hour - chrono::Duration::seconds(1)), x);
        let seen = x.as_of(asked + hour);
        assert_eq!((seen.status, seen.finished_at), (ExportStatus::Failed, Some(asked + hour)));
        assert_eq!(seen.error.as_deref(), Some("not built within 60 minutes; ask for it again"));
        assert_eq!((seen.id.as_str(), seen.created_at), (x.id.as_str(), asked));
        let done = EvidenceExport { status: ExportStatus::Completed, ..x.clone() };
        assert_eq!(done.as_of(asked + hour * 10), done);
    }
}
