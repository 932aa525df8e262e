//! Insertion orders end to end: a won campaign's holds turned into a draft order, edited,
//! submitted, approved by an admin, booked (the spots booked in avails and sell-through),
//! cancelled with its bookings released; a booking whose hold is gone refused whole; every role
//! and another organization from the attacker's side.

use std::time::Duration;

use podcastflow_tests::live::Live;
use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

/// The avails row of `position` of the only episode in `page`.
fn row<'a>(page: &'a Value, position: &str) -> &'a Value {
    page["items"].as_array().unwrap().iter().find(|r| r["position"] == position).expect("the position's row")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_won_campaigns_holds_become_an_approved_booked_order_and_cancelling_frees_them() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let (admin, seller) = (&o.admin.api, &o.seller.api);
    let show = admin
        .post(
            "/shows",
            json!({"name": "Markets", "releaseFrequency": "weekly", "producerIds": [o.producer.id], "averageDownloads": 12000,
                "adConfig": {"slots": {"pre": 1, "mid": 2, "post": 0},
                    "cpm": {"mid": {"amount": 2500, "currency": "USD"}},
                    "flatSpotPrice": {"amount": 40000, "currency": "USD"}}}),
        )
        .await;
    assert_eq!(show.status, 201, "{:?}", show.body);
    let show = show.body["id"].as_str().unwrap().to_owned();
    let ep = o.producer.api.post("/episodes", json!({"showId": show, "title": "Rates", "airDate": "2027-03-08"})).await;
    let ep = ep.body["id"].as_str().unwrap().to_owned();
    let scheduled = o.producer.api.post(&format!("/episodes/{ep}/transitions"), json!({"to": "scheduled"})).await;
    assert_eq!(scheduled.status, 200);
    let assign = json!({"name": "Acme", "type": "advertiser", "assignedSellerIds": [o.seller.id]});
    let assigned = admin.send("PUT", &format!("/clients/{}", o.client_id), Some(assign), Some("*")).await;
    assert_eq!(assigned.status, 200, "{:?}", assigned.body);
    let campaign = seller
        .post(
            "/campaigns",
            json!({"name": "Spring", "clientId": o.client_id, "startDate": "2027-03-01", "endDate": "2027-03-31",
                "budget": {"amount": 5_000_000, "currency": "USD"}}),
        )
        .await;
    assert_eq!(campaign.status, 201, "{:?}", campaign.body);
    let c = campaign.body["id"].as_str().unwrap().to_owned();
    let plan = json!({"plan": {"showIds": [show], "from": "2027-03-01", "to": "2027-03-31", "positions": ["mid"], "spotsPerEpisode": 2}});
    let held = seller.post(&format!("/campaigns/{c}/holds"), plan.clone()).await;
    assert_eq!(held.status, 201, "{:?}", held.body);
    let hold = held.body["id"].as_str().unwrap().to_owned();

    // Only a won (or live) campaign is ordered.
    let draft_order = json!({"campaignId": c, "externalOrderNumber": "PO-88121", "internalNotes": "margin 40%"});
    let early = seller.post("/orders", draft_order.clone()).await;
    assert_eq!(early.status, 409, "{:?}", early.body);
    assert!(early.body["type"].as_str().unwrap().ends_with("/campaign-not-won"));
    for to in ["proposal", "negotiation", "pending_approval"] {
        assert_eq!(seller.post(&format!("/campaigns/{c}/transitions"), json!({"to": to})).await.status, 200, "{to}");
    }
    assert_eq!(admin.post(&format!("/campaigns/{c}/transitions"), json!({"to": "won"})).await.status, 200);

    // A draft order of every held spot, at the flat price it was held at, numbered.
    let made = seller.with_header("idempotency-key", "order-spring").post("/orders", draft_order.clone()).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let id = made.body["id"].as_str().unwrap().to_owned();
    let number = made.body["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("IO-20") && number.ends_with("-00001"), "{number}");
    assert_eq!(made.body["status"], "draft");
    assert_eq!(made.body["lines"].as_array().unwrap().len(), 2);
    assert_eq!(made.body["lines"][0]["rate"], json!({"flat": {"amount": 40000, "currency": "USD"}}));
    assert_eq!(made.body["lines"][0]["holdId"], hold.as_str());
    assert_eq!(made.body["total"], json!({"amount": 80000, "currency": "USD"}));
    let again = seller.with_header("idempotency-key", "order-spring").post("/orders", draft_order.clone()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"].as_str(), Some(id.as_str()), "a repeat, not a second order");
    let path = format!("/orders/{id}");
    // A rate card changed later changes no line.
    let dearer = json!({"adConfig": {"slots": {"pre": 1, "mid": 2, "post": 0}, "flatSpotPrice": {"amount": 90000, "currency": "USD"}}});
    assert_eq!(admin.send("PUT", &format!("/shows/{show}"), Some(dearer), Some("*")).await.status, 200);
    assert_eq!(seller.get(&path).await.body["lines"][1]["rate"]["flat"]["amount"], 40000);

    // Who reads it: admins and the campaign's seller whole, its advertiser's client users in the
    // client view; producers, talent and another organization not at all.
    let client_view = o.client.api.get(&path).await;
    assert_eq!(client_view.status, 200, "{:?}", client_view.body);
    assert!(client_view.body.get("internalNotes").is_none());
    assert_eq!(client_view.body["lines"][0]["rate"]["flat"]["amount"], 40000, "their rates");
    assert_eq!(seller.get(&path).await.body["internalNotes"], "margin 40%");
    for api in [&o.producer.api, &o.talent.api, &other.admin.api] {
        assert_eq!(api.get(&path).await.status, 404);
    }
    let listed = o.client.api.get("/orders").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert!(listed.body["items"][0].get("internalNotes").is_none());
    assert_eq!(seller.get(&format!("/orders?campaignId={c}")).await.body["items"][0]["id"], id.as_str());
    assert!(other.admin.api.get("/orders").await.body["items"].as_array().unwrap().is_empty());
    assert_eq!(o.producer.api.get("/orders").await.status, 403);

    // Lines change in draft, by whoever may hold for the campaign; a spot it does not hold is 409.
    let lines = json!({"lines": [{"episodeId": ep, "spot": "mid-0", "adType": "produced",
        "rate": {"cpm": {"amount": 3000, "currency": "USD"}}, "impressionGoal": 20000},
        {"episodeId": ep, "spot": "mid-1"}]});
    let edited = seller.send("PUT", &path, Some(lines), Some("*")).await;
    assert_eq!(edited.status, 200, "{:?}", edited.body);
    assert_eq!(edited.body["lines"][0]["adType"], "produced");
    assert_eq!(edited.body["total"]["amount"], 40000 + 60000, "20,000 impressions at $30.00 CPM");
    let not_held = json!({"lines": [{"episodeId": ep, "spot": "pre-0"}]});
    let refused = seller.send("PUT", &path, Some(not_held), Some("*")).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert!(refused.body["type"].as_str().unwrap().ends_with("/spot-not-held"));
    let goal_missing =
        json!({"lines": [{"episodeId": ep, "spot": "mid-0", "rate": {"cpm": {"amount": 1, "currency": "USD"}}}]});
    assert_eq!(seller.send("PUT", &path, Some(goal_missing), Some("*")).await.status, 400);
    assert_eq!(o.client.api.send("PUT", &path, Some(json!({"paymentTermsDays": 60})), Some("*")).await.status, 403);
    assert_eq!(other.admin.api.send("PUT", &path, Some(json!({"paymentTermsDays": 60})), Some("*")).await.status, 404);

    // Live: the order's readers follow it, each in their view; the show's spots are followed by
    // who reads its avails. Producers and talent may not follow the order, client users not the
    // spots.
    let url = &s.stack.endpoints.websocket;
    let (mut live_seller, mut live_client) =
        (Live::connect(url, seller).await, Live::connect(url, &o.client.api).await);
    let (order_topic, spots_topic) = (format!("order:{id}"), format!("inventory:show:{show}"));
    let r = live_seller.subscribe(&[&order_topic, &spots_topic]).await;
    assert_eq!(r["accepted"], json!([order_topic, spots_topic]), "{r}");
    let r = live_client.subscribe(&[&order_topic, &spots_topic]).await;
    assert_eq!(r["accepted"], json!([order_topic]), "{r}");
    let mut live_producer = Live::connect(url, &o.producer.api).await;
    assert_eq!(live_producer.subscribe(&[&order_topic]).await["accepted"], json!([]));
    assert_eq!(live_producer.subscribe(&[&spots_topic]).await["accepted"], json!([spots_topic]));

    // Submitted by the seller, approved by an admin only.
    let to = |status: &str| json!({"to": status});
    assert_eq!(seller.post(&format!("{path}/transitions"), to("pending_approval")).await.status, 200);
    let not_admin = seller.post(&format!("{path}/transitions"), to("approved")).await;
    assert_eq!(not_admin.status, 403, "{:?}", not_admin.body);
    assert_eq!(seller.send("PUT", &path, Some(json!({"paymentTermsDays": 60})), Some("*")).await.status, 409);
    let approved = admin.post(&format!("{path}/transitions"), to("approved")).await;
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    assert_eq!(approved.body["history"].as_array().unwrap().len(), 2);
    let m = live_client.expect("order.updated").await;
    assert_eq!(m["entity"], json!({"type": "order", "id": id}));
    assert!(m["data"].get("internalNotes").is_none(), "the client view, live too: {m}");
    let admins_told = until_async(Duration::from_secs(10), "the admins told", || async {
        let page = admin.get("/notifications").await;
        page.body["items"].as_array()?.iter().find(|n| n["type"] == "order.needs_approval").cloned()
    })
    .await;
    assert_eq!(admins_told["entity"], json!({"type": "order", "id": id}));

    // Booking turns both holds into bookings: the avails and sell-through say so, and so do the
    // live updates of the show's spots. The campaign's owner is told (an admin booked it).
    let booked = admin.post(&format!("{path}/transitions"), to("booked")).await;
    assert_eq!(booked.status, 200, "{:?}", booked.body);
    assert_eq!(booked.body["status"], "booked");
    let avails = format!("/inventory?showIds={show}&from=2027-03-01&to=2027-03-31");
    let mid = seller.get(&avails).await;
    assert_eq!((row(&mid.body, "mid")["booked"].as_u64(), row(&mid.body, "mid")["held"].as_u64()), (Some(2), Some(0)));
    assert_eq!(row(&mid.body, "mid")["forecastImpressions"], 12000, "the show's stated average");
    let through = seller.get(&format!("/shows/{show}/sell-through?from=2027-03-01&to=2027-03-31")).await;
    let mid = through.body["positions"].as_array().unwrap().iter().find(|p| p["position"] == "mid").unwrap().clone();
    assert_eq!(mid["booked"], 2);
    assert_eq!(mid["sellThroughRate"], 1.0);
    // Line 1 at $30.00 CPM for 20,000 impressions ($600), line 2 at its $400 flat price.
    assert_eq!(mid["bookedRevenue"], json!([{"amount": 100000, "currency": "USD"}]));
    let holds = seller.get(&format!("/campaigns/{c}/holds")).await;
    assert_eq!(holds.body["items"][0]["status"], "booked");
    for live in [&mut live_seller, &mut live_producer] {
        let mut spots = Vec::new();
        while spots.len() < 2 {
            let m = live.expect("inventory.spot").await;
            assert_eq!(m["entity"], json!({"type": "show", "id": show}));
            assert!(m["data"].get("campaignId").is_none() && m["data"].get("price").is_none(), "never who: {m}");
            if m["data"]["state"] == "booked" {
                spots.push(m["data"]["spot"].as_str().unwrap().to_owned());
            }
        }
        spots.sort();
        assert_eq!(spots, ["mid-0", "mid-1"]);
    }
    let told = until_async(Duration::from_secs(10), "the owner told", || async {
        let page = seller.get("/notifications").await;
        page.body["items"].as_array()?.iter().find(|n| n["type"] == "order.booked").cloned()
    })
    .await;
    assert!(told["title"].as_str().unwrap().contains(&number), "{told}");
    // The audit trail: the order made and moved, the hold made and booked.
    let log = until_async(Duration::from_secs(10), "the order's activity", || async {
        let page = admin.get(&format!("/activities?entityType=order&entityId={id}")).await;
        let actions: Vec<String> =
            page.body["items"].as_array()?.iter().filter_map(|a| a["action"].as_str().map(str::to_owned)).collect();
        (actions.iter().filter(|a| *a == "order.transitioned").count() >= 3).then_some(actions)
    })
    .await;
    assert!(log.contains(&"order.created".to_owned()), "{log:?}");
    // The hold is marked booked after the order's own write: its entry may come a moment later.
    until_async(Duration::from_secs(10), "the hold's entries", || async {
        let page = admin.get(&format!("/activities?entityType=campaign&entityId={c}")).await;
        let actions: Vec<String> =
            page.body["items"].as_array()?.iter().filter_map(|a| a["action"].as_str().map(str::to_owned)).collect();
        let both = ["campaign.hold.created", "campaign.hold.updated"].iter().all(|a| actions.iter().any(|x| x == a));
        both.then_some(())
    })
    .await;
    let client_log = o.client.api.get(&format!("/activities?entityType=campaign&entityId={c}")).await;
    let hold_entries: Vec<&Value> = client_log.body["items"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["action"] == "campaign.hold.created").collect())
        .unwrap_or_default();
    assert!(hold_entries.iter().all(|e| e["changes"].as_object().is_none_or(|c| c.is_empty())), "{hold_entries:?}");
    // The client sees the move, not who made it or why.
    let seen = o.client.api.get(&path).await;
    let entry = seen.body["history"][2].as_object().unwrap();
    assert_eq!(entry.keys().collect::<Vec<_>>(), ["at", "from", "to"]);

    // Releasing sold spots is an admin's call, with a reason; it frees every spot.
    let by_seller =
        seller.post(&format!("{path}/transitions"), json!({"to": "cancelled", "reason": "budget cut"})).await;
    assert_eq!(by_seller.status, 403);
    assert_eq!(admin.post(&format!("{path}/transitions"), to("cancelled")).await.status, 422, "a reason is required");
    let cancelled =
        admin.post(&format!("{path}/transitions"), json!({"to": "cancelled", "reason": "budget cut"})).await;
    assert_eq!(cancelled.status, 200, "{:?}", cancelled.body);
    let mid = seller.get(&avails).await;
    assert_eq!(
        (row(&mid.body, "mid")["booked"].as_u64(), row(&mid.body, "mid")["available"].as_u64()),
        (Some(0), Some(2))
    );

    // A second order: its hold released before booking, so nothing books and the lines are named.
    let held = seller.post(&format!("/campaigns/{c}/holds"), plan).await;
    assert_eq!(held.status, 201, "{:?}", held.body);
    let hold = held.body["id"].as_str().unwrap().to_owned();
    let second = seller.post("/orders", json!({"campaignId": c, "holdIds": [hold]})).await;
    assert_eq!(second.status, 201, "{:?}", second.body);
    let next = second.body["number"].as_str().unwrap();
    assert!(next.ends_with("-00002"), "the next number: {next}");
    let path = format!("/orders/{}", second.body["id"].as_str().unwrap());
    assert_eq!(seller.post(&format!("{path}/transitions"), to("pending_approval")).await.status, 200);
    assert_eq!(admin.post(&format!("{path}/transitions"), to("approved")).await.status, 200);
    assert_eq!(seller.send("DELETE", &format!("/campaigns/{c}/holds/{hold}"), None, None).await.status, 204);
    let lost = seller.post(&format!("{path}/transitions"), to("booked")).await;
    assert_eq!(lost.status, 409, "{:?}", lost.body);
    assert!(lost.body["type"].as_str().unwrap().ends_with("/order-lines-not-held"));
    assert!(lost.body["detail"].as_str().unwrap().contains("lines 1, 2"), "{:?}", lost.body);
    assert_eq!(seller.get(&path).await.body["status"], "approved", "nothing changed");
    assert_eq!(row(&seller.get(&avails).await.body, "mid")["booked"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sold_spots_survive_every_change_and_a_cancelled_episode_owes_its_bookings() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let admin = &o.admin.api;
    let show = admin
        .post(
            "/shows",
            json!({"name": "Guarded", "releaseFrequency": "weekly", "producerIds": [o.producer.id],
                "adConfig": {"flatSpotPrice": {"amount": 30000, "currency": "USD"}}}),
        )
        .await;
    let show = show.body["id"].as_str().unwrap().to_owned();
    let ep = admin
        .post("/episodes", json!({"showId": show, "title": "Sold", "airDate": "2027-04-05", "durationSeconds": 3600}))
        .await;
    let ep = ep.body["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.post(&format!("/episodes/{ep}/transitions"), json!({"to": "scheduled"})).await.status, 200);
    let c = admin
        .post(
            "/campaigns",
            json!({"name": "Guard", "clientId": o.client_id, "startDate": "2027-04-01", "endDate": "2027-04-30",
                "budget": {"amount": 100000, "currency": "USD"},
                "rateOverrides": [{"showId": show, "position": "mid", "price": {"flat": {"amount": 25000, "currency": "USD"}}}]}),
        )
        .await;
    let c = c.body["id"].as_str().unwrap().to_owned();
    for to in ["proposal", "negotiation", "pending_approval", "won"] {
        assert_eq!(admin.post(&format!("/campaigns/{c}/transitions"), json!({"to": to})).await.status, 200);
    }
    let spots = json!({"spots": [{"episodeId": ep, "spot": "mid-0"}, {"episodeId": ep, "spot": "mid-1"}]});
    let held = admin.post(&format!("/campaigns/{c}/holds"), spots).await;
    assert_eq!(held.status, 201, "{:?}", held.body);
    assert_eq!(held.body["spots"][0]["price"]["flat"]["amount"], 25000, "the campaign's negotiated rate");

    // A shorter episode, another air date, fewer slots on the show, archiving it: each would
    // take a held spot away, and each is refused naming it.
    // (An hour has two mid-rolls by the rate card's durations; half an hour one.)
    let shorter =
        admin.send("PUT", &format!("/episodes/{ep}"), Some(json!({"durationSeconds": 1800})), Some("*")).await;
    assert_eq!(shorter.status, 409, "{:?}", shorter.body);
    assert!(shorter.body["type"].as_str().unwrap().ends_with("/spots-taken"));
    assert!(shorter.body["detail"].as_str().unwrap().contains("mid-1"), "{:?}", shorter.body);
    let moved = admin.send("PUT", &format!("/episodes/{ep}"), Some(json!({"airDate": "2027-04-12"})), Some("*")).await;
    assert_eq!(moved.status, 409, "{:?}", moved.body);
    let fewer = json!({"adConfig": {"slots": {"pre": 1, "mid": 1, "post": 0}}});
    let fewer = admin.send("PUT", &format!("/shows/{show}"), Some(fewer), Some("*")).await;
    assert_eq!(fewer.status, 409, "{:?}", fewer.body);
    assert_eq!(admin.send("DELETE", &format!("/shows/{show}"), None, Some("*")).await.status, 409);
    // More is always fine: a longer episode and more slots add spots.
    let more = json!({"adConfig": {"slots": {"pre": 1, "mid": 3, "post": 1}, "flatSpotPrice": {"amount": 30000, "currency": "USD"}}});
    assert_eq!(admin.send("PUT", &format!("/shows/{show}"), Some(more), Some("*")).await.status, 200);
    assert_eq!(
        admin.send("PUT", &format!("/episodes/{ep}"), Some(json!({"title": "Renamed"})), Some("*")).await.status,
        200
    );

    // One spot ordered and booked, the other still held; then the episode is cancelled.
    let order = admin.post("/orders", json!({"campaignId": c, "lines": [{"episodeId": ep, "spot": "mid-0"}]})).await;
    assert_eq!(order.status, 201, "{:?}", order.body);
    assert_eq!(order.body["lines"][0]["rate"], json!({"flat": {"amount": 25000, "currency": "USD"}}), "as held");
    let path = format!("/orders/{}", order.body["id"].as_str().unwrap());
    for to in ["pending_approval", "approved", "booked"] {
        let r = admin.post(&format!("{path}/transitions"), json!({"to": to})).await;
        assert_eq!(r.status, 200, "{to}: {:?}", r.body);
    }
    let url = &s.stack.endpoints.websocket;
    let mut live = Live::connect(url, admin).await;
    let topic = format!("inventory:show:{show}");
    assert_eq!(live.subscribe(&[&topic]).await["accepted"], json!([topic]));
    assert_eq!(
        o.producer.api.post(&format!("/episodes/{ep}/transitions"), json!({"to": "cancelled"})).await.status,
        200
    );
    let flagged = until_async(Duration::from_secs(10), "the booked line flagged", || async {
        let o = admin.get(&path).await;
        (o.body["lines"][0]["needsMakegood"] == true).then_some(o.body)
    })
    .await;
    assert_eq!(flagged["status"], "booked", "the order stands; its line is owed");
    // The booking's own updates may still be on their way: the freed spot is among the next few.
    let mut seen = Vec::new();
    while !seen.contains(&("mid-1".to_owned(), "available".to_owned())) {
        assert!(seen.len() < 5, "the freed spot was not told: {seen:?}");
        let m = live.expect("inventory.spot").await;
        seen.push((m["data"]["spot"].as_str().unwrap().to_owned(), m["data"]["state"].as_str().unwrap().to_owned()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holds_maker_is_told_a_day_before_it_expires_once_per_expiry() {
    use podcastflow_campaign_job::{CampaignJob, run};
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let (admin, seller) = (&o.admin.api, &o.seller.api);
    let show = admin
        .post("/shows", json!({"name": "Expiring", "releaseFrequency": "weekly", "adConfig": {"slots": {"pre": 1, "mid": 0, "post": 0}}}))
        .await;
    let show = show.body["id"].as_str().unwrap().to_owned();
    let ep = admin.post("/episodes", json!({"showId": show, "title": "Soon", "airDate": "2027-06-07"})).await;
    let ep = ep.body["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.post(&format!("/episodes/{ep}/transitions"), json!({"to": "scheduled"})).await.status, 200);
    let assign = json!({"name": "Acme", "type": "advertiser", "assignedSellerIds": [o.seller.id]});
    assert_eq!(admin.send("PUT", &format!("/clients/{}", o.client_id), Some(assign), Some("*")).await.status, 200);
    let c = seller.post("/campaigns", json!({"name": "Soon", "clientId": o.client_id})).await;
    let c = c.body["id"].as_str().unwrap().to_owned();
    let held =
        seller.post(&format!("/campaigns/{c}/holds"), json!({"spots": [{"episodeId": ep, "spot": "pre-0"}]})).await;
    assert_eq!(held.status, 201, "{:?}", held.body);
    let expires: chrono::DateTime<chrono::Utc> = held.body["expiresAt"].as_str().unwrap().parse().unwrap();
    let job = CampaignJob { ctx: s.stack.services.ctx.clone() };
    // Two days ahead: not yet. Within the last day: marked once, however often the job runs.
    assert_eq!(run(&job, expires - chrono::Duration::hours(30), "hold-1").await.unwrap().holds_noticed, 0);
    assert_eq!(run(&job, expires - chrono::Duration::hours(20), "hold-2").await.unwrap().holds_noticed, 1);
    assert_eq!(run(&job, expires - chrono::Duration::hours(19), "hold-3").await.unwrap().holds_noticed, 0);
    let told = until_async(Duration::from_secs(10), "the seller told", || async {
        let page = seller.get("/notifications").await;
        page.body["items"].as_array()?.iter().find(|n| n["type"] == "hold.expiring").cloned()
    })
    .await;
    assert_eq!(told["entity"], json!({"type": "campaign", "id": c}));
    assert_eq!(told["priority"], "high");
}
