//! Realistic CloudFront standard access logs, generated deterministically for the delivery
//! benchmarks: 60 % player requests (five sixths of them byte ranges), 15 % bots and HTTP
//! libraries, 10 % `bytes=0-1` probes, 5 % HEADs, 4 % Apple Watch duplicates, 3 % 404s and 3 %
//! requests for another URL, over one day, from a third as many addresses as lines.

use std::net::{IpAddr, Ipv4Addr};

use chrono::{DateTime, Duration, TimeZone, Utc};

/// The `#Fields:` line of CloudFront's standard log (all 33 fields).
pub const FIELDS: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

/// The generated episode's file: 30 minutes at 128 kbps after 10,000 header bytes.
pub const SIZE: u64 = 10_000 + 1800 * 16_000;

/// The host the episode is served from.
pub const HOST: &str = "cdn.example.com";

/// The episode's path.
pub const PATH: &str = "/shows/brew/ep1.mp3";

/// Players' user agents, as CloudFront logs them (URL-encoded).
pub const PLAYERS: [&str; 6] = [
    "AppleCoreMedia/1.0.0.21A5%20(iPhone;%20U;%20CPU%20OS%2017_0%20like%20Mac%20OS%20X;%20en_us)",
    "Overcast/3.0%20(+http://overcast.fm/;%20iOS%20podcast%20app)",
    "Spotify/8.8.0%20iOS/17.0%20(iPhone15,2)",
    "PocketCasts/7.50",
    "Castro/2023.10",
    "Podcasts/1.0%20watchOS/9.4",
];

const BOTS: [&str; 4] = ["Googlebot/2.1", "python-requests/2.31", "facebookexternalhit/1.1", "curl/8.5.0"];

/// A small deterministic generator (xorshift), so every run counts the same log.
pub struct Rng(u64);

impl Default for Rng {
    fn default() -> Self {
        Rng(0x9e37_79b9_7f4a_7c15)
    }
}

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Line `i` of a log of `n` lines over the day from `start`.
pub fn line(rng: &mut Rng, i: usize, n: usize, start: DateTime<Utc>) -> String {
    let at = start + Duration::milliseconds((i as i64) * 86_400_000 / n as i64);
    let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + rng.below(n as u64 / 3 + 1) as u32));
    let roll = rng.below(100);
    let (method, status, ua, path, range): (&str, u16, &str, &str, Option<(u64, u64)>) = match roll {
        0..60 => {
            let ua = PLAYERS[rng.below(5) as usize];
            let first = rng.below(4) * 4_000_000;
            let range = if roll < 50 { Some((first, (first + 8_000_000).min(SIZE - 1))) } else { None };
            ("GET", if range.is_some() { 206 } else { 200 }, ua, PATH, range)
        }
        60..75 => ("GET", 200, BOTS[rng.below(4) as usize], PATH, None),
        75..85 => ("GET", 206, PLAYERS[0], PATH, Some((0, 1))),
        85..90 => ("HEAD", 200, PLAYERS[1], PATH, None),
        90..94 => ("GET", 200, "atc/1.0%20watchOS/10.0", PATH, None),
        94..97 => ("GET", 404, PLAYERS[2], PATH, None),
        _ => ("GET", 200, PLAYERS[3], "/shows/brew/feed.xml", None),
    };
    let len = match range {
        Some((a, b)) => b - a + 1,
        None if method == "HEAD" => 0,
        None => SIZE,
    };
    let (rs, re) = range.map_or(("-".to_owned(), "-".to_owned()), |(a, b)| (a.to_string(), b.to_string()));
    format!(
        "{}\t{}\tIAD89-C1\t{}\t{ip}\t{method}\td111111abcdef8.cloudfront.net\t{path}\t{status}\t-\t{ua}\t-\t-\tHit\tr{i}\t{HOST}\thttps\t200\t0.010\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t443\t0.004\tHit\taudio/mpeg\t{len}\t{rs}\t{re}",
        at.format("%Y-%m-%d"),
        at.format("%H:%M:%S"),
        len + 400,
    )
}

/// A whole log of `n` request lines on 2026-12-07, with its two header lines.
pub fn generate(n: usize) -> Vec<String> {
    let mut rng = Rng::default();
    let start = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).single().unwrap_or_default();
    let mut lines = vec!["#Version: 1.0".to_owned(), FIELDS.to_owned()];
    lines.extend((0..n).map(|i| line(&mut rng, i, n, start)));
    lines
}
