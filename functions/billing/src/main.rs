//! The billing Lambda: its app built once from the environment (`podcastflow_wiring`), then serving.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_http::<podcastflow_billing::BillingApp>().await
}
