//! The count of one episode's requests: downloads per listener and window, the listeners behind
//! them, each baked-in ad delivered, and every request that could not count with its reason.
//!
//! A window is a download when the distinct bytes its requests delivered reach the file's
//! one-minute threshold ([`EpisodeFile::threshold_bytes`]). When the file's size or length is
//! unknown the threshold is the whole file, which only a complete response (200, no range)
//! proves. An ad is delivered when a download's bytes cover its whole span.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::file::EpisodeFile;
use super::filters::{BotList, Dropped, user_agent_rule, verdict_with};
use super::listener::Address;
use super::ranges::Coverage;
use super::request::Request;
use super::windows::{Opener, WindowMethod};

/// A listener as the count groups requests: the address part and the user agent. Shown as its
/// identity, `<address part>|<user agent>` (`listener::identity`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Listener {
    /// The address part.
    pub address: Address,
    /// The user agent.
    pub user_agent: String,
}

impl std::fmt::Display for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.address {
            Address::V4(a) => write!(f, "{}|{}", std::net::Ipv4Addr::from(a), self.user_agent),
            Address::V6(p) => {
                let s = std::net::Ipv6Addr::from(u128::from(p) << 64).segments();
                write!(f, "{:x}:{:x}:{:x}:{:x}::/64|{}", s[0], s[1], s[2], s[3], self.user_agent)
            }
        }
    }
}

/// One download: a listener's window that reached the threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// The listener (address part and user agent; hashed before it is stored).
    pub listener: Listener,
    /// When its window opened.
    pub opened: DateTime<Utc>,
    /// The file's ads it delivered, by index.
    pub ads: Vec<usize>,
}

/// What one kept request served, all the counting needs of it once its listener is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Served {
    /// When.
    pub at: DateTime<Utc>,
    /// The bytes delivered, `[start, end)`, if any.
    pub span: Option<(u64, u64)>,
    /// A complete response (200 without a range): the whole file, whatever its size.
    pub whole: bool,
}

impl Served {
    /// What `r` served.
    pub fn of(r: &Request) -> Self {
        Self { at: r.at, span: r.delivered(), whole: r.status == 200 && r.range.is_none() }
    }
}

/// One listener's windows: the downloads (when each opened, and the ads it delivered) and how
/// many windows stayed under the threshold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenerWindows {
    /// `(opened, ads)` of each download, in time order.
    pub downloads: Vec<(DateTime<Utc>, Vec<usize>)>,
    /// Windows whose bytes did not reach the threshold.
    pub under_threshold: u64,
}

/// What counting needs of a file, worked out once for all its listeners.
#[derive(Debug, Clone)]
pub struct Counting {
    threshold: Option<u64>,
    spans: Vec<Option<(u64, u64)>>,
    method: WindowMethod,
}

impl Counting {
    /// Counting `file` in windows of `method`.
    pub fn new(file: &EpisodeFile, method: WindowMethod) -> Self {
        Self { threshold: file.threshold_bytes(), spans: file.ads.iter().map(|a| file.ad_span(a)).collect(), method }
    }

    /// Counts one listener's `served` requests (in time order).
    pub fn listener(&self, served: &[Served]) -> ListenerWindows {
        let mut out = ListenerWindows::default();
        let mut opener = Opener::new(self.method);
        let mut i = 0;
        while i < served.len() {
            // Asking again for the instant that ended the last window gives its own window's
            // start: the opener's answer for an instant it has just seen does not change.
            let start = opener.start(served[i].at);
            let mut coverage = Coverage::default();
            let mut whole = false;
            while i < served.len() && (i == 0 || opener.start(served[i].at) == start) {
                if let Some((a, b)) = served[i].span {
                    coverage.add(a, b);
                }
                whole |= served[i].whole;
                i += 1;
            }
            let counts = match self.threshold {
                Some(t) => coverage.total() >= t,
                None => whole,
            };
            if !counts {
                out.under_threshold += 1;
                continue;
            }
            let ads = self
                .spans
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_some_and(|(a, b)| coverage.covers(a, b)))
                .map(|(n, _)| n)
                .collect();
            out.downloads.push((start, ads));
        }
        out
    }
}

/// Counts one listener's `served` requests (in time order) for `file`.
pub fn count_listener(served: &[Served], file: &EpisodeFile, method: WindowMethod) -> ListenerWindows {
    Counting::new(file, method).listener(served)
}

/// What counting one episode's requests found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// The downloads, by listener then window.
    pub downloads: Vec<Download>,
    /// Requests dropped, by rule.
    pub dropped: BTreeMap<Dropped, u64>,
    /// Windows whose requests stayed under the threshold.
    pub under_threshold: u64,
}

