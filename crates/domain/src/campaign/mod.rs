//! Campaigns, their team and their status history.
//!
//! Keys and access patterns (one item collection per campaign, `ORG#<o>#CAMPAIGN#<c>`):
//! - the campaign record: SK `PROFILE`;
//! - team members: SK `MEMBER#<u>` (Query begins_with `MEMBER#`); each member item is also in
//!   GSI1 `ORG#<o>#USER#<u>#CAMPAIGNS` / `CAMPAIGN#<c>` ("campaigns I am on");
//! - status history: SK `HISTORY#<ulid>` (Query begins_with `HISTORY#`, oldest first);
//! - list all campaigns by start date (date-range filter, newest or oldest first):
//!   GSI1 `ORG#<o>#CAMPAIGNS` / `START#<startDate|0000-00-00>#<c>`;
//! - list a client's campaigns (client users, archive guard): GSI2 `ORG#<o>#CLIENT#<cl>#CAMPAIGNS` /
//!   `START#<startDate>#<c>`;
//! - the campaigns bought through an agency (its type-change guard): link items in the agency's
//!   collection, `ORG#<o>#CLIENT#<a>` / `AGENCY_CAMPAIGN#<c>` ([`Campaign::agency_link_key`]),
//!   written with the campaign in one transaction;
//! - list the campaigns in one status by start date (status filter; the daily job's won campaigns
//!   that have started and live ones that have ended): GSI3 `ORG#<o>#CAMPAIGNS#STATUS#<status>` /
//!   `START#<startDate>#<c>`;
//! - list campaigns by last update (`sort=updated`): GSI4 `ORG#<o>#CAMPAIGNS#UPDATED` /
//!   `UPDATED#<updatedAt>#<c>`;
//! - the campaigns targeting a show (producers read those of their shows): link items in the show's
//!   collection, `ORG#<o>#SHOW#<s>` / `CAMPAIGN#<c>` ([`Campaign::show_link_key`]), written with the
//!   campaign in one transaction.
//!
//! Status rules live in [`transitions`]; the team model in [`team`]; what each reader sees in
//! [`view`].

pub mod team;
pub mod transitions;
pub mod view;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::avails::RateOverride;
use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::{CampaignId, ClientId, Money, OrgId, ShowId, Stamp, UserId, ValidationErrors};

pub use transitions::CampaignStatus;

/// Where in an episode an ad runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// Before the content.
    Pre,
    /// Inside the content.
    Mid,
    /// After the content.
    Post,
}

/// Delivery goals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Goals {
    /// Target impressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impressions: Option<u64>,
}

