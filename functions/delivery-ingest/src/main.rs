//! The delivery-ingest Lambda: built once from the environment (`podcastflow_wiring`), then
//! reading each log file its S3 events name.

/// mimalloc, not glibc's malloc: the ingest allocates small strings and JSON values for every
/// log line and ledger, and glibc's allocator took a third of its CPU (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_events::<podcastflow_delivery_ingest::IngestApp>().await
}
