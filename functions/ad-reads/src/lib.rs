//! `ad-reads`: host-read production (docs/domain.md, "Host reads").
//!
//! **Briefs** (whoever may edit the campaign writes them; its readers read them):
//! `POST /campaigns/{campaignId}/briefs` (one campaign-wide, one per show; 409 `brief-exists`),
//! `GET /campaigns/{campaignId}/briefs`, `GET`/`PUT /campaigns/{campaignId}/briefs/{briefId}`
//! (If-Match; an edit marks the reads made from it `briefChanged`, through the change stream).
//!
//! **Reads** (made by the change stream when an order is booked, one per host-read line):
//! - `GET /ad-reads?campaignId=|showId=|talentId=&status=` (a talent without a filter: their
//!   own), `GET /ad-reads/{id}`, `GET /ad-reads/{id}/brief` (the brief it is read from);
//! - `POST /ad-reads/{id}/submissions {recordingId, transcript}`: the assigned talent submits a
//!   recording uploaded through `media` (its length measured there); the conformance check runs
//!   against the brief and its checklist is kept with the submission;
//! - `POST /ad-reads/{id}/transitions {to, reason, makegoodReason}`: the state machine of
//!   `podcastflow_domain::ad_read::transitions`, the actor being the principal's part (talent,
//!   reviewer); a makegood holds a replacement spot on the show's next episode;
//! - `POST /ad-reads/{id}/client-approval {decision, note}`: a client user of the advertiser
//!   approves the current take, or asks for changes (the read goes to `revisions_requested`);
//! - `POST /ad-reads/{id}/aircheck {mediaId}`: the show's producer attaches the aired excerpt;
//! - `GET`/`POST /ad-reads/{id}/comments`, `PUT /ad-reads/{id}/comments/{commentId}` (its author,
//!   within 15 minutes).
//!
//! Who sees what is the policy's `AdRead*` rows and `podcastflow_domain::ad_read::view`: talent
//! their own reads, producers their shows', sellers their campaigns', client users theirs once a
//! read waits for their approval (no internal comments); anything else is 404.

mod briefs;
mod comments;
mod makegood;
mod reads;
mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct AdReadsApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &AdReadsApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(AdReadsApp, handle);

#[cfg(test)]
mod tests;
