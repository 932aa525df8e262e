//! The talent Lambda: builds the table once, then serves requests.

use podcastflow_platform::{AppContext, serve_http};
use podcastflow_talent::{TalentApp, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = TalentApp { ctx: AppContext::from_env().await? };
    serve_http(app.ctx.clone(), app, |app, req| async move { handle(&app, req).await }).await
}
