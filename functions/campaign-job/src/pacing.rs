//! The daily pacing pass: once a day, at [`PACING_HOUR`] in the organization's time zone, every
//! booked order's lines are paced against their impressions so far, and a line behind past a
//! quarter of its flight (or over a capped goal) raises a pacing alert
//! (`podcastflow_domain::delivery::alerts`), whose record tells the campaign's people through the
//! change stream. An alert's key is per line and day, so a second run the same day raises none.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};
use podcastflow_domain::delivery::alerts::alerts_for;
use podcastflow_domain::delivery::pacing::ACCRUAL_DAYS;
use podcastflow_domain::order::{Order, OrderStatus};
use podcastflow_domain::{CampaignId, OrderId};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::delivery::DeliveryRepo;
use podcastflow_store::repo::orders::OrderRepo;

/// The local hour the pass runs at.
pub const PACING_HOUR: u32 = 7;

/// Paces every booked order of `t`'s organization on `today`; the alerts raised.
pub async fn pace(t: &TenantTable, today: NaiveDate) -> Result<u32, RepoError> {
    let orders = OrderRepo::new(t);
    let repo = DeliveryRepo::new(t);
    let mut delivered: HashMap<CampaignId, BTreeMap<(OrderId, u32), u64>> = HashMap::new();
    let mut raised = 0;
    let mut cursor = None;
    loop {
        let page = orders.list(cursor.as_deref(), 100).await?;
        for o in page.items.iter().filter(|o| in_flight(o, today)) {
            if let Entry::Vacant(slot) = delivered.entry(o.campaign_id) {
                let since = today - Duration::days(ACCRUAL_DAYS);
                let mut by_line = BTreeMap::new();
                for d in repo.campaign_days(&o.campaign_id, since, today).await? {
                    *by_line.entry((d.order_id, d.line)).or_default() += d.impressions;
                }
                slot.insert(by_line);
            }
            let lines: BTreeMap<u32, u64> = delivered
                .get(&o.campaign_id)
                .into_iter()
                .flatten()
                .filter(|((order, _), _)| *order == o.id)
                .map(|((_, line), n)| (*line, *n))
                .collect();
            for alert in alerts_for(o, &lines, today) {
                if repo.raise_alert(&alert).await? {
                    raised += 1;
                }
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(raised),
        }
    }
}

/// Whether `o` has a line whose flight runs on `today` (only those are paced).
fn in_flight(o: &Order, today: NaiveDate) -> bool {
    matches!(o.status, OrderStatus::Booked | OrderStatus::Completed)
        && o.lines.iter().any(|l| l.air_date <= today && today < l.air_date + Duration::days(ACCRUAL_DAYS))
}
