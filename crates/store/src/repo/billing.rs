//! Invoices (keys and access patterns in `podcastflow_domain::billing::invoice`): a draft is
//! stored with one claim per order line and billing month, so no month of a line is billed
//! twice; an invoice is numbered in the transaction that issues it.

use podcastflow_domain::InvoiceId;
use podcastflow_domain::billing::invoice::Invoice;
use podcastflow_domain::billing::numbering::Series;
use serde_json::json;

use super::numbers::take_number;
use super::{OnConflict, RepoError, Write, commit, get};
use crate::condition::Condition;
use crate::item;
use crate::table::TransactOp;
use crate::tenant::TenantTable;

/// Order lines one invoice may bill: its claims and itself fit one transaction.
pub const MAX_BILLED_LINES: usize = 98;

/// Reads and writes an organization's invoices.
pub struct BillingRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> BillingRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Stores a draft and claims its order lines' month: `Conflict("order line already billed
    /// for the month")` when another invoice holds one of them, and nothing is written.
    pub async fn create_draft(&self, i: &Invoice) -> Result<(), RepoError> {
        let claims = i.claim_keys();
        if claims.len() > MAX_BILLED_LINES {
            return Err(RepoError::Conflict("an invoice bills at most 98 order lines"));
        }
        let mut writes = vec![Write::create(i)?];
        for key in claims {
            let claim = item::value_item(&key, "billingClaim", &json!({"invoiceId": i.id}))?;
            writes.push(Write {
                op: TransactOp::Put { item: claim, condition: Condition::NotExists },
                on_conflict: OnConflict::Conflict("order line already billed for the month"),
            });
        }
        commit(self.t, writes).await
    }

    /// One invoice.
    pub async fn get(&self, id: &InvoiceId) -> Result<Option<Invoice>, RepoError> {
        get(self.t, &Invoice::key_of(self.t.org(), id)).await
    }

    /// Issues `issued` (read at version `expected` and carrying `expected + 1`, its number not
    /// yet given): the next number of `year` is given in the same transaction, so a refused
    /// issue leaves no gap. Answers the invoice as stored.
    pub async fn issue(&self, issued: Invoice, expected: u64, year: i32) -> Result<Invoice, RepoError> {
        let current = || RepoError::Conflict("invoice changed since it was read");
        let number = take_number(self.t, Series::Invoice, year, "invoice-number-contended", current, |number| {
            let numbered = Invoice { number: Some(number.to_owned()), ..issued.clone() };
            Ok(vec![TransactOp::Put { item: item::to_item(&numbered)?, condition: Condition::VersionIs(expected) }])
        })
        .await?;
        Ok(Invoice { number: Some(number), ..issued })
    }

    /// Replaces an invoice read at version `expected` (it carries `expected + 1`).
    pub async fn save(&self, i: &Invoice, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(i, expected)?]).await
    }
}
