//! How fast the delivery counting library reads and counts CDN log lines on one core: realistic
//! generated CloudFront logs (60 % player requests, most of them ranges; bots, probes, HEADs,
//! Apple Watch duplicates, other statuses and other URLs for the rest), read line by line
//! (`CloudFront::line`), matched to the episode, filtered, grouped by listener and counted
//! (`count`). The target is 1,000,000 lines a second (BENCHMARKS.md).
//!
//!     cargo bench --profile bench-local -p podcastflow-tests --bench counting

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use podcastflow_domain::campaign::Position;
use podcastflow_domain::delivery::count::count;
use podcastflow_domain::delivery::file::{AdMarker, EpisodeFile};
use podcastflow_domain::delivery::filters::BotList;
use podcastflow_domain::delivery::listener;
use podcastflow_domain::delivery::logs::CloudFront;
use podcastflow_domain::delivery::windows::WindowMethod;
use podcastflow_tests::cdn_logs::{PLAYERS, SIZE, generate};

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
