//! The stream Lambda: builds the table once, then processes DynamoDB stream batches.

use std::sync::Arc;

use podcastflow_platform::{AppContext, serve_events};
use podcastflow_stream::{StreamApp, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let mail = Arc::new(podcastflow_mail::ses::SesMail::from_env().await?);
    let push = Arc::new(podcastflow_push::ApiGatewayPush::from_env().await?);
    let app = StreamApp::new(AppContext::from_env().await?, mail, push);
    serve_events(app, |app, event| async move { handle(&app, event).await }).await
}
