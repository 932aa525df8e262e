//! Backups of one organization, their schedule and retention.
//!
//! Keys and access patterns:
//! - the backup record: `ORG#<o>#BACKUP#<b>` / `PROFILE`;
//! - list an organization's backups, newest first: GSI1 `ORG#<o>#BACKUPS` / `<backupId>`;
//! - the objects live in S3 under `backups/<orgId>/<backupId>/`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{self, Entity, Index, Key, PROFILE, org_pk};
use crate::{BackupId, OrgId, Stamp, ValidationErrors};

/// How a backup came to be, which decides how long it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// Asked for; kept until deleted.
    Manual,
    /// Daily schedule; kept 7 days.
    Daily,
    /// Weekly schedule; kept 30 days.
    Weekly,
    /// Monthly schedule; kept 365 days.
    Monthly,
}

impl BackupKind {
    /// How long a backup of this kind is kept, `None` for forever.
    pub fn retention(&self) -> Option<Duration> {
        match self {
            BackupKind::Manual => None,
            BackupKind::Daily => Some(Duration::days(7)),
            BackupKind::Weekly => Some(Duration::days(30)),
            BackupKind::Monthly => Some(Duration::days(365)),
        }
    }
}

/// Where a backup is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupStatus {
    /// Waiting to run.
    Queued,
    /// Running.
    Running,
    /// Done and downloadable.
    Completed,
    /// Failed; see `error`.
    Failed,
}

/// How often scheduled backups run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// Every day.
    Daily,
    /// Every week (Mondays).
    Weekly,
    /// Every month (the 1st).
    Monthly,
}

/// An organization's backup schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupSchedule {
    /// Whether scheduled backups run.
    pub enabled: bool,
    /// How often.
    pub frequency: Frequency,
    /// Hour of day (0..=23) in the organization's time zone.
    pub hour: u8,
}

impl BackupSchedule {
    /// The scheduled backup due at local time `local` (the organization's time zone): its kind
    /// and the period it stands for (`2026-11-22`, `2026-W47`, `2026-11`), once the period's
    /// hour has come. The job claims each period once, so a run that missed the hour catches up
    /// later in the period instead of skipping it.
    pub fn due(&self, local: chrono::NaiveDateTime) -> Option<(BackupKind, String)> {
        use chrono::{Datelike, Timelike};
        if !self.enabled {
            return None;
        }
        let hour_passed = local.hour() >= u32::from(self.hour);
        match self.frequency {
            Frequency::Daily => hour_passed.then(|| (BackupKind::Daily, local.date().to_string())),
            Frequency::Weekly => {
                let w = local.iso_week();
                let monday = local.weekday() == chrono::Weekday::Mon;
                (!monday || hour_passed).then(|| (BackupKind::Weekly, format!("{}-W{:02}", w.year(), w.week())))
            }
            Frequency::Monthly => (local.day() > 1 || hour_passed)
                .then(|| (BackupKind::Monthly, format!("{}-{:02}", local.year(), local.month()))),
        }
    }

    /// The key claiming a scheduled period, so each runs once.
    pub fn period_key(org: &OrgId, kind: BackupKind, period: &str) -> Key {
        let kind = serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        Key::new(org_pk(org, "BACKUPRUNS"), format!("{kind}#{period}"))
    }

    /// Field errors, with `prefix` before each field name.
    pub fn check(&self, prefix: &str, v: &mut ValidationErrors) {
        if self.hour > 23 {
            v.add(format!("{prefix}hour"), "out_of_range", "must be 0 to 23");
        }
    }
}

/// Version of the backup file format written now.
pub const FORMAT_VERSION: u32 = 1;

/// Item types a backup leaves out: its own records (a restore must not rewrite the list of
/// backups) and webhook endpoints (their signing secrets must not leave in a file an admin can
/// download; an endpoint is registered again rather than restored), besides the ephemeral ones
/// the tenant index never holds.
pub const NOT_BACKED_UP: [&str; 2] = ["backup", "webhookEndpoint"];

