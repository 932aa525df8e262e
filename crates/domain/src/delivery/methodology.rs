//! The organization's description of how it counts (`GET /delivery/methodology`): the guidelines'
//! version, its window, the threshold, the filters with the bot list's version and its own
//! additions, how listeners are keyed and how ads are counted. Advertisers are owed this
//! disclosure; it is built from the same constants the counting uses, so it cannot drift.

use serde_json::{Value, json};

use super::filters::{BOT_LIST_VERSION, KNOWN_NON_PLAYERS};
use super::pacing::ACCRUAL_DAYS;
use super::settings::Window;
use crate::organization::OrgSettings;

/// The methodology of an organization with `settings`.
pub fn methodology(settings: &OrgSettings) -> Value {
    let window = match settings.delivery.window {
        Window::CalendarDay => format!("calendar day in {}", settings.timezone),
        Window::FirstTouch => "24 hours from a listener's first request".to_owned(),
        Window::LastTouch => "24 hours from a listener's last request".to_owned(),
    };
    json!({
        "guidelines": super::GUIDELINES,
        "window": {"method": settings.delivery.window, "timezone": settings.timezone, "description": window},
        "download": "a listener's requests for an episode within the window, once the bytes they delivered reach the one-minute threshold: the whole file when it is 60 seconds or shorter, else headerBytes + (fileSizeBytes - headerBytes) / durationSeconds * 60; the whole file when its size or length is unknown",
        "listener": "the client address (an IPv6 address's /64) with the user agent, stored only as an HMAC-SHA256 under a secret rotated monthly",
        "filters": [
            "HEAD and other methods than GET",
            "statuses other than 200 and 206",
            "the Range bytes=0-1 probe",
            "self-identified bots (bot, crawler, spider) and the known list of bots and programs that are not players",
            "Apple Watch duplicates (atc/ with watchOS, (null)/(null) watchOS)",
            "responses that delivered no bytes"
        ],
        "botList": {
            "version": BOT_LIST_VERSION,
            "entries": KNOWN_NON_PLAYERS.len(),
            "organizationAdditions": settings.delivery.bot_user_agents.len()
        },
        "adDelivery": "a baked-in ad counts for a download whose bytes cover its whole span, from its marker (offset and length in seconds) at the file's bytes per second after its header",
        "uniqueListeners": "per episode and day; never summed across days",
        "pacing": format!("even over a line's flight of {ACCRUAL_DAYS} days from its air date: expected = goal x the share of the flight's days begun; on track from 90 % to 110 % of expected, behind below 90 %, at risk below 70 % or when the flight ended short of the goal, ahead above 110 %"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::settings::DeliverySettings;

    #[test]
    fn the_methodology_names_the_window_the_versions_and_the_additions() {
        let mut s = OrgSettings { timezone: "America/New_York".into(), ..OrgSettings::default() };
        let m = methodology(&s);
        assert_eq!(m["guidelines"], crate::delivery::GUIDELINES);
        assert_eq!(m["window"]["method"], "calendar_day");
        assert_eq!(m["window"]["description"], "calendar day in America/New_York");
        assert_eq!(m["botList"]["version"], BOT_LIST_VERSION);
        assert_eq!(m["botList"]["organizationAdditions"], 0);
        s.delivery = DeliverySettings { window: Window::LastTouch, bot_user_agents: vec!["acmemonitor".into()] };
        let m = methodology(&s);
        assert_eq!(m["window"]["method"], "last_touch");
        assert_eq!(m["botList"]["organizationAdditions"], 1);
        s.delivery.window = Window::FirstTouch;
        assert!(methodology(&s)["window"]["description"].as_str().unwrap().contains("first"));
    }
}
