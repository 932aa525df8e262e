//! Host reads end to end through the local stack: a booked order makes its reads; a brief
//! arrives; the talent uploads a real recording whose length the server measures and submits it
//! with a transcript; the check flags a missing promo code; revision, a second take, the client's
//! approval, approval, the episode published, the aircheck, verification. And a makegood that
//! holds a replacement spot. Every guard from the attacker's side.

use std::time::Duration;

use podcastflow_media::audio::samples;
use podcastflow_tests::client::{Answer, Api};
use podcastflow_tests::live::Live;
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

const BRIEF: &str = r#"{"talkingPoints": ["Brought to you by Acme Mattress", "Made of organic cotton"],
    "requiredPhrases": ["Sleep better tonight"], "forbiddenClaims": ["cures back pain"],
    "promoCode": "POD20", "vanityUrl": "acme.com/pod", "disclosure": "Acme paid for this message",
    "minSeconds": 5, "maxSeconds": 60, "dueLeadDays": 5}"#;

const TAKE_ONE: &str = "This episode is brought to you by Acme Mattress, made of organic cotton. \
    Sleep better tonight: go to acme dot com slash pod and use code POD20. Acme paid for this message.";
const TAKE_TWO: &str = "This episode is brought to you by Acme Mattress, made of organic cotton. \
    Sleep better tonight: use code POD20 at acme dot com slash pod. Again, that is code POD 20. \
    Acme paid for this message.";

/// A show with the org's producer and talent, and `episodes` scheduled weekly from 2027-03-08.
async fn show_with_episodes(o: &TestOrg, episodes: usize) -> (String, Vec<String>) {
    let show = o
        .admin
        .api
        .post(
            "/shows",
            json!({"name": "Sleep Science", "releaseFrequency": "weekly", "producerIds": [o.producer.id],
                "talentIds": [o.talent.id], "adConfig": {"slots": {"pre": 0, "mid": 2, "post": 0},
                "flatSpotPrice": {"amount": 40000, "currency": "USD"}}}),
        )
        .await;
    assert_eq!(show.status, 201, "{:?}", show.body);
    let show = show.body["id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for n in 0..episodes {
        let air = format!("2027-03-{:02}", 8 + 7 * n);
        let ep = o
            .producer
            .api
            .post(
                "/episodes",
                json!({"showId": show, "title": format!("Episode {n}"), "airDate": air, "talentIds": [o.talent.id]}),
            )
            .await;
        assert_eq!(ep.status, 201, "{:?}", ep.body);
        let ep = ep.body["id"].as_str().unwrap().to_owned();
        let scheduled = o.producer.api.post(&format!("/episodes/{ep}/transitions"), json!({"to": "scheduled"})).await;
        assert_eq!(scheduled.status, 200, "{:?}", scheduled.body);
        ids.push(ep);
    }
    (show, ids)
}

