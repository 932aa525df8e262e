//! The revenue report (`GET /reports/revenue`): for a range of days, what was booked, delivered,
//! invoiced and collected, grouped by month, show, seller or client, one row per group and
//! currency, in integer minor units.
//!
//! - **Booked**: the contracted amount of each line of a booked or completed order whose spot
//!   airs in the range (a flat line's price, a CPM line's goal at its CPM).
//! - **Delivered**: a CPM line's impressions counted on the range's days at its CPM (rounded once
//!   per line and group); a flat line's price when its spot aired in the range (its episode
//!   published).
//! - **Invoiced**: each issued invoice (not a draft, not void) whose billing period ends in the
//!   range, net of the agency's commission, attributed to its lines in proportion to their
//!   amounts (largest remainders, so the parts add up exactly); its month is its billing month.
//! - **Collected**: each payment (and refund) dated in the range, attributed to its invoice's
//!   lines the same way; its month is the payment's.
//!
//! A line's show is its order line's; its seller the campaign's owner; its client the advertiser.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::billing::charge::per_thousand;
use crate::billing::invoice::{Invoice, InvoiceStatus, LineKind};
use crate::billing::revenue_share::allocate;
use crate::order::{Order, OrderLine, OrderStatus, Rate};
use crate::{Currency, EpisodeId, OrderId, UserId};

/// What the rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The calendar month (`2026-12`).
    Month,
    /// The show.
    Show,
    /// The campaign's owner.
    Seller,
    /// The advertiser.
    Client,
}

/// One row of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevenueRow {
    /// The group: a month, or a show's, seller's or client's id.
    pub key: String,
    /// The currency of its amounts.
    pub currency: Option<Currency>,
    /// Booked, in minor units.
    pub booked: i64,
    /// Delivered.
    pub delivered: i64,
    /// Invoiced.
    pub invoiced: i64,
    /// Collected.
    pub collected: i64,
}

/// What the report is made from.
#[derive(Debug, Clone, Copy)]
pub struct RevenueFacts<'a> {
    /// The organization's orders, each with its campaign's owner.
    pub orders: &'a [(Order, UserId)],
    /// Impressions per order, line and day.
    pub delivered: &'a [(OrderId, u32, NaiveDate, u64)],
    /// The episodes that were published.
    pub published: &'a BTreeSet<EpisodeId>,
    /// The organization's invoices.
    pub invoices: &'a [Invoice],
}

