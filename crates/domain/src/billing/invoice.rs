//! An invoice: what one order owes for one billing month, its payments and credits, and where
//! it stands.
//!
//! ```text
//! draft -> issued -> partially_paid -> paid
//!            |            |
//!            +-> overdue <+   (the daily job, once the due date has passed with a balance)
//! draft | issued | overdue (nothing paid) -> void (with a reason)
//! ```
//!
//! An issued invoice's status follows its money: paid when the balance is zero, overdue when
//! the due date has passed with a balance, partially paid when something was paid or credited,
//! else issued. Nothing is ever deleted: a mistake is voided (before any payment) or credited.
//! Amounts are integer minor units of the invoice's one currency.
//!
//! Keys and access patterns:
//! - the invoice: `ORG#<o>#INVOICE#<i>` / `PROFILE`;
//! - the organization's invoices, newest first (ids are ULIDs): GSI1 `ORG#<o>#INVOICES` / `<i>`;
//! - a client's invoices (who pays: the advertiser or its agency): GSI2
//!   `ORG#<o>#CLIENT#<c>#INVOICES` / `<i>`;
//! - invoices by status (the daily job reads the issued and partially paid ones): GSI3
//!   `ORG#<o>#INVOICES#<status>` / `<i>`;
//! - what was billed of an order: one claim per order line and billing month,
//!   `ORG#<o>#ORDER#<order>#BILLED` / `<calendar>#<yyyy-mm>#LINE#<nnnnn>` ([`Invoice::claim_keys`]),
//!   created with the draft and given back when it is voided, so no month of a line is billed
//!   twice.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::billing::charge::{ChargeKind, Unit};
use crate::billing::period::{BillingMonth, Period};
use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::order::BillingCalendar;
use crate::{ClientId, CreditNoteId, Currency, InvoiceId, Money, OrderId, OrgId, PaymentId, Stamp, UserId};

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Being prepared; it has no number and may be changed or voided.
    Draft,
    /// Numbered and sent; nothing paid yet.
    Issued,
    /// Some of it paid or credited.
    PartiallyPaid,
    /// Nothing left to pay.
    Paid,
    /// Past its due date with a balance.
    Overdue,
    /// Cancelled, with a reason; kept.
    Void,
}

/// What an invoice line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "charge")]
pub enum LineKind {
    /// A charge of an order line.
    Charge(ChargeKind),
    /// The agency's commission, taken off the advertiser's charges.
    AgencyCommission,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    /// What it is.
    #[serde(flatten)]
    pub kind: LineKind,
    /// The order line it bills, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_line: Option<u32>,
    /// What the reader is told.
    pub description: String,
    /// How many.
    pub quantity: u64,
    /// Of what.
    pub unit: Unit,
    /// The price of one (or of a thousand impressions).
    pub unit_price: Money,
    /// What it adds (negative for a commission).
    pub amount: Money,
}

/// A payment (positive) or a refund (negative) recorded by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// Its id.
    pub id: PaymentId,
    /// How much.
    pub amount: Money,
    /// The day it was received (or paid back).
    pub date: NaiveDate,
    /// How: `bank_transfer`, `card`, `check`...
    pub method: String,
    /// The bank's or the client's reference.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reference: String,
    /// Why a refund was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who recorded it.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A credit note applied to the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedCredit {
    /// The credit note.
    pub credit_note_id: CreditNoteId,
    /// Its number.
    pub number: String,
    /// How much it takes off.
    pub amount: Money,
}

/// An invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// Its id.
    pub id: InvoiceId,
    /// Its organization.
    pub org_id: OrgId,
    /// `INV-<year>-00001`, given when issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The order it bills.
    pub order_id: OrderId,
    /// The advertiser whose campaign it is.
    pub advertiser_id: ClientId,
    /// Who pays: the advertiser, or the agency that placed the order.
    pub bill_to: ClientId,
    /// The billing month.
    pub month: BillingMonth,
    /// The days it covers.
    pub period: Period,
    /// Its one currency.
    pub currency: Currency,
    /// Its lines.
    pub lines: Vec<InvoiceLine>,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// Days to pay, from the issue date.
    pub payment_terms_days: u16,
    /// When it was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<DateTime<Utc>>,
    /// The day payment is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// Payments and refunds, oldest first.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// Credit notes applied.
    #[serde(default)]
    pub credits: Vec<AppliedCredit>,
    /// Why it was voided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_reason: Option<String>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl Invoice {
    /// The sum of its lines.
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.amount.amount).sum()
    }

    /// What was paid, net of refunds.
    pub fn paid(&self) -> i64 {
        self.payments.iter().map(|p| p.amount.amount).sum()
    }

    /// What credit notes took off.
    pub fn credited(&self) -> i64 {
        self.credits.iter().map(|c| c.amount.amount).sum()
    }

    /// What is left to pay.
    pub fn balance(&self) -> i64 {
        self.total() - self.credited() - self.paid()
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &InvoiceId) -> Key {
        Key::new(org_pk(org, format!("INVOICE#{id}")), PROFILE)
    }

    /// GSI1 partition of the organization's invoices.
    pub fn all_pk(org: &OrgId) -> String {
        org_pk(org, "INVOICES")
    }

    /// GSI2 partition of the invoices a client pays.
    pub fn by_client_pk(org: &OrgId, client: &ClientId) -> String {
        org_pk(org, format!("CLIENT#{client}#INVOICES"))
    }

    /// GSI3 partition of the invoices in `status`.
    pub fn by_status_pk(org: &OrgId, status: InvoiceStatus) -> String {
        let name = serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        org_pk(org, format!("INVOICES#{name}"))
    }

    /// The claims that the order lines it bills are billed for its month: one per line.
    pub fn claim_keys(&self) -> Vec<Key> {
        let calendar = match self.month.calendar {
            BillingCalendar::Standard => "STANDARD",
            BillingCalendar::Broadcast => "BROADCAST",
        };
        let mut lines: Vec<u32> = self.lines.iter().filter_map(|l| l.order_line).collect();
        lines.sort_unstable();
        lines.dedup();
        let pk = org_pk(&self.org_id, format!("ORDER#{}#BILLED", self.order_id));
        lines
            .into_iter()
            .map(|n| {
                Key::new(pk.clone(), format!("{calendar}#{}-{:02}#LINE#{n:05}", self.month.year, self.month.month))
            })
            .collect()
    }

    /// The due date of an invoice issued on `day` with these terms.
    pub fn due_after(day: NaiveDate, terms_days: u16) -> NaiveDate {
        day + Duration::days(i64::from(terms_days))
    }
}

impl Entity for Invoice {
    const TYPE: &'static str = "invoice";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let id = self.id.to_string();
        vec![
            (Index::Gsi1, Key::new(Self::all_pk(&self.org_id), id.clone())),
            (Index::Gsi2, Key::new(Self::by_client_pk(&self.org_id, &self.bill_to), id.clone())),
            (Index::Gsi3, Key::new(Self::by_status_pk(&self.org_id, self.status), id)),
        ]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}
