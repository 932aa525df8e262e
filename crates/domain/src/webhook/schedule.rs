//! When a webhook delivery is tried again, and when a failing endpoint is disabled.
//!
//! A delivery is tried at once, then again after each failure (a timeout, a refused connection,
//! an answer other than 2xx) following [`RETRY_DELAYS`]: 1 minute, 5 minutes, 30 minutes, 2, 5, 8
//! and 8 hours, each stretched or shrunk by up to a tenth at random so that an endpoint's many
//! retries do not arrive together. Eight attempts in about 24 hours (23 h 36 min before
//! jitter); after the eighth the delivery is failed and can only be redelivered by hand. An
//! endpoint none of whose deliveries has succeeded for [`DISABLE_AFTER_DAYS`] days is disabled,
//! and the organization's admins are told.

use chrono::{DateTime, Duration, Utc};

/// The waits after the first to the seventh failed attempt.
pub const RETRY_DELAYS: [Duration; 7] = [
    Duration::minutes(1),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(8),
    Duration::hours(8),
];

/// Attempts of one delivery, the first included.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS.len() as u32 + 1;

/// The most a wait is stretched or shrunk, as a share of it.
pub const JITTER: f64 = 0.1;

/// Days an endpoint may fail every delivery before it is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 3;

/// When to try a delivery again after its `attempts`-th attempt failed at `failed_at`, or `None`
/// when that was the last. `jitter` is drawn by the caller, uniformly from `[-1, 1]` (clamped),
/// and moves the wait by up to [`JITTER`] of it.
pub fn next_attempt(attempts: u32, failed_at: DateTime<Utc>, jitter: f64) -> Option<DateTime<Utc>> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let wait = *RETRY_DELAYS.get(index)?;
    let share = jitter.clamp(-1.0, 1.0) * JITTER;
    let millis = wait.num_milliseconds() as f64 * (1.0 + share);
    Some(failed_at + Duration::milliseconds(millis.round() as i64))
}

/// Whether an endpoint whose deliveries have all failed since `failing_since` (none: the last
/// one succeeded) is to be disabled at `now`.
pub fn should_disable(failing_since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    failing_since.is_some_and(|since| now - since >= Duration::days(DISABLE_AFTER_DAYS))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).single().unwrap()
    }

    #[test]
    fn eight_attempts_in_about_a_day() {
        assert_eq!(MAX_ATTEMPTS, 8);
        let mut when = at(0, 0);
        let mut waits = Vec::new();
        for attempt in 1..MAX_ATTEMPTS {
            let next = next_attempt(attempt, when, 0.0).expect("another attempt");
            waits.push((next - when).num_minutes());
            when = next;
        }
        assert_eq!(waits, [1, 5, 30, 120, 300, 480, 480]);
        assert_eq!(when - at(0, 0), Duration::minutes(23 * 60 + 36));
        assert_eq!(next_attempt(MAX_ATTEMPTS, when, 0.0), None, "the eighth failure is the last");
        assert_eq!(next_attempt(0, when, 0.0), None, "no attempt made yet: nothing to schedule");
    }

    #[test]
    fn jitter_moves_a_wait_by_at_most_a_tenth() {
        let failed = at(9, 0);
        assert_eq!(next_attempt(4, failed, 1.0), Some(failed + Duration::minutes(132)));
        assert_eq!(next_attempt(4, failed, -1.0), Some(failed + Duration::minutes(108)));
        assert_eq!(next_attempt(4, failed, 0.5), Some(failed + Duration::minutes(126)));
        assert_eq!(next_attempt(4, failed, 7.0), next_attempt(4, failed, 1.0), "clamped");
        assert_eq!(next_attempt(4, failed, -7.0), next_attempt(4, failed, -1.0), "clamped");
        assert_eq!(next_attempt(1, failed, 1.0), Some(failed + Duration::seconds(66)));
    }

    #[test]
    fn an_endpoint_failing_for_three_days_is_disabled() {
        let since = at(10, 0);
        assert!(!should_disable(None, since + Duration::days(30)), "its last delivery succeeded");
        assert!(!should_disable(Some(since), since + Duration::days(3) - Duration::seconds(1)));
        assert!(should_disable(Some(since), since + Duration::days(3)));
        assert!(should_disable(Some(since), since + Duration::days(4)));
    }
}