/// A won campaign of the org's advertiser with a booked order of `spots` of `episode` (host
/// reads), its client requiring read approval or not.
async fn booked_campaign(o: &TestOrg, episode: &str, spots: &[&str], requires_approval: bool) -> String {
    let (admin, seller) = (&o.admin.api, &o.seller.api);
    let client = json!({"name": "Acme", "type": "advertiser", "assignedSellerIds": [o.seller.id],
        "requiresReadApproval": requires_approval});
    let updated = admin.send("PUT", &format!("/clients/{}", o.client_id), Some(client), Some("*")).await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body["requiresReadApproval"], requires_approval);
    let campaign = seller
        .post(
            "/campaigns",
            json!({"name": "Spring sleep", "clientId": o.client_id, "startDate": "2027-03-01", "endDate": "2027-04-30",
                "budget": {"amount": 5_000_000, "currency": "USD"}}),
        )
        .await;
    assert_eq!(campaign.status, 201, "{:?}", campaign.body);
    let c = campaign.body["id"].as_str().unwrap().to_owned();
    let wanted: Vec<Value> = spots.iter().map(|s| json!({"episodeId": episode, "spot": s})).collect();
    let held = seller.post(&format!("/campaigns/{c}/holds"), json!({"spots": wanted})).await;
    assert_eq!(held.status, 201, "{:?}", held.body);
    for to in ["proposal", "negotiation", "pending_approval"] {
        assert_eq!(seller.post(&format!("/campaigns/{c}/transitions"), json!({"to": to})).await.status, 200, "{to}");
    }
    assert_eq!(admin.post(&format!("/campaigns/{c}/transitions"), json!({"to": "won"})).await.status, 200);
    let order = seller.post("/orders", json!({"campaignId": c})).await;
    assert_eq!(order.status, 201, "{:?}", order.body);
    let path = format!("/orders/{}/transitions", order.body["id"].as_str().unwrap());
    assert_eq!(seller.post(&path, json!({"to": "pending_approval"})).await.status, 200);
    assert_eq!(admin.post(&path, json!({"to": "approved"})).await.status, 200);
    let booked = seller.post(&path, json!({"to": "booked"})).await;
    assert_eq!(booked.status, 200, "{:?}", booked.body);
    c
}

/// The campaign's reads once there are `n` of them, in line order.
async fn reads_of(api: &Api, campaign: &str, n: usize) -> Vec<Value> {
    until_async(WAIT, "the booked lines' reads", || async move {
        let page = api.get(&format!("/ad-reads?campaignId={campaign}")).await;
        let mut items = page.body["items"].as_array().cloned().unwrap_or_default();
        items.sort_by_key(|r| r["line"].as_u64());
        (items.len() == n).then_some(items)
    })
    .await
}

/// The read `id` once `check` holds of it.
async fn read_when(api: &Api, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let check = &check;
    until_async(WAIT, what, || async move {
        let r = api.get(&format!("/ad-reads/{id}")).await;
        (r.status == 200 && check(&r.body)).then_some(r.body)
    })
    .await
}

/// Uploads `bytes` as a file of the read `id` by `api` and confirms it; answers the confirmation.
async fn upload(api: &Api, id: &str, bytes: &[u8], content_type: &str) -> (String, Answer) {
    let body = json!({"entity": {"type": "adRead", "id": id}, "fileName": "take.wav", "contentType": content_type,
        "size": bytes.len()});
    let started = api.post("/media/uploads", body).await;
    assert_eq!(started.status, 201, "{:?}", started.body);
    let media = started.body["media"]["id"].as_str().unwrap().to_owned();
    let url = started.body["upload"]["url"].as_str().unwrap();
    let put =
        reqwest::Client::new().put(url).header("content-type", content_type).body(bytes.to_vec()).send().await.unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let confirmed = api.post(&format!("/media/{media}/confirm"), json!({})).await;
    (media, confirmed)
}

/// Moves an episode from scheduled to published.
async fn publish(o: &TestOrg, episode: &str) {
    for to in ["recording", "editing", "published"] {
        let moved = o.producer.api.post(&format!("/episodes/{episode}/transitions"), json!({"to": to})).await;
        assert_eq!(moved.status, 200, "{to}: {:?}", moved.body);
    }
}

