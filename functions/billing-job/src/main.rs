//! The billing job Lambda: built once from the environment (`podcastflow_wiring`), then answering
//! scheduled events.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_events::<podcastflow_billing_job::BillingJob>().await
}
