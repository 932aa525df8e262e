//! Invoices (keys and access patterns in `podcastflow_domain::billing::invoice`): a draft is
//! stored with one claim per order line and billing month, so no month of a line is billed
//! twice; an invoice is numbered in the transaction that issues it.

use podcastflow_domain::billing::credit_note::CreditNote;
use podcastflow_domain::billing::invoice::{Invoice, InvoiceStatus};
use podcastflow_domain::billing::numbering::Series;
use podcastflow_domain::keys::Index;
use podcastflow_domain::{ClientId, InvoiceId};
use serde_json::json;

use super::numbers::take_number;
use super::{EntityPage, OnConflict, RepoError, Write, commit, get};
use crate::condition::Condition;
use crate::item;
use crate::table::{Query, TransactOp};
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

    /// Replaces an invoice read at version `expected` (it carries `expected + 1`): a payment, a
    /// refund, a void, overdue.
    pub async fn save(&self, i: &Invoice, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(i, expected)?]).await
    }

    /// Writes credit note `note` and `credited` (the invoice read at version `expected`, carrying
    /// `expected + 1`, with the note applied) in one transaction with the next number of `year`,
    /// which both are given. A refused write takes no number.
    pub async fn credit(
        &self,
        credited: Invoice,
        expected: u64,
        note: CreditNote,
        year: i32,
    ) -> Result<(Invoice, CreditNote), RepoError> {
        let numbered = |number: &str| {
            let n = CreditNote { number: number.to_owned(), ..note.clone() };
            let mut i = credited.clone();
            for c in i.credits.iter_mut().filter(|c| c.credit_note_id == n.id) {
                c.number = number.to_owned();
            }
            (i, n)
        };
        let changed = || RepoError::Conflict("invoice changed since it was read");
        let number = take_number(self.t, Series::CreditNote, year, "credit-note-number-contended", changed, |number| {
            let (i, n) = numbered(number);
            Ok(vec![
                TransactOp::Put { item: item::to_item(&i)?, condition: Condition::VersionIs(expected) },
                TransactOp::Put { item: item::to_item(&n)?, condition: Condition::NotExists },
            ])
        })
        .await?;
        Ok(numbered(&number))
    }

    /// One credit note.
    pub async fn credit_note(&self, id: &podcastflow_domain::CreditNoteId) -> Result<Option<CreditNote>, RepoError> {
        get(self.t, &CreditNote::key_of(self.t.org(), id)).await
    }

    /// A page of the organization's invoices, newest first.
    pub async fn list(&self, cursor: Option<&str>, limit: u32) -> Result<EntityPage<Invoice>, RepoError> {
        let q = Query::partition(Index::Gsi1, Invoice::all_pk(self.t.org())).reverse().limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// A page of the invoices `client` pays, newest first.
    pub async fn of_client(
        &self,
        client: &ClientId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Invoice>, RepoError> {
        let q = Query::partition(Index::Gsi2, Invoice::by_client_pk(self.t.org(), client)).reverse().limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// A page of the invoices in `status`, oldest first (the daily job's reading).
    pub async fn in_status(
        &self,
        status: InvoiceStatus,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Invoice>, RepoError> {
        let q = Query::partition(Index::Gsi3, Invoice::by_status_pk(self.t.org(), status)).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// A page of an invoice's credit notes, oldest first.
    pub async fn credit_notes_of(
        &self,
        invoice: &InvoiceId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<CreditNote>, RepoError> {
        let q = Query::partition(Index::Gsi2, CreditNote::of_invoice_pk(self.t.org(), invoice)).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }
}
