//! Lambda event filtering for the stream sources (`FilterCriteria`), as the event source mapping
//! applies it: a record reaches the function when any pattern matches its DynamoDB stream record
//! JSON; others are dropped (and count as processed). The pattern language is EventBridge's; this
//! covers the parts PodcastFlow's template uses: nested objects, lists of accepted values, and the
//! `exists`, `prefix` and `anything-but` matchers. As in Lambda, `exists` looks at leaves only: an
//! attribute of a DynamoDB image is an object (`{"S": "…"}`), so a pattern names its type to ask
//! whether it is there (`{"restoredBy": {"S": [{"exists": false}]}}`).

use std::collections::BTreeSet;

use serde_json::Value;

/// The image attributes `patterns` look at, when they look at nothing a probe record
/// (`podcastflow_store::lambda_event::probe_encoded`) leaves out: the event name, the keys, the
/// TTL identity and named attributes of `NewImage` and `OldImage`. `None`: match full records.
pub fn probed_attributes(patterns: &[Value]) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for p in patterns {
        for (field, sub) in p.as_object()? {
            match field.as_str() {
                "eventName" | "userIdentity" => {}
                "dynamodb" => {
                    for (part, image) in sub.as_object()? {
                        match part.as_str() {
                            "Keys" => {}
                            "NewImage" | "OldImage" => names.extend(image.as_object()?.keys().cloned()),
                            _ => return None,
                        }
                    }
                }
                _ => return None,
            }
        }
    }
    Some(names)
}

/// Whether `record` matches `pattern`.
pub fn matches(pattern: &Value, record: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(k, p)| match p {
            Value::Array(accepted) => leaf(accepted, record.get(k)),
            // A path the record lacks has no leaves: only `exists: false` can match under it.
            Value::Object(_) => matches(p, record.get(k).unwrap_or(&Value::Null)),
            // A bare scalar is not valid in a pattern; it matches nothing.
            _ => false,
        }),
        _ => false,
    }
}

/// Whether a leaf value (absent: `None`) is one of `accepted`.
fn leaf(accepted: &[Value], value: Option<&Value>) -> bool {
    accepted.iter().any(|a| match a {
        Value::Object(m) => match (m.get("exists"), m.get("prefix"), m.get("anything-but")) {
            (Some(Value::Bool(want)), _, _) => value.is_some_and(is_leaf) == *want,
            (_, Some(Value::String(prefix)), _) => value.and_then(Value::as_str).is_some_and(|v| v.starts_with(prefix)),
            // Present, and none of these (absent matches nothing, as in EventBridge).
            (_, _, Some(Value::Array(excluded))) => value.is_some_and(|v| !excluded.contains(v)),
            (_, _, Some(excluded @ (Value::String(_) | Value::Number(_)))) => value.is_some_and(|v| v != excluded),
            _ => false,
        },
        scalar => value == Some(scalar),
    })
}

