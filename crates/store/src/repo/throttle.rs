//! Failed sign-ins per subject (an account or a client IP) in a sliding window, so the `auth`
//! function can refuse further attempts with 429 and Retry-After. One platform item per subject
//! ([`platform::login_failures`]) holding the times of its latest failures, expiring by TTL.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use podcastflow_domain::keys::{EXPIRES_AT, Key, VERSION, platform};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RepoError;
use crate::condition::Condition;
use crate::item::{self, Item};
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

impl Failures {
    /// Seconds until another attempt is allowed, if the failures within the window used up `limit`.
    fn wait(&self, limit: Limit, now: i64) -> Option<i64> {
        let recent: Vec<i64> = self.at.iter().copied().filter(|t| *t > now - limit.window_seconds).collect();
        (recent.len() >= limit.max)
            .then(|| recent[recent.len() - limit.max] + limit.window_seconds - now)
            .map(|s| s.max(1))
    }
}

/// Where a sign-in stands before its password is checked ([`LoginThrottle::standing`]).
#[derive(Debug)]
pub struct Standing<T> {
    /// Seconds until another attempt is allowed, from the first subject that used up its limit.
    pub retry_after: Option<i64>,
    /// The subjects with failures on record, to clear after a success.
    pub with_failures: Vec<String>,
    /// The item asked for alongside, if it exists.
    pub also: Option<T>,
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
        Ok(self.read(subject).await?.wait(limit, now.timestamp()))
    }

    /// The failures of every subject and the item at `also`, in one batch read: all a sign-in
    /// needs to know before its password is checked.
    pub async fn standing<T: DeserializeOwned>(
        &self,
        subjects: &[(&str, Limit)],
        also: &Key,
        now: DateTime<Utc>,
    ) -> Result<Standing<T>, RepoError> {
        let keys: Vec<Key> = subjects.iter().map(|(s, _)| platform::login_failures(s)).chain([also.clone()]).collect();
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        for i in self.table.batch_get(&keys).await? {
            found.insert(item::key_of(&i)?, i);
        }
        let mut standing = Standing {
            retry_after: None,
            with_failures: Vec::new(),
            also: found.remove(also).map(item::from_item).transpose()?,
        };
        for ((subject, limit), key) in subjects.iter().zip(&keys) {
            let Some(i) = found.remove(key) else { continue };
            let f: Failures = item::from_item(i)?;
            if standing.retry_after.is_none() {
                standing.retry_after = f.wait(*limit, now.timestamp());
            }
            standing.with_failures.push((*subject).to_owned());
        }
        Ok(standing)
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

#[cfg(test)]
mod tests {
    use podcastflow_domain::keys::platform;
    use serde_json::{Value, json};

    use super::*;
    use crate::embedded::EmbeddedTable;

    const LIMIT: Limit = Limit { max: 3, window_seconds: 900 };

    #[tokio::test]
    async fn standing_reads_every_subject_and_the_other_item_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let table = EmbeddedTable::open(dir.path()).unwrap();
        let throttle = LoginThrottle::new(&table);
        let now = Utc::now();
        let claim = platform::email("ada@example.com");
        table
            .put(item::value_item(&claim, "emailClaim", &json!({"who": "ada"})).unwrap(), Condition::Always)
            .await
            .unwrap();
        for _ in 0..3 {
            throttle.record_failure("ip#1", LIMIT, now).await.unwrap();
        }
        throttle.record_failure("account#ada", LIMIT, now).await.unwrap();

        let s: Standing<Value> =
            throttle.standing(&[("account#ada", LIMIT), ("ip#1", LIMIT), ("ip#2", LIMIT)], &claim, now).await.unwrap();
        assert_eq!(s.also.unwrap()["who"], "ada");
        assert_eq!(s.with_failures, ["account#ada", "ip#1"]);
        // The account has one failure of three; the IP has used up its limit.
        assert_eq!(s.retry_after, Some(900));
        assert_eq!(s.retry_after, throttle.retry_after("ip#1", LIMIT, now).await.unwrap());

        throttle.clear("account#ada").await.unwrap();
        let missing = platform::email("nobody@example.com");
        let s: Standing<Value> = throttle.standing(&[("account#ada", LIMIT)], &missing, now).await.unwrap();
        assert!(s.also.is_none() && s.with_failures.is_empty() && s.retry_after.is_none(), "{s:?}");
    }
}
