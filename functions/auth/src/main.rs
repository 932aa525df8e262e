//! The auth Lambda: builds the table and the Cognito identity adapter once, then serves requests.

use std::sync::Arc;

use podcastflow_auth::{AuthApp, handle};
use podcastflow_identity::cognito::CognitoIdentity;
use podcastflow_platform::{AppContext, serve_http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let ctx = AppContext::from_env().await?;
    let identity = Arc::new(CognitoIdentity::from_env().await?);
    let app = AuthApp { ctx, identity };
    serve_http(app.ctx.clone(), app, |app, req| async move { handle(&app, req).await }).await
}
