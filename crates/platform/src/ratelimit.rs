//! Rate limiting in each function instance: token buckets per principal and route class, with
//! limits by role; per API key; per source IP on the routes that need no sign-in; and, on top,
//! one bucket per organization sized by its `settings.rateLimits` (which the authorizer passes
//! in its context). An allowed request costs no store call: the buckets live in the instance's
//! memory, so an organization's limit holds per instance.
//!
//! The global bound is API Gateway's (stage throttling, usage plans for API keys) and the WAF
//! rate rule, in template.yaml; these buckets make one principal's burst fail fast and fairly
//! inside one instance, before it reaches the table.
//!
//! Each answer carries the draft-ietf-httpapi-ratelimit-headers fields:
//! `RateLimit-Policy: "<policy>";q=<burst>;w=<seconds to refill>` and
//! `RateLimit: "<policy>";r=<tokens left>;t=<seconds until the bucket is full again>`. A refused
//! request gets 429 problem+json with `Retry-After`: the seconds until one token is back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use podcastflow_domain::{Principal, PrincipalKind, Role};
use serde::Deserialize;

/// A bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Requests allowed at once (the bucket's size).
    pub burst: u32,
    /// Requests allowed per second once the burst is spent.
    #[serde(rename = "perSecond")]
    pub per_second: f64,
}

impl Limit {
    const fn new(burst: u32, per_second: f64) -> Self {
        Self { burst, per_second }
    }

    /// Seconds an empty bucket takes to fill.
    pub fn window_secs(&self) -> u64 {
        (f64::from(self.burst) / self.per_second.max(f64::MIN_POSITIVE)).ceil() as u64
    }
}

/// The limits, by who asks and what. Deserialized from `RATE_LIMITS` (JSON, camelCase) where set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimits {
    /// Off: every request is allowed (the local stack's tests that send thousands on purpose).
    pub enabled: bool,
    /// Reads by master and admins.
    pub admin_read: Limit,
    /// Writes by master and admins.
    pub admin_write: Limit,
    /// Reads by sellers, producers and talent.
    pub member_read: Limit,
    /// Writes by sellers, producers and talent.
    pub member_write: Limit,
    /// Reads by client users.
    pub client_read: Limit,
    /// Writes by client users.
    pub client_write: Limit,
    /// Reads with an API key.
    pub api_key_read: Limit,
    /// Writes with an API key.
    pub api_key_write: Limit,
    /// Per source IP on routes without sign-in (login, refresh, password reset, health).
    pub public: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            enabled: true,
            admin_read: Limit::new(200, 50.0),
            admin_write: Limit::new(60, 10.0),
            member_read: Limit::new(100, 20.0),
            member_write: Limit::new(30, 5.0),
            client_read: Limit::new(60, 10.0),
            client_write: Limit::new(10, 2.0),
            api_key_read: Limit::new(100, 20.0),
            api_key_write: Limit::new(30, 5.0),
            public: Limit::new(20, 2.0),
        }
    }
}

impl RateLimits {
    /// No limits.
    pub fn off() -> Self {
        Self { enabled: false, ..Self::default() }
    }

    /// The policy name and limit for a principal (or none: the public routes) and a write or read.
    pub fn policy(&self, principal: Option<&Principal>, write: bool) -> (&'static str, Limit) {
        let Some(p) = principal else { return ("public", self.public) };
        let pick = |read: (&'static str, Limit), w: (&'static str, Limit)| if write { w } else { read };
        match (p.kind, p.role) {
            (PrincipalKind::ApiKey, _) => {
                pick(("api-key-read", self.api_key_read), ("api-key-write", self.api_key_write))
            }
            (_, Role::Master | Role::Admin) => pick(("admin-read", self.admin_read), ("admin-write", self.admin_write)),
            (_, Role::Client) => pick(("client-read", self.client_read), ("client-write", self.client_write)),
            _ => pick(("member-read", self.member_read), ("member-write", self.member_write)),
        }
    }
}

