//! `billing`: what a sales house invoices and collects (docs/domain.md, "Billing").
//!
//! - `GET /invoices?status=&clientId=&orderId=`: newest first. Admins read all; sellers those
//!   whose payer or advertiser they are assigned to; client users those their client pays (the
//!   client view).
//! - `POST /invoices {orderId, year, month}`: an admin drafts an order's invoice for a billing
//!   month (in the order's calendar) by hand, as the monthly job does; 409 when the month is not
//!   over, the order is not booked or completed, a line is already billed for the month, or
//!   nothing is owed. Idempotency-Key honoured. 201.
//! - `GET /invoices/{id}`; `PUT /invoices/{id} {internalNotes?, paymentTermsDays?}` (terms in
//!   draft only; If-Match).
//! - `POST /invoices/{id}/issue`: numbered `INV-<year>-00001` in the same transaction, its PDF
//!   rendered into the media bucket and e-mailed to the payer's billing contact (`billing.email`
//!   on the client) with the PDF attached; `GET /invoices/{id}/document` answers a presigned URL.
//! - `POST /invoices/{id}/payments {amount, date, method, reference?, reason?}`: a payment, or a
//!   refund (negative, with a reason); never more than the balance or what was paid. 201.
//! - `POST /invoices/{id}/credit-notes {reason, description, amount?, orderLine?}` and
//!   `GET /invoices/{id}/credit-notes`: `CN-<year>-00001`, written with the invoice's balance in
//!   one transaction; an under-delivery credit of a line is worked out from its delivery.
//! - `POST /invoices/{id}/void {reason}`: a draft, or an issued invoice nothing was paid or
//!   credited on; its order lines' month may be billed again. Kept, never deleted.
//! - `GET /reports/receivables`: what is owed by age (current, 1-30, 31-60, 61-90, 90+ days past
//!   due) per paying client and currency; CSV with `Accept: text/csv`.
//! - `GET /clients/{id}/statement?from=&to=`: a client's statement of account, per currency
//!   (`podcastflow_domain::billing::account`): opening balance, every invoice, credit note,
//!   payment and refund with the running balance, closing balance, the invoices still open; for
//!   whoever reads the client's invoices (its client users in the client view). The last 90 days
//!   by default, at most 366.
//! - `GET /reports/revenue?from=&to=&groupBy=month|show|seller|client`: booked, delivered,
//!   invoiced and collected in the range (at most 366 days), one row per group and currency
//!   (`podcastflow_domain::billing::revenue`); CSV with `Accept: text/csv`.
//! - `PUT /shows/{id}/revenue-share {terms, splits}` (admins): what a show's people are owed,
//!   a percent of net collected or a fee per published episode, split among its talent by
//!   weight (equally by default).
//! - `GET /statements?showId=&month=YYYY-MM`: the show's revenue share statement of a calendar
//!   month, per currency (admins, its producers, its talent: a talent sees their own part only).
//!
//! Every change is a versioned write the change stream turns into activity, live updates on
//! `invoice:<id>` and `org:billing`, notifications and webhook events.

mod invoices;
mod reports;
mod routes;
mod statements;

use std::sync::Arc;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_mail::Mail;
use podcastflow_objects::Objects;
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct BillingApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// The media bucket, where invoice documents are kept.
    pub objects: Objects,
    /// Sends issued invoices to their payers.
    pub mail: Arc<dyn Mail>,
}

/// Handles one request.
pub async fn handle(app: &BillingApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(
    BillingApp,
    handle,
    objects = objects(podcastflow_wiring::Bucket::Media),
    mail = mail()
);

#[cfg(test)]
mod tests;
