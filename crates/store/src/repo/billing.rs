//! Invoices (keys and access patterns in `podcastflow_domain::billing::invoice`): a draft is
//! stored with one claim per order line and billing month, so no month of a line is billed
//! twice; an invoice is numbered in the transaction that issues it.

use podcastflow_domain::billing::credit_note::CreditNote;
use podcastflow_domain::billing::invoice::{Invoice, InvoiceStatus};
use podcastflow_domain::billing::numbering::Series;
use podcastflow_domain::keys::{Index, Key};
use podcastflow_domain::{ClientId, InvoiceId, OrderId};
use serde_json::json;

use super::numbers::take_number;
use super::{EntityPage, OnConflict, RepoError, Write, all_items, commit, get};
use crate::condition::Condition;
use crate::item;
use crate::table::{Query, Table, TransactOp};
use crate::tenant::TenantTable;

/// Claims written with the draft itself in its last transaction (a transaction takes 100 writes).
pub const MAX_BILLED_LINES: usize = 98;

/// Claims per transaction before the last.
const CLAIMS_PER_WRITE: usize = 99;

/// The most order lines one invoice may bill: every line of the largest order.
pub const MAX_CLAIMED_LINES: usize = podcastflow_domain::order::MAX_LINES;

/// How old a claim of an invoice that was never written must be to be cleared as left behind.
pub const STALE_CLAIM_SECONDS: i64 = 300;

/// The conflict of a draft one of whose order lines another invoice bills for the month.
pub const ALREADY_BILLED: &str = "order line already billed for the month";

/// The conflict of a draft of more order lines than one transaction takes.
pub const TOO_MANY_LINES: &str = "an invoice bills at most 500 order lines";

