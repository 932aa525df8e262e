//! API Gateway's usage plans, locally. A route with `ApiKeyRequired` is metered by the key the
//! authorizer names (`usageIdentifierKey`, the API's `ApiKeySourceType: AUTHORIZER`): a key
//! nobody registered, or none, is 403; past its plan's throttle (a token bucket per key) or
//! quota (requests per key and period) it is 429. The plans and the keys the template creates
//! come from template.yaml; the keys the users function registers for API keys (through
//! [`UsageKeys`], as aws-sdk-apigateway does in AWS) are kept in the data dir, so they outlive a
//! restart as they would in API Gateway.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use podcastflow_usage::{UsageError, UsageKeys};
use serde::{Deserialize, Serialize};

use crate::template::{QuotaPeriod, Template, UsagePlanDef};

/// Logical id of the key the authorizer names for people (signed in with a token).
pub const INTERACTIVE_KEY: &str = "InteractiveUsageKey";
/// Logical id of the plan API keys are registered in.
pub const API_KEYS_PLAN: &str = "ApiKeysUsagePlan";

/// Why the gateway refuses a metered request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No key, or one in no plan: API Gateway's 403.
    Forbidden,
    /// Past the plan's throttle: 429 "Too Many Requests".
    Throttled,
    /// Past the plan's quota for the period: 429 "Limit Exceeded".
    QuotaExceeded,
}

/// A key registered through [`UsageKeys`], as kept in the data dir.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Registered {
    description: String,
    plans: Vec<String>,
}

/// One key's standing in one plan.
struct Meter {
    tokens: f64,
    at: Instant,
    period: i64,
    used: u64,
}

/// The plans, the keys in them, and each key's meters.
pub struct UsagePlans {
    plans: HashMap<String, UsagePlanDef>,
    fixed: HashMap<String, Vec<String>>,
    fixed_ids: HashMap<String, String>,
    registered: Mutex<BTreeMap<String, Registered>>,
    file: Option<PathBuf>,
    meters: Mutex<HashMap<(String, String), Meter>>,
}

impl std::fmt::Debug for UsagePlans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsagePlans").field("plans", &self.plans.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

