//! The backup schedule Lambda: the hourly EventBridge rule starts due scheduled backups and
//! deletes expired ones.

use podcastflow_backup_job::{BackupJobApp, handle_schedule};
use podcastflow_objects::Objects;
use podcastflow_platform::{AppContext, serve_events};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let objects = Objects::from_env("BACKUPS_BUCKET").await?;
    let app = BackupJobApp { ctx: AppContext::from_env().await?, objects };
    serve_events(app, |app, event| async move { handle_schedule(&app, event).await }).await
}
