//! Which requests can count at all, by the guidelines' filtering rules; every dropped request
//! says which rule dropped it (the evidence a client audits).

use serde::{Deserialize, Serialize};

use super::request::Request;

/// Why a request does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    /// Not a GET (a HEAD delivers nothing).
    Method,
    /// Answered neither 200 nor 206.
    Status,
    /// The `bytes=0-1` probe players send first.
    Probe,
    /// A bot or a program that is not a player.
    Bot,
    /// The second request an Apple Watch makes for what its phone already downloads.
    AppleWatchDuplicate,
    /// It delivered no bytes.
    Empty,
}

impl Dropped {
    /// Its name as reports and evidence show it (its JSON form).
    pub fn name(self) -> &'static str {
        match self {
            Dropped::Method => "method",
            Dropped::Status => "status",
            Dropped::Probe => "probe",
            Dropped::Bot => "bot",
            Dropped::AppleWatchDuplicate => "apple_watch_duplicate",
            Dropped::Empty => "empty",
        }
    }
}

/// The version of [`KNOWN_NON_PLAYERS`].
pub const BOT_LIST_VERSION: &str = "2026-12";

/// User agents (lower-cased substrings) of programs that are not podcast players: crawlers, link
/// previews, HTTP libraries. An organization may add its own ([`BotList::with`]).
pub const KNOWN_NON_PLAYERS: [&str; 20] = [
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "libwww-perl",
    "apache-httpclient",
    "scrapy",
    "headlesschrome",
    "phantomjs",
    "facebookexternalhit",
    "twitterbot",
    "slackbot",
    "discordbot",
    "whatsapp",
    "bingpreview",
    "ahrefs",
    "semrush",
    "feedvalidator",
    "uptimerobot",
];

/// Words by which a bot names itself in its user agent.
const SELF_IDENTIFIED: [&str; 3] = ["bot", "crawler", "spider"];

/// The non-player user agents one organization filters: the known list and its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BotList {
    extra: Vec<String>,
}

impl BotList {
    /// The known list and `extra` (substrings, matched case-insensitively).
    pub fn with(extra: impl IntoIterator<Item = String>) -> Self {
        Self { extra: extra.into_iter().map(|s| s.to_lowercase()).filter(|s| !s.is_empty()).collect() }
    }

    /// Whether `user_agent` (lower-cased) is a bot or a non-player.
    pub fn is_bot(&self, user_agent: &str) -> bool {
        self.is_bot_lower(&user_agent.to_lowercase())
    }

    fn is_bot_lower(&self, ua: &str) -> bool {
        ua.trim().is_empty()
            || SELF_IDENTIFIED.iter().any(|w| ua.contains(w))
            || KNOWN_NON_PLAYERS.iter().any(|w| ua.contains(w))
            || self.extra.iter().any(|w| ua.contains(w.as_str()))
    }
}

/// Whether `user_agent` is an Apple Watch's duplicate of its phone's download.
pub fn is_apple_watch_duplicate(user_agent: &str) -> bool {
    watch_duplicate_lower(&user_agent.to_lowercase())
}

fn watch_duplicate_lower(ua: &str) -> bool {
    (ua.contains("atc/") && ua.contains("watchos")) || ua.starts_with("(null)/(null) watchos")
}

/// The rule that drops every request of `user_agent`, if any: an Apple Watch duplicate, then a
/// bot. It depends on the user agent alone, so a count judges each user agent once.
pub fn user_agent_rule(user_agent: &str, bots: &BotList) -> Option<Dropped> {
    let ua = user_agent.to_lowercase();
    if watch_duplicate_lower(&ua) {
        Some(Dropped::AppleWatchDuplicate)
    } else if bots.is_bot_lower(&ua) {
        Some(Dropped::Bot)
    } else {
        None
    }
}

/// Whether `r` may count, or the rule that drops it (checked in this order).
pub fn verdict(r: &Request, bots: &BotList) -> Result<(), Dropped> {
    verdict_with(r, || user_agent_rule(&r.user_agent, bots))
}

