//! What a webhook delivers: one envelope per business event, its `data` the entity as an
//! admin's GET shows it.
//!
//! The catalogue ([`EVENT_TYPES`]) is what an endpoint may subscribe to. A type is
//! `<entity>.<what happened>`; `ping` is the test delivery an admin asks for. Types join the
//! catalogue as the processor that makes them lands; an endpoint subscribed to all types gets
//! the new ones too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::OrgId;
use crate::record::RecordType;

/// Every event type an endpoint may subscribe to.
pub const EVENT_TYPES: [&str; 24] = [
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
    "invoice.created",
    "invoice.issued",
    "invoice.payment_recorded",
    "invoice.credited",
    "invoice.overdue",
    "invoice.paid",
    "invoice.voided",
    "ping",
];

/// Whether `t` is in the catalogue.
pub fn is_event_type(t: &str) -> bool {
    EVENT_TYPES.contains(&t)
}

fn field<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a str> {
    v?.get(name)?.as_str()
}

/// The event types a change of a record of type `record` makes (`before`/`after` absent for a
/// creation/deletion). A deletion makes none; a record restored or written again unchanged makes
/// none beyond what its fields say moved.
pub fn of_change(record: RecordType, before: Option<&Value>, after: Option<&Value>) -> Vec<&'static str> {
    if after.is_none() {
        return Vec::new();
    }
    let created = before.is_none();
    fn status(v: Option<&Value>) -> Option<&str> {
        field(v, "status")
    }
    let moved = !created && status(before) != status(after);
    let now_is = |s: &str| status(after) == Some(s);
    let became = |s: &str| moved && now_is(s);
    let mut out = Vec::new();
    match record {
        RecordType::Campaign if created => out.push("campaign.created"),
        RecordType::Campaign if moved => out.push("campaign.transitioned"),
        RecordType::Client if created => out.push("client.created"),
        RecordType::Episode if became("published") || (created && now_is("published")) => {
            out.push("episode.published");
        }
        RecordType::Backup if became("completed") => out.push("backup.completed"),
        RecordType::Backup if became("failed") => out.push("backup.failed"),
        RecordType::User if created && now_is("invited") => out.push("user.invited"),
        RecordType::Order if created => out.push("order.created"),
        RecordType::Order if moved => out.push("order.transitioned"),
        RecordType::Hold => {
            fn notice(v: Option<&Value>) -> Option<&str> {
                field(v, "expiryNoticeFor")
            }
            if notice(after).is_some() && notice(after) != notice(before) {
                out.push("hold.expiring");
            }
        }
        RecordType::AdRead => {
            if created {
                out.push("adread.created");
            } else if moved {
                out.push("adread.transitioned");
                if now_is("submitted") {
                    out.push("adread.submitted");
                }
                if now_is("makegood_required") {
                    out.push("adread.makegood_required");
                }
            }
            fn decision(v: Option<&Value>) -> Option<&str> {
                field(v?.get("clientApproval"), "decision")
            }
            if decision(after) == Some("approved") && decision(before) != Some("approved") {
                out.push("adread.client_approved");
            }
        }
        RecordType::PacingAlert if created => out.push("delivery.pacing_alert"),
        RecordType::Invoice => {
            let count =
                |v: Option<&Value>, list: &str| v.and_then(|v| v.get(list)?.as_array().map(Vec::len)).unwrap_or(0);
            if created {
                out.push("invoice.created");
            } else if moved && status(before) == Some("draft") && !now_is("void") {
                out.push("invoice.issued");
            }
            if count(after, "payments") > count(before, "payments") {
                out.push("invoice.payment_recorded");
            }
            if count(after, "credits") > count(before, "credits") {
                out.push("invoice.credited");
            }
            for (s, event) in [("overdue", "invoice.overdue"), ("paid", "invoice.paid"), ("void", "invoice.voided")] {
                if became(s) {
                    out.push(event);
                }
            }
        }
        _ => {}
    }
    out
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

    fn types(record: RecordType, before: Option<Value>, after: Option<Value>) -> Vec<&'static str> {
        of_change(record, before.as_ref(), after.as_ref())
    }

    #[test]
    fn creations_and_moves_make_their_events_and_nothing_else_does() {
        use RecordType::*;
        let s = |status: &str| Some(json!({"status": status}));
        assert_eq!(types(Campaign, None, s("draft")), ["campaign.created"]);
        assert_eq!(types(Campaign, s("draft"), s("pending_approval")), ["campaign.transitioned"]);
        assert!(types(Campaign, s("draft"), s("draft")).is_empty(), "an edit");
        assert!(types(Campaign, s("draft"), None).is_empty(), "a deletion");
        assert_eq!(types(Client, None, Some(json!({"name": "Acme"}))), ["client.created"]);
        assert!(types(Client, Some(json!({"name": "A"})), Some(json!({"name": "B"}))).is_empty());
        assert_eq!(types(Episode, s("editing"), s("published")), ["episode.published"]);
        assert_eq!(types(Episode, None, s("published")), ["episode.published"]);
        assert!(types(Episode, None, s("draft")).is_empty());
        assert!(types(Episode, s("published"), s("published")).is_empty());
        assert!(types(Episode, s("draft"), s("scheduled")).is_empty());
        assert_eq!(types(Backup, s("running"), s("completed")), ["backup.completed"]);
        assert_eq!(types(Backup, s("running"), s("failed")), ["backup.failed"]);
        assert!(types(Backup, None, s("completed")).is_empty(), "a backup restored as it was");
        assert!(types(Backup, s("queued"), s("running")).is_empty());
        assert_eq!(types(User, None, s("invited")), ["user.invited"]);
        assert!(types(User, None, s("active")).is_empty());
        assert!(types(User, s("invited"), s("active")).is_empty());
        assert_eq!(types(Order, None, s("draft")), ["order.created"]);
        assert_eq!(types(Order, s("draft"), s("pending_approval")), ["order.transitioned"]);
        assert!(types(Order, s("draft"), s("draft")).is_empty());
        assert_eq!(types(PacingAlert, None, Some(json!({}))), ["delivery.pacing_alert"]);
        assert!(types(PacingAlert, Some(json!({})), Some(json!({"x": 1}))).is_empty());
        assert!(types(Show, None, Some(json!({}))).is_empty(), "not in the catalogue");
    }

    #[test]
    fn an_invoice_tells_its_draft_issue_money_and_moves() {
        let inv = |status: &str, payments: usize, credits: usize| {
            Some(json!({"status": status, "payments": vec![json!({}); payments], "credits": vec![json!({}); credits]}))
        };
        let of = |b: Option<Value>, a: Option<Value>| of_change(RecordType::Invoice, b.as_ref(), a.as_ref());
        assert_eq!(of(None, inv("draft", 0, 0)), ["invoice.created"]);
        assert_eq!(of(inv("draft", 0, 0), inv("issued", 0, 0)), ["invoice.issued"]);
        assert_eq!(of(inv("draft", 0, 0), inv("overdue", 0, 0)), ["invoice.issued", "invoice.overdue"]);
        assert_eq!(of(inv("draft", 0, 0), inv("void", 0, 0)), ["invoice.voided"], "a draft voided was never issued");
        assert_eq!(of(inv("issued", 0, 0), inv("partially_paid", 1, 0)), ["invoice.payment_recorded"]);
        assert_eq!(of(inv("partially_paid", 1, 0), inv("paid", 2, 0)), ["invoice.payment_recorded", "invoice.paid"]);
        assert_eq!(of(inv("issued", 0, 0), inv("paid", 0, 1)), ["invoice.credited", "invoice.paid"]);
        assert_eq!(of(inv("issued", 0, 0), inv("overdue", 0, 0)), ["invoice.overdue"]);
        assert_eq!(of(inv("issued", 0, 0), inv("void", 0, 0)), ["invoice.voided"]);
        assert!(of(inv("issued", 1, 1), inv("issued", 1, 1)).is_empty(), "a note changed");
        assert!(of(inv("draft", 0, 0), inv("draft", 0, 0)).is_empty());
        assert!(of(inv("issued", 0, 0), None).is_empty());
        assert!(EVENT_TYPES.iter().filter(|t| t.starts_with("invoice.")).count() == 7);
    }

    #[test]
    fn a_hold_expiring_and_a_read_moving_make_theirs() {
        use RecordType::*;
        let hold = |n: Option<&str>| Some(json!({"expiryNoticeFor": n}));
        assert_eq!(types(Hold, hold(None), hold(Some("2026-12-08T09:00:00Z"))), ["hold.expiring"]);
        assert!(types(Hold, hold(Some("2026-12-08T09:00:00Z")), hold(Some("2026-12-08T09:00:00Z"))).is_empty());
        assert_eq!(types(Hold, hold(Some("a")), hold(Some("b"))), ["hold.expiring"], "extended, then due again");
        assert!(types(Hold, hold(Some("a")), hold(None)).is_empty());
        let read = |s: &str, d: &str| Some(json!({"status": s, "clientApproval": {"decision": d}}));
        assert_eq!(types(AdRead, None, read("awaiting_brief", "none")), ["adread.created"]);
        assert_eq!(
            types(AdRead, read("needs_read", "none"), read("submitted", "none")),
            ["adread.transitioned", "adread.submitted"]
        );
        assert_eq!(
            types(AdRead, read("aired", "none"), read("makegood_required", "none")),
            ["adread.transitioned", "adread.makegood_required"]
        );
        assert_eq!(
            types(AdRead, read("in_review", "pending"), read("in_review", "approved")),
            ["adread.client_approved"]
        );
        assert_eq!(
            types(AdRead, read("in_review", "pending"), read("approved", "approved")),
            ["adread.transitioned", "adread.client_approved"]
        );
        assert!(types(AdRead, read("approved", "approved"), read("approved", "approved")).is_empty());
        for t in ["campaign.created", "hold.expiring", "adread.client_approved", "delivery.pacing_alert"] {
            assert!(is_event_type(t));
        }
    }
}
