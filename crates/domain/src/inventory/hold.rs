//! How long a hold lasts: the organization's `holdHours` (48 unless set), extended by as much at
//! most [`MAX_EXTENSIONS`] times, and never once it has expired (an expired hold is gone, even
//! before a sweep removed it: a new hold is the way back).

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

/// Hours a hold lasts unless the organization says otherwise.
pub const DEFAULT_HOLD_HOURS: u32 = 48;

/// The longest an organization may make a hold last (two weeks).
pub const MAX_HOLD_HOURS: u32 = 336;

/// How often a hold may be extended.
pub const MAX_EXTENSIONS: u8 = 2;

/// The owner is told this long before a hold expires.
pub const EXPIRY_NOTICE_HOURS: i64 = 24;

/// Why a hold cannot be extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ExtendError {
    /// It was extended as often as it may be.
    #[error("a hold is extended at most {MAX_EXTENSIONS} times")]
    TooManyExtensions,
    /// It has expired; its spots are free again.
    #[error("the hold has expired")]
    Expired,
}

/// When a hold made at `now` expires.
pub fn expiry(now: DateTime<Utc>, hold_hours: u32) -> DateTime<Utc> {
    now + Duration::hours(i64::from(hold_hours.clamp(1, MAX_HOLD_HOURS)))
}

/// The new expiry of a hold expiring at `expires_at`, extended `extensions` times so far,
/// extended at `now` by another `hold_hours` from its current expiry.
pub fn extend(
    expires_at: DateTime<Utc>,
    extensions: u8,
    hold_hours: u32,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ExtendError> {
    if expires_at <= now {
        return Err(ExtendError::Expired);
    }
    if extensions >= MAX_EXTENSIONS {
        return Err(ExtendError::TooManyExtensions);
    }
    Ok(expiry(expires_at, hold_hours))
}

/// Whether the owner of a hold expiring at `expires_at` is due the expiry notice at `now`.
pub fn notice_due(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < expires_at && expires_at - now <= Duration::hours(EXPIRY_NOTICE_HOURS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_lasts_the_organizations_hours_within_bounds() {
        let now = Utc::now();
        assert_eq!(expiry(now, DEFAULT_HOLD_HOURS), now + Duration::hours(48));
        assert_eq!(expiry(now, 0), now + Duration::hours(1));
        assert_eq!(expiry(now, 10_000), now + Duration::hours(i64::from(MAX_HOLD_HOURS)));
    }

    #[test]
    fn a_live_hold_extends_twice_from_its_expiry_and_an_expired_one_never() {
        let now = Utc::now();
        let first = expiry(now, 48);
        let second = extend(first, 0, 48, now).unwrap();
        assert_eq!(second, first + Duration::hours(48));
        let third = extend(second, 1, 48, now).unwrap();
        assert_eq!(extend(third, 2, 48, now), Err(ExtendError::TooManyExtensions));
        assert_eq!(extend(now, 0, 48, now), Err(ExtendError::Expired), "at its instant it is gone");
        assert_eq!(extend(now - Duration::seconds(1), 0, 48, now), Err(ExtendError::Expired));
    }

    #[test]
    fn the_notice_is_due_within_the_last_day_only() {
        let now = Utc::now();
        assert!(!notice_due(now + Duration::hours(25), now));
        assert!(notice_due(now + Duration::hours(24), now));
        assert!(notice_due(now + Duration::seconds(1), now));
        assert!(!notice_due(now, now), "expired: no notice");
    }
}
