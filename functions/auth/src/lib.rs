//! `auth`: sign-in and everything around it.
//!
//! Public: `POST /auth/login`, `/auth/challenge`, `/auth/refresh`, `/auth/password/forgot`,
//! `/auth/password/confirm`. Behind the authorizer: `POST /auth/logout`, `/auth/password`,
//! `/auth/mfa/setup`, `/auth/mfa/verify`, `GET /auth/me`.
//!
//! Sign-in is by e-mail, resolved here to the user id the identity provider knows. Whether an
//! e-mail exists is never revealed: unknown e-mails get the same 401 after the same work, and a
//! reset request is always 202. Failed sign-ins are throttled per account and per client IP
//! (429 with Retry-After), checked before the password is.

mod routes;

use std::sync::Arc;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_identity::Identity;
use podcastflow_platform::{AppContext, request_id, respond};

pub use routes::{ACCOUNT_LIMIT, IP_LIMIT, RESET_LIMIT};

/// What the function needs, built once at init.
pub struct AuthApp {
    /// Table and cursors.
    pub ctx: AppContext,
    /// The identity provider (Cognito, or the local one).
    pub identity: Arc<dyn Identity>,
}

/// Handles one request.
pub async fn handle(app: &AuthApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(AuthApp, handle, identity = identity());

#[cfg(test)]
mod tests;
