//! The makegood processor: an episode cancelled gives back the spots held in it (each hold's
//! competitive category settles) and flags the order lines booked in it as owed a makegood
//! (`needsMakegood`). Idempotent: a second delivery finds nothing held and the lines flagged.

use std::collections::BTreeMap;

use chrono::Utc;
use podcastflow_domain::inventory::spot::Claim;
use podcastflow_domain::keys::org_of_pk;
use podcastflow_domain::record::RecordType;
use podcastflow_domain::{EpisodeId, OrderId, UserId};
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::inventory::InventoryRepo;
use podcastflow_store::repo::orders::OrderRepo;
use podcastflow_store::{ChangeRecord, TenantTable};
use serde_json::Value;

use crate::StreamApp;

/// Handles one change; answers how many spots it gave back or flagged.
pub(crate) async fn on_change(app: &StreamApp, change: &ChangeRecord) -> Result<u32, RepoError> {
    let (Some(before), Some(after)) = (change.old_image.as_ref(), change.new_image.as_ref()) else { return Ok(0) };
    if RecordType::of_item(after) != Some(RecordType::Episode) {
        return Ok(0);
    }
    let status = |i: &podcastflow_store::Item| i.get("status").and_then(Value::as_str).map(str::to_owned);
    if status(after).as_deref() != Some("cancelled") || status(before).as_deref() == Some("cancelled") {
        return Ok(0);
    }
    let Some(org) = org_of_pk(&change.key.pk) else { return Ok(0) };
    let Some(episode) = after.get("id").and_then(Value::as_str).and_then(|s| s.parse::<EpisodeId>().ok()) else {
        return Ok(0);
    };
    let by: UserId =
        after.get("updatedBy").and_then(Value::as_str).and_then(|s| s.parse().ok()).unwrap_or(UserId::SYSTEM);
    let t = TenantTable::new(app.ctx.tenants.for_org(&org), org, app.ctx.cursors.as_ref().clone());
    let inventory = InventoryRepo::new(&t);
    let now = Utc::now();
    let mut done = 0;
    let mut owed: BTreeMap<OrderId, Vec<u32>> = BTreeMap::new();
    // Each hold read once, however many of the episode's spots it holds (its record's later
    // versions are read again by `release_spot` when it finds the record moved).
    let mut holds = BTreeMap::new();
    for c in inventory.episode_claims(&episode).await? {
        match &c.claim {
            Claim::Held { hold_id, campaign_id, .. } => {
                if !holds.contains_key(hold_id) {
                    holds.insert(*hold_id, inventory.hold(campaign_id, hold_id).await?);
                }
                if let Some(Some(hold)) = holds.get(hold_id) {
                    inventory.release_spot(hold, &c.spot, now).await?;
                    done += 1;
                }
            }
            Claim::Booked { order_id, line, .. } => owed.entry(*order_id).or_default().push(*line),
            Claim::Blocked { .. } => {}
        }
    }
    let orders = OrderRepo::new(&t);
    for (order, lines) in owed {
        if orders.flag_makegoods(&order, &lines, by, now).await? {
            done += lines.len() as u32;
        }
    }
    if done > 0 {
        tracing::info!(%episode, done, "a cancelled episode's spots given back and flagged");
    }
    Ok(done)
}
