//! `clients`: advertisers and agencies.
//!
//! `GET /clients` (paged; `status` (default active), `type`, `assignedSeller`, `q` name prefix),
//! `POST /clients`, `GET /clients/{clientId}`, `PUT /clients/{clientId}` (merge; If-Match),
//! `DELETE /clients/{clientId}` (archive; If-Match; refused while campaigns are won, live or
//! paused). Who sees what (docs/domain.md): master and admins all; sellers the clients assigned to them
//! (a seller who creates a client is assigned to it); client users their own client; producers
//! and talent none.

mod routes;

use lambda_http::{Body, Error, Request, Response};
use podcastflow_platform::{AppContext, request_id, respond};

/// What the function needs, built once at init.
pub struct ClientsApp {
    /// Table and cursors.
    pub ctx: AppContext,
}

/// Handles one request.
pub async fn handle(app: &ClientsApp, req: Request) -> Result<Response<Body>, Error> {
    let rid = request_id(&req);
    respond(routes::route(app, &req).await, &rid)
}

podcastflow_wiring::http_function!(ClientsApp, handle);

#[cfg(test)]
mod tests;
