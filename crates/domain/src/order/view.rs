//! What each reader sees of an insertion order, through the one field rule of
//! [`crate::visibility`]: the client view (client users of its advertiser) leaves out internal
//! notes, and shows of each move only when and where it went, not who moved it or why. Everyone
//! else who may read the order sees all of it. Every exit (GET, list, activity, live update)
//! renders an order here.

use serde_json::Value;

use super::Order;
use crate::visibility::{EntityKind, Lens, Part};

/// An order as a reader with `lens` sees it, with its contracted `total`.
pub fn render(o: &Order, lens: Lens) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut v {
        fields.insert("total".into(), serde_json::to_value(o.total()).unwrap_or(Value::Null));
        if let Some(Value::Array(history)) = fields.get_mut("history") {
            for entry in history.iter_mut() {
                *entry = lens.apply(EntityKind::Order, Part::HistoryEntry, std::mem::take(entry));
            }
        }
    }
    lens.apply(EntityKind::Order, Part::Record, v)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::UserId;
    use crate::order::tests::{line, order, usd};
    use crate::order::{OrderHistoryEntry, OrderStatus, Rate};

    #[test]
    fn the_client_view_leaves_out_notes_and_who_moved_it_why() {
        let mut o = order(vec![line(1, Rate::Flat(usd(40_000)), None)]);
        o.history.push(OrderHistoryEntry {
            by: UserId::new(),
            at: Utc::now(),
            from: OrderStatus::PendingApproval,
            to: OrderStatus::Draft,
            reason: Some("margin too thin".into()),
        });
        let client = render(&o, Lens::Client);
        assert!(client.get("internalNotes").is_none());
        assert_eq!(client["total"], json!({"amount": 40_000, "currency": "USD"}));
        assert_eq!(client["lines"][0]["rate"], json!({"flat": {"amount": 40_000, "currency": "USD"}}), "their rates");
        let entry = client["history"][0].as_object().unwrap();
        assert_eq!(entry.keys().collect::<Vec<_>>(), ["at", "from", "to"]);
        let full = render(&o, Lens::Full);
        assert_eq!(full["internalNotes"], "margin");
        assert_eq!(full["history"][0]["reason"], "margin too thin");
        assert!(full["history"][0].get("by").is_some());
        assert_eq!(render(&o, Lens::PublicFields), json!({}), "a lens not made for orders shows nothing");
    }
}
