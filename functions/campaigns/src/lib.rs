//! `campaigns`: campaigns sold to clients, their status, history and team.
//!
//! `GET /campaigns` (paged; `status`, `clientId`, `ownerId`, `from`/`to` start-date range,
//! `sort=startDate|updated`, `order=asc|desc`, `archived=true`), `POST /campaigns`,
//! `GET /campaigns/{campaignId}` (with its team), `PUT /campaigns/{campaignId}` (merge; If-Match; never
//! the status), `DELETE /campaigns/{campaignId}` (a draft is deleted, any other campaign archived),
//! `POST /campaigns/{campaignId}/transitions {to, reason}` (the state machine of
//! `podcastflow_domain::campaign::transitions`), `GET /campaigns/{campaignId}/history`,
//! `POST /campaigns/{campaignId}/team`, `PUT` and `DELETE /campaigns/{campaignId}/team/{userId}`.
//!
//! Who sees what is the policy's (docs/domain.md); client users get the client view, producers and
//! talent without `viewFinancials` no budget ([`podcastflow_domain::campaign::view`]).

mod access;
mod listing;
mod routes;
mod team;
mod transitions;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct CampaignsApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &CampaignsApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(CampaignsApp, handle);

#[cfg(test)]
mod tests;