fn month_of(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

fn booked_or_done(o: &Order) -> bool {
    matches!(o.status, OrderStatus::Booked | OrderStatus::Completed)
}

/// The report of `[from, to]` grouped by `by`, rows sorted by group then currency.
pub fn revenue(f: &RevenueFacts<'_>, from: NaiveDate, to: NaiveDate, by: GroupBy) -> Vec<RevenueRow> {
    let in_range = |d: NaiveDate| from <= d && d <= to;
    let orders: BTreeMap<OrderId, (&Order, UserId)> = f.orders.iter().map(|(o, s)| (o.id, (o, *s))).collect();
    let key = |o: &Order, seller: UserId, l: Option<&OrderLine>, month: NaiveDate| -> String {
        match by {
            GroupBy::Month => month_of(month),
            GroupBy::Show => l.map(|l| l.show_id.to_string()).unwrap_or_default(),
            GroupBy::Seller => seller.to_string(),
            GroupBy::Client => o.advertiser_id.to_string(),
        }
    };
    let mut rows: BTreeMap<(String, Currency), RevenueRow> = BTreeMap::new();
    let mut add = |k: String, c: Currency, field: fn(&mut RevenueRow) -> &mut i64, amount: i64| {
        let row = rows.entry((k.clone(), c)).or_insert_with(|| RevenueRow {
            key: k,
            currency: Some(c),
            ..RevenueRow::default()
        });
        *field(row) += amount;
    };
    // Booked, and flat lines' delivery.
    for (o, seller) in f.orders.iter().filter(|(o, _)| booked_or_done(o)) {
        for l in o.lines.iter().filter(|l| in_range(l.air_date)) {
            let k = key(o, *seller, Some(l), l.air_date);
            if let Some(m) = l.amount() {
                add(k.clone(), m.currency, |r| &mut r.booked, m.amount);
            }
            if let Rate::Flat(price) = l.rate
                && f.published.contains(&l.spot.episode_id)
            {
                add(k, price.currency, |r| &mut r.delivered, price.amount);
            }
        }
    }
    // CPM lines' delivery: impressions summed per line and group, priced once.
    let mut impressions: BTreeMap<(OrderId, u32, String), u64> = BTreeMap::new();
    for (order, line, day, n) in f.delivered.iter().filter(|(.., d, _)| in_range(*d)) {
        let Some((o, seller)) = orders.get(order).filter(|(o, _)| booked_or_done(o)) else { continue };
        let Some(l) = o.lines.iter().find(|l| l.line == *line) else { continue };
        *impressions.entry((*order, *line, key(o, *seller, Some(l), *day))).or_insert(0) += n;
    }
    for ((order, line, k), n) in impressions {
        let Some((o, _)) = orders.get(&order) else { continue };
        if let Some(Rate::Cpm(cpm)) = o.lines.iter().find(|l| l.line == line).map(|l| l.rate) {
            add(k, cpm.currency, |r| &mut r.delivered, per_thousand(n, cpm.amount));
        }
    }
    // Invoiced and collected, attributed to the invoice's charge lines.
    for i in f.invoices.iter().filter(|i| !matches!(i.status, InvoiceStatus::Draft | InvoiceStatus::Void)) {
        let Some((o, seller)) = orders.get(&i.order_id) else { continue };
        let charges: Vec<(Option<&OrderLine>, i64)> = i
            .lines
            .iter()
            .filter(|l| matches!(l.kind, LineKind::Charge(_)))
            .map(|l| (l.order_line.and_then(|n| o.lines.iter().find(|ol| ol.line == n)), l.amount.amount))
            .collect();
        let weights: Vec<i64> = charges.iter().map(|(_, a)| *a).collect();
        let billed_on = i.period.end;
        if in_range(billed_on) {
            for ((l, _), part) in charges.iter().zip(allocate(i.total(), &weights)) {
                add(key(o, *seller, *l, billed_on), i.currency, |r| &mut r.invoiced, part);
            }
        }
        for p in i.payments.iter().filter(|p| in_range(p.date)) {
            for ((l, _), part) in charges.iter().zip(allocate(p.amount.amount, &weights)) {
                add(key(o, *seller, *l, p.date), i.currency, |r| &mut r.collected, part);
            }
        }
    }
    rows.into_values().collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::billing::invoice::{InvoiceLine, Payment};
    use crate::billing::period::BillingMonth;
    use crate::order::BillingCalendar;
    use crate::order::tests::{line, order, usd};
    use crate::{Money, OrgId, PaymentId, ShowId, Stamp};

    fn d(m: u32, day: u32) -> NaiveDate {
        let y = if m == 1 { 2027 } else { 2026 };
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A booked order: line 1 a $400.00 flat spot on show A on 10 December (published), line 2
    /// a $20.00 CPM line of 10,000 on show B on 5 January.
    fn world() -> (Order, ShowId, ShowId) {
        let mut o = order(vec![line(1, Rate::Flat(usd(40_000)), None), line(2, Rate::Cpm(usd(2_000)), Some(10_000))]);
        o.status = OrderStatus::Booked;
        o.lines[0].air_date = d(12, 10);
        o.lines[1].air_date = d(1, 5);
        let (a, b) = (o.lines[0].show_id, o.lines[1].show_id);
        (o, a, b)
    }

    fn invoice(o: &Order, month: BillingMonth, lines: &[(u32, i64)], commission: i64) -> Invoice {
        use crate::billing::transitions::tests::{charge, parties};
        let mut ls: Vec<InvoiceLine> = lines.iter().map(|(n, a)| charge(*n, usd(*a))).collect();
        if commission != 0 {
            ls.push(InvoiceLine {
                kind: LineKind::AgencyCommission,
                order_line: None,
                amount: usd(commission),
                ..ls[0].clone()
            });
        }
        let who = crate::billing::invoice::Parties { order_id: o.id, advertiser_id: o.advertiser_id, ..parties() };
        let stamp = Stamp::created(UserId::new(), Utc::now());
        let mut i = Invoice::new_draft(OrgId::new(), who, month, Currency::USD, ls, 30, stamp).unwrap();
        i.number = Some("INV-2027-00001".into());
        i.status = InvoiceStatus::Issued;
        i.due_date = Some(d(1, 31));
        i
    }

    fn paid(i: &mut Invoice, amount: i64, on: NaiveDate) {
        i.payments.push(Payment {
            id: PaymentId::new(),
            amount: usd(amount),
            date: on,
            method: "bank_transfer".into(),
            reference: String::new(),
            reason: None,
            by: UserId::new(),
            at: Utc::now(),
        });
    }

    fn got(rows: &[RevenueRow]) -> Vec<(&str, i64, i64, i64, i64)> {
        rows.iter().map(|r| (r.key.as_str(), r.booked, r.delivered, r.invoiced, r.collected)).collect()
    }

    #[test]
    fn booked_delivered_invoiced_and_collected_fall_in_their_months() {
        let (o, ..) = world();
        let seller = UserId::new();
        let dec = BillingMonth::new(BillingCalendar::Standard, 2026, 12).unwrap();
        let jan = BillingMonth::new(BillingCalendar::Standard, 2027, 1).unwrap();
        // December's invoice: the $400.00 spot less a 15 % commission ($60.00); $200.00 paid in
        // December and $140.00 in January. January's: 7,000 impressions at $20 CPM, $140.00.
        let mut december = invoice(&o, dec, &[(1, 40_000)], -6_000);
        paid(&mut december, 20_000, d(12, 20));
        paid(&mut december, 14_000, d(1, 3));
        let january = invoice(&o, jan, &[(2, 14_000)], 0);
        let mut draft = invoice(&o, jan, &[(2, 99_999)], 0);
        draft.status = InvoiceStatus::Draft;
        let mut void = invoice(&o, jan, &[(2, 88_888)], 0);
        void.status = InvoiceStatus::Void;
        let orders = [(o.clone(), seller)];
        let published: BTreeSet<EpisodeId> = [o.lines[0].spot.episode_id].into();
        let delivered = [(o.id, 2, d(1, 5), 4_000), (o.id, 2, d(1, 6), 3_000), (o.id, 2, d(2, 1), 500)];
        let invoices = [december, january, draft, void];
        let f = RevenueFacts { orders: &orders, delivered: &delivered, published: &published, invoices: &invoices };
        let rows = revenue(&f, d(12, 1), d(1, 31), GroupBy::Month);
        assert_eq!(
            got(&rows),
            [("2026-12", 40_000, 40_000, 34_000, 20_000), ("2027-01", 20_000, 14_000, 14_000, 14_000)],
            "$400 booked and aired in December, invoiced $340 net, $200 collected; January's CPM goal booked"
        );
        assert!(rows.iter().all(|r| r.currency == Some(Currency::USD)));
        // Only January: what falls in it.
        let jan_only = revenue(&f, d(1, 1), d(1, 31), GroupBy::Month);
        assert_eq!(got(&jan_only), [("2027-01", 20_000, 14_000, 14_000, 14_000)]);
        // Grouped by seller: one row of everything in the range.
        let by_seller = revenue(&f, d(12, 1), d(1, 31), GroupBy::Seller);
        assert_eq!(got(&by_seller), [(seller.to_string().as_str(), 60_000, 54_000, 48_000, 34_000)]);
        // By show: the CPM line's delivery is its own show's.
        let (show_a, show_b) = (o.lines[0].show_id.to_string(), o.lines[1].show_id.to_string());
        let by_show = revenue(&f, d(12, 1), d(1, 31), GroupBy::Show);
        let delivered: Vec<(String, i64)> = by_show.iter().map(|r| (r.key.clone(), r.delivered)).collect();
        let mut want = vec![(show_a, 40_000), (show_b, 14_000)];
        want.sort();
        assert_eq!(delivered, want);
        let by_client = revenue(&f, d(12, 1), d(1, 31), GroupBy::Client);
        assert_eq!(by_client[0].key, o.advertiser_id.to_string());
    }

    #[test]
    fn an_invoice_and_its_payments_are_split_over_shows_exactly_by_their_lines() {
        let (o, a, b) = world();
        let dec = BillingMonth::new(BillingCalendar::Standard, 2026, 12).unwrap();
        // Both lines on one invoice: $300.00 and $100.00, less $40.00 commission: $360.00 split
        // 3:1 is $270.00 and $90.00; a payment of $100.01 is $75.01 and $25.00 (largest
        // remainder first), a refund of $10.00 -$7.50 and -$2.50.
        let mut i = invoice(&o, dec, &[(1, 30_000), (2, 10_000)], -4_000);
        paid(&mut i, 10_001, d(12, 30));
        paid(&mut i, -1_000, d(12, 31));
        let orders = [(o.clone(), UserId::new())];
        let invoices = [i];
        let f = RevenueFacts { orders: &orders, delivered: &[], published: &BTreeSet::new(), invoices: &invoices };
        let rows = revenue(&f, d(12, 1), d(12, 31), GroupBy::Show);
        let mut want = vec![(a.to_string(), 40_000, 0, 27_000, 6_751), (b.to_string(), 0, 0, 9_000, 2_250)];
        want.sort();
        let rows: Vec<(String, i64, i64, i64, i64)> =
            rows.iter().map(|r| (r.key.clone(), r.booked, r.delivered, r.invoiced, r.collected)).collect();
        assert_eq!(rows, want, "the flat spot is booked in December but not delivered (unpublished)");
    }

    #[test]
    fn orders_not_booked_count_nothing_and_currencies_stay_apart() {
        let (mut o, ..) = world();
        o.status = OrderStatus::Draft;
        let mut eur = world().0;
        let euro: Currency = "EUR".parse().unwrap();
        eur.lines[0].rate = Rate::Flat(Money::new(500, euro));
        eur.lines[1].rate = Rate::Cpm(Money::new(1_000, euro));
        let seller = UserId::new();
        let orders = [(o.clone(), seller), (eur.clone(), seller)];
        let delivered = [(o.id, 2, d(1, 5), 9_000), (eur.id, 2, d(1, 5), 1_500), (eur.id, 9, d(1, 5), 7)];
        let f = RevenueFacts { orders: &orders, delivered: &delivered, published: &BTreeSet::new(), invoices: &[] };
        let rows = revenue(&f, d(12, 1), d(1, 31), GroupBy::Seller);
        assert_eq!(rows.len(), 1, "the draft order counts nothing: {rows:?}");
        assert_eq!((rows[0].currency, rows[0].booked, rows[0].delivered), (Some(euro), 10_500, 1_500));
        let mut ghost = invoice(&o, BillingMonth::new(BillingCalendar::Standard, 2026, 12).unwrap(), &[(1, 1)], 0);
        ghost.order_id = OrderId::new();
        let f = RevenueFacts { invoices: std::slice::from_ref(&ghost), ..f };
        assert_eq!(revenue(&f, d(12, 1), d(1, 31), GroupBy::Seller).len(), 1, "an invoice of an unknown order");
    }
}
