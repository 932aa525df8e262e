//! The monitoring Lambda: nothing to build at init yet; runs the handler.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(podcastflow_monitoring::handle)).await
}
