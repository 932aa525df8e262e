//! The DynamoDB adapter: the Table port on aws-sdk-dynamodb, items converted by serde_dynamo.
//! Typed conditions and updates are compiled to expressions in [`expr`], the only place that
//! writes DynamoDB expression strings. There is no Scan here.

pub mod expr;
pub mod schema;
pub mod stream;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, DeleteRequest, KeysAndAttributes, Put, PutRequest, ReturnValue,
    TransactWriteItem, Update as DynamoUpdate, WriteRequest,
};
use podcastflow_domain::keys::{Index, Key};

use crate::condition::{Condition, Update};
use crate::item::{self, Item, StoredItem};
use crate::table::{Query, QueryOutput, StoreError, Table, TransactOp, check_transaction, dedupe};
use expr::Expr;

/// Most keys one BatchGetItem call takes.
const BATCH_GET_MAX: usize = 100;
/// Most writes per BatchWriteItem.
const BATCH_WRITE_MAX: usize = 25;
/// Attempts at unprocessed batch keys before giving up as throttled.
const BATCH_RETRIES: u32 = 8;

/// Waits before sending again what a batch call left unprocessed: exponential backoff, as AWS
/// recommends; `Throttled` once [`BATCH_RETRIES`] waits were not enough.
async fn backoff(attempt: &mut u32) -> Result<(), StoreError> {
    *attempt += 1;
    if *attempt > BATCH_RETRIES {
        return Err(StoreError::Throttled);
    }
    tokio::time::sleep(Duration::from_millis(25 << (*attempt).min(6))).await;
    Ok(())
}

/// The single table in DynamoDB.
#[derive(Clone, Debug)]
pub struct DynamoTable {
    client: Client,
    table: String,
}

fn to_av_map(item: &Item) -> Result<HashMap<String, AttributeValue>, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(item).map_err(|e| StoreError::InvalidRequest(e.to_string()))
}

