//! Organizations (tenants).
//!
//! Keys and access patterns:
//! - the organization record: `ORG#<o>#ORG` / `PROFILE` (get by id: authorizer, settings);
//! - every organization (master's list, the scheduled jobs): the lookup GSI1
//!   [`crate::keys::lookup::ORGANIZATIONS`] / `ORG#<o>`, oldest first (ids sort by time);
//! - slug uniqueness: [`crate::keys::platform::slug`] (claimed in the same transaction).

use serde::{Deserialize, Serialize};

use crate::backup::BackupSchedule;
use crate::keys::{Entity, Index, Key, PROFILE, lookup, org_pk};
use crate::{Currency, OrgId, Stamp, ValidationErrors};

/// Whether an organization's users may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgStatus {
    /// Normal operation.
    Active,
    /// Every user of the organization is denied.
    Suspended,
}

/// Request rate limits applied to an organization's API traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimits {
    /// Sustained requests per second.
    pub requests_per_second: u32,
    /// Burst capacity.
    pub burst: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { requests_per_second: 50, burst: 100 }
    }
}

/// An organization's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgSettings {
    /// IANA time zone, e.g. `America/New_York`; schedules run in it.
    pub timezone: String,
    /// Default currency of money entered in the organization.
    pub currency: Currency,
    /// When scheduled backups run, if at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_schedule: Option<BackupSchedule>,
    /// API rate limits.
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// How long a hold lasts, in hours (1 to 336).
    #[serde(default = "default_hold_hours")]
    pub hold_hours: u32,
    /// Competitive separation: where competitors may not meet, and whether that refuses or warns.
    #[serde(default)]
    pub separation: crate::inventory::separation::Separation,
    /// How delivery is counted: the window and the organization's own bot user agents.
    #[serde(default)]
    pub delivery: crate::delivery::settings::DeliverySettings,
    /// When invoices are drafted and what their documents say of the organization.
    #[serde(default)]
    pub billing: BillingSettings,
}

/// The latest day of the month invoices may be drafted on (every month has it).
pub const MAX_INVOICE_DAY: u8 = 28;

/// An organization's billing settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingSettings {
    /// The day of the month (1 to 28, in the organization's time zone) the monthly job drafts
    /// the invoices of the month before.
    #[serde(default = "default_invoice_day")]
    pub invoice_day: u8,
    /// The postal address printed on invoices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

fn default_invoice_day() -> u8 {
    1
}

impl Default for BillingSettings {
    fn default() -> Self {
        Self { invoice_day: default_invoice_day(), address: None }
    }
}

fn default_hold_hours() -> u32 {
    crate::inventory::hold::DEFAULT_HOLD_HOURS
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            timezone: "UTC".into(),
            currency: Currency::USD,
            backup_schedule: None,
            rate_limits: RateLimits::default(),
            hold_hours: default_hold_hours(),
            separation: Default::default(),
            delivery: Default::default(),
            billing: Default::default(),
        }
    }
}

/// An organization: a network or sales house using PodcastFlow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// Its id (also the tenant id).
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// Unique URL-safe handle.
    pub slug: String,
    /// Active or suspended.
    pub status: OrgStatus,
    /// Commercial plan name.
    pub plan: String,
    /// Settings.
    pub settings: OrgSettings,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// Whether a slug has the allowed shape: `[a-z0-9-]`, 3..=48, no leading or trailing hyphen.
pub fn is_valid_slug(slug: &str) -> bool {
    (3..=48).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// The zone named `tz`, UTC when the name is unknown (an organization's or a user's setting).
pub fn zone_of(tz: &str) -> chrono_tz::Tz {
    tz.parse().unwrap_or(chrono_tz::UTC)
}

/// Whether a time zone name has the IANA shape (`UTC` or `Area/Location`).
pub fn is_plausible_timezone(tz: &str) -> bool {
    tz == "UTC"
        || (tz.contains('/')
            && tz.len() <= 64
            && tz
                .split('/')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))))
}

impl OrgSettings {
    /// The organization's time zone; an unknown name (the settings check only its shape) is UTC.
    pub fn zone(&self) -> chrono_tz::Tz {
        zone_of(&self.timezone)
    }

    /// The organization's calendar date at the instant `at`: what "today" means for its campaigns.
    pub fn today(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.zone()).date_naive()
    }

    /// Field errors of these settings, with `prefix` before each field name.
    pub fn check(&self, prefix: &str, v: &mut ValidationErrors) {
        if !is_plausible_timezone(&self.timezone) {
            v.add(format!("{prefix}timezone"), "invalid", "must be an IANA time zone such as Europe/Berlin");
        }
        if self.rate_limits.requests_per_second == 0 || self.rate_limits.burst < self.rate_limits.requests_per_second {
            v.add(
                format!("{prefix}rateLimits"),
                "invalid",
                "requestsPerSecond must be positive and burst at least as large",
            );
        }
        if let Some(s) = &self.backup_schedule {
            s.check(&format!("{prefix}backupSchedule."), v);
        }
        if !(1..=crate::inventory::hold::MAX_HOLD_HOURS).contains(&self.hold_hours) {
            let max = crate::inventory::hold::MAX_HOLD_HOURS;
            v.add(format!("{prefix}holdHours"), "out_of_range", format!("from 1 to {max} hours"));
        }
        self.delivery.check(&format!("{prefix}delivery."), v);
        if !(1..=MAX_INVOICE_DAY).contains(&self.billing.invoice_day) {
            v.add(format!("{prefix}billing.invoiceDay"), "out_of_range", "from 1 to 28");
        }
        v.opt_text(&format!("{prefix}billing.address"), self.billing.address.as_deref(), 500);
    }
}

