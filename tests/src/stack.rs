//! Starts the local stack in process on free ports in a temporary directory, for end-to-end
//! tests that drive it over HTTP like a client would.

use std::collections::HashMap;

use podcastflow_local::functions::HttpHandler;
use podcastflow_local::stack::{RunningStack, StackConfig, start};

/// A running local stack and an HTTP client for it.
pub struct TestStack {
    /// The stack.
    pub stack: RunningStack,
    /// Base URL of the REST API.
    pub api: String,
    /// A client without TLS, for loopback.
    pub http: reqwest::Client,
    dir: Option<tempfile::TempDir>,
}

impl TestStack {
    /// The whole stack as `cargo run -p podcastflow-local` runs it, in a fresh data dir.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary data dir");
        let mut s = Self::start_in(Self::config(dir.path())).await;
        s.dir = Some(dir);
        s
    }

    /// A stack with a template and extra functions of the test's own (gateway tests).
    pub async fn with_functions(template: &str, functions: HashMap<String, HttpHandler>) -> Self {
        let dir = tempfile::tempdir().expect("temporary data dir");
        let mut config = Self::config(dir.path());
        config.template = template.to_owned();
        config.functions.extend(functions);
        let mut s = Self::start_in(config).await;
        s.dir = Some(dir);
        s
    }

    /// A stack on a configuration of the test's own, in a fresh data dir it owns.
    pub async fn with_config(configure: impl FnOnce(&mut StackConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temporary data dir");
        let mut config = Self::config(dir.path());
        configure(&mut config);
        let mut s = Self::start_in(config).await;
        s.dir = Some(dir);
        s
    }

    /// The defaults of the test stacks: as `cargo run` has them, but without rate limits, since
    /// most suites send far more requests per principal than a person would (the rate limit
    /// tests turn them on).
    pub fn config(dir: &std::path::Path) -> StackConfig {
        let mut config = StackConfig::new(dir, 0);
        config.ops.rate_limits = podcastflow_platform::ratelimit::RateLimits::off();
        config
    }

    /// A stack on a given configuration (its data dir is the caller's).
    pub async fn start_in(mut config: StackConfig) -> Self {
        config.master_email.get_or_insert_with(|| Self::MASTER.0.to_owned());
        config.master_password.get_or_insert_with(|| Self::MASTER.1.to_owned());
        let stack = start(config).await.expect("the local stack starts");
        let api = stack.endpoints.api.clone();
        Self { stack, api, http: reqwest::Client::new(), dir: None }
    }

    /// The data dir this stack owns.
    pub fn stack_data_dir(&self) -> std::path::PathBuf {
        self.dir.as_ref().map(|d| d.path().to_owned()).unwrap_or_default()
    }

    /// The platform operator's credentials (tests start stacks with these).
    pub const MASTER: (&'static str, &'static str) = ("master@podcastflow.test", "the master's passphrase");

    /// The whole stack with the authorizer's cache shortened to `ttl_seconds` (revocation tests).
    pub async fn with_authorizer_ttl(ttl_seconds: u32) -> Self {
        Self::with_config(|c| {
            c.template = c.template.replace("ReauthorizeEvery: 60", &format!("ReauthorizeEvery: {ttl_seconds}"));
        })
        .await
    }

    /// A client of this stack's REST API.
    pub fn api(&self) -> crate::client::Api {
        crate::client::Api::new(&self.api)
    }

    /// A client signed in as the platform operator.
    pub async fn master(&self) -> crate::client::Api {
        self.api().signed_in(Self::MASTER.0, Self::MASTER.1, Self::MASTER.1).await
    }

    /// The URL of a path on the REST API.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// Stops the stack, returning its data dir (if it owns one) so a test can restart on it.
    pub async fn stop(self) -> Option<tempfile::TempDir> {
        self.stack.shutdown().await;
        self.dir
    }
}
