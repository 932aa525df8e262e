//! Revenue share statements: what a show's people are owed for a month.
//!
//! Money collected on an invoice is attributed to its lines in proportion to their amounts (the
//! agency's commission already taken off), split exactly: the largest remainders get the odd
//! minor units, so the parts always add up to what was collected ([`allocate`]). A show's net
//! collected for a month is the sum of the parts of the lines of its episodes. Its terms are a
//! share of that (in hundredths of a percent, rounded half up) or a fixed amount per episode
//! published in the month ([`share`]). What is owed is split among the show's talent by the
//! weights its terms give them, or equally when they give none, by largest remainders again
//! ([`statements`]). A talent reading a statement sees their own part only ([`ShowStatement::seen_by`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::billing::charge::percent_of;
use crate::billing::invoice::{Invoice, InvoiceStatus, LineKind};
use crate::billing::period::Period;
use crate::order::Order;
use crate::show::Show;
use crate::validation::ValidationErrors;
use crate::{Currency, Money, OrderId, ShowId, UserId};

/// The most talent a show's share is split among.
pub const MAX_SPLITS: usize = 50;

/// `amount` split over `weights` in proportion, in whole minor units that add up to `amount`
/// exactly; the parts with the largest remainders (then the earliest) take the odd units. All
/// zero when the weights are.
pub fn allocate(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    // The magnitude is split and the sign put back, so a refund splits as its payment did.
    let (sign, amount) = (i128::from(amount.signum()), i128::from(amount).abs());
    let exact: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| {
            let product = amount * i128::from((*w).max(0));
            (product.div_euclid(total), product.rem_euclid(total))
        })
        .collect();
    let mut parts: Vec<i128> = exact.iter().map(|(q, _)| *q).collect();
    let left = amount - parts.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for i in order.into_iter().take(usize::try_from(left).unwrap_or(0)) {
        parts[i] += 1;
    }
    parts.into_iter().map(|p| i64::try_from(p * sign).unwrap_or_default()).collect()
}

/// A show's revenue share terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ShareTerms {
    /// A share of the net collected, in hundredths of a percent (2500 is 25 %).
    PercentOfNetCollected {
        /// The share.
        hundredths: u32,
    },
    /// A fixed amount for each episode published in the month.
    FixedPerEpisode {
        /// The amount.
        amount: Money,
    },
}

/// One talent's weight in a show's split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TalentSplit {
    /// The talent.
    pub talent_id: UserId,
    /// Their weight (parts are in proportion to the weights).
    pub weight: u32,
}

/// A show's revenue share: its terms, and how its talent split what it is owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevenueShare {
    /// What the show is owed.
    pub terms: ShareTerms,
    /// Who of its talent gets which part; empty: the show's talent in equal parts.
    #[serde(default)]
    pub splits: Vec<TalentSplit>,
}

impl RevenueShare {
    /// Field errors of these terms, with `prefix` before each field name.
    pub fn check(&self, prefix: &str, v: &mut ValidationErrors) {
        match self.terms {
            ShareTerms::PercentOfNetCollected { hundredths } if hundredths > 10_000 => {
                v.add(format!("{prefix}terms.hundredths"), "out_of_range", "0 to 10000 hundredths of a percent");
            }
            ShareTerms::FixedPerEpisode { amount } if amount.amount < 0 => {
                v.add(format!("{prefix}terms.amount"), "negative", "must not be negative");
            }
            _ => {}
        }
        if self.splits.len() > MAX_SPLITS {
            v.add(format!("{prefix}splits"), "too_many", format!("at most {MAX_SPLITS} talent"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, s) in self.splits.iter().enumerate() {
            if s.weight == 0 {
                v.add(format!("{prefix}splits[{i}].weight"), "invalid", "a weight is at least 1");
            }
            if !seen.insert(s.talent_id) {
                v.add(format!("{prefix}splits[{i}].talentId"), "duplicate", "each talent once");
            }
        }
    }
}

/// One talent's part of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TalentPart {
    /// The talent.
    pub talent_id: UserId,
    /// Their part, in minor units.
    pub amount: i64,
}

/// What a show's people are owed for one month, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShowStatement {
    /// The show.
    pub show_id: ShowId,
    /// The days it covers.
    pub period: Period,
    /// Its currency.
    pub currency: Currency,
    /// What was collected on the show's lines in the month, net of commission and refunds.
    pub net_collected: i64,
    /// Episodes of the show published in the month.
    pub episodes_published: u32,
    /// The terms it was worked out by.
    pub terms: ShareTerms,
    /// What the show's people are owed.
    pub owed: i64,
    /// Each talent's part.
    pub talent: Vec<TalentPart>,
}

