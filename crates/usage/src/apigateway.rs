//! The adapter on API Gateway's control plane through aws-sdk-apigateway: `CreateApiKey` and
//! `CreateUsagePlanKey` to register, `GetApiKeys` by name and `DeleteApiKey` to remove.

use async_trait::async_trait;
use aws_sdk_apigateway::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::{UsageError, UsageKeys};

/// Environment variable with the id of the usage plan for API keys.
pub const PLAN_VAR: &str = "API_KEYS_USAGE_PLAN_ID";
/// Environment variable with the prefix of the keys' names (the stage's, so stages sharing an
/// account keep apart).
pub const PREFIX_VAR: &str = "USAGE_KEY_NAME_PREFIX";

/// Tag on every key this adapter creates, naming its plan: the users function's role may delete
/// only keys so tagged.
pub const PLAN_TAG: &str = "podcastflow-usage-plan";

/// Registers keys with one usage plan.
#[derive(Debug, Clone)]
pub struct ApiGatewayUsageKeys {
    client: aws_sdk_apigateway::Client,
    plan_id: String,
    name_prefix: String,
}

fn failed<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    e: SdkError<E, aws_sdk_apigateway::config::http::HttpResponse>,
) -> UsageError {
    match e.code() {
        Some("TooManyRequestsException" | "LimitExceededException" | "ThrottlingException") => UsageError::Throttled,
        _ => UsageError::Failed(DisplayErrorContext(e).to_string()),
    }
}

fn is_conflict<E: ProvideErrorMetadata>(e: &SdkError<E, aws_sdk_apigateway::config::http::HttpResponse>) -> bool {
    e.code() == Some("ConflictException")
}

impl ApiGatewayUsageKeys {
    /// An adapter on a client, for the plan `plan_id`, naming keys `<name_prefix><value>`.
    pub fn new(client: aws_sdk_apigateway::Client, plan_id: impl Into<String>, name_prefix: impl Into<String>) -> Self {
        Self { client, plan_id: plan_id.into(), name_prefix: name_prefix.into() }
    }

    /// In AWS: the shared SDK configuration (the function's role), [`PLAN_VAR`] and [`PREFIX_VAR`].
    pub async fn from_env() -> Result<Self, UsageError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| UsageError::Failed(format!("{name} is not set")))
        };
        let (plan, prefix) = (var(PLAN_VAR)?, var(PREFIX_VAR)?);
        let config = podcastflow_resilience::sdk_config().await;
        Ok(Self::new(aws_sdk_apigateway::Client::new(&config), plan, prefix))
    }

    /// The id of the key named for `value`, if there is one.
    async fn find(&self, value: &str) -> Result<Option<String>, UsageError> {
        let name = format!("{}{value}", self.name_prefix);
        let found = self.client.get_api_keys().name_query(&name).limit(10).send().await.map_err(failed)?;
        Ok(found.items().iter().find(|k| k.name() == Some(name.as_str())).and_then(|k| k.id()).map(str::to_owned))
    }
}

#[async_trait]
impl UsageKeys for ApiGatewayUsageKeys {
    async fn register(&self, value: &str, description: &str) -> Result<(), UsageError> {
        let created = self
            .client
            .create_api_key()
            .name(format!("{}{value}", self.name_prefix))
            .value(value)
            .description(description)
            .enabled(true)
            .tags(PLAN_TAG, &self.plan_id)
            .send()
            .await;
        let id = match created {
            Ok(key) => key.id().map(str::to_owned),
            // Registered before (a retried request): carry on with the key that exists.
            Err(e) if is_conflict(&e) => self.find(value).await?,
            Err(e) => return Err(failed(e)),
        };
        let id = id.ok_or_else(|| UsageError::Failed(format!("no id for the key of {value}")))?;
        let added = self
            .client
            .create_usage_plan_key()
            .usage_plan_id(&self.plan_id)
            .key_id(&id)
            .key_type("API_KEY")
            .send()
            .await;
        match added {
            Ok(_) => Ok(()),
            Err(e) if is_conflict(&e) => Ok(()),
            Err(e) => Err(failed(e)),
        }
    }

    async fn deregister(&self, value: &str) -> Result<(), UsageError> {
        let Some(id) = self.find(value).await? else { return Ok(()) };
        match self.client.delete_api_key().api_key(&id).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("NotFoundException") => Ok(()),
            Err(e) => Err(failed(e)),
        }
    }
}
