//! `backups`: an organization's backups, for its admins (and master).
//!
//! `GET /backups` (newest first, paged), `POST /backups` -> 202 with the queued backup (the
//! backup-job function runs it from the stream), `GET /backups/{backupId}` (status, progress,
//! counts, size, the latest restore), `GET /backups/{backupId}/download` -> `{url, expiresAt}` (a
//! presigned GET for 5 minutes, completed backups only), `DELETE /backups/{backupId}` (its
//! objects follow), `POST /backups/restore {backupId, entities, mode}` -> 202 (merge or replace;
//! progress on the backup's `restore`), `GET/PUT /backups/schedule` (enabled, frequency, hour in
//! the organization's time zone).

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_objects::Objects;
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct BackupsApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// The backups bucket (for download URLs).
    pub objects: Objects,
}

/// Handles one request.
pub async fn handle(app: &BackupsApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(BackupsApp, handle, objects = objects(podcastflow_wiring::Bucket::Backups));

#[cfg(test)]
mod tests;
