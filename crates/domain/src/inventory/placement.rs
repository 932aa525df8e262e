//! Placing a plan: which spots a hold request would take, and every spot it could not, with the
//! reason. Pure: the caller reads the shows' inventory once (one Query per show) and the preview
//! answers this; a commit writes the same placement atomically, and a race lost there is a 409.
//!
//! The plan names shows, dates, positions and an amount: so many spots per episode, or so many in
//! all (spread over the episodes one per pass, in air order, so a total lands evenly rather than
//! filling the first weeks). Modes:
//! - `strict`: all or nothing; any spot the plan cannot place leaves the placement empty;
//! - `relaxed`: what fits in the requested positions;
//! - `fill_anywhere`: as relaxed, then any other position of the same episode.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::avails::EpisodeInventory;
use super::separation::{Separation, SeparationMode, SeparationScope, competitors};
use super::spot::{POSITIONS, SpotId, SpotRef, SpotState};
use crate::campaign::Position;
use crate::{CampaignId, ClientId, EpisodeId, ShowId};

/// How strictly a plan must be met.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementMode {
    /// All or nothing.
    Strict,
    /// What fits in the requested positions.
    #[default]
    Relaxed,
    /// What fits, in any position of the chosen episodes.
    FillAnywhere,
}

/// Why a spot (or an episode) was not placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Sold.
    Booked,
    /// Held by a campaign.
    Held,
    /// Off sale.
    Blocked,
    /// A competitor of the advertiser is there.
    Competitive,
    /// Nothing to sell: no such spot, or no episode.
    NoInventory,
    /// The plan's cap (per show per day) is reached.
    MaxSpotsReached,
}

impl Refusal {
    /// The refusal of a spot in `state` (`None`: it is available).
    pub fn of(state: SpotState) -> Option<Refusal> {
        match state {
            SpotState::Available => None,
            SpotState::Held => Some(Refusal::Held),
            SpotState::Booked => Some(Refusal::Booked),
            SpotState::Blocked => Some(Refusal::Blocked),
        }
    }
}

/// How many spots a plan wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    /// This many in every chosen episode.
    PerEpisode(u8),
    /// This many in all.
    Total(u32),
}

/// A plan, as `POST /campaigns/{id}/holds` takes it (its shows and dates chose the episodes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The positions wanted, in preference order; empty: every position.
    pub positions: Vec<Position>,
    /// How many.
    pub amount: Amount,
    /// The weekdays an episode may air on; empty: any day.
    pub weekdays: Vec<Weekday>,
    /// At most this many spots per show per air date.
    pub max_per_show_per_day: Option<u32>,
    /// How strictly.
    pub mode: PlacementMode,
}

/// Who asks: the campaign and its advertiser's competitive category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bidder<'a> {
    /// The campaign.
    pub campaign: CampaignId,
    /// Its advertiser.
    pub advertiser: ClientId,
    /// The advertiser's competitive category.
    pub category: Option<&'a str>,
}

/// What could not be placed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unplaced {
    /// The episode (none: the plan found no episode at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub episode_id: Option<EpisodeId>,
    /// The spot, when one spot is meant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot: Option<String>,
    /// Why.
    pub reason: Refusal,
}

/// A placement: the spots to take, what could not be taken, and competitive warnings (placed
/// anyway under the `warn` setting).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// The spots, in air order.
    pub spots: Vec<SpotRef>,
    /// What could not be placed.
    pub unplaced: Vec<Unplaced>,
    /// Episodes placed beside a competitor (the `warn` mode).
    pub warnings: Vec<Unplaced>,
}

fn unplaced(episode: EpisodeId, spot: Option<SpotId>, reason: Refusal) -> Unplaced {
    Unplaced { episode_id: Some(episode), spot: spot.map(|s| s.to_string()), reason }
}

