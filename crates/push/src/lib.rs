//! The push port: how the websocket and stream functions talk to connected clients. In AWS and
//! locally alike it is API Gateway's `@connections` management API ([`ApiGatewayPush`]), so the
//! local stack exercises the same code path as production.

pub mod apigateway;
#[cfg(any(test, feature = "testing"))]
pub mod recording;

use podcastflow_resilience::RetryPolicy;

use async_trait::async_trait;
use thiserror::Error;

pub use apigateway::ApiGatewayPush;
#[cfg(any(test, feature = "testing"))]
pub use recording::RecordingPush;

/// Why a post did not reach its connection.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PushError {
    /// The connection is closed (410): its items should go.
    #[error("the connection is gone")]
    Gone,
    /// The API asked us to slow down (429); retrying later may succeed.
    #[error("throttled by the connections API")]
    Throttled,
    /// The message is larger than the API accepts (413).
    #[error("the message is too large")]
    TooLarge,
    /// Anything else: an outage or a misconfiguration.
    #[error("posting failed: {0}")]
    Failed(String),
}

/// Sends to WebSocket connections.
#[async_trait]
pub trait Push: Send + Sync {
    /// Posts one message (UTF-8 JSON) to a connection.
    async fn post(&self, connection: &str, message: &[u8]) -> Result<(), PushError>;

    /// Closes a connection.
    async fn close(&self, connection: &str) -> Result<(), PushError>;

    /// Whether the endpoint answers (the deep health check): asks after a connection that does
    /// not exist, which a working endpoint answers with Gone.
    async fn probe(&self) -> Result<(), PushError>;
}

/// Attempts at one post when throttled, and the waits between them (doubled after each, with
/// jitter so a fan-out's retries do not arrive together).
pub const POLICY: RetryPolicy = RetryPolicy::PUSH;

/// Posts with retries on throttling (and on failures that may be transient); a closed connection
/// or an oversized message is reported at once.
pub async fn post_with_retry(push: &dyn Push, connection: &str, message: &[u8]) -> Result<(), PushError> {
    let mut attempt = 1;
    loop {
        let result = tokio::time::timeout(POLICY.attempt_timeout, push.post(connection, message))
            .await
            .unwrap_or_else(|_| Err(PushError::Failed("the post timed out".into())));
        match result {
            Err(e @ (PushError::Throttled | PushError::Failed(_))) if attempt < POLICY.attempts => {
                tracing::debug!(connection, attempt, error = %e, "post retried");
                tokio::time::sleep(POLICY.backoff(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Answers from a script, recording each attempt.
    struct Scripted(Mutex<Vec<Result<(), PushError>>>, Mutex<u32>);

    #[async_trait]
    impl Push for Scripted {
        async fn post(&self, _: &str, _: &[u8]) -> Result<(), PushError> {
            *self.1.lock().unwrap() += 1;
            self.0.lock().unwrap().remove(0)
        }
        async fn close(&self, _: &str) -> Result<(), PushError> {
            Ok(())
        }
        async fn probe(&self) -> Result<(), PushError> {
            Ok(())
        }
    }

    fn scripted(answers: Vec<Result<(), PushError>>) -> Scripted {
        Scripted(Mutex::new(answers), Mutex::new(0))
    }

    #[tokio::test]
    async fn throttling_is_retried_and_gone_is_not() {
        let p = scripted(vec![Err(PushError::Throttled), Err(PushError::Throttled), Ok(())]);
        assert_eq!(post_with_retry(&p, "c", b"{}").await, Ok(()));
        assert_eq!(*p.1.lock().unwrap(), 3);
        let p = scripted(vec![Err(PushError::Gone), Ok(())]);
        assert_eq!(post_with_retry(&p, "c", b"{}").await, Err(PushError::Gone));
        assert_eq!(*p.1.lock().unwrap(), 1);
        let p = scripted((0..POLICY.attempts).map(|_| Err(PushError::Throttled)).collect());
        assert_eq!(post_with_retry(&p, "c", b"{}").await, Err(PushError::Throttled));
        assert_eq!(*p.1.lock().unwrap(), POLICY.attempts);
    }
}
