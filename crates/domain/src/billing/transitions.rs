//! What may happen to an invoice, in one place: issue, pay and refund, credit, mark overdue,
//! void. Each checks its preconditions and leaves the invoice as stored next; none touches a
//! store. See [`crate::billing::invoice`] for the states.

use chrono::{DateTime, NaiveDate, Utc};

use crate::billing::invoice::{AppliedCredit, Invoice, InvoiceStatus, Payment};

/// Longest reason kept for a void or a refund.
pub const MAX_REASON: usize = 1000;

/// Why an invoice refuses a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// Only a draft is issued (or changed).
    #[error("the invoice is {0:?}, not a draft")]
    NotDraft(InvoiceStatus),
    /// An invoice of nothing is not issued.
    #[error("the invoice has nothing to bill")]
    NothingToBill,
    /// Payments and credits go to an issued invoice that is not void.
    #[error("the invoice is {0:?}: it takes no payment or credit")]
    NotOpen(InvoiceStatus),
    /// An amount in another currency.
    #[error("the invoice is in {expected}, not {got}")]
    Currency {
        /// The invoice's.
        expected: crate::Currency,
        /// The amount's.
        got: crate::Currency,
    },
    /// A payment or credit of zero.
    #[error("the amount must not be zero")]
    Zero,
    /// More than the balance.
    #[error("{amount} is more than the balance of {balance}")]
    MoreThanBalance {
        /// What was offered.
        amount: i64,
        /// What is owed.
        balance: i64,
    },
    /// A refund of more than was paid.
    #[error("a refund of {refund} is more than the {paid} paid")]
    RefundTooLarge {
        /// What was asked back.
        refund: i64,
        /// What was paid.
        paid: i64,
    },
    /// A void or a refund needs a reason.
    #[error("a reason is required (at most {MAX_REASON} characters)")]
    Reason,
    /// An invoice with payments or credits is credited, not voided.
    #[error("the invoice has payments or credits: issue a credit note instead")]
    HasMoney,
}

fn reason_ok(reason: Option<&str>) -> bool {
    reason.is_some_and(|r| !r.trim().is_empty() && r.chars().count() <= MAX_REASON)
}

impl Invoice {
    /// The status its money and `today` give an issued invoice.
    pub fn status_on(&self, today: NaiveDate) -> InvoiceStatus {
        if self.balance() <= 0 {
            InvoiceStatus::Paid
        } else if self.due_date.is_some_and(|due| today > due) {
            InvoiceStatus::Overdue
        } else if self.paid() > 0 || self.credited() > 0 {
            InvoiceStatus::PartiallyPaid
        } else {
            InvoiceStatus::Issued
        }
    }

    fn open(&self) -> Result<(), InvoiceError> {
        match self.status {
            InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue | InvoiceStatus::Paid => {
                Ok(())
            }
            other => Err(InvoiceError::NotOpen(other)),
        }
    }

    fn same_currency(&self, c: crate::Currency) -> Result<(), InvoiceError> {
        if c == self.currency { Ok(()) } else { Err(InvoiceError::Currency { expected: self.currency, got: c }) }
    }

    /// Issues a draft as `number` at `at` (`today` its date in the organization's zone): due
    /// after its payment terms.
    pub fn issue(&mut self, number: String, at: DateTime<Utc>, today: NaiveDate) -> Result<(), InvoiceError> {
        if self.status != InvoiceStatus::Draft {
            return Err(InvoiceError::NotDraft(self.status));
        }
        if self.lines.is_empty() || self.total() <= 0 {
            return Err(InvoiceError::NothingToBill);
        }
        self.number = Some(number);
        self.issued_at = Some(at);
        self.due_date = Some(Invoice::due_after(today, self.payment_terms_days));
        self.status = self.status_on(today);
        Ok(())
    }

