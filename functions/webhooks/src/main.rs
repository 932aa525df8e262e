//! The webhooks Lambda: built once from the environment (`podcastflow_wiring`), then answering
//! API Gateway requests.

podcastflow_wiring::http_main!(podcastflow_webhooks::WebhooksApp);
