//! The change feed of a DynamoDB table read from DynamoDB Streams. In AWS the `stream` function
//! receives these records from Lambda; this reader serves tests and tools that follow a table
//! directly. The position is a JSON map of shard id -> last sequence number read.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use aws_sdk_dynamodbstreams::types::{OperationType, Record, ShardIteratorType};
use chrono::{DateTime, Utc};

use crate::feed::{ChangeBatch, ChangeFeed, ChangeKey, ChangeKind, ChangeRecord};
use crate::item::{self, Item};
use crate::table::StoreError;

/// Reads one table's stream.
#[derive(Clone, Debug)]
pub struct DynamoStreamFeed {
    client: Client,
    stream_arn: String,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("dynamodb streams: {e}"))
}

fn image(
    map: Option<&std::collections::HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>,
) -> Result<Option<Item>, StoreError> {
    match map {
        Some(m) if !m.is_empty() => serde_dynamo::aws_sdk_dynamodbstreams_1::from_item(m.clone())
            .map(Some)
            .map_err(|e| StoreError::Corrupt(e.to_string())),
        _ => Ok(None),
    }
}

/// A stream record as the port's change record.
pub fn to_change(r: &Record) -> Result<ChangeRecord, StoreError> {
    let sr = r.dynamodb().ok_or_else(|| StoreError::Corrupt("stream record without data".into()))?;
    let keys = image(sr.keys())?.unwrap_or_default();
    let key = item::key_of(&keys)?;
    let kind = match r.event_name() {
        Some(OperationType::Insert) => ChangeKind::Insert,
        Some(OperationType::Modify) => ChangeKind::Modify,
        Some(OperationType::Remove) => ChangeKind::Remove,
        other => {
            return Err(StoreError::Corrupt(format!("unknown stream event {other:?}")));
        }
    };
    let at = sr
        .approximate_creation_date_time()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()))
        .unwrap_or_else(Utc::now);
    let expired = r.user_identity().is_some_and(|u| u.principal_id() == Some("dynamodb.amazonaws.com"));
    Ok(ChangeRecord {
        sequence: sr.sequence_number().unwrap_or_default().to_owned(),
        kind,
        key: ChangeKey::from(&key),
        old_image: image(sr.old_image())?,
        new_image: image(sr.new_image())?,
        at,
        expired,
    })
}

impl DynamoStreamFeed {
    /// A reader of the stream with this ARN.
    pub fn new(client: Client, stream_arn: impl Into<String>) -> Self {
        Self { client, stream_arn: stream_arn.into() }
    }
}

#[async_trait]
impl ChangeFeed for DynamoStreamFeed {
    async fn read(&self, position: Option<&str>, limit: usize) -> Result<ChangeBatch, StoreError> {
        let mut seen: BTreeMap<String, String> = match position {
            Some(p) => serde_json::from_str(p).map_err(|_| StoreError::InvalidRequest("bad stream position".into()))?,
            None => BTreeMap::new(),
        };
        let desc = self
            .client
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(&e)))?;
        let mut shards: Vec<String> = desc
            .stream_description()
            .map(|d| d.shards().iter().filter_map(|s| s.shard_id().map(str::to_owned)).collect())
            .unwrap_or_default();
        shards.sort();
        let mut records = Vec::new();
        for shard in shards {
            if records.len() >= limit {
                break;
            }
            let mut it = self.client.get_shard_iterator().stream_arn(&self.stream_arn).shard_id(&shard);
            it = match seen.get(&shard) {
                Some(seq) => it.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(seq),
                None => it.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            let iterator = it.send().await.map_err(|e| unavailable(DisplayErrorContext(&e)))?.shard_iterator;
            let Some(iterator) = iterator else { continue };
            let want = i32::try_from(limit - records.len()).unwrap_or(1000).clamp(1, 1000);
            let got = self
                .client
                .get_records()
                .shard_iterator(iterator)
                .limit(want)
                .send()
                .await
                .map_err(|e| unavailable(DisplayErrorContext(&e)))?;
            for r in got.records() {
                let change = to_change(r)?;
                seen.insert(shard.clone(), change.sequence.clone());
                records.push(change);
            }
        }
        let position = (!seen.is_empty()).then(|| serde_json::to_string(&seen).unwrap_or_default());
        Ok(ChangeBatch { records, position })
    }
}
