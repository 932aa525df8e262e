//! `talent`: when hosts can record, and what they have coming up.
//!
//! `GET /talent/{userId}/availability` (the windows, with the set's ETag),
//! `PUT /talent/{userId}/availability {windows}` (replaces the whole set; If-Match),
//! `GET /talent/{userId}/schedule` (upcoming recording and air dates across shows, from `from`,
//! default today; paged). Admins and master read and write anyone's; sellers and producers read;
//! talent read and write their own (docs/domain.md). Episodes check assignments against these windows.

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct TalentApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &TalentApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(TalentApp, handle);

#[cfg(test)]
mod tests;
