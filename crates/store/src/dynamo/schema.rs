//! Creates the single table with its GSIs, stream and TTL: for tests, the local stack pointed at
//! a DynamoDB-compatible server, and first deployments outside CloudFormation.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus, TimeToLiveSpecification,
};
use podcastflow_domain::keys::{self, Index};

use crate::table::StoreError;

fn key_schema(pk: &str, sk: &str) -> Result<Vec<KeySchemaElement>, StoreError> {
    let build = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(|e| StoreError::InvalidRequest(e.to_string()))
    };
    Ok(vec![build(pk, KeyType::Hash)?, build(sk, KeyType::Range)?])
}

/// Creates the table if it does not exist, waits until it is active, and enables TTL on
/// `expiresAt`. Safe to call again on an existing table.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let mut attributes = Vec::new();
    for index in Index::ALL {
        let (p, s) = index.attributes();
        for a in [p, s] {
            attributes.push(
                AttributeDefinition::builder()
                    .attribute_name(a)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| StoreError::InvalidRequest(e.to_string()))?,
            );
        }
    }
    let mut gsis = Vec::new();
    for index in Index::SECONDARY {
        let (p, s) = index.attributes();
        gsis.push(
            GlobalSecondaryIndex::builder()
                .index_name(index.name().unwrap_or_default())
                .set_key_schema(Some(key_schema(p, s)?))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(|e| StoreError::InvalidRequest(e.to_string()))?,
        );
    }
    let created = client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(keys::PK, keys::SK)?))
        .set_global_secondary_indexes(Some(gsis))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .map_err(|e| StoreError::InvalidRequest(e.to_string()))?,
        )
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceInUseException") => {}
        Err(e) => {
            return Err(StoreError::Unavailable(format!(
                "create table: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            )));
        }
    }
    for _ in 0..120 {
        let d = client.describe_table().table_name(name).send().await.map_err(|e| {
            StoreError::Unavailable(format!("describe table: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))
        })?;
        if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let ttl = client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(keys::EXPIRES_AT)
                .build()
                .map_err(|e| StoreError::InvalidRequest(e.to_string()))?,
        )
        .send()
        .await;
    match ttl {
        Ok(_) => Ok(()),
        // Enabling TTL twice is refused; the table is as wanted.
        Err(e) if e.code() == Some("ValidationException") => Ok(()),
        Err(e) => {
            Err(StoreError::Unavailable(format!("enable TTL: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e))))
        }
    }
}
