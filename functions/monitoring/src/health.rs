//! The health of PodcastFlow's dependencies: each probed with one cheap call, in parallel, with
//! its latency. The table and identity are critical (nothing works without them): one of them
//! failing is `down`; a bucket or the connections endpoint failing is `degraded`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use podcastflow_domain::keys::Key;
use podcastflow_objects::Objects;
use podcastflow_store::Table;
use serde::Serialize;

/// How long a probe may take before it counts as failed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// One dependency to check.
#[async_trait]
pub trait Probe: Send + Sync {
    /// Its name in the answer (`table`, `backups-bucket`...).
    fn name(&self) -> &str;
    /// Whether PodcastFlow is down without it (rather than degraded).
    fn critical(&self) -> bool;
    /// One cheap call; the error says what failed.
    async fn check(&self) -> Result<(), String>;
}

/// The table: a strongly consistent read of a key no item has.
pub struct TableProbe(pub Arc<dyn Table>);

#[async_trait]
impl Probe for TableProbe {
    fn name(&self) -> &str {
        "table"
    }
    fn critical(&self) -> bool {
        true
    }
    async fn check(&self) -> Result<(), String> {
        self.0.get(&Key::new("PLATFORM#HEALTH", "PROBE")).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// A bucket: the size of an object that does not exist.
pub struct BucketProbe(pub &'static str, pub Objects);

#[async_trait]
impl Probe for BucketProbe {
    fn name(&self) -> &str {
        self.0
    }
    fn critical(&self) -> bool {
        false
    }
    async fn check(&self) -> Result<(), String> {
        self.1.size("health/probe").await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// The identity provider.
pub struct IdentityProbe(pub Arc<dyn podcastflow_identity::Identity>);

#[async_trait]
impl Probe for IdentityProbe {
    fn name(&self) -> &str {
        "identity"
    }
    fn critical(&self) -> bool {
        true
    }
    async fn check(&self) -> Result<(), String> {
        self.0.probe().await.map_err(|e| e.to_string())
    }
}

/// The WebSocket API's `@connections` endpoint.
pub struct ConnectionsProbe(pub Arc<dyn podcastflow_push::Push>);

#[async_trait]
impl Probe for ConnectionsProbe {
    fn name(&self) -> &str {
        "connections"
    }
    fn critical(&self) -> bool {
        false
    }
    async fn check(&self) -> Result<(), String> {
        self.0.probe().await.map_err(|e| e.to_string())
    }
}

/// Overall state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything answers.
    Healthy,
    /// Something not critical fails.
    Degraded,
    /// Something critical fails.
    Down,
}

/// One dependency's result.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    /// Its name.
    pub name: String,
    /// `healthy` or `down`.
    pub status: Status,
    /// How long the probe took.
    #[serde(rename = "latencyMs")]
    pub latency_ms: f64,
    /// What failed (operators only see this: the deep view is for admins and master).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

async fn run(p: &dyn Probe) -> Dependency {
    let started = Instant::now();
    let result = tokio::time::timeout(PROBE_TIMEOUT, p.check()).await.unwrap_or_else(|_| Err("timed out".into()));
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = if result.is_ok() { Status::Healthy } else { Status::Down };
    Dependency { name: p.name().to_owned(), status, latency_ms, error: result.err() }
}

/// Probes all at once; the overall status and each dependency's.
pub async fn check(probes: &[Arc<dyn Probe>]) -> (Status, Vec<Dependency>) {
    let deps: Vec<Dependency> = probe_all(probes).await;
    let failed =
        |critical: bool| probes.iter().zip(&deps).any(|(p, d)| p.critical() == critical && d.status == Status::Down);
    let status = if failed(true) {
        Status::Down
    } else if failed(false) {
        Status::Degraded
    } else {
        Status::Healthy
    };
    (status, deps)
}

async fn probe_all(probes: &[Arc<dyn Probe>]) -> Vec<Dependency> {
    let handles: Vec<_> = probes
        .iter()
        .map(|p| {
            let p = p.clone();
            tokio::spawn(async move { run(p.as_ref()).await })
        })
        .collect();
    let mut out = Vec::with_capacity(handles.len());
    for (h, p) in handles.into_iter().zip(probes) {
        out.push(h.await.unwrap_or_else(|e| Dependency {
            name: p.name().to_owned(),
            status: Status::Down,
            latency_ms: 0.0,
            error: Some(e.to_string()),
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(&'static str, bool, Result<(), String>);

    #[async_trait]
    impl Probe for Fake {
        fn name(&self) -> &str {
            self.0
        }
        fn critical(&self) -> bool {
            self.1
        }
        async fn check(&self) -> Result<(), String> {
            self.2.clone()
        }
    }

    fn probes(table: bool, bucket: bool) -> Vec<Arc<dyn Probe>> {
        let r = |ok: bool| if ok { Ok(()) } else { Err("failed".to_owned()) };
        vec![Arc::new(Fake("table", true, r(table))), Arc::new(Fake("media-bucket", false, r(bucket)))]
    }

    #[tokio::test]
    async fn critical_failures_are_down_and_others_degraded() {
        assert_eq!(check(&probes(true, true)).await.0, Status::Healthy);
        assert_eq!(check(&probes(true, false)).await.0, Status::Degraded);
        let (status, deps) = check(&probes(false, true)).await;
        assert_eq!(status, Status::Down);
        assert_eq!(deps[0].error.as_deref(), Some("failed"));
    }
}
