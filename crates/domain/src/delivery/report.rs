//! Delivery reports: daily counts gathered into days or ISO weeks, a campaign's and an order's
//! delivery with pacing per line, and their CSV form. Pure: the `delivery` function reads the
//! rollups and orders, and this decides what the reader gets.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::pacing::{self, Flight, Pacing};
use crate::order::{Order, OrderStatus};
use crate::{EpisodeId, OrderId, ShowId};

/// How a report's series is cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One row a day.
    #[default]
    Day,
    /// One row an ISO week (Monday to Sunday), dated by its Monday.
    Week,
}

impl Granularity {
    /// The first day of the period `day` falls in.
    pub fn period_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => day,
            Granularity::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        }
    }
}

/// One period's counts: named counts summed over its days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Its first day.
    pub period: NaiveDate,
    /// The counts.
    #[serde(flatten)]
    pub counts: BTreeMap<String, i64>,
}

/// Gathers daily counts into periods of `g`. `daily_only` counts (unique listeners) are never
/// summed across days: a week leaves them out.
pub fn series(
    days: impl IntoIterator<Item = (NaiveDate, BTreeMap<String, i64>)>,
    g: Granularity,
    daily_only: &[&str],
) -> Vec<Period> {
    let mut out: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
    for (day, counts) in days {
        let p = out.entry(g.period_of(day)).or_default();
        for (name, n) in counts {
            if g == Granularity::Week && daily_only.contains(&name.as_str()) {
                continue;
            }
            *p.entry(name).or_default() += n;
        }
    }
    out.into_iter().map(|(period, counts)| Period { period, counts }).collect()
}

/// One booked line's delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineDelivery {
    /// The order.
    pub order_id: OrderId,
    /// The order's number.
    pub order_number: String,
    /// The line.
    pub line: u32,
    /// Its episode.
    pub episode_id: EpisodeId,
    /// Its show.
    pub show_id: ShowId,
    /// The spot, `pre-0`.
    pub spot: String,
    /// Its air date.
    pub air_date: NaiveDate,
    /// Impressions promised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<u64>,
    /// Impressions delivered since air.
    pub delivered: u64,
    /// Pacing against the goal (none without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pacing: Option<Pacing>,
}

/// The lines of `orders` that deliver (booked or completed orders), with their impressions to
/// date from `delivered` (by order and line) and pacing by `today`.
pub fn lines_of(orders: &[Order], delivered: &BTreeMap<(OrderId, u32), u64>, today: NaiveDate) -> Vec<LineDelivery> {
    let mut out = Vec::new();
    for o in orders.iter().filter(|o| matches!(o.status, OrderStatus::Booked | OrderStatus::Completed)) {
        for l in &o.lines {
            let n = delivered.get(&(o.id, l.line)).copied().unwrap_or(0);
            out.push(LineDelivery {
                order_id: o.id,
                order_number: o.number.clone(),
                line: l.line,
                episode_id: l.spot.episode_id,
                show_id: l.show_id,
                spot: l.spot.id().to_string(),
                air_date: l.air_date,
                goal: l.impression_goal,
                delivered: n,
                pacing: l.impression_goal.map(|g| pacing::of_line(g, n, l.air_date, today)),
            });
        }
    }
    out
}

/// The pacing of lines together: their goals, deliveries and expectations summed (lines without
/// a goal left out); none when no line has a goal.
pub fn total_pacing(lines: &[LineDelivery], today: NaiveDate) -> Option<Pacing> {
    let with_goal: Vec<(&LineDelivery, u64)> = lines.iter().filter_map(|l| l.goal.map(|g| (l, g))).collect();
    if with_goal.is_empty() {
        return None;
    }
    let goal: u64 = with_goal.iter().map(|(_, g)| g).sum();
    let delivered: u64 = with_goal.iter().map(|(l, _)| l.delivered).sum();
    let expected: u64 = with_goal.iter().map(|(l, g)| pacing::expected(*g, Flight::of_line(l.air_date), today)).sum();
    // The flights' shares weighted by their goals: 1 only once every flight has ended.
    let weighted: f64 =
        with_goal.iter().map(|(l, g)| *g as f64 * Flight::of_line(l.air_date).elapsed_share(today)).sum();
    let share = if goal > 0 { weighted / goal as f64 } else { 0.0 };
    let ended = with_goal.iter().all(|(l, _)| Flight::of_line(l.air_date).elapsed_share(today) >= 1.0);
    Some(pacing::pacing(goal, delivered, expected, if ended { 1.0 } else { share.min(0.999) }))
}

