//! A client's statement of account (`GET /clients/{id}/statement`): what it was invoiced, paid and
//! credited over a range of days, one statement per currency. The opening balance is what was
//! owed before the range; each entry moves the balance (an invoice up, a payment or credit note
//! down, a refund up); the closing balance is what is owed at the end. The invoices still open
//! are listed with their due dates. Drafts and voided invoices are not on it: a draft was never
//! sent, and a void invoice is owed by no one.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::billing::invoice::{Invoice, InvoiceStatus};
use crate::{Currency, InvoiceId};

/// What moved the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An invoice issued.
    Invoice,
    /// A credit note.
    CreditNote,
    /// A payment received.
    Payment,
    /// A refund paid back.
    Refund,
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Its day.
    pub date: NaiveDate,
    /// What it is.
    pub kind: EntryKind,
    /// The invoice it is about.
    pub invoice_id: InvoiceId,
    /// The invoice's or credit note's number, or the payment's reference.
    pub reference: String,
    /// What it adds to the balance (negative: what it takes off), in minor units.
    pub amount: i64,
    /// The balance after it.
    pub balance: i64,
}

/// An invoice still owed at the statement's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenInvoice {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Its number.
    pub number: String,
    /// When it is due.
    pub due_date: Option<NaiveDate>,
    /// What is left of it.
    pub balance: i64,
}

/// The statement of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Its currency.
    pub currency: Currency,
    /// Owed before the range.
    pub opening: i64,
    /// What happened in the range, by day.
    pub entries: Vec<Entry>,
    /// Owed at the end of the range.
    pub closing: i64,
    /// The invoices still owed at the end, oldest due first.
    pub open: Vec<OpenInvoice>,
}

/// Every movement of `i`'s balance, undated ones at its issue.
fn movements(i: &Invoice) -> Vec<(NaiveDate, EntryKind, String, i64)> {
    let (Some(number), Some(issued)) = (i.number.clone(), i.issued_on()) else { return Vec::new() };
    let mut out = vec![(issued, EntryKind::Invoice, number, i.total())];
    out.extend(
        i.credits.iter().map(|c| (c.on.unwrap_or(issued), EntryKind::CreditNote, c.number.clone(), -c.amount.amount)),
    );
    for p in &i.payments {
        let kind = if p.amount.amount < 0 { EntryKind::Refund } else { EntryKind::Payment };
        out.push((p.date, kind, p.reference.clone(), -p.amount.amount));
    }
    out
}

