//! An organization's webhook endpoints: where its events are delivered, which ones, and the
//! secret they are signed with.
//!
//! Keys and access patterns:
//! - the endpoint: `ORG#<o>#WEBHOOK#<w>` / `PROFILE` (read, update, delete);
//! - the organization's endpoints, oldest first (at most [`MAX_ENDPOINTS`], so one query lists
//!   them all, and the stream processor reads them to match an event): GSI1
//!   `ORG#<o>#WEBHOOKS` / `<w>`.
//!
//! The signing secret is stored with the endpoint (the dispatcher signs with it) and shown to
//! an admin only when it is made: at creation and at each rotation. A rotation keeps the old
//! secret signing beside the new one for [`ROTATION_OVERLAP_HOURS`] hours, so a receiver can
//! switch without losing a delivery.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::webhook::destination::{DestinationRules, check_url};
use crate::webhook::event::is_event_type;
use crate::webhook::schedule::should_disable;
use crate::webhook::signature::{SecretError, SigningSecret};
use crate::{OrgId, Stamp, ValidationErrors, WebhookId};

/// Endpoints per organization, at most.
pub const MAX_ENDPOINTS: usize = 20;

/// Hours a rotated secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// Longest description.
pub const MAX_DESCRIPTION: usize = 500;

/// A signing secret as stored (`whsec_...`): never printed by `Debug`, so an endpoint logged
/// whole does not leak it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredSecret(pub String);

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredSecret(..)")
    }
}

/// The API's name for a subscription to every type.
pub const ALL_EVENTS: &str = "*";

impl Subscription {
    /// The subscription the API's `events` names: absent or `["*"]` for every type.
    pub fn of_events(events: Option<Vec<String>>) -> Subscription {
        match events {
            None => Subscription::All,
            Some(types) if types.len() == 1 && types[0] == ALL_EVENTS => Subscription::All,
            Some(types) => Subscription::Types(types),
        }
    }
}

/// Which events an endpoint receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "types")]
pub enum Subscription {
    /// Every type, those added later included.
    All,
    /// These types.
    Types(Vec<String>),
}

/// An organization's webhook endpoint, as stored (its secrets included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: WebhookId,
    /// Its organization.
    pub org_id: OrgId,
    /// Where deliveries are posted.
    pub url: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// The events it receives.
    pub subscription: Subscription,
    /// Whether deliveries are made (an admin's switch, or turned off after failing for days).
    pub enabled: bool,
    /// Why it was turned off by the platform, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Since when every delivery failed (none: the last one succeeded, or none was made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// The signing secret.
    pub secret: StoredSecret,
    /// The secret before the last rotation, and until when it still signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<(StoredSecret, DateTime<Utc>)>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl WebhookEndpoint {
    /// Field errors of what an admin sent, under `rules` (HTTPS only in AWS).
    pub fn validate(&self, rules: DestinationRules) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        if let Err(why) = check_url(&self.url, rules) {
            v.add("url", "invalid_destination", why.to_string());
        }
        if self.description.chars().count() > MAX_DESCRIPTION {
            v.add("description", "too_long", format!("must be at most {MAX_DESCRIPTION} characters"));
        }
        if let Subscription::Types(types) = &self.subscription {
            if types.is_empty() {
                v.add("events", "required", "name at least one event type, or subscribe to all");
            }
            if let Some(unknown) = types.iter().find(|t| !is_event_type(t)) {
                v.add("events", "unknown_event_type", format!("{unknown} is not an event type"));
            }
        }
        v.into_result()
    }

    /// Whether it receives events of `event_type` (a `ping` always, when asked for).
    pub fn receives(&self, event_type: &str) -> bool {
        self.enabled && self.subscribes(event_type)
    }

    /// Whether it subscribes to `event_type`, turned on or not (a `ping` always).
    pub fn subscribes(&self, event_type: &str) -> bool {
        event_type == "ping"
            || match &self.subscription {
                Subscription::All => true,
                Subscription::Types(types) => types.iter().any(|t| t == event_type),
            }
    }

    /// The secrets a delivery at `now` is signed with: the current one, and the previous one
    /// while its overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Result<Vec<SigningSecret>, SecretError> {
        let mut out = vec![SigningSecret::parse(&self.secret.0)?];
        if let Some((old, until)) = &self.previous_secret
            && now < *until
        {
            out.push(SigningSecret::parse(&old.0)?);
        }
        Ok(out)
    }

    /// Replaces the secret with `new` at `now`; the old one signs beside it for
    /// [`ROTATION_OVERLAP_HOURS`] hours.
    pub fn rotate(&mut self, new: &SigningSecret, now: DateTime<Utc>) {
        let old = std::mem::replace(&mut self.secret, StoredSecret(new.shown()));
        self.previous_secret = Some((old, now + Duration::hours(ROTATION_OVERLAP_HOURS)));
    }

    /// Records a delivery's outcome at `now`: a success clears the failing streak; a failure
    /// starts one if none is running. `true` when the endpoint has failed long enough to be
    /// disabled now, which this does.
    pub fn delivered(&mut self, succeeded: bool, now: DateTime<Utc>) -> bool {
        if succeeded {
            self.failing_since = None;
            return false;
        }
        let since = *self.failing_since.get_or_insert(now);
        if self.enabled && should_disable(Some(since), now) {
            self.enabled = false;
            self.disabled_reason = Some(format!("every delivery failed since {}", since.to_rfc3339()));
            return true;
        }
        false
    }

    /// The subscription as the API names it: the types, or `["*"]` for every type.
    pub fn events(&self) -> Vec<String> {
        match &self.subscription {
            Subscription::All => vec![ALL_EVENTS.to_owned()],
            Subscription::Types(types) => types.clone(),
        }
    }

    /// What the API shows of it (to admins, its only readers): everything but the secrets; while
    /// a rotation's overlap lasts, until when the old secret signs.
    pub fn view(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(fields) = v.as_object_mut() {
            fields.remove("secret");
            fields.remove("previousSecret");
            fields.remove("subscription");
            fields.insert("events".into(), serde_json::json!(self.events()));
            if let Some((_, until)) = &self.previous_secret {
                fields.insert("previousSecretExpiresAt".into(), serde_json::json!(until));
            }
        }
        v
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &WebhookId) -> Key {
        Key::new(org_pk(org, format!("WEBHOOK#{id}")), PROFILE)
    }

    /// GSI1 partition listing the organization's endpoints.
    pub fn list_pk(org: &OrgId) -> String {
        org_pk(org, "WEBHOOKS")
    }

    /// The counter of the organization's endpoints (`count`), moved in the transaction that makes
    /// or deletes one, so [`MAX_ENDPOINTS`] holds under concurrent creations.
    pub fn count_key(org: &OrgId) -> Key {
        Key::new(org_pk(org, "COUNTER"), "WEBHOOKS")
    }
}

