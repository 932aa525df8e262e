//! Creates the platform operator (master) of a deployed stack, once: the platform organization
//! and the master user in the table and the user pool, with a permanent password. Run by an
//! operator with the stack's outputs and their own AWS credentials (see the README, "Deploy");
//! a second run finds the e-mail taken and changes nothing.
//!
//!   TABLE_NAME=… USER_POOL_ID=… USER_POOL_CLIENT_ID=… PODCASTFLOW_MASTER_EMAIL=… \
//!     cargo run --release -p podcastflow-organizations --bin podcastflow-bootstrap-master

use std::process::ExitCode;

use podcastflow_identity::cognito::CognitoIdentity;
use podcastflow_identity::local::generate_password;
use podcastflow_identity::provisioning::ensure_master;
use podcastflow_identity::tokens::random_token;
use podcastflow_platform::context::setting;
use podcastflow_store::CursorCodec;
use podcastflow_store::dynamo::DynamoTable;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bootstrap-master: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<String, String> {
    let table = setting("TABLE_NAME").map_err(|e| e.to_string())?;
    let email = setting("PODCASTFLOW_MASTER_EMAIL").map_err(|e| e.to_string())?;
    let (password, generated) = match setting("PODCASTFLOW_MASTER_PASSWORD") {
        Ok(p) => (p, false),
        Err(_) => (generate_password().map_err(|e| e.to_string())?, true),
    };
    let identity = CognitoIdentity::from_env().await?;
    let config = podcastflow_resilience::sdk_config().await;
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), table);
    // No cursor is issued while creating; any key will do.
    let cursors = CursorCodec::new(random_token(32).map_err(|e| e.to_string())?);
    match ensure_master(&table, &cursors, &identity, &email, &password).await.map_err(|e| e.to_string())? {
        None => Ok(format!("{email} already exists; nothing changed")),
        Some(id) if generated => Ok(format!("master {email} created (user {id}); password, shown once: {password}")),
        Some(id) => Ok(format!("master {email} created (user {id}) with the given password")),
    }
}
