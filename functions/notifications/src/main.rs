//! The notifications Lambda: builds the table once, then serves requests.

use podcastflow_notifications::{NotificationsApp, handle};
use podcastflow_platform::{AppContext, serve_http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = NotificationsApp { ctx: AppContext::from_env().await? };
    serve_http(app.ctx.clone(), app, |app, req| async move { handle(&app, req).await }).await
}
