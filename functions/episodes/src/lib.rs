//! `episodes`: the episodes of shows, their dates, talent, status and ad slots.
//!
//! `GET /episodes` (paged by air date; `showId`, `status`, `from`/`to` air-date range, `talentId`),
//! `POST /episodes`, `GET /episodes/{episodeId}`, `PUT /episodes/{episodeId}` (merge; If-Match),
//! `DELETE /episodes/{episodeId}` (drafts and cancelled episodes; If-Match),
//! `POST /episodes/{episodeId}/transitions {to}` (the state machine of
//! `podcastflow_domain::episode::transitions`). Assigning talent whose availability has an
//! unavailable window on the recording date is a 409 naming the window, unless an admin sends
//! `"force": true`. Every episode is answered with its `adSlots`, derived from its length unless its
//! show configures them.

mod listing;
mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct EpisodesApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &EpisodesApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(EpisodesApp, handle);

#[cfg(test)]
mod tests;
