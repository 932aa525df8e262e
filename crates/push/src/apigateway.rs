//! The adapter on API Gateway's management API (`POST/DELETE @connections/{id}`) through
//! aws-sdk-apigatewaymanagement; the local stack serves the same API, SigV4 and all.

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_apigatewaymanagement::primitives::Blob;

use crate::{Push, PushError};

/// Environment variable with the management endpoint, `https://<api>.execute-api.<region>.amazonaws.com/<stage>`.
pub const ENDPOINT_VAR: &str = "CONNECTIONS_ENDPOINT";

/// Posts through the `@connections` API.
#[derive(Debug, Clone)]
pub struct ApiGatewayPush {
    client: aws_sdk_apigatewaymanagement::Client,
}

impl ApiGatewayPush {
    /// An adapter on a client already pointed at the endpoint.
    pub fn new(client: aws_sdk_apigatewaymanagement::Client) -> Self {
        Self { client }
    }

    /// In AWS: the default configuration (the function's role) and [`ENDPOINT_VAR`]. Retries are
    /// ours ([`crate::post_with_retry`]), so the SDK makes one attempt.
    pub async fn from_env() -> Result<Self, PushError> {
        let endpoint = std::env::var(ENDPOINT_VAR)
            .ok()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| PushError::Failed(format!("{ENDPOINT_VAR} is not set")))?;
        let shared = podcastflow_resilience::sdk_config_with(1).await;
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&shared).endpoint_url(endpoint).build();
        Ok(Self::new(aws_sdk_apigatewaymanagement::Client::from_conf(config)))
    }

    /// With fixed credentials (the local stack's access key) at `endpoint`.
    pub fn with_static_key(endpoint: &str, region: &str, access_key_id: &str, secret: &str) -> Self {
        let creds = Credentials::new(access_key_id, secret, None, None, "podcastflow-local");
        let config = aws_sdk_apigatewaymanagement::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(endpoint)
            .credentials_provider(creds)
            .retry_config(aws_sdk_apigatewaymanagement::config::retry::RetryConfig::disabled())
            .build();
        Self::new(aws_sdk_apigatewaymanagement::Client::from_conf(config))
    }
}

/// What an SDK failure means to a sender.
fn classify<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    e: SdkError<E, aws_sdk_apigatewaymanagement::config::http::HttpResponse>,
) -> PushError {
    let status = e.raw_response().map(|r| r.status().as_u16());
    match (status, e.code()) {
        (Some(410), _) | (_, Some("GoneException")) => PushError::Gone,
        (Some(429), _) | (_, Some("LimitExceededException" | "ThrottlingException" | "TooManyRequestsException")) => {
            PushError::Throttled
        }
        (Some(413), _) | (_, Some("PayloadTooLargeException")) => PushError::TooLarge,
        _ => PushError::Failed(DisplayErrorContext(e).to_string()),
    }
}

#[async_trait]
impl Push for ApiGatewayPush {
    async fn post(&self, connection: &str, message: &[u8]) -> Result<(), PushError> {
        self.client
            .post_to_connection()
            .connection_id(connection)
            .data(Blob::new(message))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn probe(&self) -> Result<(), PushError> {
        match self.client.get_connection().connection_id("health-probe").send().await {
            Ok(_) => Ok(()),
            Err(e) => match classify(e) {
                PushError::Gone => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn close(&self, connection: &str) -> Result<(), PushError> {
        match self.client.delete_connection().connection_id(connection).send().await {
            Ok(_) => Ok(()),
            Err(e) => match classify(e) {
                PushError::Gone => Ok(()),
                other => Err(other),
            },
        }
    }
}