impl Entity for WebhookEndpoint {
    const TYPE: &'static str = "webhookEndpoint";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(Index::Gsi1, Key::new(Self::list_pk(&self.org_id), self.id.to_string()))]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::UserId;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).single().unwrap()
    }

    fn endpoint(subscription: Subscription) -> WebhookEndpoint {
        WebhookEndpoint {
            id: WebhookId::new(),
            org_id: OrgId::new(),
            url: "https://hooks.example.com/podcastflow".into(),
            description: "CRM".into(),
            subscription,
            enabled: true,
            disabled_reason: None,
            failing_since: None,
            secret: StoredSecret(SigningSecret::from_bytes(&[1u8; 32]).unwrap().shown()),
            previous_secret: None,
            stamp: Stamp::created(UserId::new(), at(1, 0)),
        }
    }

    fn codes(e: &WebhookEndpoint, rules: DestinationRules) -> Vec<(String, &'static str)> {
        match e.validate(rules) {
            Ok(()) => vec![],
            Err(v) => v.errors.into_iter().map(|f| (f.field, f.code)).collect(),
        }
    }

    #[test]
    fn an_endpoint_names_a_reachable_url_known_events_and_a_short_description() {
        let mut e = endpoint(Subscription::Types(vec!["campaign.transitioned".into()]));
        assert!(codes(&e, DestinationRules::AWS).is_empty());
        e.url = "http://127.0.0.1:4567/hook".into();
        assert_eq!(codes(&e, DestinationRules::AWS), [("url".to_owned(), "invalid_destination")]);
        assert!(codes(&e, DestinationRules::LOCAL).is_empty(), "the local stack's receiver");
        e.description = "x".repeat(MAX_DESCRIPTION);
        assert!(codes(&e, DestinationRules::LOCAL).is_empty());
        e.description.push('x');
        assert_eq!(codes(&e, DestinationRules::LOCAL), [("description".to_owned(), "too_long")]);
        e.description.clear();
        e.subscription = Subscription::Types(vec![]);
        assert_eq!(codes(&e, DestinationRules::LOCAL), [("events".to_owned(), "required")]);
        e.subscription = Subscription::Types(vec!["campaign.created".into(), "campaign.deleted".into()]);
        assert_eq!(codes(&e, DestinationRules::LOCAL), [("events".to_owned(), "unknown_event_type")]);
        e.subscription = Subscription::All;
        assert!(codes(&e, DestinationRules::LOCAL).is_empty());
    }

    #[test]
    fn an_endpoint_receives_what_it_subscribed_to_while_enabled_and_pings() {
        let mut e = endpoint(Subscription::Types(vec!["campaign.transitioned".into()]));
        assert!(e.receives("campaign.transitioned"));
        assert!(!e.receives("campaign.created"));
        assert!(e.receives("ping"));
        e.subscription = Subscription::All;
        assert!(e.receives("campaign.created") && e.receives("invoice.issued"), "later types too");
        e.enabled = false;
        assert!(!e.receives("campaign.created"));
        assert!(!e.receives("ping"));
        assert!(e.subscribes("campaign.created") && e.subscribes("ping"), "kept for a replay");
        e.subscription = Subscription::Types(vec!["campaign.transitioned".into()]);
        assert!(e.subscribes("campaign.transitioned") && !e.subscribes("campaign.created"));
    }

    #[test]
    fn a_rotation_keeps_the_old_secret_signing_for_a_day() {
        let mut e = endpoint(Subscription::All);
        let old = SigningSecret::parse(&e.secret.0).unwrap();
        assert_eq!(e.signing_secrets(at(2, 0)), Ok(vec![old.clone()]));
        let new = SigningSecret::from_bytes(&[2u8; 32]).unwrap();
        e.rotate(&new, at(2, 0));
        assert_eq!(e.secret.0, new.shown());
        assert!(!format!("{e:?}").contains("whsec_"), "neither secret is printed");
        assert!(format!("{e:?}").contains("secret: StoredSecret(..)"), "{e:?}");
        assert_eq!(e.signing_secrets(at(2, 0)), Ok(vec![new.clone(), old.clone()]));
        assert_eq!(e.signing_secrets(at(3, 0) - Duration::seconds(1)), Ok(vec![new.clone(), old]));
        assert_eq!(e.signing_secrets(at(3, 0)), Ok(vec![new.clone()]), "the overlap is over");
        e.secret = StoredSecret("not a secret".into());
        assert_eq!(e.signing_secrets(at(3, 0)), Err(SecretError::Prefix));
    }

    #[test]
    fn three_days_of_failures_disable_an_endpoint_and_a_success_ends_the_streak() {
        let mut e = endpoint(Subscription::All);
        assert!(!e.delivered(false, at(1, 0)));
        assert_eq!(e.failing_since, Some(at(1, 0)));
        assert!(!e.delivered(false, at(3, 12)), "the streak's start is kept");
        assert_eq!(e.failing_since, Some(at(1, 0)));
        assert!(!e.delivered(true, at(3, 13)));
        assert_eq!(e.failing_since, None);
        assert!(!e.delivered(false, at(4, 0)));
        assert!(e.delivered(false, at(7, 0)), "three days since the 4th");
        assert!(!e.enabled);
        assert!(e.disabled_reason.as_deref().is_some_and(|r| r.contains("2026-12-04")));
        assert!(!e.delivered(false, at(8, 0)), "disabled once");
    }

    #[test]
    fn keys_name_the_organization_and_the_endpoint() {
        let (o, w) = (OrgId::new(), WebhookId::new());
        assert_eq!(WebhookEndpoint::key_of(&o, &w), Key::new(format!("ORG#{o}#WEBHOOK#{w}"), "PROFILE"));
        assert_eq!(WebhookEndpoint::list_pk(&o), format!("ORG#{o}#WEBHOOKS"));
        assert_eq!(WebhookEndpoint::count_key(&o), Key::new(format!("ORG#{o}#COUNTER"), "WEBHOOKS"));
        let mut e = endpoint(Subscription::All);
        e.stamp.version = 4;
        assert_eq!(e.key(), WebhookEndpoint::key_of(&e.org_id, &e.id));
        assert_eq!(e.index_keys(), [(Index::Gsi1, Key::new(WebhookEndpoint::list_pk(&e.org_id), e.id.to_string()))]);
        assert_eq!((e.org_id(), e.version()), (&e.org_id, 4));
    }

    #[test]
    fn the_view_shows_no_secret_and_names_the_events() {
        let mut e = endpoint(Subscription::of_events(None));
        let v = e.view();
        assert_eq!(v["events"], serde_json::json!(["*"]));
        assert!(
            v.get("secret").is_none() && v.get("subscription").is_none() && v.get("previousSecretExpiresAt").is_none()
        );
        assert_eq!((v["url"].as_str(), v["enabled"].as_bool()), (Some(e.url.as_str()), Some(true)));
        e.rotate(&SigningSecret::from_bytes(&[9u8; 32]).unwrap(), at(2, 0));
        e.subscription = Subscription::of_events(Some(vec!["campaign.created".into()]));
        let v = e.view();
        assert!(!v.to_string().contains("whsec_"), "{v}");
        assert_eq!(v["events"], serde_json::json!(["campaign.created"]));
        assert_eq!(v["previousSecretExpiresAt"], serde_json::json!(at(3, 0)));
        assert_eq!(Subscription::of_events(Some(vec!["*".into()])), Subscription::All);
        assert_eq!(
            Subscription::of_events(Some(vec!["*".into(), "ping".into()])),
            Subscription::Types(vec!["*".into(), "ping".into()]),
            "`*` beside types is not a type: validation refuses it"
        );
    }

    #[test]
    fn a_subscription_is_stored_as_its_kind_and_types() {
        let all = serde_json::to_value(Subscription::All).unwrap();
        assert_eq!(all, serde_json::json!({"kind": "all"}));
        let some = serde_json::to_value(Subscription::Types(vec!["ping".into()])).unwrap();
        assert_eq!(some, serde_json::json!({"kind": "types", "types": ["ping"]}));
    }
}
