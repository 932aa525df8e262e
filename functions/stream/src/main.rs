//! The stream Lambda: built once from the environment (`podcastflow_wiring`), then processing
//! DynamoDB stream batches.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_events::<podcastflow_stream::StreamApp>().await
}