/// The episodes among `episodes` where `bidder` would meet a competitor in `scope`: another
/// advertiser of its category with a spot in the episode (or in the show's episodes of that
/// day), this campaign's own spots aside.
fn rivals_by_episode(
    episodes: &[&EpisodeInventory],
    bidder: Bidder<'_>,
    categories: &BTreeMap<ClientId, String>,
    scope: SeparationScope,
    now: DateTime<Utc>,
) -> BTreeSet<EpisodeId> {
    let mut by_day: HashMap<(ShowId, NaiveDate), BTreeSet<ClientId>> = HashMap::new();
    for e in episodes {
        by_day.entry((e.show_id, e.air_date)).or_default().extend(e.advertisers(now, Some(bidder.campaign)));
    }
    episodes
        .iter()
        .filter(|e| {
            let present = match scope {
                SeparationScope::Episode => e.advertisers(now, Some(bidder.campaign)),
                SeparationScope::ShowDay => by_day.get(&(e.show_id, e.air_date)).cloned().unwrap_or_default(),
            };
            !competitors(bidder.advertiser, bidder.category, &present, categories).is_empty()
        })
        .map(|e| e.episode_id)
        .collect()
}

/// Places the spots a request names, each once, for `bidder` on `episodes` (the inventory of
/// their episodes' show-days) at `now`: a spot that is not free, that its episode does not have,
/// or that sits beside a competitor under the `block` setting is refused with the reason.
pub fn place_spots(
    wanted: &[SpotRef],
    episodes: &[EpisodeInventory],
    bidder: Bidder<'_>,
    categories: &BTreeMap<ClientId, String>,
    separation: Separation,
    now: DateTime<Utc>,
) -> Placement {
    let all: Vec<&EpisodeInventory> = episodes.iter().collect();
    let rivals = rivals_by_episode(&all, bidder, categories, separation.scope, now);
    let mut out = Placement::default();
    let mut warned = BTreeSet::new();
    for spot in wanted.iter().collect::<BTreeSet<_>>() {
        let e = episodes.iter().find(|e| e.episode_id == spot.episode_id);
        let refusal = match e.and_then(|e| e.state_of(spot.id(), now)) {
            None => Some(Refusal::NoInventory),
            Some(state) => Refusal::of(state),
        };
        let beside_rival = rivals.contains(&spot.episode_id);
        let refusal = refusal
            .or_else(|| (beside_rival && separation.mode == SeparationMode::Block).then_some(Refusal::Competitive));
        match refusal {
            Some(reason) => out.unplaced.push(unplaced(spot.episode_id, Some(spot.id()), reason)),
            None => {
                if beside_rival && warned.insert(spot.episode_id) {
                    out.warnings.push(unplaced(spot.episode_id, None, Refusal::Competitive));
                }
                out.spots.push(*spot);
            }
        }
    }
    out
}