/// What a restore may bring back, each with the item types that make it up (an entity and the
/// items that hang off it). Users, API keys and the organization itself are not restorable: they
/// are bound to identities and credentials outside the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RestoreGroup {
    /// Clients and their seller assignments.
    Clients,
    /// Campaigns with their team, history and show links.
    Campaigns,
    /// Shows and their assignments.
    Shows,
    /// Episodes and their talent schedule entries.
    Episodes,
    /// Talent availability.
    Availability,
    /// Notifications.
    Notifications,
    /// The activity log.
    Activities,
}

impl RestoreGroup {
    /// The item types (`entityType`) of the group.
    pub fn entity_types(&self) -> &'static [&'static str] {
        match self {
            RestoreGroup::Clients => &["client", "sellerAssignment"],
            RestoreGroup::Campaigns => &["campaign", "teamMember", "campaignHistory", "campaignShow", "campaignAgency"],
            RestoreGroup::Shows => &["show", "showAssignment"],
            RestoreGroup::Episodes => &["episode", "scheduleEntry"],
            RestoreGroup::Availability => &["availability", "availabilitySet"],
            RestoreGroup::Notifications => &["notification"],
            RestoreGroup::Activities => &["activity"],
        }
    }
}

/// Item types a restore may only add to: the audit trail. Missing entries come back; existing
/// ones are never overwritten, and none is deleted, whatever the mode (an admin cannot erase or
/// rewrite what was done).
pub const APPEND_ONLY_TYPES: [&str; 1] = ["activity"];

/// Whether a restore may only add items of type `entity_type`.
pub fn is_append_only(entity_type: &str) -> bool {
    APPEND_ONLY_TYPES.contains(&entity_type)
}

/// The mark of one restore run, written on every item it puts back or removes: the backup and the
/// moment the run began, so a later run of the same backup marks its writes anew.
pub fn restore_mark(backup: &BackupId, began: DateTime<Utc>) -> String {
    format!("{backup}@{}", began.timestamp_millis())
}

/// Whether a change of the table (the item before and after it, `None` where it did not exist)
/// was a restore's own write, which the change processors pass over: no activity entry per item,
/// no notification, no live update, no webhook, no derived work (the restore puts back state, it
/// does not redo what led to it). A write is the restore's when the item it leaves carries a
/// restore mark ([`keys::RESTORED_BY`], with [`keys::REMOVED_BY_RESTORE`] just before a replace
/// deletes it): no one else writes one, and every other write drops them (a put writes an item as
/// its type has it, and a tenant handle's updates remove them). A deletion is the restore's when
/// the item carried the removal mark. Being this plain, the rule is also what the stream's event
/// source filters on, so a restore's writes never become events at all.
pub fn made_by_restore(
    before: Option<&serde_json::Map<String, serde_json::Value>>,
    after: Option<&serde_json::Map<String, serde_json::Value>>,
) -> bool {
    match after {
        Some(after) => after.contains_key(keys::RESTORED_BY) || after.contains_key(keys::REMOVED_BY_RESTORE),
        None => before.is_some_and(|b| b.contains_key(keys::REMOVED_BY_RESTORE)),
    }
}

/// How a restore treats what is there now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestoreMode {
    /// Put back every backed-up item, leaving others alone.
    Merge,
    /// The chosen types become exactly the backup's: items created since are deleted.
    Replace,
}

/// A restore of a backup, kept on the backup's record while it runs and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restore {
    /// What it brings back.
    pub entities: Vec<RestoreGroup>,
    /// Merge or replace.
    pub mode: RestoreMode,
    /// Queued, running, completed or failed.
    pub status: BackupStatus,
    /// Percent done.
    pub progress: u8,
    /// Items written per type.
    #[serde(default)]
    pub restored: BTreeMap<String, u64>,
    /// Items deleted per type (replace).
    #[serde(default)]
    pub deleted: BTreeMap<String, u64>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Who asked for it.
    pub requested_by: crate::UserId,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// Where an export that ran out of time stopped, kept on the record so the next invocation goes on
