//! `users`: the organization's users and API keys, and one's own preferences.
//!
//! `GET /users` (paged; `role`, `status` filters), `GET /users/{id}`, `POST /users` (invite),
//! `PUT /users/{id}` (name, role, clientId, timezone, status; If-Match), `DELETE /users/{id}`
//! (disable, history kept), `GET/PUT /users/me/preferences`, `POST/GET /api-keys`,
//! `DELETE /api-keys/{id}` (each key registered with API Gateway's usage plan for API keys). Guardrails of docs/domain.md: nobody grants master but master; nobody
//! changes their own role or status; a client user needs a client of their organization.
//! A role change or a disable revokes the user's tokens (the authorizer refuses them after its
//! cache TTL) and their refresh tokens.

mod api_keys;
mod routes;

use std::sync::Arc;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_identity::Identity;
use podcastflow_platform::{AppContext, request_id, respond};
use podcastflow_usage::UsageKeys;

/// What the function needs, built once at init.
pub struct UsersApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// The identity provider (invitations, disabling, sign-out).
    pub identity: Arc<dyn Identity>,
    /// API Gateway's usage plan for API keys: each key is registered on creation, removed on
    /// revocation.
    pub usage: Arc<dyn UsageKeys>,
}

/// Handles one request.
pub async fn handle(app: &UsersApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(UsersApp, handle, identity = identity(), usage = usage());

#[cfg(test)]
mod tests;