/// What the limiter decided about one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Whether it may go on.
    pub allowed: bool,
    /// The policy's name.
    pub policy: &'static str,
    /// Its limit.
    pub limit: Limit,
    /// Whole tokens left after this request.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// For a refused request: seconds until one token is back.
    pub retry_after: u64,
}

impl Decision {
    /// The `RateLimit-Policy` and `RateLimit` header values.
    pub fn headers(&self) -> [(&'static str, String); 2] {
        let p = self.policy;
        [
            ("ratelimit-policy", format!("\"{p}\";q={};w={}", self.limit.burst, self.limit.window_secs())),
            ("ratelimit", format!("\"{p}\";r={};t={}", self.remaining, self.reset_secs)),
        ]
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Most buckets kept before the full (idle) ones are dropped.
const MAX_BUCKETS: usize = 10_000;

/// The buckets of one function instance.
#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter with `limits`.
    pub fn new(limits: RateLimits) -> Self {
        Self { limits, buckets: Mutex::new(HashMap::new()) }
    }

    /// The limits it applies.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Takes a token for a request by `principal` (or from `source_ip` when none), or refuses it;
    /// then, when the principal's organization has a limit (`org`: burst and per second, from
    /// its settings), one from the organization's bucket, which every principal of it shares.
    /// `None` when limiting is off.
    pub fn check(
        &self,
        principal: Option<&Principal>,
        source_ip: &str,
        write: bool,
        org: Option<(u32, u32)>,
    ) -> Option<Decision> {
        if !self.limits.enabled {
            return None;
        }
        let (policy, limit) = self.limits.policy(principal, write);
        let key = match principal {
            Some(p) => format!("{}:{policy}", p.user_id),
            None => format!("{source_ip}:{policy}"),
        };
        let now = Instant::now();
        let own = self.take(key, policy, limit, now);
        match (principal, org) {
            (Some(p), Some((burst, per_second))) if own.allowed => {
                let limit = Limit::new(burst, f64::from(per_second));
                let shared = self.take(format!("org:{}", p.org_id), "organization", limit, now);
                // The tighter of the two is what the caller is told about.
                Some(if !shared.allowed || shared.remaining < own.remaining { shared } else { own })
            }
            _ => Some(own),
        }
    }

    fn take(&self, key: String, policy: &'static str, limit: Limit, now: Instant) -> Decision {
        let burst = f64::from(limit.burst);
        let rate = limit.per_second.max(f64::MIN_POSITIVE);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let b = buckets.entry(key).or_insert(Bucket { tokens: burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        b.at = now;
        let allowed = b.tokens >= 1.0;
        if allowed {
            b.tokens -= 1.0;
        }
        Decision {
            allowed,
            policy,
            limit,
            remaining: b.tokens.floor() as u32,
            reset_secs: ((burst - b.tokens) / rate).ceil() as u64,
            retry_after: if allowed { 0 } else { ((1.0 - b.tokens) / rate).ceil().max(1.0) as u64 },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use podcastflow_domain::{OrgId, UserId};

    use super::*;

    fn principal(role: Role) -> Principal {
        Principal { user_id: UserId::new(), org_id: OrgId::new(), role, client_id: None, kind: PrincipalKind::User }
    }

    #[test]
    fn a_burst_is_refused_past_its_size_and_recovers_at_the_rate() {
        let l = RateLimiter::new(RateLimits::default());
        let limit = Limit::new(3, 2.0);
        let t0 = Instant::now();
        let take = |at: Instant| l.take("k".into(), "p", limit, at);
        assert!((0..3).all(|_| take(t0).allowed));
        let refused = take(t0);
        assert!(!refused.allowed);
        assert_eq!((refused.remaining, refused.retry_after, refused.reset_secs), (0, 1, 2));
        assert!(take(t0 + Duration::from_millis(500)).allowed);
        assert!(!take(t0 + Duration::from_millis(500)).allowed);
        assert_eq!(take(t0 + Duration::from_secs(10)).remaining, 2);
    }

    #[test]
    fn limits_follow_the_role_and_the_method() {
        let l = RateLimits::default();
        assert_eq!(l.policy(Some(&principal(Role::Admin)), false).0, "admin-read");
        assert_eq!(l.policy(Some(&principal(Role::Seller)), true).0, "member-write");
        assert_eq!(l.policy(Some(&principal(Role::Client)), true).0, "client-write");
        let mut key = principal(Role::Admin);
        key.kind = PrincipalKind::ApiKey;
        assert_eq!(l.policy(Some(&key), false).0, "api-key-read");
        assert_eq!(l.policy(None, true).0, "public");
    }

    #[test]
    fn one_principal_spending_its_bucket_leaves_others_theirs() {
        let l = RateLimiter::new(RateLimits { member_write: Limit::new(2, 0.001), ..RateLimits::default() });
        let (a, b) = (principal(Role::Seller), principal(Role::Seller));
        assert!(l.check(Some(&a), "1.1.1.1", true, None).unwrap().allowed);
        assert!(l.check(Some(&a), "1.1.1.1", true, None).unwrap().allowed);
        assert!(!l.check(Some(&a), "1.1.1.1", true, None).unwrap().allowed);
        assert!(l.check(Some(&b), "1.1.1.1", true, None).unwrap().allowed);
        assert!(l.check(Some(&a), "1.1.1.1", false, None).unwrap().allowed, "reads have their own bucket");
        assert!(RateLimiter::new(RateLimits::off()).check(None, "1.1.1.1", true, None).is_none());
    }

    #[test]
    fn an_organization_s_limit_is_shared_by_its_principals_on_top_of_their_own() {
        let l = RateLimiter::new(RateLimits::default());
        let (a, b) = (principal(Role::Seller), principal(Role::Seller));
        let mut same_org = principal(Role::Admin);
        same_org.org_id = a.org_id;
        let mut colleague = b.clone();
        colleague.org_id = a.org_id;
        let org = Some((3, 1));
        assert!(l.check(Some(&a), "ip", false, org).unwrap().allowed);
        assert!(l.check(Some(&same_org), "ip", true, org).unwrap().allowed);
        let third = l.check(Some(&colleague), "ip", false, org).unwrap();
        assert!(third.allowed);
        assert_eq!((third.policy, third.remaining), ("organization", 0), "the tighter bucket is reported");
        let refused = l.check(Some(&colleague), "ip", false, org).unwrap();
        assert_eq!((refused.allowed, refused.policy), (false, "organization"));
        assert!(refused.retry_after >= 1);
        // Another organization, and a principal without one on its request, are unaffected.
        assert!(l.check(Some(&b), "ip", false, org).unwrap().allowed);
        assert!(l.check(Some(&a), "ip", true, None).unwrap().allowed);
    }

    #[test]
    fn headers_follow_the_draft() {
        let l = RateLimiter::new(RateLimits::default());
        let d = l.take("k".into(), "member-read", Limit::new(100, 20.0), Instant::now());
        assert_eq!(
            d.headers(),
            [
                ("ratelimit-policy", "\"member-read\";q=100;w=5".to_owned()),
                ("ratelimit", "\"member-read\";r=99;t=1".to_owned())
            ]
        );
    }

    #[test]
    fn limits_parse_from_json_with_defaults() {
        let l: RateLimits = serde_json::from_str(r#"{"public": {"burst": 5, "perSecond": 1}}"#).unwrap();
        assert_eq!(l.public, Limit::new(5, 1.0));
        assert_eq!(l.admin_read, RateLimits::default().admin_read);
        assert!(serde_json::from_str::<RateLimits>(r#"{"nope": 1}"#).is_err());
    }
}
