//! Spots and what holds them. An episode's spots are counted, not stored: per position, as many
//! as `episode_slots` gives it, each with an index from 0. Only a spot someone took is stored, as
//! a [`SpotClaim`]: held by a campaign until `expiresAt`, booked by an order line, or blocked by a
//! producer. A held spot past its `expiresAt` is available again at that instant, before any
//! sweep has removed it ([`SpotClaim::state_at`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::Position;
use crate::episode::{Episode, EpisodeStatus};
use crate::keys::{Index, Key, org_pk};
use crate::show::{AdConfig, Slots};
use crate::{CampaignId, ClientId, EpisodeId, HoldId, Money, OrderId, OrgId, ShowId, UserId};

/// One spot: an episode's `index`th ad at `position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpotRef {
    /// The episode.
    pub episode_id: EpisodeId,
    /// Pre-, mid- or post-roll.
    pub position: Position,
    /// Which of the position's spots, from 0.
    pub index: u8,
}

/// A spot id as clients name it: `<position>-<index>` within its episode (`mid-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpotId {
    /// Pre-, mid- or post-roll.
    pub position: Position,
    /// Which of the position's spots, from 0.
    pub index: u8,
}

impl fmt::Display for SpotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", position_name(self.position), self.index)
    }
}

/// A spot id that is not `<pre|mid|post>-<index>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a spot id: {0:?} (expected e.g. pre-0, mid-1)")]
pub struct InvalidSpotId(pub String);

impl FromStr for SpotId {
    type Err = InvalidSpotId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidSpotId(s.to_owned());
        let (position, index) = s.split_once('-').ok_or_else(bad)?;
        let position = match position {
            "pre" => Position::Pre,
            "mid" => Position::Mid,
            "post" => Position::Post,
            _ => return Err(bad()),
        };
        // Digits only: no sign, no spaces, no leading zeros but "0" itself.
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) || (index.len() > 1 && index.starts_with('0'))
        {
            return Err(bad());
        }
        Ok(SpotId { position, index: index.parse().map_err(|_| bad())? })
    }
}

impl SpotRef {
    /// The spot's id within its episode.
    pub fn id(&self) -> SpotId {
        SpotId { position: self.position, index: self.index }
    }

    /// The spot `id` of `episode`.
    pub fn of(episode_id: EpisodeId, id: SpotId) -> Self {
        Self { episode_id, position: id.position, index: id.index }
    }
}

/// The lower-case name of a position, as keys and ids spell it.
pub fn position_name(p: Position) -> &'static str {
    match p {
        Position::Pre => "pre",
        Position::Mid => "mid",
        Position::Post => "post",
    }
}

/// Every position, in an episode's order.
pub const POSITIONS: [Position; 3] = [Position::Pre, Position::Mid, Position::Post];

/// How many spots a position of `slots` has.
pub fn count_at(slots: &Slots, p: Position) -> u8 {
    match p {
        Position::Pre => slots.pre,
        Position::Mid => slots.mid,
        Position::Post => slots.post,
    }
}

/// Whether an episode sells spots: scheduled or later (not a draft, not cancelled), with an air
/// date to sell them for.
pub fn sells_spots(e: &Episode) -> bool {
    e.air_date.is_some() && !matches!(e.status, EpisodeStatus::Draft | EpisodeStatus::Cancelled)
}

/// An episode's spots as its show sells them: `None` when it sells none.
pub fn spots_of(e: &Episode, ad_config: &AdConfig) -> Option<Slots> {
    sells_spots(e).then(|| crate::episode::slots::episode_slots(ad_config, e.duration_seconds))
}

/// The price copied onto a hold or line when it is made: a CPM, a flat price, or both (a line
/// bills by one of them). Later rate card changes never reach it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpotPrice {
    /// Price per thousand impressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpm: Option<Money>,
    /// Price of the spot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat: Option<Money>,
}

