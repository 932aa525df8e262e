//! The shows Lambda: builds the table once, then serves requests.

use podcastflow_platform::{AppContext, serve_http};
use podcastflow_shows::{ShowsApp, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = ShowsApp { ctx: AppContext::from_env().await? };
    serve_http(app.ctx.clone(), app, |app, req| async move { handle(&app, req).await }).await
}