/// [`verdict`] with the user agent's rule (an Apple Watch duplicate or a bot) given by
/// `user_agent`, asked only when the earlier rules keep the request.
pub fn verdict_with(r: &Request, user_agent: impl FnOnce() -> Option<Dropped>) -> Result<(), Dropped> {
    if !r.method.eq_ignore_ascii_case("GET") {
        return Err(Dropped::Method);
    }
    if r.status != 200 && r.status != 206 {
        return Err(Dropped::Status);
    }
    if r.range.is_some_and(|range| range.is_probe()) {
        return Err(Dropped::Probe);
    }
    if let Some(rule) = user_agent() {
        return Err(rule);
    }
    if r.bytes_sent == 0 {
        return Err(Dropped::Empty);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn a_rules_name_is_its_json_form() {
        use Dropped::*;
        for d in [Method, Status, Probe, Bot, AppleWatchDuplicate, Empty] {
            assert_eq!(serde_json::to_value(d).unwrap(), serde_json::json!(d.name()));
        }
    }
    use crate::delivery::request::ByteRange;

    fn get(ua: &str) -> Request {
        Request {
            at: Utc::now(),
            ip: "192.0.2.1".parse().unwrap(),
            user_agent: ua.into(),
            method: "GET".into(),
            status: 200,
            bytes_sent: 1000,
            range: None,
        }
    }

    #[test]
    fn watch_duplicates_are_told_by_their_user_agent_alone() {
        assert!(is_apple_watch_duplicate("atc/1.0 watchOS/10.0"));
        assert!(is_apple_watch_duplicate("ATC/1.0 WatchOS/10.0"));
        assert!(is_apple_watch_duplicate("(null)/(null) watchOS/10.1"));
        assert!(!is_apple_watch_duplicate("Podcasts/1.0 watchOS/9.4"), "the watch's own player counts");
        assert!(!is_apple_watch_duplicate("atc/1.0 iOS/17.0"));
    }

    #[test]
    fn each_rule_drops_what_it_names_and_a_player_passes() {
        let bots = BotList::default();
        assert_eq!(verdict(&get("AppleCoreMedia/1.0.0.20E247 (iPhone; U; CPU OS 16_4 like Mac OS X)"), &bots), Ok(()));
        assert_eq!(verdict(&Request { method: "HEAD".into(), ..get("Overcast/3.0") }, &bots), Err(Dropped::Method));
        for status in [304, 404, 416, 500] {
            assert_eq!(verdict(&Request { status, ..get("Overcast/3.0") }, &bots), Err(Dropped::Status));
        }
        assert_eq!(verdict(&Request { status: 206, ..get("Overcast/3.0") }, &bots), Ok(()));
        let probe = Request { status: 206, bytes_sent: 2, range: ByteRange::parse("bytes=0-1"), ..get("Overcast/3.0") };
        assert_eq!(verdict(&probe, &bots), Err(Dropped::Probe));
        let watch = "atc/1.0 watchOS/9.4 model/Watch6,2 hwp/t8301 build/20T250 (6; dt:280) AMS/1";
        assert_eq!(verdict(&get(watch), &bots), Err(Dropped::AppleWatchDuplicate));
        assert_eq!(
            verdict(&get("(null)/(null) watchOS/9.4.0 model/Watch6,2"), &bots),
            Err(Dropped::AppleWatchDuplicate)
        );
        assert_eq!(verdict(&get("Podcasts/1.0 watchOS/9.4"), &bots), Ok(()), "a watch playing on its own counts");
        for ua in [
            "Googlebot/2.1",
            "Mozilla/5.0 (compatible; bingbot/2.0)",
            "curl/8.5.0",
            "python-requests/2.31",
            "",
            "AhrefsSiteAudit",
        ] {
            assert_eq!(verdict(&get(ua), &bots), Err(Dropped::Bot), "{ua}");
        }
        assert_eq!(verdict(&Request { bytes_sent: 0, ..get("Overcast/3.0") }, &bots), Err(Dropped::Empty));
    }

    #[test]
    fn an_organization_adds_its_own_non_players() {
        let ours = BotList::with(["InternalQA".to_owned(), String::new()]);
        assert!(ours.is_bot("Mozilla/5.0 internalqa-runner"));
        assert!(!BotList::default().is_bot("Mozilla/5.0 internalqa-runner"));
        assert!(!ours.is_bot("Spotify/8.8"));
    }
}