/// Who has a spot, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Claim {
    /// Reserved for a campaign until `expires_at`.
    #[serde(rename_all = "camelCase")]
    Held {
        /// The hold it belongs to.
        hold_id: HoldId,
        /// The campaign.
        campaign_id: CampaignId,
        /// The campaign's advertiser (for competitive separation).
        advertiser_id: ClientId,
        /// When it stops holding the spot, whether or not a sweep has run. Stored in epoch
        /// seconds as the table's TTL attribute, so the store sweeps expired holds by itself and
        /// a write can take the spot on the condition that it has passed.
        #[serde(with = "chrono::serde::ts_seconds")]
        expires_at: DateTime<Utc>,
        /// The price it was held at.
        price: SpotPrice,
    },
    /// Sold: a line of an insertion order.
    #[serde(rename_all = "camelCase")]
    Booked {
        /// The order.
        order_id: OrderId,
        /// The line.
        line: u32,
        /// The campaign.
        campaign_id: CampaignId,
        /// The campaign's advertiser.
        advertiser_id: ClientId,
        /// The price it was sold at.
        price: SpotPrice,
        /// What its line is contracted at (a flat price, or the goal's impressions at the CPM),
        /// when known: what sell-through counts as booked revenue.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount: Option<Money>,
    },
    /// Taken off sale by a producer.
    #[serde(rename_all = "camelCase")]
    Blocked {
        /// Why.
        reason: String,
        /// Who blocked it.
        by: UserId,
    },
}

/// What a spot is at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpotState {
    /// Free to hold.
    Available,
    /// Held by a campaign (not yet expired).
    Held,
    /// Sold.
    Booked,
    /// Off sale.
    Blocked,
}

/// A taken spot as stored.
///
/// Key: `ORG#<o>#EPISODE#<e>` / `SPOT#<position>#<index>` (in the episode's item collection).
/// Access patterns:
/// - avails of a show over dates: GSI1 `ORG#<o>#SHOW#<s>#SPOTS` / `AIR#<date>#<episodeId>#<position>#<index>`,
///   read beside the show's episodes by air date ([`Episode::by_show_pk`]): two Queries per show
///   for any date range, side by side (the claims keep out of the episodes' own partition, whose
///   readers list episodes only);
/// - a campaign's spots (its holds, then its order's lines): GSI2 `ORG#<o>#CAMPAIGN#<c>#SPOTS` /
///   `AIR#<date>#<episodeId>#<position>#<index>` (held and booked claims only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpotClaim {
    /// Its organization.
    pub org_id: OrgId,
    /// The episode's show.
    pub show_id: ShowId,
    /// The episode's air date (its place in the show's avails).
    pub air_date: NaiveDate,
    /// The spot.
    pub spot: SpotRef,
    /// Who has it.
    #[serde(flatten)]
    pub claim: Claim,
    /// When it was taken.
    pub at: DateTime<Utc>,
}

impl SpotClaim {
    /// Its state at `now`: a hold past its expiry is available, at that very instant.
    pub fn state_at(&self, now: DateTime<Utc>) -> SpotState {
        match &self.claim {
            Claim::Held { expires_at, .. } if *expires_at <= now => SpotState::Available,
            Claim::Held { .. } => SpotState::Held,
            Claim::Booked { .. } => SpotState::Booked,
            Claim::Blocked { .. } => SpotState::Blocked,
        }
    }

    /// The advertiser it is taken for at `now`, if any (for competitive separation): held (and
    /// not expired) or booked.
    pub fn advertiser_at(&self, now: DateTime<Utc>) -> Option<ClientId> {
        match (&self.claim, self.state_at(now)) {
            (Claim::Held { advertiser_id, .. }, SpotState::Held) | (Claim::Booked { advertiser_id, .. }, _) => {
                Some(*advertiser_id)
            }
            _ => None,
        }
    }

    /// The key of the spot `spot` of `org`.
    pub fn key_of(org: &OrgId, spot: &SpotRef) -> Key {
        Key::new(
            org_pk(org, format!("EPISODE#{}", spot.episode_id)),
            format!("SPOT#{}#{:02}", position_name(spot.position), spot.index),
        )
    }

