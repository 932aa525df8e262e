//! Competitive separation: two advertisers of one competitive category (an IAB content taxonomy
//! id such as `IAB2`) never share an episode (or, by the organization's setting, a show's day).
//! What is checked here is the rule; a hold or booking also claims its category atomically in
//! the store, so two sellers racing for one episode cannot both win.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ClientId;

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
    fn the_setting_defaults_to_blocking_per_episode_and_names_its_values() {
        assert_eq!(Separation::default(), Separation { scope: SeparationScope::Episode, mode: SeparationMode::Block });
        let s: Separation = serde_json::from_str(r#"{"scope":"show_day","mode":"warn"}"#).unwrap();
        assert_eq!(s, Separation { scope: SeparationScope::ShowDay, mode: SeparationMode::Warn });
        assert!(serde_json::from_str::<Separation>(r#"{"scope":"network"}"#).is_err());
    }
}