/// The statements of `invoices` (one client's) over `[from, to]`, one per currency.
pub fn statements(invoices: &[Invoice], from: NaiveDate, to: NaiveDate) -> Vec<Statement> {
    let mut by_currency: BTreeMap<Currency, Statement> = BTreeMap::new();
    let mut moves: Vec<(NaiveDate, EntryKind, String, i64, Currency, InvoiceId)> = Vec::new();
    for i in invoices.iter().filter(|i| !matches!(i.status, InvoiceStatus::Draft | InvoiceStatus::Void)) {
        let s = by_currency.entry(i.currency).or_insert_with(|| Statement {
            currency: i.currency,
            opening: 0,
            entries: Vec::new(),
            closing: 0,
            open: Vec::new(),
        });
        let mut owed_at_end = 0;
        for (date, kind, reference, amount) in movements(i) {
            if date < from {
                s.opening += amount;
            }
            if date <= to {
                owed_at_end += amount;
                if date >= from {
                    moves.push((date, kind, reference, amount, i.currency, i.id));
                }
            }
        }
        s.closing += owed_at_end;
        if owed_at_end > 0 {
            s.open.push(OpenInvoice {
                invoice_id: i.id,
                number: i.number.clone().unwrap_or_default(),
                due_date: i.due_date,
                balance: owed_at_end,
            });
        }
    }
    moves.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    for (date, kind, reference, amount, currency, invoice_id) in moves {
        if let Some(s) = by_currency.get_mut(&currency) {
            let balance = s.entries.last().map_or(s.opening, |e| e.balance) + amount;
            s.entries.push(Entry { date, kind, invoice_id, reference, amount, balance });
        }
    }
    for s in by_currency.values_mut() {
        s.open.sort_by(|a, b| (a.due_date, &a.number).cmp(&(b.due_date, &b.number)));
    }
    by_currency.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Money;
    use crate::billing::transitions::tests::{credit, issued, payment};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, m, day).unwrap()
    }

    #[test]
    fn a_statement_runs_from_what_was_owed_through_each_movement_to_what_is_owed() {
        // Issued on 2 January ($1,500.00, due 1 February): credited $100.00 on the 6th, $400.00
        // paid on the 5th, $50.00 refunded on 10 February; a second invoice issued in February.
        let mut a = issued(&[100_000, 50_000]);
        a.record_payment(crate::billing::invoice::Payment { date: d(1, 5), ..payment(40_000, None) }, d(1, 5)).unwrap();
        a.apply_credit(credit(10_000), d(1, 6)).unwrap();
        let refund = crate::billing::invoice::Payment { date: d(2, 10), ..payment(-5_000, Some("double paid")) };
        a.record_payment(refund, d(2, 10)).unwrap();
        let mut b = issued(&[20_000]);
        b.number = Some("INV-2027-00002".into());
        b.due_date = Some(d(3, 3));
        let mut draft = issued(&[999]);
        draft.status = InvoiceStatus::Draft;
        let mut void = issued(&[888]);
        void.status = InvoiceStatus::Void;
        let all = [a.clone(), b.clone(), draft, void];

        let january = statements(&all, d(1, 1), d(1, 31));
        assert_eq!(january.len(), 1);
        let s = &january[0];
        assert_eq!((s.currency, s.opening, s.closing), (Currency::USD, 0, 100_000));
        let got: Vec<(NaiveDate, EntryKind, i64, i64)> =
            s.entries.iter().map(|e| (e.date, e.kind, e.amount, e.balance)).collect();
        assert_eq!(
            got,
            [
                (d(1, 2), EntryKind::Invoice, 150_000, 150_000),
                (d(1, 5), EntryKind::Payment, -40_000, 110_000),
                (d(1, 6), EntryKind::CreditNote, -10_000, 100_000),
            ]
        );
        assert_eq!(s.entries[0].reference, "INV-2027-00001");
        assert_eq!(s.entries[1].reference, "TX-1");
        assert_eq!(
            s.open.iter().map(|o| (o.number.as_str(), o.balance)).collect::<Vec<_>>(),
            [("INV-2027-00001", 100_000)]
        );

        let february = statements(&all, d(2, 1), d(2, 28));
        let s = &february[0];
        assert_eq!((s.opening, s.closing), (100_000, 125_000), "the refund and the new invoice");
        let kinds: Vec<EntryKind> = s.entries.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EntryKind::Invoice, EntryKind::Refund], "b issued on 1 February, then the refund");
        assert_eq!(s.entries.last().map(|e| e.balance), Some(125_000));
        let open: Vec<(&str, i64)> = s.open.iter().map(|o| (o.number.as_str(), o.balance)).collect();
        assert_eq!(open, [("INV-2027-00001", 105_000), ("INV-2027-00002", 20_000)], "oldest due first");
        assert!(statements(&all, d(2, 11), d(2, 28))[0].entries.is_empty());
        assert_eq!(statements(&all, d(2, 11), d(2, 28))[0].opening, 125_000);
    }

    #[test]
    fn currencies_have_their_own_statements_and_a_paid_invoice_is_not_open() {
        let mut usd = issued(&[10_000]);
        usd.record_payment(crate::billing::invoice::Payment { date: d(1, 3), ..payment(10_000, None) }, d(1, 3))
            .unwrap();
        let eur_code: Currency = "EUR".parse().unwrap();
        let mut eur = issued(&[5_000]);
        eur.currency = eur_code;
        for l in &mut eur.lines {
            l.amount = Money::new(l.amount.amount, eur_code);
        }
        let s = statements(&[usd, eur], d(1, 1), d(1, 31));
        assert_eq!(
            s.iter().map(|s| (s.currency, s.closing, s.open.len())).collect::<Vec<_>>(),
            [("EUR".parse().unwrap(), 5_000, 1), (Currency::USD, 0, 0)]
        );
        assert!(statements(&[], d(1, 1), d(1, 31)).is_empty());
        // A payment of nothing is no refund.
        let mut nothing = issued(&[1_000]);
        nothing.payments.push(crate::billing::invoice::Payment { date: d(1, 4), ..payment(0, None) });
        let kinds: Vec<EntryKind> =
            statements(&[nothing], d(1, 1), d(1, 31))[0].entries.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EntryKind::Invoice, EntryKind::Payment]);
    }
}
