//! How fast the delivery counting library reads and counts CDN log lines on one core: realistic
//! generated CloudFront logs (60 % player requests, most of them ranges; bots, probes, HEADs,
//! Apple Watch duplicates, other statuses and other URLs for the rest), read line by line
//! (`CloudFront::line`), matched to the episode, filtered, grouped by listener and counted
//! (`count`). The target is 1,000,000 lines a second (BENCHMARKS.md).
//!
//!     cargo bench --profile bench-local -p podcastflow-tests --bench counting

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use podcastflow_domain::campaign::Position;
use podcastflow_domain::delivery::count::count;
use podcastflow_domain::delivery::file::{AdMarker, EpisodeFile};
use podcastflow_domain::delivery::filters::BotList;
use podcastflow_domain::delivery::listener;
use podcastflow_domain::delivery::logs::CloudFront;
use podcastflow_domain::delivery::windows::WindowMethod;

const FIELDS: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

const SIZE: u64 = 10_000 + 1800 * 16_000;

const PLAYERS: [&str; 6] = [
    "AppleCoreMedia/1.0.0.21A5%20(iPhone;%20U;%20CPU%20OS%2017_0%20like%20Mac%20OS%20X;%20en_us)",
    "Overcast/3.0%20(+http://overcast.fm/;%20iOS%20podcast%20app)",
    "Spotify/8.8.0%20iOS/17.0%20(iPhone15,2)",
    "PocketCasts/7.50",
    "Castro/2023.10",
    "Podcasts/1.0%20watchOS/9.4",
];
const BOTS: [&str; 4] = ["Googlebot/2.1", "python-requests/2.31", "facebookexternalhit/1.1", "curl/8.5.0"];

/// A small deterministic generator (xorshift), so every run counts the same log.
struct Rng(u64);

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

/// `n` log lines of one day for one episode (and some for other URLs).
fn generate(n: usize) -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
    let mut lines = vec!["#Version: 1.0".to_owned(), FIELDS.to_owned()];
    for i in 0..n {
        let at = start + Duration::milliseconds((i as i64) * 86_400_000 / n as i64);
        let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + rng.below(n as u64 / 3 + 1) as u32));
        let roll = rng.below(100);
        let (method, status, ua, path, range): (&str, u16, &str, &str, Option<(u64, u64)>) = match roll {
            0..60 => {
                let ua = PLAYERS[rng.below(5) as usize];
                let first = rng.below(4) * 4_000_000;
                let range = if roll < 50 { Some((first, (first + 8_000_000).min(SIZE - 1))) } else { None };
                ("GET", if range.is_some() { 206 } else { 200 }, ua, "/shows/brew/ep1.mp3", range)
            }
            60..75 => ("GET", 200, BOTS[rng.below(4) as usize], "/shows/brew/ep1.mp3", None),
            75..85 => ("GET", 206, PLAYERS[0], "/shows/brew/ep1.mp3", Some((0, 1))),
            85..90 => ("HEAD", 200, PLAYERS[1], "/shows/brew/ep1.mp3", None),
            90..94 => ("GET", 200, "atc/1.0%20watchOS/10.0", "/shows/brew/ep1.mp3", None),
            94..97 => ("GET", 404, PLAYERS[2], "/shows/brew/ep1.mp3", None),
            _ => ("GET", 200, PLAYERS[3], "/shows/brew/feed.xml", None),
        };
        let len = match range {
            Some((a, b)) => b - a + 1,
            None if method == "HEAD" => 0,
            None => SIZE,
        };
        let (rs, re) = range.map_or(("-".to_owned(), "-".to_owned()), |(a, b)| (a.to_string(), b.to_string()));
        lines.push(format!(
            "{}\t{}\tIAD89-C1\t{}\t{ip}\t{method}\td111111abcdef8.cloudfront.net\t{path}\t{status}\t-\t{ua}\t-\t-\tHit\tr{i}\tcdn.example.com\thttps\t200\t0.010\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t443\t0.004\tHit\taudio/mpeg\t{len}\t{rs}\t{re}",
            at.format("%Y-%m-%d"),
            at.format("%H:%M:%S"),
            len + 400,
        ));
    }
    lines
}

fn episode() -> EpisodeFile {
    EpisodeFile {
        size: Some(SIZE),
        duration_seconds: Some(1800.0),
        header_bytes: 10_000,
        ads: vec![AdMarker { position: Position::Pre, offset_seconds: 120.0, duration_seconds: 30.0 }],
    }
}

/// Reads, matches and counts `lines`; the downloads.
fn read_and_count(lines: &[String], file: &EpisodeFile, bots: &BotList) -> usize {
    let mut parser = CloudFront::default();
    let mut requests = Vec::with_capacity(lines.len());
    for l in lines {
        if let Ok(Some(r)) = parser.line(l)
            && &*r.host == "cdn.example.com"
            && &*r.path == "/shows/brew/ep1.mp3"
        {
            requests.push(r.request);
        }
    }
    count(&requests, file, WindowMethod::CalendarDay { zone: chrono_tz::Tz::UTC }, bots).downloads.len()
}

fn counting(c: &mut Criterion) {
    let lines = generate(200_000);
    let (file, bots) = (episode(), BotList::default());
    let downloads = read_and_count(&lines, &file, &bots);
    assert!(downloads > 10_000, "a realistic share counts: {downloads}");
    let mut g = c.benchmark_group("delivery");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.sample_size(20);
    g.bench_function("read and count 200,000 CloudFront lines", |b| {
        b.iter(|| black_box(read_and_count(black_box(&lines), &file, &bots)))
    });
    // The ingest keys each kept request's listener by an HMAC: its cost per line, apart.
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    g.throughput(Throughput::Elements(1));
    let keyer = listener::Keyer::new(b"a secret of 32 bytes, more or so");
    g.bench_function("listener key (HMAC-SHA256) of one request", |b| {
        b.iter(|| black_box(keyer.key(&ip, black_box(PLAYERS[1]))))
    });
    g.finish();
}

criterion_group!(benches, counting);
criterion_main!(benches);
