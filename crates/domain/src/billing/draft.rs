//! The lines of an order's invoice for one billing month: each order line's charges under the
//! order's billing mode ([`crate::billing::charge`]), then, for an order placed through an
//! agency, the agency's commission taken off as one line. One currency per invoice: a line in
//! another is refused, never converted.

use chrono::{DateTime, Utc};

use crate::billing::charge::Unit;
use crate::billing::charge::{ChargeError, ChargeKind, LineUse, charges, percent_of};
use crate::billing::invoice::{Invoice, InvoiceLine, LineKind, Parties};
use crate::billing::period::{BillingMonth, InvalidMonth};
use crate::order::{AdType, BillingMode, Order, OrderLine};
use crate::{ClientId, Currency, Money, Stamp, UserId};

/// Why an invoice cannot be drafted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    /// A line cannot be priced.
    #[error(transparent)]
    Charge(#[from] ChargeError),
    /// The month does not exist.
    #[error(transparent)]
    Month(#[from] InvalidMonth),
    /// A line is in another currency than the invoice.
    #[error("line {line} is in {got}, the invoice in {expected}: one invoice is in one currency")]
    MixedCurrency {
        /// The line.
        line: u32,
        /// The invoice's currency.
        expected: Currency,
        /// The line's.
        got: Currency,
    },
}

fn describe(line: &OrderLine, kind: ChargeKind) -> String {
    let ad = match line.ad_type {
        AdType::HostRead => "host read",
        AdType::Produced => "produced spot",
    };
    let what = match kind {
        ChargeKind::Contract => "as contracted",
        ChargeKind::Delivered => "as delivered",
        ChargeKind::OverDelivery => "delivered beyond the goal, not billed",
        ChargeKind::Overage => "delivered beyond the goal",
    };
    format!("Line {}: {ad} {} on {}, {what}", line.line, line.spot.id(), line.air_date)
}

/// The invoice lines of `lines` (each with how it was used in the month) under `mode`, in
/// `currency`, less the agency's commission of `commission` hundredths of a percent if any.
/// Empty when nothing is owed for the month.
pub fn invoice_lines(
    mode: BillingMode,
    currency: Currency,
    lines: &[(OrderLine, LineUse)],
    commission: Option<u32>,
) -> Result<Vec<InvoiceLine>, DraftError> {
    let mut out = Vec::new();
    for (line, used) in lines {
        let got = line.rate.money().currency;
        if got != currency {
            return Err(DraftError::MixedCurrency { line: line.line, expected: currency, got });
        }
        for c in charges(line.line, mode, line.rate, line.impression_goal, *used)? {
            out.push(InvoiceLine {
                kind: LineKind::Charge(c.kind),
                order_line: Some(line.line),
                description: describe(line, c.kind),
                quantity: c.quantity,
                unit: c.unit,
                unit_price: c.unit_price,
                amount: c.amount,
            });
        }
    }
    let billed: i64 = out.iter().map(|l| l.amount.amount).sum();
    if let Some(hundredths) = commission.filter(|h| *h > 0)
        && billed > 0
    {
        let off = Money::new(-percent_of(billed, hundredths), currency);
        out.push(InvoiceLine {
            kind: LineKind::AgencyCommission,
            order_line: None,
            description: format!("Agency commission, {}.{:02} %", hundredths / 100, hundredths % 100),
            quantity: 1,
            unit: Unit::Spots,
            unit_price: off,
            amount: off,
        });
    }
    Ok(out)
}

/// Who an order's invoice is drafted for, and by whom.
#[derive(Debug, Clone)]
pub struct Drafting<'a> {
    /// The order billed.
    pub order: &'a Order,
    /// Its advertiser's name.
    pub advertiser_name: &'a str,
    /// Who pays: the advertiser, or its agency.
    pub bill_to: ClientId,
    /// The payer's name.
    pub bill_to_name: &'a str,
    /// The agency's commission in hundredths of a percent, when an agency pays.
    pub commission: Option<u32>,
    /// Who drafts it (a user, or the monthly job).
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The draft invoice of `d.order` for `month`, from each line's use in it; `None` when nothing
/// is owed for the month (no invoice of nothing is made, so a month of only over-delivery shown
/// at zero makes none).
pub fn draft(
    d: &Drafting<'_>,
    month: BillingMonth,
    uses: &[(OrderLine, LineUse)],
) -> Result<Option<Invoice>, DraftError> {
    let o = d.order;
    let lines = invoice_lines(o.billing_mode, o.currency, uses, d.commission)?;
    if lines.iter().map(|l| l.amount.amount).sum::<i64>() <= 0 {
        return Ok(None);
    }
    let parties = Parties {
        order_id: o.id,
        order_number: o.number.clone(),
        advertiser_id: o.advertiser_id,
        advertiser_name: d.advertiser_name.to_owned(),
        bill_to: d.bill_to,
        bill_to_name: d.bill_to_name.to_owned(),
    };
    let stamp = Stamp::created(d.by, d.at);
    Ok(Some(Invoice::new_draft(o.org_id, parties, month, o.currency, lines, o.payment_terms_days, stamp)?))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::campaign::Position;
    use crate::inventory::spot::SpotRef;
    use crate::order::Rate;
    use crate::{EpisodeId, HoldId, ShowId};

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn line(n: u32, rate: Rate, goal: Option<u64>) -> OrderLine {
        OrderLine {
            line: n,
            spot: SpotRef { episode_id: EpisodeId::new(), position: Position::Pre, index: 0 },
            show_id: ShowId::new(),
            air_date: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            ad_type: AdType::HostRead,
            rate,
            impression_goal: goal,
            hold_id: HoldId::new(),
            needs_makegood: false,
        }
    }

    const AIRED: LineUse = LineUse { aired: true, verified: true, delivered: 0, delivered_before: 0, billed_before: 0 };

    #[test]
    fn an_agency_order_lists_each_charge_then_takes_its_commission_off() {
        // A flat $1,500.00 spot and a $25.00 CPM line of 40,000 that delivered 46,000, billed
        // contract plus overage, through an agency on 15 %.
        let lines = [
            (line(1, Rate::Flat(usd(150_000)), None), AIRED),
            (line(2, Rate::Cpm(usd(2_500)), Some(40_000)), LineUse { delivered: 46_000, ..AIRED }),
        ];
        let out = invoice_lines(BillingMode::ContractPlusOverage, Currency::USD, &lines, Some(1_500)).unwrap();
        let amounts: Vec<i64> = out.iter().map(|l| l.amount.amount).collect();
        assert_eq!(amounts, [150_000, 100_000, 15_000, -39_750], "15 % of $2,650.00 is $397.50");
        assert_eq!(out.iter().map(|l| l.amount.amount).sum::<i64>(), 225_250);
        assert_eq!(out[3].kind, LineKind::AgencyCommission);
        assert_eq!(out[3].description, "Agency commission, 15.00 %");
        assert_eq!((out[2].order_line, out[3].order_line), (Some(2), None));
        assert!(
            out[2].description.starts_with("Line 2: host read ") && out[2].description.ends_with("beyond the goal")
        );
        assert!(out[0].description.contains("2026-12-08"));
    }

    #[test]
    fn nothing_owed_makes_no_lines_and_no_commission() {
        let lines = [(line(1, Rate::Cpm(usd(2_500)), Some(40_000)), LineUse::default())];
        assert!(invoice_lines(BillingMode::Delivered, Currency::USD, &lines, Some(1_500)).unwrap().is_empty());
        let direct = [(line(1, Rate::Flat(usd(10_000)), None), AIRED)];
        assert_eq!(invoice_lines(BillingMode::Contract, Currency::USD, &direct, None).unwrap().len(), 1, "no agency");
        assert_eq!(invoice_lines(BillingMode::Contract, Currency::USD, &direct, Some(0)).unwrap().len(), 1, "0 %");
        let odd = invoice_lines(BillingMode::Contract, Currency::USD, &direct, Some(1_250)).unwrap();
        assert_eq!((odd[1].amount.amount, odd[1].description.as_str()), (-1_250, "Agency commission, 12.50 %"));
        let capped = [(
            line(2, Rate::Cpm(usd(2_000)), Some(100)),
            LineUse { delivered: 500, delivered_before: 100, billed_before: 2, ..AIRED },
        )];
        let shown = invoice_lines(BillingMode::DeliveredCapped, Currency::USD, &capped, Some(1_500)).unwrap();
        assert_eq!(shown.len(), 1, "an over-delivery at zero takes no commission line: {shown:?}");
    }

    #[test]
    fn one_invoice_is_one_currency_and_an_unpriceable_line_is_refused() {
        let eur: Currency = "EUR".parse().unwrap();
        let lines = [(line(4, Rate::Flat(Money::new(100, eur)), None), AIRED)];
        assert_eq!(
            invoice_lines(BillingMode::Contract, Currency::USD, &lines, None),
            Err(DraftError::MixedCurrency { line: 4, expected: Currency::USD, got: eur })
        );
        let no_goal = [(line(5, Rate::Cpm(usd(100)), None), AIRED)];
        assert_eq!(
            invoice_lines(BillingMode::Contract, Currency::USD, &no_goal, None),
            Err(DraftError::Charge(ChargeError::NoGoal(5)))
        );
    }

    #[test]
    fn an_orders_broadcast_december_is_drafted_from_what_aired_and_delivered_in_it() {
        use crate::billing::usage::{UsageFacts, line_uses};
        use crate::order::BillingCalendar;
        // Broadcast December 2026: Monday 30 November to Sunday 27 December. Line 1 ($20 CPM,
        // goal 10,000) aired on 30 November and delivered 9,000 before and 4,000 in the month:
        // capped, 1,000 bill and 3,000 show at zero. Line 2 airs on 28 December: January's.
        let mut o = crate::order::tests::order(vec![
            line(1, Rate::Cpm(usd(2_000)), Some(10_000)),
            line(2, Rate::Cpm(usd(2_000)), Some(10_000)),
        ]);
        o.billing_mode = BillingMode::DeliveredCapped;
        o.lines[0].air_date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        o.lines[1].air_date = NaiveDate::from_ymd_opt(2026, 12, 28).unwrap();
        let month = BillingMonth::new(BillingCalendar::Broadcast, 2026, 12).unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let facts = UsageFacts {
            published: o.lines.iter().map(|l| l.spot.episode_id).collect(),
            delivered: vec![(1, day(11, 29), 9_000), (1, day(12, 27), 4_000), (2, day(12, 28), 500)],
            billed_before: [(1, 18_000)].into(),
            ..UsageFacts::default()
        };
        let uses = line_uses(&o, month.period().unwrap(), &facts);
        let (by, at) = (UserId::new(), chrono::Utc::now());
        let d = Drafting {
            order: &o,
            advertiser_name: "Acme",
            bill_to: ClientId::new(),
            bill_to_name: "Media Agency",
            commission: Some(1_000),
            by,
            at,
        };
        let i = draft(&d, month, &uses).unwrap().unwrap();
        let got: Vec<_> = i.lines.iter().map(|l| (l.kind, l.order_line, l.quantity, l.amount.amount)).collect();
        assert_eq!(
            got,
            [
                (LineKind::Charge(ChargeKind::Delivered), Some(1), 1_000, 2_000),
                (LineKind::Charge(ChargeKind::OverDelivery), Some(1), 3_000, 0),
                (LineKind::AgencyCommission, None, 1, -200),
            ]
        );
        assert_eq!(
            (i.total(), i.balance(), i.status, i.number.as_deref()),
            (1_800, 1_800, crate::billing::invoice::InvoiceStatus::Draft, None)
        );
        assert_eq!((i.order_id, i.order_number.as_str(), i.advertiser_id), (o.id, o.number.as_str(), o.advertiser_id));
        assert_eq!(
            (i.bill_to, i.bill_to_name.as_str(), i.advertiser_name.as_str()),
            (d.bill_to, "Media Agency", "Acme")
        );
        assert_eq!((i.period.start, i.period.end), (day(11, 30), day(12, 27)));
        assert_eq!((i.payment_terms_days, i.currency, i.org_id), (o.payment_terms_days, o.currency, o.org_id));
        assert_eq!((i.stamp.created_by, i.stamp.created_at, i.stamp.version), (by, at, 1));
        assert_eq!(i.claim_keys().len(), 1, "only line 1 is billed for December");
        let billed_out = UsageFacts { billed_before: [(1, 20_000)].into(), ..facts };
        let nothing = line_uses(&o, month.period().unwrap(), &billed_out);
        assert_eq!(draft(&d, month, &nothing).unwrap(), None, "only over-delivery at zero: no invoice");
        let bad = BillingMonth { month: 13, ..month };
        assert!(matches!(draft(&d, bad, &uses), Err(DraftError::Month(_))));
    }
}
