//! The window within which one listener's requests for one episode are one download, as the
//! organization chooses it (and discloses in its methodology):
//! - **calendar day**: the day in the organization's time zone (UTC unless it says otherwise);
//! - **first-touch 24 hours**: a window opens with a request and lasts 24 hours; the first
//!   request after it opens the next;
//! - **last-touch 24 hours**: each request keeps the window open for 24 more hours, so requests
//!   each less than 24 hours after the one before are one download.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How long a 24-hour window lasts.
pub const DAY: Duration = Duration::hours(24);

/// Which window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum WindowMethod {
    /// The calendar day in a time zone.
    CalendarDay {
        /// The zone's IANA name.
        #[serde(with = "zone_name")]
        zone: Tz,
    },
    /// 24 hours from the first request.
    FirstTouch,
    /// 24 hours from the last request.
    LastTouch,
}

mod zone_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(z: &Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(z.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(|_| serde::de::Error::custom(format!("unknown time zone {name:?}")))
    }
}

/// Finds, for instants given in ascending order, the instant each one's window opened.
#[derive(Debug, Clone, Copy)]
pub struct Opener {
    method: WindowMethod,
    open: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

impl Opener {
    /// An opener of windows by `method`, before any request.
    pub fn new(method: WindowMethod) -> Self {
        Self { method, open: None, last: None }
    }

    /// The instant the window of `t` (no earlier than the last one given) opened.
    pub fn start(&mut self, t: DateTime<Utc>) -> DateTime<Utc> {
        let start = match (self.method, self.open, self.last) {
            (WindowMethod::CalendarDay { zone }, _, _) => {
                let day = t.with_timezone(&zone).date_naive().and_time(NaiveTime::MIN);
                zone.from_local_datetime(&day).earliest().map_or(t, |d| d.with_timezone(&Utc))
            }
            (WindowMethod::FirstTouch, Some(o), _) if t < o + DAY => o,
            (WindowMethod::LastTouch, Some(o), Some(l)) if t < l + DAY => o,
            _ => t,
        };
        self.open = Some(start);
        self.last = Some(t);
        start
    }
}

/// For `times` in ascending order, the instant each one's window opened: equal instants are one
/// window.
pub fn opened(method: WindowMethod, times: &[DateTime<Utc>]) -> Vec<DateTime<Utc>> {
    let mut opener = Opener::new(method);
    times.iter().map(|t| opener.start(*t)).collect()
}

/// How many windows `times` (ascending) fall into.
pub fn count(method: WindowMethod, times: &[DateTime<Utc>]) -> usize {
    let mut starts = opened(method, times);
    starts.dedup();
    starts.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// The guidelines' worked example: Monday 22:00, Tuesday 03:00, Tuesday 22:15, Wednesday
    /// 23:15 are 3 calendar-day, 3 first-touch and 2 last-touch downloads.
    #[test]
    fn the_worked_example_is_three_three_and_two() {
        let times = [
            utc("2026-12-07T22:00:00Z"),
            utc("2026-12-08T03:00:00Z"),
            utc("2026-12-08T22:15:00Z"),
            utc("2026-12-09T23:15:00Z"),
        ];
        assert_eq!(count(WindowMethod::CalendarDay { zone: Tz::UTC }, &times), 3);
        assert_eq!(count(WindowMethod::FirstTouch, &times), 3);
        assert_eq!(count(WindowMethod::LastTouch, &times), 2);
        assert_eq!(
            opened(WindowMethod::FirstTouch, &times),
            [times[0], times[0], times[2], times[3]],
            "Tuesday 22:15 is past Monday 22:00's day"
        );
        assert_eq!(opened(WindowMethod::LastTouch, &times), [times[0], times[0], times[0], times[3]]);
    }

    #[test]
    fn windows_end_exactly_24_hours_on_and_days_follow_the_zone() {
        let a = utc("2026-12-07T10:00:00Z");
        let exactly = [a, a + DAY];
        assert_eq!(count(WindowMethod::FirstTouch, &exactly), 2, "the window is closed at 24 hours");
        assert_eq!(count(WindowMethod::LastTouch, &exactly), 2);
        let just_inside = [a, a + DAY - Duration::seconds(1)];
        assert_eq!(count(WindowMethod::FirstTouch, &just_inside), 1);
        // 23:30 and 00:30 UTC are one evening in New York.
        let ny: Tz = "America/New_York".parse().unwrap();
        let evening = [utc("2026-12-07T23:30:00Z"), utc("2026-12-08T00:30:00Z")];
        assert_eq!(count(WindowMethod::CalendarDay { zone: ny }, &evening), 1);
        assert_eq!(count(WindowMethod::CalendarDay { zone: Tz::UTC }, &evening), 2);
        assert_eq!(opened(WindowMethod::CalendarDay { zone: ny }, &evening)[0], utc("2026-12-07T05:00:00Z"));
        assert_eq!(count(WindowMethod::LastTouch, &[]), 0);
        let json = serde_json::to_value(WindowMethod::CalendarDay { zone: ny }).unwrap();
        assert_eq!(json, serde_json::json!({"method": "calendar_day", "zone": "America/New_York"}));
        assert_eq!(serde_json::from_value::<WindowMethod>(json).unwrap(), WindowMethod::CalendarDay { zone: ny });
        assert!(
            serde_json::from_value::<WindowMethod>(serde_json::json!({"method": "calendar_day", "zone": "Mars/Base"}))
                .is_err()
        );
        assert_eq!(serde_json::to_value(WindowMethod::LastTouch).unwrap(), serde_json::json!({"method": "last_touch"}));
    }
}
