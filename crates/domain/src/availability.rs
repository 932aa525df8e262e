//! Talent availability windows and the recording-date conflict check.
//!
//! Keys and access patterns:
//! - a talent's windows by start: `ORG#<o>#TALENT#<u>` / `WINDOW#<from>#<w>` (Query begins_with
//!   `WINDOW#`, or between two instants for a range). The same partition holds the talent's
//!   schedule items (see [`crate::episode`]), so one Query can read both.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Key, org_pk};
use crate::{OrgId, UserId, ValidationErrors, WindowId};

/// Whether a window blocks or offers time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    /// The talent cannot record.
    Unavailable,
    /// The talent explicitly offers this time.
    Available,
}

/// One availability window of a talent user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityWindow {
    /// Its id.
    pub id: WindowId,
    /// Its organization.
    pub org_id: OrgId,
    /// The talent.
    pub talent_id: UserId,
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Blocks or offers.
    pub kind: WindowKind,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Version.
    pub version: u64,
}

impl AvailabilityWindow {
    /// Field errors, if any.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        if self.to <= self.from {
            v.add("to", "before_from", "must be after from");
        }
        v.opt_text("note", self.note.as_deref(), 500);
        v.into_result()
    }

    /// Whether this window blocks recording on a (UTC) day.
    pub fn blocks(&self, day: NaiveDate) -> bool {
        let Some(start) = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()) else {
            return false;
        };
        let end = start + chrono::Duration::days(1);
        self.kind == WindowKind::Unavailable && self.from < end && start < self.to
    }

    /// Partition holding a talent's windows and schedule.
    pub fn talent_pk(org: &OrgId, talent: &UserId) -> String {
        org_pk(org, format!("TALENT#{talent}"))
    }

    /// Sort key prefix of the windows.
    pub const PREFIX: &'static str = "WINDOW#";
}

/// The first unavailable window of a talent that covers a recording date, if any.
pub fn conflict(windows: &[AvailabilityWindow], recording_date: NaiveDate) -> Option<&AvailabilityWindow> {
    windows.iter().find(|w| w.blocks(recording_date))
}

impl Entity for AvailabilityWindow {
    const TYPE: &'static str = "availability";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Key::new(
            Self::talent_pk(&self.org_id, &self.talent_id),
            format!("{}{}#{}", Self::PREFIX, self.from.format("%Y-%m-%dT%H:%M:%SZ"), self.id),
        )
    }
    fn version(&self) -> u64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(from: &str, to: &str, kind: WindowKind) -> AvailabilityWindow {
        AvailabilityWindow {
            id: WindowId::new(),
            org_id: OrgId::new(),
            talent_id: UserId::new(),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            kind,
            note: None,
            version: 1,
        }
    }

    #[test]
    fn unavailable_windows_overlapping_the_day_conflict() {
        let day: NaiveDate = "2026-05-10".parse().unwrap();
        let ws = vec![
            w("2026-05-08T00:00:00Z", "2026-05-10T00:00:00Z", WindowKind::Unavailable), // ends as the day starts
            w("2026-05-10T00:00:00Z", "2026-05-20T00:00:00Z", WindowKind::Available),
            w("2026-05-10T23:00:00Z", "2026-05-11T02:00:00Z", WindowKind::Unavailable),
        ];
        assert_eq!(conflict(&ws, day).map(|w| w.from.to_rfc3339()), Some(ws[2].from.to_rfc3339()));
        assert!(conflict(&ws[..2], day).is_none());
        assert!(conflict(&ws, "2026-05-12".parse().unwrap()).is_none());
    }

    #[test]
    fn windows_must_end_after_they_start() {
        assert!(w("2026-05-10T00:00:00Z", "2026-05-10T00:00:00Z", WindowKind::Unavailable).validate().is_err());
    }
}
