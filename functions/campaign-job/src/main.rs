//! The campaign job Lambda: builds the table once, then answers scheduled events.

use std::sync::Arc;

use podcastflow_campaign_job::{CampaignJob, handle};
use podcastflow_platform::AppContext;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let job = Arc::new(CampaignJob { ctx: AppContext::from_env().await? });
    lambda_http::lambda_runtime::run(lambda_http::service_fn(|event| {
        let job = job.clone();
        async move { handle(&job, event).await }
    }))
    .await
}
