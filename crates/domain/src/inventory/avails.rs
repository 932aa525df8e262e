//! What is free: one episode's inventory at an instant (its spots from its slots, less what is
//! taken), the counts `GET /inventory` answers per episode and position, and the rate card.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::spot::{SpotClaim, SpotId, SpotRef, SpotState, count_at};
use crate::campaign::Position;
use crate::show::{AdConfig, Slots};
use crate::{CampaignId, ClientId, EpisodeId, ShowId};

/// One episode's spots and what of them is taken, as read together (one Query per show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeInventory {
    /// The episode.
    pub episode_id: EpisodeId,
    /// Its show.
    pub show_id: ShowId,
    /// When it airs.
    pub air_date: NaiveDate,
    /// Its spots per position.
    pub slots: Slots,
    /// Its taken spots.
    pub claims: Vec<SpotClaim>,
}

/// How the spots of one position stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Every spot of the position.
    pub total: u32,
    /// Free to hold.
    pub available: u32,
    /// Held (not expired).
    pub held: u32,
    /// Sold.
    pub booked: u32,
    /// Off sale.
    pub blocked: u32,
}

impl Counts {
    /// Adds another position's or episode's counts.
    pub fn add(&mut self, other: &Counts) {
        self.total += other.total;
        self.available += other.available;
        self.held += other.held;
        self.booked += other.booked;
        self.blocked += other.blocked;
    }
}

impl EpisodeInventory {
    /// Whether the episode has the spot.
    pub fn has(&self, id: SpotId) -> bool {
        id.index < count_at(&self.slots, id.position)
    }

    /// The state of one of its spots at `now` (`None`: the episode has no such spot).
    pub fn state_of(&self, id: SpotId, now: DateTime<Utc>) -> Option<SpotState> {
        if !self.has(id) {
            return None;
        }
        let claim = self.claims.iter().find(|c| c.spot.position == id.position && c.spot.index == id.index);
        Some(claim.map_or(SpotState::Available, |c| c.state_at(now)))
    }

    /// Its spots of `position`, in index order, with their state at `now`.
    pub fn spots(&self, position: Position, now: DateTime<Utc>) -> Vec<(SpotRef, SpotState)> {
        (0..count_at(&self.slots, position))
            .map(|index| {
                let id = SpotId { position, index };
                (SpotRef::of(self.episode_id, id), self.state_of(id, now).unwrap_or(SpotState::Available))
            })
            .collect()
    }

    /// The counts of `position` at `now`.
    pub fn counts(&self, position: Position, now: DateTime<Utc>) -> Counts {
        let mut c = Counts::default();
        for (_, state) in self.spots(position, now) {
            c.total += 1;
            match state {
                SpotState::Available => c.available += 1,
                SpotState::Held => c.held += 1,
                SpotState::Booked => c.booked += 1,
                SpotState::Blocked => c.blocked += 1,
            }
        }
        c
    }

    /// The advertisers with a spot in this episode at `now` (held or booked), but `campaign`'s
    /// own spots, which never compete with themselves.
    pub fn advertisers(&self, now: DateTime<Utc>, except: Option<CampaignId>) -> BTreeSet<ClientId> {
        self.claims
            .iter()
            .filter(|c| except.is_none_or(|x| campaign_of(c) != Some(x)))
            .filter(|c| self.has(c.spot.id()))
            .filter_map(|c| c.advertiser_at(now))
            .collect()
    }
}

fn campaign_of(c: &SpotClaim) -> Option<CampaignId> {
    match &c.claim {
        super::spot::Claim::Held { campaign_id, .. } | super::spot::Claim::Booked { campaign_id, .. } => {
            Some(*campaign_id)
        }
        super::spot::Claim::Blocked { .. } => None,
    }
}

/// A campaign's negotiated price for one show and position, over the show's rate card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateOverride {
    /// The show.
    pub show_id: ShowId,
    /// The position.
    pub position: Position,
    /// The price.
    pub price: super::spot::SpotPrice,
}

