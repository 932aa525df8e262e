//! `delivery`: what the counting found, for those who may read it (docs/domain.md, "Delivery").
//!
//! - `GET /campaigns/{id}/delivery?from=&to=&granularity=day|week`: impressions of the campaign's
//!   booked lines per period, each line's delivery and pacing, the campaign's pacing (admins,
//!   its sellers, its advertiser's client users).
//! - `GET /orders/{id}/delivery`: the order's lines with delivery and pacing.
//! - `GET /shows/{id}/analytics` and `GET /episodes/{id}/analytics` (`from`, `to`,
//!   `granularity`): downloads and ad deliveries; an episode's unique listeners per day (never
//!   summed across days).
//! - `GET /delivery/methodology`: how the organization counts.
//! - `POST /campaigns/{id}/delivery/evidence {from, to}` and
//!   `GET /campaigns/{id}/delivery/evidence/{exportId}`: an evidence export, every request of
//!   the campaign's episodes in the period as the rules judged it, built by `delivery-ingest`
//!   and downloaded by presigned URL (those who may read the campaign's delivery).
//! - `POST /delivery/recounts` and `GET /delivery/recounts/{recountId}`: the organization's
//!   counts of the last 60 days counted again under its current window, run by
//!   `delivery-ingest` (admins: those who may change the window).
//!
//! Each report answers CSV when the request's `Accept` prefers `text/csv`. A range is at most
//! 366 days; without one, the last 30 days to today (in the organization's time zone).

mod evidence;
mod recounts;
mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct DeliveryApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// The logs bucket (export and recount notes, export files; through the organization's session).
    pub objects: podcastflow_objects::Objects,
}

/// Handles one request.
pub async fn handle(app: &DeliveryApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(DeliveryApp, handle, objects = objects(podcastflow_wiring::Bucket::Logs));

#[cfg(test)]
mod tests;
