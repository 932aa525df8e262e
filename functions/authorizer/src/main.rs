//! The authorizer Lambda: the decision of `podcastflow_authorization`, built once from the
//! environment (`podcastflow_wiring`: the issuer's JWKS, or `JWKS_URL`, and the table), then
//! answering authorizer events.

podcastflow_wiring::events_main!(podcastflow_authorization::Authorizer);
