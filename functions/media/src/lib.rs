//! `media`: files that belong to an episode (recordings), a show (artwork) or a campaign
//! (documents), moved by the client straight to and from S3 through presigned URLs.
//!
//! `POST /media/uploads {entity {type, id}, fileName, contentType, size}` -> 201 `{media, upload
//! {url, method, headers, expiresAt}}` (type and size checked before any URL is issued: audio up
//! to 500 MB, images 20 MB, PDF 50 MB; the URL only accepts that type and size),
//! `POST /media/{mediaId}/confirm` (the object must exist with the declared size; the record turns
//! `ready`, which the change stream records), `GET /media/{mediaId}/download` -> `{url,
//! expiresAt}`, `GET /media?entityType=&entityId=`, `DELETE /media/{mediaId}`.
//!
//! A host read's recording or aircheck (`entity.type` `adRead`) is MP3, M4A or WAV of at most
//! 50 MB; confirming it measures its length from the file ([`audio`]), and a file that is not
//! readable audio is a 422 `audio-undecodable`.
//!
//! Reading a file needs what reading its entity's recording (episodes), the show or the campaign
//! needs; adding or deleting one needs what changing them needs. Anything else is 404.

pub mod audio;
mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_objects::Objects;
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct MediaApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// The media bucket.
    pub objects: Objects,
}

/// Handles one request.
pub async fn handle(app: &MediaApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(MediaApp, handle, objects = objects(podcastflow_wiring::Bucket::Media));

#[cfg(test)]
mod tests;