fn problem(r: &Answer) -> &str {
    r.body["type"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_read_goes_from_brief_to_verified_air_with_every_guard_held() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let (admin, seller, talent, client) = (&o.admin.api, &o.seller.api, &o.talent.api, &o.client.api);
    let (_, episodes) = show_with_episodes(&o, 1).await;
    let c = booked_campaign(&o, &episodes[0], &["mid-0"], true).await;

    // The booking made one read, assigned to the episode's talent, waiting for a brief.
    let read = reads_of(seller, &c, 1).await.remove(0);
    let id = read["id"].as_str().unwrap().to_owned();
    let path = format!("/ad-reads/{id}");
    assert_eq!(read["status"], "awaiting_brief");
    assert_eq!(read["talentId"], o.talent.id.as_str());
    assert!(read["deadlines"]["recordingDueAt"].is_string());
    // The brief arrives; the read can be recorded.
    let brief: Value = serde_json::from_str(BRIEF).unwrap();
    let made = seller.post(&format!("/campaigns/{c}/briefs"), brief.clone()).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    assert_eq!(seller.post(&format!("/campaigns/{c}/briefs"), brief.clone()).await.status, 409, "one per scope");
    assert_eq!(talent.post(&format!("/campaigns/{c}/briefs"), brief.clone()).await.status, 404);
    let r = read_when(talent, &id, "the read to need its recording", |r| r["status"] == "needs_read").await;
    assert_eq!(r["briefId"], made.body["id"]);
    assert_eq!(talent.get(&format!("{path}/brief")).await.body["promoCode"], "POD20");
    let mine = talent.get("/ad-reads").await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1), "{:?}", mine.body);

    // Who may not see it does not learn it exists: another talent, a seller off the campaign,
    // the client before it waits for them, another organization.
    let second_talent = org::invite(&s, admin, "talent", json!({})).await;
    let stranger = org::invite(&s, admin, "seller", json!({})).await;
    for api in [&second_talent.api, &stranger.api, client, &other.admin.api, &other.talent.api] {
        assert_eq!(api.get(&path).await.status, 404);
    }

    // Live: the read's topic is followed by who reads it; the client not before it waits for them.
    let url = &s.stack.endpoints.websocket;
    let topic = format!("adread:{id}");
    let mut live_talent = Live::connect(url, talent).await;
    assert_eq!(live_talent.subscribe(&[&topic]).await["accepted"], json!([topic]));
    let mut live_client = Live::connect(url, client).await;
    assert_eq!(live_client.subscribe(&[&topic]).await["accepted"], json!([]));
    let mut live_other = Live::connect(url, &second_talent.api).await;
    assert_eq!(live_other.subscribe(&[&topic]).await["accepted"], json!([]));

    // A file that is not audio is refused; a real recording is measured by the server.
    let (_, junk) = upload(talent, &id, b"definitely not audio", "audio/mpeg").await;
    assert_eq!((junk.status.as_u16(), problem(&junk)), (422, "audio-undecodable"), "{:?}", junk.body);
    let (take1, confirmed) = upload(talent, &id, &samples::wav(12, 8000), "audio/wav").await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    assert_eq!(confirmed.body["durationMs"], 12000);
    let submission = |media: &str, transcript: &str| json!({"recordingId": media, "transcript": transcript});
    // Only the assigned talent submits.
    assert_eq!(second_talent.api.post(&format!("{path}/submissions"), submission(&take1, TAKE_ONE)).await.status, 404);
    assert_eq!(seller.post(&format!("{path}/submissions"), submission(&take1, TAKE_ONE)).await.status, 403);
    let sent = talent.post(&format!("{path}/submissions"), submission(&take1, TAKE_ONE)).await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    assert_eq!(sent.body["status"], "submitted");
    let checklist = sent.body["submissions"][0]["checklist"].as_array().unwrap();
    let failed: Vec<&str> =
        checklist.iter().filter(|i| i["passed"] == false).filter_map(|i| i["kind"].as_str()).collect();
    assert_eq!(failed, ["promoCode"], "{checklist:?}");
    assert_eq!(sent.body["submissions"][0]["durationSeconds"], 12.0);
    assert!(sent.body["deadlines"]["reviewDueAt"].is_string());
    // Nothing skips a state: not approved from submitted, not submitted twice.
    let approve = json!({"to": "approved", "reason": "fine"});
    let skipped = seller.post(&format!("{path}/transitions"), approve.clone()).await;
    assert_eq!((skipped.status.as_u16(), problem(&skipped)), (409, "transition-not-allowed"));
    assert_eq!(talent.post(&format!("{path}/submissions"), submission(&take1, TAKE_ONE)).await.status, 409);
    // Only the campaign's seller or an admin reviews.
    assert_eq!(stranger.api.post(&format!("{path}/transitions"), json!({"to": "in_review"})).await.status, 404);
    assert_eq!(talent.post(&format!("{path}/transitions"), json!({"to": "in_review"})).await.status, 403);
    let reviewing = seller.post(&format!("{path}/transitions"), json!({"to": "in_review"})).await;
    assert_eq!(reviewing.status, 200, "{:?}", reviewing.body);
    assert_eq!(reviewing.body["clientApproval"]["decision"], "pending");
    let told = live_talent.expect("adRead.updated").await;
    assert_eq!(told["entity"], json!({"type": "adRead", "id": id}));
    assert!(told["data"]["status"] == "submitted" || told["data"]["status"] == "in_review", "{told}");
    assert_eq!(live_client.subscribe(&[&topic]).await["accepted"], json!([topic]), "it waits for them now");

    // The client now reads it, in the client view; another advertiser's client user does not.
    let seen = client.get(&path).await;
    assert_eq!(seen.status, 200, "{:?}", seen.body);
    assert!(seen.body.get("notices").is_none());
    assert!(seen.body["history"][0].get("by").is_none());
    assert_eq!(other.client.api.get(&path).await.status, 404);

    // A revision, taken up by the talent, and a second take that passes.
    let revise = seller.post(&format!("{path}/transitions"), json!({"to": "revisions_requested"})).await;
    assert_eq!(revise.status, 422, "a revision says why");
    let revise = json!({"to": "revisions_requested", "reason": "say the code twice"});
    assert_eq!(seller.post(&format!("{path}/transitions"), revise).await.status, 200);
    assert_eq!(talent.post(&format!("{path}/transitions"), json!({"to": "needs_read"})).await.status, 200);
    let (take2, _) = upload(talent, &id, &samples::wav(20, 8000), "audio/wav").await;
    let sent = talent.post(&format!("{path}/submissions"), submission(&take2, TAKE_TWO)).await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    assert!(sent.body["submissions"][1]["checklist"].as_array().unwrap().iter().all(|i| i["passed"] == true));
    assert_eq!(client.get(&path).await.status, 200, "a client who was asked keeps seeing the read through a new take");
    assert_eq!(seller.post(&format!("{path}/transitions"), json!({"to": "in_review"})).await.status, 200);

    // The client approves before the reviewer may.
    let early = seller.post(&format!("{path}/transitions"), approve.clone()).await;
    assert_eq!((early.status.as_u16(), problem(&early)), (409, "client-approval-pending"));
    assert_eq!(
        other.client.api.post(&format!("{path}/client-approval"), json!({"decision": "approved"})).await.status,
        404
    );
    assert_eq!(seller.post(&format!("{path}/client-approval"), json!({"decision": "approved"})).await.status, 403);
    let yes = client.post(&format!("{path}/client-approval"), json!({"decision": "approved", "note": "love it"})).await;
    assert_eq!(yes.status, 200, "{:?}", yes.body);
    assert_eq!(yes.body["clientApproval"]["decision"], "approved");
    let approved = seller.post(&format!("{path}/transitions"), json!({"to": "approved"})).await;
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    // The client follows it in the client view: its approval arrives without the notices.
    let seen_live = live_client.expect("adRead.updated").await;
    assert!(seen_live["data"].get("notices").is_none(), "{seen_live}");

    // Comments: internal ones are the organization's; a mention notifies the talent.
    let note = format!("@{} great energy at 0:12", o.talent.email);
    let said = seller.post(&format!("{path}/comments"), json!({"text": note, "atSeconds": 12})).await;
    assert_eq!(said.status, 201, "{:?}", said.body);
    assert_eq!(
        (said.body["internal"].as_bool(), said.body["mentions"][0].as_str()),
        (Some(true), Some(o.talent.id.as_str()))
    );
    let from_client = client.post(&format!("{path}/comments"), json!({"text": "Approved on our side"})).await;
    assert_eq!(from_client.status, 201);
    assert_eq!(client.post(&format!("{path}/comments"), json!({"text": "x", "internal": true})).await.status, 400);
    let theirs = client.get(&format!("{path}/comments")).await;
    assert_eq!(theirs.body["items"].as_array().map(Vec::len), Some(1), "no internal comment: {:?}", theirs.body);
    assert_eq!(seller.get(&format!("{path}/comments")).await.body["items"].as_array().map(Vec::len), Some(2));
    let comment_id = said.body["id"].as_str().unwrap();
    let edit = json!({"text": "great energy"});
    assert_eq!(
        talent.send("PUT", &format!("{path}/comments/{comment_id}"), Some(edit.clone()), Some("*")).await.status,
        403
    );
    assert_eq!(seller.send("PUT", &format!("{path}/comments/{comment_id}"), Some(edit), Some("*")).await.status, 200);
    until_async(WAIT, "the talent's notifications", || async {
        let n = talent.get("/notifications").await;
        let kinds: Vec<String> =
            n.body["items"].as_array()?.iter().filter_map(|i| i["type"].as_str().map(str::to_owned)).collect();
        ["adread.assigned", "adread.revisions_requested", "adread.approved", "adread.mentioned"]
            .iter()
            .all(|k| kinds.iter().any(|x| x == k))
            .then_some(())
    })
    .await;
    // A mention in an internal comment never reaches a client user; one in a shared comment does.
    let hidden = format!("@{} margin is thin", o.client.email);
    assert_eq!(seller.post(&format!("{path}/comments"), json!({"text": hidden})).await.status, 201);
    let shared = format!("@{} thanks for approving", o.client.email);
    let sent = seller.post(&format!("{path}/comments"), json!({"text": shared, "internal": false})).await;
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    let mentioned = until_async(WAIT, "the client's mention", || async {
        let n = client.get("/notifications").await;
        let items = n.body["items"].as_array()?.clone();
        let mentions: Vec<Value> = items.into_iter().filter(|i| i["type"] == "adread.mentioned").collect();
        (!mentions.is_empty()).then_some(mentions)
    })
    .await;
    assert_eq!(mentioned.len(), 1, "the internal comment's mention was not told: {mentioned:?}");
    assert_eq!(mentioned[0]["body"], shared.as_str());
    until_async(WAIT, "the client's approval request", || async {
        let n = client.get("/notifications").await;
        n.body["items"].as_array()?.iter().any(|i| i["type"] == "adread.approval_needed").then_some(())
    })
    .await;

    // Air: the episode published airs the read; the producer attaches the aircheck; the seller
    // verifies.
    publish(&o, &episodes[0]).await;
    let aired = read_when(seller, &id, "the read to air", |r| r["status"] == "aired").await;
    assert!(aired["deadlines"]["aircheckDueAt"].is_string());
    let verify = seller.post(&format!("{path}/transitions"), json!({"to": "verified"})).await;
    assert_eq!((verify.status.as_u16(), problem(&verify)), (409, "transition-not-ready"), "no aircheck yet");
    let (excerpt, _) = upload(&o.producer.api, &id, &samples::wav(15, 8000), "audio/wav").await;
    assert_eq!(talent.post(&format!("{path}/aircheck"), json!({"mediaId": excerpt})).await.status, 403);
    let checked = o.producer.api.post(&format!("{path}/aircheck"), json!({"mediaId": excerpt})).await;
    assert_eq!(checked.status, 200, "{:?}", checked.body);
    let verified = seller.post(&format!("{path}/transitions"), json!({"to": "verified"})).await;
    assert_eq!(verified.status, 200, "{:?}", verified.body);
    assert_eq!(verified.body["status"], "verified");
    let moves: Vec<&str> =
        verified.body["history"].as_array().unwrap().iter().filter_map(|h| h["to"].as_str()).collect();
    assert_eq!(
        moves,
        [
            "needs_read",
            "submitted",
            "in_review",
            "revisions_requested",
            "needs_read",
            "submitted",
            "in_review",
            "approved",
            "aired",
            "verified"
        ]
    );
    // The audit trail has every move.
    let log = until_async(WAIT, "the read's activity", || async {
        let a = admin.get(&format!("/activities?entityType=adRead&entityId={id}&limit=100")).await;
        let items = a.body["items"].as_array()?.clone();
        (items.iter().filter(|i| i["action"] == "adRead.transitioned").count() >= 9).then_some(items)
    })
    .await;
    assert!(log.iter().any(|i| i["action"] == "adRead.comment.created"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_check_needs_an_override_and_a_makegood_holds_a_replacement() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let (seller, talent, client) = (&o.seller.api, &o.talent.api, &o.client.api);
    let (_, episodes) = show_with_episodes(&o, 2).await;
    let c = booked_campaign(&o, &episodes[0], &["mid-0"], false).await;
    let brief: Value = serde_json::from_str(BRIEF).unwrap();
    assert_eq!(seller.post(&format!("/campaigns/{c}/briefs"), brief).await.status, 201);
    let id = reads_of(seller, &c, 1).await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/ad-reads/{id}");
    read_when(talent, &id, "the read to need its recording", |r| r["status"] == "needs_read").await;
    let (take, _) = upload(talent, &id, &samples::mp3(1200), "audio/mpeg").await;
    let sent = talent.post(&format!("{path}/submissions"), json!({"recordingId": take, "transcript": TAKE_ONE})).await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    assert!((sent.body["submissions"][0]["durationSeconds"].as_f64().unwrap() - 31.3).abs() < 0.2, "{:?}", sent.body);
    assert_eq!(seller.post(&format!("{path}/transitions"), json!({"to": "in_review"})).await.status, 200);
    // No client approval here: the client never sees the read, and cannot approve it.
    assert_eq!(client.get(&path).await.status, 404);
    assert_eq!(client.post(&format!("{path}/client-approval"), json!({"decision": "approved"})).await.status, 404);
    // The failed promo code needs an override reason, kept on record.
    let bare = seller.post(&format!("{path}/transitions"), json!({"to": "approved"})).await;
    assert_eq!((bare.status.as_u16(), problem(&bare)), (422, "override-reason-required"), "{:?}", bare.body);
    let over = json!({"to": "approved", "reason": "the host said the code in the outro"});
    let approved = seller.post(&format!("{path}/transitions"), over).await;
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    assert_eq!(approved.body["overrideReason"], "the host said the code in the outro");

    // Aired, then found wrong: a makegood with its reason holds the show's next free spot.
    publish(&o, &episodes[0]).await;
    read_when(seller, &id, "the read to air", |r| r["status"] == "aired").await;
    let no_reason = seller.post(&format!("{path}/transitions"), json!({"to": "makegood_required"})).await;
    assert_eq!(no_reason.status, 422);
    let owed = json!({"to": "makegood_required", "makegoodReason": "bad_promo", "reason": "code missing on air"});
    let made = seller.post(&format!("{path}/transitions"), owed).await;
    assert_eq!(made.status, 200, "{:?}", made.body);
    let makegood = &made.body["makegood"];
    assert_eq!(makegood["reason"], "bad_promo");
    assert_eq!(makegood["replacement"]["episodeId"], episodes[1].as_str(), "{makegood}");
    let holds = seller.get(&format!("/campaigns/{c}/holds")).await;
    let replacement = holds.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == makegood["holdId"])
        .unwrap_or_else(|| panic!("the replacement hold: {:?}", holds.body))
        .clone();
    assert_eq!(replacement["makegoodFor"]["adReadId"], id.as_str());
    assert_eq!(replacement["spots"][0]["price"]["flat"]["amount"], 0, "a makegood costs nothing");
    assert_eq!(replacement["status"], "active");
    // Nothing moves on from a makegood.
    assert_eq!(seller.post(&format!("{path}/transitions"), json!({"to": "verified"})).await.status, 409);
}
