//! Ad slots of an episode: derived from its length unless the show configures them.

use crate::show::{AdConfig, Slots};

/// The default slots for an episode of this length: up to 15 min 1/0/0, up to 30 min 1/1/1,
/// up to 60 min 1/2/1, longer 2/3/1. Unknown length counts as up to 30 minutes.
pub fn default_slots(duration_seconds: Option<u32>) -> Slots {
    let seconds = duration_seconds.unwrap_or(30 * 60);
    match seconds {
        0..=900 => Slots { pre: 1, mid: 0, post: 0 },
        901..=1800 => Slots { pre: 1, mid: 1, post: 1 },
        1801..=3600 => Slots { pre: 1, mid: 2, post: 1 },
        _ => Slots { pre: 2, mid: 3, post: 1 },
    }
}

/// The slots of an episode of a show: the show's configuration wins over the default.
pub fn episode_slots(config: &AdConfig, duration_seconds: Option<u32>) -> Slots {
    config.slots.unwrap_or_else(|| default_slots(duration_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: Slots) -> (u8, u8, u8) {
        (s.pre, s.mid, s.post)
    }

    #[test]
    fn slots_follow_the_length_boundaries() {
        assert_eq!(t(default_slots(Some(1))), (1, 0, 0));
        assert_eq!(t(default_slots(Some(15 * 60))), (1, 0, 0));
        assert_eq!(t(default_slots(Some(15 * 60 + 1))), (1, 1, 1));
        assert_eq!(t(default_slots(Some(30 * 60))), (1, 1, 1));
        assert_eq!(t(default_slots(Some(30 * 60 + 1))), (1, 2, 1));
        assert_eq!(t(default_slots(Some(60 * 60))), (1, 2, 1));
        assert_eq!(t(default_slots(Some(60 * 60 + 1))), (2, 3, 1));
        assert_eq!(t(default_slots(None)), (1, 1, 1));
    }

    #[test]
    fn the_show_configuration_overrides() {
        let cfg = AdConfig { slots: Some(Slots { pre: 0, mid: 4, post: 0 }), ..AdConfig::default() };
        assert_eq!(t(episode_slots(&cfg, Some(600))), (0, 4, 0));
        assert_eq!(t(episode_slots(&AdConfig::default(), Some(600))), (1, 0, 0));
    }
}