/// Which quota period `now` falls in.
fn period_of(period: QuotaPeriod, now: DateTime<Utc>) -> i64 {
    match period {
        QuotaPeriod::Day => now.num_days_from_ce().into(),
        QuotaPeriod::Week => (now.num_days_from_ce() - now.weekday().num_days_from_monday() as i32).into(),
        QuotaPeriod::Month => i64::from(now.year()) * 12 + i64::from(now.month0()),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl UsagePlans {
    /// The template's plans and keys, and the keys registered before in `file` (none if it does
    /// not exist yet).
    pub fn new(template: &Template, file: Option<PathBuf>) -> Result<Self, std::io::Error> {
        let registered = match &file {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
                Err(e) => return Err(e),
            },
            None => BTreeMap::new(),
        };
        Ok(Self {
            plans: template.usage_plans.iter().map(|p| (p.id.clone(), p.clone())).collect(),
            fixed: template
                .usage_keys
                .iter()
                .filter(|k| k.enabled)
                .map(|k| (k.value.clone(), k.plans.clone()))
                .collect(),
            fixed_ids: template
                .usage_keys
                .iter()
                .filter(|k| k.enabled)
                .map(|k| (k.id.clone(), k.value.clone()))
                .collect(),
            registered: Mutex::new(registered),
            file,
            meters: Mutex::default(),
        })
    }

    /// The value of the template's enabled key with this logical id.
    pub fn fixed_key(&self, logical_id: &str) -> Option<String> {
        self.fixed_ids.get(logical_id).cloned()
    }

    /// Whether the template has this plan.
    pub fn has_plan(&self, id: &str) -> bool {
        self.plans.contains_key(id)
    }

    /// Meters one request made with `key` at `now`.
    pub fn admit(&self, key: Option<&str>, now: DateTime<Utc>) -> Result<(), Refusal> {
        let key = key.ok_or(Refusal::Forbidden)?;
        let plans = match self.fixed.get(key) {
            Some(p) => p.clone(),
            None => lock(&self.registered).get(key).map(|r| r.plans.clone()).unwrap_or_default(),
        };
        let plans: Vec<&UsagePlanDef> = plans.iter().filter_map(|p| self.plans.get(p)).collect();
        if plans.is_empty() {
            return Err(Refusal::Forbidden);
        }
        let mut meters = lock(&self.meters);
        let started = Instant::now();
        for plan in plans {
            let meter = meters.entry((key.to_owned(), plan.id.clone())).or_insert_with(|| Meter {
                tokens: plan.throttle.map_or(0.0, |(burst, _)| f64::from(burst)),
                at: started,
                period: i64::MIN,
                used: 0,
            });
            if let Some((burst, rate)) = plan.throttle {
                let refilled = meter.tokens + started.duration_since(meter.at).as_secs_f64() * rate;
                meter.tokens = refilled.min(f64::from(burst));
                meter.at = started;
                if meter.tokens < 1.0 {
                    return Err(Refusal::Throttled);
                }
            }
            if let Some((limit, period)) = plan.quota {
                let current = period_of(period, now);
                if meter.period != current {
                    (meter.period, meter.used) = (current, 0);
                }
                if meter.used >= limit {
                    return Err(Refusal::QuotaExceeded);
                }
                meter.used += 1;
            }
            if plan.throttle.is_some() {
                meter.tokens -= 1.0;
            }
        }
        Ok(())
    }

    fn save(&self, registered: &BTreeMap<String, Registered>) -> Result<(), UsageError> {
        let Some(path) = &self.file else { return Ok(()) };
        let failed = |e: std::io::Error| UsageError::Failed(format!("{}: {e}", path.display()));
        let bytes = serde_json::to_vec_pretty(registered).map_err(|e| UsageError::Failed(e.to_string()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(failed)?;
        std::fs::rename(&tmp, path).map_err(failed)
    }
}

/// The users function's view of the local plans: keys are registered in [`API_KEYS_PLAN`].
#[derive(Debug, Clone)]
pub struct LocalUsageKeys(pub std::sync::Arc<UsagePlans>);

#[async_trait]
impl UsageKeys for LocalUsageKeys {
    async fn register(&self, value: &str, description: &str) -> Result<(), UsageError> {
        if value.len() < 20 {
            // As API Gateway: a key's value has at least 20 characters.
            return Err(UsageError::Failed(format!("key value too short: {} characters", value.len())));
        }
        if !self.0.has_plan(API_KEYS_PLAN) {
            return Err(UsageError::Failed(format!("template.yaml has no usage plan {API_KEYS_PLAN}")));
        }
        let mut registered = lock(&self.0.registered);
        let entry = Registered { description: description.to_owned(), plans: vec![API_KEYS_PLAN.to_owned()] };
        registered.insert(value.to_owned(), entry);
        self.0.save(&registered)
    }

    async fn deregister(&self, value: &str) -> Result<(), UsageError> {
        let mut registered = lock(&self.0.registered);
        if registered.remove(value).is_some() {
            self.0.save(&registered)?;
        }
        lock(&self.0.meters).retain(|(k, _), _| k != value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::UsageKeyDef;
    use std::sync::Arc;

    fn template() -> Template {
        Template {
            usage_plans: vec![
                UsagePlanDef {
                    id: API_KEYS_PLAN.into(),
                    throttle: Some((3, 10.0)),
                    quota: Some((5, QuotaPeriod::Day)),
                },
                UsagePlanDef { id: "Interactive".into(), throttle: None, quota: None },
            ],
            usage_keys: vec![
                UsageKeyDef {
                    id: INTERACTIVE_KEY.into(),
                    value: "people".into(),
                    enabled: true,
                    plans: vec!["Interactive".into()],
                },
                UsageKeyDef {
                    id: "Off".into(),
                    value: "off".into(),
                    enabled: false,
                    plans: vec!["Interactive".into()],
                },
            ],
            ..Template::default()
        }
    }

    #[tokio::test]
    async fn unknown_missing_and_disabled_keys_are_forbidden() {
        let plans = UsagePlans::new(&template(), None).unwrap();
        let now = Utc::now();
        assert_eq!(plans.admit(None, now), Err(Refusal::Forbidden));
        assert_eq!(plans.admit(Some("nobody-registered-this-key"), now), Err(Refusal::Forbidden));
        assert_eq!(plans.admit(Some("off"), now), Err(Refusal::Forbidden));
        for _ in 0..100 {
            assert_eq!(plans.admit(Some("people"), now), Ok(()));
        }
    }

    #[tokio::test]
    async fn a_registered_key_is_throttled_then_held_to_its_quota_until_the_next_period() {
        let dir = tempfile::tempdir().unwrap();
        let plans = Arc::new(UsagePlans::new(&template(), Some(dir.path().join("keys.json"))).unwrap());
        let keys = LocalUsageKeys(plans.clone());
        let key = "01JZ0000000000000000000000";
        assert!(keys.register("short", "x").await.is_err());
        keys.register(key, "org/key").await.unwrap();
        let now = Utc::now();
        // Burst 3, then refused until a token comes back.
        for _ in 0..3 {
            assert_eq!(plans.admit(Some(key), now), Ok(()));
        }
        assert_eq!(plans.admit(Some(key), now), Err(Refusal::Throttled));
        std::thread::sleep(std::time::Duration::from_millis(150));
        assert_eq!(plans.admit(Some(key), now), Ok(()));
        std::thread::sleep(std::time::Duration::from_millis(150));
        assert_eq!(plans.admit(Some(key), now), Ok(()));
        // Five a day: the sixth waits for tomorrow.
        std::thread::sleep(std::time::Duration::from_millis(150));
        assert_eq!(plans.admit(Some(key), now), Err(Refusal::QuotaExceeded));
        assert_eq!(plans.admit(Some(key), now + chrono::Duration::days(1)), Ok(()));

        // Registered keys outlive a restart; a removed key is forbidden at once.
        let again = UsagePlans::new(&template(), Some(dir.path().join("keys.json"))).unwrap();
        assert_eq!(again.admit(Some(key), now), Ok(()));
        keys.deregister(key).await.unwrap();
        keys.deregister(key).await.unwrap();
        assert_eq!(plans.admit(Some(key), now + chrono::Duration::days(2)), Err(Refusal::Forbidden));
    }

    #[test]
    fn quota_periods_start_on_the_day_the_monday_and_the_first() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let (mon, sun, next_mon) = (at("2026-11-16T00:00:00Z"), at("2026-11-22T23:59:59Z"), at("2026-11-23T00:00:00Z"));
        assert_eq!(period_of(QuotaPeriod::Week, mon), period_of(QuotaPeriod::Week, sun));
        assert_ne!(period_of(QuotaPeriod::Week, sun), period_of(QuotaPeriod::Week, next_mon));
        assert_ne!(period_of(QuotaPeriod::Day, sun), period_of(QuotaPeriod::Day, next_mon));
        assert_eq!(period_of(QuotaPeriod::Month, mon), period_of(QuotaPeriod::Month, next_mon));
        assert_ne!(period_of(QuotaPeriod::Month, next_mon), period_of(QuotaPeriod::Month, at("2026-12-01T00:00:00Z")));
    }
}
