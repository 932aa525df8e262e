//! Change records as Lambda receives them from DynamoDB Streams, and back. The local stack
//! delivers the embedded feed with [`to_stream_event`]; the `stream` function reads either source
//! with [`from_event_record`].

use std::collections::BTreeSet;

use aws_lambda_events::dynamodb::EventRecord;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};

use crate::feed::{ChangeKey, ChangeKind, ChangeRecord};
use crate::item::{self, Item};
use crate::table::StoreError;

/// The principal DynamoDB names when its TTL process deletes an item.
pub const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

/// A JSON value as a DynamoDB attribute value in the streams' JSON, as serde_dynamo writes it
/// (lists as `L`, objects as `M`, numbers as `N` strings), without its intermediate types: the
/// local stack converts every change it delivers.
fn attribute(v: &Value) -> Value {
    let typed = |t: &str, v: Value| {
        let mut m = serde_json::Map::with_capacity(1);
        m.insert(t.to_owned(), v);
        Value::Object(m)
    };
    match v {
        Value::Null => typed("NULL", Value::Bool(true)),
        Value::Bool(b) => typed("BOOL", Value::Bool(*b)),
        Value::Number(n) => typed("N", Value::String(n.to_string())),
        Value::String(s) => typed("S", Value::String(s.clone())),
        Value::Array(items) => typed("L", Value::Array(items.iter().map(attribute).collect())),
        Value::Object(m) => typed("M", Value::Object(m.iter().map(|(k, v)| (k.clone(), attribute(v))).collect())),
    }
}

/// An item (or some of its attributes) as a stream image.
fn image<'a>(attributes: impl Iterator<Item = (&'a String, &'a Value)>) -> Value {
    Value::Object(attributes.map(|(k, v)| (k.clone(), attribute(v))).collect())
}

fn keys_image(key: &ChangeKey) -> Value {
    let mut keys = serde_json::Map::with_capacity(2);
    keys.insert(podcastflow_domain::keys::PK.to_owned(), json!({ "S": key.pk }));
    keys.insert(podcastflow_domain::keys::SK.to_owned(), json!({ "S": key.sk }));
    Value::Object(keys)
}

fn from_dynamo(ddb: &serde_dynamo::Item) -> Result<Option<Item>, StoreError> {
    if ddb.is_empty() {
        return Ok(None);
    }
    serde_dynamo::from_item(ddb.clone()).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The parts of one stream record that event filtering looks at, read from the record as the
/// embedded feed stores it: its event name, keys, the TTL identity, and of each image only
/// `attributes` (the rest is skipped over, never built); what a full record would show of them.
/// The local stack probes every change for every filtered subscription, and most are filtered
/// out, so a filtered-out record is never decoded or converted whole.
pub fn probe_encoded(bytes: &[u8], attributes: &BTreeSet<String>) -> Result<Value, StoreError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let p = RecordSeed(attributes).deserialize(&mut de).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let kind = p.kind.ok_or_else(|| StoreError::Corrupt("a change record without its kind".into()))?;
    let key = p.key.ok_or_else(|| StoreError::Corrupt("a change record without its key".into()))?;
    let whole = |i: Item| image(i.iter());
    Ok(probe(kind, &key, p.old_image.map(whole), p.new_image.map(whole), p.expired))
}

/// What [`probe_encoded`] reads of a stored change record.
#[derive(Default)]
struct Probed {
    kind: Option<ChangeKind>,
    key: Option<ChangeKey>,
    old_image: Option<Item>,
    new_image: Option<Item>,
    expired: bool,
}

/// Reads a stored [`ChangeRecord`] into [`Probed`], its images through [`ImageSeed`].
struct RecordSeed<'a>(&'a BTreeSet<String>);

/// Reads an image keeping only the named attributes.
struct ImageSeed<'a>(&'a BTreeSet<String>);

/// A map key, borrowed from the input where it has no escapes.
struct Name<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Probed;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Probed, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Probed;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a change record")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probed, A::Error> {
        let mut p = Probed::default();
        while let Some(Name(field)) = map.next_key::<Name>()? {
            match field.as_ref() {
                "kind" => p.kind = Some(map.next_value()?),
                "key" => p.key = Some(map.next_value()?),
                "oldImage" => p.old_image = map.next_value_seed(ImageSeed(self.0))?,
                "newImage" => p.new_image = map.next_value_seed(ImageSeed(self.0))?,
                "expired" => p.expired = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(p)
    }
}

impl<'de> DeserializeSeed<'de> for ImageSeed<'_> {
    type Value = Option<Item>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Item>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ImageSeed<'_> {
    type Value = Option<Item>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an item image")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Option<Item>, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<Item>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Item>, D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Item>, A::Error> {
        let mut kept = Item::new();
        while let Some(Name(name)) = map.next_key::<Name>()? {
            if self.0.contains(name.as_ref()) {
                kept.insert(name.into_owned(), map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Some(kept))
    }
}