/// Where the campaign should run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Targeting {
    /// Shows to run on.
    #[serde(default)]
    pub show_ids: Vec<ShowId>,
    /// Positions wanted.
    #[serde(default)]
    pub positions: Vec<Position>,
    /// Free-text notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// An advertising campaign sold to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    /// Its id.
    pub id: CampaignId,
    /// Its organization.
    pub org_id: OrgId,
    /// Name.
    pub name: String,
    /// The advertiser (required to leave draft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// The agency buying it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<ClientId>,
    /// The owning seller.
    pub owner_id: UserId,
    /// First day (required to leave draft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    /// Last day, not before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    /// Budget (positive to leave draft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
    /// Delivery goals.
    #[serde(default)]
    pub goals: Goals,
    /// Targeting.
    #[serde(default)]
    pub targeting: Targeting,
    /// Internal notes, hidden from the client view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_notes: Option<String>,
    /// Prices negotiated for this campaign per show and position, over the shows' rate cards:
    /// copied onto its holds and order lines when made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate_overrides: Vec<RateOverride>,
    /// Where it is in the sales pipeline.
    pub status: CampaignStatus,
    /// Win probability in percent, derived from the status.
    pub probability: u8,
    /// Archived campaigns are hidden from lists unless asked for.
    #[serde(default)]
    pub archived: bool,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// One status change, kept in the campaign's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its organization.
    pub org_id: OrgId,
    /// Sortable id of the entry.
    pub id: ulid::Ulid,
    /// Who changed it (`None` for the daily job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserId>,
    /// When.
    pub at: DateTime<Utc>,
    /// From status.
    pub from: CampaignStatus,
    /// To status.
    pub to: CampaignStatus,
    /// Why, when given (required for lost and cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Campaign {
    /// Field errors, if any (status guards are separate, in [`transitions`]).
    /// The most rate overrides a campaign keeps.
    pub const MAX_RATE_OVERRIDES: usize = 150;

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        v.text("name", &self.name, 200);
        if let (Some(s), Some(e)) = (self.start_date, self.end_date)
            && e < s
        {
            v.add("endDate", "before_start", "must not be before startDate");
        }
        if let Some(b) = self.budget
            && b.amount < 0
        {
            v.add("budget.amount", "negative", "must not be negative");
        }
        if self.agency_id.is_some() && self.agency_id == self.client_id {
            v.add("agencyId", "invalid", "must differ from clientId");
        }
        if self.targeting.show_ids.len() > Self::MAX_SHOWS {
            v.add("targeting.showIds", "too_many", "at most 50 shows");
        }
        let mut seen = std::collections::BTreeSet::new();
        if self.targeting.show_ids.iter().any(|s| !seen.insert(s)) {
            v.add("targeting.showIds", "duplicate", "each show at most once");
        }
        v.opt_text("targeting.notes", self.targeting.notes.as_deref(), 5000);
        v.opt_text("internalNotes", self.internal_notes.as_deref(), 10_000);
        if self.rate_overrides.len() > Self::MAX_RATE_OVERRIDES {
            v.add("rateOverrides", "too_many", "at most 150 (50 shows, 3 positions)");
        }
        let mut priced = std::collections::BTreeSet::new();
        for (i, o) in self.rate_overrides.iter().enumerate() {
            if !priced.insert((o.show_id, o.position)) {
                v.add(format!("rateOverrides[{i}]"), "duplicate", "one price per show and position");
            }
            if [o.price.cpm, o.price.flat].iter().flatten().any(|m| m.amount < 0) {
                v.add(format!("rateOverrides[{i}].price"), "negative", "must not be negative");
            }
            if o.price.cpm.is_none() && o.price.flat.is_none() {
                v.add(format!("rateOverrides[{i}].price"), "required", "a CPM, a flat price or both");
            }
        }
        if self.probability != self.status.probability() {
            v.add("probability", "derived", "is derived from the status");
        }
        v.into_result()
    }

    /// The facts the transition guards look at.
    pub fn guard_facts(&self) -> transitions::GuardFacts {
        transitions::GuardFacts {
            has_client: self.client_id.is_some(),
            start_date: self.start_date,
            end_date: self.end_date,
            budget_positive: self.budget.is_some_and(|b| b.is_positive()),
        }
    }

    /// The partition of this campaign's item collection.
    pub fn collection_pk(org: &OrgId, id: &CampaignId) -> String {
        org_pk(org, format!("CAMPAIGN#{id}"))
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &CampaignId) -> Key {
        Key::new(Self::collection_pk(org, id), PROFILE)
    }

    /// GSI1 partition listing all campaigns by start date.
    pub fn list_pk(org: &OrgId) -> String {
        org_pk(org, "CAMPAIGNS")
    }

    /// GSI2 partition listing one client's campaigns.
    pub fn by_client_pk(org: &OrgId, client: &ClientId) -> String {
        org_pk(org, format!("CLIENT#{client}#CAMPAIGNS"))
    }

    /// Sort key prefix of a start date in the list indexes (campaigns without dates sort first).
    pub fn start_sk(date: Option<NaiveDate>) -> String {
        match date {
            Some(d) => format!("START#{d}"),
            None => "START#0000-00-00".into(),
        }
    }

    /// At most this many targeted shows: each one is a link item written with the campaign in
    /// one transaction (100 items at most).
    pub const MAX_SHOWS: usize = 50;

    /// GSI3 partition listing the campaigns in one status.
    pub fn by_status_pk(org: &OrgId, status: CampaignStatus) -> String {
        org_pk(org, format!("CAMPAIGNS#STATUS#{status}"))
    }

    /// GSI4 partition listing campaigns by last update.
    pub fn by_update_pk(org: &OrgId) -> String {
        org_pk(org, "CAMPAIGNS#UPDATED")
    }

    /// Sort key of a campaign in the by-update list (microseconds, so the order is the update order).
    pub fn updated_sk(&self) -> String {
        format!("UPDATED#{}#{}", self.stamp.updated_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"), self.id)
    }

    /// Key of the link item saying that a campaign targets a show (in the show's collection).
    pub fn show_link_key(org: &OrgId, show: &ShowId, campaign: &CampaignId) -> Key {
        Key::new(org_pk(org, format!("SHOW#{show}")), format!("{}{campaign}", Self::SHOW_LINK_PREFIX))
    }

    /// Key of the link item saying that a campaign is bought through an agency (in the agency's
    /// collection).
    pub fn agency_link_key(org: &OrgId, agency: &ClientId, campaign: &CampaignId) -> Key {
        Key::new(org_pk(org, format!("CLIENT#{agency}")), format!("{}{campaign}", Self::AGENCY_LINK_PREFIX))
    }

    /// Sort key prefix of the campaign links in an agency's collection.
    pub const AGENCY_LINK_PREFIX: &'static str = "AGENCY_CAMPAIGN#";

    /// Sort key prefix of the campaign links in a show's collection.
    pub const SHOW_LINK_PREFIX: &'static str = "CAMPAIGN#";

    /// Sort key prefix of the history entries in the collection.
    pub const HISTORY_PREFIX: &'static str = "HISTORY#";

    /// Key of one history entry.
    pub fn history_key(org: &OrgId, id: &CampaignId, entry: ulid::Ulid) -> Key {
        Key::new(Self::collection_pk(org, id), format!("{}{entry}", Self::HISTORY_PREFIX))
    }
}

