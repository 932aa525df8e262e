//! The authorizer Lambda: the decision of `podcastflow_authorization`, built once from the
//! environment (`podcastflow_wiring`: the issuer's JWKS, or `JWKS_URL`, and the table), then
//! answering authorizer events.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_events::<podcastflow_authorization::Authorizer>().await
}