/// Whether `value` is a leaf of the record (a scalar, or a list holding one), which is all `exists`
/// sees.
fn is_leaf(value: &Value) -> bool {
    match value {
        Value::Object(_) => false,
        Value::Array(items) => items.iter().any(|i| !i.is_object() && !i.is_array()),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_stream_function_hears_every_record_but_the_delivery_ledgers() {
        use crate::template::{BUNDLED, Template};
        let t = Template::parse(BUNDLED).unwrap();
        let stream = t.streams.iter().find(|s| s.function == "StreamFunction").expect("the stream function");
        let typed = |image: &str, kind: Option<&str>| {
            let mut img = json!({"PK": {"S": "ORG#o#X"}});
            if let Some(k) = kind {
                img["entityType"] = json!({"S": k});
            }
            let event = if image == "NewImage" { "INSERT" } else { "REMOVE" };
            json!({"eventName": event, "dynamodb": {image: img}})
        };
        let heard = |r: &Value| stream.filters.iter().any(|p| matches(p, r));
        for kind in ["campaign", "adRead", "spotClaim", "logFile"] {
            assert!(heard(&typed("NewImage", Some(kind))), "{kind}");
            assert!(heard(&typed("OldImage", Some(kind))), "{kind} removed");
        }
        assert!(heard(&typed("NewImage", None)), "an item without a type");
        assert!(heard(&typed("OldImage", None)));
        for kind in ["listenerLedger", "deliveryRollup", "listenerSecret", "deliveryEvidence"] {
            assert!(!heard(&typed("NewImage", Some(kind))), "{kind}");
            assert!(!heard(&typed("OldImage", Some(kind))), "{kind} expired");
        }
        assert!(matches(&json!({"a": [{"anything-but": "x"}]}), &json!({"a": "y"})));
        assert!(!matches(&json!({"a": [{"anything-but": "x"}]}), &json!({"a": "x"})));
        assert!(!matches(&json!({"a": [{"anything-but": ["x"]}]}), &json!({})));
    }

    #[test]
    fn exists_looks_at_leaves_as_lambda_does() {
        let typed = json!({"entityType": {"S": "campaign"}});
        // The attribute is an object: on an intermediate node `exists` sees nothing.
        assert!(matches(&json!({"entityType": [{"exists": false}]}), &typed));
        assert!(!matches(&json!({"entityType": [{"exists": true}]}), &typed));
        assert!(matches(&json!({"entityType": {"S": [{"exists": true}]}}), &typed));
        assert!(!matches(&json!({"entityType": {"S": [{"exists": false}]}}), &typed));
        assert!(matches(&json!({"entityType": {"S": [{"exists": false}]}}), &json!({"PK": {"S": "x"}})));
        assert!(!matches(&json!({"entityType": {"S": [{"exists": true}]}}), &json!({"PK": {"S": "x"}})));
        assert!(matches(&json!({"tags": [{"exists": true}]}), &json!({"tags": ["a"]})));
        assert!(!matches(&json!({"tags": [{"exists": true}]}), &json!({"tags": []})));
        assert!(!matches(&json!({"tags": [{"exists": true}]}), &json!({"tags": [{"a": 1}, [2]]})));
    }

    /// The stream function's patterns let through exactly the changes the function itself would not
    /// pass over as a restore's own (`made_by_restore`), so a restore's writes never become events
    /// (an untyped item's always come: a restore writes none).
    #[test]
    fn the_stream_functions_patterns_drop_exactly_what_the_function_passes_over_as_a_restores() {
        use chrono::Utc;
        use podcastflow_domain::backup::made_by_restore;
        use podcastflow_domain::keys::{REMOVED_BY_RESTORE, RESTORED_BY};
        use podcastflow_store::feed::ChangeKey;
        use podcastflow_store::lambda_event::to_event_record;
        use podcastflow_store::{ChangeKind, ChangeRecord, Item};

        use crate::template::{BUNDLED, Template};
        let t = Template::parse(BUNDLED).unwrap();
        let stream = t.streams.iter().find(|s| s.function == "StreamFunction").expect("the stream function");
        assert!(stream.filters.len() <= 5, "Lambda takes five patterns per event source mapping");
        // Every way an image can carry the marks: none, either, both, from one run or another.
        let marks: Vec<Vec<(&str, &str)>> = vec![
            vec![],
            vec![(RESTORED_BY, "a")],
            vec![(RESTORED_BY, "b")],
            vec![(REMOVED_BY_RESTORE, "a")],
            vec![(REMOVED_BY_RESTORE, "b")],
            vec![(RESTORED_BY, "a"), (REMOVED_BY_RESTORE, "a")],
            vec![(RESTORED_BY, "a"), (REMOVED_BY_RESTORE, "b")],
            vec![(RESTORED_BY, "b"), (REMOVED_BY_RESTORE, "b")],
        ];
        let image = |kind: Option<&str>, marks: &[(&str, &str)]| -> Item {
            let mut i = json!({"PK": "ORG#o#X", "SK": "A", "name": "n"});
            if let Some(k) = kind {
                i["entityType"] = json!(k);
            }
            for (m, v) in marks {
                i[*m] = json!(v);
            }
            i.as_object().cloned().unwrap_or_default()
        };
        let heard = |kind: ChangeKind, old: Option<Item>, new: Option<Item>| {
            let c = ChangeRecord {
                sequence: "00000000000000000001".into(),
                kind,
                key: ChangeKey { pk: "ORG#o#X".into(), sk: "A".into() },
                old_image: old,
                new_image: new,
                at: Utc::now(),
                expired: false,
            };
            let record = to_event_record(&c, "arn", "eu-west-1").unwrap();
            stream.filters.iter().any(|p| matches(p, &record))
        };
        let mut dropped = 0;
        for kind in [Some("campaign"), Some("activity"), None] {
            for before in &marks {
                let old = image(kind, before);
                let removed = heard(ChangeKind::Remove, Some(old.clone()), None);
                let passed_over = made_by_restore(Some(&old), None);
                assert_eq!(removed, !passed_over || kind.is_none(), "{kind:?} removed with {before:?}");
                dropped += usize::from(!removed);
                for after in &marks {
                    let new = image(kind, after);
                    let passed_over = made_by_restore(Some(&old), Some(&new));
                    let modified = heard(ChangeKind::Modify, Some(old.clone()), Some(new.clone()));
                    assert_eq!(
                        modified,
                        !passed_over || kind.is_none(),
                        "{kind:?} modified from {before:?} to {after:?}"
                    );
                    dropped += usize::from(!modified);
                }
            }
            for after in &marks {
                let new = image(kind, after);
                let inserted = heard(ChangeKind::Insert, None, Some(new.clone()));
                let passed_over = made_by_restore(None, Some(&new));
                assert_eq!(inserted, !passed_over || kind.is_none(), "{kind:?} inserted with {after:?}");
            }
        }
        assert!(dropped > 0);
        // The delivery ledgers stay out, marked or not.
        for ledger in ["listenerLedger", "webhookDelivery"] {
            assert!(!heard(ChangeKind::Insert, None, Some(image(Some(ledger), &[]))), "{ledger}");
            assert!(!heard(ChangeKind::Remove, Some(image(Some(ledger), &[])), None), "{ledger}");
            let (old, new) = (image(Some(ledger), &[(RESTORED_BY, "a")]), image(Some(ledger), &[(RESTORED_BY, "b")]));
            assert!(!heard(ChangeKind::Modify, Some(old), Some(new)), "{ledger}");
        }
    }

    #[test]
    fn a_probe_carries_what_the_patterns_look_at_and_matches_as_the_full_record_does() {
        use chrono::Utc;
        use podcastflow_store::feed::ChangeKey;
        use podcastflow_store::lambda_event::{probe_encoded, to_event_record};
        use podcastflow_store::{ChangeKind, ChangeRecord};

        use crate::template::{BUNDLED, Template};
        let t = Template::parse(BUNDLED).unwrap();
        let image = |kind: &str, status: &str| {
            json!({"PK": "ORG#o#X", "SK": "A", "entityType": kind, "status": status, "checkpoint": {"invocations": 1}, "big": "x".repeat(1000)})
                .as_object()
                .cloned()
                .unwrap()
        };
        let records = [
            (ChangeKind::Insert, Some(image("backup", "queued")), None, false),
            (ChangeKind::Modify, Some(image("backup", "running")), Some(image("backup", "queued")), false),
            (ChangeKind::Remove, None, Some(image("backup", "completed")), true),
            (ChangeKind::Insert, Some(image("listenerLedger", "")), None, false),
            (ChangeKind::Remove, None, Some(image("listenerLedger", "")), true),
            (ChangeKind::Insert, Some(image("campaign", "live")), None, false),
        ];
        let mut probed = 0;
        for s in &t.streams {
            let Some(attrs) = probed_attributes(&s.filters) else { continue };
            probed += 1;
            assert!(!attrs.contains("big"), "{}: {attrs:?}", s.function);
            for (kind, new_image, old_image, expired) in &records {
                let c = ChangeRecord {
                    sequence: "00000000000000000001".into(),
                    kind: *kind,
                    key: ChangeKey { pk: "ORG#o#X".into(), sk: "A".into() },
                    old_image: old_image.clone(),
                    new_image: new_image.clone(),
                    at: Utc::now(),
                    expired: *expired,
                };
                let full = to_event_record(&c, "arn", "eu-west-1").unwrap();
                let probe = probe_encoded(&serde_json::to_vec(&c).unwrap(), &attrs).unwrap();
                for p in &s.filters {
                    assert_eq!(matches(p, &probe), matches(p, &full), "{} {p} {full}", s.function);
                }
            }
        }
        assert!(probed >= 2, "the template's filtered sources are probed");
        assert_eq!(probed_attributes(&[json!({"dynamodb": {"SizeBytes": [1]}})]), None);
        // Keys are in every probe, so a pattern on them still probes.
        let on_keys = json!({"eventName": ["REMOVE"], "dynamodb": {"Keys": {"PK": {"S": [{"prefix": "ORG#"}]}}}});
        assert_eq!(probed_attributes(&[on_keys]), Some(BTreeSet::new()));
        assert_eq!(probed_attributes(&[json!({"eventSource": ["aws:dynamodb"]})]), None);
    }

    #[test]
    fn the_templates_backup_patterns_select_their_records() {
        let queued = json!({"dynamodb": {"NewImage": {"entityType": {"S": ["backup"]}, "status": {"S": ["queued"]}}}});
        let removed = json!({"eventName": ["REMOVE"], "dynamodb": {"OldImage": {"entityType": {"S": ["backup"]}}}});
        let paused =
            json!({"dynamodb": {"NewImage": {"checkpoint": {"M": {"invocations": {"N": [{"exists": true}]}}}}}});
        let record =
            |name: &str, image: Value| json!({"eventName": name, "dynamodb": {"NewImage": image, "OldImage": image}});
        let b = |status: &str| json!({"entityType": {"S": "backup"}, "status": {"S": status}});
        assert!(matches(&queued, &record("INSERT", b("queued"))));
        assert!(!matches(&queued, &record("MODIFY", b("running"))));
        assert!(!matches(
            &queued,
            &record("INSERT", json!({"entityType": {"S": "campaign"}, "status": {"S": "queued"}}))
        ));
        assert!(matches(&removed, &record("REMOVE", b("completed"))));
        assert!(!matches(&removed, &record("MODIFY", b("completed"))));
        let mut with_checkpoint = b("running");
        with_checkpoint["checkpoint"] = json!({"M": {"invocations": {"N": "1"}}});
        assert!(matches(&paused, &record("MODIFY", with_checkpoint)));
        assert!(!matches(&paused, &record("MODIFY", b("running"))));
        assert!(matches(&json!({"eventName": [{"prefix": "INS"}]}), &record("INSERT", b("x"))));
    }
}
