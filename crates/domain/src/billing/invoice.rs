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
//! - the monthly job's mark that a month's drafts are done: `ORG#<o>#BILLING_RUNS` / `<yyyy-mm>`;
//! - what was billed of an order: one claim per order line and billing month,
//!   `ORG#<o>#ORDER#<order>#BILLED` / `<calendar>#<yyyy-mm>#LINE#<nnnnn>` ([`Invoice::claim_keys`]),
//!   created with the draft and given back when it is voided, so no month of a line is billed
//!   twice.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::billing::charge::{ChargeKind, Unit};
use crate::billing::period::{BillingMonth, InvalidMonth, Period};
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
    /// The day it was made (in the organization's zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<NaiveDate>,
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
    /// That order's number, as drafted.
    #[serde(default)]
    pub order_number: String,
    /// The advertiser whose campaign it is.
    pub advertiser_id: ClientId,
    /// The advertiser's name, as drafted (the document shows it).
    #[serde(default)]
    pub advertiser_name: String,
    /// Who pays: the advertiser, or the agency that placed the order.
    pub bill_to: ClientId,
    /// The payer's name, as drafted.
    #[serde(default)]
    pub bill_to_name: String,
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
    /// The object key of its document (a PDF in the media bucket), rendered when it is issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Where its document was e-mailed (the payer's billing contact), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emailed_to: Option<String>,
    /// When it was e-mailed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emailed_at: Option<DateTime<Utc>>,
    /// The accountants' own notes; clients never see them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_notes: Option<String>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// Who a new draft bills, and for which order: what drafting knows before the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parties {
    /// The order billed.
    pub order_id: OrderId,
    /// Its number.
    pub order_number: String,
    /// Its advertiser.
    pub advertiser_id: ClientId,
    /// The advertiser's name.
    pub advertiser_name: String,
    /// Who pays.
    pub bill_to: ClientId,
    /// The payer's name.
    pub bill_to_name: String,
}

impl Invoice {
    /// A new draft of `parties` for `month`, with `lines` in `currency`, payable within
    /// `payment_terms_days` of its issue; nothing paid, credited or sent.
    pub fn new_draft(
        org_id: OrgId,
        parties: Parties,
        month: BillingMonth,
        currency: Currency,
        lines: Vec<InvoiceLine>,
        payment_terms_days: u16,
        stamp: Stamp,
    ) -> Result<Invoice, InvalidMonth> {
        let Parties { order_id, order_number, advertiser_id, advertiser_name, bill_to, bill_to_name } = parties;
        Ok(Invoice {
            id: InvoiceId::new(),
            org_id,
            number: None,
            order_id,
            order_number,
            advertiser_id,
            advertiser_name,
            bill_to,
            bill_to_name,
            period: month.period()?,
            month,
            currency,
            lines,
            status: InvoiceStatus::Draft,
            payment_terms_days,
            issued_at: None,
            due_date: None,
            payments: Vec::new(),
            credits: Vec::new(),
            void_reason: None,
            document: None,
            emailed_to: None,
            emailed_at: None,
            internal_notes: None,
            stamp,
        })
    }

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
        let pk = Self::billed_pk(&self.org_id, &self.order_id);
        lines
            .into_iter()
            .map(|n| {
                Key::new(pk.clone(), format!("{calendar}#{}-{:02}#LINE#{n:05}", self.month.year, self.month.month))
            })
            .collect()
    }

    /// The object key of the document of invoice `id` numbered `number`: under the
    /// organization's media prefix, which only its tenant sessions reach.
    pub fn document_key(org: &OrgId, id: &InvoiceId, number: &str) -> String {
        format!("media/{org}/invoice/{id}/{number}.pdf")
    }

    /// The record that the monthly drafts of the month `year`-`month` (the month the job ran in)
    /// are done for the organization: written once every order was drafted, so a later run of
    /// the month skips them.
    pub fn drafts_done_key(org: &OrgId, year: i32, month: u32) -> Key {
        Key::new(org_pk(org, "BILLING_RUNS"), format!("{year}-{month:02}"))
    }

    /// The partition of the claims of what was billed of `order`.
    pub fn billed_pk(org: &OrgId, order: &OrderId) -> String {
        org_pk(org, format!("ORDER#{order}#BILLED"))
    }

    /// What its charges bill of each order line, in minor units (a voided invoice bills nothing).
    pub fn billed_by_line(&self) -> std::collections::BTreeMap<u32, i64> {
        let mut out = std::collections::BTreeMap::new();
        if self.status == InvoiceStatus::Void {
            return out;
        }
        for l in &self.lines {
            if let (LineKind::Charge(_), Some(n)) = (l.kind, l.order_line) {
                *out.entry(n).or_insert(0) += l.amount.amount;
            }
        }
        out
    }

    /// The day it was issued (in the organization's zone): its due date less its terms.
    pub fn issued_on(&self) -> Option<NaiveDate> {
        self.due_date.map(|d| d - Duration::days(i64::from(self.payment_terms_days)))
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