    /// GSI1 partition of a show's taken spots.
    pub fn by_show_pk(org: &OrgId, show: &ShowId) -> String {
        org_pk(org, format!("SHOW#{show}#SPOTS"))
    }

    /// Its sort key in its show's and its campaign's lists: by air date, episode and spot.
    pub fn air_sk(&self) -> String {
        format!(
            "{}#{}#{}#{:02}",
            Episode::air_sk(Some(self.air_date)),
            self.spot.episode_id,
            position_name(self.spot.position),
            self.spot.index
        )
    }

    /// Its place in the show's avails (GSI1).
    pub fn avails_key(&self) -> Key {
        Key::new(Self::by_show_pk(&self.org_id, &self.show_id), self.air_sk())
    }

    /// GSI2 partition of a campaign's spots.
    pub fn by_campaign_pk(org: &OrgId, campaign: &CampaignId) -> String {
        org_pk(org, format!("CAMPAIGN#{campaign}#SPOTS"))
    }

    /// Its index keys: the show's avails, and its campaign's spots when held or booked.
    pub fn index_keys(&self) -> Vec<(Index, Key)> {
        let mut keys = vec![(Index::Gsi1, self.avails_key())];
        if let Claim::Held { campaign_id, .. } | Claim::Booked { campaign_id, .. } = &self.claim {
            keys.push((Index::Gsi2, Key::new(Self::by_campaign_pk(&self.org_id, campaign_id), self.air_sk())));
        }
        keys
    }
}

