//! The monitoring Lambda: its probes, the authorizer's verifier and CloudWatch, built once from the
//! environment (`podcastflow_wiring`), then serving.

podcastflow_wiring::http_main!(podcastflow_monitoring::MonitoringApp);
