//! Delivery measurement end to end: CDN log files put in the local logs bucket reach
//! `delivery-ingest` as S3 events, and the guidelines' worked examples (the fixture files in
//! `tests/fixtures/delivery/`) come out as exact counts per episode, show and booked line; a file
//! put again changes nothing.

use std::io::Write;
use std::time::Duration;

use chrono::NaiveDate;
use podcastflow_domain::delivery::records::{LogFile, LogFileStatus};
use podcastflow_domain::{CampaignId, EpisodeId, OrgId, ShowId};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::delivery::{DayCounts, DeliveryRepo};
use podcastflow_store::repo::evidence::EvidenceRepo;
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

/// The fixture episode: 30 minutes at 128 kbps after 10,000 header bytes, a pre-roll at 2:00.
pub(crate) const FILE_BYTES: u64 = 10_000 + 1800 * 16_000;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/delivery/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A show served from `cdn.example.com` with one scheduled episode at the fixture's URL.
pub(crate) async fn measured_episode(o: &TestOrg) -> (String, String) {
    let admin = &o.admin.api;
    let show = admin
        .post(
            "/shows",
            json!({"name": "Brew", "releaseFrequency": "weekly", "feedHosts": ["cdn.example.com"],
                "adConfig": {"slots": {"pre": 1, "mid": 0, "post": 0}, "cpm": {"pre": {"amount": 2500, "currency": "USD"}}}}),
        )
        .await;
    assert_eq!(show.status, 201, "{:?}", show.body);
    let show = show.body["id"].as_str().unwrap().to_owned();
    let ep = admin
        .post(
            "/episodes",
            json!({"showId": show, "title": "Ep 1", "airDate": "2026-12-07", "durationSeconds": 1800,
                "enclosureUrls": ["https://cdn.example.com/shows/brew/ep1.mp3"], "fileSizeBytes": FILE_BYTES,
                "headerBytes": 10_000, "adMarkers": [{"position": "pre", "offsetSeconds": 120, "durationSeconds": 30}]}),
        )
        .await;
    assert_eq!(ep.status, 201, "{:?}", ep.body);
    assert_eq!(ep.body["adMarkers"][0]["offsetSeconds"], 120.0);
    let ep = ep.body["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.post(&format!("/episodes/{ep}/transitions"), json!({"to": "scheduled"})).await.status, 200);
    (show, ep)
}

/// A won campaign of the org's advertiser with a booked order of the episode's pre-roll at a
/// CPM with an impression goal.
pub(crate) async fn booked_line(o: &TestOrg, episode: &str, goal: u64) -> (String, String) {
    let (admin, seller) = (&o.admin.api, &o.seller.api);
    let client = json!({"name": "Acme", "type": "advertiser", "assignedSellerIds": [o.seller.id]});
    assert_eq!(admin.send("PUT", &format!("/clients/{}", o.client_id), Some(client), Some("*")).await.status, 200);
    let campaign = seller
        .post(
            "/campaigns",
            json!({"name": "Winter", "clientId": o.client_id, "startDate": "2026-12-01", "endDate": "2027-01-31",
                "budget": {"amount": 5_000_000, "currency": "USD"}}),
        )
        .await;
    assert_eq!(campaign.status, 201, "{:?}", campaign.body);
    let c = campaign.body["id"].as_str().unwrap().to_owned();
    let held = seller
        .post(&format!("/campaigns/{c}/holds"), json!({"spots": [{"episodeId": episode, "spot": "pre-0"}]}))
        .await;
    assert_eq!(held.status, 201, "{:?}", held.body);
    for to in ["proposal", "negotiation", "pending_approval"] {
        assert_eq!(seller.post(&format!("/campaigns/{c}/transitions"), json!({"to": to})).await.status, 200, "{to}");
    }
    assert_eq!(admin.post(&format!("/campaigns/{c}/transitions"), json!({"to": "won"})).await.status, 200);
    let lines = json!([{"episodeId": episode, "spot": "pre-0", "adType": "produced",
        "rate": {"cpm": {"amount": 2500, "currency": "USD"}}, "impressionGoal": goal}]);
    let order = seller.post("/orders", json!({"campaignId": c, "lines": lines})).await;
    assert_eq!(order.status, 201, "{:?}", order.body);
    let id = order.body["id"].as_str().unwrap().to_owned();
    let path = format!("/orders/{id}/transitions");
    assert_eq!(seller.post(&path, json!({"to": "pending_approval"})).await.status, 200);
    assert_eq!(admin.post(&path, json!({"to": "approved"})).await.status, 200);
    let booked = seller.post(&path, json!({"to": "booked"})).await;
    assert_eq!(booked.status, 200, "{:?}", booked.body);
    (c, id)
}

/// The organization's table as the tests read the ledger through it.
fn tenant(s: &TestStack, org: &str) -> TenantTable {
    let org: OrgId = org.parse().unwrap();
    let ctx = &s.stack.services.ctx;
    TenantTable::new(ctx.tenants.for_org(&org), org, ctx.cursors.as_ref().clone())
}

/// Puts `bytes` at `key` of the logs bucket, as a CDN delivers a log.
pub(crate) async fn put_log(s: &TestStack, key: &str, bytes: Vec<u8>) {
    s.stack.services.logs.put(key, bytes, "application/octet-stream").await.expect("the log is stored");
}

/// The record of the log at `key`, once read to its end.
async fn read_to_end(s: &TestStack, org: &str, key: &str) -> LogFile {
    let t = tenant(s, org);
    let bucket = s.stack.services.logs.bucket().to_owned();
    let id = LogFile::id_of(&bucket, key);
    until_async(Duration::from_secs(20), &format!("{key} read"), || async {
        let item = podcastflow_store::Table::get(&t, &LogFile::key_of(t.org(), &id)).await.ok()??;
        let f: LogFile =
            serde_json::from_value(Value::Object(podcastflow_store::item::without_bookkeeping(item))).ok()?;
        (f.status == LogFileStatus::Done).then_some(f)
    })
    .await
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn counts(days: &[DayCounts], on: NaiveDate, name: &str) -> i64 {
    days.iter().find(|d| d.day == Some(on)).map_or(0, |d| d.get(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdn_logs_in_the_logs_bucket_count_the_guidelines_worked_examples_once() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let (show, ep) = measured_episode(&o).await;
    let (campaign, order) = booked_line(&o, &ep, 30_000).await;
    let prefix = format!("logs/{}/", o.id);

    // CloudFront's gzip file of the household, the requests that count for nothing, and the ad.
    let first = format!("{prefix}E2EXAMPLE.2026-12-07-08.a1b2c3d4.gz");
    put_log(&s, &first, gzip(&fixture("cloudfront-worked-examples.log"))).await;
    let f = read_to_end(&s, &o.id, &first).await;
    assert_eq!((f.counts.requests, f.counts.kept, f.counts.unmatched), (16, 13, 0));
    let dropped: Vec<(&str, u64)> = f.counts.dropped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(dropped, [("apple_watch_duplicate", 1), ("method", 1), ("probe", 1)]);
    assert_eq!(f.invocations, 1);

    let t = tenant(&s, &o.id);
    let repo = DeliveryRepo::new(&t);
    let (ep_id, show_id): (EpisodeId, ShowId) = (ep.parse().unwrap(), show.parse().unwrap());
    let days = repo.episode_days(&ep_id, day(1), day(31)).await.unwrap();
    // Six listeners of the household, the one whose download covers the ad and the one who
    // stopped before it; the probe, the HEAD, the partial and the watch count nothing.
    assert_eq!(counts(&days, day(7), "downloads"), 8);
    assert_eq!(counts(&days, day(7), "listeners"), 8);
    assert_eq!(counts(&days, day(7), "ad0"), 1);

    // The windows example, a plain file: Monday 22:00, Tuesday 03:00 and 22:15, Wednesday
    // 23:15 are three calendar-day downloads, each a whole file with its ad.
    let windows = format!("{prefix}E2EXAMPLE.2026-12-09-23.e5f6.log");
    put_log(&s, &windows, fixture("cloudfront-windows.log")).await;
    read_to_end(&s, &o.id, &windows).await;
    // The JSON Lines file: one IPv6 household's two ranges are one download with the ad; a bot,
    // another episode's URL and a line that is not a request count nothing.
    let jsonl = format!("{prefix}cdn-export-2026-12-07.jsonl");
    put_log(&s, &jsonl, fixture("worked-examples.jsonl")).await;
    let j = read_to_end(&s, &o.id, &jsonl).await;
    assert_eq!((j.counts.requests, j.counts.kept, j.counts.unmatched), (4, 2, 1));
    assert_eq!(j.counts.dropped.get("bot"), Some(&1));
    assert_eq!(j.counts.bad_lines.values().sum::<u64>(), 1);

    let expect = |days: &[DayCounts]| {
        let got: Vec<(i64, i64, i64)> = [7, 8, 9]
            .iter()
            .map(|d| {
                (counts(days, day(*d), "downloads"), counts(days, day(*d), "listeners"), counts(days, day(*d), "ad0"))
            })
            .collect();
        assert_eq!(got, [(10, 10, 3), (1, 1, 1), (1, 1, 1)]);
    };
    expect(&repo.episode_days(&ep_id, day(1), day(31)).await.unwrap());
    let shows = repo.show_days(&show_id, day(1), day(31)).await.unwrap();
    assert_eq!(counts(&shows, day(7), "downloads"), 10);
    assert_eq!(counts(&shows, day(7), "adDeliveries"), 3);
    let campaign_id: CampaignId = campaign.parse().unwrap();
    let lines = repo.campaign_days(&campaign_id, day(1), day(31)).await.unwrap();
    let impressions: Vec<(NaiveDate, u32, u64)> = lines.iter().map(|l| (l.day, l.line, l.impressions)).collect();
    assert_eq!(impressions, [(day(7), 1, 3), (day(8), 1, 1), (day(9), 1, 1)]);
    assert!(lines.iter().all(|l| l.order_id.to_string() == order));

    // The same file again, and its copy under another name: nothing moves.
    put_log(&s, &first, gzip(&fixture("cloudfront-worked-examples.log"))).await;
    let copy = format!("{prefix}E2EXAMPLE.2026-12-07-08.copy.gz");
    put_log(&s, &copy, gzip(&fixture("cloudfront-worked-examples.log"))).await;
    read_to_end(&s, &o.id, &copy).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    expect(&repo.episode_days(&ep_id, day(1), day(31)).await.unwrap());
    assert_eq!(read_to_end(&s, &o.id, &first).await.invocations, 1, "read once");

    // The API: the seller sees the campaign's delivery and pacing, the client their campaign's.
    let path = format!("/campaigns/{campaign}/delivery?from=2026-12-01&to=2026-12-31");
    let d = o.seller.api.get(&path).await;
    assert_eq!(d.status, 200, "{:?}", d.body);
    assert_eq!(d.body["impressions"], 5);
    let series: Vec<(String, i64)> = d.body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["period"].as_str().unwrap().to_owned(), p["impressions"].as_i64().unwrap()))
        .collect();
    assert_eq!(series, [("2026-12-07".into(), 3), ("2026-12-08".into(), 1), ("2026-12-09".into(), 1)]);
    let line = &d.body["lines"][0];
    assert_eq!(
        (line["line"].as_i64(), line["goal"].as_i64(), line["delivered"].as_i64()),
        (Some(1), Some(30_000), Some(5))
    );
    assert_eq!(line["spot"], "pre-0");
    // Pacing by the organization's today (UTC), whenever the test runs.
    let today = chrono::Utc::now().date_naive();
    let expected = podcastflow_domain::delivery::pacing::of_line(30_000, 5, day(7), today);
    assert_eq!(d.body["pacing"], serde_json::to_value(expected).unwrap());
    assert_eq!(line["pacing"], serde_json::to_value(expected).unwrap());
    let weekly = o.seller.api.get(&format!("{path}&granularity=week")).await;
    assert_eq!(weekly.body["series"], json!([{"period": "2026-12-07", "impressions": 5}]));
    let client = o.client.api.get(&path).await;
    assert_eq!(client.status, 200, "{:?}", client.body);
    assert_eq!(client.body["impressions"], 5);
    // CSV, for spreadsheets.
    let csv = o.seller.api.with_header("accept", "text/csv").get(&path).await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.body.as_str().unwrap().to_owned();
    assert!(text.starts_with("date,order,line,episodeId,impressions\r\n"), "{text}");
    assert!(text.contains("2026-12-07,IO-") && text.contains(&format!(",1,{ep},3\r\n")), "{text}");
    // The order's lines, the show's and the episode's analytics, the methodology.
    let od = o.seller.api.get(&format!("/orders/{order}/delivery")).await;
    assert_eq!(od.status, 200, "{:?}", od.body);
    assert_eq!(od.body["lines"][0]["delivered"], 5);
    let sa = o.admin.api.get(&format!("/shows/{show}/analytics?from=2026-12-07&to=2026-12-09")).await;
    assert_eq!(sa.status, 200, "{:?}", sa.body);
    assert_eq!(sa.body["totals"]["downloads"], 12);
    assert_eq!(sa.body["totals"]["adDeliveries"], 5);
    let ea =
        o.producer.api.get(&format!("/episodes/{ep}/analytics?from=2026-12-07&to=2026-12-13&granularity=week")).await;
    assert_eq!(ea.status, 403, "the producer of another show: {:?}", ea.body);
    let ea = o.admin.api.get(&format!("/episodes/{ep}/analytics?from=2026-12-07&to=2026-12-13&granularity=week")).await;
    assert_eq!(ea.body["series"][0]["downloads"], 12);
    assert!(ea.body["series"][0].get("listeners").is_none(), "listeners are never summed across days");
    let daily = o.admin.api.get(&format!("/episodes/{ep}/analytics?from=2026-12-07&to=2026-12-07")).await;
    assert_eq!(daily.body["series"][0]["listeners"], 10);
    let m = o.client.api.get("/delivery/methodology").await;
    assert_eq!(m.status, 200);
    assert_eq!(m.body["window"]["method"], "calendar_day");

    // The daily pacing pass: nine days after air, 5 of 30,000 is at risk; the seller is told
    // once that day.
    let t = tenant(&s, &o.id);
    assert_eq!(podcastflow_campaign_job::pacing::pace(&t, day(16)).await.unwrap(), 1);
    assert_eq!(podcastflow_campaign_job::pacing::pace(&t, day(16)).await.unwrap(), 0, "once a day");
    assert_eq!(podcastflow_campaign_job::pacing::pace(&t, day(10)).await.unwrap(), 0, "a quarter not yet past");
    let told = until_async(Duration::from_secs(10), "the seller told", || async {
        let page = o.seller.api.get("/notifications").await;
        page.body["items"].as_array()?.iter().find(|n| n["type"] == "delivery.pacing_alert").cloned()
    })
    .await;
    assert_eq!(told["entity"], json!({"type": "order", "id": order}));
    assert_eq!(told["priority"], "high");
    assert!(told["body"].as_str().unwrap().contains("5 of 30000 impressions delivered"), "{told:?}");

    // From the attacker's side: talent and producers see no delivery; another organization's
    // members find nothing; bad ranges are 400.
    assert_eq!(o.talent.api.get(&path).await.status, 404);
    assert_eq!(o.producer.api.get(&path).await.status, 404);
    assert_eq!(o.talent.api.get(&format!("/shows/{show}/analytics")).await.status, 404);
    let other = org::create(&s, &s.master().await).await;
    assert_eq!(other.admin.api.get(&path).await.status, 404);
    assert_eq!(other.admin.api.get(&format!("/orders/{order}/delivery")).await.status, 404);
    assert_eq!(other.admin.api.get(&format!("/episodes/{ep}/analytics")).await.status, 404);
    assert_eq!(other.client.api.get(&path).await.status, 404);
    for bad in
        ["?granularity=month", "?from=2026-12-09&to=2026-12-01", "?from=2025-01-01&to=2026-12-31", "?from=yesterday"]
    {
        let r = o.seller.api.get(&format!("/campaigns/{campaign}/delivery{bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_too_long_for_one_invocation_is_continued_from_its_checkpoint() {
    use std::sync::atomic::Ordering;

    // The stack's ingest, with time for one chunk of 4 lines in every invocation.
    let (s, invocations) = stack_with_ingest(true, 4).await;
    let services = &s.stack.services;
    let o = org::create(&s, &s.master().await).await;
    let (_, ep) = measured_episode(&o).await;

    // 18 lines (2 of them the header): five invocations, each going on where the last stopped.
    let key = format!("logs/{}/E2EXAMPLE.2026-12-07-08.long.gz", o.id);
    put_log(&s, &key, gzip(&fixture("cloudfront-worked-examples.log"))).await;
    let f = read_to_end(&s, &o.id, &key).await;
    assert_eq!((f.invocations, f.lines_done), (5, 18));
    assert_eq!((f.counts.requests, f.counts.kept), (16, 13), "each line once, the header's columns kept");
    assert_eq!(invocations.load(Ordering::SeqCst), 5, "the file's event and four continuations");
    let t = tenant(&s, &o.id);
    let days = DeliveryRepo::new(&t).episode_days(&ep.parse().unwrap(), day(7), day(7)).await.unwrap();
    let counted =
        (counts(&days, day(7), "downloads"), counts(&days, day(7), "listeners"), counts(&days, day(7), "ad0"));
    assert_eq!(counted, (8, 8, 1), "as read in one go");
    // The last continuation takes its note away (just after it marks the file read).
    let note = format!("continuations/{}/{}.json", o.id, f.id);
    until_async(Duration::from_secs(10), &format!("{note} gone"), || async {
        services.logs.read_all(&note).await.is_err().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_read_in_many_chunks_by_one_invocation_counts_as_read_in_one_go() {
    use std::sync::atomic::Ordering;

    // Chunks of 3 lines, no deadline: each chunk is judged while the one before it is written,
    // and a listener's requests fall in several chunks.
    let (s, invocations) = stack_with_ingest(false, 3).await;
    let o = org::create(&s, &s.master().await).await;
    let (_, ep) = measured_episode(&o).await;
    let key = format!("logs/{}/E2EXAMPLE.2026-12-07-08.chunks.gz", o.id);
    put_log(&s, &key, gzip(&fixture("cloudfront-worked-examples.log"))).await;
    let f = read_to_end(&s, &o.id, &key).await;
    assert_eq!((f.invocations, f.lines_done), (1, 18));
    assert_eq!(invocations.load(Ordering::SeqCst), 1);
    assert_eq!((f.counts.requests, f.counts.kept), (16, 13));
    let t = tenant(&s, &o.id);
    let days = DeliveryRepo::new(&t).episode_days(&ep.parse().unwrap(), day(7), day(7)).await.unwrap();
    let counted =
        (counts(&days, day(7), "downloads"), counts(&days, day(7), "listeners"), counts(&days, day(7), "ad0"));
    assert_eq!(counted, (8, 8, 1), "as read in one go");
    let evidence = EvidenceRepo::new(&t).chunks(&ep.parse().unwrap(), day(1), day(28)).await.unwrap();
    let judged = f.counts.kept + f.counts.dropped.values().sum::<u64>();
    assert_eq!(evidence.iter().map(|c| c.kept + c.dropped).sum::<u64>(), judged, "every request's evidence, once");
    assert_eq!(evidence.len(), 6, "one object per chunk of 3 lines that matched an episode");
}

/// A stack whose ingest reads in chunks of `chunk` lines and, when `deadline_now`, has time for
/// one chunk per invocation; with how many invocations it had.
async fn stack_with_ingest(
    deadline_now: bool,
    chunk: usize,
) -> (TestStack, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, OnceLock};

    use aws_lambda_events::s3::S3Event;
    use podcastflow_delivery_ingest::{Deadline, IngestApp, handle_with};

    let app: Arc<OnceLock<IngestApp>> = Arc::new(OnceLock::new());
    let invocations = Arc::new(AtomicUsize::new(0));
    let (a, n) = (app.clone(), invocations.clone());
    let handler = podcastflow_local::functions::event(move |e: lambda_http::LambdaEvent<S3Event>| {
        let (a, n) = (a.clone(), n.clone());
        async move {
            n.fetch_add(1, Ordering::SeqCst);
            let app = a.get().ok_or("the app is not built yet")?;
            let deadline = Deadline(deadline_now.then(std::time::SystemTime::now));
            handle_with(app, e, deadline, chunk).await
        }
    });
    let s = TestStack::with_config(|c| {
        c.event_functions.insert("DeliveryIngestFunction".into(), handler);
    })
    .await;
    let services = &s.stack.services;
    let own = services.bucket_of("DeliveryIngestFunction", &services.logs).expect("the function's key");
    assert!(app.set(IngestApp { ctx: services.ctx_of("DeliveryIngestFunction"), logs: own }).is_ok());
    (s, invocations)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organization_chooses_its_window_and_adds_its_own_bots() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let (_, ep) = measured_episode(&o).await;
    let admin = &o.admin.api;
    let current = admin.get("/organization").await;
    let mut settings = current.body["settings"].clone();
    settings["delivery"] = json!({"window": "last_touch", "botUserAgents": ["pocketcasts"]});
    let bad = json!({"settings": {"delivery": {"window": "fortnight"}}});
    assert_eq!(admin.send("PUT", "/organization", Some(bad), Some(&current.etag())).await.status, 400);
    let changed = admin.send("PUT", "/organization", Some(json!({"settings": settings})), Some(&current.etag())).await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let m = o.seller.api.get("/delivery/methodology").await;
    assert_eq!(
        (m.body["window"]["method"].as_str(), m.body["botList"]["organizationAdditions"].as_i64()),
        (Some("last_touch"), Some(1))
    );

    // The windows file, whose player the organization now counts as a bot: nothing counts.
    let prefix = format!("logs/{}/", o.id);
    let f = {
        let key = format!("{prefix}windows-as-bots.log");
        put_log(&s, &key, fixture("cloudfront-windows.log")).await;
        read_to_end(&s, &o.id, &key).await
    };
    assert_eq!((f.counts.kept, f.counts.dropped.get("bot")), (0, Some(&4)));
    // Without the addition, last-touch windows make Monday 22:00 to Tuesday 22:15 one download.
    let current = admin.get("/organization").await;
    settings["delivery"] = json!({"window": "last_touch"});
    let changed = admin.send("PUT", "/organization", Some(json!({"settings": settings})), Some(&current.etag())).await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let key = format!("{prefix}windows.log");
    put_log(&s, &key, fixture("cloudfront-windows.log")).await;
    read_to_end(&s, &o.id, &key).await;
    let t = tenant(&s, &o.id);
    let days = DeliveryRepo::new(&t).episode_days(&ep.parse().unwrap(), day(1), day(31)).await.unwrap();
    let per_day: Vec<i64> = [7, 8, 9].iter().map(|d| counts(&days, day(*d), "downloads")).collect();
    assert_eq!(per_day, [1, 0, 1], "two last-touch downloads, not three calendar days");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recount_moves_the_past_days_to_the_window_chosen_since() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let (_, ep) = measured_episode(&o).await;
    let admin = &o.admin.api;
    let key = format!("logs/{}/windows.log", o.id);
    put_log(&s, &key, fixture("cloudfront-windows.log")).await;
    read_to_end(&s, &o.id, &key).await;
    let t = tenant(&s, &o.id);
    let per_day = || async {
        let days = DeliveryRepo::new(&t).episode_days(&ep.parse().unwrap(), day(1), day(31)).await.unwrap();
        [7, 8, 9].map(|d| counts(&days, day(d), "downloads"))
    };
    assert_eq!(per_day().await, [1, 1, 1], "three calendar days");

    // The window changes to last touch: from now on, and, with a recount, for the past days.
    let current = admin.get("/organization").await;
    let mut settings = current.body["settings"].clone();
    settings["delivery"] = json!({"window": "last_touch"});
    let changed = admin.send("PUT", "/organization", Some(json!({"settings": settings})), Some(&current.etag())).await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(per_day().await, [1, 1, 1], "a new window alone moves no past count");
    assert_eq!(o.seller.api.post("/delivery/recounts", json!({})).await.status, 403, "only who may change the window");
    let bad = admin.post("/delivery/recounts", json!({"from": "2026-12-01"})).await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    let asked = admin.post("/delivery/recounts", json!({})).await;
    assert_eq!(asked.status, 202, "{:?}", asked.body);
    assert_eq!((asked.body["status"].as_str(), asked.body["window"].as_str()), (Some("queued"), Some("last_touch")));
    let location = asked.headers["location"].to_str().unwrap().to_owned();
    let done = recount_done(admin, &location).await;
    assert_eq!((done["ledgers"].as_u64(), done["changed"].as_u64()), (Some(3), Some(1)), "{done}");
    assert!(done.get("requestedBy").is_none(), "{done}");
    assert_eq!(per_day().await, [1, 0, 1], "two last-touch downloads, as if counted so from the start");

    // Counting again in the same window moves nothing; another organization's admin cannot see it.
    let again = admin.post("/delivery/recounts", json!({})).await;
    let again_at = again.headers["location"].to_str().unwrap().to_owned();
    let done = recount_done(admin, &again_at).await;
    assert_eq!(done["changed"].as_u64(), Some(0), "{done}");
    assert_eq!(per_day().await, [1, 0, 1]);
    let other = org::create(&s, &s.master().await).await;
    assert_eq!(other.admin.api.get(&location).await.status, 404);
}

/// The recount at `location`, once completed.
async fn recount_done(admin: &podcastflow_tests::client::Api, location: &str) -> serde_json::Value {
    until_async(Duration::from_secs(20), "the recount done", || async {
        let r = admin.get(location).await;
        (r.body["status"] == "completed").then_some(r.body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recount_short_of_time_goes_on_from_the_day_it_reached() {
    use std::sync::atomic::Ordering;

    // Every invocation has time for one day of the recount (and one chunk of a log).
    let (s, invocations) = stack_with_ingest(true, 4).await;
    let o = org::create(&s, &s.master().await).await;
    let (_, ep) = measured_episode(&o).await;
    let admin = &o.admin.api;
    let key = format!("logs/{}/windows.log", o.id);
    put_log(&s, &key, fixture("cloudfront-windows.log")).await;
    read_to_end(&s, &o.id, &key).await;
    let current = admin.get("/organization").await;
    let mut settings = current.body["settings"].clone();
    settings["delivery"] = json!({"window": "last_touch"});
    let changed = admin.send("PUT", "/organization", Some(json!({"settings": settings})), Some(&current.etag())).await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);

    let before = invocations.load(Ordering::SeqCst);
    let asked = admin.post("/delivery/recounts", json!({})).await;
    assert_eq!(asked.status, 202, "{:?}", asked.body);
    let location = asked.headers["location"].to_str().unwrap().to_owned();
    let done = recount_done(admin, &location).await;
    assert_eq!((done["ledgers"].as_u64(), done["changed"].as_u64()), (Some(3), Some(1)), "{done}");
    // One invocation per day of evidence, each going on after the day the last one saved (no
    // day counted twice: 3 ledgers), and one that finds nothing left.
    assert_eq!(invocations.load(Ordering::SeqCst) - before, 4);
    let t = tenant(&s, &o.id);
    let days = DeliveryRepo::new(&t).episode_days(&ep.parse().unwrap(), day(1), day(31)).await.unwrap();
    assert_eq!([7, 8, 9].map(|d| counts(&days, day(d), "downloads")), [1, 0, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_audits_the_count_with_an_evidence_export_of_every_judged_request() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let (_, ep) = measured_episode(&o).await;
    let (campaign, _) = booked_line(&o, &ep, 30_000).await;
    let log = format!("logs/{}/E2EXAMPLE.2026-12-07-08.a1b2c3d4.gz", o.id);
    let raw = fixture("cloudfront-worked-examples.log");
    put_log(&s, &log, gzip(&raw)).await;
    read_to_end(&s, &o.id, &log).await;

    // Bad periods lose nothing and say why.
    let path = format!("/campaigns/{campaign}/delivery/evidence");
    for bad in [
        json!({"from": "2026-12-31", "to": "2026-12-01"}),
        json!({"from": "2026-01-01", "to": "2026-12-31"}),
        json!({"from": "2026-12-01"}),
        json!({"from": "2026-12-01", "to": "2026-12-31", "extra": 1}),
        json!({"from": "yesterday", "to": "2026-12-31"}),
    ] {
        let r = o.client.api.post(&path, bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.body);
    }

    // The advertiser's client user asks, and gets the file once it is built.
    let asked = o.client.api.post(&path, json!({"from": "2026-12-01", "to": "2026-12-31"})).await;
    assert_eq!(asked.status, 202, "{:?}", asked.body);
    assert_eq!(asked.body["status"], "queued");
    let id = asked.body["id"].as_str().unwrap().to_owned();
    let export_path = format!("{path}/{id}");
    let done = until_async(Duration::from_secs(20), "the export built", || async {
        let r = o.client.api.get(&export_path).await;
        (r.body["status"] == "completed").then_some(r.body)
    })
    .await;
    assert_eq!((done["kept"].as_u64(), done["dropped"].as_u64()), (Some(13), Some(3)), "{done}");
    assert!(done.get("object").is_none() && done.get("requestedBy").is_none(), "{done}");
    let gz = reqwest::get(done["downloadUrl"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(gz.as_ref()), &mut text).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 16);
    let mut dropped: Vec<&str> =
        lines.iter().filter(|l| l["decision"] == "dropped").map(|l| l["rule"].as_str().unwrap()).collect();
    dropped.sort_unstable();
    assert_eq!(dropped, ["apple_watch_duplicate", "method", "probe"]);
    assert!(
        lines.iter().all(|l| l["episodeId"] == ep.as_str() && l["listener"].as_str().is_some_and(|k| k.len() >= 16))
    );
    // No address of the log reaches the file.
    let raw = String::from_utf8(raw).unwrap();
    for ip in raw.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split('\t').nth(4)) {
        assert!(!text.contains(ip), "{ip} in the evidence");
    }
    // The seller sees the same export; a period without requests is an empty file.
    assert_eq!(o.seller.api.get(&export_path).await.body["kept"], 13);
    let empty = o.seller.api.post(&path, json!({"from": "2026-11-01", "to": "2026-11-30"})).await;
    assert_eq!(empty.status, 202, "{:?}", empty.body);
    let empty_path = format!("{path}/{}", empty.body["id"].as_str().unwrap());
    let built = until_async(Duration::from_secs(20), "the empty export built", || async {
        let r = o.seller.api.get(&empty_path).await;
        (r.body["status"] == "completed").then_some(r.body)
    })
    .await;
    assert_eq!((built["kept"].as_u64(), built["dropped"].as_u64()), (Some(0), Some(0)));

    // From the attacker's side: another organization, an export named under another campaign,
    // an export that does not exist.
    let other = org::create(&s, &s.master().await).await;
    assert_eq!(other.admin.api.get(&export_path).await.status, 404);
    let theirs = other.admin.api.post(&path, json!({"from": "2026-12-01", "to": "2026-12-31"})).await;
    assert_eq!(theirs.status, 404, "{:?}", theirs.body);
    let (_, other_ep) = measured_episode(&other).await;
    let (other_campaign, _) = booked_line(&other, &other_ep, 10).await;
    let crossed = other.admin.api.get(&format!("/campaigns/{other_campaign}/delivery/evidence/{id}")).await;
    assert_eq!(crossed.status, 404, "{:?}", crossed.body);
    assert_eq!(o.client.api.get(&format!("{path}/01JD0000000000000000000000")).await.status, 404);
}
