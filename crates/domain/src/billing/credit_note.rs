//! Credit notes: what is taken off an issued invoice, and why. Numbered `CN-<year>-00001` when
//! made (a credit note has no draft), never deleted.
//!
//! Keys and access patterns:
//! - the credit note: `ORG#<o>#CREDIT_NOTE#<n>` / `PROFILE`;
//! - the organization's credit notes, newest first: GSI1 `ORG#<o>#CREDIT_NOTES` / `<n>`;
//! - an invoice's credit notes: GSI2 `ORG#<o>#INVOICE#<i>#CREDIT_NOTES` / `<n>`.
//!
//! A credit note is written in one transaction with the invoice it is applied to and the
//! series' counter: the note, its number and the invoice's balance never disagree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::billing::charge::divide_half_up;
use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::{CreditNoteId, InvoiceId, Money, OrgId, Stamp};

/// Why a credit note was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditReason {
    /// A spot that did not run as sold, owed again.
    Makegood,
    /// A line that delivered less than its goal: the undelivered share of its contract.
    UnderDelivery,
    /// A price reduction agreed with the client.
    Discount,
}

/// A credit note against one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditNote {
    /// Its id.
    pub id: CreditNoteId,
    /// Its organization.
    pub org_id: OrgId,
    /// `CN-<year>-00001`.
    pub number: String,
    /// The invoice it credits.
    pub invoice_id: InvoiceId,
    /// Why.
    pub reason: CreditReason,
    /// What the client is told.
    pub description: String,
    /// How much it takes off (positive).
    pub amount: Money,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl CreditNote {
    /// The record's key.
    pub fn key_of(org: &OrgId, id: &CreditNoteId) -> Key {
        Key::new(org_pk(org, format!("CREDIT_NOTE#{id}")), PROFILE)
    }

    /// GSI1 partition of the organization's credit notes.
    pub fn all_pk(org: &OrgId) -> String {
        org_pk(org, "CREDIT_NOTES")
    }

    /// GSI2 partition of an invoice's credit notes.
    pub fn of_invoice_pk(org: &OrgId, invoice: &InvoiceId) -> String {
        org_pk(org, format!("INVOICE#{invoice}#CREDIT_NOTES"))
    }
}

impl Entity for CreditNote {
    const TYPE: &'static str = "creditNote";
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
            (Index::Gsi2, Key::new(Self::of_invoice_pk(&self.org_id, &self.invoice_id), id)),
        ]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

/// The undelivered share of a line's contracted amount: `contracted` times the part of `goal`
/// not `delivered`, rounded half up. Nothing when the goal was met.
pub fn under_delivery(contracted: i64, goal: u64, delivered: u64) -> i64 {
    if goal == 0 || delivered >= goal {
        return 0;
    }
    divide_half_up(i128::from(contracted) * i128::from(goal - delivered), i128::from(goal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_under_delivery_credits_the_undelivered_share_of_the_contract() {
        // $1,000.00 for 40,000 impressions, 30,000 delivered: a quarter back, $250.00.
        assert_eq!(under_delivery(100_000, 40_000, 30_000), 25_000);
        // A third undelivered of $1,000.00 is $333.333..., $333.33.
        assert_eq!(under_delivery(100_000, 30_000, 20_000), 33_333);
        // Two thirds: $666.666..., rounded up to $666.67.
        assert_eq!(under_delivery(100_000, 30_000, 10_000), 66_667);
        assert_eq!(under_delivery(100_000, 40_000, 40_000), 0, "met");
        assert_eq!(under_delivery(100_000, 40_000, 90_000), 0, "over");
        assert_eq!(under_delivery(100_000, 0, 0), 0, "no goal, nothing to share");
        assert_eq!(under_delivery(100_000, 40_000, 0), 100_000, "nothing delivered: all of it");
    }

    #[test]
    fn a_credit_note_is_keyed_by_organization_and_listed_by_invoice() {
        let (org, invoice) = (OrgId::new(), InvoiceId::new());
        let mut n = CreditNote {
            id: CreditNoteId::new(),
            org_id: org,
            number: "CN-2027-00001".into(),
            invoice_id: invoice,
            reason: CreditReason::Discount,
            description: "loyalty".into(),
            amount: Money::new(500, crate::Currency::USD),
            at: Utc::now(),
            stamp: Stamp::created(crate::UserId::new(), Utc::now()),
        };
        let id = n.id.to_string();
        assert_eq!(n.key(), Key::new(format!("ORG#{org}#CREDIT_NOTE#{id}"), "PROFILE"));
        assert_eq!(
            n.index_keys(),
            [
                (Index::Gsi1, Key::new(format!("ORG#{org}#CREDIT_NOTES"), id.clone())),
                (Index::Gsi2, Key::new(format!("ORG#{org}#INVOICE#{invoice}#CREDIT_NOTES"), id)),
            ]
        );
        n.stamp.version = 3;
        assert_eq!((n.org_id(), n.version()), (&org, 3));
    }

    #[test]
    fn reasons_are_named_as_the_api_names_them() {
        let names: Vec<serde_json::Value> =
            [CreditReason::Makegood, CreditReason::UnderDelivery, CreditReason::Discount]
                .iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect();
        assert_eq!(
            names,
            [serde_json::json!("makegood"), serde_json::json!("under_delivery"), serde_json::json!("discount")]
        );
    }
}
