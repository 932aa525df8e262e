//! The users Lambda: builds the table, the Cognito identity adapter and the usage-plan adapter
//! once, then serves requests.

use std::sync::Arc;

use podcastflow_identity::cognito::CognitoIdentity;
use podcastflow_platform::{AppContext, serve_http};
use podcastflow_usage::ApiGatewayUsageKeys;
use podcastflow_users::{UsersApp, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let ctx = AppContext::from_env().await?;
    let identity = Arc::new(CognitoIdentity::from_env().await?);
    let usage = Arc::new(ApiGatewayUsageKeys::from_env().await?);
    let app = UsersApp { ctx, identity, usage };
    serve_http(app.ctx.clone(), app, |app, req| async move { handle(&app, req).await }).await
}