impl ShowStatement {
    /// The statement as `talent` (a talent reader) sees it: their own part only; `None` (admins,
    /// producers of the show) sees it whole.
    pub fn seen_by(mut self, talent: Option<UserId>) -> Self {
        if let Some(me) = talent {
            self.talent.retain(|p| p.talent_id == me);
        }
        self
    }
}

/// What each order line of `show` was collected in `period`: every payment (and refund) dated in
/// it, on invoices that are not drafts or void, attributed to its invoice's charge lines in
/// proportion; per currency.
fn collected(
    show: &ShowId,
    period: Period,
    invoices: &[Invoice],
    orders: &BTreeMap<OrderId, &Order>,
) -> BTreeMap<Currency, i64> {
    let mut out = BTreeMap::new();
    for i in invoices.iter().filter(|i| !matches!(i.status, InvoiceStatus::Draft | InvoiceStatus::Void)) {
        let Some(o) = orders.get(&i.order_id) else { continue };
        let charges: Vec<(bool, i64)> = i
            .lines
            .iter()
            .filter(|l| matches!(l.kind, LineKind::Charge(_)))
            .map(|l| {
                let ours = l.order_line.is_some_and(|n| o.lines.iter().any(|ol| ol.line == n && ol.show_id == *show));
                (ours, l.amount.amount)
            })
            .collect();
        let weights: Vec<i64> = charges.iter().map(|(_, a)| *a).collect();
        for p in i.payments.iter().filter(|p| period.contains(p.date)) {
            let ours: i64 = charges
                .iter()
                .zip(allocate(p.amount.amount, &weights))
                .filter(|((o, _), _)| *o)
                .map(|(_, part)| part)
                .sum();
            *out.entry(i.currency).or_insert(0) += ours;
        }
    }
    out
}

/// `show`'s statements for `period`: one per currency collected in (and the terms' own currency
/// for a fee per episode, or `currency` when nothing was collected), each with what is owed and
/// each talent's part. None when the show has no revenue share.
pub fn statements(
    show: &Show,
    period: Period,
    invoices: &[Invoice],
    orders: &BTreeMap<OrderId, &Order>,
    episodes_published: u32,
    currency: Currency,
) -> Vec<ShowStatement> {
    let Some(rs) = &show.revenue_share else { return Vec::new() };
    let mut nets = collected(&show.id, period, invoices, orders);
    match rs.terms {
        ShareTerms::FixedPerEpisode { amount } => {
            nets.entry(amount.currency).or_insert(0);
        }
        ShareTerms::PercentOfNetCollected { .. } if nets.is_empty() => {
            nets.insert(currency, 0);
        }
        ShareTerms::PercentOfNetCollected { .. } => {}
    }
    let (who, weights): (Vec<UserId>, Vec<i64>) = match rs.splits.is_empty() {
        true => show.talent_ids.iter().map(|t| (*t, 1)).unzip(),
        false => rs.splits.iter().map(|s| (s.talent_id, i64::from(s.weight))).unzip(),
    };
    nets.into_iter()
        .map(|(c, net)| {
            let owed = match rs.terms {
                ShareTerms::FixedPerEpisode { amount } if amount.currency != c => 0,
                terms => share(terms, net, episodes_published),
            };
            let talent = who
                .iter()
                .zip(allocate(owed, &weights))
                .map(|(t, amount)| TalentPart { talent_id: *t, amount })
                .collect();
            ShowStatement {
                show_id: show.id,
                period,
                currency: c,
                net_collected: net,
                episodes_published,
                terms: rs.terms,
                owed,
                talent,
            }
        })
        .collect()
}