impl crate::keys::Entity for SpotClaim {
    const TYPE: &'static str = "spotClaim";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.spot)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        SpotClaim::index_keys(self)
    }
    /// Claims are not edited in place: each change is a conditional write on what holds the spot.
    fn version(&self) -> u64 {
        1
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn held(expires_at: DateTime<Utc>) -> SpotClaim {
        SpotClaim {
            org_id: OrgId::new(),
            show_id: ShowId::new(),
            air_date: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            spot: SpotRef { episode_id: EpisodeId::new(), position: Position::Mid, index: 1 },
            claim: Claim::Held {
                hold_id: HoldId::new(),
                campaign_id: CampaignId::new(),
                advertiser_id: ClientId::new(),
                expires_at,
                price: SpotPrice::default(),
            },
            at: Utc::now(),
        }
    }

    #[test]
    fn a_hold_stops_holding_at_its_expiry_exactly() {
        let now = Utc::now();
        let c = held(now);
        assert_eq!(c.state_at(now - Duration::milliseconds(1)), SpotState::Held);
        assert_eq!(c.state_at(now), SpotState::Available);
        assert_eq!(c.state_at(now + Duration::days(1)), SpotState::Available);
        assert!(c.advertiser_at(now - Duration::seconds(1)).is_some());
        assert_eq!(c.advertiser_at(now), None);
        let mut booked = c.clone();
        booked.claim = Claim::Booked {
            order_id: OrderId::new(),
            line: 1,
            campaign_id: CampaignId::new(),
            advertiser_id: ClientId::new(),
            price: SpotPrice::default(),
            amount: None,
        };
        assert_eq!(booked.state_at(now + Duration::days(365)), SpotState::Booked);
        assert!(booked.advertiser_at(now + Duration::days(365)).is_some());
        let mut blocked = c;
        blocked.claim = Claim::Blocked { reason: "host out".into(), by: UserId::new() };
        assert_eq!(blocked.state_at(now), SpotState::Blocked);
        assert_eq!(blocked.advertiser_at(now), None);
    }

    #[test]
    fn spot_ids_round_trip_and_refuse_anything_else() {
        for (s, p, i) in [("pre-0", Position::Pre, 0), ("mid-12", Position::Mid, 12), ("post-3", Position::Post, 3)] {
            let id: SpotId = s.parse().unwrap();
            assert_eq!((id.position, id.index), (p, i));
            assert_eq!(id.to_string(), s);
        }
        for bad in
            ["", "pre", "pre-", "-1", "mid--1", "mid-+1", "mid-01", "mid-256", "Mid-1", "roll-1", "pre-1 ", "pre-x"]
        {
            assert!(bad.parse::<SpotId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_claim_sorts_by_air_date_in_its_shows_avails_and_under_its_campaign() {
        let c = held(Utc::now());
        let avails = c.avails_key();
        assert_eq!(avails.pk, SpotClaim::by_show_pk(&c.org_id, &c.show_id));
        assert_ne!(avails.pk, Episode::by_show_pk(&c.org_id, &c.show_id), "episode lists stay episodes only");
        assert_eq!(avails.pk, format!("ORG#{}#SHOW#{}#SPOTS", c.org_id, c.show_id));
        assert_eq!(avails.sk, format!("AIR#2026-12-10#{}#mid#01", c.spot.episode_id));
        let Claim::Held { campaign_id, .. } = &c.claim else { unreachable!() };
        assert_eq!(
            SpotClaim::by_campaign_pk(&c.org_id, campaign_id),
            format!("ORG#{}#CAMPAIGN#{campaign_id}#SPOTS", c.org_id)
        );
        // As the store writes it.
        use crate::keys::Entity;
        assert_eq!(Entity::org_id(&c), &c.org_id);
        assert_eq!(Entity::key(&c), SpotClaim::key_of(&c.org_id, &c.spot));
        assert_eq!(Entity::index_keys(&c), c.index_keys());
        assert_eq!((Entity::version(&c), <SpotClaim as Entity>::TYPE), (1, "spotClaim"));
        assert_eq!(SpotClaim::key_of(&c.org_id, &c.spot).sk, "SPOT#mid#01");
        let keys = c.index_keys();
        assert_eq!(keys.len(), 2);
        let Claim::Held { campaign_id, .. } = &c.claim else { unreachable!() };
        assert_eq!(keys[1].1.pk, SpotClaim::by_campaign_pk(&c.org_id, campaign_id));
        let mut blocked = c.clone();
        blocked.claim = Claim::Blocked { reason: "r".into(), by: UserId::new() };
        assert_eq!(blocked.index_keys().len(), 1, "a blocked spot belongs to no campaign");
    }

    #[test]
    fn a_hold_is_stored_with_its_expiry_as_the_tables_ttl_in_seconds() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let v = serde_json::to_value(held(at)).unwrap();
        assert_eq!((v["state"].as_str(), v["expiresAt"].as_i64()), (Some("held"), Some(1_800_000_000)));
        let back: SpotClaim = serde_json::from_value(v).unwrap();
        assert_eq!(back.state_at(at), SpotState::Available);
    }

    #[test]
    fn only_scheduled_to_published_episodes_with_an_air_date_sell_spots() {
        use crate::episode::EpisodeStatus as S;
        let mut e = Episode {
            id: EpisodeId::new(),
            org_id: OrgId::new(),
            show_id: ShowId::new(),
            title: "One".into(),
            number: None,
            air_date: Some(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()),
            recording_date: None,
            duration_seconds: Some(1800),
            talent_ids: Vec::new(),
            status: S::Draft,
            published_at: None,
            enclosure_urls: vec![],
            file_size_bytes: None,
            header_bytes: None,
            ad_markers: vec![],
            stamp: crate::Stamp::created(UserId::new(), Utc::now()),
        };
        for (status, sells) in [
            (S::Draft, false),
            (S::Scheduled, true),
            (S::Recording, true),
            (S::Editing, true),
            (S::Published, true),
            (S::Cancelled, false),
        ] {
            e.status = status;
            assert_eq!(sells_spots(&e), sells, "{status:?}");
        }
        e.status = S::Scheduled;
        assert_eq!(spots_of(&e, &AdConfig::default()), Some(Slots { pre: 1, mid: 1, post: 1 }), "30 minutes");
        e.air_date = None;
        assert!(!sells_spots(&e) && spots_of(&e, &AdConfig::default()).is_none());
    }
}
