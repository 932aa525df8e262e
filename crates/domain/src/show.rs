//! Shows.
//!
//! Keys and access patterns:
//! - the show record: `ORG#<o>#SHOW#<s>` / `PROFILE`;
//! - list all shows by name: GSI1 `ORG#<o>#SHOWS` / `NAME#<name>#<s>`;
//! - shows a producer or talent is assigned to: `ORG#<o>#USER#<u>#SHOWS` / `SHOW#<s>#<part>`
//!   ([`Show::assignment_key`]; part is `producer` or `talent`), written with the show in one
//!   transaction.

use serde::{Deserialize, Serialize};

use crate::campaign::Position;
use crate::keys::{Entity, Index, Key, PROFILE, org_pk, sortable_name};
use crate::{Money, OrgId, ShowId, Stamp, UserId, ValidationErrors};

/// How often new episodes come out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseFrequency {
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every other week.
    Biweekly,
    /// Every month.
    Monthly,
}

/// Active or archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShowStatus {
    /// In production.
    Active,
    /// Retired.
    Archived,
}

/// The part a user plays on a show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShowPart {
    /// Runs the show.
    Producer,
    /// Hosts the show.
    Talent,
}

impl ShowPart {
    /// The name used in keys and the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            ShowPart::Producer => "producer",
            ShowPart::Talent => "talent",
        }
    }
}

/// Number of ad slots per position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slots {
    /// Pre-roll slots.
    pub pre: u8,
    /// Mid-roll slots.
    pub mid: u8,
    /// Post-roll slots.
    pub post: u8,
}

/// A price per position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionPrices {
    /// Pre-roll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre: Option<Money>,
    /// Mid-roll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<Money>,
    /// Post-roll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<Money>,
}

impl PositionPrices {
    /// The price for one position.
    pub fn get(&self, p: Position) -> Option<Money> {
        match p {
            Position::Pre => self.pre,
            Position::Mid => self.mid,
            Position::Post => self.post,
        }
    }
}

/// How a show sells ads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdConfig {
    /// Slots per episode; when absent they derive from the episode's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<Slots>,
    /// Default CPM per position.
    #[serde(default)]
    pub cpm: PositionPrices,
    /// Flat price of one spot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat_spot_price: Option<Money>,
}

/// A podcast show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Show {
    /// Its id.
    pub id: ShowId,
    /// Its organization.
    pub org_id: OrgId,
    /// Name (public).
    pub name: String,
    /// Description (public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Category (public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Artwork URL or media id (public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artwork: Option<String>,
    /// Release cadence.
    pub release_frequency: ReleaseFrequency,
    /// Producers running it.
    #[serde(default)]
    pub producer_ids: Vec<UserId>,
    /// Its talent (hosts).
    #[serde(default)]
    pub talent_ids: Vec<UserId>,
    /// Ad configuration.
    #[serde(default)]
    pub ad_config: AdConfig,
    /// Downloads an episode gets on average, as the network states it: the avails' forecast of a
    /// spot's impressions until delivery is measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_downloads: Option<u64>,
    /// The host names its audio is served from (the CDN's): delivery logs are matched to its
    /// episodes by these and the episodes' enclosure URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feed_hosts: Vec<String>,
    /// What its people are owed of what it earns, set by admins through billing
    /// (`PUT /shows/{id}/revenue-share`); none when they are not paid a share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_share: Option<crate::billing::revenue_share::RevenueShare>,
    /// Active or archived.
    pub status: ShowStatus,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// The most downloads an episode is said to get on average.
pub const MAX_AVERAGE_DOWNLOADS: u64 = 1_000_000_000;

/// At most this many feed host names per show.
pub const MAX_FEED_HOSTS: usize = 10;

impl Show {
    /// Field errors, if any.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        v.text("name", &self.name, 200);
        v.opt_text("description", self.description.as_deref(), 5000);
        v.opt_text("category", self.category.as_deref(), 100);
        v.opt_text("artwork", self.artwork.as_deref(), 2048);
        if let Some(s) = self.ad_config.slots
            && (s.pre > 10 || s.mid > 10 || s.post > 10)
        {
            v.add("adConfig.slots", "out_of_range", "at most 10 slots per position");
        }
        let prices = [
            ("adConfig.cpm.pre", self.ad_config.cpm.pre),
            ("adConfig.cpm.mid", self.ad_config.cpm.mid),
            ("adConfig.cpm.post", self.ad_config.cpm.post),
            ("adConfig.flatSpotPrice", self.ad_config.flat_spot_price),
        ];
        for (field, price) in prices {
            if price.is_some_and(|m| m.amount < 0) {
                v.add(field, "negative", "must not be negative");
            }
        }
        if self.average_downloads.is_some_and(|d| d > MAX_AVERAGE_DOWNLOADS) {
            v.add("averageDownloads", "out_of_range", "at most 1,000,000,000");
        }
        if self.feed_hosts.len() > MAX_FEED_HOSTS {
            v.add("feedHosts", "too_many", format!("at most {MAX_FEED_HOSTS} host names"));
        }
        for (i, h) in self.feed_hosts.iter().enumerate() {
            if !crate::episode::audio::is_host_name(h) {
                v.add(format!("feedHosts[{i}]"), "invalid", "a lower-case host name such as cdn.example.com");
            }
        }
        if let Some(r) = &self.revenue_share {
            r.check("revenueShare.", &mut v);
        }
        if self.producer_ids.len() > 50 || self.talent_ids.len() > 50 {
            v.add("assignments", "too_many", "at most 50 producers and 50 talent");
        }
        v.into_result()
    }

    /// The show as a reader with `lens` sees it (the API and live updates answer this): client
    /// users with campaigns on it see its public fields.
    pub fn render(&self, lens: crate::visibility::Lens) -> serde_json::Value {
        lens.render(crate::visibility::EntityKind::Show, self)
    }

    /// The partition of this show's item collection (the record and the links of the campaigns
    /// targeting it).
    pub fn collection_pk(org: &OrgId, id: &ShowId) -> String {
        org_pk(org, format!("SHOW#{id}"))
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &ShowId) -> Key {
        Key::new(Self::collection_pk(org, id), PROFILE)
    }

    /// GSI1 partition listing all shows by name.
    pub fn list_pk(org: &OrgId) -> String {
        org_pk(org, "SHOWS")
    }

    /// The item recording that a user is assigned to a show as `part` (producer or talent).
    pub fn assignment_key(org: &OrgId, user: &UserId, show: &ShowId, part: ShowPart) -> Key {
        Key::new(Self::assignments_pk(org, user), format!("SHOW#{show}#{}", part.as_str()))
    }

    /// Partition of the shows a user is assigned to.
    pub fn assignments_pk(org: &OrgId, user: &UserId) -> String {
        org_pk(org, format!("USER#{user}#SHOWS"))
    }
}

impl Entity for Show {
    const TYPE: &'static str = "show";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(
            Index::Gsi1,
            Key::new(Self::list_pk(&self.org_id), format!("NAME#{}#{}", sortable_name(&self.name), self.id)),
        )]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}
