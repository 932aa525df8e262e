//! Claims for the inventory's tests.

use chrono::{DateTime, Utc};

use super::avails::EpisodeInventory;
use super::spot::{Claim, SpotClaim, SpotPrice, SpotRef};
use crate::campaign::Position;
use crate::{CampaignId, ClientId, HoldId, OrderId, OrgId};

/// `claim` on spot `position`-`index` of `e`.
pub fn claim_on(e: &EpisodeInventory, position: Position, index: u8, claim: Claim) -> SpotClaim {
    SpotClaim {
        org_id: OrgId::new(),
        show_id: e.show_id,
        air_date: e.air_date,
        spot: SpotRef { episode_id: e.episode_id, position, index },
        claim,
        at: Utc::now(),
    }
}

/// Held by `campaign` of `advertiser` until `until`.
pub fn held(campaign: CampaignId, advertiser: ClientId, until: DateTime<Utc>) -> Claim {
    Claim::Held {
        hold_id: HoldId::new(),
        campaign_id: campaign,
        advertiser_id: advertiser,
        expires_at: until,
        price: SpotPrice::default(),
    }
}

/// Booked by another campaign of `advertiser`.
pub fn booked(advertiser: ClientId) -> Claim {
    Claim::Booked {
        order_id: OrderId::new(),
        line: 1,
        campaign_id: CampaignId::new(),
        advertiser_id: advertiser,
        price: SpotPrice::default(),
        amount: None,
    }
}
