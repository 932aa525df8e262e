//! One event's delivery to one endpoint: the body as signed, every attempt, and what comes next.
//!
//! A delivery is made once per event and matching endpoint (its id is the event's message id,
//! so a stream record processed twice makes the same delivery). It is `pending` with a time for
//! its next attempt until an attempt is answered 2xx (`succeeded`) or the last of
//! [`MAX_ATTEMPTS`](crate::webhook::schedule::MAX_ATTEMPTS) fails (`failed`). Every attempt is kept: when, the status answered or the
//! error, how long it took, and the start of the answer. An admin may redeliver any delivery
//! by hand: one attempt at once, which does not count against the schedule; if it fails, the
//! delivery goes on with the attempts its schedule has left (none, for a failed one). Receivers get no
//! order: deliveries of one endpoint are made side by side and retried on their own schedules,
//! as the Standard Webhooks specification allows; `occurredAt` orders them.
//!
//! An event for an endpoint that is turned off is kept `skipped` (no attempt), and so is a pending
//! delivery whose endpoint was turned off before its attempt: a replay or a redelivery sends it.
//! Deliveries are kept [`RETENTION_DAYS`] days after their last attempt.
//!
//! Keys and access patterns:
//! - the delivery: `ORG#<o>#WEBHOOK#<w>` / `DELIVERY#<msg id>` (read, update); the endpoint's
//!   deliveries newest first are a query of that partition on the `DELIVERY#` prefix (message ids
//!   are ULIDs of the event's time);
//! - the organization's due deliveries, soonest first, for the dispatcher: GSI2
//!   `ORG#<o>#WEBHOOKS_DUE` / `<nextAttemptAt>#<w>#<msg id>`, present only while pending.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, org_pk};
use crate::webhook::event::Envelope;
use crate::webhook::schedule::next_attempt;
use crate::{OrgId, WebhookId};

/// Days a delivery is kept after its last attempt (or its making).
pub const RETENTION_DAYS: i64 = 30;

/// The largest body a delivery carries.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// How much of an answer's body is kept with its attempt.
pub const RESPONSE_EXCERPT_BYTES: usize = 1024;

/// How long an attempt waits for the answer.
pub const ATTEMPT_TIMEOUT_SECONDS: u64 = 5;

/// How long a dispatcher holds a delivery it is sending: no other one sends it meanwhile, and if
/// the holder dies, the delivery is due again after this.
pub const CLAIM_SECONDS: i64 = 60;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// An attempt is due at `nextAttemptAt`.
    Pending,
    /// An attempt was answered 2xx.
    Succeeded,
    /// Every attempt failed (or a redelivery by hand did).
    Failed,
    /// Not sent: the endpoint was turned off. A replay or a redelivery sends it.
    Skipped,
}

/// One attempt, as the dispatcher saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// The status answered, if an answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why no answer came (a timeout, a refused connection, a refused address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Milliseconds until the answer or the error.
    pub latency_ms: u64,
    /// The start of the answer's body ([`RESPONSE_EXCERPT_BYTES`] at most).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub response: String,
    /// Whether an admin asked for it by hand.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manual: bool,
}