impl Tally {
    /// Distinct listeners with at least one download.
    pub fn listeners(&self) -> usize {
        let mut ids: Vec<&Listener> = self.downloads.iter().map(|d| &d.listener).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// How many downloads delivered the ad of index `ad`.
    pub fn ad_deliveries(&self, ad: usize) -> usize {
        self.downloads.iter().filter(|d| d.ads.contains(&ad)).count()
    }
}

/// Counts `requests` for the episode whose audio is `file`, in windows of `method`, with the
/// organization's `bots`.
pub fn count(requests: &[Request], file: &EpisodeFile, method: WindowMethod, bots: &BotList) -> Tally {
    let mut tally = Tally::default();
    // A log has few user agents and many requests: each user agent is judged once.
    let mut agents: HashMap<&str, Option<Dropped>> = HashMap::new();
    let mut by_listener: HashMap<(Address, &str), Vec<Served>> = HashMap::new();
    for r in requests {
        let ua: &str = &r.user_agent;
        match verdict_with(r, || *agents.entry(ua).or_insert_with(|| user_agent_rule(ua, bots))) {
            Ok(()) => by_listener.entry((Address::of(&r.ip), ua)).or_default().push(Served::of(r)),
            Err(rule) => *tally.dropped.entry(rule).or_default() += 1,
        }
    }
    // In the order of the listeners, so a count reads the same every time.
    let mut listeners: Vec<((Address, &str), Vec<Served>)> = by_listener.into_iter().collect();
    listeners.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let counting = Counting::new(file, method);
    for ((address, ua), mut served) in listeners {
        served.sort_by_key(|r| r.at);
        let windows = counting.listener(&served);
        tally.under_threshold += windows.under_threshold;
        let listener = Listener { address, user_agent: ua.to_owned() };
        tally.downloads.extend(windows.downloads.into_iter().map(|(opened, ads)| Download {
            listener: listener.clone(),
            opened,
            ads,
        }));
    }
    tally
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::campaign::Position;
    use crate::delivery::file::AdMarker;
    use crate::delivery::request::ByteRange;

    /// 30 minutes at 16,000 bytes a second after a 10,000-byte header; one ad in the first
    /// quarter (2:00 to 2:30).
    fn file() -> EpisodeFile {
        let ads = vec![AdMarker { position: Position::Pre, offset_seconds: 120.0, duration_seconds: 30.0 }];
        EpisodeFile { ads, ..crate::delivery::file::tests::file() }
    }

    /// The bytes of the first `seconds` of the file.
    fn upto(seconds: u64) -> u64 {
        10_000 + seconds * 16_000
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn get(when: DateTime<Utc>, ip: &str, ua: &str, range: Option<&str>, sent: u64) -> Request {
        Request {
            at: when,
            ip: ip.parse().unwrap(),
            user_agent: ua.into(),
            method: "GET".into(),
            status: if range.is_some() { 206 } else { 200 },
            bytes_sent: sent,
            range: range.and_then(ByteRange::parse),
        }
    }

    const DAY: WindowMethod = WindowMethod::CalendarDay { zone: chrono_tz::Tz::UTC };

    #[test]
    fn a_listener_shows_as_its_identity() {
        for ip in ["198.51.100.7", "2001:db8:85a3:1:aaaa::1"] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let l = Listener { address: Address::of(&ip), user_agent: "Overcast/3.0".into() };
            assert_eq!(l.to_string(), crate::delivery::listener::identity(&ip, "Overcast/3.0"));
        }
    }

    /// The guidelines' household example: ten requests from six user agents behind one address
    /// in a day are six downloads by six listeners.
    #[test]
    fn ten_requests_from_six_user_agents_behind_one_address_are_six_downloads() {
        let t = at("2026-12-07T08:00:00Z");
        let uas = [
            "AppleCoreMedia/1.0",
            "Overcast/3.0",
            "Spotify/8.8",
            "PocketCasts/7.0",
            "Castro/2023",
            "Podcasts/1.0 watchOS/9.4",
        ];
        let mut requests = Vec::new();
        for (n, ua) in uas.iter().enumerate() {
            requests.push(get(t + Duration::minutes(n as i64), "198.51.100.7", ua, Some("bytes=0-"), upto(90)));
        }
        // Four more requests by the first four: ranges further on, the same downloads.
        for (n, ua) in uas.iter().take(4).enumerate() {
            let range = format!("bytes={}-", upto(90));
            requests.push(get(t + Duration::minutes(30 + n as i64), "198.51.100.7", ua, Some(&range), 500_000));
        }
        assert_eq!(requests.len(), 10);
        let tally = count(&requests, &file(), DAY, &BotList::default());
        assert_eq!((tally.downloads.len(), tally.listeners()), (6, 6));
        assert!(tally.dropped.is_empty());
    }

    /// Requests that never count: a two-byte probe, a HEAD, a partial download under the
    /// threshold and an Apple Watch duplicate.
    #[test]
    fn a_probe_a_head_a_partial_and_a_watch_duplicate_count_nothing() {
        let t = at("2026-12-07T08:00:00Z");
        let probe = get(t, "192.0.2.1", "AppleCoreMedia/1.0", Some("bytes=0-1"), 2);
        let head = Request { method: "HEAD".into(), ..get(t, "192.0.2.2", "Overcast/3.0", None, 0) };
        let partial = get(t, "192.0.2.3", "Spotify/8.8", Some("bytes=0-"), upto(59));
        let watch = get(t, "192.0.2.4", "atc/1.0 watchOS/9.4 model/Watch6,2", None, upto(1800));
        let tally = count(&[probe, head, partial, watch], &file(), DAY, &BotList::default());
        assert!(tally.downloads.is_empty());
        assert_eq!(tally.under_threshold, 1, "the partial one");
        let dropped: Vec<(Dropped, u64)> = tally.dropped.into_iter().collect();
        assert_eq!(dropped, [(Dropped::Method, 1), (Dropped::Probe, 1), (Dropped::AppleWatchDuplicate, 1)]);
    }

    /// One listener's four requests, each a whole minute and more: 3, 3 and 2 downloads by the
    /// calendar day, first touch and last touch.
    #[test]
    fn the_window_decides_how_many_downloads_one_listener_makes() {
        let times = ["2026-12-07T22:00:00Z", "2026-12-08T03:00:00Z", "2026-12-08T22:15:00Z", "2026-12-09T23:15:00Z"];
        let requests: Vec<Request> =
            times.iter().map(|s| get(at(s), "203.0.113.9", "Overcast/3.0", Some("bytes=0-"), upto(120))).collect();
        let n = |m| count(&requests, &file(), m, &BotList::default()).downloads.len();
        assert_eq!((n(DAY), n(WindowMethod::FirstTouch), n(WindowMethod::LastTouch)), (3, 3, 2));
        assert_eq!(count(&requests, &file(), WindowMethod::LastTouch, &BotList::default()).listeners(), 1);
    }

    /// An ad in the first quarter counts for a download that covers it, and not for one that
    /// stops before it (which is still a download).
    #[test]
    fn an_ad_counts_only_where_the_download_covers_it() {
        let t = at("2026-12-07T08:00:00Z");
        let through = get(t, "192.0.2.10", "Overcast/3.0", Some("bytes=0-"), upto(600));
        let stops_before = get(t, "192.0.2.11", "Overcast/3.0", Some("bytes=0-"), upto(100));
        // Two ranges that leave a gap inside the ad: a download, not a delivered ad.
        let gap = [
            get(t, "192.0.2.12", "Overcast/3.0", Some("bytes=0-"), upto(125)),
            get(t, "192.0.2.12", "Overcast/3.0", Some(&format!("bytes={}-", upto(126))), upto(300)),
        ];
        let also_through = get(t, "192.0.2.13", "Spotify/8.8", None, upto(1800));
        let mut requests = vec![through, stops_before, also_through];
        requests.extend(gap);
        let tally = count(&requests, &file(), DAY, &BotList::default());
        assert_eq!(tally.downloads.len(), 4);
        assert_eq!(tally.ad_deliveries(0), 2);
        assert_eq!(tally.ad_deliveries(1), 0, "no such ad");
        assert_eq!(
            tally.downloads.iter().find(|d| d.listener.to_string().starts_with("192.0.2.10|")).unwrap().ads,
            [0]
        );
    }

    #[test]
    fn without_a_size_or_length_only_a_whole_response_is_a_download() {
        let unknown = EpisodeFile { size: None, ..file() };
        let t = at("2026-12-07T08:00:00Z");
        let whole = get(t, "192.0.2.20", "Overcast/3.0", None, 123_456);
        let ranged = get(t, "192.0.2.21", "Overcast/3.0", Some("bytes=0-"), 9_999_999);
        let partial_content = Request { status: 206, ..get(t, "192.0.2.22", "Overcast/3.0", None, 9_999_999) };
        let whole_ranged = Request { status: 200, ..get(t, "192.0.2.23", "Overcast/3.0", Some("bytes=0-"), 9_999_999) };
        let tally = count(&[whole, ranged, partial_content, whole_ranged], &unknown, DAY, &BotList::default());
        assert_eq!(tally.downloads.len(), 1);
        assert!(tally.downloads[0].listener.to_string().starts_with("192.0.2.20|"));
        assert!(tally.downloads[0].ads.is_empty(), "no span without a size");
        assert_eq!(tally.under_threshold, 3, "only a 200 without a range is the whole file");
    }
}
