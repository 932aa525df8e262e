//! Episodes and talent end to end: create, read by role, merge updates, every transition allowed
//! and refused, ad slots, talent availability conflicts and the force override, the schedule.

use chrono::{Duration, Utc};
use podcastflow_domain::episode::EpisodeStatus;
use podcastflow_domain::episode::transitions::EDGES;
use podcastflow_tests::client::{Answer, Api};
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use serde_json::{Value, json};

/// A show of `o` produced by its producer and hosted by its talent.
async fn show(o: &TestOrg, adconfig: Value) -> String {
    let body = json!({"name": format!("Show {}", ulid::Ulid::new()), "releaseFrequency": "weekly",
        "producerIds": [o.producer.id], "talentIds": [o.talent.id], "adConfig": adconfig});
    let s = o.admin.api.post("/shows", body).await;
    assert_eq!(s.status, 201, "{:?}", s.body);
    s.body["id"].as_str().unwrap().to_owned()
}

async fn episode(api: &Api, show: &str, extra: Value) -> Answer {
    let mut body = json!({"showId": show, "title": "Pilot"});
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    api.post("/episodes", body).await
}

fn titles(page: &Value) -> Vec<String> {
    let items = page["items"].as_array().unwrap_or_else(|| panic!("a page: {page}"));
    items.iter().map(|e| e["title"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn episodes_are_created_read_updated_moved_and_deleted() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let sh = show(&o, json!({})).await;
    let configured = show(&o, json!({"slots": {"pre": 0, "mid": 4, "post": 0}})).await;
    let producer = &o.producer.api;

    // Validation, the show's people, who creates.
    // What the request model says is the gateway's to refuse, before the function runs; the
    // function checks the rest.
    let bad = episode(producer, &sh, json!({"title": "x", "number": 0})).await;
    assert!(bad.refused_by_model("/number"), "{:?}", bad.body);
    let bad = episode(producer, &sh, json!({"title": "", "durationSeconds": 0})).await;
    assert_eq!(bad.status, 400);
    let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(["title", "durationSeconds"].iter().all(|f| fields.contains(f)), "{fields:?}");
    let outsider = episode(producer, &sh, json!({"talentIds": [o.seller.id]})).await;
    assert_eq!((outsider.status.as_u16(), outsider.body["errors"][0]["field"].as_str()), (400, Some("talentIds[0]")));
    assert_eq!(episode(&o.seller.api, &sh, json!({})).await.status, 403);
    assert_eq!(episode(&o.talent.api, &sh, json!({})).await.status, 403);
    assert_eq!(episode(&o.admin.api, &ulid::Ulid::new().to_string(), json!({})).await.status, 400);
    let created =
        episode(producer, &sh, json!({"number": 1, "durationSeconds": 2400, "talentIds": [o.talent.id]})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["adSlots"], json!({"pre": 1, "mid": 2, "post": 1}), "40 minutes");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/episodes/{id}");
    let own_slots = episode(producer, &configured, json!({"durationSeconds": 600})).await;
    assert_eq!(own_slots.body["adSlots"], json!({"pre": 0, "mid": 4, "post": 0}), "the show's configuration wins");

    // Reads: everyone but client users; talent theirs; other organizations nothing.
    for api in [&o.admin.api, &o.seller.api, producer, &o.talent.api] {
        assert_eq!(api.get(&path).await.status, 200);
    }
    assert_eq!(o.client.api.get(&path).await.status, 404);
    assert_eq!(o.client.api.get("/episodes").await.status, 403);
    assert_eq!(other.admin.api.get(&path).await.status, 404);
    assert_eq!(o.admin.api.get(&format!("/episodes/{}", ulid::Ulid::new())).await.status, 404);

    // Merge updates: If-Match, ad slots follow the length, the show never changes.
    assert_eq!(producer.send("PUT", &path, Some(json!({"title": "X"})), None).await.status, 428);
    let longer =
        producer.send("PUT", &path, Some(json!({"durationSeconds": 4000, "number": null})), Some("\"v1\"")).await;
    assert_eq!(longer.status, 200, "{:?}", longer.body);
    assert_eq!(longer.body["adSlots"], json!({"pre": 2, "mid": 3, "post": 1}));
    assert!(longer.body.get("number").is_none());
    assert_eq!(producer.send("PUT", &path, Some(json!({"title": "X"})), Some("\"v1\"")).await.status, 412);
    assert_eq!(producer.send("PUT", &path, Some(json!({"showId": configured})), Some("*")).await.status, 400);
    assert_eq!(o.seller.api.send("PUT", &path, Some(json!({"title": "X"})), Some("*")).await.status, 403);

    // Every pair of statuses: exactly the edges pass; scheduling needs an air date.
    let air = (Utc::now().date_naive() + Duration::days(30)).to_string();
    for from in EpisodeStatus::ALL {
        for to in EpisodeStatus::ALL {
            let e = episode(producer, &sh, json!({"title": format!("{from} to {to}"), "airDate": air})).await;
            let eid = e.body["id"].as_str().unwrap().to_owned();
            // Walk to `from` along the happy path (or cancel).
            let walk: &[&str] = match from {
                EpisodeStatus::Draft => &[],
                EpisodeStatus::Scheduled => &["scheduled"],
                EpisodeStatus::Recording => &["scheduled", "recording"],
                EpisodeStatus::Editing => &["scheduled", "recording", "editing"],
                EpisodeStatus::Published => &["scheduled", "recording", "editing", "published"],
                EpisodeStatus::Cancelled => &["cancelled"],
            };
            for step in walk {
                let moved = producer.post(&format!("/episodes/{eid}/transitions"), json!({"to": step})).await;
                assert_eq!(moved.status, 200, "walk to {from}: {:?}", moved.body);
            }
            let got = producer.post(&format!("/episodes/{eid}/transitions"), json!({"to": to})).await;
            if EDGES.contains(&(from, to)) {
                assert_eq!(got.status, 200, "{from} -> {to}: {:?}", got.body);
                assert_eq!(got.body["status"], to.as_str());
                assert_eq!(got.body.get("publishedAt").is_some(), to == EpisodeStatus::Published);
            } else {
                assert_eq!(got.status, 409, "{from} -> {to}");
                assert!(got.body["detail"].as_str().unwrap().contains("cannot move") || from == to, "{:?}", got.body);
            }
        }
    }
    let undated = producer.post(&format!("{path}/transitions"), json!({"to": "scheduled"})).await;
    assert_eq!((undated.status.as_u16(), undated.body["errors"][0]["field"].as_str()), (422, Some("airDate")));
    assert_eq!(o.talent.api.post(&format!("{path}/transitions"), json!({"to": "cancelled"})).await.status, 403);

    // Lists: by show, status, air-date range, talent.
    let by_show = o.admin.api.get(&format!("/episodes?showId={configured}")).await;
    assert_eq!(titles(&by_show.body), ["Pilot"]);
    let published = o.admin.api.get("/episodes?status=published&limit=100").await;
    assert_eq!(titles(&published.body).len(), 7, "six walked there, one moved there from editing");
    let ranged = o.admin.api.get(&format!("/episodes?from={air}&to={air}&limit=100")).await;
    assert_eq!(titles(&ranged.body).len(), 36);
    let with_talent = o.admin.api.get(&format!("/episodes?talentId={}", o.talent.id)).await;
    assert_eq!(titles(&with_talent.body), ["Pilot"]);
    let talents = o.talent.api.get("/episodes?limit=100").await;
    assert_eq!(titles(&talents.body).len(), 38, "every episode of the show they host");
    for bad in ["status=aired", "from=soon", "showId=nope", "from=2027-02-01&to=2027-01-01"] {
        assert_eq!(o.admin.api.get(&format!("/episodes?{bad}")).await.status, 400, "{bad}");
    }

    // Delete: drafts and cancelled ones only.
    let recording = episode(producer, &sh, json!({"airDate": air})).await;
    let rpath = format!("/episodes/{}", recording.body["id"].as_str().unwrap());
    producer.post(&format!("{rpath}/transitions"), json!({"to": "scheduled"})).await;
    assert_eq!(producer.send("DELETE", &rpath, None, Some("*")).await.status, 409);
    producer.post(&format!("{rpath}/transitions"), json!({"to": "cancelled"})).await;
    assert_eq!(producer.send("PUT", &rpath, Some(json!({"title": "Back"})), Some("*")).await.status, 409);
    assert_eq!(producer.send("DELETE", &rpath, None, None).await.status, 428);
    assert_eq!(producer.send("DELETE", &rpath, None, Some("*")).await.status, 204);
    assert_eq!(producer.get(&rpath).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn talent_availability_blocks_assignments_unless_an_admin_forces_them() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let sh = show(&o, json!({})).await;
    let talent = &o.talent.api;
    let avail = format!("/talent/{}/availability", o.talent.id);
    let day = Utc::now().date_naive() + Duration::days(10);

    // Talent keep their own availability; If-Match guards the set.
    let empty = talent.get(&avail).await;
    assert_eq!((empty.status.as_u16(), empty.etag().as_str()), (200, "\"v0\""));
    let window = json!({"windows": [{"from": format!("{day}T00:00:00Z"), "to": format!("{day}T23:59:59Z"),
        "kind": "unavailable", "note": "Conference"}]});
    assert_eq!(talent.send("PUT", &avail, Some(window.clone()), None).await.status, 428);
    let bad =
        json!({"windows": [{"from": "2027-01-02T00:00:00Z", "to": "2027-01-01T00:00:00Z", "kind": "unavailable"}]});
    let refused = talent.send("PUT", &avail, Some(bad), Some("\"v0\"")).await;
    assert_eq!((refused.status.as_u16(), refused.body["errors"][0]["field"].as_str()), (400, Some("windows[0].to")));
    let saved = talent.send("PUT", &avail, Some(window.clone()), Some("\"v0\"")).await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(saved.etag(), "\"v1\"");
    assert_eq!(talent.send("PUT", &avail, Some(window), Some("\"v0\"")).await.status, 412);
    assert_eq!(o.producer.api.get(&avail).await.body["windows"][0]["note"], "Conference");
    assert_eq!(o.producer.api.send("PUT", &avail, Some(json!({"windows": []})), Some("*")).await.status, 403);
    assert_eq!(o.client.api.get(&avail).await.status, 404);
    assert_eq!(o.admin.api.get(&format!("/talent/{}/availability", o.seller.id)).await.status, 404, "not talent");

    // Assigning them on that recording date is a 409 naming the window; an admin may force it.
    let on_day = json!({"recordingDate": day, "airDate": day + Duration::days(7), "talentIds": [o.talent.id]});
    let conflict = episode(&o.producer.api, &sh, on_day.clone()).await;
    assert_eq!(conflict.status, 409, "{:?}", conflict.body);
    assert_eq!(conflict.body["errors"][0]["field"], "talentIds[0]");
    assert!(conflict.body["errors"][0]["message"].as_str().unwrap().contains("Conference"));
    let mut forced = on_day.clone();
    forced["force"] = json!(true);
    assert_eq!(episode(&o.producer.api, &sh, forced.clone()).await.status, 403, "only admins force");
    let by_admin = episode(&o.admin.api, &sh, forced).await;
    assert_eq!(by_admin.status, 201, "{:?}", by_admin.body);

    // Moving an episode's recording date onto the window is caught too.
    let other_day = json!({"recordingDate": day + Duration::days(1), "airDate": day + Duration::days(8),
        "talentIds": [o.talent.id], "title": "Second"});
    let second = episode(&o.producer.api, &sh, other_day).await;
    assert_eq!(second.status, 201);
    let spath = format!("/episodes/{}", second.body["id"].as_str().unwrap());
    let moved = o.producer.api.send("PUT", &spath, Some(json!({"recordingDate": day})), Some("*")).await;
    assert_eq!(moved.status, 409);
    let forced_move =
        o.admin.api.send("PUT", &spath, Some(json!({"recordingDate": day, "force": true})), Some("*")).await;
    assert_eq!(forced_move.status, 200);

    // The schedule lists upcoming dates across shows, soonest first.
    let schedule = talent.get(&format!("/talent/{}/schedule", o.talent.id)).await;
    assert_eq!(schedule.status, 200, "{:?}", schedule.body);
    let items = schedule.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["nextDate"], day.to_string());
    assert!(items[0]["showName"].as_str().unwrap().starts_with("Show "));
    let later = talent.get(&format!("/talent/{}/schedule?from={}", o.talent.id, day + Duration::days(8))).await;
    assert_eq!(later.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(o.client.api.get(&format!("/talent/{}/schedule", o.talent.id)).await.status, 404);
}