impl Organization {
    /// Field errors, if any.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        v.text("name", &self.name, 120);
        if !is_valid_slug(&self.slug) {
            v.add("slug", "invalid", "3 to 48 of a-z, 0-9 and -, not starting or ending with -");
        }
        v.text("plan", &self.plan, 40);
        self.settings.check("settings.", &mut v);
        v.into_result()
    }

    /// The record's key.
    pub fn key_of(org: &OrgId) -> Key {
        Key::new(org_pk(org, "ORG"), PROFILE)
    }
}

impl Entity for Organization {
    const TYPE: &'static str = "organization";
    fn org_id(&self) -> &OrgId {
        &self.id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(lookup::INDEX, Key::new(lookup::ORGANIZATIONS, format!("ORG#{}", self.id)))]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organization() -> Organization {
        Organization {
            id: OrgId::new(),
            name: "Acme Audio".into(),
            slug: "acme-audio".into(),
            status: OrgStatus::Active,
            plan: "network".into(),
            settings: OrgSettings::default(),
            stamp: crate::Stamp::created(crate::UserId::new(), chrono::Utc::now()),
        }
    }

    #[test]
    fn an_organization_s_fields_and_settings_are_checked() {
        assert!(organization().validate().is_ok());
        let mut bad = organization();
        bad.name = " ".into();
        bad.slug = "-x".into();
        bad.settings.timezone = "Not a zone".into();
        bad.settings.rate_limits = RateLimits { requests_per_second: 0, burst: 10 };
        let errors = bad.validate().unwrap_err();
        for field in ["name", "slug", "settings.timezone", "settings.rateLimits"] {
            assert!(errors.has(field), "{field}");
        }
        let limits = |requests_per_second, burst| {
            let mut o = organization();
            o.settings.rate_limits = RateLimits { requests_per_second, burst };
            o.validate().err().is_some_and(|e| e.has("settings.rateLimits"))
        };
        assert!(!limits(5, 5), "a burst as large as the rate is fine");
        assert!(!limits(5, 6));
        assert!(limits(5, 4), "a burst below the rate is refused");
        assert!(limits(0, 0));
        let hours = |h| {
            let mut o = organization();
            o.settings.hold_hours = h;
            o.validate().err().is_some_and(|e| e.has("settings.holdHours"))
        };
        assert!(hours(0) && hours(337), "outside 1 to 336 hours");
        assert!(!hours(1) && !hours(48) && !hours(336));
        let invoice_day = |d| {
            let mut o = organization();
            o.settings.billing.invoice_day = d;
            o.validate().err().is_some_and(|e| e.has("settings.billing.invoiceDay"))
        };
        assert!(invoice_day(0) && invoice_day(29), "outside 1 to 28: every month has the day");
        assert!(!invoice_day(1) && !invoice_day(28));
        let mut long = organization();
        long.settings.billing.address = Some("x".repeat(501));
        assert!(long.validate().unwrap_err().has("settings.billing.address"));
        // Settings saved before holds existed read back with the defaults.
        let old: OrgSettings = serde_json::from_str(r#"{"timezone":"UTC","currency":"EUR"}"#).unwrap();
        assert_eq!((old.hold_hours, old.separation), (48, Default::default()));
        assert_eq!((old.billing.invoice_day, old.billing.address), (1, None));
        assert!(serde_json::from_str::<OrgSettings>(r#"{"timezone":"UTC","currency":"EUR","holdHours":-1}"#).is_err());
        let mut o = organization();
        o.stamp.version = 3;
        assert_eq!((Entity::version(&o), o.org_id() == &o.id), (3, true));
    }

    #[test]
    fn today_is_the_organization_s_calendar_date() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T03:30:00Z").unwrap().to_utc();
        let day = |tz: &str| OrgSettings { timezone: tz.into(), ..OrgSettings::default() }.today(at);
        assert_eq!(day("UTC").to_string(), "2026-12-01");
        assert_eq!(day("America/Los_Angeles").to_string(), "2026-11-30");
        assert_eq!(day("Asia/Tokyo").to_string(), "2026-12-01");
        assert_eq!(day("Pacific/Kiritimati").to_string(), "2026-12-01");
        assert_eq!(day("Nowhere/Special").to_string(), "2026-12-01", "unknown zones are UTC");
        let late = chrono::DateTime::parse_from_rfc3339("2026-12-01T22:00:00Z").unwrap().to_utc();
        assert_eq!(
            OrgSettings { timezone: "Asia/Tokyo".into(), ..OrgSettings::default() }.today(late).to_string(),
            "2026-12-02"
        );
    }

    #[test]
    fn slugs() {
        for ok in ["abc", "acme-media", "a1-b2", &"a".repeat(48)] {
            assert!(is_valid_slug(ok), "{ok}");
        }
        for bad in ["ab", "-abc", "abc-", "ABC", "a_b", "a b", &"a".repeat(49)] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn timezones() {
        assert!(is_plausible_timezone("UTC"));
        assert!(is_plausible_timezone("America/Argentina/Buenos_Aires"));
        assert!(!is_plausible_timezone("Nowhere"));
        assert!(!is_plausible_timezone("Europe/"));
        assert!(!is_plausible_timezone("Europe/Ber lin"));
    }
}
