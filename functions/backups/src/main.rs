//! The backups Lambda: builds the table and the backups bucket once, then serves requests.

use podcastflow_backups::{BackupsApp, handle};
use podcastflow_objects::Objects;
use podcastflow_platform::{AppContext, serve_http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let objects = Objects::from_env("BACKUPS_BUCKET").await?;
    let app = BackupsApp { ctx: AppContext::from_env().await?, objects };
    serve_http(app.ctx.clone(), app, |app, req| async move { handle(&app, req).await }).await
}