/// The price of a spot of `show` at `position`: the campaign's override if it has one, else the
/// show's rate card (its CPM for the position and its flat spot price).
pub fn spot_price(
    ad_config: &AdConfig,
    overrides: &[RateOverride],
    show: ShowId,
    position: Position,
) -> super::spot::SpotPrice {
    match overrides.iter().find(|o| o.show_id == show && o.position == position) {
        Some(o) => o.price,
        None => super::spot::SpotPrice { cpm: ad_config.cpm.get(position), flat: ad_config.flat_spot_price },
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::inventory::fixtures::{booked, claim_on, held};
    use crate::inventory::spot::{Claim, SpotPrice};
    use crate::{Currency, Money, UserId};

    fn episode(pre: u8, mid: u8, post: u8) -> EpisodeInventory {
        EpisodeInventory {
            episode_id: EpisodeId::new(),
            show_id: ShowId::new(),
            air_date: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            slots: Slots { pre, mid, post },
            claims: Vec::new(),
        }
    }

    #[test]
    fn counts_take_each_spot_once_by_its_state_now() {
        let now = Utc::now();
        let mut e = episode(1, 3, 0);
        let (c, a) = (CampaignId::new(), ClientId::new());
        e.claims = vec![
            claim_on(&e, Position::Mid, 0, held(c, a, now + Duration::hours(1))),
            claim_on(&e, Position::Mid, 1, held(c, a, now)),
            claim_on(&e, Position::Mid, 2, Claim::Blocked { reason: "live show".into(), by: UserId::new() }),
            claim_on(&e, Position::Pre, 0, booked(a)),
            // A claim past the episode's spots (its slots shrank) counts nowhere.
            claim_on(&e, Position::Mid, 5, Claim::Blocked { reason: "x".into(), by: UserId::new() }),
        ];
        assert_eq!(e.counts(Position::Mid, now), Counts { total: 3, available: 1, held: 1, booked: 0, blocked: 1 });
        assert_eq!(e.counts(Position::Pre, now), Counts { total: 1, available: 0, held: 0, booked: 1, blocked: 0 });
        assert_eq!(e.counts(Position::Post, now), Counts::default());
        // An hour on, the hold has expired by itself.
        let later = now + Duration::hours(1);
        assert_eq!(e.counts(Position::Mid, later).available, 2);
        assert_eq!(e.state_of(SpotId { position: Position::Mid, index: 5 }, now), None);
        assert_eq!(e.state_of(SpotId { position: Position::Mid, index: 3 }, now), None, "three spots: 0 to 2");
        assert_eq!(e.state_of(SpotId { position: Position::Mid, index: 2 }, now), Some(SpotState::Blocked));
        let mut sum = Counts::default();
        for p in [Position::Pre, Position::Mid, Position::Post] {
            sum.add(&e.counts(p, now));
        }
        assert_eq!(sum, Counts { total: 4, available: 1, held: 1, booked: 1, blocked: 1 });
    }

    #[test]
    fn advertisers_are_those_holding_or_booked_now_but_the_asking_campaign() {
        let now = Utc::now();
        let mut e = episode(2, 0, 0);
        let (mine, theirs, gone) = (CampaignId::new(), ClientId::new(), ClientId::new());
        let me = ClientId::new();
        e.claims = vec![
            claim_on(&e, Position::Pre, 0, held(mine, me, now + Duration::hours(2))),
            claim_on(&e, Position::Pre, 1, held(CampaignId::new(), theirs, now + Duration::hours(2))),
        ];
        assert_eq!(e.advertisers(now, None), BTreeSet::from([me, theirs]));
        assert_eq!(e.advertisers(now, Some(mine)), BTreeSet::from([theirs]));
        e.claims[1].claim = held(CampaignId::new(), gone, now);
        assert_eq!(e.advertisers(now, Some(mine)), BTreeSet::new(), "an expired hold competes with nobody");
    }

    #[test]
    fn a_campaigns_override_wins_over_the_rate_card_for_its_show_and_position_only() {
        let usd = |cents| Money::new(cents, Currency::USD);
        let mut config = AdConfig::default();
        config.cpm.mid = Some(usd(2500));
        config.flat_spot_price = Some(usd(40000));
        let (show, other) = (ShowId::new(), ShowId::new());
        let deal = SpotPrice { cpm: Some(usd(1800)), flat: None };
        let overrides = [RateOverride { show_id: show, position: Position::Mid, price: deal }];
        assert_eq!(spot_price(&config, &overrides, show, Position::Mid), deal);
        let card = SpotPrice { cpm: Some(usd(2500)), flat: Some(usd(40000)) };
        assert_eq!(spot_price(&config, &overrides, other, Position::Mid), card);
        assert_eq!(
            spot_price(&config, &overrides, show, Position::Pre),
            SpotPrice { cpm: None, flat: Some(usd(40000)) }
        );
    }
}