fn from_av_map(map: HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::from_item(map).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn key_map(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (podcastflow_domain::keys::PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (podcastflow_domain::keys::SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::InvalidRequest(e.to_string())
}

/// Maps an SDK failure to the port's error; `key` names the item of a conditional write.
fn map_err<E, R>(e: SdkError<E, R>, key: Option<&Key>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if matches!(e, SdkError::TimeoutError(_)) {
        return StoreError::Timeout;
    }
    match (e.code(), key) {
        (Some("ConditionalCheckFailedException"), Some(k)) => StoreError::ConditionFailed { key: k.clone() },
        (Some("ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded"), _) => {
            StoreError::Throttled
        }
        (Some("TransactionConflictException" | "TransactionInProgressException"), _) => {
            StoreError::TransactionContention
        }
        (Some("AccessDeniedException"), _) => {
            StoreError::AccessDenied(e.message().unwrap_or("access denied").to_owned())
        }
        (Some("ValidationException"), _) => {
            StoreError::InvalidRequest(e.message().unwrap_or("validation failed").to_owned())
        }
        _ => StoreError::Unavailable(DisplayErrorContext(&e).to_string()),
    }
}

impl DynamoTable {
    /// The adapter on a client (built once at init) and a table name.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// The table name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The ARN of the table's current stream, if streams are enabled.
    pub async fn stream_arn(&self) -> Result<Option<String>, StoreError> {
        let d = self.client.describe_table().table_name(&self.table).send().await.map_err(|e| map_err(e, None))?;
        Ok(d.table().and_then(|t| t.latest_stream_arn()).map(str::to_owned))
    }

    fn transact_item(&self, op: TransactOp) -> Result<TransactWriteItem, StoreError> {
        let mut e = Expr::new();
        let b = TransactWriteItem::builder();
        Ok(match op {
            TransactOp::Put { item, condition } => {
                let c = e.condition(&condition)?;
                b.put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_av_map(&item::with_tenant_index(item))?))
                        .set_condition_expression(c)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .build()
                        .map_err(build_err)?,
                )
                .build()
            }
            TransactOp::Update { key, update, condition } => {
                let u = e.update(&update)?;
                let c = e.condition(&condition)?;
                b.update(
                    DynamoUpdate::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(&key)))
                        .update_expression(u)
                        .set_condition_expression(c)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .build()
                        .map_err(build_err)?,
                )
                .build()
            }
            TransactOp::Delete { key, condition } => {
                let c = e.condition(&condition)?;
                b.delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(&key)))
                        .set_condition_expression(c)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .build()
                        .map_err(build_err)?,
                )
                .build()
            }
            TransactOp::Check { key, condition } => {
                // DynamoDB needs an expression on a check; Always becomes "exists or not".
                let c = e.condition(&condition)?.unwrap_or_else(|| {
                    let pk = e.name(podcastflow_domain::keys::PK);
                    format!("attribute_exists({pk}) OR attribute_not_exists({pk})")
                });
                b.condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(&key)))
                        .condition_expression(c)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .build()
                        .map_err(build_err)?,
                )
                .build()
            }
        })
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| map_err(e, None))?;
        out.item.map(from_av_map).transpose()
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        let key = item::key_of(&item)?;
        let item = item::with_tenant_index(item);
        let mut e = Expr::new();
        let c = e.condition(&condition)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_av_map(&item)?))
            .set_condition_expression(c)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await
            .map_err(|e| map_err(e, Some(&key)))?;
        Ok(())
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        let mut e = Expr::new();
        let u = e.update(&update)?;
        let c = e.condition(&condition)?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .update_expression(u)
            .set_condition_expression(c)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| map_err(e, Some(key)))?;
        from_av_map(out.attributes.unwrap_or_default())
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        let mut e = Expr::new();
        let c = e.condition(&condition)?;
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .set_condition_expression(c)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| map_err(e, Some(key)))?;
        out.attributes.filter(|a| !a.is_empty()).map(from_av_map).transpose()
    }

    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        if query.limit == 0 {
            return Ok(QueryOutput::default());
        }
        let mut e = Expr::new();
        let kc = e.key_condition(query.index, &query.partition, query.sort.as_ref())?;
        let start = query.start_after.as_ref().map(to_av_map).transpose()?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.name().map(str::to_owned))
            .key_condition_expression(kc)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .scan_index_forward(query.forward)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .consistent_read(query.index == Index::Main)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| map_err(e, None))?;
        let items = out.items.unwrap_or_default().into_iter().map(StoredItem::dynamo).collect();
        let last_key = out.last_evaluated_key.filter(|k| !k.is_empty()).map(from_av_map).transpose()?;
        Ok(QueryOutput { items, last_key })
    }

    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        check_transaction(&ops)?;
        let keys = ops.iter().map(TransactOp::key).collect::<Result<Vec<_>, _>>()?;
        let items = ops.into_iter().map(|op| self.transact_item(op)).collect::<Result<Vec<_>, _>>()?;
        let result = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if let SdkError::ServiceError(se) = &err
            && let TransactWriteItemsError::TransactionCanceledException(t) = se.err()
        {
            let reasons = t.cancellation_reasons();
            if let Some(index) = reasons.iter().position(|r| r.code() == Some("ConditionalCheckFailed")) {
                return Err(StoreError::TransactionConflict { index, key: keys[index].clone() });
            }
            if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
                return Err(StoreError::TransactionContention);
            }
            if reasons.iter().any(|r| matches!(r.code(), Some("ThrottlingError" | "ProvisionedThroughputExceeded"))) {
                return Err(StoreError::Throttled);
            }
            return Err(StoreError::InvalidRequest(format!(
                "transaction cancelled: {}",
                reasons.iter().map(|r| r.message().unwrap_or(r.code().unwrap_or("?"))).collect::<Vec<_>>().join("; ")
            )));
        }
        Err(map_err(err, None))
    }

    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        let mut requests = Vec::with_capacity(puts.len() + deletes.len());
        for item in puts {
            let put = PutRequest::builder()
                .set_item(Some(to_av_map(&item::with_tenant_index(item))?))
                .build()
                .map_err(build_err)?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        for key in &deletes {
            let delete = DeleteRequest::builder().set_key(Some(key_map(key))).build().map_err(build_err)?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        for chunk in requests.chunks(BATCH_WRITE_MAX) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            loop {
                let resp = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| map_err(e, None))?;
                match resp.unprocessed_items.and_then(|mut u| u.remove(&self.table)).filter(|r| !r.is_empty()) {
                    None => break,
                    Some(rest) => {
                        backoff(&mut attempt).await?;
                        pending = rest;
                    }
                }
            }
        }
        Ok(())
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in dedupe(keys).chunks(BATCH_GET_MAX) {
            let mut pending = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(key_map).collect()))
                .consistent_read(true)
                .build()
                .map_err(build_err)?;
            let mut attempt = 0;
            loop {
                let resp = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| map_err(e, None))?;
                for item in resp.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                    out.push(from_av_map(item)?);
                }
                match resp.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys().is_empty()) {
                    None => break,
                    Some(rest) => {
                        backoff(&mut attempt).await?;
                        pending = rest;
                    }
                }
            }
        }
        Ok(out)
    }
}
