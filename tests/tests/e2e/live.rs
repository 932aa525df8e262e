//! Live updates end to end: real WebSocket clients on the local stack's gateway, the websocket
//! function behind it, and the stream function's realtime processor posting through the
//! `@connections` API.

use std::time::{Duration, Instant};

use podcastflow_domain::OrgId;
use podcastflow_domain::connection::{Connection, Subscription};
use podcastflow_domain::keys::Entity;
use podcastflow_domain::topic::Topic;
use podcastflow_domain::{Principal, PrincipalKind, Role, UserId};
use podcastflow_store::Table;
use podcastflow_tests::live::Live;
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

/// A campaign of the org's client, owned by its seller, with internal notes; returns its id.
async fn campaign(o: &TestOrg) -> String {
    org::campaign_with_secrets(o, "Live one").await
}

/// A running stack with an organization and one of its campaigns (its id).
async fn with_campaign() -> (TestStack, TestOrg, String) {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let id = campaign(&o).await;
    (s, o, id)
}

/// Merges `fields` into the campaign as `o`'s admin; returns when the PUT has answered.
async fn update(o: &TestOrg, id: &str, fields: Value) -> Instant {
    let path = format!("/campaigns/{id}");
    let etag = o.admin.api.get(&path).await.etag();
    let r = o.admin.api.send("PUT", &path, Some(fields), Some(&etag)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    Instant::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_get_each_change_as_their_own_get_would_show_it() {
    let (s, o, id) = with_campaign().await;
    let topic = format!("campaign:{id}");
    let url = &s.stack.endpoints.websocket;

    let mut admin = Live::connect(url, &o.admin.api).await;
    let mut seller = Live::connect(url, &o.seller.api).await;
    let mut client = Live::connect(url, &o.client.api).await;
    for live in [&mut admin, &mut seller, &mut client] {
        let r = live.subscribe(&[&topic]).await;
        assert_eq!(r["accepted"], json!([topic]), "{r}");
    }
    // The admin again, in another tab following every campaign: one render per reader and
    // topic, so this message names its own topic.
    let mut admin_everywhere = Live::connect(url, &o.admin.api).await;
    let r = admin_everywhere.subscribe(&["org:campaigns"]).await;
    assert_eq!(r["accepted"], json!(["org:campaigns"]), "{r}");

    let written = update(&o, &id, json!({"name": "Live one, renamed"})).await;
    let m = admin_everywhere.expect("campaign.updated").await;
    assert_eq!((m["topic"].as_str(), m["data"]["name"].as_str()), (Some("org:campaigns"), Some("Live one, renamed")));
    for (who, live) in [("admin", &mut admin), ("seller", &mut seller)] {
        let m = live.expect("campaign.updated").await;
        println!("{who}: update {} ms after the PUT answered", written.elapsed().as_millis());
        assert_eq!(
            (m["topic"].as_str(), m["data"]["name"].as_str()),
            (Some(topic.as_str()), Some("Live one, renamed"))
        );
        assert_eq!(m["data"]["internalNotes"], "margin 40%");
        assert_eq!(m["entity"], json!({"type": "campaign", "id": id}));
        assert_eq!(m["version"], 2);
    }
    let m = client.expect("campaign.updated").await;
    assert_eq!(m["data"]["name"], "Live one, renamed");
    assert!(m["data"].get("internalNotes").is_none() && m["data"].get("probability").is_none(), "client view: {m}");

    // A change the client view does not show is not sent to the client at all.
    update(&o, &id, json!({"internalNotes": "margin 45%"})).await;
    assert_eq!(admin.expect("campaign.updated").await["data"]["internalNotes"], "margin 45%");
    update(&o, &id, json!({"name": "Third name"})).await;
    let m = client.expect("campaign.updated").await;
    assert_eq!((m["data"]["name"].as_str(), m["version"].as_u64()), (Some("Third name"), Some(4)), "{m}");

    // The team is part of the campaign's topic, in each reader's view.
    let member = json!({"userId": o.producer.id, "role": "producer", "permissions": ["view"]});
    assert_eq!(o.admin.api.post(&format!("/campaigns/{id}/team"), member).await.status, 201);
    let m = seller.expect("campaign.team.created").await;
    assert_eq!(m["data"]["userId"], o.producer.id.as_str());
    assert!(m["data"].get("permissions").is_some());
    let m = client.expect("campaign.team.created").await;
    assert!(m["data"].get("permissions").is_none(), "client view of the team: {m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_readers_may_subscribe_and_refusals_say_so() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let id = campaign(&o).await;
    let topic = format!("campaign:{id}");
    let url = &s.stack.endpoints.websocket;

    // Another organization's admin, and a producer who is not on the team, are refused.
    for api in [&other.admin.api, &o.producer.api, &o.talent.api] {
        let mut live = Live::connect(url, api).await;
        let r = live.subscribe(&[&topic, "org:campaigns"]).await;
        assert_eq!(r["accepted"], json!(["org:campaigns"]), "{r}");
        assert_eq!(r["refused"][0]["topic"], topic.as_str());
        live.close().await;
    }
    // Nor can anyone follow someone else's notifications.
    let mut live = Live::connect(url, &o.seller.api).await;
    let r = live.subscribe(&[&format!("user:{}", o.admin.id), &format!("user:{}", o.seller.id)]).await;
    assert_eq!(r["accepted"], json!([format!("user:{}", o.seller.id)]), "{r}");

    // The other org's admin on org:campaigns hears nothing of this org's change; this org's
    // talent on org:campaigns hears nothing of a campaign they cannot read.
    let mut outsider = Live::connect(url, &other.admin.api).await;
    let mut talent = Live::connect(url, &o.talent.api).await;
    outsider.subscribe(&["org:campaigns"]).await;
    talent.subscribe(&["org:campaigns"]).await;
    let mut admin = Live::connect(url, &o.admin.api).await;
    admin.subscribe(&["org:campaigns"]).await;
    update(&o, &id, json!({"name": "Quiet"})).await;
    assert_eq!(admin.expect("campaign.updated").await["topic"], "org:campaigns");
    assert!(outsider.next_within(Duration::from_millis(500)).await.is_none());
    assert!(talent.next_within(Duration::from_millis(200)).await.is_none());

    // A connection without a valid token never opens.
    let bad = tokio_tungstenite::connect_async(format!("{url}?token=forged")).await;
    assert!(bad.is_err(), "a forged token is refused at the handshake");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_tells_the_others_who_is_viewing_and_who_left() {
    let (s, o, id) = with_campaign().await;
    let topic = format!("campaign:{id}");
    let url = &s.stack.endpoints.websocket;
    let mut admin = Live::connect(url, &o.admin.api).await;
    let mut seller = Live::connect(url, &o.seller.api).await;
    admin.subscribe(&[&topic]).await;
    seller.subscribe(&[&topic]).await;

    admin.send(json!({"action": "presence", "topic": topic, "state": "viewing"})).await;
    let mine = admin.expect("presence.result").await;
    assert_eq!(mine["present"][0]["userId"], o.admin.id.as_str());
    let heard = seller.expect("presence").await;
    assert_eq!(
        (heard["data"]["userId"].as_str(), heard["data"]["state"].as_str()),
        (Some(o.admin.id.as_str()), Some("viewing"))
    );

    seller.send(json!({"action": "presence", "topic": topic, "state": "editing"})).await;
    let both = seller.expect("presence.result").await;
    assert_eq!(both["present"].as_array().map(Vec::len), Some(2), "{both}");
    assert_eq!(admin.expect("presence").await["data"]["state"], "editing");

    // Closing the connection ends its presence, and the others hear that it left.
    admin.close().await;
    let left = seller.expect("presence").await;
    assert_eq!(
        (left["data"]["userId"].as_str(), left["data"]["state"].as_str()),
        (Some(o.admin.id.as_str()), Some("left"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_vanished_is_cleaned_up_by_the_next_fan_out() {
    let (s, o, id) = with_campaign().await;
    let org: OrgId = o.id.parse().unwrap();
    // A connection whose $disconnect never arrived: its items are there, the socket is not.
    let p = Principal {
        user_id: o.admin.id.parse::<UserId>().unwrap(),
        org_id: org,
        role: Role::Admin,
        client_id: None,
        kind: PrincipalKind::User,
    };
    let mut ghost = Connection::open("GHOSTCONNECTION=", &p, chrono::Utc::now());
    let topic = Topic::Campaign(id.parse().unwrap());
    ghost.topics.push(topic.to_string());
    let sub = Subscription::of(&ghost, &topic);
    for item in [podcastflow_store::item::to_item(&ghost).unwrap(), podcastflow_store::item::to_item(&sub).unwrap()] {
        s.stack.table.put(item, podcastflow_store::Condition::Always).await.unwrap();
    }
    let mut live = Live::connect(&s.stack.endpoints.websocket, &o.seller.api).await;
    live.subscribe(&[&topic.to_string()]).await;

    update(&o, &id, json!({"name": "Clean up"})).await;
    live.expect("campaign.updated").await;
    until_async(Duration::from_secs(10), "the ghost's items deleted", || async {
        let conn = s.stack.table.get(&ghost.key()).await.unwrap();
        let sub = s.stack.table.get(&sub.key()).await.unwrap();
        (conn.is_none() && sub.is_none()).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_talent_is_notified_in_app_and_live_when_assigned() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let mut talent = Live::connect(&s.stack.endpoints.websocket, &o.talent.api).await;
    let me = format!("user:{}", o.talent.id);
    assert_eq!(talent.subscribe(&[&me]).await["accepted"], json!([me]));

    let show = o
        .admin
        .api
        .post(
            "/shows",
            json!({"name": "Pushed", "releaseFrequency": "weekly",
        "talentIds": [o.talent.id], "producerIds": [o.producer.id]}),
        )
        .await;
    let show = show.body["id"].as_str().unwrap().to_owned();
    let ep =
        o.producer.api.post("/episodes", json!({"showId": show, "title": "Pilot", "talentIds": [o.talent.id]})).await;
    assert_eq!(ep.status, 201);
    let pushed = talent.expect("notification.created").await;
    assert_eq!(pushed["data"]["type"], "episode.assigned");
    assert_eq!(pushed["data"]["userId"], o.talent.id.as_str());
    let inbox = o.talent.api.get("/notifications").await;
    assert_eq!(inbox.body["items"][0]["id"], pushed["data"]["id"], "the same notification in-app");

    // Reading it is pushed too (to the user's other tabs).
    let read =
        o.talent.api.post(&format!("/notifications/{}/read", pushed["data"]["id"].as_str().unwrap()), json!({})).await;
    assert!(read.status.is_success(), "{:?}", read.body);
    let m = talent.expect("notification.updated").await;
    assert!(m["data"]["readAt"].is_string(), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_reaches_a_thousand_subscribed_connections() {
    let (s, o, id) = with_campaign().await;
    let topic = format!("campaign:{id}");
    let write = || async {
        update(&o, &id, json!({"name": "To everyone"})).await;
    };
    let t = podcastflow_tests::live::fan_out(
        &s.stack.endpoints.websocket,
        &o.admin.api,
        &topic,
        1000,
        "campaign.updated",
        write,
    )
    .await;
    println!(
        "fan-out to {} connections: first delivery {} ms, last {} ms after the PUT answered",
        t.connections,
        t.first.as_millis(),
        t.last.as_millis()
    );
}
