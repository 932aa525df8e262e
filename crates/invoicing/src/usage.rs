//! What the store knows of an order's lines for one billing month
//! (`podcastflow_domain::billing::usage::UsageFacts`): which of its episodes were published, its
//! host reads' statuses, its impressions per line and day up to the month's end, and what its
//! earlier invoices billed of each line.

use std::collections::BTreeMap;

use podcastflow_domain::EpisodeId;
use podcastflow_domain::billing::period::Period;
use podcastflow_domain::billing::usage::UsageFacts;
use podcastflow_domain::order::Order;
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::billing::BillingRepo;
use podcastflow_store::repo::delivery::DeliveryRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;

/// The facts of `order`'s lines for `period`: reads bounded by the order's size (its episodes in
/// one batch read, its reads, its campaign's rollups from its first air date to the period's
/// end, its invoices).
pub async fn gather(t: &TenantTable, order: &Order, period: Period) -> Result<UsageFacts, RepoError> {
    let episodes: Vec<EpisodeId> = order.lines.iter().map(|l| l.spot.episode_id).collect();
    let mut facts =
        UsageFacts { published: EpisodeRepo::new(t).published_among(&episodes).await?, ..UsageFacts::default() };
    facts.reads = AdReadRepo::new(t).of_order(&order.id).await?.into_iter().map(|r| (r.line, r.status)).collect();
    if let Some(first) = order.lines.iter().map(|l| l.air_date).min()
        && first <= period.end
    {
        let days = DeliveryRepo::new(t).campaign_days(&order.campaign_id, first, period.end).await?;
        facts.delivered =
            days.into_iter().filter(|d| d.order_id == order.id).map(|d| (d.line, d.day, d.impressions)).collect();
    }
    let mut billed: BTreeMap<u32, i64> = BTreeMap::new();
    for i in BillingRepo::new(t).of_order(&order.id).await? {
        // Only months before this one: a month is billed once, and its own draft is being made.
        if i.period.end < period.start {
            for (line, amount) in i.billed_by_line() {
                *billed.entry(line).or_insert(0) += amount;
            }
        }
    }
    facts.billed_before = billed;
    Ok(facts)
}