/// from there (at a part boundary: every uploaded part is a complete gzip member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportCheckpoint {
    /// The multipart upload under way.
    pub upload_id: String,
    /// Its parts so far: (number, ETag).
    pub parts: Vec<(i32, String)>,
    /// The tenant index shard being read.
    pub shard: u32,
    /// The last item read in it (its key attributes), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_after: Option<serde_json::Map<String, serde_json::Value>>,
    /// Items per type so far.
    pub counts: BTreeMap<String, u64>,
    /// Invocations the export has taken so far.
    pub invocations: u32,
}

/// The manifest written beside a backup's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The organization.
    pub org_id: OrgId,
    /// The backup.
    pub backup_id: BackupId,
    /// When the export finished.
    pub created_at: DateTime<Utc>,
    /// Items per type.
    pub counts: BTreeMap<String, u64>,
    /// Items in all.
    pub items: u64,
    /// SHA-256 (hex) of the data object as stored.
    pub sha256: String,
    /// Size of the data object in bytes.
    pub size_bytes: u64,
    /// The data object's encoding: gzip JSON Lines, one stored item per line.
    pub encoding: String,
    /// The key attributes of the items (`PK`, `SK`, the GSIs'), for tools reading the file.
    pub key_schema: Vec<String>,
}

/// One backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    /// Its id.
    pub id: BackupId,
    /// Its organization.
    pub org_id: OrgId,
    /// Manual or scheduled.
    pub kind: BackupKind,
    /// Where it is.
    pub status: BackupStatus,
    /// Percent done.
    pub progress: u8,
    /// Items per entity type.
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Compressed size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// SHA-256 of the data object, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it is deleted (epoch seconds), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Where a long export paused, while it is between invocations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<ExportCheckpoint>,
    /// The latest restore from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<Restore>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl Backup {
    /// A new backup of `org`, queued for the job, asked for by `by` at `at`, kept as its kind says.
    pub fn queued(org: OrgId, kind: BackupKind, by: crate::UserId, at: DateTime<Utc>) -> Self {
        Self {
            id: BackupId::new(),
            org_id: org,
            kind,
            status: BackupStatus::Queued,
            progress: 0,
            counts: BTreeMap::new(),
            size_bytes: None,
            sha256: None,
            error: None,
            expires_at: Self::expiry(kind, at),
            checkpoint: None,
            restore: None,
            stamp: Stamp::created(by, at),
        }
    }

    /// When a backup of this kind created at `at` expires, if ever.
    pub fn expiry(kind: BackupKind, at: DateTime<Utc>) -> Option<i64> {
        kind.retention().map(|d| (at + d).timestamp())
    }

    /// The S3 key prefix of an organization's backups.
    pub fn s3_prefix(org: &OrgId) -> String {
        format!("backups/{org}/")
    }

    /// The data object's key: gzip JSON Lines.
    pub fn data_key(org: &OrgId, id: &BackupId) -> String {
        format!("{}{id}/data.jsonl.gz", Self::s3_prefix(org))
    }

    /// The manifest's key.
    pub fn manifest_key(org: &OrgId, id: &BackupId) -> String {
        format!("{}{id}/manifest.json", Self::s3_prefix(org))
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &BackupId) -> Key {
        Key::new(org_pk(org, format!("BACKUP#{id}")), PROFILE)
    }

    /// GSI1 partition listing backups.
    pub fn list_pk(org: &OrgId) -> String {
        org_pk(org, "BACKUPS")
    }
}

