//! Numbered documents (orders, invoices, credit notes): the next number of a series is taken in
//! the very transaction that writes the document, on the condition that the counter still holds
//! what was read. Two writers never share a number, and a transaction that fails for any other
//! reason leaves the counter as it was: no gaps. Keys in `podcastflow_domain::billing::numbering`.

use podcastflow_domain::billing::numbering::Series;
use serde_json::json;

use super::RepoError;
use crate::condition::Condition;
use crate::item;
use crate::table::{StoreError, Table, TransactOp};
use crate::tenant::TenantTable;

/// How often a writer reads the counter again after losing a number to another (each time after
/// a random pause of up to [`MAX_PAUSE`], growing from 5 ms, so a burst of writers spreads out
/// instead of colliding: 50 at once are all numbered).
pub const NUMBER_ATTEMPTS: u32 = 64;

/// The longest pause between two attempts.
pub const MAX_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// A pause anywhere from nothing to `ceiling` ("full jitter"): writers that lost together do not
/// come back together.
fn pause(ceiling: std::time::Duration) -> std::time::Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    ceiling.mul_f64(f64::from(nanos % 10_007) / 10_007.0)
}

/// Writes what `ops` makes of the next number of `series` for `year` (the counter's move goes
/// first in the transaction) and answers that number. `contended` names the conflict when
/// [`NUMBER_ATTEMPTS`] writers in a row took the number first; a refusal of one of `ops`'s own
/// conditions answers `refused()` (the document exists already, or changed since it was read).
pub async fn take_number(
    t: &TenantTable,
    series: Series,
    year: i32,
    contended: &'static str,
    refused: impl Fn() -> RepoError,
    ops: impl Fn(&str) -> Result<Vec<TransactOp>, RepoError>,
) -> Result<String, RepoError> {
    let key = series.counter_key(t.org(), year);
    for attempt in 0..NUMBER_ATTEMPTS {
        if attempt > 0 {
            let ceiling = std::time::Duration::from_millis(5 << attempt.min(6)).min(MAX_PAUSE);
            tokio::time::sleep(pause(ceiling)).await;
        }
        let last = match t.get(&key).await? {
            Some(i) => i.get("last").and_then(serde_json::Value::as_u64).unwrap_or(0),
            None => 0,
        };
        let number = series.number(year, last + 1);
        let counter = item::value_item(&key, "counter", &json!({"last": last + 1}))?;
        let as_read = if last == 0 { Condition::NotExists } else { Condition::Equals("last".into(), last.into()) };
        let mut all = vec![TransactOp::Put { item: counter, condition: as_read }];
        all.extend(ops(&number)?);
        match t.transact(all).await {
            Ok(()) => return Ok(number),
            // Another writer took the number: read the counter again.
            Err(StoreError::TransactionConflict { index: 0, .. }) => continue,
            Err(StoreError::TransactionConflict { .. }) => return Err(refused()),
            Err(e) => return Err(e.into()),
        }
    }
    Err(RepoError::Conflict(contended))
}
