//! The notifications Lambda: builds the table once, then serves requests.

use std::sync::Arc;

use podcastflow_notifications::{NotificationsApp, handle};
use podcastflow_platform::AppContext;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = Arc::new(NotificationsApp { ctx: AppContext::from_env().await? });
    lambda_http::run(lambda_http::service_fn(|req| {
        let app = app.clone();
        async move { handle(&app, req).await }
    }))
    .await
}
