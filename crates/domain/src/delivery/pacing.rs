//! Pacing: whether a line item (or a campaign, the sum of its lines) delivers its impression goal
//! on time. Delivery is expected evenly over the flight: by a day, the goal times the share of
//! the flight's days that have begun. A line's flight is the [`ACCRUAL_DAYS`] from its air date
//! (an episode's downloads come in the weeks after it airs, and a spot's impressions are
//! guaranteed within that time).

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// How many days from its air date a spot's impressions count toward its goal.
pub const ACCRUAL_DAYS: i64 = 30;

/// Delivered at least this share of the expected: on track (below: behind).
pub const ON_TRACK_FROM: f64 = 0.9;
/// Delivered more than this share of the expected: ahead.
pub const AHEAD_ABOVE: f64 = 1.1;
/// Delivered less than this share of the expected: at risk.
pub const AT_RISK_BELOW: f64 = 0.7;
/// The share of the flight after which a line behind pace is told to its seller.
pub const ALERT_AFTER_SHARE: f64 = 0.25;

/// Where delivery stands against pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PacingStatus {
    /// Within 90 % to 110 % of the expected.
    OnTrack,
    /// Under 90 % of the expected.
    Behind,
    /// Over 110 % of the expected.
    Ahead,
    /// Under 70 % of the expected, or the flight ended short of the goal.
    AtRisk,
}

/// A flight: its first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flight {
    /// The first day.
    pub start: NaiveDate,
    /// The last day (inclusive).
    pub end: NaiveDate,
}

impl Flight {
    /// A line's flight: [`ACCRUAL_DAYS`] from its air date.
    pub fn of_line(air_date: NaiveDate) -> Self {
        Self { start: air_date, end: air_date + Duration::days(ACCRUAL_DAYS - 1) }
    }

    /// Its length in days.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// The share of its days begun by `today` (0 before it, 1 from its last day on).
    pub fn elapsed_share(&self, today: NaiveDate) -> f64 {
        let begun = ((today - self.start).num_days() + 1).clamp(0, self.days());
        begun as f64 / self.days() as f64
    }
}

/// Pacing of a goal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pacing {
    /// Impressions promised.
    pub goal: u64,
    /// Impressions delivered.
    pub delivered: u64,
    /// Impressions expected by now.
    pub expected: u64,
    /// Delivered as a percentage of expected (none before anything is expected).
    pub percent: Option<f64>,
    /// Where it stands.
    pub status: PacingStatus,
    /// The share of the flight begun.
    pub elapsed_share: f64,
    /// Delivered beyond the goal.
    pub over_delivered: u64,
}

/// The expected delivery of `goal` by `today` over `flight`.
pub fn expected(goal: u64, flight: Flight, today: NaiveDate) -> u64 {
    (goal as f64 * flight.elapsed_share(today)).round() as u64
}

/// Pacing of `delivered` against `goal`, with `expected` by now and `elapsed_share` of the flight.
pub fn pacing(goal: u64, delivered: u64, expected: u64, elapsed_share: f64) -> Pacing {
    let percent = (expected > 0).then(|| (delivered as f64 / expected as f64 * 1000.0).round() / 10.0);
    // The status follows the exact share, not the rounded percentage.
    let ratio = if expected > 0 { delivered as f64 / expected as f64 } else { 1.0 };
    let status = if elapsed_share >= 1.0 && delivered < goal || ratio < AT_RISK_BELOW {
        PacingStatus::AtRisk
    } else if ratio < ON_TRACK_FROM {
        PacingStatus::Behind
    } else if ratio > AHEAD_ABOVE {
        PacingStatus::Ahead
    } else {
        PacingStatus::OnTrack
    };
    Pacing {
        goal,
        delivered,
        expected,
        percent,
        status,
        elapsed_share: (elapsed_share * 1000.0).round() / 1000.0,
        over_delivered: delivered.saturating_sub(goal),
    }
}

