//! The backup schedule Lambda: the hourly EventBridge rule starts due scheduled backups and
//! deletes expired ones.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    podcastflow_wiring::run_events::<podcastflow_backup_job::BackupSchedule>().await
}
