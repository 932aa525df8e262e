//! The campaign job Lambda: builds the table once, then answers scheduled events.

use podcastflow_campaign_job::{CampaignJob, handle};
use podcastflow_platform::{AppContext, serve_events};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = CampaignJob { ctx: AppContext::from_env().await? };
    serve_events(app, |app, event| async move { handle(&app, event).await }).await
}