/// Pacing of one line with `goal`, airing on `air_date`, by `today`.
pub fn of_line(goal: u64, delivered: u64, air_date: NaiveDate, today: NaiveDate) -> Pacing {
    let flight = Flight::of_line(air_date);
    pacing(goal, delivered, expected(goal, flight, today), flight.elapsed_share(today))
}

/// Whether a line's seller is told: behind pace (under 90 %) past a quarter of its flight.
pub fn needs_alert(p: &Pacing) -> bool {
    p.elapsed_share > ALERT_AFTER_SHARE && matches!(p.status, PacingStatus::Behind | PacingStatus::AtRisk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn a_lines_flight_is_thirty_days_from_air_and_shares_count_begun_days() {
        let f = Flight::of_line(day(1));
        assert_eq!((f.end, f.days()), (day(30), 30));
        assert_eq!(f.elapsed_share(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()), 0.0);
        assert_eq!(f.elapsed_share(day(1)), 1.0 / 30.0);
        assert_eq!(f.elapsed_share(day(15)), 0.5);
        assert_eq!(f.elapsed_share(day(30)), 1.0);
        assert_eq!(f.elapsed_share(day(31)), 1.0);
        assert_eq!(expected(30_000, f, day(15)), 15_000);
        assert_eq!(expected(30_000, f, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()), 0);
    }

    #[test]
    fn statuses_follow_the_share_of_the_expected() {
        // Half way through a 30-day flight of 30,000: 15,000 expected.
        let at = |delivered| of_line(30_000, delivered, day(1), day(15));
        assert_eq!(at(15_000).status, PacingStatus::OnTrack);
        assert_eq!(at(15_000).percent, Some(100.0));
        assert_eq!(at(13_500).status, PacingStatus::OnTrack, "90 % is on track");
        assert_eq!(at(13_499).status, PacingStatus::Behind);
        assert_eq!(at(10_500).status, PacingStatus::Behind, "70 % is behind, not at risk");
        assert_eq!(at(10_499).status, PacingStatus::AtRisk);
        assert_eq!(at(16_500).status, PacingStatus::OnTrack, "110 % is on track");
        assert_eq!(at(16_501).status, PacingStatus::Ahead);
        assert_eq!(at(16_501).percent, Some(110.0));
        assert_eq!(at(15_000).elapsed_share, 0.5);
        // Before air nothing is expected and nothing is wrong.
        let early = of_line(30_000, 0, day(10), day(5));
        assert_eq!((early.expected, early.percent, early.status), (0, None, PacingStatus::OnTrack));
        let published_early = of_line(30_000, 500, day(10), day(5));
        assert_eq!((published_early.percent, published_early.status), (None, PacingStatus::OnTrack));
    }

    #[test]
    fn a_flight_that_ended_short_is_at_risk_and_over_delivery_is_shown() {
        let ended = of_line(30_000, 29_000, day(1), day(31));
        assert_eq!(ended.status, PacingStatus::AtRisk, "96.7 % but the flight is over");
        let done = of_line(30_000, 30_000, day(1), day(31));
        assert_eq!((done.status, done.over_delivered), (PacingStatus::OnTrack, 0));
        let over = of_line(30_000, 36_000, day(1), day(31));
        assert_eq!((over.status, over.over_delivered), (PacingStatus::Ahead, 6_000));
    }

    #[test]
    fn sellers_are_told_of_lines_behind_after_a_quarter_of_the_flight() {
        // Day 7 of 30 is 23 %: not yet; day 8 is 27 %.
        assert!(!needs_alert(&of_line(30_000, 0, day(1), day(7))));
        assert!(needs_alert(&of_line(30_000, 0, day(1), day(8))));
        assert!(needs_alert(&of_line(30_000, 6_500, day(1), day(8))), "81 % is behind");
        assert!(!needs_alert(&of_line(30_000, 7_300, day(1), day(8))), "91 % is on track");
        assert!(!needs_alert(&of_line(30_000, 20_000, day(1), day(8))), "ahead");
        assert!(!needs_alert(&pacing(1_000, 0, 250, 0.25)), "a quarter is not past a quarter");
        assert!(needs_alert(&pacing(1_000, 0, 251, 0.251)));
    }
}
