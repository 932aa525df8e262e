//! `orders`: insertion orders, what a won campaign bought line by line (docs/domain.md,
//! "Insertion orders").
//!
//! - `POST /orders {campaignId, holdIds?, lines?, ...terms}`: a draft order of a won or live
//!   campaign, numbered `IO-<year>-00001`. Its lines are the spots the campaign holds: every spot
//!   of the holds named (or of all its live holds), or the spots `lines` names, each at the price
//!   it was held at unless a rate is given. Idempotency-Key honoured. 201.
//! - `GET /orders?campaignId=`: orders by number; admins all, sellers those of campaigns they
//!   read, client users their advertiser's (client view).
//! - `GET /orders/{id}`, `PUT /orders/{id}` (lines and terms, in draft only; If-Match).
//! - `POST /orders/{id}/transitions {to, reason}`: the state machine of
//!   `podcastflow_domain::order::transitions`. `booked` turns every line's hold into a booking all
//!   or nothing; a line whose hold expired or whose spot was taken is a 409 naming the lines, and
//!   nothing changes. `cancelled` releases every booking.
//!
//! **Booking larger than one transaction.** DynamoDB takes 100 writes per transaction; an order
//! of more lines is booked in several (`podcastflow_store::repo::orders`): the order moves to
//! `booking`, its spots turn from held to booked 100 at a time, each on the condition that its
//! hold still holds it (or that this very line already booked it, so a repeat finishes an
//! interrupted booking), then the order becomes `booked`. If any transaction is refused, every
//! spot already booked goes back to its hold and the order back to `approved`: all or nothing.
//!
//! Orders are read by whoever reads their campaign's money (admins, its sellers, its advertiser's
//! client users in the client view) and written by whoever may hold its spots (`OrderWrite`).

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct OrdersApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &OrdersApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(OrdersApp, handle);

#[cfg(test)]
mod tests;
