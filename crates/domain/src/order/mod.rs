//! Insertion orders: what a won campaign bought, line by line, turned from holds into bookings
//! (docs/domain.md, "Insertion orders").
//!
//! Keys and access patterns (one item per order, its lines and history inside it: an order is
//! read, edited and moved as a whole, under one version):
//! - the order: `ORG#<o>#ORDER#<id>` / `PROFILE`;
//! - every order of the organization by number: GSI1 `ORG#<o>#ORDERS` / `NUMBER#<number>`;
//! - a campaign's orders: GSI2 `ORG#<o>#CAMPAIGN#<c>#ORDERS` / `NUMBER#<number>`;
//! - an advertiser's orders (client users list theirs): GSI3 `ORG#<o>#CLIENT#<a>#ORDERS` /
//!   `NUMBER#<number>`;
//! - the number counter of a year: `ORG#<o>#COUNTER` / `ORDER#<year>` ([`counter_key`]), moved
//!   in the same transaction that creates the order, on the condition that it is as read, so a
//!   number is never given twice and never skipped.
//!
//! Status rules live in [`transitions`]; what each reader sees in [`view`].

pub mod transitions;
pub mod view;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::spot::{SpotPrice, SpotRef};
use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::{CampaignId, ClientId, Currency, HoldId, Money, OrderId, OrgId, ShowId, Stamp, ValidationErrors};

pub use transitions::{OrderHistoryEntry, OrderStatus};

/// The most lines one order may have.
pub const MAX_LINES: usize = 500;

/// The longest payment terms, in days.
pub const MAX_PAYMENT_TERMS_DAYS: u16 = 365;

/// Payment terms unless the order says otherwise ("net 30").
pub const DEFAULT_PAYMENT_TERMS_DAYS: u16 = 30;

/// What kind of ad a line sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdType {
    /// Read by the show's host from a brief.
    #[default]
    HostRead,
    /// Produced by the advertiser and inserted as delivered.
    Produced,
}

/// What a line costs: per thousand impressions, or per spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rate {
    /// Price per thousand impressions (the line needs an impression goal).
    Cpm(Money),
    /// Price of the spot.
    Flat(Money),
}

impl Rate {
    /// The money it names.
    pub fn money(&self) -> Money {
        match self {
            Rate::Cpm(m) | Rate::Flat(m) => *m,
        }
    }

    /// The rate a spot held at `price` sells at: its flat price when it has one, else its CPM.
    pub fn of_price(price: &SpotPrice) -> Option<Rate> {
        price.flat.map(Rate::Flat).or(price.cpm.map(Rate::Cpm))
    }
}

/// How an order is invoiced (the billing issue reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    /// The contracted amount, as spots air.
    #[default]
    Contract,
    /// Delivered impressions times CPM; flat lines when aired and verified.
    Delivered,
    /// As delivered, never above the contracted amount.
    DeliveredCapped,
    /// The contract, plus delivery above the goal at the line's CPM.
    ContractPlusOverage,
}

/// Which months an order is invoiced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingCalendar {
    /// Calendar months.
    #[default]
    Standard,
    /// Broadcast months: Monday-to-Sunday weeks, each month ending on its last Sunday.
    Broadcast,
}

/// One line: one booked spot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// Its number within the order, from 1.
    pub line: u32,
    /// The spot.
    #[serde(flatten)]
    pub spot: SpotRef,
    /// The episode's show.
    pub show_id: ShowId,
    /// The episode's air date.
    pub air_date: NaiveDate,
    /// Host read or produced.
    pub ad_type: AdType,
    /// What it costs, copied when the line was made.
    pub rate: Rate,
    /// Impressions promised (required for a CPM line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impression_goal: Option<u64>,
    /// The campaign's hold the spot is booked from.
    pub hold_id: HoldId,
    /// Its episode was cancelled after booking: the spot is owed again.
    #[serde(default)]
    pub needs_makegood: bool,
}

impl OrderLine {
    /// Line `line` selling `held`, a spot of the hold `hold_id`, as `ad_type` at `rate`.
    pub fn of_held(
        line: u32,
        hold_id: HoldId,
        held: &crate::inventory::hold::HeldSpot,
        ad_type: AdType,
        rate: Rate,
        impression_goal: Option<u64>,
    ) -> Self {
        OrderLine {
            line,
            spot: held.spot,
            show_id: held.show_id,
            air_date: held.air_date,
            ad_type,
            rate,
            impression_goal,
            hold_id,
            needs_makegood: false,
        }
    }

