//! The monitoring Lambda: its probes, the authorizer's verifier and CloudWatch, built once.

use std::sync::Arc;

use podcastflow_authorization::Authorizer;
use podcastflow_identity::cognito::CognitoIdentity;
use podcastflow_identity::{HttpKeySource, TokenVerifier};
use podcastflow_monitoring::cloudwatch::CloudWatchSource;
use podcastflow_monitoring::health::{BucketProbe, ConnectionsProbe, IdentityProbe, TableProbe};
use podcastflow_monitoring::{MonitoringApp, handle};
use podcastflow_objects::Objects;
use podcastflow_platform::context::setting;
use podcastflow_platform::{AppContext, serve_http};
use podcastflow_push::ApiGatewayPush;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let ctx = AppContext::from_env().await?;
    let issuer = setting("TOKEN_ISSUER")?;
    let jwks = Arc::new(HttpKeySource::new(format!("{issuer}/.well-known/jwks.json")));
    let verifier = Arc::new(TokenVerifier::new(issuer, setting("TOKEN_CLIENT_ID")?, jwks));
    let app = MonitoringApp {
        authorizer: Authorizer {
            verifier,
            table: ctx.table.clone(),
            tenants: ctx.tenants.clone(),
            interactive_usage_key: None,
        },
        probes: vec![
            Arc::new(TableProbe(ctx.table.clone())),
            Arc::new(IdentityProbe(Arc::new(CognitoIdentity::from_env().await?))),
            Arc::new(BucketProbe("backups-bucket", Objects::from_env("BACKUPS_BUCKET").await?)),
            Arc::new(BucketProbe("media-bucket", Objects::from_env("MEDIA_BUCKET").await?)),
            Arc::new(ConnectionsProbe(Arc::new(ApiGatewayPush::from_env().await?))),
        ],
        metrics: Arc::new(CloudWatchSource::from_env().await?),
    };
    serve_http(ctx, app, |app, req| async move { handle(&app, req).await }).await
}
