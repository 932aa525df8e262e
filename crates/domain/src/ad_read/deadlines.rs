//! A host read's deadlines, in the organization's time zone, and the notices they call for.
//!
//! - **Recording due**: the end of the day `dueLeadDays` (the brief's, 5 unless set) before the
//!   episode airs, local time.
//! - **Review due**: one business day after the submission, at the same local time (Saturday
//!   and Sunday skipped: a read submitted on Friday at 15:00 is due for review on Monday at 15:00).
//! - **Client approval due**: one business day after the read went into review waiting for the
//!   client, the same way.
//! - **Aircheck due**: 24 hours after the episode aired.
//!
//! Each deadline is told twice, once: [`NOTICE_AHEAD`] before it and when it passes. The read
//! keeps the notices it was told (`notices`, named `<deadline>:<stage>:<due>` so a moved deadline
//! is told again) and, while one is still to come, the instant of the next on a sparse index the
//! hourly job reads.

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
/// A time zone, as deadlines take it.
pub use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How long before a deadline its first notice goes out.
pub const NOTICE_AHEAD: Duration = Duration::hours(24);
/// How long after air the aircheck is due.
pub const AIRCHECK_WITHIN: Duration = Duration::hours(24);

/// Which deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeadlineKind {
    /// The talent's recording.
    Recording,
    /// The reviewer's decision.
    Review,
    /// The client's approval.
    ClientApproval,
    /// The producer's aircheck.
    Aircheck,
}

impl DeadlineKind {
    /// Its name in notices.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeadlineKind::Recording => "recording",
            DeadlineKind::Review => "review",
            DeadlineKind::ClientApproval => "clientApproval",
            DeadlineKind::Aircheck => "aircheck",
        }
    }
}

/// Ahead of a deadline, or at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// [`NOTICE_AHEAD`] before.
    Ahead,
    /// When it passes.
    Due,
}

impl Stage {
    fn as_str(&self) -> &'static str {
        match self {
            Stage::Ahead => "ahead",
            Stage::Due => "due",
        }
    }
}

/// A read's deadlines (those that apply in its status; the others are `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deadlines {
    /// When the recording is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_due_at: Option<DateTime<Utc>>,
    /// When the review is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_due_at: Option<DateTime<Utc>>,
    /// When the client's approval is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_approval_due_at: Option<DateTime<Utc>>,
    /// When the aircheck is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aircheck_due_at: Option<DateTime<Utc>>,
}

/// One notice a deadline calls for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Notice {
    /// When it goes out.
    pub at: DateTime<Utc>,
    /// Which deadline.
    pub kind: DeadlineKind,
    /// Ahead or at it.
    pub stage: Stage,
    /// The deadline.
    pub due: DateTime<Utc>,
}

impl Notice {
    /// Its name in the read's `notices`: `recording:ahead:2026-12-05T23:00:00Z`.
    pub fn name(&self) -> String {
        format!(
            "{}:{}:{}",
            self.kind.as_str(),
            self.stage.as_str(),
            self.due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    }
}

impl Deadlines {
    /// Every deadline set, with its kind.
    pub fn all(&self) -> Vec<(DeadlineKind, DateTime<Utc>)> {
        [
            (DeadlineKind::Recording, self.recording_due_at),
            (DeadlineKind::Review, self.review_due_at),
            (DeadlineKind::ClientApproval, self.client_approval_due_at),
            (DeadlineKind::Aircheck, self.aircheck_due_at),
        ]
        .into_iter()
        .filter_map(|(k, d)| d.map(|d| (k, d)))
        .collect()
    }

    /// Every notice of these deadlines not yet among `told`, earliest first.
    pub fn untold(&self, told: &[String]) -> Vec<Notice> {
        let mut out: Vec<Notice> = self
            .all()
            .into_iter()
            .flat_map(|(kind, due)| {
                [
                    Notice { at: due - NOTICE_AHEAD, kind, stage: Stage::Ahead, due },
                    Notice { at: due, kind, stage: Stage::Due, due },
                ]
            })
            .filter(|n| !told.contains(&n.name()))
            .collect();
        out.sort();
        out
    }

    /// The notices due at `now` and not yet told; the earliest first.
    pub fn due_notices(&self, told: &[String], now: DateTime<Utc>) -> Vec<Notice> {
        self.untold(told).into_iter().filter(|n| n.at <= now).collect()
    }

