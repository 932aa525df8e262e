//! Failed sign-ins per subject (an account or a client IP) in a sliding window, so the `auth`
//! function can refuse further attempts with 429 and Retry-After. One platform item per subject
//! ([`platform::login_failures`]) holding the times of its latest failures, expiring by TTL.

use chrono::{DateTime, Utc};
use podcastflow_domain::keys::{EXPIRES_AT, VERSION, platform};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RepoError;
use crate::condition::Condition;
use crate::item;
use crate::table::{StoreError, Table};

/// At most `max` failures within `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Failures allowed in the window.
    pub max: usize,
    /// The window's length.
    pub window_seconds: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Failures {
    /// Epoch seconds of the latest failures, oldest first, at most `max`.
    at: Vec<i64>,
    #[serde(default)]
    version: u64,
}

/// Counts failed sign-ins.
pub struct LoginThrottle<'a> {
    table: &'a dyn Table,
}

impl<'a> LoginThrottle<'a> {
    /// A throttle on the whole table (its items are platform items).
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    async fn read(&self, subject: &str) -> Result<Failures, RepoError> {
        Ok(match self.table.get(&platform::login_failures(subject)).await? {
            Some(i) => item::from_item(i)?,
            None => Failures::default(),
        })
    }

    /// Seconds until `subject` may try again, if it has used up its failures.
    pub async fn retry_after(&self, subject: &str, limit: Limit, now: DateTime<Utc>) -> Result<Option<i64>, RepoError> {
        let f = self.read(subject).await?;
        let now = now.timestamp();
        let recent: Vec<i64> = f.at.into_iter().filter(|t| *t > now - limit.window_seconds).collect();
        Ok((recent.len() >= limit.max)
            .then(|| recent[recent.len() - limit.max] + limit.window_seconds - now)
            .map(|s| s.max(1)))
    }

    /// Records one failure of `subject`.
    pub async fn record_failure(&self, subject: &str, limit: Limit, now: DateTime<Utc>) -> Result<(), RepoError> {
        let key = platform::login_failures(subject);
        let now = now.timestamp();
        // Optimistic: a concurrent failure makes us re-read; a few rounds always suffice.
        for _ in 0..5 {
            let f = self.read(subject).await?;
            let mut at: Vec<i64> = f.at.into_iter().filter(|t| *t > now - limit.window_seconds).collect();
            at.push(now);
            let keep = at.len().saturating_sub(limit.max);
            at.drain(..keep);
            let mut it = item::value_item(&key, "loginFailures", &serde_json::json!({ "at": at }))?;
            it.insert(VERSION.into(), Value::from(f.version + 1));
            it.insert(EXPIRES_AT.into(), Value::from(now + limit.window_seconds));
            let condition = if f.version == 0 { Condition::NotExists } else { Condition::VersionIs(f.version) };
            match self.table.put(it, condition).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RepoError::Conflict("sign-in failures are being recorded concurrently"))
    }

    /// Forgets `subject`'s failures (after a successful sign-in).
    pub async fn clear(&self, subject: &str) -> Result<(), RepoError> {
        self.table.delete(&platform::login_failures(subject), Condition::Always).await?;
        Ok(())
    }
}
