//! Change records as Lambda receives them from DynamoDB Streams, and back. The local stack
//! delivers the embedded feed with [`to_stream_event`]; the `stream` function reads either source
//! with [`from_event_record`].

use aws_lambda_events::dynamodb::EventRecord;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::feed::{ChangeKey, ChangeKind, ChangeRecord};
use crate::item::{self, Item};
use crate::table::StoreError;

/// The principal DynamoDB names when its TTL process deletes an item.
pub const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

fn to_dynamo_json(item: &Item) -> Result<Value, StoreError> {
    let ddb: serde_dynamo::Item = serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    serde_json::to_value(ddb).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_dynamo(ddb: &serde_dynamo::Item) -> Result<Option<Item>, StoreError> {
    if ddb.is_empty() {
        return Ok(None);
    }
    serde_dynamo::from_item(ddb.clone()).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The parts of one stream record that event filtering looks at: its event name, keys, the
/// TTL identity, and of each image only `attributes`; what a full record would show of them.
/// Building this instead of [`to_event_record`] keeps a filtered-out record cheap.
pub fn probe_record(c: &ChangeRecord, attributes: &std::collections::BTreeSet<String>) -> Result<Value, StoreError> {
    let only = |image: &Item| -> Item {
        attributes.iter().filter_map(|a| image.get(a).map(|v| (a.clone(), v.clone()))).collect()
    };
    let keys = item::key_item(&podcastflow_domain::keys::Key::new(c.key.pk.clone(), c.key.sk.clone()));
    let mut dynamodb = json!({ "Keys": to_dynamo_json(&keys)? });
    if let Some(n) = &c.new_image {
        dynamodb["NewImage"] = to_dynamo_json(&only(n))?;
    }
    if let Some(o) = &c.old_image {
        dynamodb["OldImage"] = to_dynamo_json(&only(o))?;
    }
    let mut record = json!({ "eventName": event_name(c.kind), "dynamodb": dynamodb });
    if c.expired {
        record["userIdentity"] = json!({"type": "Service", "principalId": TTL_PRINCIPAL});
    }
    Ok(record)
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
    let keys = item::key_item(&podcastflow_domain::keys::Key::new(c.key.pk.clone(), c.key.sk.clone()));
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": c.at.timestamp() as f64,
        "Keys": to_dynamo_json(&keys)?,
        "SequenceNumber": c.sequence,
        "SizeBytes": serde_json::to_vec(&c.new_image.as_ref().or(c.old_image.as_ref())).map(|v| v.len()).unwrap_or(0),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(n) = &c.new_image {
        dynamodb["NewImage"] = to_dynamo_json(n)?;
    }
    if let Some(o) = &c.old_image {
        dynamodb["OldImage"] = to_dynamo_json(o)?;
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
                           "budget": {"amount": 1000, "currency": "USD"}, "tags": ["a"], "archived": false, "note": null});
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
