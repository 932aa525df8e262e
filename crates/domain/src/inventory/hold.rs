//! How long a hold lasts: the organization's `holdHours` (48 unless set), extended by as much at
//! most [`MAX_EXTENSIONS`] times, and never once it has expired (an expired hold is gone, even
//! before a sweep removed it: a new hold is the way back).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::spot::{SpotPrice, SpotRef};
use crate::keys::{Entity, Index, Key, org_pk};
use crate::{CampaignId, ClientId, HoldId, OrgId, ShowId, Stamp};

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

/// When a hold made at `now` expires: in whole seconds, as the store keeps it.
pub fn expiry(now: DateTime<Utc>, hold_hours: u32) -> DateTime<Utc> {
    let at = now + Duration::hours(i64::from(hold_hours.clamp(1, MAX_HOLD_HOURS)));
    DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at)
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

/// Whether the owner of `hold` is due its expiry notice at `now`: live, expiring within
/// [`EXPIRY_NOTICE_HOURS`], and not yet told of this expiry.
pub fn notice_pending(hold: &Hold, now: DateTime<Utc>) -> bool {
    hold.status == HoldStatus::Active
        && notice_due(hold.expires_at, now)
        && hold.expiry_notice_for != Some(hold.expires_at)
}

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// Being written (a commit larger than one transaction); its spots are held meanwhile.
    Pending,
    /// Holding its spots until `expiresAt` (after which it holds nothing, whatever it says).
    Active,
    /// Given back.
    Released,
    /// Turned into an order's bookings.
    Booked,
    /// A commit that lost a race: nothing of it holds anything.
    Failed,
}

/// The competitive category a hold claimed in every scope of its spots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeldCategory {
    /// Where competitors may not meet.
    pub scope: super::separation::SeparationScope,
    /// The advertiser's category.
    pub category: String,
}

/// One spot of a hold, with what it was held at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeldSpot {
    /// The spot.
    #[serde(flatten)]
    pub spot: SpotRef,
    /// The episode's show.
    pub show_id: ShowId,
    /// The episode's air date.
    pub air_date: NaiveDate,
    /// The price copied from the rate card (or the campaign's override) when held.
    pub price: SpotPrice,
}

/// What one commit reserved for a campaign.
///
/// Key: `ORG#<o>#CAMPAIGN#<c>` / `HOLD#<h>` (in the campaign's collection: its holds with it).
/// Access patterns: a campaign's holds (Query the campaign's partition, `HOLD#`); active holds
/// by expiry for the expiry notices: GSI1 `ORG#<o>#HOLDS#ACTIVE` / `<expiresAt>#<h>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    /// Its id.
    pub id: HoldId,
    /// Its organization.
    pub org_id: OrgId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The campaign's advertiser.
    pub advertiser_id: ClientId,
    /// Its spots.
    pub spots: Vec<HeldSpot>,
    /// When it stops holding them.
    pub expires_at: DateTime<Utc>,
    /// How often it was extended.
    #[serde(default)]
    pub extensions: u8,
    /// Where it stands.
    pub status: HoldStatus,
    /// An admin's reason for holding beside a competitor, if one was overridden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// The competitive category it claimed, and where (none: it keeps no separation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separation: Option<HeldCategory>,
    /// The expiry its owner was last told of (the daily job marks it; the change stream sends the
    /// notice once per expiry, so an extended hold is noticed again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_notice_for: Option<DateTime<Utc>>,
    /// The booked line it replaces, when it is a makegood's replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub makegood_for: Option<MakegoodOf>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// The line a makegood's replacement hold stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MakegoodOf {
    /// The order.
    pub order_id: crate::OrderId,
    /// Its line.
    pub line: u32,
    /// The host read that did not air as sold.
    pub ad_read_id: crate::AdReadId,
}

impl Hold {
    /// The record's key.
    pub fn key_of(org: &OrgId, campaign: &CampaignId, id: &HoldId) -> Key {
        Key::new(Self::collection_pk(org, campaign), format!("HOLD#{id}"))
    }