/// What a show's people are owed for a month under `terms`, from the month's net collected and
/// the episodes it published.
pub fn share(terms: ShareTerms, net_collected: i64, episodes_published: u32) -> i64 {
    match terms {
        ShareTerms::PercentOfNetCollected { hundredths } => percent_of(net_collected.max(0), hundredths),
        ShareTerms::FixedPerEpisode { amount } => amount.amount.saturating_mul(i64::from(episodes_published)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_is_split_in_proportion_and_adds_up_exactly() {
        assert_eq!(allocate(100, &[1, 1, 1]), [34, 33, 33], "the odd cent to the first of equals");
        assert_eq!(allocate(100, &[1, 2]), [33, 67], "2/3 has the larger remainder");
        assert_eq!(
            allocate(1_000, &[150_000, 100_000, 15_000, -39_750]),
            [566, 377, 57, 0],
            "a commission line takes none"
        );
        assert_eq!(allocate(0, &[5, 5]), [0, 0]);
        assert_eq!(allocate(50, &[0, 0]), [0, 0], "nothing to weigh");
        assert_eq!(allocate(50, &[]), Vec::<i64>::new());
        assert_eq!(allocate(-100, &[1, 1, 1]), [-34, -33, -33], "a refund splits the same way");
        for (amount, weights) in [(99_999, vec![3, 7, 11, 13]), (1, vec![1, 1, 1, 1]), (7, vec![2, 0, 5])] {
            let parts = allocate(amount, &weights);
            assert_eq!(parts.iter().sum::<i64>(), amount, "{amount} over {weights:?}");
        }
        assert_eq!(allocate(7, &[2, 0, 5]), [2, 0, 5]);
        assert_eq!(allocate(10, &[1, 3]), [3, 7], "2.5 and 7.5: the tie goes to the earlier");
    }

    #[test]
    fn a_show_is_owed_its_share_or_its_fee_per_episode() {
        let pct = ShareTerms::PercentOfNetCollected { hundredths: 2_500 };
        assert_eq!(share(pct, 226_530, 4), 56_633, "25 % of $2,265.30 is $566.325, half up");
        assert_eq!(share(pct, -5_000, 4), 0, "refunds beyond collection owe nothing back here");
        let fee = ShareTerms::FixedPerEpisode { amount: Money::new(50_000, Currency::USD) };
        assert_eq!(share(fee, 0, 4), 200_000);
        assert_eq!(share(fee, 1_000_000, 0), 0);
        let v = serde_json::to_value(pct).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "percent_of_net_collected", "hundredths": 2500}));
    }

    fn statement_world() -> (Show, Order, Vec<Invoice>, Period) {
        use crate::billing::period::BillingMonth;
        use crate::order::tests::{line, order, usd};
        use crate::order::{BillingCalendar, Rate};
        let mut o = order(vec![line(1, Rate::Flat(usd(30_000)), None), line(2, Rate::Flat(usd(10_000)), None)]);
        let show_id = o.lines[0].show_id;
        o.lines[1].show_id = ShowId::new();
        let show: Show = serde_json::from_value(serde_json::json!({
            "id": show_id, "orgId": o.org_id, "name": "Brew", "releaseFrequency": "weekly", "status": "active",
            "talentIds": [UserId::new(), UserId::new(), UserId::new()],
            "createdAt": chrono::Utc::now(), "createdBy": UserId::SYSTEM, "updatedAt": chrono::Utc::now(),
            "updatedBy": UserId::SYSTEM, "version": 1
        }))
        .unwrap();
        // One invoice of both lines ($300.00 and $100.00), paid $200.00 in December, $100.00 and a
        // $40.00 refund in January.
        let month = BillingMonth::new(BillingCalendar::Standard, 2026, 12).unwrap();
        let mut i = crate::billing::transitions::tests::issued(&[30_000, 10_000]);
        i.order_id = o.id;
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(if m == 12 { 2026 } else { 2027 }, m, d).unwrap();
        for (amount, on) in [(20_000, day(12, 10)), (10_000, day(1, 5)), (-4_000, day(1, 9))] {
            i.payments.push(crate::billing::invoice::Payment {
                date: on,
                ..crate::billing::transitions::tests::payment(amount, Some("x"))
            });
        }
        // A voided invoice's money is no one's: were it counted, every figure below would move.
        let mut void = i.clone();
        void.status = InvoiceStatus::Void;
        void.payments.truncate(1);
        void.payments[0].amount = usd(99_999);
        (show, o, vec![i, void], month.period().unwrap())
    }

    #[test]
    fn a_show_is_owed_its_share_of_what_its_lines_collected_split_among_its_talent() {
        let (mut show, o, invoices, december) = statement_world();
        let orders: BTreeMap<OrderId, &Order> = [(o.id, &o)].into();
        assert!(statements(&show, december, &invoices, &orders, 4, Currency::USD).is_empty(), "no share, no statement");
        show.revenue_share =
            Some(RevenueShare { terms: ShareTerms::PercentOfNetCollected { hundredths: 2_500 }, splits: vec![] });
        // December: $200.00 collected, 3/4 of it ($150.00) on the show's line; 25 % is $37.50,
        // split equally among three: $12.50 each.
        let dec = statements(&show, december, &invoices, &orders, 4, Currency::USD);
        assert_eq!(dec.len(), 1);
        assert_eq!((dec[0].net_collected, dec[0].owed, dec[0].episodes_published), (15_000, 3_750, 4));
        assert_eq!(dec[0].talent.iter().map(|p| p.amount).collect::<Vec<_>>(), [1_250, 1_250, 1_250]);
        // January: $100.00 less a $40.00 refund, $45.00 the show's; split 2:1.
        let january =
            Period { start: december.end + chrono::Duration::days(1), end: december.end + chrono::Duration::days(31) };
        let (a, b) = (show.talent_ids[0], show.talent_ids[1]);
        show.revenue_share = Some(RevenueShare {
            terms: ShareTerms::PercentOfNetCollected { hundredths: 10_000 },
            splits: vec![TalentSplit { talent_id: a, weight: 2 }, TalentSplit { talent_id: b, weight: 1 }],
        });
        let jan = statements(&show, january, &invoices, &orders, 0, Currency::USD);
        assert_eq!((jan[0].net_collected, jan[0].owed), (4_500, 4_500));
        assert_eq!(
            jan[0].talent,
            [TalentPart { talent_id: a, amount: 3_000 }, TalentPart { talent_id: b, amount: 1_500 }]
        );
        assert_eq!(
            jan[0].clone().seen_by(Some(b)).talent,
            [TalentPart { talent_id: b, amount: 1_500 }],
            "their own part"
        );
        assert_eq!(jan[0].clone().seen_by(None).talent.len(), 2);
        // A fee per episode: $500.00 for each of the 4 published, whatever was collected.
        show.revenue_share = Some(RevenueShare {
            terms: ShareTerms::FixedPerEpisode { amount: Money::new(50_000, Currency::USD) },
            splits: vec![],
        });
        let fee = statements(&show, december, &invoices, &orders, 4, Currency::USD);
        assert_eq!((fee[0].owed, fee[0].net_collected), (200_000, 15_000));
        // A fee in another currency than what was collected: owed in its own, nothing in the other.
        let eur: Currency = "EUR".parse().unwrap();
        show.revenue_share =
            Some(RevenueShare { terms: ShareTerms::FixedPerEpisode { amount: Money::new(100, eur) }, splits: vec![] });
        let both = statements(&show, december, &invoices, &orders, 4, Currency::USD);
        let owed: Vec<(Currency, i64, i64)> = both.iter().map(|s| (s.currency, s.net_collected, s.owed)).collect();
        assert_eq!(owed, [(eur, 0, 400), (Currency::USD, 15_000, 0)]);
        // Nothing collected in a month: a statement of nothing, in the organization's currency.
        let quiet = Period {
            start: december.start - chrono::Duration::days(60),
            end: december.start - chrono::Duration::days(31),
        };
        show.revenue_share =
            Some(RevenueShare { terms: ShareTerms::PercentOfNetCollected { hundredths: 2_500 }, splits: vec![] });
        let none = statements(&show, quiet, &invoices, &orders, 0, eur);
        assert_eq!((none.len(), none[0].currency, none[0].owed), (1, eur, 0));
        let unknown: BTreeMap<OrderId, &Order> = BTreeMap::new();
        assert_eq!(statements(&show, december, &invoices, &unknown, 0, Currency::USD)[0].net_collected, 0);
    }

    #[test]
    fn share_terms_are_checked() {
        let mut v = ValidationErrors::new();
        let t = UserId::new();
        RevenueShare {
            terms: ShareTerms::PercentOfNetCollected { hundredths: 10_001 },
            splits: vec![TalentSplit { talent_id: t, weight: 0 }, TalentSplit { talent_id: t, weight: 1 }],
        }
        .check("revenueShare.", &mut v);
        for f in ["revenueShare.terms.hundredths", "revenueShare.splits[0].weight", "revenueShare.splits[1].talentId"] {
            assert!(v.has(f), "{f}: {v:?}");
        }
        let mut ok = ValidationErrors::new();
        RevenueShare { terms: ShareTerms::PercentOfNetCollected { hundredths: 10_000 }, splits: vec![] }
            .check("", &mut ok);
        RevenueShare { terms: ShareTerms::FixedPerEpisode { amount: Money::new(0, Currency::USD) }, splits: vec![] }
            .check("", &mut ok);
        assert!(ok.into_result().is_ok());
        let mut neg = ValidationErrors::new();
        RevenueShare { terms: ShareTerms::FixedPerEpisode { amount: Money::new(-1, Currency::USD) }, splits: vec![] }
            .check("", &mut neg);
        assert!(neg.has("terms.amount"));
        let mut fifty = ValidationErrors::new();
        let splits = (0..50).map(|_| TalentSplit { talent_id: UserId::new(), weight: 1 }).collect();
        RevenueShare { terms: ShareTerms::PercentOfNetCollected { hundredths: 1 }, splits }.check("", &mut fifty);
        assert!(fifty.into_result().is_ok(), "fifty talent, at most");
        let mut many = ValidationErrors::new();
        let splits = (0..51).map(|_| TalentSplit { talent_id: UserId::new(), weight: 1 }).collect();
        RevenueShare { terms: ShareTerms::PercentOfNetCollected { hundredths: 1 }, splits }.check("", &mut many);
        assert!(many.has("splits"));
    }
}