    /// Records a payment (positive, at most the balance) or a refund (negative, with a reason,
    /// at most what was paid); the status follows.
    pub fn record_payment(&mut self, p: Payment, today: NaiveDate) -> Result<(), InvoiceError> {
        self.open()?;
        self.same_currency(p.amount.currency)?;
        let amount = p.amount.amount;
        match amount.cmp(&0) {
            std::cmp::Ordering::Equal => return Err(InvoiceError::Zero),
            std::cmp::Ordering::Greater if amount > self.balance() => {
                return Err(InvoiceError::MoreThanBalance { amount, balance: self.balance() });
            }
            std::cmp::Ordering::Greater => {}
            std::cmp::Ordering::Less if !reason_ok(p.reason.as_deref()) => return Err(InvoiceError::Reason),
            std::cmp::Ordering::Less if -amount > self.paid() => {
                return Err(InvoiceError::RefundTooLarge { refund: -amount, paid: self.paid() });
            }
            std::cmp::Ordering::Less => {}
        }
        self.payments.push(p);
        self.status = self.status_on(today);
        Ok(())
    }

    /// Applies a credit note of a positive amount, at most the balance; the status follows.
    pub fn apply_credit(&mut self, c: AppliedCredit, today: NaiveDate) -> Result<(), InvoiceError> {
        self.open()?;
        self.same_currency(c.amount.currency)?;
        let amount = c.amount.amount;
        if amount <= 0 {
            return Err(InvoiceError::Zero);
        }
        if amount > self.balance() {
            return Err(InvoiceError::MoreThanBalance { amount, balance: self.balance() });
        }
        self.credits.push(c);
        self.status = self.status_on(today);
        Ok(())
    }

    /// The daily job: an issued or partially paid invoice past its due date with a balance
    /// becomes overdue. `true` when it moved.
    pub fn mark_overdue(&mut self, today: NaiveDate) -> bool {
        let open = matches!(self.status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid);
        if open && self.status_on(today) == InvoiceStatus::Overdue {
            self.status = InvoiceStatus::Overdue;
            return true;
        }
        false
    }

