//! Recounts: an organization's delivery counted again under its current window.
//!
//! Changing the window (`settings.delivery.window`) applies to what is counted from then on. A
//! recount applies it to the past as far as the listeners' ledgers reach ([`LEDGER_DAYS`]): an
//! admin asks for one (`POST /delivery/recounts`), the delivery API stores it queued and leaves
//! a note under `recounts/<orgId>/`, and the note's S3 event brings `delivery-ingest`, which
//! goes through the organization's episodes in id order and, per episode and UTC day, the
//! listeners its evidence kept that day: each listener's ledger is counted again under the
//! current window and written with the difference to the rollups, in the same transactions as
//! an ingest (so a recount and an ingest of a late file touching one listener race safely). A
//! recount that runs short of time saves where it stands (`after`) and leaves its note again.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::delivery::records::LEDGER_DAYS;
use crate::delivery::settings::Window;
use crate::keys::{Key, PROFILE, org_pk};
use crate::{EpisodeId, OrgId, UserId};

/// The item type of a recount.
pub const DELIVERY_RECOUNT: &str = "deliveryRecount";

/// Attempts at a recount before it is failed.
pub const RECOUNT_ATTEMPTS: u32 = 3;

/// A recount that moved no further for this long is shown failed: nothing is still running it.
pub const RECOUNT_STALLS_AFTER_MINUTES: i64 = 60;

/// Where a recount stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecountStatus {
    /// Asked for; not started.
    Queued,
    /// Going through the episodes.
    Running,
    /// Every ledger kept has been counted again.
    Completed,
    /// Given up (`error` says why).
    Failed,
}

/// The position a recount has reached: the episode and UTC day whose listeners were the last
/// counted again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecountPosition {
    /// The episode.
    pub episode_id: EpisodeId,
    /// The day.
    pub day: NaiveDate,
}

/// One recount of an organization's delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recount {
    /// Its id (a ULID).
    pub id: String,
    /// The organization.
    pub org_id: OrgId,
    /// The window the counts are moved to (the organization's when it was asked for; a recount
    /// uses the window in force when it runs, and records it here).
    pub window: Window,
    /// The first UTC day whose listeners are counted again: the ledgers' reach.
    pub since: NaiveDate,
    /// Where it stands.
    pub status: RecountStatus,
    /// Who asked.
    pub requested_by: UserId,
    /// Listeners' ledgers counted again (a listener heard on several days counts once a day).
    #[serde(default)]
    pub ledgers: u64,
    /// Of those, the ledgers whose downloads moved.
    #[serde(default)]
    pub changed: u64,
    /// The last episode and day done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<RecountPosition>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last moved.
    pub updated_at: DateTime<Utc>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Attempts that failed.
    #[serde(default)]
    pub failed_attempts: u32,
}

impl Recount {
    /// A new recount of `org` under `window`, asked for by `by` at `now`: queued.
    pub fn queued(org: OrgId, window: Window, by: UserId, now: DateTime<Utc>) -> Recount {
        Recount {
            id: ulid::Ulid::new().to_string(),
            org_id: org,
            window,
            since: (now - Duration::days(LEDGER_DAYS)).date_naive(),
            status: RecountStatus::Queued,
            requested_by: by,
            ledgers: 0,
            changed: 0,
            after: None,
            error: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
            failed_attempts: 0,
        }
    }

    /// Whether there is nothing left to do.
    pub fn ended(&self) -> bool {
        matches!(self.status, RecountStatus::Completed | RecountStatus::Failed)
    }

    /// Records progress at `now`: `ledgers` more counted again, `changed` of them moved, up to
    /// `at`.
    pub fn advanced(&mut self, at: RecountPosition, ledgers: u64, changed: u64, now: DateTime<Utc>) {
        self.status = RecountStatus::Running;
        self.after = Some(at);
        self.ledgers += ledgers;
        self.changed += changed;
        self.updated_at = now;
    }

    /// Marks it done at `now`.
    pub fn completed(&mut self, now: DateTime<Utc>) {
        self.status = RecountStatus::Completed;
        self.updated_at = now;
        self.finished_at = Some(now);
    }

    /// Records an attempt that failed at `now` (the cause is the operators' log): `true` when it
    /// was the last one, and the recount is failed; otherwise the next attempt goes on from
    /// `after`.
    pub fn attempt_failed(&mut self, now: DateTime<Utc>) -> bool {
        self.failed_attempts += 1;
        self.updated_at = now;
        if self.failed_attempts < RECOUNT_ATTEMPTS {
            return false;
        }
        self.status = RecountStatus::Failed;
        self.error = Some(format!("stopped after {} failed attempts; ask for another recount", self.failed_attempts));
        self.finished_at = Some(now);
        true
    }