/// Reads and writes an organization's invoices.
pub struct BillingRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> BillingRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Stores a draft and claims its order lines' month: `Conflict(ALREADY_BILLED)` when another
    /// invoice holds one of them, and nothing is left written.
    ///
    /// Up to 98 lines the draft and its claims are one transaction. A larger one (an order has at
    /// most 500 lines) claims its lines 99 at a time, in line order, and writes the draft with
    /// the last of them, so a draft never exists without all its claims; a refused chunk gives
    /// back the claims taken before it. A claim left by a drafter that stopped half way (its
    /// invoice never written, after [`STALE_CLAIM_SECONDS`]) or by an invoice since voided is
    /// cleared when it is met, and the draft tried once more.
    pub async fn create_draft(&self, i: &Invoice) -> Result<(), RepoError> {
        match self.try_draft(i).await {
            Err(RepoError::Conflict(ALREADY_BILLED)) if self.clear_stale(i).await? => self.try_draft(i).await,
            other => other,
        }
    }

    fn claim(key: &Key, i: &Invoice) -> Result<Write, RepoError> {
        let at = i.stamp.created_at.timestamp();
        let claim = item::value_item(key, "billingClaim", &json!({"invoiceId": i.id, "at": at}))?;
        Ok(Write {
            op: TransactOp::Put { item: claim, condition: Condition::NotExists },
            on_conflict: OnConflict::Conflict(ALREADY_BILLED),
        })
    }

    async fn try_draft(&self, i: &Invoice) -> Result<(), RepoError> {
        let claims = i.claim_keys();
        if claims.len() > MAX_CLAIMED_LINES {
            return Err(RepoError::Conflict(TOO_MANY_LINES));
        }
        let (early, last) = claims.split_at(claims.len().saturating_sub(MAX_BILLED_LINES));
        let mut taken: Vec<Key> = Vec::new();
        let mut chunks: Vec<Vec<Write>> = Vec::new();
        for chunk in early.chunks(CLAIMS_PER_WRITE) {
            chunks.push(chunk.iter().map(|k| Self::claim(k, i)).collect::<Result<_, _>>()?);
        }
        let mut final_writes = vec![Write::create(i)?];
        for k in last {
            final_writes.push(Self::claim(k, i)?);
        }
        chunks.push(final_writes);
        let mut claimed = early.chunks(CLAIMS_PER_WRITE);
        for writes in chunks {
            if let Err(e) = commit(self.t, writes).await {
                self.release(&taken, &i.id).await?;
                return Err(e);
            }
            taken.extend(claimed.next().unwrap_or_default().iter().cloned());
        }
        Ok(())
    }

    /// Gives back `claims` taken for invoice `id` (each only if it is still that invoice's).
    async fn release(&self, claims: &[Key], id: &InvoiceId) -> Result<(), RepoError> {
        for chunk in claims.chunks(CLAIMS_PER_WRITE) {
            let writes = chunk
                .iter()
                .map(|k| Write {
                    op: TransactOp::Delete {
                        key: k.clone(),
                        condition: Condition::Equals("invoiceId".into(), json!(id.to_string())),
                    },
                    on_conflict: OnConflict::Conflict("claim taken by another invoice"),
                })
                .collect();
            match commit(self.t, writes).await {
                Ok(()) | Err(RepoError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Clears the claims of `i`'s lines held by no live invoice: one whose invoice was never
    /// written (older than [`STALE_CLAIM_SECONDS`]: its drafter stopped half way) or was voided.
    /// Whether any was cleared.
    async fn clear_stale(&self, i: &Invoice) -> Result<bool, RepoError> {
        let now = chrono::Utc::now().timestamp();
        let mut cleared = false;
        for chunk in i.claim_keys().chunks(CLAIMS_PER_WRITE) {
            for held in self.t.batch_get(chunk).await? {
                let (Some(holder), Some(key)) = (
                    held.get("invoiceId").and_then(|v| v.as_str()).and_then(|s| s.parse::<InvoiceId>().ok()),
                    item::key_of(&held).ok(),
                ) else {
                    continue;
                };
                let at = held.get("at").and_then(|v| v.as_i64()).unwrap_or(0);
                let stale = match self.get(&holder).await? {
                    Some(h) => h.status == InvoiceStatus::Void,
                    None => now - at > STALE_CLAIM_SECONDS,
                };
                if stale {
                    self.release(std::slice::from_ref(&key), &holder).await?;
                    cleared = true;
                }
            }
        }
        Ok(cleared)
    }

    /// Whether the monthly drafts of `year`-`month` are done.
    pub async fn drafts_done(&self, year: i32, month: u32) -> Result<bool, RepoError> {
        Ok(self.t.get(&Invoice::drafts_done_key(self.t.org(), year, month)).await?.is_some())
    }

    /// Marks the monthly drafts of `year`-`month` done (again is harmless).
    pub async fn mark_drafts_done(&self, year: i32, month: u32, drafted: u32) -> Result<(), RepoError> {
        let key = Invoice::drafts_done_key(self.t.org(), year, month);
        let item = item::value_item(&key, "billingRun", &json!({"drafted": drafted}))?;
        self.t.put(item, Condition::Always).await?;
        Ok(())
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

    /// Voids `voided` (read at version `expected`, carrying `expected + 1`) and gives back its
    /// claims, so its order lines' month may be billed again by a corrected draft: up to 99 of
    /// them in the same transaction, the rest right after (a claim of a void invoice left behind
    /// is cleared by the next draft that meets it). The invoice itself is kept.
    pub async fn void(&self, voided: &Invoice, expected: u64) -> Result<(), RepoError> {
        let claims = voided.claim_keys();
        let (first, rest) = claims.split_at(claims.len().min(CLAIMS_PER_WRITE));
        let mut writes = vec![Write::replace(voided, expected)?];
        writes.extend(first.iter().cloned().map(Write::delete));
        commit(self.t, writes).await?;
        for chunk in rest.chunks(CLAIMS_PER_WRITE) {
            commit(self.t, chunk.iter().cloned().map(Write::delete).collect()).await?;
        }
        Ok(())
    }

    /// Every invoice of `order` that holds a claim (drafted, issued or paid; voided ones gave
    /// theirs back), oldest first: what was billed of each of its lines before.
    pub async fn of_order(&self, order: &OrderId) -> Result<Vec<Invoice>, RepoError> {
        let q = Query::partition(Index::Main, Invoice::billed_pk(self.t.org(), order));
        let mut ids: Vec<InvoiceId> =
            all_items(self.t, &q).await?.iter().filter_map(|i| i.get("invoiceId")?.as_str()?.parse().ok()).collect();
        ids.sort();
        ids.dedup();
        let keys: Vec<_> = ids.iter().map(|id| Invoice::key_of(self.t.org(), id)).collect();
        super::get_many(self.t, &keys).await
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
