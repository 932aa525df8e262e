//! Pacing alerts: the daily job's finding that a booked line is behind pace past a quarter of its
//! flight, or delivered beyond its goal on an order billed delivered with a cap. Each is a record
//! (`ORG#<o>#DLV#ALERT#<order>` / `LINE#<nnnnn>#<day>` for a day's behind alert, `#OVER` for
//! over-delivery, once), written only if absent, so the job may run any number of times a day;
//! its insertion tells the campaign's people through the change stream
//! (`delivery.pacing_alert`). Kept [`ALERT_DAYS`] days.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::pacing::{self, PacingStatus};
use crate::keys::{Key, org_pk};
use crate::order::{BillingMode, Order, OrderStatus};
use crate::{CampaignId, OrderId, OrgId};

/// How long an alert record is kept, in days.
pub const ALERT_DAYS: i64 = 60;

/// The record type of a pacing alert.
pub const PACING_ALERT: &str = "pacingAlert";

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Behind (or at risk) past a quarter of the flight.
    Behind,
    /// Delivered beyond the goal on an order billed `delivered_capped`: the rest is not billed.
    OverDelivered,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PacingAlert {
    /// Its organization.
    pub org_id: OrgId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The order.
    pub order_id: OrderId,
    /// The order's number.
    pub order_number: String,
    /// The line.
    pub line: u32,
    /// What it is about.
    pub kind: AlertKind,
    /// The day it was found.
    pub day: NaiveDate,
    /// The line's goal.
    pub goal: u64,
    /// Delivered by then.
    pub delivered: u64,
    /// Expected by then.
    pub expected: u64,
    /// The pacing status.
    pub status: PacingStatus,
}

impl PacingAlert {
    /// The record's key: one a day for a line behind, one ever for its over-delivery.
    pub fn key(&self) -> Key {
        let sk = match self.kind {
            AlertKind::Behind => format!("LINE#{:05}#{}", self.line, self.day),
            AlertKind::OverDelivered => format!("LINE#{:05}#OVER", self.line),
        };
        Key::new(org_pk(&self.org_id, format!("DLV#ALERT#{}", self.order_id)), sk)
    }

    /// The sentence a notification tells.
    pub fn describe(&self) -> String {
        match self.kind {
            AlertKind::Behind => format!(
                "Line {} of order {} is behind pace: {} of {} impressions delivered, {} expected by {}",
                self.line, self.order_number, self.delivered, self.goal, self.expected, self.day
            ),
            AlertKind::OverDelivered => format!(
                "Line {} of order {} delivered {} impressions over its goal of {}; its capped billing stops at the goal",
                self.line,
                self.order_number,
                self.delivered.saturating_sub(self.goal),
                self.goal
            ),
        }
    }
}

/// The alerts of `order` on `today`, given each line's impressions since air (`delivered`, by
/// line): a booked or completed order's lines with a goal whose flight has passed a quarter and
/// is behind pace, and, billed `delivered_capped`, those delivered beyond their goal.
pub fn alerts_for(order: &Order, delivered: &BTreeMap<u32, u64>, today: NaiveDate) -> Vec<PacingAlert> {
    if !matches!(order.status, OrderStatus::Booked | OrderStatus::Completed) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for l in &order.lines {
        let Some(goal) = l.impression_goal else { continue };
        let n = delivered.get(&l.line).copied().unwrap_or(0);
        let p = pacing::of_line(goal, n, l.air_date, today);
        let alert = |kind| PacingAlert {
            org_id: order.org_id,
            campaign_id: order.campaign_id,
            order_id: order.id,
            order_number: order.number.clone(),
            line: l.line,
            kind,
            day: today,
            goal,
            delivered: n,
            expected: p.expected,
            status: p.status,
        };
        // While the flight runs: after it ends the line is settled (billing's ground), not paced.
        if pacing::needs_alert(&p) && p.elapsed_share < 1.0 {
            out.push(alert(AlertKind::Behind));
        }
        if order.billing_mode == BillingMode::DeliveredCapped && n > goal {
            out.push(alert(AlertKind::OverDelivered));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::tests::booked_order;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn lines_behind_past_a_quarter_are_told_once_a_day_and_over_delivery_once() {
        // One line of 30,000 airing 2026-12-01.
        let mut o = booked_order(30_000, day(1));
        let none = BTreeMap::new();
        assert!(alerts_for(&o, &none, day(7)).is_empty(), "23 % of the flight: not yet");
        let a = alerts_for(&o, &none, day(8));
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].kind, a[0].status, a[0].expected), (AlertKind::Behind, PacingStatus::AtRisk, 8_000));
        assert!(a[0].key().sk.ends_with(&format!("#{}", day(8))), "one a day");
        assert_ne!(a[0].key(), alerts_for(&o, &none, day(9))[0].key());
        assert!(a[0].describe().contains("0 of 30000 impressions delivered, 8000 expected"));
        let on_pace = BTreeMap::from([(1, 8_000)]);
        assert!(alerts_for(&o, &on_pace, day(8)).is_empty());
        // After the flight: settled, not paced.
        assert!(alerts_for(&o, &none, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()).is_empty());
        // Over the goal: told only when billing stops at the goal.
        let over = BTreeMap::from([(1, 31_000)]);
        assert!(alerts_for(&o, &over, day(20)).is_empty());
        o.billing_mode = BillingMode::DeliveredCapped;
        let a = alerts_for(&o, &over, day(20));
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].kind, AlertKind::OverDelivered);
        assert!(a[0].key().sk.ends_with("#OVER"));
        assert!(a[0].describe().contains("1000 impressions over its goal of 30000"));
        assert!(alerts_for(&o, &BTreeMap::from([(1, 30_000)]), day(20)).is_empty(), "at the goal is not over");
        // Only booked or completed orders are paced; lines without a goal never.
        o.status = OrderStatus::Cancelled;
        assert!(alerts_for(&o, &none, day(8)).is_empty());
        o.status = OrderStatus::Completed;
        assert_eq!(alerts_for(&o, &none, day(8)).len(), 1);
        o.lines[0].impression_goal = None;
        assert!(alerts_for(&o, &none, day(8)).is_empty());
    }
}