    /// What the line is contracted at, in minor units: the flat price, or the goal's impressions
    /// at the CPM rounded half up (none without a goal).
    pub fn amount(&self) -> Option<Money> {
        match self.rate {
            Rate::Flat(m) => Some(m),
            Rate::Cpm(m) => {
                let goal = i128::from(self.impression_goal?);
                let minor = (goal * i128::from(m.amount) + 500) / 1000;
                Some(Money::new(i64::try_from(minor).ok()?, m.currency))
            }
        }
    }
}

/// An insertion order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// Its organization.
    pub org_id: OrgId,
    /// `IO-<year>-<00001>`, given once and never again.
    pub number: String,
    /// The campaign it sells.
    pub campaign_id: CampaignId,
    /// The campaign's advertiser.
    pub advertiser_id: ClientId,
    /// Where it stands.
    pub status: OrderStatus,
    /// Its lines, by number.
    pub lines: Vec<OrderLine>,
    /// The currency of every line.
    pub currency: Currency,
    /// How it is invoiced.
    pub billing_mode: BillingMode,
    /// Which months it is invoiced by.
    pub billing_calendar: BillingCalendar,
    /// Days the advertiser has to pay an invoice.
    pub payment_terms_days: u16,
    /// The advertiser's own reference (their PO number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_order_number: Option<String>,
    /// Notes the client never sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_notes: Option<String>,
    /// Its moves, oldest first.
    #[serde(default)]
    pub history: Vec<OrderHistoryEntry>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl Order {
    /// The record's key.
    pub fn key_of(org: &OrgId, id: &OrderId) -> Key {
        Key::new(org_pk(org, format!("ORDER#{id}")), PROFILE)
    }

    /// GSI1 partition of the organization's orders.
    pub fn all_pk(org: &OrgId) -> String {
        org_pk(org, "ORDERS")
    }

    /// GSI2 partition of a campaign's orders.
    pub fn by_campaign_pk(org: &OrgId, campaign: &CampaignId) -> String {
        org_pk(org, format!("CAMPAIGN#{campaign}#ORDERS"))
    }

    /// GSI3 partition of an advertiser's orders.
    pub fn by_advertiser_pk(org: &OrgId, advertiser: &ClientId) -> String {
        org_pk(org, format!("CLIENT#{advertiser}#ORDERS"))
    }

    /// Its sort key in every list: by number, which sorts by year, then order of creation.
    pub fn number_sk(&self) -> String {
        format!("NUMBER#{}", self.number)
    }

    /// The contracted total of its lines (in its currency); lines without an amount add nothing.
    pub fn total(&self) -> Money {
        let sum = self.lines.iter().filter_map(OrderLine::amount).map(|m| i128::from(m.amount)).sum::<i128>();
        Money::new(i64::try_from(sum).unwrap_or(i64::MAX), self.currency)
    }

    /// What the transition guards look at.
    pub fn guard_facts(&self) -> transitions::GuardFacts {
        transitions::GuardFacts { lines: self.lines.len(), last_air_date: self.lines.iter().map(|l| l.air_date).max() }
    }

    /// Field errors of what an editor sets: lines, terms and texts.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        if self.lines.len() > MAX_LINES {
            v.add("lines", "too_many", format!("at most {MAX_LINES} lines"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, l) in self.lines.iter().enumerate() {
            let field = |f: &str| format!("lines[{i}].{f}");
            let m = l.rate.money();
            if m.currency != self.currency {
                v.add(field("rate"), "currency", format!("every line is in the order's currency, {}", self.currency));
            }
            if m.amount < 0 {
                v.add(field("rate"), "negative", "a rate is zero or more");
            }
            match (l.rate, l.impression_goal) {
                (Rate::Cpm(_), None) => v.add(field("impressionGoal"), "required", "a CPM line needs its goal"),
                (_, Some(0)) => v.add(field("impressionGoal"), "invalid", "a goal is at least one impression"),
                _ => {}
            }
            if !seen.insert(l.spot) {
                v.add(field("spot"), "duplicate", "a spot is sold once in an order");
            }
        }
        if self.payment_terms_days > MAX_PAYMENT_TERMS_DAYS {
            v.add("paymentTermsDays", "invalid", format!("0 to {MAX_PAYMENT_TERMS_DAYS} days"));
        }
        if let Some(n) = &self.external_order_number {
            v.text("externalOrderNumber", n, 100);
        }
        if let Some(n) = &self.internal_notes {
            v.text("internalNotes", n, 5000);
        }
        v.into_result()
    }

    /// The holds its lines are booked from, each once.
    pub fn hold_ids(&self) -> Vec<HoldId> {
        let mut ids: Vec<HoldId> = self.lines.iter().map(|l| l.hold_id).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

impl Entity for Order {
    const TYPE: &'static str = "order";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![
            (Index::Gsi1, Key::new(Self::all_pk(&self.org_id), self.number_sk())),
            (Index::Gsi2, Key::new(Self::by_campaign_pk(&self.org_id, &self.campaign_id), self.number_sk())),
            (Index::Gsi3, Key::new(Self::by_advertiser_pk(&self.org_id, &self.advertiser_id), self.number_sk())),
        ]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

/// The key of the counter of order numbers of `year`: an item whose `last` is the last number
/// given that year.
pub fn counter_key(org: &OrgId, year: i32) -> Key {
    crate::billing::numbering::Series::Order.counter_key(org, year)
}

/// The `seq`th order number of `year`: `IO-2026-00001` (five digits, more past 99,999).
pub fn number(year: i32, seq: u64) -> String {
    crate::billing::numbering::Series::Order.number(year, seq)
}

/// The year an order created at `now` is numbered in (UTC; the counter is per year).
pub fn number_year(now: chrono::DateTime<Utc>) -> i32 {
    use chrono::Datelike;
    now.year()
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::Utc;

    use super::*;
    use crate::campaign::Position;
    use crate::{EpisodeId, UserId};

    pub(crate) fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::USD)
    }

    pub(crate) fn line(n: u32, rate: Rate, goal: Option<u64>) -> OrderLine {
        OrderLine {
            line: n,
            spot: SpotRef { episode_id: EpisodeId::new(), position: Position::Mid, index: 0 },
            show_id: ShowId::new(),
            air_date: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            ad_type: AdType::HostRead,
            rate,
            impression_goal: goal,
            hold_id: HoldId::new(),
            needs_makegood: false,
        }
    }

    pub(crate) fn order(lines: Vec<OrderLine>) -> Order {
        let now = Utc::now();
        Order {
            id: OrderId::new(),
            org_id: OrgId::new(),
            number: number(2026, 1),
            campaign_id: CampaignId::new(),
            advertiser_id: ClientId::new(),
            status: OrderStatus::Draft,
            lines,
            currency: Currency::USD,
            billing_mode: BillingMode::Contract,
            billing_calendar: BillingCalendar::Standard,
            payment_terms_days: DEFAULT_PAYMENT_TERMS_DAYS,
            external_order_number: None,
            internal_notes: Some("margin".into()),
            history: Vec::new(),
            stamp: Stamp::created(UserId::new(), now),
        }
    }

    /// A booked order of one CPM line with `goal` impressions airing on `air`.
    pub(crate) fn booked_order(goal: u64, air: NaiveDate) -> Order {
        let mut l = line(1, Rate::Cpm(usd(2_500)), Some(goal));
        l.air_date = air;
        Order { status: OrderStatus::Booked, ..order(vec![l]) }
    }

    #[test]
    fn a_line_costs_its_flat_price_or_its_goal_at_the_cpm_rounded_half_up() {
        assert_eq!(line(1, Rate::Flat(usd(50_000)), None).amount(), Some(usd(50_000)));
        // 12,345 impressions at $25.00 CPM = $308.625 -> 30,863 cents (half up).
        assert_eq!(line(1, Rate::Cpm(usd(2_500)), Some(12_345)).amount(), Some(usd(30_863)));
        // $308.6249.. rounds down.
        assert_eq!(line(1, Rate::Cpm(usd(2_500)), Some(12_344)).amount(), Some(usd(30_860)));
        assert_eq!(line(1, Rate::Cpm(usd(2_500)), None).amount(), None);
        let o = order(vec![
            line(1, Rate::Flat(usd(50_000)), None),
            line(2, Rate::Cpm(usd(2_500)), Some(12_345)),
            line(3, Rate::Cpm(usd(2_500)), None),
        ]);
        assert_eq!(o.total(), usd(80_863));
    }

    #[test]
    fn validation_names_each_bad_line() {
        let mut o = order(vec![line(1, Rate::Cpm(usd(2_500)), None), line(2, Rate::Flat(usd(-1)), Some(0))]);
        o.lines.push(line(3, Rate::Flat(Money::new(1, "EUR".parse().unwrap())), None));
        let dup = o.lines[0].spot;
        o.lines.push(OrderLine { spot: dup, ..line(4, Rate::Flat(usd(1)), None) });
        o.payment_terms_days = 366;
        let e = o.validate().unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "lines[0].impressionGoal",
                "lines[1].rate",
                "lines[1].impressionGoal",
                "lines[2].rate",
                "lines[3].spot",
                "paymentTermsDays"
            ]
        );
        let mut ok = order(vec![line(1, Rate::Cpm(usd(2_500)), Some(1))]);
        ok.payment_terms_days = MAX_PAYMENT_TERMS_DAYS;
        assert!(ok.validate().is_ok());
        ok.lines = (0..MAX_LINES as u32).map(|n| line(n + 1, Rate::Flat(usd(0)), None)).collect();
        assert!(ok.validate().is_ok(), "{MAX_LINES} lines, a rate of zero (a bonus spot)");
        ok.lines.push(line(MAX_LINES as u32 + 1, Rate::Flat(usd(1)), None));
        assert!(ok.validate().is_err(), "too many lines");
    }

    #[test]
    fn an_order_is_listed_by_number_in_its_organization_campaign_and_advertiser() {
        let o = order(vec![line(1, Rate::Flat(usd(1)), None)]);
        assert_eq!(o.key(), Key::new(format!("ORG#{}#ORDER#{}", o.org_id, o.id), "PROFILE"));
        let keys = o.index_keys();
        assert_eq!(keys[0], (Index::Gsi1, Key::new(format!("ORG#{}#ORDERS", o.org_id), "NUMBER#IO-2026-00001")));
        assert_eq!(keys[1].1.pk, format!("ORG#{}#CAMPAIGN#{}#ORDERS", o.org_id, o.campaign_id));
        assert_eq!(keys[2].1.pk, format!("ORG#{}#CLIENT#{}#ORDERS", o.org_id, o.advertiser_id));
        assert_eq!((keys[1].0, keys[2].0), (Index::Gsi2, Index::Gsi3));
        assert_eq!((Entity::org_id(&o), o.version(), <Order as Entity>::TYPE), (&o.org_id, 1, "order"));
        let mut later = o.clone();
        later.stamp.version = 5;
        assert_eq!(later.version(), 5);
        let at = chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(number_year(at), 2027);
        assert_eq!(counter_key(&o.org_id, 2027), Key::new(format!("ORG#{}#COUNTER", o.org_id), "ORDER#2027"));
        assert_eq!(number(2026, 42), "IO-2026-00042");
        assert_eq!(number(2026, 123_456), "IO-2026-123456");
    }

    #[test]
    fn rates_come_from_the_held_price_flat_first() {
        let both = SpotPrice { cpm: Some(usd(2_500)), flat: Some(usd(40_000)) };
        assert_eq!(Rate::of_price(&both), Some(Rate::Flat(usd(40_000))));
        assert_eq!(Rate::of_price(&SpotPrice { cpm: Some(usd(2_500)), flat: None }), Some(Rate::Cpm(usd(2_500))));
        assert_eq!(Rate::of_price(&SpotPrice::default()), None);
        assert_eq!(
            serde_json::to_value(Rate::Cpm(usd(1))).unwrap(),
            serde_json::json!({"cpm": {"amount": 1, "currency": "USD"}})
        );
    }

    #[test]
    fn the_facts_are_the_line_count_and_the_last_air_date() {
        let mut o = order(vec![line(1, Rate::Flat(usd(1)), None), line(2, Rate::Flat(usd(1)), None)]);
        o.lines[1].air_date = NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
        assert_eq!(o.guard_facts().lines, 2);
        assert_eq!(o.guard_facts().last_air_date, NaiveDate::from_ymd_opt(2027, 1, 5));
        assert_eq!(o.hold_ids().len(), 2);
        o.lines[1].hold_id = o.lines[0].hold_id;
        assert_eq!(o.hold_ids(), vec![o.lines[0].hold_id]);
    }
}
