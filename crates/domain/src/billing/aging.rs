//! Receivables by age (`GET /reports/receivables`): each open invoice's balance falls in one
//! bucket by how many days past its due date it is on the report's day; a client's row sums its
//! invoices' balances per bucket, in one currency (a client billed in two currencies has a row
//! per currency).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::billing::invoice::{Invoice, InvoiceStatus};
use crate::{ClientId, Currency};

/// How late a balance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Bucket {
    /// Not yet due (or due today).
    #[serde(rename = "current")]
    Current,
    /// 1 to 30 days past due.
    #[serde(rename = "1-30")]
    Days1To30,
    /// 31 to 60 days past due.
    #[serde(rename = "31-60")]
    Days31To60,
    /// 61 to 90 days past due.
    #[serde(rename = "61-90")]
    Days61To90,
    /// More than 90 days past due.
    #[serde(rename = "90+")]
    Over90,
}

impl Bucket {
    /// Every bucket, youngest first.
    pub const ALL: [Bucket; 5] =
        [Bucket::Current, Bucket::Days1To30, Bucket::Days31To60, Bucket::Days61To90, Bucket::Over90];

    /// The bucket of a balance `days_late` days past due (negative: not yet due).
    pub fn of_days_late(days_late: i64) -> Bucket {
        match days_late {
            ..=0 => Bucket::Current,
            1..=30 => Bucket::Days1To30,
            31..=60 => Bucket::Days31To60,
            61..=90 => Bucket::Days61To90,
            _ => Bucket::Over90,
        }
    }
}

/// One client's receivables in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgingRow {
    /// The client who pays.
    pub client_id: ClientId,
    /// The currency.
    pub currency: Currency,
    /// Balance per bucket, in minor units (every bucket present).
    pub buckets: BTreeMap<Bucket, i64>,
    /// The sum of the buckets.
    pub total: i64,
}

/// Whether an invoice is still owed: issued and not paid or void.
pub fn is_receivable(i: &Invoice) -> bool {
    matches!(i.status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue) && i.balance() > 0
}

/// The aging of `invoices` on `today`, one row per paying client and currency, by client.
pub fn aging<'a>(invoices: impl IntoIterator<Item = &'a Invoice>, today: NaiveDate) -> Vec<AgingRow> {
    let mut rows: BTreeMap<(ClientId, Currency), AgingRow> = BTreeMap::new();
    for i in invoices.into_iter().filter(|i| is_receivable(i)) {
        let late = i.due_date.map_or(0, |due| (today - due).num_days());
        let row = rows.entry((i.bill_to, i.currency)).or_insert_with(|| AgingRow {
            client_id: i.bill_to,
            currency: i.currency,
            buckets: Bucket::ALL.iter().map(|b| (*b, 0)).collect(),
            total: 0,
        });
        *row.buckets.entry(Bucket::of_days_late(late)).or_insert(0) += i.balance();
        row.total += i.balance();
    }
    rows.into_values().collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;
    use crate::billing::period::BillingMonth;
    use crate::order::BillingCalendar;
    use crate::{Money, OrgId, Stamp, UserId};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, d).unwrap()
    }

    fn invoice(
        client: ClientId,
        currency: Currency,
        total: i64,
        paid: i64,
        status: InvoiceStatus,
        due: NaiveDate,
    ) -> Invoice {
        use crate::billing::invoice::Payment;
        use crate::billing::transitions::tests::{charge, parties};
        let month = BillingMonth::new(BillingCalendar::Standard, 2027, 1).unwrap();
        let money = |a| Money::new(a, currency);
        let who = crate::billing::invoice::Parties { advertiser_id: client, bill_to: client, ..parties() };
        let stamp = Stamp::created(UserId::new(), Utc::now());
        let mut i =
            Invoice::new_draft(OrgId::new(), who, month, currency, vec![charge(1, money(total))], 30, stamp).unwrap();
        i.number = Some("INV-2027-00001".into());
        i.status = status;
        i.issued_at = Some(Utc::now());
        i.due_date = Some(due);
        if paid > 0 {
            i.payments.push(Payment {
                id: crate::PaymentId::new(),
                amount: money(paid),
                date: due,
                method: "card".into(),
                reference: String::new(),
                reason: None,
                by: UserId::new(),
                at: Utc::now(),
            });
        }
        i
    }

    #[test]
    fn days_late_fall_in_their_bucket_at_each_edge() {
        let cases = [
            (-5, Bucket::Current),
            (0, Bucket::Current),
            (1, Bucket::Days1To30),
            (30, Bucket::Days1To30),
            (31, Bucket::Days31To60),
            (60, Bucket::Days31To60),
            (61, Bucket::Days61To90),
            (90, Bucket::Days61To90),
            (91, Bucket::Over90),
            (400, Bucket::Over90),
        ];
        for (days, bucket) in cases {
            assert_eq!(Bucket::of_days_late(days), bucket, "{days}");
        }
        let names: Vec<serde_json::Value> = Bucket::ALL.iter().map(|b| serde_json::to_value(b).unwrap()).collect();
        assert_eq!(names, ["current", "1-30", "31-60", "61-90", "90+"]);
    }

    #[test]
    fn each_client_and_currency_sums_its_open_balances_by_age() {
        use InvoiceStatus::*;
        let (acme, globex, initech) = (ClientId::new(), ClientId::new(), ClientId::new());
        let eur: Currency = "EUR".parse().unwrap();
        let today = day(31);
        let invoices = [
            invoice(acme, Currency::USD, 100_000, 0, Issued, today), // due today: current
            invoice(acme, Currency::USD, 50_000, 20_000, PartiallyPaid, today - Duration::days(10)), // 30,000 at 1-30
            invoice(acme, Currency::USD, 70_000, 0, Overdue, today - Duration::days(45)), // 31-60
            invoice(acme, Currency::USD, 9_000, 0, Overdue, today - Duration::days(120)), // 90+
            invoice(acme, Currency::USD, 5_000, 5_000, Paid, today - Duration::days(70)), // paid: out
            invoice(acme, Currency::USD, 8_000, 0, Void, today - Duration::days(70)), // void: out
            invoice(acme, Currency::USD, 8_000, 0, Draft, today - Duration::days(70)), // draft: out
            invoice(acme, eur, 1_000, 0, Overdue, today - Duration::days(61)), // its own row
            invoice(globex, Currency::USD, 2_000, 0, Issued, today + Duration::days(3)),
            // A status not yet settled with nothing owed is owed nothing.
            invoice(initech, Currency::USD, 4_000, 4_000, Issued, today - Duration::days(5)),
        ];
        let rows = aging(invoices.iter(), today);
        assert_eq!(rows.len(), 3);
        let row = |c: ClientId, cur: Currency| rows.iter().find(|r| r.client_id == c && r.currency == cur).unwrap();
        let usd = row(acme, Currency::USD);
        let got: Vec<i64> = Bucket::ALL.iter().map(|b| usd.buckets[b]).collect();
        assert_eq!(got, [100_000, 30_000, 70_000, 0, 9_000]);
        assert_eq!(usd.total, 209_000);
        assert_eq!((row(acme, eur).buckets[&Bucket::Days61To90], row(acme, eur).total), (1_000, 1_000));
        assert_eq!(row(globex, Currency::USD).buckets[&Bucket::Current], 2_000);
        assert!(!rows.iter().any(|r| r.client_id == initech), "no row for a client who owes nothing");
        assert!(aging([].iter(), today).is_empty());
    }
}
