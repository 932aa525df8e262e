//! A makegood's replacement: the same campaign holds a spot on the show's next episode that has
//! one free (the read's position first, else any), at no charge, linked to the line it
//! replaces, under the usual rules (competitive separation, the organization's hold time).

use chrono::{DateTime, Days, Utc};
use podcastflow_domain::ad_read::AdRead;
use podcastflow_domain::inventory::hold::{self, HeldCategory, HeldSpot, Hold, HoldStatus, MakegoodOf};
use podcastflow_domain::inventory::placement::{Amount, Bidder, PlacementMode, Plan, place};
use podcastflow_domain::inventory::separation::{SeparationMode, category_of};
use podcastflow_domain::inventory::spot::{SpotPrice, SpotRef};
use podcastflow_domain::{Currency, HoldId, Money, Principal, Stamp};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::inventory::{HoldCommitError, InventoryRepo};
use podcastflow_store::repo::orders::OrderRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::shows::ShowRepo;

use crate::AdReadsApp;

/// How far ahead of the missed air date a replacement is looked for.
const LOOK_AHEAD_DAYS: u64 = 180;
/// Placements tried when another hold wins the chosen spot first.
const ATTEMPTS: u32 = 3;

impl AdReadsApp {
    /// Holds a replacement for `read` on the next episode of its show with a free spot, and
    /// answers the hold and the spot; `None` when no episode within [`LOOK_AHEAD_DAYS`] has one.
    pub(crate) async fn replacement(
        &self,
        t: &TenantTable,
        p: &Principal,
        read: &AdRead,
        now: DateTime<Utc>,
    ) -> Result<Option<(HoldId, SpotRef)>, RepoError> {
        let Some(show) = ShowRepo::new(t).get(&read.show_id).await? else { return Ok(None) };
        let table = self.ctx.org_table(&p.org_id);
        let settings = OrganizationRepo::new(table.as_ref(), &self.ctx.cursors)
            .get(&p.org_id)
            .await?
            .map(|o| o.settings)
            .unwrap_or_default();
        let currency = OrderRepo::new(t).get(&read.order_id).await?.map_or(Currency::USD, |o| o.currency);
        let category = ClientRepo::new(t)
            .get(&read.advertiser_id)
            .await?
            .and_then(|c| c.competitive_category.as_deref().and_then(category_of));
        let from = read.air_date + Days::new(1);
        let to = read.air_date + Days::new(LOOK_AHEAD_DAYS);
        let plan = Plan {
            positions: vec![read.spot.position],
            amount: Amount::Total(1),
            weekdays: Vec::new(),
            max_per_show_per_day: None,
            mode: PlacementMode::FillAnywhere,
        };
        let bidder =
            Bidder { campaign: read.campaign_id, advertiser: read.advertiser_id, category: category.as_deref() };
        for _ in 0..ATTEMPTS {
            let episodes = InventoryRepo::new(t).show_inventory(&show, from, to).await?;
            let categories = InventoryRepo::new(t).categories_present(&episodes, now).await?;
            let placement = place(&plan, &episodes, bidder, &categories, settings.separation, now);
            let Some(spot) = placement.spots.first().copied() else { return Ok(None) };
            let Some(air_date) = episodes.iter().find(|e| e.episode_id == spot.episode_id).map(|e| e.air_date) else {
                return Ok(None);
            };
            let h = Hold {
                id: HoldId::new(),
                org_id: p.org_id,
                campaign_id: read.campaign_id,
                advertiser_id: read.advertiser_id,
                spots: vec![HeldSpot {
                    spot,
                    show_id: read.show_id,
                    air_date,
                    // A makegood is owed: the replacement costs nothing.
                    price: SpotPrice { cpm: None, flat: Some(Money::new(0, currency)) },
                }],
                expires_at: hold::expiry(now, settings.hold_hours),
                extensions: 0,
                status: HoldStatus::Active,
                override_reason: None,
                separation: category
                    .clone()
                    .filter(|_| settings.separation.mode == SeparationMode::Block)
                    .map(|category| HeldCategory { scope: settings.separation.scope, category }),
                expiry_notice_for: None,
                makegood_for: Some(MakegoodOf { order_id: read.order_id, line: read.line, ad_read_id: read.id }),
                stamp: Stamp::created(p.user_id, now),
            };
            match InventoryRepo::new(t).commit_hold(&h, now).await {
                Ok(()) => return Ok(Some((h.id, spot))),
                Err(HoldCommitError::Taken(_) | HoldCommitError::Competitive(_)) => continue,
                Err(HoldCommitError::Repo(e)) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Releases the replacement hold `hold` made for `read` when the read's move did not happen.
    pub(crate) async fn give_back(
        &self,
        t: &TenantTable,
        p: &Principal,
        read: &AdRead,
        hold: HoldId,
        now: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let inventory = InventoryRepo::new(t);
        let Some(h) = inventory.hold(&read.campaign_id, &hold).await? else { return Ok(()) };
        let mut released = h.clone();
        released.status = HoldStatus::Released;
        released.stamp = h.stamp.touched(p.user_id, now);
        inventory.release_hold(&released, h.stamp.version, now).await
    }
}