    /// The partition of a campaign's collection, where its holds are kept.
    pub fn collection_pk(org: &OrgId, campaign: &CampaignId) -> String {
        org_pk(org, format!("CAMPAIGN#{campaign}"))
    }

    /// GSI1 partition of the organization's active holds by expiry.
    pub fn active_pk(org: &OrgId) -> String {
        org_pk(org, "HOLDS#ACTIVE")
    }

    /// Whether it holds its spots at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status, HoldStatus::Active | HoldStatus::Pending) && self.expires_at > now
    }
}

impl Entity for Hold {
    const TYPE: &'static str = "hold";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.campaign_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        match self.status {
            HoldStatus::Active => vec![(
                Index::Gsi1,
                Key::new(
                    Self::active_pk(&self.org_id),
                    format!("{}#{}", self.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), self.id),
                ),
            )],
            _ => Vec::new(),
        }
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An active hold of no spots made at `now`, expiring at `until`.
    fn active(until: DateTime<Utc>, now: DateTime<Utc>) -> Hold {
        Hold {
            id: HoldId::new(),
            org_id: OrgId::new(),
            campaign_id: CampaignId::new(),
            advertiser_id: ClientId::new(),
            spots: Vec::new(),
            expires_at: until,
            extensions: 0,
            status: HoldStatus::Active,
            override_reason: None,
            separation: None,
            expiry_notice_for: None,
            makegood_for: None,
            stamp: Stamp::created(crate::UserId::new(), now),
        }
    }

    #[test]
    fn a_hold_lasts_the_organizations_hours_within_bounds() {
        let now = DateTime::from_timestamp(1_800_000_000, 999_000_000).unwrap();
        let whole = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(expiry(now, DEFAULT_HOLD_HOURS), whole + Duration::hours(48), "whole seconds");
        assert_eq!(expiry(now, 0), whole + Duration::hours(1));
        assert_eq!(expiry(now, 10_000), whole + Duration::hours(i64::from(MAX_HOLD_HOURS)));
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
    fn only_an_active_or_pending_unexpired_hold_is_live_and_only_an_active_one_is_listed() {
        let now = Utc::now();
        let mut h = active(now + Duration::hours(1), now);
        assert!(h.is_live(now) && !h.is_live(h.expires_at));
        assert_eq!(h.index_keys()[0].1.pk, format!("ORG#{}#HOLDS#ACTIVE", h.org_id));
        assert_eq!(h.key(), Key::new(format!("ORG#{}#CAMPAIGN#{}", h.org_id, h.campaign_id), format!("HOLD#{}", h.id)));
        assert_eq!((Entity::org_id(&h), h.version()), (&h.org_id, 1));
        h.stamp.version = 4;
        assert_eq!(h.version(), 4);
        for (status, live) in [
            (HoldStatus::Pending, true),
            (HoldStatus::Released, false),
            (HoldStatus::Booked, false),
            (HoldStatus::Failed, false),
        ] {
            h.status = status;
            assert_eq!(h.is_live(now), live, "{status:?}");
            assert!(h.index_keys().is_empty(), "{status:?} is not in the active list");
        }
    }

    #[test]
    fn a_notice_is_pending_once_per_expiry_of_an_active_hold() {
        let now = Utc::now();
        let mut h = active(now + Duration::hours(3), now);
        assert!(notice_pending(&h, now));
        h.expiry_notice_for = Some(h.expires_at);
        assert!(!notice_pending(&h, now), "told already");
        h.expires_at += Duration::hours(10);
        assert!(notice_pending(&h, now), "extended: told again of the new expiry");
        h.status = HoldStatus::Released;
        assert!(!notice_pending(&h, now));
        h.status = HoldStatus::Active;
        h.expires_at = now + Duration::hours(30);
        assert!(!notice_pending(&h, now), "not within the day");
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
