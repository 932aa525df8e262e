//! Revenue share statements: what a show's people are owed for a month.
//!
//! Money collected on an invoice is attributed to its lines in proportion to their amounts (the
//! agency's commission already taken off), split exactly: the largest remainders get the odd
//! minor units, so the parts always add up to what was collected ([`allocate`]). A show's net
//! collected for a month is the sum of the parts of the lines of its episodes. Its terms are a
//! share of that (in hundredths of a percent, rounded half up) or a fixed amount per episode
//! published in the month ([`share`]).

use serde::{Deserialize, Serialize};

use crate::Money;
use crate::billing::charge::percent_of;

/// `amount` split over `weights` in proportion, in whole minor units that add up to `amount`
/// exactly; the parts with the largest remainders (then the earliest) take the odd units. All
/// zero when the weights are.
pub fn allocate(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    // The magnitude is split and the sign put back, so a refund splits as its payment did.
    let (sign, amount) = (i128::from(amount.signum()), i128::from(amount).abs());
    let exact: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| {
            let product = amount * i128::from((*w).max(0));
            (product.div_euclid(total), product.rem_euclid(total))
        })
        .collect();
    let mut parts: Vec<i128> = exact.iter().map(|(q, _)| *q).collect();
    let left = amount - parts.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for i in order.into_iter().take(usize::try_from(left).unwrap_or(0)) {
        parts[i] += 1;
    }
    parts.into_iter().map(|p| i64::try_from(p * sign).unwrap_or_default()).collect()
}

/// A show's revenue share terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ShareTerms {
    /// A share of the net collected, in hundredths of a percent (2500 is 25 %).
    PercentOfNetCollected {
        /// The share.
        hundredths: u32,
    },
    /// A fixed amount for each episode published in the month.
    FixedPerEpisode {
        /// The amount.
        amount: Money,
    },
}

/// What a show's people are owed for a month under `terms`, from the month's net collected and
/// the episodes it published.
pub fn share(terms: ShareTerms, net_collected: i64, episodes_published: u32) -> i64 {
    match terms {
        ShareTerms::PercentOfNetCollected { hundredths } => percent_of(net_collected.max(0), hundredths),
        ShareTerms::FixedPerEpisode { amount } => amount.amount.saturating_mul(i64::from(episodes_published)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    #[test]
    fn an_amount_is_split_in_proportion_and_adds_up_exactly() {
        assert_eq!(allocate(100, &[1, 1, 1]), [34, 33, 33], "the odd cent to the first of equals");
        assert_eq!(allocate(100, &[1, 2]), [33, 67], "2/3 has the larger remainder");
        assert_eq!(
            allocate(1_000, &[150_000, 100_000, 15_000, -39_750]),
            [566, 377, 57, 0],
            "a commission line takes none"
        );
        assert_eq!(allocate(0, &[5, 5]), [0, 0]);
        assert_eq!(allocate(50, &[0, 0]), [0, 0], "nothing to weigh");
        assert_eq!(allocate(50, &[]), Vec::<i64>::new());
        assert_eq!(allocate(-100, &[1, 1, 1]), [-34, -33, -33], "a refund splits the same way");
        for (amount, weights) in [(99_999, vec![3, 7, 11, 13]), (1, vec![1, 1, 1, 1]), (7, vec![2, 0, 5])] {
            let parts = allocate(amount, &weights);
            assert_eq!(parts.iter().sum::<i64>(), amount, "{amount} over {weights:?}");
        }
        assert_eq!(allocate(7, &[2, 0, 5]), [2, 0, 5]);
        assert_eq!(allocate(10, &[1, 3]), [3, 7], "2.5 and 7.5: the tie goes to the earlier");
    }

    #[test]
    fn a_show_is_owed_its_share_or_its_fee_per_episode() {
        let pct = ShareTerms::PercentOfNetCollected { hundredths: 2_500 };
        assert_eq!(share(pct, 226_530, 4), 56_633, "25 % of $2,265.30 is $566.325, half up");
        assert_eq!(share(pct, -5_000, 4), 0, "refunds beyond collection owe nothing back here");
        let fee = ShareTerms::FixedPerEpisode { amount: Money::new(50_000, Currency::USD) };
        assert_eq!(share(fee, 0, 4), 200_000);
        assert_eq!(share(fee, 1_000_000, 0), 0);
        let v = serde_json::to_value(pct).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "percent_of_net_collected", "hundredths": 2500}));
    }
}
