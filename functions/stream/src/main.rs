//! The stream Lambda: builds the table once, then processes DynamoDB stream batches.

use std::sync::Arc;

use podcastflow_platform::AppContext;
use podcastflow_stream::{StreamApp, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let mail = Arc::new(podcastflow_mail::ses::SesMail::from_env().await?);
    let app = Arc::new(StreamApp { ctx: AppContext::from_env().await?, mail });
    lambda_http::lambda_runtime::run(lambda_http::service_fn(|event| {
        let app = app.clone();
        async move { handle(&app, event).await }
    }))
    .await
}