impl Attempt {
    /// Whether it succeeded: answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The start of `body`, at most [`RESPONSE_EXCERPT_BYTES`], cut at a character's boundary.
pub fn excerpt(body: &str) -> String {
    let mut end = body.len().min(RESPONSE_EXCERPT_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}

/// Why a delivery cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The envelope is larger than [`MAX_BODY_BYTES`].
    #[error("the event is {0} bytes, more than a delivery carries")]
    TooLarge(usize),
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// The event's message id (`webhook-id`).
    pub id: String,
    /// The organization.
    pub org_id: OrgId,
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// The event's type.
    pub event_type: String,
    /// The body as signed and sent: the envelope's JSON.
    pub body: String,
    /// When the event happened.
    pub occurred_at: DateTime<Utc>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// When the next attempt is due, while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Whether the pending attempt is a redelivery asked for by hand.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redelivery: bool,
    /// Grows with every write, so two dispatchers never record over each other.
    #[serde(default)]
    pub version: u64,
    /// When the table lets it go (epoch seconds): [`RETENTION_DAYS`] after its last change.
    #[serde(default)]
    pub expires_at: i64,
}

fn retained_until(now: DateTime<Utc>) -> i64 {
    (now + chrono::Duration::days(RETENTION_DAYS)).timestamp()
}

impl WebhookDelivery {
    /// The delivery of `envelope` to `endpoint`, its first attempt due at `now`.
    pub fn new(endpoint: WebhookId, envelope: &Envelope, now: DateTime<Utc>) -> Result<WebhookDelivery, DeliveryError> {
        let body = serde_json::to_string(envelope).unwrap_or_default();
        if body.len() > MAX_BODY_BYTES {
            return Err(DeliveryError::TooLarge(body.len()));
        }
        Ok(WebhookDelivery {
            id: envelope.id.clone(),
            org_id: envelope.org_id,
            endpoint_id: endpoint,
            event_type: envelope.event_type.clone(),
            body,
            occurred_at: envelope.occurred_at,
            status: DeliveryStatus::Pending,
            next_attempt_at: Some(now),
            attempts: Vec::new(),
            redelivery: false,
            version: 1,
            expires_at: retained_until(now),
        })
    }

    /// The delivery of `envelope` to an endpoint that is turned off: kept, not sent.
    pub fn skipped(
        endpoint: WebhookId,
        envelope: &Envelope,
        now: DateTime<Utc>,
    ) -> Result<WebhookDelivery, DeliveryError> {
        let mut d = WebhookDelivery::new(endpoint, envelope, now)?;
        d.skip();
        Ok(d)
    }

    /// Leaves it unsent because its endpoint is turned off.
    pub fn skip(&mut self) {
        self.status = DeliveryStatus::Skipped;
        self.next_attempt_at = None;
        self.redelivery = false;
    }

    /// Records `attempt`: succeeded, or pending again on the schedule (`jitter` drawn by the
    /// caller from `[-1, 1]`), or failed when the schedule has no attempt left.
    pub fn record(&mut self, mut attempt: Attempt, jitter: f64) {
        attempt.manual = self.redelivery;
        let (at, ok) = (attempt.at, attempt.succeeded());
        self.attempts.push(attempt);
        let scheduled = self.attempts.iter().filter(|a| !a.manual).count() as u32;
        let next = if ok { None } else { next_attempt(scheduled, at, jitter) };
        self.status = match (ok, next) {
            (true, _) => DeliveryStatus::Succeeded,
            (false, Some(_)) => DeliveryStatus::Pending,
            (false, None) => DeliveryStatus::Failed,
        };
        self.next_attempt_at = next;
        self.redelivery = false;
        self.expires_at = retained_until(at);
    }

    /// Takes the due attempt at `now`: the delivery is not due to anyone else for
    /// [`CLAIM_SECONDS`]; written (versioned) before the attempt is sent.
    pub fn claim(&mut self, now: DateTime<Utc>) {
        self.next_attempt_at = Some(now + chrono::Duration::seconds(CLAIM_SECONDS));
    }

    /// Asks for one attempt by hand at `now`, whatever the delivery's status.
    pub fn redeliver(&mut self, now: DateTime<Utc>) {
        self.status = DeliveryStatus::Pending;
        self.next_attempt_at = Some(now);
        self.redelivery = true;
    }

    /// Whether an attempt is due at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.status == DeliveryStatus::Pending && self.next_attempt_at.is_some_and(|t| t <= now)
    }

    /// Attempts made on the schedule so far (at most
    /// [`MAX_ATTEMPTS`](crate::webhook::schedule::MAX_ATTEMPTS)).
    pub fn scheduled_attempts(&self) -> u32 {
        self.attempts.iter().filter(|a| !a.manual).count() as u32
    }

