//! What one line of an order costs in one billing period, by the order's billing mode, in exact
//! integer minor units.
//!
//! - `contract`: a flat line its price when its spot airs in the period; a CPM line its
//!   contracted impressions (its goal) times the CPM when its spot airs.
//! - `delivered`: a CPM line the impressions delivered in the period times the CPM; a flat line
//!   its price when its spot aired in the period and was verified.
//! - `delivered_capped`: as delivered, but what the line bills over all periods never passes its
//!   contracted amount; impressions beyond the goal are shown at zero.
//! - `contract_plus_overage`: the contract, plus the impressions delivered beyond the goal (over
//!   all periods, each counted once) times the CPM. A flat line has no CPM, so no overage.
//!
//! **Rounding**: every charge is rounded once, half up, to a whole minor unit: impressions times
//! the CPM (minor units per thousand) divided by 1,000. An invoice's total is the sum of its
//! lines' rounded amounts; nothing is rounded twice.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::order::{BillingMode, Rate};

/// `exact / divisor` rounded half away from zero (half up for an amount owed), saturated to
/// what an amount holds.
pub(crate) fn divide_half_up(exact: i128, divisor: i128) -> i64 {
    // The products here are far from i128's ends, so the magnitude never overflows.
    let rounded = (exact.abs() + divisor / 2) / divisor * exact.signum();
    i64::try_from(rounded.clamp(i128::from(i64::MIN), i128::from(i64::MAX))).unwrap_or_default()
}

/// `impressions` at `cpm` minor units per thousand, rounded half up to a minor unit.
pub fn per_thousand(impressions: u64, cpm: i64) -> i64 {
    divide_half_up(i128::from(impressions) * i128::from(cpm), 1_000)
}

/// `hundredths` hundredths of a percent (1500 is 15 %) of `amount`, rounded half up.
pub fn percent_of(amount: i64, hundredths: u32) -> i64 {
    divide_half_up(i128::from(amount) * i128::from(hundredths), 10_000)
}

/// How a line was used in a period, as the schedule, production and delivery tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineUse {
    /// Its spot aired in the period.
    pub aired: bool,
    /// Its airing was verified (the aircheck, or the host read's verification).
    pub verified: bool,
    /// Impressions delivered in the period.
    pub delivered: u64,
    /// Impressions delivered before the period.
    pub delivered_before: u64,
    /// What earlier invoices billed for the line, in minor units.
    pub billed_before: i64,
}

/// What a charge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// The contracted amount.
    Contract,
    /// Delivered impressions, or a verified flat spot.
    Delivered,
    /// Impressions beyond a capped line's goal: shown, not billed.
    OverDelivery,
    /// Impressions beyond the goal, billed on top of the contract.
    Overage,
}

/// How a charge's quantity is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Impressions, priced per thousand.
    Impressions,
    /// Spots, priced each.
    Spots,
}

/// One charge of a line: what becomes one invoice line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    /// What it is for.
    pub kind: ChargeKind,
    /// How many.
    pub quantity: u64,
    /// Of what.
    pub unit: Unit,
    /// The price of one spot, or of a thousand impressions.
    pub unit_price: Money,
    /// What is billed, rounded once.
    pub amount: Money,
}

/// Why a line cannot be charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChargeError {
    /// A CPM line billed by its contract has no impression goal to contract.
    #[error("line {0} is sold by CPM with no impression goal: its contract cannot be priced")]
    NoGoal(u32),
}

fn spot(kind: ChargeKind, price: Money) -> Charge {
    Charge { kind, quantity: 1, unit: Unit::Spots, unit_price: price, amount: price }
}

fn impressions(kind: ChargeKind, quantity: u64, cpm: Money, amount: i64) -> Charge {
    Charge { kind, quantity, unit: Unit::Impressions, unit_price: cpm, amount: Money::new(amount, cpm.currency) }
}

