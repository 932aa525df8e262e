//! How each line of an order was used in a billing month ([`LineUse`]), from what the schedule,
//! production and delivery record: the one place that decides what "aired", "verified" and
//! "delivered" mean for billing.
//!
//! - **Aired**: the line's air date falls in the month, its episode was published, and it was not
//!   found wanting (the line does not need a makegood, and its host read is not waiting for one
//!   or cancelled).
//! - **Verified**: a host read whose aircheck was verified; a produced spot once it aired (a
//!   produced spot is inserted as delivered by the network and has no review of its own).
//! - **Delivered**: the IAB impressions counted for the line on the days of the month; those of
//!   earlier days are `delivered_before`, so a capped line stops at its goal and an overage is
//!   counted once.
//! - **Billed before**: what earlier invoices of the order (not voided) charged the line.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::EpisodeId;
use crate::ad_read::AdReadStatus;
use crate::billing::charge::LineUse;
use crate::billing::period::Period;
use crate::order::{AdType, Order, OrderLine};

/// What the store knows of an order's lines, gathered for one billing month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageFacts {
    /// The order's episodes that were published.
    pub published: BTreeSet<EpisodeId>,
    /// The status of each host read, by order line.
    pub reads: BTreeMap<u32, AdReadStatus>,
    /// Impressions counted per order line and day (any days; the month splits them).
    pub delivered: Vec<(u32, NaiveDate, u64)>,
    /// What earlier invoices charged each order line, in minor units.
    pub billed_before: BTreeMap<u32, i64>,
}

/// Whether `line`'s spot aired in `period`, by `facts`.
fn aired(line: &OrderLine, period: Period, facts: &UsageFacts) -> bool {
    let read_ok =
        !matches!(facts.reads.get(&line.line), Some(AdReadStatus::MakegoodRequired | AdReadStatus::Cancelled));
    period.contains(line.air_date) && facts.published.contains(&line.spot.episode_id) && !line.needs_makegood && read_ok
}

/// How `line` was used in `period`.
pub fn line_use(line: &OrderLine, period: Period, facts: &UsageFacts) -> LineUse {
    let aired = aired(line, period, facts);
    let verified = aired
        && match line.ad_type {
            AdType::HostRead => facts.reads.get(&line.line) == Some(&AdReadStatus::Verified),
            AdType::Produced => true,
        };
    let (mut delivered, mut delivered_before) = (0u64, 0u64);
    for (_, day, n) in facts.delivered.iter().filter(|(l, ..)| *l == line.line) {
        if *day < period.start {
            delivered_before += n;
        } else if *day <= period.end {
            delivered += n;
        }
    }
    LineUse {
        aired,
        verified,
        delivered,
        delivered_before,
        billed_before: facts.billed_before.get(&line.line).copied().unwrap_or(0),
    }
}

