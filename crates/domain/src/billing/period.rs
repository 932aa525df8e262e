//! Billing periods: a calendar month, or a broadcast month.
//!
//! A broadcast month is made of whole Monday-to-Sunday weeks and ends on the last Sunday of its
//! calendar month; it starts the Monday after the previous one ended (so it may start in the
//! previous calendar month). Broadcast December 2026 runs from Monday 30 November to Sunday
//! 27 December; broadcast January 2027 from Monday 28 December 2026 to Sunday 31 January 2027.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::order::BillingCalendar;

/// A month of a billing calendar, by its year and calendar month number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingMonth {
    /// Which calendar.
    pub calendar: BillingCalendar,
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
}

/// The days a billing month covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    /// Its first day.
    pub start: NaiveDate,
    /// Its last day.
    pub end: NaiveDate,
}

impl Period {
    /// Whether `day` falls in it.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }

    /// How many days it has.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
}

/// Why a month does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{year}-{month:02} is not a month")]
pub struct InvalidMonth {
    /// The year asked for.
    pub year: i32,
    /// The month asked for.
    pub month: u32,
}

fn first_of(year: i32, month: u32) -> Result<NaiveDate, InvalidMonth> {
    NaiveDate::from_ymd_opt(year, month, 1).ok_or(InvalidMonth { year, month })
}

fn last_of(year: i32, month: u32) -> Result<NaiveDate, InvalidMonth> {
    first_of(year, month)?;
    let next = if month == 12 { first_of(year + 1, 1) } else { first_of(year, month + 1) };
    next.map(|n| n - Duration::days(1)).map_err(|_| InvalidMonth { year, month })
}

/// The last Sunday on or before `day`.
fn sunday_on_or_before(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_sunday()))
}

impl BillingMonth {
    /// Month `month` of `year` in `calendar`, if it exists.
    pub fn new(calendar: BillingCalendar, year: i32, month: u32) -> Result<BillingMonth, InvalidMonth> {
        first_of(year, month)?;
        Ok(BillingMonth { calendar, year, month })
    }

    /// The month before.
    pub fn previous(&self) -> BillingMonth {
        let (year, month) = if self.month == 1 { (self.year - 1, 12) } else { (self.year, self.month - 1) };
        BillingMonth { calendar: self.calendar, year, month }
    }

    /// The days it covers.
    pub fn period(&self) -> Result<Period, InvalidMonth> {
        match self.calendar {
            BillingCalendar::Standard => {
                Ok(Period { start: first_of(self.year, self.month)?, end: last_of(self.year, self.month)? })
            }
            BillingCalendar::Broadcast => {
                let end = sunday_on_or_before(last_of(self.year, self.month)?);
                let p = self.previous();
                let start = sunday_on_or_before(last_of(p.year, p.month)?) + Duration::days(1);
                Ok(Period { start, end })
            }
        }
    }

    /// The month of `calendar` that `day` falls in.
    pub fn containing(calendar: BillingCalendar, day: NaiveDate) -> BillingMonth {
        let same = BillingMonth { calendar, year: day.year(), month: day.month() };
        match calendar {
            BillingCalendar::Standard => same,
            BillingCalendar::Broadcast => {
                // Days after the month's last Sunday belong to the next broadcast month.
                let last_sunday = sunday_on_or_before(last_of(day.year(), day.month()).unwrap_or(day));
                if day > last_sunday {
                    let (year, month) =
                        if day.month() == 12 { (day.year() + 1, 1) } else { (day.year(), day.month() + 1) };
                    BillingMonth { calendar, year, month }
                } else {
                    same
                }
            }
        }
    }
}

/// Whether `day` is a Monday (every broadcast month starts on one).
pub fn is_monday(day: NaiveDate) -> bool {
    day.weekday() == Weekday::Mon
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn period(calendar: BillingCalendar, y: i32, m: u32) -> (NaiveDate, NaiveDate) {
        let p = BillingMonth::new(calendar, y, m).unwrap().period().unwrap();
        (p.start, p.end)
    }

    #[test]
    fn a_calendar_month_is_its_days() {
        use BillingCalendar::Standard;
        assert_eq!(period(Standard, 2026, 12), (d(2026, 12, 1), d(2026, 12, 31)));
        assert_eq!(period(Standard, 2027, 2), (d(2027, 2, 1), d(2027, 2, 28)));
        assert_eq!(period(Standard, 2028, 2), (d(2028, 2, 1), d(2028, 2, 29)), "a leap year");
        assert_eq!(BillingMonth::containing(Standard, d(2026, 12, 31)), BillingMonth::new(Standard, 2026, 12).unwrap());
        assert_eq!(BillingMonth::new(Standard, 2026, 13), Err(InvalidMonth { year: 2026, month: 13 }));
        assert!(BillingMonth::new(Standard, 2026, 0).is_err());
    }

    #[test]
    fn a_broadcast_month_is_whole_weeks_to_its_last_sunday() {
        use BillingCalendar::Broadcast;
        assert_eq!(period(Broadcast, 2026, 12), (d(2026, 11, 30), d(2026, 12, 27)));
        assert_eq!(period(Broadcast, 2027, 1), (d(2026, 12, 28), d(2027, 1, 31)), "the year turns inside it");
        assert_eq!(period(Broadcast, 2027, 2), (d(2027, 2, 1), d(2027, 2, 28)));
        assert_eq!(period(Broadcast, 2027, 3), (d(2027, 3, 1), d(2027, 3, 28)));
        for m in 1..=12 {
            let p = BillingMonth::new(Broadcast, 2027, m).unwrap().period().unwrap();
            assert!(is_monday(p.start), "{m} starts on a Monday");
            assert!(!is_monday(p.end), "{m} ends on a Sunday");
            assert_eq!(p.days() % 7, 0, "{m} is whole weeks");
            assert!(matches!(p.days(), 28 | 35), "{m}: four or five weeks");
            let next = BillingMonth::containing(Broadcast, p.end + Duration::days(1));
            assert_eq!(next.period().unwrap().start, p.end + Duration::days(1), "{m}: no gap, no overlap");
        }
    }

    #[test]
    fn a_day_belongs_to_one_broadcast_month() {
        use BillingCalendar::Broadcast;
        let month = |y, m| BillingMonth::new(Broadcast, y, m).unwrap();
        assert_eq!(BillingMonth::containing(Broadcast, d(2026, 12, 27)), month(2026, 12), "the last Sunday");
        assert_eq!(BillingMonth::containing(Broadcast, d(2026, 12, 28)), month(2027, 1), "the Monday after");
        assert_eq!(BillingMonth::containing(Broadcast, d(2026, 12, 31)), month(2027, 1));
        assert_eq!(BillingMonth::containing(Broadcast, d(2026, 11, 30)), month(2026, 12));
        assert_eq!(BillingMonth::containing(Broadcast, d(2026, 11, 29)), month(2026, 11));
        assert_eq!(BillingMonth::containing(Broadcast, d(2027, 1, 31)), month(2027, 1), "a month ending on a Sunday");
        assert_eq!(month(2027, 1).previous(), month(2026, 12));
        assert_eq!(month(2026, 12).previous(), month(2026, 11));
    }

    #[test]
    fn a_period_holds_its_ends() {
        let p = Period { start: d(2026, 11, 30), end: d(2026, 12, 27) };
        assert!(p.contains(d(2026, 11, 30)) && p.contains(d(2026, 12, 27)) && p.contains(d(2026, 12, 10)));
        assert!(!p.contains(d(2026, 11, 29)) && !p.contains(d(2026, 12, 28)));
        assert_eq!(p.days(), 28);
    }
}