/// The charges of line `line` (sold at `rate` with `goal` impressions) in a period it was used
/// in as `used`, under `mode`. None when it owes nothing for the period.
pub fn charges(
    line: u32,
    mode: BillingMode,
    rate: Rate,
    goal: Option<u64>,
    used: LineUse,
) -> Result<Vec<Charge>, ChargeError> {
    let contract = || -> Result<Option<Charge>, ChargeError> {
        if !used.aired {
            return Ok(None);
        }
        Ok(Some(match rate {
            Rate::Flat(price) => spot(ChargeKind::Contract, price),
            Rate::Cpm(cpm) => {
                let goal = goal.ok_or(ChargeError::NoGoal(line))?;
                impressions(ChargeKind::Contract, goal, cpm, per_thousand(goal, cpm.amount))
            }
        }))
    };
    let mut out = Vec::new();
    match (mode, rate) {
        (BillingMode::Contract, _) => out.extend(contract()?),
        (BillingMode::Delivered | BillingMode::DeliveredCapped, Rate::Flat(price)) => {
            if used.aired && used.verified {
                out.push(spot(ChargeKind::Delivered, price));
            }
        }
        (BillingMode::Delivered, Rate::Cpm(cpm)) => {
            if used.delivered > 0 {
                out.push(impressions(
                    ChargeKind::Delivered,
                    used.delivered,
                    cpm,
                    per_thousand(used.delivered, cpm.amount),
                ));
            }
        }
        (BillingMode::DeliveredCapped, Rate::Cpm(cpm)) => {
            let goal = goal.ok_or(ChargeError::NoGoal(line))?;
            let within = used.delivered.min(goal.saturating_sub(used.delivered_before));
            let over = used.delivered - within;
            // The cap is on money too: rounding over many periods never bills past the contract.
            let room = (per_thousand(goal, cpm.amount) - used.billed_before).max(0);
            if within > 0 {
                out.push(impressions(ChargeKind::Delivered, within, cpm, per_thousand(within, cpm.amount).min(room)));
            }
            if over > 0 {
                out.push(impressions(ChargeKind::OverDelivery, over, cpm, 0));
            }
        }
        (BillingMode::ContractPlusOverage, _) => {
            out.extend(contract()?);
            if let (Rate::Cpm(cpm), Some(goal)) = (rate, goal) {
                let beyond = |delivered: u64| delivered.saturating_sub(goal);
                let overage = beyond(used.delivered_before + used.delivered) - beyond(used.delivered_before);
                if overage > 0 {
                    out.push(impressions(ChargeKind::Overage, overage, cpm, per_thousand(overage, cpm.amount)));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn amounts(cs: &[Charge]) -> Vec<(ChargeKind, u64, i64)> {
        cs.iter().map(|c| (c.kind, c.quantity, c.amount.amount)).collect()
    }

    const AIRED: LineUse =
        LineUse { aired: true, verified: false, delivered: 0, delivered_before: 0, billed_before: 0 };

    #[test]
    fn rounding_is_half_up_once_per_charge() {
        assert_eq!(per_thousand(1, 2_500), 3, "2.5 cents rounds up");
        assert_eq!(per_thousand(1, 2_499), 2);
        assert_eq!(per_thousand(1_000, 2_500), 2_500);
        assert_eq!(per_thousand(333, 1_000), 333);
        assert_eq!(per_thousand(0, 2_500), 0);
        assert_eq!(per_thousand(1, -2_500), -3, "half away from zero for a refund");
        assert_eq!(per_thousand(u64::MAX, i64::MAX), i64::MAX, "saturates, never wraps");
        assert_eq!(per_thousand(u64::MAX, i64::MIN), i64::MIN);
        assert_eq!(percent_of(i64::MAX, 20_000), i64::MAX);
        assert_eq!(percent_of(i64::MIN, 20_000), i64::MIN);
        assert_eq!(percent_of(-329, 1_500), -49);
        assert_eq!(percent_of(10_000, 1_500), 1_500, "15 % of $100");
        assert_eq!(percent_of(333, 1_500), 50, "49.95 rounds up");
        assert_eq!(percent_of(331, 1_500), 50, "49.65 rounds up");
        assert_eq!(percent_of(329, 1_500), 49, "49.35 rounds down");
        assert_eq!(percent_of(-333, 1_500), -50);
    }

    #[test]
    fn a_contract_bills_what_aired_as_sold() {
        let flat = Rate::Flat(usd(150_000));
        assert_eq!(
            amounts(&charges(1, BillingMode::Contract, flat, None, AIRED).unwrap()),
            [(ChargeKind::Contract, 1, 150_000)]
        );
        assert!(charges(1, BillingMode::Contract, flat, None, LineUse::default()).unwrap().is_empty(), "not aired");
        // 40,000 impressions at a $25.00 CPM: $1,000.00, whatever was delivered.
        let cpm = Rate::Cpm(usd(2_500));
        let used = LineUse { delivered: 12_345, ..AIRED };
        assert_eq!(
            amounts(&charges(2, BillingMode::Contract, cpm, Some(40_000), used).unwrap()),
            [(ChargeKind::Contract, 40_000, 100_000)]
        );
        assert_eq!(charges(2, BillingMode::Contract, cpm, None, AIRED), Err(ChargeError::NoGoal(2)));
        assert!(
            charges(2, BillingMode::Contract, cpm, None, LineUse::default()).unwrap().is_empty(),
            "nothing aired, nothing asked"
        );
    }

    #[test]
    fn delivered_bills_impressions_and_verified_spots() {
        let cpm = Rate::Cpm(usd(1_850));
        // 12,345 impressions at $18.50: $228.3825, half up to $228.38.
        let used = LineUse { delivered: 12_345, ..LineUse::default() };
        let c = charges(1, BillingMode::Delivered, cpm, Some(10_000), used).unwrap();
        assert_eq!(amounts(&c), [(ChargeKind::Delivered, 12_345, 22_838)], "no cap: over the goal is billed");
        assert_eq!((c[0].unit, c[0].unit_price), (Unit::Impressions, usd(1_850)));
        assert!(charges(1, BillingMode::Delivered, cpm, None, LineUse::default()).unwrap().is_empty());
        let flat = Rate::Flat(usd(90_000));
        assert!(charges(2, BillingMode::Delivered, flat, None, AIRED).unwrap().is_empty(), "aired, not verified");
        let verified = LineUse { verified: true, ..AIRED };
        let c = charges(2, BillingMode::Delivered, flat, None, verified).unwrap();
        assert_eq!(amounts(&c), [(ChargeKind::Delivered, 1, 90_000)]);
        assert_eq!(c[0].unit, Unit::Spots);
        assert!(
            charges(2, BillingMode::Delivered, flat, None, LineUse { verified: true, ..LineUse::default() })
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_capped_line_never_bills_past_its_contract_and_shows_the_rest_at_zero() {
        // Goal 50,000 at $20.00: at most $1,000.00 over the flight.
        let cpm = Rate::Cpm(usd(2_000));
        let first = LineUse { delivered: 30_000, ..LineUse::default() };
        assert_eq!(
            amounts(&charges(1, BillingMode::DeliveredCapped, cpm, Some(50_000), first).unwrap()),
            [(ChargeKind::Delivered, 30_000, 60_000)]
        );
        // The next month delivers 35,000 more: 20,000 within the goal, 15,000 over it at zero.
        let second =
            LineUse { delivered: 35_000, delivered_before: 30_000, billed_before: 60_000, ..LineUse::default() };
        let c = charges(1, BillingMode::DeliveredCapped, cpm, Some(50_000), second).unwrap();
        assert_eq!(amounts(&c), [(ChargeKind::Delivered, 20_000, 40_000), (ChargeKind::OverDelivery, 15_000, 0)]);
        // Already past the goal: all of it is shown at zero.
        let third =
            LineUse { delivered: 5_000, delivered_before: 65_000, billed_before: 100_000, ..LineUse::default() };
        assert_eq!(
            amounts(&charges(1, BillingMode::DeliveredCapped, cpm, Some(50_000), third).unwrap()),
            [(ChargeKind::OverDelivery, 5_000, 0)]
        );
        // Rounding never carries a line past its contract: a goal of 3 impressions at a $5.00 CPM
        // contracts 1.5 cents, 2 once rounded; with 2 billed already, the last impression is 0.
        let tiny = Rate::Cpm(usd(500));
        let last = LineUse { delivered: 1, delivered_before: 2, billed_before: 2, ..LineUse::default() };
        assert_eq!(
            amounts(&charges(1, BillingMode::DeliveredCapped, tiny, Some(3), last).unwrap()),
            [(ChargeKind::Delivered, 1, 0)],
            "$0.0015 contracted rounds to 0.00; 2 cents already billed"
        );
        assert_eq!(charges(1, BillingMode::DeliveredCapped, cpm, None, first), Err(ChargeError::NoGoal(1)));
        let flat = Rate::Flat(usd(90_000));
        assert_eq!(
            amounts(
                &charges(2, BillingMode::DeliveredCapped, flat, None, LineUse { verified: true, ..AIRED }).unwrap()
            ),
            [(ChargeKind::Delivered, 1, 90_000)]
        );
    }

    #[test]
    fn contract_plus_overage_adds_what_passed_the_goal_once() {
        let cpm = Rate::Cpm(usd(2_500));
        // Aired this month, 46,000 delivered against a 40,000 goal: $1,000.00 + 6,000 at $25.00.
        let used = LineUse { delivered: 46_000, ..AIRED };
        let c = charges(1, BillingMode::ContractPlusOverage, cpm, Some(40_000), used).unwrap();
        assert_eq!(amounts(&c), [(ChargeKind::Contract, 40_000, 100_000), (ChargeKind::Overage, 6_000, 15_000)]);
        // The month after: 3,000 more, all beyond the goal; nothing aired, so no contract again.
        let later = LineUse { delivered: 3_000, delivered_before: 46_000, ..LineUse::default() };
        assert_eq!(
            amounts(&charges(1, BillingMode::ContractPlusOverage, cpm, Some(40_000), later).unwrap()),
            [(ChargeKind::Overage, 3_000, 7_500)]
        );
        // Crossing the goal within the month counts only the part beyond it.
        let crossing = LineUse { delivered: 10_000, delivered_before: 35_000, ..LineUse::default() };
        assert_eq!(
            amounts(&charges(1, BillingMode::ContractPlusOverage, cpm, Some(40_000), crossing).unwrap()),
            [(ChargeKind::Overage, 5_000, 12_500)]
        );
        let under = LineUse { delivered: 10_000, ..AIRED };
        assert_eq!(
            amounts(&charges(1, BillingMode::ContractPlusOverage, cpm, Some(40_000), under).unwrap()),
            [(ChargeKind::Contract, 40_000, 100_000)]
        );
        let flat = Rate::Flat(usd(150_000));
        let many = LineUse { delivered: 1_000_000, ..AIRED };
        assert_eq!(
            amounts(&charges(2, BillingMode::ContractPlusOverage, flat, Some(10), many).unwrap()),
            [(ChargeKind::Contract, 1, 150_000)],
            "no CPM, no overage"
        );
    }
}
