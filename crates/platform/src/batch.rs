//! The partial batch response of stream-triggered functions (`ReportBatchItemFailures`): Lambda
//! delivers the batch again from the first failed record, so nothing after it is lost.

use serde::Serialize;

/// What a stream function answers for a batch.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    /// The first record to deliver again, when one failed.
    pub batch_item_failures: Vec<ItemFailure>,
}

/// One record to deliver again.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    /// Its sequence number.
    pub item_identifier: String,
}

impl BatchResponse {
    /// Every record done.
    pub fn done() -> Self {
        Self::default()
    }

    /// Deliver again from the record with `sequence`.
    pub fn retry_from(sequence: String) -> Self {
        Self { batch_item_failures: vec![ItemFailure { item_identifier: sequence }] }
    }
}