/// A CSV field, quoted when it must be (RFC 4180), and kept from being read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-` or `@` gets a `'`).
pub fn csv_field(s: &str) -> String {
    let s =
        if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// A CSV document of `header` and `rows` (CRLF line ends, RFC 4180).
pub fn csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn counts(downloads: i64, listeners: i64) -> BTreeMap<String, i64> {
        BTreeMap::from([("downloads".to_owned(), downloads), ("listeners".to_owned(), listeners)])
    }

    #[test]
    fn weeks_start_on_monday_and_never_sum_listeners() {
        assert_eq!(Granularity::Week.period_of(day(9)), day(7), "Wednesday's week is Monday's");
        assert_eq!(Granularity::Week.period_of(day(7)), day(7));
        assert_eq!(Granularity::Week.period_of(day(13)), day(7), "Sunday ends it");
        assert_eq!(Granularity::Day.period_of(day(9)), day(9));
        let days = vec![(day(7), counts(10, 10)), (day(8), counts(1, 1)), (day(14), counts(2, 2))];
        let weekly = series(days.clone(), Granularity::Week, &["listeners"]);
        assert_eq!(weekly.len(), 2);
        assert_eq!(weekly[0].counts, BTreeMap::from([("downloads".to_owned(), 11)]));
        assert_eq!(weekly[1].period, day(14));
        let daily = series(days, Granularity::Day, &["listeners"]);
        assert_eq!(daily[1].counts, counts(1, 1));
        let json = serde_json::to_value(&daily[0]).unwrap();
        assert_eq!(json, serde_json::json!({"period": "2026-12-07", "downloads": 10, "listeners": 10}));
    }

    #[test]
    fn lines_of_delivering_orders_are_paced_and_their_total_weighted_by_goal() {
        use crate::order::tests::{booked_order, line, usd};
        use crate::order::{OrderStatus, Rate};
        let mut o = booked_order(30_000, day(1));
        let mut second = line(2, Rate::Cpm(usd(2_500)), Some(10_000));
        second.air_date = day(11);
        let no_goal = line(3, Rate::Flat(usd(50_000)), None);
        o.lines.extend([second, no_goal]);
        let delivered = BTreeMap::from([((o.id, 1), 12_000), ((o.id, 2), 1_000), ((o.id, 3), 7)]);
        let lines = lines_of(std::slice::from_ref(&o), &delivered, day(15));
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[0].line, lines[0].delivered, lines[0].spot.as_str()), (1, 12_000, "mid-0"));
        assert_eq!(lines[0].pacing.unwrap().expected, 15_000);
        assert_eq!(lines[1].pacing.unwrap().expected, 1_667);
        assert!(lines[2].pacing.is_none() && lines[2].goal.is_none());
        let total = total_pacing(&lines, day(15)).unwrap();
        assert_eq!((total.goal, total.delivered, total.expected), (40_000, 13_000, 16_667));
        assert_eq!(total.elapsed_share, 0.417, "(30,000 x 15/30 + 10,000 x 5/30) / 40,000");
        assert_eq!(total.percent, Some(78.0));
        assert_eq!(total.status, crate::delivery::pacing::PacingStatus::Behind);
        // Once every flight has ended the whole goal is due.
        let ended = total_pacing(&lines, NaiveDate::from_ymd_opt(2027, 1, 20).unwrap()).unwrap();
        assert_eq!((ended.elapsed_share, ended.expected), (1.0, 40_000));
        assert_eq!(ended.status, crate::delivery::pacing::PacingStatus::AtRisk);
        // One still running keeps the share under 1.
        let running = total_pacing(&lines, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()).unwrap();
        assert!(running.elapsed_share < 1.0 && running.elapsed_share > 0.9, "{}", running.elapsed_share);
        assert!(total_pacing(&lines[2..], day(15)).is_none(), "no goal, no pacing");
        // Orders not booked deliver nothing.
        o.status = OrderStatus::Cancelled;
        assert!(lines_of(std::slice::from_ref(&o), &delivered, day(15)).is_empty());
    }

    #[test]
    fn csv_quotes_what_it_must_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-3"), "-3", "a negative number stays a number");
        assert_eq!(csv_field("@x"), "'@x");
        assert_eq!(csv(&["a", "b"], [vec!["1".into(), "x\ny".into()]]), "a,b\r\n1,\"x\ny\"\r\n");
    }
}
