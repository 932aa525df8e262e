//! Competitive separation: two advertisers of one competitive category (an IAB content taxonomy
//! id such as `IAB2`) never share an episode (or, by the organization's setting, a show's day).
//! What is checked here is the rule; a hold or booking also claims its category atomically in
//! the store, so two sellers racing for one episode cannot both win.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Key, org_pk};
use crate::{ClientId, EpisodeId, OrgId, ShowId};

/// Where two competitors may not meet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeparationScope {
    /// Not in one episode.
    #[default]
    Episode,
    /// Not in one show on one air date.
    ShowDay,
}

/// What a conflict does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeparationMode {
    /// Refuse the spot (an admin may override, with a reason).
    #[default]
    Block,
    /// Allow it, and say so.
    Warn,
}

/// The organization's competitive separation setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Separation {
    /// Where competitors may not meet.
    #[serde(default)]
    pub scope: SeparationScope,
    /// Whether a conflict refuses or warns.
    #[serde(default)]
    pub mode: SeparationMode,
}

/// The competitors `advertiser` (of `category`) would meet among `present` (the advertisers
/// already in the scope), given each advertiser's category in `categories`. An advertiser
/// without a category competes with nobody, and never with itself.
pub fn competitors(
    advertiser: ClientId,
    category: Option<&str>,
    present: &BTreeSet<ClientId>,
    categories: &BTreeMap<ClientId, String>,
) -> BTreeSet<ClientId> {
    let Some(category) = category.map(str::trim).filter(|c| !c.is_empty()) else { return BTreeSet::new() };
    present
        .iter()
        .filter(|other| **other != advertiser)
        .filter(|other| categories.get(other).is_some_and(|c| c.trim().eq_ignore_ascii_case(category)))
        .copied()
        .collect()
}

/// A competitive category as keys spell it: trimmed, upper-case (`iab2 ` is `IAB2`).
pub fn category_of(raw: &str) -> Option<String> {
    let c = raw.trim().to_ascii_uppercase();
    (!c.is_empty()).then_some(c)
}

/// The scope one spot of `episode` (of `show`, airing `air_date`) competes in.
pub fn scope_key(
    org: &OrgId,
    scope: SeparationScope,
    episode: &EpisodeId,
    show: &ShowId,
    air_date: NaiveDate,
    category: &str,
) -> Key {
    let pk = match scope {
        SeparationScope::Episode => org_pk(org, format!("EPISODE#{episode}")),
        SeparationScope::ShowDay => org_pk(org, format!("SHOW#{show}#DAY#{air_date}")),
    };
    Key::new(pk, format!("CATEGORY#{category}"))
}

/// Which advertiser has a competitive category in one scope, and until when: the atomic half of
/// separation. A hold or booking writes it in the same transaction as its spots, on the condition
/// that nobody else has it (or theirs has expired), so two competitors racing for one episode
/// cannot both win.
///
/// Key: [`scope_key`] (`ORG#<o>#EPISODE#<e>` or `ORG#<o>#SHOW#<s>#DAY#<date>` / `CATEGORY#<c>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryClaim {
    /// Its organization.
    pub org_id: OrgId,
    /// Where it holds (the key).
    #[serde(skip)]
    pub key: Option<Key>,
    /// The category.
    pub category: String,
    /// The advertiser that has it.
    pub advertiser_id: ClientId,
    /// Until when: its latest hold's expiry (the table's TTL); none once a spot is booked.
    #[serde(default, with = "chrono::serde::ts_seconds_option", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl CategoryClaim {
    /// Whether it keeps others out at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }
}

impl Entity for CategoryClaim {
    const TYPE: &'static str = "categoryClaim";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        self.key.clone().unwrap_or_else(|| Key::new(org_pk(&self.org_id, "CATEGORY"), self.category.clone()))
    }
    /// Written on conditions of who has it, not on versions.
    fn version(&self) -> u64 {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_another_advertiser_of_the_same_category_competes() {
        let (me, rival, other, plain) = (ClientId::new(), ClientId::new(), ClientId::new(), ClientId::new());
        let categories =
            BTreeMap::from([(me, "IAB2".to_owned()), (rival, "iab2 ".to_owned()), (other, "IAB7".to_owned())]);
        let present = BTreeSet::from([me, rival, other, plain]);
        assert_eq!(competitors(me, Some("IAB2"), &present, &categories), BTreeSet::from([rival]));
        assert!(competitors(me, None, &present, &categories).is_empty(), "no category, no competitor");
        assert!(competitors(me, Some("  "), &present, &categories).is_empty());
        assert!(competitors(me, Some("IAB2"), &BTreeSet::from([me]), &categories).is_empty(), "not itself");
        assert_eq!(competitors(plain, Some("IAB7"), &present, &categories), BTreeSet::from([other]));
    }

    #[test]
    fn a_category_is_claimed_per_episode_or_per_show_and_day() {
        let (o, e, s) = (OrgId::new(), EpisodeId::new(), ShowId::new());
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(category_of(" iab2 ").as_deref(), Some("IAB2"));
        assert_eq!(category_of("  "), None);
        let k = scope_key(&o, SeparationScope::Episode, &e, &s, d, "IAB2");
        assert_eq!(k, Key::new(format!("ORG#{o}#EPISODE#{e}"), "CATEGORY#IAB2"));
        let k = scope_key(&o, SeparationScope::ShowDay, &e, &s, d, "IAB2");
        assert_eq!(k, Key::new(format!("ORG#{o}#SHOW#{s}#DAY#2026-12-07"), "CATEGORY#IAB2"));
        let now = Utc::now();
        let mut c = CategoryClaim {
            org_id: o,
            key: Some(k.clone()),
            category: "IAB2".into(),
            advertiser_id: ClientId::new(),
            expires_at: Some(now),
        };
        assert!(!c.is_live(now) && c.is_live(now - chrono::Duration::seconds(1)));
        assert_eq!(c.key(), k);
        c.expires_at = None;
        assert!(c.is_live(now + chrono::Duration::days(999)), "booked: for good");
        let v = serde_json::to_value(&c).unwrap();
        assert!(v.get("expiresAt").is_none() && v.get("key").is_none());
    }

    #[test]
    fn the_setting_defaults_to_blocking_per_episode_and_names_its_values() {
        assert_eq!(Separation::default(), Separation { scope: SeparationScope::Episode, mode: SeparationMode::Block });
        let s: Separation = serde_json::from_str(r#"{"scope":"show_day","mode":"warn"}"#).unwrap();
        assert_eq!(s, Separation { scope: SeparationScope::ShowDay, mode: SeparationMode::Warn });
        assert!(serde_json::from_str::<Separation>(r#"{"scope":"network"}"#).is_err());
    }
}
