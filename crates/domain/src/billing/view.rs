//! What each reader sees of an invoice, through the one field rule of [`crate::visibility`]: the
//! client view (client users of the client who pays) leaves out the accountants' internal notes;
//! admins and the client's sellers see all of it. Every exit (GET, list, the statement of
//! account, activity, live updates, webhooks, the document) renders an invoice here, with its
//! totals worked out the one way ([`Invoice::total`] and its siblings).

use serde_json::{Value, json};

use super::credit_note::CreditNote;
use super::invoice::Invoice;
use crate::Money;
use crate::visibility::{EntityKind, Lens, Part};

/// An invoice as a reader with `lens` sees it, with its total, what was paid and credited, and
/// its balance.
pub fn render(i: &Invoice, lens: Lens) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut v {
        let money = |amount: i64| json!(Money::new(amount, i.currency));
        fields.insert("total".into(), money(i.total()));
        fields.insert("paid".into(), money(i.paid()));
        fields.insert("credited".into(), money(i.credited()));
        fields.insert("balance".into(), money(i.balance()));
    }
    lens.apply(EntityKind::Invoice, Part::Record, v)
}

/// A credit note as a reader of its invoice with `lens` sees it: whole to whoever reads the
/// invoice (it has no internal fields), nothing to a lens not made for invoices.
pub fn render_credit_note(n: &CreditNote, lens: Lens) -> Value {
    lens.apply(EntityKind::Invoice, Part::CreditNote, serde_json::to_value(n).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice() -> Invoice {
        use crate::billing::transitions::tests::{credit, day, issued, payment};
        let mut i = issued(&[10_000, 5_000]);
        i.record_payment(payment(4_000, None), day(5)).unwrap();
        i.apply_credit(credit(1_000), day(6)).unwrap();
        i.internal_notes = Some("chased by phone".into());
        i
    }

    #[test]
    fn the_client_view_leaves_out_the_notes_and_everyone_sees_the_money_worked_out() {
        let i = invoice();
        let full = render(&i, Lens::Full);
        assert_eq!(full["internalNotes"], "chased by phone");
        let client = render(&i, Lens::Client);
        assert!(client.get("internalNotes").is_none());
        for v in [&full, &client] {
            assert_eq!(v["total"], json!({"amount": i.total(), "currency": "USD"}));
            assert_eq!(v["paid"]["amount"], i.paid());
            assert_eq!(v["credited"]["amount"], i.credited());
            assert_eq!(v["balance"]["amount"], i.balance());
            assert_eq!(v["number"], "INV-2027-00001");
            assert!(v["lines"].is_array() && v["payments"].is_array());
        }
        assert_eq!(render(&i, Lens::PublicFields), json!({}), "a lens not made for invoices shows nothing");
        assert_eq!(render(&i, Lens::WithoutFinancials), json!({}));
    }

    #[test]
    fn a_credit_note_is_seen_whole_by_every_reader_of_its_invoice_and_by_no_one_else() {
        use crate::billing::credit_note::{CreditNote, CreditReason};
        let n = CreditNote {
            id: crate::CreditNoteId::new(),
            org_id: crate::OrgId::new(),
            number: "CN-2027-00001".into(),
            invoice_id: crate::InvoiceId::new(),
            reason: CreditReason::Makegood,
            description: "Spot 3 did not run".into(),
            amount: Money::new(2_500, crate::Currency::USD),
            at: chrono::Utc::now(),
            stamp: crate::Stamp::created(crate::UserId::new(), chrono::Utc::now()),
        };
        let whole = serde_json::to_value(&n).unwrap();
        assert_eq!(render_credit_note(&n, Lens::Full), whole);
        assert_eq!(render_credit_note(&n, Lens::Client), whole);
        assert_eq!(render_credit_note(&n, Lens::Client)["number"], "CN-2027-00001");
        assert_eq!(render_credit_note(&n, Lens::NamesAndRoles), json!({}));
    }
}
