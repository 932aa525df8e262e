//! The authorizer Lambda: builds the token verifier (JWKS of `TOKEN_ISSUER`, or `JWKS_URL`) and
//! the table once, then answers authorizer events.

use std::sync::Arc;

use podcastflow_authorization::{Authorizer, handle};
use podcastflow_identity::{HttpKeySource, TokenVerifier};
use podcastflow_platform::context::{AppContext, setting};
use podcastflow_platform::serve_events;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let issuer = setting("TOKEN_ISSUER")?;
    let client_id = setting("TOKEN_CLIENT_ID")?;
    let jwks = std::env::var("JWKS_URL").unwrap_or_else(|_| format!("{issuer}/.well-known/jwks.json"));
    let verifier = Arc::new(TokenVerifier::new(issuer, client_id, Arc::new(HttpKeySource::new(jwks))));
    let context = AppContext::from_env().await?;
    let interactive_usage_key = std::env::var("INTERACTIVE_USAGE_KEY").ok().filter(|k| !k.is_empty());
    let app = Authorizer { verifier, table: context.table, tenants: context.tenants, interactive_usage_key };
    serve_events(app, |app, event| async move { handle(&app, event).await }).await
}
