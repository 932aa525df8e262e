//! `notifications`: the caller's own in-app notifications (written by the stream function's
//! rules), their read state, and their preferences.
//!
//! `GET /notifications` (newest first; `unread=true`; paged), `GET /notifications/unread-count`
//! -> `{count}`, `POST /notifications/{notificationId}/read`, `POST /notifications/batch-read
//! {ids} | {before}` -> `{marked}`, `GET/PUT /notifications/preferences` (the same preferences as
//! `/users/me/preferences`). Everyone reads only their own.

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct NotificationsApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &NotificationsApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(NotificationsApp, handle);

#[cfg(test)]
mod tests;