    /// The recount as a reader sees it at `now`: one that has not moved for
    /// [`RECOUNT_STALLS_AFTER_MINUTES`] and has not ended is failed.
    pub fn as_of(&self, now: DateTime<Utc>) -> Recount {
        let stalled = self.updated_at + Duration::minutes(RECOUNT_STALLS_AFTER_MINUTES);
        if self.ended() || now < stalled {
            return self.clone();
        }
        Recount {
            status: RecountStatus::Failed,
            error: Some(format!("did not move for {RECOUNT_STALLS_AFTER_MINUTES} minutes; ask for another recount")),
            finished_at: Some(stalled),
            ..self.clone()
        }
    }

    /// The key of recount `id`.
    pub fn key_of(org: &OrgId, id: &str) -> Key {
        Key::new(org_pk(org, format!("DLV#RECOUNT#{id}")), PROFILE)
    }

    /// The key of its note in the logs bucket.
    pub fn note_key(&self) -> String {
        format!("{}{}.json", recounts_prefix(&self.org_id), self.id)
    }
}

/// Where the delivery API leaves an organization's recount notes: `recounts/<orgId>/`.
pub fn recounts_prefix(org: &OrgId) -> String {
    format!("recounts/{org}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap().and_hms_opt(h, 0, 0).unwrap().and_utc()
    }

    fn recount() -> Recount {
        Recount::queued(OrgId::new(), Window::LastTouch, UserId::new(), at(8))
    }

    #[test]
    fn a_recount_reaches_as_far_back_as_the_ledgers_and_has_its_keys() {
        let r = recount();
        assert_eq!(r.status, RecountStatus::Queued);
        assert_eq!(r.since, NaiveDate::from_ymd_opt(2026, 10, 8).unwrap(), "60 days back");
        assert!(!r.ended());
        assert_eq!(Recount::key_of(&r.org_id, &r.id).pk, format!("ORG#{}#DLV#RECOUNT#{}", r.org_id, r.id));
        assert_eq!(r.note_key(), format!("recounts/{}/{}.json", r.org_id, r.id));
    }

    #[test]
    fn progress_adds_up_and_completion_ends_it() {
        let mut r = recount();
        let (e, day) = (EpisodeId::new(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        r.advanced(RecountPosition { episode_id: e, day }, 10, 2, at(9));
        r.advanced(RecountPosition { episode_id: e, day: day.succ_opt().unwrap() }, 5, 1, at(10));
        assert_eq!((r.status, r.ledgers, r.changed, r.updated_at), (RecountStatus::Running, 15, 3, at(10)));
        assert_eq!(r.after.map(|a| a.day), day.succ_opt());
        assert!(!r.ended());
        r.completed(at(11));
        assert_eq!((r.status, r.finished_at), (RecountStatus::Completed, Some(at(11))));
        assert!(r.ended());
    }

    #[test]
    fn the_third_failed_attempt_fails_it() {
        let mut r = recount();
        assert!(!r.attempt_failed(at(9)));
        assert!(!r.attempt_failed(at(10)));
        assert_eq!((r.status, r.updated_at), (RecountStatus::Queued, at(10)));
        assert!(r.attempt_failed(at(11)));
        assert_eq!((r.status, r.finished_at, r.failed_attempts), (RecountStatus::Failed, Some(at(11)), 3));
        assert!(r.error.as_deref().is_some_and(|e| e.contains("3 failed attempts")));
        assert!(r.ended());
    }

    #[test]
    fn a_recount_that_stopped_moving_is_shown_failed() {
        let mut r = recount();
        assert_eq!(r.as_of(at(8) + Duration::minutes(59)), r, "still within the hour");
        let stalled = r.as_of(at(9));
        assert_eq!((stalled.status, stalled.finished_at), (RecountStatus::Failed, Some(at(9))));
        assert!(stalled.error.as_deref().is_some_and(|e| e.contains("60 minutes")));
        r.advanced(RecountPosition { episode_id: EpisodeId::new(), day: r.since }, 1, 0, at(10));
        assert_eq!(r.as_of(at(10) + Duration::minutes(59)).status, RecountStatus::Running, "it moved");
        r.completed(at(11));
        assert_eq!(r.as_of(at(20)), r, "an ended recount stays as it ended");
    }
}
