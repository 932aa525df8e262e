//! The websocket Lambda: builds the table and the `@connections` client once, then serves the
//! WebSocket API's routes.

use std::sync::Arc;

use podcastflow_platform::{AppContext, serve_http};
use podcastflow_push::ApiGatewayPush;
use podcastflow_websocket::{WebSocketApp, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let push = Arc::new(ApiGatewayPush::from_env().await?);
    let app = WebSocketApp { ctx: AppContext::from_env().await?, push };
    serve_http(app.ctx.clone(), app, |app, req| async move { handle(&app, req).await }).await
}
