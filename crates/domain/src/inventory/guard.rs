//! What an episode change may not take away: a spot someone holds (until its hold expires) or has
//! bought. Changing an episode's length, its air date or its show's slot configuration may add
//! spots; it never removes or moves a held or booked one (the change is refused, naming them).
//! Blocked spots are the producer's own and go with the change.

use chrono::{DateTime, NaiveDate, Utc};

use super::spot::{POSITIONS, SpotClaim, SpotRef, SpotState, count_at};
use crate::EpisodeId;
use crate::show::Slots;

/// The claims of `claims` (one episode's) that the episode, once changed to sell `after` (`None`:
/// nothing) on `air_date_after`, would take from their buyers at `now`: held or booked spots it
/// would no longer have, or every one of them if its air date moves.
pub fn spots_lost(
    claims: &[SpotClaim],
    after: Option<Slots>,
    air_date_after: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Vec<&SpotClaim> {
    claims
        .iter()
        .filter(|c| matches!(c.state_at(now), SpotState::Held | SpotState::Booked))
        .filter(|c| {
            air_date_after != Some(c.air_date)
                || after.is_none_or(|slots| c.spot.index >= count_at(&slots, c.spot.position))
        })
        .collect()
}

/// The spots of `episode` that a change from selling `before` to selling `after` takes away
/// (every one it had when its air date `moved`).
pub fn dropped_spots(episode: EpisodeId, before: Option<Slots>, after: Option<Slots>, moved: bool) -> Vec<SpotRef> {
    let Some(before) = before else { return Vec::new() };
    POSITIONS
        .iter()
        .flat_map(|p| {
            let kept = match (moved, after) {
                (false, Some(a)) => count_at(&a, *p),
                _ => 0,
            };
            (kept..count_at(&before, *p)).map(move |index| SpotRef { episode_id: episode, position: *p, index })
        })
        .collect()
}

/// The lost spots in words, for a 409's detail: `mid-1 (booked), pre-0 (held)`.
pub fn describe(lost: &[&SpotClaim], now: DateTime<Utc>) -> String {
    let words: Vec<String> = lost
        .iter()
        .take(20)
        .map(|c| {
            let state = if c.state_at(now) == SpotState::Booked { "booked" } else { "held" };
            format!("{} of episode {} ({state})", c.spot.id(), c.spot.episode_id)
        })
        .collect();
    let more = lost.len().saturating_sub(20);
    if more > 0 { format!("{} and {more} more", words.join(", ")) } else { words.join(", ") }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::campaign::Position;
    use crate::inventory::spot::{Claim, SpotPrice};
    use crate::{CampaignId, ClientId, HoldId, OrderId, OrgId, ShowId, UserId};

    #[test]
    fn the_dropped_spots_are_those_past_the_new_counts_or_all_when_moved() {
        let e = EpisodeId::new();
        let (two, one) = (Slots { pre: 1, mid: 2, post: 1 }, Slots { pre: 1, mid: 1, post: 0 });
        let ids = |v: Vec<SpotRef>| v.iter().map(|s| s.id().to_string()).collect::<Vec<_>>();
        assert_eq!(ids(dropped_spots(e, Some(two), Some(one), false)), ["mid-1", "post-0"]);
        assert!(dropped_spots(e, Some(one), Some(two), false).is_empty(), "growing drops nothing");
        assert_eq!(ids(dropped_spots(e, Some(one), Some(two), true)), ["pre-0", "mid-0"], "moved: all it had");
        assert_eq!(ids(dropped_spots(e, Some(one), None, false)), ["pre-0", "mid-0"]);
        assert!(dropped_spots(e, None, Some(two), false).is_empty(), "it sold nothing before");
        assert!(dropped_spots(e, Some(two), Some(one), false).iter().all(|s| s.episode_id == e));
    }

    fn claim(position: Position, index: u8, claim: Claim) -> SpotClaim {
        SpotClaim {
            org_id: OrgId::new(),
            show_id: ShowId::new(),
            air_date: NaiveDate::from_ymd_opt(2027, 3, 8).unwrap(),
            spot: SpotRef { episode_id: EpisodeId::new(), position, index },
            claim,
            at: Utc::now(),
        }
    }

    #[test]
    fn a_change_may_drop_free_blocked_and_expired_spots_but_never_held_or_booked_ones() {
        let now = Utc::now();
        let held = |until| Claim::Held {
            hold_id: HoldId::new(),
            campaign_id: CampaignId::new(),
            advertiser_id: ClientId::new(),
            expires_at: until,
            price: SpotPrice::default(),
        };
        let booked = Claim::Booked {
            order_id: OrderId::new(),
            line: 1,
            campaign_id: CampaignId::new(),
            advertiser_id: ClientId::new(),
            price: SpotPrice::default(),
            amount: None,
        };
        let claims = vec![
            claim(Position::Mid, 1, held(now + Duration::hours(1))),
            claim(Position::Mid, 0, booked),
            claim(Position::Pre, 0, held(now)),
            claim(Position::Post, 0, Claim::Blocked { reason: "r".into(), by: UserId::new() }),
        ];
        let air = Some(claims[0].air_date);
        let lost = |slots: Option<Slots>, air| spots_lost(&claims, slots, air, now).len();
        assert_eq!(lost(Some(Slots { pre: 0, mid: 2, post: 0 }), air), 0, "expired and blocked spots may go");
        assert_eq!(lost(Some(Slots { pre: 1, mid: 1, post: 1 }), air), 1, "mid-1 is held");
        assert_eq!(lost(Some(Slots { pre: 1, mid: 0, post: 1 }), air), 2);
        assert_eq!(lost(None, air), 2, "an episode that sells nothing loses them all");
        assert_eq!(lost(Some(Slots { pre: 3, mid: 3, post: 3 }), air.map(|d| d + Duration::days(7))), 2, "moved");
        let words = describe(&spots_lost(&claims, None, air, now), now);
        let (e1, e0) = (claims[0].spot.episode_id, claims[1].spot.episode_id);
        assert_eq!(words, format!("mid-1 of episode {e1} (held), mid-0 of episode {e0} (booked)"));
        let many: Vec<&SpotClaim> = std::iter::repeat_n(&claims[1], 21).collect();
        assert!(describe(&many, now).ends_with("(booked) and 1 more"), "twenty named, the rest counted");
        let twenty: Vec<&SpotClaim> = std::iter::repeat_n(&claims[1], 20).collect();
        assert!(describe(&twenty, now).ends_with("(booked)"), "all twenty named");
    }
}
