//! The backup-job Lambda: built once from the environment (`podcastflow_wiring`), then running the
//! backups and restores its stream records ask for.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_events::<podcastflow_backup_job::BackupJobApp>().await
}
