//! `webhooks`: an organization's webhook endpoints and their deliveries (docs/webhooks.md), for
//! its admins (`WebhookManage`).
//!
//! - `GET /webhooks`, `POST /webhooks {url, description?, events?, enabled?}` (201 with the
//!   signing secret, shown this once; at most 20 endpoints, 409 beyond).
//! - `GET /webhooks/{id}`, `PUT /webhooks/{id}` (If-Match; turning an endpoint on again clears its
//!   failing streak), `DELETE /webhooks/{id}`.
//! - `POST /webhooks/{id}/rotate-secret`: a new secret, shown once; the old one keeps signing
//!   beside it for 24 hours.
//! - `POST /webhooks/{id}/test`: a `ping` sent at once; the answer is its delivery.
//! - `GET /webhooks/{id}/deliveries?since=`, `GET /webhooks/{id}/deliveries/{deliveryId}`: the log,
//!   newest first, every attempt with status, latency and the answer's start.
//! - `POST /webhooks/{id}/deliveries/{deliveryId}/redeliver`: one attempt at once, by hand.
//! - `POST /webhooks/{id}/replay {since}`: every delivery of events since then is sent again by
//!   the dispatcher (those skipped while the endpoint was off included). 202.
//!
//! Everything is sent through `podcastflow_dispatch`, held to the destination rules of where the
//! function runs (`WEBHOOK_DESTINATIONS=local` in the local stack only).

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_dispatch::Sender;
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct WebhooksApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// Sends test pings and redeliveries.
    pub sender: Sender,
}

/// Handles one request.
pub async fn handle(app: &WebhooksApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

impl podcastflow_wiring::HttpFunction for WebhooksApp {
    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        let rules = podcastflow_dispatch::rules_of(deps.setting(podcastflow_dispatch::DESTINATIONS_SETTING).as_deref());
        Ok(Self { ctx: deps.context().await?, sender: Sender::new(rules)? })
    }

    fn context(&self) -> &AppContext {
        &self.ctx
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, Error> {
        handle(self, req).await
    }
}

#[cfg(test)]
mod tests;
