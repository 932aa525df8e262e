//! Drafting an order's invoice for a billing month, the one way both the admin's hand and the
//! monthly job do it: the month must be over, the order booked or completed; the payer is the
//! advertiser or, when it buys through an agency, the agency (its commission taken off); each
//! line's use is gathered from the store ([`crate::usage`]); the draft is stored with one claim
//! per order line and month, so no month of a line is billed twice.

use chrono::{DateTime, NaiveDate, Utc};
use podcastflow_domain::UserId;
use podcastflow_domain::billing::draft::{DraftError, Drafting, draft};
use podcastflow_domain::billing::invoice::Invoice;
use podcastflow_domain::billing::period::BillingMonth;
use podcastflow_domain::billing::usage::line_uses;
use podcastflow_domain::order::{Order, OrderStatus};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::billing::{ALREADY_BILLED, BillingRepo, TOO_MANY_LINES};
use podcastflow_store::repo::clients::ClientRepo;

/// Why an order's month was not drafted.
#[derive(Debug, thiserror::Error)]
pub enum DraftFailure {
    /// The month has days still to come.
    #[error("the billing month runs to {ends}: it is drafted once it is over")]
    MonthNotOver {
        /// Its last day.
        ends: NaiveDate,
    },
    /// Only a booked or completed order is billed.
    #[error("the order is {0}: only booked and completed orders are billed")]
    NotBillable(OrderStatus),
    /// The order's advertiser is gone.
    #[error("the order's advertiser no longer exists")]
    NoAdvertiser,
    /// Another invoice already bills one of its lines for the month.
    #[error("an order line is already billed for the month")]
    AlreadyBilled,
    /// More lines than one invoice takes.
    #[error("an invoice bills at most 500 order lines")]
    TooManyLines,
    /// The lines cannot be priced.
    #[error(transparent)]
    Draft(#[from] DraftError),
    /// The store failed.
    #[error(transparent)]
    Repo(RepoError),
}

impl From<RepoError> for DraftFailure {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Conflict(ALREADY_BILLED) => DraftFailure::AlreadyBilled,
            RepoError::Conflict(TOO_MANY_LINES) => DraftFailure::TooManyLines,
            other => DraftFailure::Repo(other),
        }
    }
}

/// Drafts and stores `order`'s invoice for `month` (`today`: the organization's date at `now`),
/// by `by`; `None` when nothing is owed for the month (nothing is written).
pub async fn draft_order(
    t: &TenantTable,
    order: &Order,
    month: BillingMonth,
    by: UserId,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Option<Invoice>, DraftFailure> {
    let period = month.period().map_err(DraftError::from)?;
    if today <= period.end {
        return Err(DraftFailure::MonthNotOver { ends: period.end });
    }
    if !matches!(order.status, OrderStatus::Booked | OrderStatus::Completed) {
        return Err(DraftFailure::NotBillable(order.status));
    }
    let clients = ClientRepo::new(t);
    let advertiser = clients.get(&order.advertiser_id).await?.ok_or(DraftFailure::NoAdvertiser)?;
    let agency = match advertiser.agency_id {
        Some(id) => clients.get(&id).await?,
        None => None,
    };
    let payer = agency.as_ref().unwrap_or(&advertiser);
    let commission = agency.as_ref().map(|a| a.billing.commission_bps).filter(|c| *c > 0);
    let facts = crate::usage::gather(t, order, period).await?;
    let uses = line_uses(order, period, &facts);
    let d = Drafting {
        order,
        advertiser_name: &advertiser.name,
        bill_to: payer.id,
        bill_to_name: &payer.name,
        commission,
        by,
        at: now,
    };
    let Some(invoice) = draft(&d, month, &uses)? else { return Ok(None) };
    BillingRepo::new(t).create_draft(&invoice).await?;
    Ok(Some(invoice))
}
