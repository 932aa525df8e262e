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

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::webhook::event::Envelope;
use crate::webhook::schedule::next_attempt;
use crate::{OrgId, WebhookId};

/// The largest body a delivery carries.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// How much of an answer's body is kept with its attempt.
pub const RESPONSE_EXCERPT_BYTES: usize = 1024;

/// How long an attempt waits for the answer.
pub const ATTEMPT_TIMEOUT_SECONDS: u64 = 5;

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
        })
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
}
