//! The media Lambda: builds the table and the media bucket once, then serves requests.

use podcastflow_media::{MediaApp, handle};
use podcastflow_objects::Objects;
use podcastflow_platform::{AppContext, serve_http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let objects = Objects::from_env("MEDIA_BUCKET").await?;
    let app = MediaApp { ctx: AppContext::from_env().await?, objects };
    serve_http(app.ctx.clone(), app, |app, req| async move { handle(&app, req).await }).await
}
