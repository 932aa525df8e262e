//! What a webhook delivers: one envelope per business event, its `data` the entity as an
//! admin's GET shows it.
//!
//! The catalogue ([`EVENT_TYPES`]) is what an endpoint may subscribe to. A type is
//! `<entity>.<what happened>`; `ping` is the test delivery an admin asks for. Types join the
//! catalogue as the processor that makes them lands; an endpoint subscribed to all types gets
//! the new ones too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::OrgId;

/// Every event type an endpoint may subscribe to.
pub const EVENT_TYPES: [&str; 17] = [
    "campaign.created",
    "campaign.transitioned",
    "client.created",
    "episode.published",
    "backup.completed",
    "backup.failed",
    "user.invited",
    "order.created",
    "order.transitioned",
    "hold.expiring",
    "adread.created",
    "adread.transitioned",
    "adread.submitted",
    "adread.client_approved",
    "adread.makegood_required",
    "delivery.pacing_alert",
    "ping",
];

/// Whether `t` is in the catalogue.
pub fn is_event_type(t: &str) -> bool {
    EVENT_TYPES.contains(&t)
}

/// One delivered event. Its `id` is the message id (`webhook-id`), the same on every attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The message id: `msg_<ULID>`.
    pub id: String,
    /// Its type, from [`EVENT_TYPES`].
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The organization.
    pub org_id: OrgId,
    /// The entity as an admin's GET shows it.
    pub data: serde_json::Value,
}

impl Envelope {
    /// The envelope of `event_type` about `data`, which happened at `occurred_at`; its id is
    /// `msg_` and `id` (a stream record's or a ping's ULID, so a record processed twice makes
    /// the same message).
    pub fn new(
        id: &str,
        event_type: &str,
        occurred_at: DateTime<Utc>,
        org_id: OrgId,
        data: serde_json::Value,
    ) -> Envelope {
        Envelope { id: format!("msg_{id}"), event_type: event_type.to_owned(), occurred_at, org_id, data }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_catalogue_has_each_type_once_named_entity_dot_event() {
        let mut seen = std::collections::BTreeSet::new();
        for t in EVENT_TYPES {
            assert!(seen.insert(t), "{t} twice");
            assert!(t == "ping" || t.split_once('.').is_some_and(|(e, w)| !e.is_empty() && !w.is_empty()), "{t}");
            assert!(t.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'), "{t}");
            assert!(is_event_type(t));
        }
        assert!(!is_event_type("campaign.*"));
        assert!(!is_event_type("Campaign.created"));
    }

    #[test]
    fn an_envelope_is_what_a_receiver_reads() {
        let org = OrgId::new();
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).single().unwrap();
        let e =
            Envelope::new("01JD00000000000000000000AB", "campaign.transitioned", at, org, json!({"status": "live"}));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({
                "id": "msg_01JD00000000000000000000AB",
                "type": "campaign.transitioned",
                "occurredAt": "2026-12-07T09:30:00Z",
                "orgId": org.to_string(),
                "data": {"status": "live"},
            })
        );
    }
}
