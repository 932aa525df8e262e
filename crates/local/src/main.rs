//! `podcastflow-local`: runs PodcastFlow on this machine until Ctrl-C.

use std::path::PathBuf;

use clap::Parser;
use podcastflow_local::services::{MASTER_EMAIL_VAR, MASTER_PASSWORD_VAR};
use podcastflow_local::stack::{StackConfig, start};

/// What is logged without RUST_LOG: the gateway's line per request, and every warning.
const DEFAULT_LOG_FILTER: &str = "warn,gateway=info";

/// Runs the whole of PodcastFlow in one process on embedded stand-ins for AWS.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Where all state lives; it survives restarts.
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Port of the REST API on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// A template other than the bundled template.yaml.
    #[arg(long)]
    template: Option<PathBuf>,
    /// Also create a demonstration organization with one user per role (once).
    #[arg(long)]
    demo: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One line per request (the gateway's) and warnings by default; RUST_LOG=debug (or info) shows
    // the functions' and processors' detail.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_LOG_FILTER.into()),
        )
        .with_target(false)
        .compact()
        .init();
    let args = Args::parse();
    let mut config = StackConfig::new(&args.data_dir, args.port);
    config.master_email = std::env::var(MASTER_EMAIL_VAR).ok().filter(|v| !v.is_empty());
    config.master_password = std::env::var(MASTER_PASSWORD_VAR).ok().filter(|v| !v.is_empty());
    if let Some(path) = &args.template {
        config.template = std::fs::read_to_string(path)?;
    }
    config.demo = args.demo;
    let stack = start(config).await?;
    // The banner comes last, once everything it names exists, so it is what the terminal shows.
    if let Some(demo) = &stack.demo {
        match demo {
            Ok(created) if !created.is_empty() => {
                println!(
                    "Created the demo organization '{}'; password of every user: {}",
                    podcastflow_local::demo::SLUG,
                    podcastflow_local::demo::PASSWORD
                );
                for email in created {
                    println!("  {email}");
                }
            }
            Ok(_) => println!(
                "Demo organization '{}': users <role>@demo.podcastflow.local, password {}",
                podcastflow_local::demo::SLUG,
                podcastflow_local::demo::PASSWORD
            ),
            Err(e) => println!("The demo organization could not be created ({e}); the stack runs without it."),
        }
    }
    println!("PodcastFlow local stack is up (data in {}).", args.data_dir.display());
    println!("  api: {}", stack.endpoints.api);
    println!("  websocket: {} (management: {})", stack.endpoints.websocket, stack.endpoints.connections);
    println!(
        "  s3:  {} (credentials in {})",
        stack.endpoints.s3,
        args.data_dir.join(podcastflow_local::credentials::FILE).display()
    );
    println!("  mail: {}", stack.services.outbox.dir().display());
    println!("  docs: {}/docs", stack.endpoints.api);
    println!("  try: curl {}/monitoring/health", stack.endpoints.api);
    println!(
        "  sign in: curl -X POST {}/auth/login -H 'content-type: application/json' -d '{{\"email\":\"...\",\"password\":\"...\"}}'",
        stack.endpoints.api
    );
    if let Some((email, password)) = &stack.master_created {
        println!("Created the platform operator (master): {email} / {password}");
        println!("  (shown once; set {MASTER_EMAIL_VAR} and {MASTER_PASSWORD_VAR} to choose them)");
    }
    println!(
        "Endpoints written to {}. Ctrl-C stops. Logs: one line per request; RUST_LOG=debug for more.",
        args.data_dir.join(podcastflow_local::stack::ENDPOINTS_FILE).display()
    );
    tokio::signal::ctrl_c().await?;
    println!("Stopping...");
    stack.shutdown().await;
    Ok(())
}
