//! Timeouts and retries of every outbound call (DynamoDB, S3, Cognito, `@connections`, SES),
//! sized for Lambda behind API Gateway: API Gateway gives up at 29 s, so a request's calls must
//! have failed cleanly well before that for the function to answer 503 itself.
//!
//! - [`RetryPolicy`]: attempts, a timeout per attempt, and exponential backoff with jitter. The
//!   store applies it itself (so the embedded adapter behaves as the DynamoDB one does); the
//!   push port uses it for `@connections`.
//! - [`sdk_config`]: the AWS SDK configuration every other client is built from: connect and
//!   per-attempt timeouts, an overall operation timeout, and the SDK's standard retry mode
//!   (exponential backoff with full jitter) within it.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts, per-attempt timeout and backoff of one kind of call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// How long one attempt may take before it counts as timed out.
    pub attempt_timeout: Duration,
    /// The wait before the first retry; doubled after each, up to `max_backoff`.
    pub first_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Table calls from a request: 3 attempts of at most 2 s, waits from 25 ms. The worst case
    /// (3 timeouts and two waits) is about 6.3 s, far inside the request deadline.
    pub const TABLE: RetryPolicy = RetryPolicy {
        attempts: 3,
        attempt_timeout: Duration::from_secs(2),
        first_backoff: Duration::from_millis(25),
        max_backoff: Duration::from_millis(250),
    };

    /// Posts to `@connections`: 4 attempts, waits from 25 ms (a fan-out's many posts spread out).
    pub const PUSH: RetryPolicy = RetryPolicy {
        attempts: 4,
        attempt_timeout: Duration::from_secs(3),
        first_backoff: Duration::from_millis(25),
        max_backoff: Duration::from_millis(400),
    };

    /// The wait before retry number `retry` (1 for the first retry), with jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let doubled = self.first_backoff.saturating_mul(1 << retry.saturating_sub(1).min(16));
        jittered(doubled.min(self.max_backoff))
    }

    /// The longest a call can take under this policy: every attempt timing out, every wait at
    /// its longest.
    pub fn worst_case(&self) -> Duration {
        let waits: Duration = (1..self.attempts)
            .map(|r| self.first_backoff.saturating_mul(1 << (r - 1).min(16)).min(self.max_backoff))
            .sum();
        self.attempt_timeout * self.attempts + waits
    }
}

/// Between half and all of `wait`, varying with the clock: enough spread that retries from many
/// callers do not arrive together, without a random number generator.
pub fn jittered(wait: Duration) -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    wait / 2 + wait.mul_f64(f64::from(nanos % 1000) / 2000.0)
}

/// Connect timeout of every SDK client.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// One SDK attempt's limit.
pub const SDK_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// An SDK operation's limit over all its attempts.
pub const SDK_OPERATION_TIMEOUT: Duration = Duration::from_secs(8);
/// Attempts of an SDK operation (standard retry mode: exponential backoff with full jitter, on
/// throttling, transient and timeout errors).
pub const SDK_ATTEMPTS: u32 = 3;

/// The SDK timeouts every client is built with.
pub fn sdk_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(SDK_ATTEMPT_TIMEOUT)
        .operation_timeout(SDK_OPERATION_TIMEOUT)
        .build()
}

/// The configuration loaded from the environment once per process: every client of a function
/// shares its region, credentials provider and HTTP client (loading it again per client costs
/// cold-start time: the environment, the provider chain, the TLS roots).
static LOADED: tokio::sync::OnceCell<SdkConfig> = tokio::sync::OnceCell::const_new();

/// The SDK configuration from the environment (region, credentials), with our timeouts and
/// retries. `sdk_attempts` is 1 for DynamoDB, whose retries the store makes itself.
pub async fn sdk_config_with(sdk_attempts: u32) -> SdkConfig {
    let loaded = LOADED
        .get_or_init(|| aws_config::defaults(BehaviorVersion::latest()).timeout_config(sdk_timeouts()).load())
        .await;
    loaded.to_builder().retry_config(RetryConfig::standard().with_max_attempts(sdk_attempts.max(1))).build()
}

/// The SDK configuration for S3, Cognito, `@connections` and SES: timeouts and standard retries.
pub async fn sdk_config() -> SdkConfig {
    sdk_config_with(SDK_ATTEMPTS).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_between_half_and_all_of_the_wait() {
        for _ in 0..100 {
            let j = jittered(Duration::from_millis(100));
            assert!(j >= Duration::from_millis(50) && j <= Duration::from_millis(100), "{j:?}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let p = RetryPolicy::TABLE;
        assert!(p.backoff(1) <= Duration::from_millis(25) && p.backoff(1) >= Duration::from_millis(12));
        assert!(p.backoff(2) <= Duration::from_millis(50) && p.backoff(2) >= Duration::from_millis(25));
        assert!(p.backoff(30) <= p.max_backoff);
    }

    #[test]
    fn every_policy_fails_well_before_api_gateways_29_seconds() {
        for p in [RetryPolicy::TABLE, RetryPolicy::PUSH] {
            assert!(p.worst_case() < Duration::from_secs(15), "{p:?}: {:?}", p.worst_case());
        }
        assert!(SDK_OPERATION_TIMEOUT < Duration::from_secs(15));
    }

    #[test]
    fn the_sdk_configuration_carries_the_timeouts_and_retries() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (one, standard) = rt.block_on(async { (sdk_config_with(1).await, sdk_config().await) });
        let t = one.timeout_config().expect("timeouts");
        assert_eq!(t.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(t.operation_timeout(), Some(SDK_OPERATION_TIMEOUT));
        assert_eq!(one.retry_config().map(|r| r.max_attempts()), Some(1));
        assert_eq!(standard.retry_config().map(|r| r.max_attempts()), Some(SDK_ATTEMPTS));
        assert_eq!(standard.timeout_config().and_then(|t| t.connect_timeout()), Some(CONNECT_TIMEOUT));
    }
}