impl Entity for Campaign {
    const TYPE: &'static str = "campaign";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let sk = format!("{}#{}", Self::start_sk(self.start_date), self.id);
        let mut keys = vec![
            (Index::Gsi1, Key::new(Self::list_pk(&self.org_id), sk.clone())),
            (Index::Gsi3, Key::new(Self::by_status_pk(&self.org_id, self.status), sk.clone())),
            (Index::Gsi4, Key::new(Self::by_update_pk(&self.org_id), self.updated_sk())),
        ];
        if let Some(client) = &self.client_id {
            keys.push((Index::Gsi2, Key::new(Self::by_client_pk(&self.org_id, client), sk)));
        }
        keys
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

impl Entity for HistoryEntry {
    const TYPE: &'static str = "campaignHistory";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Campaign::history_key(&self.org_id, &self.campaign_id, self.id)
    }
    fn version(&self) -> u64 {
        1
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Currency;

    pub(crate) fn campaign() -> Campaign {
        Campaign {
            id: CampaignId::new(),
            org_id: OrgId::new(),
            name: "Spring push".into(),
            client_id: Some(ClientId::new()),
            agency_id: None,
            owner_id: UserId::new(),
            start_date: NaiveDate::from_ymd_opt(2026, 3, 1),
            end_date: NaiveDate::from_ymd_opt(2026, 5, 31),
            budget: Some(Money::new(1_000_000, Currency::USD)),
            goals: Goals::default(),
            targeting: Targeting::default(),
            internal_notes: None,
            rate_overrides: Vec::new(),
            status: CampaignStatus::Draft,
            probability: 10,
            archived: false,
            stamp: Stamp::created(UserId::new(), Utc::now()),
        }
    }

    #[test]
    fn valid_campaign_passes() {
        campaign().validate().unwrap();
    }

    #[test]
    fn end_before_start_and_wrong_probability_fail() {
        let mut c = campaign();
        c.end_date = NaiveDate::from_ymd_opt(2026, 2, 1);
        c.probability = 50;
        c.name = String::new();
        let e = c.validate().unwrap_err();
        assert!(e.has("endDate") && e.has("probability") && e.has("name"));
    }

    #[test]
    fn rate_overrides_are_one_priced_entry_per_show_and_position() {
        use crate::inventory::spot::SpotPrice;
        let show = crate::ShowId::new();
        let price = |amount| SpotPrice { cpm: None, flat: Some(Money::new(amount, Currency::USD)) };
        let o = |position, price| RateOverride { show_id: show, position, price };
        let mut c = campaign();
        c.rate_overrides = vec![o(Position::Mid, price(25_000)), o(Position::Pre, price(1))];
        c.validate().unwrap();
        c.rate_overrides.push(o(Position::Mid, price(1)));
        c.rate_overrides.push(o(Position::Post, price(-1)));
        c.rate_overrides.push(o(Position::Pre, SpotPrice::default()));
        let e = c.validate().unwrap_err();
        assert!(e.has("rateOverrides[2]") && e.has("rateOverrides[3].price") && e.has("rateOverrides[4].price"));
        c.rate_overrides = (0..=Campaign::MAX_RATE_OVERRIDES)
            .map(|_| RateOverride { show_id: crate::ShowId::new(), position: Position::Pre, price: price(1) })
            .collect();
        assert!(c.validate().unwrap_err().has("rateOverrides"));
    }

    #[test]
    fn list_keys_sort_by_start_date_and_include_the_client_index() {
        let c = campaign();
        let keys = c.index_keys();
        assert_eq!(keys.len(), 4);
        assert!(keys[0].1.sk.starts_with("START#2026-03-01#"));
        assert!(keys[1].1.pk.ends_with("#CAMPAIGNS#STATUS#draft"));
        assert!(keys[2].1.sk.starts_with("UPDATED#"));
        assert!(keys[3].1.pk.ends_with("#CAMPAIGNS"));
        let mut undated = campaign();
        undated.start_date = None;
        undated.client_id = None;
        assert_eq!(undated.index_keys().len(), 3);
        assert!(undated.index_keys()[0].1.sk < keys[0].1.sk);
    }
}
