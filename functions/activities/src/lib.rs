//! `activities`: the audit log the stream function writes, and client-side events.
//!
//! `GET /activities` (newest first; `entityType` + `entityId`, or `actorId`, or `from`/`to` times;
//! paged), `GET /activities/{activityId}`, `POST /activities {action, entity, details}` (events a
//! client reports, e.g. `client.viewed`). Admins and master read the whole organization's log;
//! sellers, producers and talent read the activity of entities they may read (docs/domain.md), and
//! their own; client users none.

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct ActivitiesApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &ActivitiesApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(ActivitiesApp, handle);

#[cfg(test)]
mod tests;