    /// What the API shows of it (to admins): the event as sent (`payload`), where it stands and
    /// every attempt.
    pub fn view(&self) -> serde_json::Value {
        let payload: serde_json::Value = serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null);
        serde_json::json!({
            "id": self.id,
            "endpointId": self.endpoint_id,
            "eventType": self.event_type,
            "occurredAt": self.occurred_at,
            "status": self.status,
            "nextAttemptAt": self.next_attempt_at,
            "attempts": self.attempts,
            "payload": payload,
        })
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, endpoint: &WebhookId, id: &str) -> Key {
        Key::new(org_pk(org, format!("WEBHOOK#{endpoint}")), format!("{DELIVERY_PREFIX}{id}"))
    }

    /// The smallest message id of an event at `at` or later (ids are `msg_` and a ULID of the
    /// event's time).
    pub fn first_id_at(at: DateTime<Utc>) -> String {
        let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        format!("msg_{}", ulid::Ulid::from_parts(ms, 0))
    }

    /// GSI2 partition of the organization's pending deliveries, by when they are due.
    pub fn due_pk(org: &OrgId) -> String {
        org_pk(org, "WEBHOOKS_DUE")
    }

    /// The due index's sort key of an attempt due at `at`: everything due by `at` sorts at or
    /// before it.
    pub fn due_sk(at: DateTime<Utc>) -> String {
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

/// Sort-key prefix of an endpoint's deliveries in its partition.
pub const DELIVERY_PREFIX: &str = "DELIVERY#";

impl Entity for WebhookDelivery {
    const TYPE: &'static str = "webhookDelivery";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.endpoint_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        match (self.status, self.next_attempt_at) {
            (DeliveryStatus::Pending, Some(at)) => vec![(
                Index::Gsi2,
                Key::new(Self::due_pk(&self.org_id), format!("{}#{}#{}", Self::due_sk(at), self.endpoint_id, self.id)),
            )],
            _ => Vec::new(),
        }
    }
    fn version(&self) -> u64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use serde_json::json;

    use super::*;
    use crate::webhook::schedule::MAX_ATTEMPTS;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).single().unwrap()
    }

    fn delivery() -> WebhookDelivery {
        let e = Envelope::new("01JD00000000000000000000AB", "campaign.transitioned", at(9, 0), OrgId::new(), json!({}));
        WebhookDelivery::new(WebhookId::new(), &e, at(9, 0)).unwrap()
    }

    fn answered(at: DateTime<Utc>, status: u16) -> Attempt {
        Attempt { at, status: Some(status), error: None, latency_ms: 40, response: String::new(), manual: false }
    }

    fn timed_out(at: DateTime<Utc>) -> Attempt {
        Attempt {
            at,
            status: None,
            error: Some("timed out".into()),
            latency_ms: 5000,
            response: String::new(),
            manual: false,
        }
    }

    #[test]
    fn a_new_delivery_is_due_at_once_and_carries_the_envelope() {
        let d = delivery();
        assert_eq!((d.status, d.next_attempt_at), (DeliveryStatus::Pending, Some(at(9, 0))));
        assert!(d.due(at(9, 0)));
        assert!(!d.due(at(9, 0) - Duration::seconds(1)));
        assert_eq!(d.id, "msg_01JD00000000000000000000AB");
        let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["type"], "campaign.transitioned");
        let fits = Envelope::new("x", "ping", at(9, 0), OrgId::new(), json!("a".repeat(250 * 1024)));
        assert!(WebhookDelivery::new(WebhookId::new(), &fits, at(9, 0)).is_ok(), "256 KiB of body");
        let big = Envelope::new("x", "ping", at(9, 0), OrgId::new(), json!("a".repeat(MAX_BODY_BYTES)));
        assert!(matches!(WebhookDelivery::new(WebhookId::new(), &big, at(9, 0)), Err(DeliveryError::TooLarge(_))));
    }

    #[test]
    fn failures_follow_the_schedule_and_a_2xx_ends_it() {
        let mut d = delivery();
        d.record(answered(at(9, 0), 500), 0.0);
        assert_eq!((d.status, d.next_attempt_at), (DeliveryStatus::Pending, Some(at(9, 1))));
        assert!(!d.due(at(9, 0)));
        d.record(timed_out(at(9, 1)), 0.0);
        assert_eq!(d.next_attempt_at, Some(at(9, 6)));
        d.record(answered(at(9, 6), 301), 0.0);
        assert_eq!(d.next_attempt_at, Some(at(9, 36)), "a redirect is not followed, and not a success");
        d.record(answered(at(9, 36), 204), 0.0);
        assert_eq!((d.status, d.next_attempt_at, d.attempts.len()), (DeliveryStatus::Succeeded, None, 4));
        assert!(!d.due(at(23, 0)));
    }

    #[test]
    fn the_eighth_failure_fails_it_and_a_redelivery_is_one_attempt() {
        let mut d = delivery();
        let mut when = at(9, 0);
        for n in 1..=MAX_ATTEMPTS {
            d.record(answered(when, 503), 0.0);
            if n < MAX_ATTEMPTS {
                assert_eq!(d.status, DeliveryStatus::Pending, "after attempt {n}");
                when = d.next_attempt_at.unwrap();
            }
        }
        assert_eq!((d.status, d.next_attempt_at, d.scheduled_attempts()), (DeliveryStatus::Failed, None, 8));
        let later = when + Duration::days(2);
        d.redeliver(later);
        assert!(d.due(later));
        d.record(answered(later, 500), 0.0);
        assert_eq!((d.status, d.next_attempt_at), (DeliveryStatus::Failed, None), "the schedule has nothing left");
        assert!(d.attempts.last().unwrap().manual);
        assert_eq!(d.scheduled_attempts(), 8);
        d.redeliver(later + Duration::hours(1));
        d.record(answered(later + Duration::hours(1), 200), 0.0);
        assert_eq!(d.status, DeliveryStatus::Succeeded);
        assert!(!d.redelivery);
    }

    #[test]
    fn a_failed_redelivery_of_a_pending_delivery_goes_on_with_its_schedule() {
        let mut d = delivery();
        d.record(answered(at(9, 0), 500), 0.0);
        d.redeliver(at(9, 0));
        d.record(answered(at(9, 0), 500), 0.0);
        assert_eq!((d.status, d.scheduled_attempts()), (DeliveryStatus::Pending, 1));
        assert_eq!(d.next_attempt_at, Some(at(9, 1)), "the manual attempt does not count");
    }

    #[test]
    fn only_2xx_succeeds_and_answers_are_cut_at_a_character() {
        for (status, ok) in [(199, false), (200, true), (299, true), (300, false), (404, false)] {
            assert_eq!(answered(at(9, 0), status).succeeded(), ok, "{status}");
        }
        assert!(!timed_out(at(9, 0)).succeeded());
        assert_eq!(excerpt("ok"), "ok");
        let long = format!("{}é", "a".repeat(RESPONSE_EXCERPT_BYTES - 1));
        assert_eq!(excerpt(&long).len(), RESPONSE_EXCERPT_BYTES - 1, "the two-byte é does not fit");
        assert_eq!(excerpt(&"b".repeat(5000)).len(), RESPONSE_EXCERPT_BYTES);
    }

    #[test]
    fn a_pending_delivery_sits_in_the_due_index_and_leaves_it_when_settled() {
        let mut d = delivery();
        let (o, w) = (d.org_id, d.endpoint_id);
        assert_eq!(d.key(), Key::new(format!("ORG#{o}#WEBHOOK#{w}"), format!("DELIVERY#{}", d.id)));
        assert_eq!(d.key(), WebhookDelivery::key_of(&o, &w, &d.id));
        let due = format!("2026-12-07T09:00:00.000Z#{w}#{}", d.id);
        assert_eq!(d.index_keys(), [(Index::Gsi2, Key::new(format!("ORG#{o}#WEBHOOKS_DUE"), due))]);
        assert_eq!(WebhookDelivery::due_sk(at(9, 1)), "2026-12-07T09:01:00.000Z");
        let ulid_of = |t: DateTime<Utc>| ulid::Ulid::from_parts(t.timestamp_millis() as u64, 7).to_string();
        let (before, at_nine, after) = (ulid_of(at(8, 59)), ulid_of(at(9, 0)), ulid_of(at(9, 1)));
        let bound = WebhookDelivery::first_id_at(at(9, 0));
        assert!(format!("msg_{before}") < bound && bound <= format!("msg_{at_nine}") && bound < format!("msg_{after}"));
        assert_eq!((d.org_id(), d.version()), (&o, 1));
        d.version = 7;
        assert_eq!(d.version(), 7, "the version written is the delivery's own");
        d.version = 1;
        assert_eq!(d.expires_at, (at(9, 0) + Duration::days(RETENTION_DAYS)).timestamp());
        d.record(answered(at(9, 0), 500), 0.0);
        assert!(d.index_keys()[0].1.sk.starts_with("2026-12-07T09:01:00.000Z#"));
        d.record(answered(at(9, 1), 200), 0.0);
        assert!(d.index_keys().is_empty());
        assert_eq!(d.expires_at, (at(9, 1) + Duration::days(RETENTION_DAYS)).timestamp(), "kept from its last attempt");
        d.redeliver(at(10, 0));
        assert_eq!(d.index_keys().len(), 1);
        d.skip();
        assert!(d.index_keys().is_empty());
    }

    #[test]
    fn the_view_shows_the_payload_and_the_attempts() {
        let mut d = delivery();
        d.record(answered(at(9, 0), 500), 0.0);
        let v = d.view();
        assert_eq!(v["payload"]["type"], "campaign.transitioned");
        assert_eq!((v["status"].as_str(), v["attempts"][0]["status"].as_u64()), (Some("pending"), Some(500)));
        assert_eq!(v["nextAttemptAt"], json!(at(9, 1)));
        assert_eq!((v["id"].as_str(), v["eventType"].as_str()), (Some(d.id.as_str()), Some("campaign.transitioned")));
        assert!(v.get("version").is_none() && v.get("body").is_none());
    }

    #[test]
    fn a_claimed_delivery_is_due_again_only_when_the_claim_runs_out() {
        let mut d = delivery();
        d.claim(at(9, 0));
        assert!(!d.due(at(9, 0)) && !d.due(at(9, 0) + Duration::seconds(CLAIM_SECONDS - 1)));
        assert!(d.due(at(9, 0) + Duration::seconds(CLAIM_SECONDS)));
        assert_eq!(d.status, DeliveryStatus::Pending);
        d.redeliver(at(9, 0));
        d.claim(at(9, 0));
        d.record(answered(at(9, 0), 500), 0.0);
        assert!(d.attempts[0].manual, "the claim keeps a redelivery by hand");
    }

    #[test]
    fn an_event_for_a_turned_off_endpoint_is_kept_unsent() {
        let e = Envelope::new("01JD00000000000000000000AB", "campaign.created", at(9, 0), OrgId::new(), json!({}));
        let mut d = WebhookDelivery::skipped(WebhookId::new(), &e, at(9, 0)).unwrap();
        assert_eq!((d.status, d.next_attempt_at, d.attempts.len()), (DeliveryStatus::Skipped, None, 0));
        assert!(!d.due(at(12, 0)));
        d.redeliver(at(12, 0));
        assert!(d.due(at(12, 0)));
        d.skip();
        assert_eq!((d.status, d.redelivery), (DeliveryStatus::Skipped, false));
        assert_eq!(serde_json::to_value(DeliveryStatus::Skipped).unwrap(), json!("skipped"));
    }
}