    /// When the next notice not yet told goes out.
    pub fn next_notice_at(&self, told: &[String]) -> Option<DateTime<Utc>> {
        self.untold(told).first().map(|n| n.at)
    }
}

/// The instant a local date and time of `tz` is (the earlier one when the clocks go back, the
/// first instant after the gap when they go forward).
fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            let later = local + Duration::hours(1);
            tz.from_local_datetime(&later).earliest().map_or_else(|| later.and_utc(), |t| t.with_timezone(&Utc))
        }
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// When a recording for an episode airing on `air_date` is due: the end of the day `lead_days`
/// before it in `tz` (midnight of the next day).
pub fn recording_due(air_date: NaiveDate, lead_days: u16, tz: Tz) -> DateTime<Utc> {
    let day_after = air_date.checked_sub_days(Days::new(u64::from(lead_days))).unwrap_or(air_date) + Days::new(1);
    instant(tz, day_after.and_time(NaiveTime::MIN))
}

/// One business day after `from` in `tz`: the next day that is not a Saturday or a Sunday, at the
/// same local time.
pub fn next_business_day(from: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = from.with_timezone(&tz).naive_local();
    let mut day = local.date() + Days::new(1);
    while is_weekend(day) {
        day = day + Days::new(1);
    }
    instant(tz, day.and_time(local.time()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_recording_is_due_at_the_end_of_the_day_lead_days_before_air_locally() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let air = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        // Due by the end of December 5th in Berlin: 00:00 on the 6th, 23:00 UTC on the 5th.
        assert_eq!(recording_due(air, 5, berlin), utc("2026-12-05T23:00:00Z"));
        assert_eq!(recording_due(air, 0, chrono_tz::UTC), utc("2026-12-11T00:00:00Z"));
    }

    #[test]
    fn review_skips_the_weekend_in_the_organizations_zone() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // Friday 15:00 in New York (20:00 UTC) -> Monday 15:00 there.
        assert_eq!(next_business_day(utc("2026-12-04T20:00:00Z"), ny), utc("2026-12-07T20:00:00Z"));
        // Friday 22:00 in New York is Saturday in UTC: still Friday there, so Monday.
        assert_eq!(next_business_day(utc("2026-12-05T03:00:00Z"), ny), utc("2026-12-08T03:00:00Z"));
        // Saturday and Sunday submissions are due on Monday.
        assert_eq!(next_business_day(utc("2026-12-05T15:00:00Z"), ny), utc("2026-12-07T15:00:00Z"));
        assert_eq!(next_business_day(utc("2026-12-06T15:00:00Z"), ny), utc("2026-12-07T15:00:00Z"));
        // Tuesday -> Wednesday.
        assert_eq!(next_business_day(utc("2026-12-08T15:00:00Z"), ny), utc("2026-12-09T15:00:00Z"));
        // Across the spring change: Friday 02:30 -> Monday 02:30, an hour less of UTC offset.
        assert_eq!(next_business_day(utc("2027-03-12T07:30:00Z"), ny), utc("2027-03-15T06:30:00Z"));
    }

    #[test]
    fn local_times_in_a_gap_or_an_overlap_are_placed() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let gap = NaiveDate::from_ymd_opt(2027, 3, 14).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(instant(ny, gap), utc("2027-03-14T07:30:00Z"), "03:30 EDT, the first time after the gap");
        let overlap = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().and_hms_opt(1, 30, 0).unwrap();
        assert_eq!(instant(ny, overlap), utc("2026-11-01T05:30:00Z"), "the earlier of the two");
    }

    #[test]
    fn each_deadline_is_told_ahead_and_when_due_once() {
        let due = utc("2026-12-07T15:00:00Z");
        let d = Deadlines { review_due_at: Some(due), ..Deadlines::default() };
        assert_eq!(d.next_notice_at(&[]), Some(due - NOTICE_AHEAD));
        assert!(d.due_notices(&[], utc("2026-12-06T14:59:59Z")).is_empty());
        let ahead = d.due_notices(&[], utc("2026-12-06T15:00:00Z"));
        assert_eq!(ahead.len(), 1);
        assert_eq!(ahead[0].name(), "review:ahead:2026-12-07T15:00:00Z");
        let told = vec![ahead[0].name()];
        assert_eq!(d.next_notice_at(&told), Some(due));
        // A job that ran late tells both at once, the earlier first.
        let late = d.due_notices(&[], utc("2026-12-08T00:00:00Z"));
        assert_eq!(late.iter().map(|n| n.stage).collect::<Vec<_>>(), [Stage::Ahead, Stage::Due]);
        let all: Vec<String> = late.iter().map(Notice::name).collect();
        assert_eq!(d.next_notice_at(&all), None);
        // A moved deadline is told again.
        let moved = Deadlines { review_due_at: Some(due + Duration::days(1)), ..d };
        assert_eq!(moved.due_notices(&all, utc("2026-12-09T00:00:00Z")).len(), 2);
        assert_eq!(Deadlines::default().next_notice_at(&[]), None);
        let every = Deadlines {
            recording_due_at: Some(due),
            review_due_at: Some(due),
            client_approval_due_at: Some(due),
            aircheck_due_at: Some(due),
        };
        let kinds: Vec<&str> = every.all().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["recording", "review", "clientApproval", "aircheck"]);
    }
}
