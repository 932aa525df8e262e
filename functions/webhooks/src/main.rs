//! The webhooks Lambda: built once from the environment (`podcastflow_wiring`), then answering
//! API Gateway requests.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_http::<podcastflow_webhooks::WebhooksApp>().await
}