    /// Voids a draft, or an issued invoice nothing was paid or credited on, for `reason`.
    pub fn void(&mut self, reason: &str) -> Result<(), InvoiceError> {
        match self.status {
            InvoiceStatus::Draft => {}
            InvoiceStatus::Issued | InvoiceStatus::Overdue if self.payments.is_empty() && self.credits.is_empty() => {}
            InvoiceStatus::Void | InvoiceStatus::Paid => return Err(InvoiceError::NotOpen(self.status)),
            _ => return Err(InvoiceError::HasMoney),
        }
        if !reason_ok(Some(reason)) {
            return Err(InvoiceError::Reason);
        }
        self.void_reason = Some(reason.trim().to_owned());
        self.status = InvoiceStatus::Void;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::billing::charge::{ChargeKind, Unit};
    use crate::billing::invoice::{InvoiceLine, LineKind, Parties};
    use crate::billing::period::BillingMonth;
    use crate::order::BillingCalendar;
    use crate::{ClientId, CreditNoteId, Currency, Money, OrderId, OrgId, PaymentId, Stamp, UserId};

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    pub(crate) fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, d).unwrap()
    }

    /// Test parties: an order of an advertiser that pays itself.
    pub(crate) fn parties() -> Parties {
        let advertiser = ClientId::new();
        Parties {
            order_id: OrderId::new(),
            order_number: "IO-2026-00001".into(),
            advertiser_id: advertiser,
            advertiser_name: "Acme".into(),
            bill_to: advertiser,
            bill_to_name: "Acme".into(),
        }
    }

    /// A line charging `amount` as contracted for order line `n`.
    pub(crate) fn charge(n: u32, amount: Money) -> InvoiceLine {
        InvoiceLine {
            kind: LineKind::Charge(ChargeKind::Contract),
            order_line: Some(n),
            description: format!("line {n}"),
            quantity: 1,
            unit: Unit::Spots,
            unit_price: amount,
            amount,
        }
    }

    pub(crate) fn draft(amounts: &[i64]) -> Invoice {
        let month = BillingMonth::new(BillingCalendar::Standard, 2026, 12).unwrap();
        let lines = amounts.iter().enumerate().map(|(i, a)| charge(i as u32 + 1, usd(*a))).collect();
        let stamp = Stamp::created(UserId::new(), Utc::now());
        Invoice::new_draft(OrgId::new(), parties(), month, Currency::USD, lines, 30, stamp).unwrap()
    }

    pub(crate) fn payment(amount: i64, reason: Option<&str>) -> Payment {
        Payment {
            id: PaymentId::new(),
            amount: usd(amount),
            date: day(5),
            method: "bank_transfer".into(),
            reference: "TX-1".into(),
            reason: reason.map(str::to_owned),
            by: UserId::new(),
            at: Utc::now(),
        }
    }

    pub(crate) fn credit(amount: i64) -> AppliedCredit {
        AppliedCredit {
            credit_note_id: CreditNoteId::new(),
            number: "CN-2027-00001".into(),
            amount: usd(amount),
            on: Some(day(6)),
        }
    }

    pub(crate) fn issued(amounts: &[i64]) -> Invoice {
        let mut i = draft(amounts);
        i.issue("INV-2027-00001".into(), Utc.with_ymd_and_hms(2027, 1, 2, 9, 0, 0).unwrap(), day(2)).unwrap();
        i
    }

    #[test]
    fn an_invoice_is_keyed_by_organization_listed_by_client_and_status_and_claims_its_lines() {
        use crate::keys::{Entity, Index, Key};
        let mut i = draft(&[100, 200]);
        i.lines[1].order_line = Some(12);
        i.lines.push(InvoiceLine { order_line: Some(12), ..i.lines[1].clone() });
        let (o, id) = (i.org_id, i.id);
        assert_eq!(i.key(), Key::new(format!("ORG#{o}#INVOICE#{id}"), "PROFILE"));
        assert_eq!(
            i.index_keys(),
            [
                (Index::Gsi1, Key::new(format!("ORG#{o}#INVOICES"), id.to_string())),
                (Index::Gsi2, Key::new(format!("ORG#{o}#CLIENT#{}#INVOICES", i.bill_to), id.to_string())),
                (Index::Gsi3, Key::new(format!("ORG#{o}#INVOICES#draft"), id.to_string())),
            ]
        );
        i.stamp.version = 5;
        assert_eq!((i.org_id(), i.version()), (&o, 5));
        i.status = InvoiceStatus::PartiallyPaid;
        assert_eq!(i.index_keys()[2].1.pk, format!("ORG#{o}#INVOICES#partially_paid"));
        let claims = i.claim_keys();
        let pk = format!("ORG#{o}#ORDER#{}#BILLED", i.order_id);
        assert_eq!(
            claims,
            [Key::new(pk.clone(), "STANDARD#2026-12#LINE#00001"), Key::new(pk.clone(), "STANDARD#2026-12#LINE#00012")],
            "each line once"
        );
        i.month = BillingMonth::new(BillingCalendar::Broadcast, 2027, 1).unwrap();
        assert_eq!(i.claim_keys()[0], Key::new(pk, "BROADCAST#2027-01#LINE#00001"));
        i.lines.push(InvoiceLine { order_line: None, ..i.lines[0].clone() });
        assert_eq!(i.claim_keys().len(), 2, "a commission line claims nothing");
        assert_eq!(Invoice::billed_pk(&o, &i.order_id), format!("ORG#{o}#ORDER#{}#BILLED", i.order_id));
        assert_eq!(Invoice::drafts_done_key(&o, 2027, 1), Key::new(format!("ORG#{o}#BILLING_RUNS"), "2027-01"));
        assert_eq!(
            Invoice::document_key(&o, &i.id, "INV-2027-00001"),
            format!("media/{o}/invoice/{}/INV-2027-00001.pdf", i.id)
        );
    }

    #[test]
    fn what_an_invoice_billed_of_each_line_is_its_charges_and_nothing_once_void() {
        let mut i = draft(&[100, 200, 0]);
        i.lines[2].order_line = Some(1);
        i.lines[2].amount = usd(50);
        i.lines.push(InvoiceLine { kind: LineKind::AgencyCommission, order_line: Some(2), ..i.lines[0].clone() });
        i.lines.push(InvoiceLine { order_line: None, ..i.lines[0].clone() });
        assert_eq!(i.billed_by_line(), [(1, 150), (2, 200)].into(), "the commission is no line's charge");
        i.void("wrong month").unwrap();
        assert!(i.billed_by_line().is_empty());
    }

    #[test]
    fn a_draft_is_issued_numbered_and_due_after_its_terms() {
        let i = issued(&[100_000, 50_000]);
        assert_eq!((i.status, i.number.as_deref()), (InvoiceStatus::Issued, Some("INV-2027-00001")));
        assert_eq!(i.due_date, Some(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap()));
        assert_eq!((i.total(), i.balance()), (150_000, 150_000));
        let mut again = i.clone();
        assert_eq!(
            again.issue("INV-2027-00002".into(), Utc::now(), day(3)),
            Err(InvoiceError::NotDraft(InvoiceStatus::Issued))
        );
        assert_eq!(again.number.as_deref(), Some("INV-2027-00001"), "a number is never replaced");
        assert_eq!(draft(&[]).issue("x".into(), Utc::now(), day(2)), Err(InvoiceError::NothingToBill));
        assert_eq!(draft(&[0]).issue("x".into(), Utc::now(), day(2)), Err(InvoiceError::NothingToBill));
        assert_eq!(draft(&[100, -100]).issue("x".into(), Utc::now(), day(2)), Err(InvoiceError::NothingToBill));
        assert!(draft(&[1]).issue("x".into(), Utc::now(), day(2)).is_ok());
    }

    #[test]
    fn payments_move_it_to_partially_paid_and_paid_and_never_past_the_balance() {
        let mut i = issued(&[100_000]);
        assert_eq!(
            i.record_payment(payment(100_001, None), day(5)),
            Err(InvoiceError::MoreThanBalance { amount: 100_001, balance: 100_000 })
        );
        assert_eq!(i.record_payment(payment(0, None), day(5)), Err(InvoiceError::Zero));
        i.record_payment(payment(40_000, None), day(5)).unwrap();
        assert_eq!((i.status, i.balance()), (InvoiceStatus::PartiallyPaid, 60_000));
        i.record_payment(payment(60_000, None), day(6)).unwrap();
        assert_eq!((i.status, i.balance(), i.paid()), (InvoiceStatus::Paid, 0, 100_000), "exactly the balance");
        assert_eq!(
            i.record_payment(payment(1, None), day(6)),
            Err(InvoiceError::MoreThanBalance { amount: 1, balance: 0 })
        );
        let eur = Money::new(10, "EUR".parse().unwrap());
        let mut other = issued(&[100]);
        let p = Payment { amount: eur, ..payment(10, None) };
        assert!(matches!(other.record_payment(p, day(5)), Err(InvoiceError::Currency { .. })));
        assert_eq!(
            draft(&[100]).record_payment(payment(10, None), day(5)),
            Err(InvoiceError::NotOpen(InvoiceStatus::Draft))
        );
    }

    #[test]
    fn a_refund_needs_a_reason_and_gives_back_at_most_what_was_paid() {
        let mut i = issued(&[100_000]);
        i.record_payment(payment(100_000, None), day(5)).unwrap();
        assert_eq!(i.record_payment(payment(-10_000, None), day(7)), Err(InvoiceError::Reason));
        assert_eq!(i.record_payment(payment(-10_000, Some("  ")), day(7)), Err(InvoiceError::Reason));
        assert_eq!(
            i.record_payment(payment(-100_001, Some("duplicate transfer")), day(7)),
            Err(InvoiceError::RefundTooLarge { refund: 100_001, paid: 100_000 })
        );
        i.record_payment(payment(-10_000, Some("duplicate transfer")), day(7)).unwrap();
        assert_eq!((i.status, i.balance()), (InvoiceStatus::PartiallyPaid, 10_000));
        i.record_payment(payment(-90_000, Some("returned")), day(8)).unwrap();
        assert_eq!((i.status, i.paid()), (InvoiceStatus::Issued, 0), "all given back: owed again");
        let long = "x".repeat(MAX_REASON + 1);
        let mut j = issued(&[100]);
        j.record_payment(payment(100, None), day(5)).unwrap();
        assert_eq!(j.record_payment(payment(-1, Some(&long)), day(5)), Err(InvoiceError::Reason));
        assert!(j.record_payment(payment(-1, Some(&"x".repeat(MAX_REASON))), day(5)).is_ok());
    }

    #[test]
    fn credits_reduce_the_balance_and_never_pass_it() {
        let mut i = issued(&[100_000]);
        assert_eq!(i.apply_credit(credit(0), day(5)), Err(InvoiceError::Zero));
        assert_eq!(i.apply_credit(credit(-5), day(5)), Err(InvoiceError::Zero));
        assert_eq!(
            i.apply_credit(credit(100_001), day(5)),
            Err(InvoiceError::MoreThanBalance { amount: 100_001, balance: 100_000 })
        );
        i.apply_credit(credit(25_000), day(5)).unwrap();
        assert_eq!((i.status, i.balance(), i.credited()), (InvoiceStatus::PartiallyPaid, 75_000, 25_000));
        let mut whole = issued(&[100_000]);
        whole.apply_credit(credit(100_000), day(5)).unwrap();
        assert_eq!(
            (whole.status, whole.balance()),
            (InvoiceStatus::Paid, 0),
            "a credit of the whole balance settles it"
        );
        i.record_payment(payment(75_000, None), day(6)).unwrap();
        assert_eq!(i.status, InvoiceStatus::Paid);
        assert_eq!(i.apply_credit(credit(1), day(6)), Err(InvoiceError::MoreThanBalance { amount: 1, balance: 0 }));
        let mut v = draft(&[100]);
        v.void("wrong order").unwrap();
        assert_eq!(v.apply_credit(credit(1), day(6)), Err(InvoiceError::NotOpen(InvoiceStatus::Void)));
        let eur = AppliedCredit { amount: Money::new(1, "EUR".parse().unwrap()), ..credit(1) };
        assert!(matches!(issued(&[100]).apply_credit(eur, day(5)), Err(InvoiceError::Currency { .. })));
    }

    #[test]
    fn the_daily_job_marks_an_unpaid_invoice_overdue_after_its_due_date() {
        let mut i = issued(&[100_000]);
        let due = i.due_date.unwrap();
        assert!(!i.mark_overdue(due), "due today is not overdue");
        assert!(i.mark_overdue(due.succ_opt().unwrap()));
        assert_eq!(i.status, InvoiceStatus::Overdue);
        assert!(!i.mark_overdue(due.succ_opt().unwrap()), "once");
        // A partial payment while overdue keeps it overdue; the rest pays it.
        i.record_payment(payment(30_000, None), due.succ_opt().unwrap()).unwrap();
        assert_eq!(i.status, InvoiceStatus::Overdue);
        i.record_payment(payment(70_000, None), due.succ_opt().unwrap()).unwrap();
        assert_eq!(i.status, InvoiceStatus::Paid);
        assert!(!i.mark_overdue(due + chrono::Duration::days(9)), "paid is never overdue");
        let mut partial = issued(&[100]);
        partial.record_payment(payment(50, None), day(5)).unwrap();
        assert!(partial.mark_overdue(due.succ_opt().unwrap()), "partially paid and late");
        let mut d = draft(&[100]);
        assert!(!d.mark_overdue(day(31) + chrono::Duration::days(90)), "a draft is never overdue");
    }

    #[test]
    fn only_an_invoice_without_money_on_it_is_voided_and_with_a_reason() {
        let mut d = draft(&[100]);
        assert_eq!(d.void(" "), Err(InvoiceError::Reason));
        d.void("billed the wrong month").unwrap();
        assert_eq!((d.status, d.void_reason.as_deref()), (InvoiceStatus::Void, Some("billed the wrong month")));
        assert_eq!(d.void("again"), Err(InvoiceError::NotOpen(InvoiceStatus::Void)));
        let mut i = issued(&[100]);
        i.void("duplicate").unwrap();
        assert_eq!(i.status, InvoiceStatus::Void);
        let mut late = issued(&[100]);
        late.mark_overdue(day(31) + chrono::Duration::days(30));
        assert!(late.void("never sent").is_ok());
        let mut paid_some = issued(&[100]);
        paid_some.record_payment(payment(10, None), day(5)).unwrap();
        assert_eq!(paid_some.void("x"), Err(InvoiceError::HasMoney));
        let mut credited = issued(&[100]);
        credited.apply_credit(credit(10), day(5)).unwrap();
        assert_eq!(credited.void("x"), Err(InvoiceError::HasMoney));
        let mut refunded = issued(&[100]);
        refunded.record_payment(payment(10, None), day(5)).unwrap();
        refunded.record_payment(payment(-10, Some("back")), day(6)).unwrap();
        assert_eq!(refunded.void("x"), Err(InvoiceError::HasMoney), "its payments stay on record");
        let mut paid = issued(&[100]);
        paid.record_payment(payment(100, None), day(5)).unwrap();
        assert_eq!(paid.void("x"), Err(InvoiceError::NotOpen(InvoiceStatus::Paid)));
    }
}
