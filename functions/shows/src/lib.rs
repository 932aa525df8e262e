//! `shows`: the shows of a network, who produces and hosts them, and how ads are sold on them.
//!
//! `GET /shows` (paged by name; `status` (default active), `q` name prefix), `POST /shows`,
//! `GET /shows/{showId}`, `PUT /shows/{showId}` (merge; If-Match; includes `adConfig`),
//! `DELETE /shows/{showId}` (archive; If-Match), `PUT /shows/{showId}/assignments
//! {producerIds, talentIds}` (If-Match). Who sees what (docs/domain.md): everyone inside the organization
//! but talent and client users sees every show; talent the shows they are assigned to; client users
//! the public fields of the shows their campaigns target. A producer who creates a show produces it.

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct ShowsApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &ShowsApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(ShowsApp, handle);

#[cfg(test)]
mod tests;