impl Entity for Backup {
    const TYPE: &'static str = "backup";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(Index::Gsi1, Key::new(Self::list_pk(&self.org_id), self.id.to_string()))]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(fields: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        fields.as_object().cloned().unwrap()
    }

    #[test]
    fn a_restores_writes_are_those_that_leave_its_mark() {
        let plain = image(serde_json::json!({"name": "A"}));
        let marked = |m: &str| image(serde_json::json!({"name": "A", "restoredBy": m}));
        let removing = |m: &str| image(serde_json::json!({"name": "A", "restoredBy": m, "removedByRestore": m}));
        // Put back where nothing was, over an unmarked item, over an earlier restore's, or again
        // by the same run (a retried batch).
        assert!(made_by_restore(None, Some(&marked("b@1"))));
        assert!(made_by_restore(Some(&plain), Some(&marked("b@1"))));
        assert!(made_by_restore(Some(&marked("b@1")), Some(&marked("b@2"))));
        assert!(made_by_restore(Some(&marked("b@1")), Some(&marked("b@1"))));
        // Marked for removal, then removed.
        assert!(made_by_restore(Some(&plain), Some(&removing("b@2"))));
        assert!(made_by_restore(Some(&marked("b@1")), Some(&removing("b@2"))));
        assert!(made_by_restore(Some(&removing("b@2")), None));
        assert!(made_by_restore(Some(&image(serde_json::json!({"removedByRestore": "b@2"}))), None));
        assert!(made_by_restore(None, Some(&image(serde_json::json!({"removedByRestore": "b@2"})))));
        // Everyone else's writes, which leave no mark: creations, changes (also of restored
        // items), deletions of restored items.
        assert!(!made_by_restore(None, Some(&plain)));
        assert!(!made_by_restore(Some(&plain), Some(&plain)));
        assert!(!made_by_restore(Some(&marked("b@1")), Some(&plain)));
        assert!(!made_by_restore(Some(&removing("b@2")), Some(&plain)));
        assert!(!made_by_restore(Some(&plain), None));
        assert!(!made_by_restore(Some(&marked("b@1")), None));
        assert!(!made_by_restore(None, None));
    }

    #[test]
    fn each_run_of_a_restore_has_its_own_mark() {
        let b = BackupId::new();
        let at: DateTime<Utc> = "2026-12-04T10:00:00.123Z".parse().unwrap();
        assert_eq!(restore_mark(&b, at), format!("{b}@{}", at.timestamp_millis()));
        assert_ne!(restore_mark(&b, at), restore_mark(&b, at + Duration::milliseconds(1)));
        assert_ne!(restore_mark(&b, at), restore_mark(&BackupId::new(), at));
    }

    #[test]
    fn a_monthly_backup_missed_on_the_first_is_caught_up_and_hours_run_0_to_23() {
        let at = |s: &str| s.parse::<chrono::NaiveDateTime>().unwrap();
        let monthly = BackupSchedule { enabled: true, frequency: Frequency::Monthly, hour: 3 };
        assert_eq!(monthly.due(at("2026-12-02T01:00:00")), Some((BackupKind::Monthly, "2026-12".into())));
        let errors = |hour: u8| {
            let mut v = ValidationErrors::new();
            BackupSchedule { hour, ..monthly }.check("schedule.", &mut v);
            v
        };
        assert!(errors(0).is_empty() && errors(23).is_empty());
        assert!(errors(24).has("schedule.hour"));
    }

    #[test]
    fn only_the_log_is_append_only_and_each_group_names_its_own_types() {
        assert!(is_append_only("activity"));
        for ty in ["campaign", "client", "notification", "episode", ""] {
            assert!(!is_append_only(ty), "{ty}");
        }
        use RestoreGroup::*;
        let groups = [Clients, Campaigns, Shows, Episodes, Availability, Notifications, Activities];
        let mut all: Vec<&str> = groups.iter().flat_map(|g| g.entity_types().iter().copied()).collect();
        assert_eq!(Campaigns.entity_types()[0], "campaign");
        assert!(Campaigns.entity_types().contains(&"teamMember"));
        assert_eq!(Clients.entity_types(), ["client", "sellerAssignment"]);
        assert_eq!(Activities.entity_types(), ["activity"]);
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a type belongs to one group");
        assert!(groups.iter().all(|g| !g.entity_types().is_empty()));
    }

    #[test]
    fn a_backups_objects_and_record_have_their_documented_keys() {
        let org = OrgId::new();
        let b = Backup::queued(org, BackupKind::Manual, crate::UserId::new(), Utc::now());
        assert_eq!(Backup::s3_prefix(&org), format!("backups/{org}/"));
        assert_eq!(Backup::data_key(&org, &b.id), format!("backups/{org}/{}/data.jsonl.gz", b.id));
        assert_eq!(Backup::manifest_key(&org, &b.id), format!("backups/{org}/{}/manifest.json", b.id));
        assert_eq!(b.key(), Key::new(format!("ORG#{org}#BACKUP#{}", b.id), PROFILE));
        assert_eq!(b.index_keys(), vec![(Index::Gsi1, Key::new(format!("ORG#{org}#BACKUPS"), b.id.to_string()))]);
        assert_eq!(b.org_id(), &org);
        let mut later = b.clone();
        later.stamp.version = 7;
        assert_eq!(later.version(), 7);
    }

    #[test]
    fn retention_by_kind() {
        let at: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(Backup::expiry(BackupKind::Manual, at), None);
        assert_eq!(Backup::expiry(BackupKind::Daily, at), Some(at.timestamp() + 7 * 86_400));
        assert_eq!(Backup::expiry(BackupKind::Weekly, at), Some(at.timestamp() + 30 * 86_400));
        assert_eq!(Backup::expiry(BackupKind::Monthly, at), Some(at.timestamp() + 365 * 86_400));
    }

    #[test]
    fn schedules_are_due_once_their_hour_has_come_in_each_period() {
        let at = |s: &str| s.parse::<chrono::NaiveDateTime>().unwrap();
        let daily = BackupSchedule { enabled: true, frequency: Frequency::Daily, hour: 3 };
        assert_eq!(daily.due(at("2026-11-22T02:59:00")), None);
        assert_eq!(daily.due(at("2026-11-22T03:00:00")), Some((BackupKind::Daily, "2026-11-22".into())));
        assert_eq!(daily.due(at("2026-11-22T23:00:00")), Some((BackupKind::Daily, "2026-11-22".into())));
        let weekly = BackupSchedule { frequency: Frequency::Weekly, ..daily };
        // 2026-11-23 is a Monday.
        assert_eq!(weekly.due(at("2026-11-23T01:00:00")), None);
        assert_eq!(weekly.due(at("2026-11-23T03:00:00")), Some((BackupKind::Weekly, "2026-W48".into())));
        assert_eq!(weekly.due(at("2026-11-25T00:00:00")), Some((BackupKind::Weekly, "2026-W48".into())));
        let monthly = BackupSchedule { frequency: Frequency::Monthly, ..daily };
        assert_eq!(monthly.due(at("2026-12-01T02:00:00")), None);
        assert_eq!(monthly.due(at("2026-12-01T03:00:00")), Some((BackupKind::Monthly, "2026-12".into())));
        assert_eq!(BackupSchedule { enabled: false, ..daily }.due(at("2026-11-22T12:00:00")), None);
        let org = OrgId::new();
        assert!(BackupSchedule::period_key(&org, BackupKind::Weekly, "2026-W48").sk.starts_with("weekly#"));
    }

    #[test]
    fn schedule_hour_is_checked() {
        let mut v = ValidationErrors::new();
        BackupSchedule { enabled: true, frequency: Frequency::Daily, hour: 24 }.check("", &mut v);
        assert!(v.has("hour"));
    }
}