/// Every line of `order` with how it was used in `period`, by line number.
pub fn line_uses(order: &Order, period: Period, facts: &UsageFacts) -> Vec<(OrderLine, LineUse)> {
    order.lines.iter().map(|l| (l.clone(), line_use(l, period, facts))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::Rate;
    use crate::order::tests::{line, usd};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    const DECEMBER: Period = Period {
        start: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 12, 27).unwrap(),
    };

    fn aired_line(n: u32, air: NaiveDate, ad: AdType) -> (OrderLine, UsageFacts) {
        let mut l = line(n, Rate::Cpm(usd(2_500)), Some(1_000));
        l.air_date = air;
        l.ad_type = ad;
        let facts = UsageFacts { published: [l.spot.episode_id].into(), ..UsageFacts::default() };
        (l, facts)
    }

    #[test]
    fn a_spot_airs_in_the_month_of_its_published_episode_unless_found_wanting() {
        let (l, facts) = aired_line(1, d(12, 1), AdType::Produced);
        let used = line_use(&l, DECEMBER, &facts);
        assert!(used.aired && used.verified, "a produced spot is verified by airing: {used:?}");
        assert!(!line_use(&l, DECEMBER, &UsageFacts::default()).aired, "not published");
        let (edge, f) = aired_line(1, d(11, 30), AdType::Produced);
        assert!(line_use(&edge, DECEMBER, &f).aired, "the broadcast month's first day");
        let (late, f) = aired_line(1, d(12, 28), AdType::Produced);
        assert!(!line_use(&late, DECEMBER, &f).aired, "after the broadcast month's last Sunday");
        let (early, f) = aired_line(1, d(11, 29), AdType::Produced);
        assert!(!line_use(&early, DECEMBER, &f).aired);
        let (last, f) = aired_line(1, d(12, 27), AdType::Produced);
        assert!(line_use(&last, DECEMBER, &f).aired, "the last Sunday is in");
        let mut owed = l.clone();
        owed.needs_makegood = true;
        assert!(!line_use(&owed, DECEMBER, &facts).aired, "a line owed a makegood did not air as sold");
        for wanting in [AdReadStatus::MakegoodRequired, AdReadStatus::Cancelled] {
            let f = UsageFacts { reads: [(1, wanting)].into(), ..facts.clone() };
            assert!(!line_use(&l, DECEMBER, &f).aired, "{wanting:?}");
        }
        let other_line = UsageFacts { reads: [(2, AdReadStatus::Cancelled)].into(), ..facts.clone() };
        assert!(line_use(&l, DECEMBER, &other_line).aired, "another line's read says nothing of this one");
    }

    #[test]
    fn a_host_read_is_verified_by_its_aircheck_only() {
        let (l, facts) = aired_line(3, d(12, 10), AdType::HostRead);
        assert!(!line_use(&l, DECEMBER, &facts).verified, "no read status");
        for s in [AdReadStatus::Aired, AdReadStatus::Approved] {
            let f = UsageFacts { reads: [(3, s)].into(), ..facts.clone() };
            let used = line_use(&l, DECEMBER, &f);
            assert!(used.aired && !used.verified, "{s:?}");
        }
        let f = UsageFacts { reads: [(3, AdReadStatus::Verified)].into(), ..facts.clone() };
        assert!(line_use(&l, DECEMBER, &f).verified);
        let unpublished = UsageFacts { published: BTreeSet::new(), ..f };
        assert!(!line_use(&l, DECEMBER, &unpublished).verified, "verified only once aired");
    }

    #[test]
    fn delivery_splits_at_the_months_edges_and_billed_before_is_the_lines_own() {
        let (l, mut facts) = aired_line(2, d(12, 1), AdType::Produced);
        facts.delivered = vec![
            (2, d(11, 29), 100),
            (2, d(11, 30), 10),
            (2, d(12, 27), 1),
            (2, d(12, 28), 5_000),
            (1, d(12, 1), 7_000),
            (2, d(11, 1), 1_000),
        ];
        facts.billed_before = [(2, 1_234), (1, 99)].into();
        let used = line_use(&l, DECEMBER, &facts);
        assert_eq!((used.delivered, used.delivered_before, used.billed_before), (11, 1_100, 1_234));
        let (other, _) = aired_line(9, d(12, 1), AdType::Produced);
        assert_eq!(line_use(&other, DECEMBER, &facts).billed_before, 0);
    }

    #[test]
    fn every_line_of_the_order_is_judged() {
        let mut o =
            crate::order::tests::order(vec![line(1, Rate::Flat(usd(100)), None), line(2, Rate::Flat(usd(200)), None)]);
        o.lines[1].air_date = d(12, 5);
        let facts = UsageFacts { published: [o.lines[1].spot.episode_id].into(), ..UsageFacts::default() };
        let uses = line_uses(&o, DECEMBER, &facts);
        assert_eq!(uses.iter().map(|(l, u)| (l.line, u.aired)).collect::<Vec<_>>(), [(1, false), (2, true)]);
    }
}
