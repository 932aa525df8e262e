//! The delivery-ingest Lambda: built once from the environment (`podcastflow_wiring`), then
//! reading each log file its S3 events name.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_events::<podcastflow_delivery_ingest::IngestApp>().await
}
