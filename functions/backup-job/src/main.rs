//! The backup-job Lambda: builds the table and the backups bucket once, then runs the backups and
//! restores its stream records ask for.

use podcastflow_backup_job::{BackupJobApp, handle};
use podcastflow_objects::Objects;
use podcastflow_platform::{AppContext, serve_events};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let objects = Objects::from_env("BACKUPS_BUCKET").await?;
    let app = BackupJobApp { ctx: AppContext::from_env().await?, objects };
    serve_events(app, |app, event| async move { handle(&app, event).await }).await
}
