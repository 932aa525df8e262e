//! The usage-plan port. API Gateway meters a request against a usage plan by the API key its
//! authorizer names (`usageIdentifierKey`, the API's `ApiKeySourceType: AUTHORIZER`): each
//! PodcastFlow API key is an API Gateway key whose value is the key's id, in the plan for API
//! keys; people share the interactive plan's key. Clients never send that value (the gateway
//! takes it only from the authorizer), so it identifies, it does not authenticate.
//!
//! [`ApiGatewayUsageKeys`] is the adapter in AWS; the local stack's gateway is its own stand-in,
//! enforcing the template's plans.

pub mod apigateway;
#[cfg(any(test, feature = "testing"))]
pub mod recording;

use async_trait::async_trait;
use thiserror::Error;

pub use apigateway::ApiGatewayUsageKeys;
#[cfg(any(test, feature = "testing"))]
pub use recording::RecordingUsageKeys;

/// Why a key could not be registered or removed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UsageError {
    /// API Gateway asked us to slow down; the caller may retry.
    #[error("throttled by API Gateway")]
    Throttled,
    /// Anything else: an outage or a misconfiguration.
    #[error("usage plan keys: {0}")]
    Failed(String),
}

/// Registers API keys with the usage plan that meters them.
#[async_trait]
pub trait UsageKeys: Send + Sync {
    /// Registers a key under `value` (at least 20 characters), enabled and in the plan. Doing it
    /// again for the same value is harmless.
    async fn register(&self, value: &str, description: &str) -> Result<(), UsageError>;

    /// Removes the key registered under `value`; an unknown value is not an error.
    async fn deregister(&self, value: &str) -> Result<(), UsageError>;
}