fn probe(kind: ChangeKind, key: &ChangeKey, old: Option<Value>, new: Option<Value>, expired: bool) -> Value {
    let mut dynamodb = json!({ "Keys": keys_image(key) });
    if let Some(n) = new {
        dynamodb["NewImage"] = n;
    }
    if let Some(o) = old {
        dynamodb["OldImage"] = o;
    }
    let mut record = json!({ "eventName": event_name(kind), "dynamodb": dynamodb });
    if expired {
        record["userIdentity"] = json!({"type": "Service", "principalId": TTL_PRINCIPAL});
    }
    record
}

fn event_name(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Insert => "INSERT",
        ChangeKind::Modify => "MODIFY",
        ChangeKind::Remove => "REMOVE",
    }
}

/// The JSON of one stream record, exactly as Lambda's DynamoDB event source sends it.
pub fn to_event_record(c: &ChangeRecord, stream_arn: &str, region: &str) -> Result<Value, StoreError> {
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": c.at.timestamp() as f64,
        "Keys": keys_image(&c.key),
        "SequenceNumber": c.sequence,
        "SizeBytes": serde_json::to_vec(&c.new_image.as_ref().or(c.old_image.as_ref())).map(|v| v.len()).unwrap_or(0),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(n) = &c.new_image {
        dynamodb["NewImage"] = image(n.iter());
    }
    if let Some(o) = &c.old_image {
        dynamodb["OldImage"] = image(o.iter());
    }
    let name = event_name(c.kind);
    let mut record = json!({
        "eventID": format!("{}-{}", c.sequence, name.to_lowercase()),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    });
    if c.expired {
        record["userIdentity"] = json!({"type": "Service", "principalId": TTL_PRINCIPAL});
    }
    Ok(record)
}

/// A whole stream event (`{"Records": [...]}`) for a batch of change records.
pub fn to_stream_event(records: &[ChangeRecord], stream_arn: &str, region: &str) -> Result<Value, StoreError> {
    let records = records.iter().map(|r| to_event_record(r, stream_arn, region)).collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "Records": records }))
}

/// A stream record received by a Lambda function, as a change record.
pub fn from_event_record(r: &EventRecord) -> Result<ChangeRecord, StoreError> {
    let kind = match r.event_name.as_str() {
        "INSERT" => ChangeKind::Insert,
        "MODIFY" => ChangeKind::Modify,
        "REMOVE" => ChangeKind::Remove,
        other => return Err(StoreError::Corrupt(format!("unknown stream event {other}"))),
    };
    let keys = from_dynamo(&r.change.keys)?.unwrap_or_default();
    let key = item::key_of(&keys)?;
    let at: DateTime<Utc> = r.change.approximate_creation_date_time;
    Ok(ChangeRecord {
        sequence: r.change.sequence_number.clone().unwrap_or_default(),
        kind,
        key: ChangeKey::from(&key),
        old_image: from_dynamo(&r.change.old_image)?,
        new_image: from_dynamo(&r.change.new_image)?,
        at,
        expired: r.user_identity.as_ref().is_some_and(|u| u.principal_id == TTL_PRINCIPAL),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::dynamodb::Event;

    fn record(kind: ChangeKind, old: Option<Value>, new: Option<Value>, expired: bool) -> ChangeRecord {
        let obj = |v: Value| v.as_object().cloned().unwrap_or_default();
        ChangeRecord {
            sequence: "00000000000000000042".into(),
            kind,
            key: ChangeKey { pk: "ORG#o#CAMPAIGN#c".into(), sk: "PROFILE".into() },
            old_image: old.map(obj),
            new_image: new.map(obj),
            at: DateTime::from_timestamp(1_795_145_877, 0).unwrap_or_default(),
            expired,
        }
    }

    #[test]
    fn records_survive_the_trip_through_a_lambda_event() {
        let image = json!({"PK": "ORG#o#CAMPAIGN#c", "SK": "PROFILE", "name": "Spring", "version": 3,
                           "budget": {"amount": 1000, "currency": "USD"}, "tags": ["a"], "archived": false, "note": null,
                           "rate": 12.5, "lines": [{"spots": [1, 2], "at": null}], "empty": {}, "none": []});
        let cases = vec![
            record(ChangeKind::Insert, None, Some(image.clone()), false),
            record(ChangeKind::Modify, Some(image.clone()), Some(image.clone()), false),
            record(ChangeKind::Remove, Some(image), None, true),
        ];
        let event = to_stream_event(&cases, "arn:aws:dynamodb:us-east-1:0:table/t/stream/x", "us-east-1").unwrap();
        // What a function in AWS does with the payload: deserialize it with aws_lambda_events.
        let parsed: Event = serde_json::from_value(event.clone()).unwrap();
        let back: Vec<ChangeRecord> = parsed.records.iter().map(|r| from_event_record(r).unwrap()).collect();
        assert_eq!(back, cases);
        assert_eq!(event["Records"][0]["dynamodb"]["NewImage"]["name"], json!({"S": "Spring"}));
        assert_eq!(event["Records"][0]["dynamodb"]["NewImage"]["version"], json!({"N": "3"}));
        assert_eq!(event["Records"][2]["userIdentity"]["type"], "Service");
        assert!(event["Records"][0].get("userIdentity").is_none());
    }
}