/// Places `plan` for `bidder` on `episodes` (the inventory of the plan's shows and dates) at
/// `now`, with each present advertiser's category in `categories`.
pub fn place(
    plan: &Plan,
    episodes: &[EpisodeInventory],
    bidder: Bidder<'_>,
    categories: &BTreeMap<ClientId, String>,
    separation: Separation,
    now: DateTime<Utc>,
) -> Placement {
    let mut out = Placement::default();
    let mut eligible: Vec<&EpisodeInventory> =
        episodes.iter().filter(|e| plan.weekdays.is_empty() || plan.weekdays.contains(&e.air_date.weekday())).collect();
    eligible.sort_by_key(|e| (e.air_date, e.show_id, e.episode_id));
    if eligible.is_empty() {
        out.unplaced.push(Unplaced { episode_id: None, spot: None, reason: Refusal::NoInventory });
        return out;
    }

    let rivals = rivals_by_episode(&eligible, bidder, categories, separation.scope, now);
    let mut open = Vec::new();
    for e in eligible {
        if !rivals.contains(&e.episode_id) {
            open.push(e);
        } else if separation.mode == SeparationMode::Warn {
            out.warnings.push(unplaced(e.episode_id, None, Refusal::Competitive));
            open.push(e);
        } else {
            out.unplaced.push(unplaced(e.episode_id, None, Refusal::Competitive));
        }
    }

    let requested: Vec<Position> = if plan.positions.is_empty() { POSITIONS.to_vec() } else { plan.positions.clone() };
    let order: Vec<Position> = match plan.mode {
        PlacementMode::FillAnywhere => {
            requested.iter().copied().chain(POSITIONS.into_iter().filter(|p| !requested.contains(p))).collect()
        }
        _ => requested.clone(),
    };
    let mut chosen: BTreeSet<SpotRef> = BTreeSet::new();
    let mut per_day: HashMap<(ShowId, NaiveDate), u32> = HashMap::new();
    let mut short: BTreeSet<EpisodeId> = BTreeSet::new();
    let mut capped: BTreeSet<EpisodeId> = BTreeSet::new();
    // The next free spot of an episode in the plan's order, or None when it has no more.
    let next = |e: &EpisodeInventory, chosen: &BTreeSet<SpotRef>| {
        order
            .iter()
            .flat_map(|p| e.spots(*p, now))
            .find(|(s, state)| *state == SpotState::Available && !chosen.contains(s))
    };
    let mut take = |e: &EpisodeInventory, chosen: &mut BTreeSet<SpotRef>, out: &mut Placement| -> bool {
        let day = (e.show_id, e.air_date);
        if plan.max_per_show_per_day.is_some_and(|cap| per_day.get(&day).copied().unwrap_or(0) >= cap) {
            if capped.insert(e.episode_id) {
                out.unplaced.push(unplaced(e.episode_id, None, Refusal::MaxSpotsReached));
            }
            return false;
        }
        match next(e, chosen) {
            Some((spot, _)) => {
                chosen.insert(spot);
                out.spots.push(spot);
                *per_day.entry(day).or_default() += 1;
                true
            }
            None => {
                short.insert(e.episode_id);
                false
            }
        }
    };
    let shortfall = match plan.amount {
        Amount::PerEpisode(n) => {
            for e in &open {
                for _ in 0..n {
                    if !take(e, &mut chosen, &mut out) {
                        break;
                    }
                }
            }
            !short.is_empty()
        }
        Amount::Total(total) => {
            let mut placed = 0;
            'passes: loop {
                let mut progress = false;
                for e in &open {
                    if placed == total {
                        break 'passes;
                    }
                    if take(e, &mut chosen, &mut out) {
                        placed += 1;
                        progress = true;
                    }
                }
                if !progress {
                    break;
                }
            }
            placed < total
        }
    };
    if shortfall {
        // Why the episodes that ran out could give no more: each requested spot not free, or,
        // when every one of them is this plan's already, that the episode has no more.
        for e in open.iter().filter(|e| short.contains(&e.episode_id)) {
            let before = out.unplaced.len();
            for p in &requested {
                for (spot, state) in e.spots(*p, now) {
                    if let Some(reason) = Refusal::of(state) {
                        out.unplaced.push(unplaced(e.episode_id, Some(spot.id()), reason));
                    }
                }
            }
            if out.unplaced.len() == before {
                out.unplaced.push(unplaced(e.episode_id, None, Refusal::NoInventory));
            }
        }
    }
    out.spots.sort_by_key(|s| {
        let e = open.iter().find(|e| e.episode_id == s.episode_id);
        (e.map(|e| (e.air_date, e.show_id)), *s)
    });
    // Every shortfall, cap and competitor left a reason: strict takes nothing when any did.
    if plan.mode == PlacementMode::Strict && !out.unplaced.is_empty() {
        out.spots.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::UserId;
    use crate::inventory::fixtures::{booked, claim_on, held};
    use crate::inventory::spot::Claim;
    use crate::show::Slots;

    fn day(d: u32) -> NaiveDate {
        // December 2026: the 7th is a Monday.
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn episode(show: ShowId, d: u32, slots: (u8, u8, u8)) -> EpisodeInventory {
        EpisodeInventory {
            episode_id: EpisodeId::new(),
            show_id: show,
            air_date: day(d),
            slots: Slots { pre: slots.0, mid: slots.1, post: slots.2 },
            claims: Vec::new(),
        }
    }

    fn take(e: &mut EpisodeInventory, position: Position, index: u8, claim: Claim) {
        e.claims.push(claim_on(e, position, index, claim));
    }

    fn plan(positions: &[Position], amount: Amount, mode: PlacementMode) -> Plan {
        Plan { positions: positions.to_vec(), amount, weekdays: Vec::new(), max_per_show_per_day: None, mode }
    }

    struct World {
        me: ClientId,
        campaign: CampaignId,
        rival: ClientId,
        categories: BTreeMap<ClientId, String>,
    }

    fn world() -> World {
        let (me, rival) = (ClientId::new(), ClientId::new());
        let categories = BTreeMap::from([(me, "IAB2".to_owned()), (rival, "IAB2".to_owned())]);
        World { me, campaign: CampaignId::new(), rival, categories }
    }

    fn run(w: &World, p: &Plan, episodes: &[EpisodeInventory], s: Separation, now: DateTime<Utc>) -> Placement {
        let bidder = Bidder { campaign: w.campaign, advertiser: w.me, category: Some("IAB2") };
        place(p, episodes, bidder, &w.categories, s, now)
    }

    fn reasons(p: &Placement) -> Vec<(Option<String>, Refusal)> {
        p.unplaced.iter().map(|u| (u.spot.clone(), u.reason)).collect()
    }

    #[test]
    fn per_episode_takes_the_first_free_spots_of_the_requested_positions_and_says_why_not() {
        let (w, now, show) = (world(), Utc::now(), ShowId::new());
        let mut a = episode(show, 7, (1, 2, 1));
        let b = episode(show, 8, (1, 2, 1));
        take(&mut a, Position::Mid, 0, booked(ClientId::new()));
        take(&mut a, Position::Mid, 1, Claim::Blocked { reason: "live".into(), by: UserId::new() });
        let p = run(
            &w,
            &plan(&[Position::Mid], Amount::PerEpisode(1), PlacementMode::Relaxed),
            &[b.clone(), a.clone()],
            Separation::default(),
            now,
        );
        assert_eq!(p.spots, [SpotRef::of(b.episode_id, "mid-0".parse().unwrap())]);
        assert_eq!(reasons(&p), [(Some("mid-0".into()), Refusal::Booked), (Some("mid-1".into()), Refusal::Blocked)]);
        assert!(p.unplaced.iter().all(|u| u.episode_id == Some(a.episode_id)));
        // Anywhere: the same plan falls back on the episode's other positions, in order.
        let p = run(
            &w,
            &plan(&[Position::Mid], Amount::PerEpisode(2), PlacementMode::FillAnywhere),
            &[a.clone()],
            Separation::default(),
            now,
        );
        let ids: Vec<String> = p.spots.iter().map(|s| s.id().to_string()).collect();
        assert_eq!(ids, ["pre-0", "post-0"]);
        assert!(p.unplaced.is_empty(), "{:?}", p.unplaced);
        // Strict: one episode short means nothing at all.
        let p = run(
            &w,
            &plan(&[Position::Mid], Amount::PerEpisode(1), PlacementMode::Strict),
            &[a, b],
            Separation::default(),
            now,
        );
        assert!(p.spots.is_empty() && !p.unplaced.is_empty());
    }

    #[test]
    fn an_episode_with_fewer_spots_than_wanted_says_so_and_strict_then_takes_nothing() {
        let (w, now, show) = (world(), Utc::now(), ShowId::new());
        let small = episode(show, 7, (2, 0, 0));
        let big = episode(show, 8, (3, 0, 0));
        let eps = [small.clone(), big.clone()];
        let p = run(
            &w,
            &plan(&[Position::Pre], Amount::PerEpisode(3), PlacementMode::Relaxed),
            &eps,
            Separation::default(),
            now,
        );
        assert_eq!(p.spots.len(), 5);
        assert_eq!(p.unplaced, [unplaced(small.episode_id, None, Refusal::NoInventory)]);
        let p = run(
            &w,
            &plan(&[Position::Pre], Amount::PerEpisode(3), PlacementMode::Strict),
            &eps,
            Separation::default(),
            now,
        );
        assert!(p.spots.is_empty());
        assert_eq!(p.unplaced, [unplaced(small.episode_id, None, Refusal::NoInventory)]);
        // Met in full, strict takes it all; a total met exactly reports nothing.
        let p = run(
            &w,
            &plan(&[Position::Pre], Amount::PerEpisode(2), PlacementMode::Strict),
            &eps,
            Separation::default(),
            now,
        );
        assert_eq!((p.spots.len(), p.unplaced.len()), (4, 0));
        let p =
            run(&w, &plan(&[Position::Pre], Amount::Total(5), PlacementMode::Strict), &eps, Separation::default(), now);
        assert_eq!((p.spots.len(), p.unplaced.len()), (5, 0));
        let p =
            run(&w, &plan(&[Position::Pre], Amount::Total(6), PlacementMode::Strict), &eps, Separation::default(), now);
        assert!(p.spots.is_empty());
        assert_eq!(p.unplaced.len(), 2, "both episodes ran out: {:?}", p.unplaced);
        // A capped strict plan takes nothing either.
        let mut capped = plan(&[Position::Pre], Amount::PerEpisode(2), PlacementMode::Strict);
        capped.max_per_show_per_day = Some(1);
        let p = run(&w, &capped, &eps, Separation::default(), now);
        assert!(p.spots.is_empty() && p.unplaced.iter().all(|u| u.reason == Refusal::MaxSpotsReached));
    }

    #[test]
    fn named_spots_are_placed_once_each_with_the_reason_for_every_refusal() {
        let (w, now, show) = (world(), Utc::now(), ShowId::new());
        let mut a = episode(show, 7, (2, 1, 0));
        let sibling = episode(show, 7, (1, 0, 0));
        take(&mut a, Position::Pre, 1, Claim::Blocked { reason: "live".into(), by: UserId::new() });
        let spot = |e: &EpisodeInventory, id: &str| SpotRef::of(e.episode_id, id.parse().unwrap());
        let unknown = SpotRef::of(EpisodeId::new(), "pre-0".parse().unwrap());
        let wanted = [spot(&a, "pre-0"), spot(&a, "pre-0"), spot(&a, "pre-1"), spot(&a, "post-0"), unknown];
        let bidder = Bidder { campaign: w.campaign, advertiser: w.me, category: Some("IAB2") };
        let eps = [a.clone(), sibling.clone()];
        let p = place_spots(&wanted, &eps, bidder, &w.categories, Separation::default(), now);
        assert_eq!(p.spots, [spot(&a, "pre-0")], "a spot named twice is placed once");
        let mut got = reasons(&p);
        got.sort();
        assert_eq!(
            got,
            [
                (Some("post-0".into()), Refusal::NoInventory),
                (Some("pre-0".into()), Refusal::NoInventory),
                (Some("pre-1".into()), Refusal::Blocked)
            ]
        );
        // A competitor in the sibling episode of the same day: refused by the show's day only.
        let mut booked_sibling = sibling.clone();
        take(&mut booked_sibling, Position::Pre, 0, booked(w.rival));
        let eps = [a.clone(), booked_sibling];
        let day = Separation { scope: SeparationScope::ShowDay, mode: SeparationMode::Block };
        let one = [spot(&a, "mid-0")];
        assert_eq!(place_spots(&one, &eps, bidder, &w.categories, Separation::default(), now).spots.len(), 1);
        let p = place_spots(&one, &eps, bidder, &w.categories, day, now);
        assert_eq!(reasons(&p), [(Some("mid-0".into()), Refusal::Competitive)]);
        let warn = Separation { scope: SeparationScope::ShowDay, mode: SeparationMode::Warn };
        let p = place_spots(&one, &eps, bidder, &w.categories, warn, now);
        assert_eq!((p.spots.len(), p.warnings), (1, vec![unplaced(a.episode_id, None, Refusal::Competitive)]));
    }

    #[test]
    fn an_expired_hold_is_free_and_a_live_one_is_held() {
        let (w, now, show) = (world(), Utc::now(), ShowId::new());
        let mut e = episode(show, 7, (1, 0, 0));
        take(&mut e, Position::Pre, 0, held(CampaignId::new(), ClientId::new(), now + Duration::seconds(1)));
        let p1 = plan(&[Position::Pre], Amount::PerEpisode(1), PlacementMode::Relaxed);
        let p = run(&w, &p1, std::slice::from_ref(&e), Separation::default(), now);
        assert_eq!(reasons(&p), [(Some("pre-0".into()), Refusal::Held)]);
        let p = run(&w, &p1, &[e], Separation::default(), now + Duration::seconds(1));
        assert_eq!(p.spots.len(), 1, "expired at its instant, before any sweep");
    }

    #[test]
    fn a_competitor_blocks_or_warns_by_the_setting_and_never_the_campaigns_own_spots() {
        let (w, now, show) = (world(), Utc::now(), ShowId::new());
        let mut a = episode(show, 7, (2, 0, 0));
        let b = episode(show, 7, (1, 0, 0));
        take(&mut a, Position::Pre, 0, booked(w.rival));
        let p1 = plan(&[Position::Pre], Amount::PerEpisode(1), PlacementMode::Relaxed);
        let eps = [a.clone(), b.clone()];
        let p = run(&w, &p1, &eps, Separation::default(), now);
        assert_eq!(p.spots, [SpotRef::of(b.episode_id, "pre-0".parse().unwrap())]);
        assert_eq!(p.unplaced, [unplaced(a.episode_id, None, Refusal::Competitive)]);
        // The same show's day: the sibling episode is refused too.
        let day_scope = Separation { scope: SeparationScope::ShowDay, mode: SeparationMode::Block };
        let p = run(&w, &p1, &eps, day_scope, now);
        assert!(p.spots.is_empty() && p.unplaced.len() == 2);
        // Warn: placed, and said.
        let warn = Separation { scope: SeparationScope::Episode, mode: SeparationMode::Warn };
        let p = run(&w, &p1, &eps, warn, now);
        assert_eq!(p.spots.len(), 2);
        assert_eq!(p.warnings, [unplaced(a.episode_id, None, Refusal::Competitive)]);
        // The campaign's own hold in the episode is no competitor, nor is another category.
        let mut own = episode(show, 8, (2, 0, 0));
        take(&mut own, Position::Pre, 0, held(w.campaign, w.me, now + Duration::hours(1)));
        let mut other = episode(show, 9, (2, 0, 0));
        take(&mut other, Position::Pre, 0, booked(ClientId::new()));
        let p = run(&w, &p1, &[own, other], Separation::default(), now);
        assert_eq!(p.spots.len(), 2, "{:?}", p.unplaced);
    }

    #[test]
    fn a_total_spreads_over_the_episodes_in_air_order_and_respects_the_daily_cap_and_weekdays() {
        let (w, now) = (world(), Utc::now());
        let (s1, s2) = (ShowId::new(), ShowId::new());
        let eps: Vec<EpisodeInventory> = vec![
            episode(s1, 9, (2, 2, 0)),
            episode(s1, 7, (2, 2, 0)),
            episode(s2, 7, (2, 2, 0)),
            episode(s1, 8, (2, 2, 0)),
        ];
        let p = run(&w, &plan(&[], Amount::Total(5), PlacementMode::Relaxed), &eps, Separation::default(), now);
        let days: Vec<NaiveDate> =
            p.spots.iter().map(|s| eps.iter().find(|e| e.episode_id == s.episode_id).unwrap().air_date).collect();
        assert_eq!(days, [day(7), day(7), day(7), day(8), day(9)], "one per episode per pass, in air order");
        assert!(p.unplaced.is_empty());
        // At most one per show per day, Mondays only (the 7th).
        let mut capped = plan(&[], Amount::PerEpisode(2), PlacementMode::Relaxed);
        capped.max_per_show_per_day = Some(1);
        capped.weekdays = vec![Weekday::Mon];
        let mut same_day = eps.clone();
        same_day.push(episode(s1, 7, (1, 0, 0)));
        let p = run(&w, &capped, &same_day, Separation::default(), now);
        assert_eq!(p.spots.len(), 2, "one for each show on the 7th");
        // Both shows' first episodes wanted a second spot, and the second episode of the 7th any.
        assert_eq!(p.unplaced.iter().filter(|u| u.reason == Refusal::MaxSpotsReached).count(), 3);
        // More than there is: every spot goes, and the shortfall is said.
        let p = run(
            &w,
            &plan(&[Position::Post], Amount::Total(3), PlacementMode::Relaxed),
            &eps,
            Separation::default(),
            now,
        );
        assert!(p.spots.is_empty());
        assert!(p.unplaced.iter().all(|u| u.reason == Refusal::NoInventory) && !p.unplaced.is_empty());
        let p = run(&w, &plan(&[], Amount::Total(3), PlacementMode::Relaxed), &[], Separation::default(), now);
        assert_eq!(reasons(&p), [(None, Refusal::NoInventory)]);
    }
}
