//! `inventory`: what a network has to sell, and campaigns' holds on it (docs/domain.md,
//! "Inventory and holds").
//!
//! - `GET /inventory?showIds=&from=&to=&positions=`: per episode and position, the spots in all,
//!   available, held, booked and blocked, with the rate card's price (paged). Two Queries per
//!   show for any date range (its episodes, its taken spots). Sellers and admins; producers for
//!   the shows they produce; others 403.
//! - `POST /campaigns/{id}/holds` with `{spots}` or `{plan}`: `?preview=true` answers the
//!   placement and every spot it could not make, with the reason, changing nothing; otherwise the
//!   hold is committed all or nothing (Idempotency-Key honoured) and answers 201. A plan lost to
//!   a concurrent hold is placed again, at most three times in all. 409 names what was refused.
//! - `GET /campaigns/{id}/holds`: the campaign's holds.
//! - `POST /campaigns/{id}/holds/{holdId}/extend`, `DELETE /campaigns/{id}/holds/{holdId}`.
//! - `POST /episodes/{id}/spots/{spotId}/block {reason}` takes a free spot off sale (the show's
//!   producers and admins; a held or booked spot is a 409), `DELETE` puts it back.
//! - `GET /shows/{showId}/sell-through?from=&to=`: per position, the counts, the booked share and
//!   the booked revenue by currency: each order line's contracted amount (who may read avails).
//!
//! Holds are taken by the campaign's owner, a team member with `edit`, or an admin; an admin
//! may hold beside a competitor with `overrideReason`.

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct InventoryApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &InventoryApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(InventoryApp, handle);

#[cfg(test)]
mod tests;
