//! How an organization counts delivery: its window (disclosed in its methodology) and the user
//! agents it adds to the known bot list.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::filters::BotList;
use super::windows::WindowMethod;
use crate::ValidationErrors;

/// At most this many user-agent patterns an organization adds.
pub const MAX_EXTRA_BOTS: usize = 200;

/// Which window an organization counts in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// The calendar day in the organization's time zone.
    #[default]
    CalendarDay,
    /// 24 hours from a listener's first request.
    FirstTouch,
    /// 24 hours from a listener's last request.
    LastTouch,
}

/// An organization's delivery settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliverySettings {
    /// The window.
    #[serde(default)]
    pub window: Window,
    /// User-agent substrings counted as bots on top of the known list (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bot_user_agents: Vec<String>,
}

impl DeliverySettings {
    /// Field errors under `prefix`.
    pub fn check(&self, prefix: &str, v: &mut ValidationErrors) {
        if self.bot_user_agents.len() > MAX_EXTRA_BOTS {
            v.add(format!("{prefix}botUserAgents"), "too_many", format!("at most {MAX_EXTRA_BOTS} patterns"));
        }
        for (i, b) in self.bot_user_agents.iter().enumerate() {
            if b.trim().len() < 3 || b.len() > 200 {
                v.add(format!("{prefix}botUserAgents[{i}]"), "invalid", "3 to 200 characters");
            }
        }
    }

    /// The window method in the organization's time zone `zone`.
    pub fn method(&self, zone: Tz) -> WindowMethod {
        match self.window {
            Window::CalendarDay => WindowMethod::CalendarDay { zone },
            Window::FirstTouch => WindowMethod::FirstTouch,
            Window::LastTouch => WindowMethod::LastTouch,
        }
    }

    /// The known bot list with the organization's additions.
    pub fn bots(&self) -> BotList {
        BotList::with(self.bot_user_agents.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_choose_the_window_and_extend_the_bots() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let mut s = DeliverySettings::default();
        assert_eq!(s.method(ny), WindowMethod::CalendarDay { zone: ny });
        s.window = Window::FirstTouch;
        assert_eq!(s.method(ny), WindowMethod::FirstTouch);
        s.window = Window::LastTouch;
        assert_eq!(s.method(ny), WindowMethod::LastTouch);
        assert!(!s.bots().is_bot("AcmeInternalMonitor/2.0"));
        s.bot_user_agents = vec!["acmeinternalmonitor".into()];
        assert!(s.bots().is_bot("AcmeInternalMonitor/2.0"));
        let mut v = ValidationErrors::new();
        s.check("settings.delivery.", &mut v);
        assert!(v.is_empty());
        s.bot_user_agents = vec!["ab".into(), "x".repeat(201)];
        s.check("settings.delivery.", &mut v);
        assert!(v.has("settings.delivery.botUserAgents[0]") && v.has("settings.delivery.botUserAgents[1]"));
        let mut v = ValidationErrors::new();
        s.bot_user_agents = vec!["abc".into(); MAX_EXTRA_BOTS + 1];
        s.check("", &mut v);
        assert!(v.has("botUserAgents"));
        let mut v = ValidationErrors::new();
        s.bot_user_agents = vec!["abc".into(), "x".repeat(200)];
        s.check("", &mut v);
        assert!(v.is_empty(), "3 and 200 characters are within");
        s.bot_user_agents = vec!["abc".into(); MAX_EXTRA_BOTS];
        s.check("", &mut v);
        assert!(v.is_empty(), "the most patterns are within");
        let json: DeliverySettings = serde_json::from_value(serde_json::json!({"window": "last_touch"})).unwrap();
        assert_eq!(json.window, Window::LastTouch);
    }
}
