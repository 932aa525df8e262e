//! One view per entity kind and reader, whatever the exit: for every kind whose readers see it
//! differently or read it by more than one exit (campaigns, shows, episodes, users, clients and
//! the organization; talent availability, API keys and backups are read whole by the few who
//! may), and every role (and a campaign team member per permission), a GET, a list, an activity
//! entry and a live update show exactly the same fields.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use podcastflow_tests::client::Api;
use podcastflow_tests::live::Live;
use podcastflow_tests::org::{self, Member};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

/// The fields of a JSON object (the campaign's embedded team aside: only its GET carries it).
fn fields(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().filter(|k| *k != "team").cloned().collect()).unwrap_or_default()
}

/// The messages of the given types that reach `live` within `wait`, by type.
async fn collect(live: &mut Live, types: &[&str], wait: Duration) -> BTreeMap<String, Value> {
    let deadline = Instant::now() + wait;
    let mut got = BTreeMap::new();
    while got.len() < types.len() {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
        let Some(m) = live.next_within(left).await else { break };
        if let Some(t) = m["type"].as_str().filter(|t| types.contains(t)) {
            got.insert(t.to_owned(), m);
        }
    }
    got
}

/// One kind of entity under test: where to read it, list it and follow it, and what was changed.
struct Subject {
    kind: &'static str,
    id: String,
    list: Option<String>,
    topic: Option<String>,
    changed: BTreeSet<String>,
}

impl Subject {
    fn path(&self) -> String {
        match self.kind {
            // Everyone reads their own organization at one address.
            "organization" => "/organization".into(),
            kind => format!("/{kind}s/{}", self.id),
        }
    }
}

/// PUTs `change` to `path` as `api` with the current ETag.
async fn put(api: &Api, path: &str, change: Value) {
    let etag = api.get(path).await.etag();
    let r = api.send("PUT", path, Some(change), Some(&etag)).await;
    assert_eq!(r.status, 200, "PUT {path}: {:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_list_activity_and_live_update_show_the_same_fields_to_every_reader() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let admin = &o.admin.api;
    let invite = |role: &'static str| org::invite(&s, admin, role, json!({}));
    let colleague = invite("seller").await;
    let (p_view, p_edit, p_manage) = (invite("producer").await, invite("producer").await, invite("producer").await);
    let (t_approve, t_money) = (invite("talent").await, invite("talent").await);

    // A show the org's producer produces and its talent hosts; an episode with that talent; a
    // campaign of the client on the show, owned by the seller, with one team member per
    // permission and the client's contact.
    let show = admin
        .post(
            "/shows",
            json!({"name": "Morning Brew", "releaseFrequency": "daily", "description": "Coffee",
            "producerIds": [o.producer.id], "talentIds": [o.talent.id]}),
        )
        .await;
    assert_eq!(show.status, 201, "{:?}", show.body);
    let show_id = show.body["id"].as_str().unwrap().to_owned();
    let episode = admin
        .post(
            "/episodes",
            json!({"showId": show_id, "title": "Pilot", "talentIds": [o.talent.id],
            "durationSeconds": 1800}),
        )
        .await;
    assert_eq!(episode.status, 201, "{:?}", episode.body);
    let episode_id = episode.body["id"].as_str().unwrap().to_owned();
    let campaign = admin
        .post(
            "/campaigns",
            json!({"name": "Spring", "clientId": o.client_id, "ownerId": o.seller.id,
            "internalNotes": "margin 40%", "budget": {"amount": 500_000, "currency": "USD"},
            "targeting": {"showIds": [show_id]}}),
        )
        .await;
    assert_eq!(campaign.status, 201, "{:?}", campaign.body);
    let campaign_id = campaign.body["id"].as_str().unwrap().to_owned();
    let team = format!("/campaigns/{campaign_id}/team");
    for (m, role, perms) in [
        (&p_view, "producer", json!(["view"])),
        (&p_edit, "producer", json!(["view", "edit"])),
        (&p_manage, "producer", json!(["view", "manageTeam"])),
        (&t_approve, "talent", json!(["view", "approve"])),
        (&t_money, "talent", json!(["view", "viewFinancials"])),
        (&o.client, "clientContact", json!(["view"])),
    ] {
        let r = admin.post(&team, json!({"userId": m.id, "role": role, "permissions": perms})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    put(admin, &format!("/clients/{}", o.client_id), json!({"assignedSellerIds": [o.seller.id, colleague.id]})).await;

    let subjects = [
        Subject {
            kind: "campaign",
            id: campaign_id.clone(),
            list: Some("/campaigns?limit=100".into()),
            topic: Some(format!("campaign:{campaign_id}")),
            changed: ["name", "internalNotes", "budget"].map(String::from).into(),
        },
        Subject {
            kind: "show",
            id: show_id.clone(),
            list: Some("/shows?limit=100".into()),
            topic: Some(format!("show:{show_id}")),
            changed: ["description", "releaseFrequency"].map(String::from).into(),
        },
        Subject {
            kind: "episode",
            id: episode_id.clone(),
            list: Some("/episodes?limit=100".into()),
            topic: Some(format!("episode:{episode_id}")),
            changed: ["title"].map(String::from).into(),
        },
        Subject {
            kind: "user",
            id: p_view.id.clone(),
            list: Some("/users?limit=100".into()),
            topic: None,
            changed: ["name", "timezone"].map(String::from).into(),
        },
        Subject {
            kind: "client",
            id: o.client_id.clone(),
            list: Some("/clients?limit=100".into()),
            topic: None,
            changed: ["industry"].map(String::from).into(),
        },
        Subject {
            kind: "organization",
            id: o.id.clone(),
            list: None,
            topic: None,
            changed: ["name"].map(String::from).into(),
        },
    ];
    let readers: Vec<(&str, &Member)> = vec![
        ("admin", &o.admin),
        ("owner seller", &o.seller),
        ("assigned seller", &colleague),
        ("show producer", &o.producer),
        ("show talent", &o.talent),
        ("member with view", &p_view),
        ("member with edit", &p_edit),
        ("member with manageTeam", &p_manage),
        ("member with approve", &t_approve),
        ("member with viewFinancials", &t_money),
        ("client contact", &o.client),
    ];

    // Everyone follows every topic they may; the admin then changes each entity, hidden fields
    // among the visible ones.
    let url = &s.stack.endpoints.websocket;
    let topics: Vec<String> = subjects.iter().filter_map(|x| x.topic.clone()).collect();
    let topic_refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let mut lives = Vec::new();
    for (_, m) in &readers {
        let mut live = Live::connect(url, &m.api).await;
        let r = live.subscribe(&topic_refs).await;
        let accepted: BTreeSet<String> =
            r["accepted"].as_array().unwrap().iter().filter_map(|t| t.as_str().map(String::from)).collect();
        lives.push((live, accepted));
    }
    put(
        admin,
        &subjects[0].path(),
        json!({"name": "Spring, renamed", "internalNotes": "margin 45%",
        "budget": {"amount": 600_000, "currency": "USD"}}),
    )
    .await;
    put(admin, &subjects[1].path(), json!({"description": "Coffee and news", "releaseFrequency": "weekly"})).await;
    put(admin, &subjects[2].path(), json!({"title": "Pilot, recut"})).await;
    put(admin, &subjects[3].path(), json!({"name": "Renamed producer", "timezone": "Europe/Berlin"})).await;
    put(admin, &subjects[4].path(), json!({"industry": "Beverages"})).await;
    put(admin, &subjects[5].path(), json!({"name": "Renamed network"})).await;
    // Every update is in the log before anyone reads it.
    for x in &subjects {
        let log = format!("/activities?entityType={}&entityId={}", x.kind, x.id);
        until_async(Duration::from_secs(10), "the update's activity", || async {
            let page = admin.get(&log).await.body;
            page["items"].as_array()?.iter().any(|a| a["action"] == format!("{}.updated", x.kind)).then_some(())
        })
        .await;
    }

    let mut checked = 0;
    for ((who, m), (live, accepted)) in readers.iter().zip(lives.iter_mut()) {
        let updates: Vec<String> =
            subjects.iter().filter(|x| x.topic.is_some()).map(|x| format!("{}.updated", x.kind)).collect();
        let expected_live: Vec<&str> = subjects
            .iter()
            .filter(|x| x.topic.as_ref().is_some_and(|t| accepted.contains(t)))
            .map(|x| match x.kind {
                "campaign" => "campaign.updated",
                "show" => "show.updated",
                _ => "episode.updated",
            })
            .collect();
        let wait = if expected_live.len() == updates.len() { 10 } else { 3 };
        let refs: Vec<&str> = updates.iter().map(String::as_str).collect();
        let pushed = collect(live, &refs, Duration::from_secs(wait)).await;
        for x in &subjects {
            let get = m.api.get(&x.path()).await;
            let pushed_one = pushed.get(&format!("{}.updated", x.kind));
            if get.status == 404 {
                assert!(pushed_one.is_none(), "{who} reads no {} but was sent its update", x.kind);
                continue;
            }
            assert_eq!(get.status, 200, "{who} GET {}: {:?}", x.path(), get.body);
            let seen = fields(&get.body);
            // The list.
            if let Some(path) = &x.list {
                let list = m.api.get(path).await;
                if list.status == 200 {
                    let item = list.body["items"].as_array().unwrap().iter().find(|i| i["id"] == x.id.as_str());
                    let item = item.unwrap_or_else(|| panic!("{who} reads the {} but does not list it", x.kind));
                    assert_eq!(fields(item), seen, "{who}: the {} in a list and in a GET", x.kind);
                }
            }
            // The activity entry: the changes of exactly the fields they see.
            let log = m.api.get(&format!("/activities?entityType={}&entityId={}", x.kind, x.id)).await;
            if log.status == 200 {
                let entry = log.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| a["action"] == format!("{}.updated", x.kind))
                    .unwrap_or_else(|| panic!("{who}: no {}.updated entry", x.kind))
                    .clone();
                let changes: BTreeSet<String> = entry["changes"].as_object().unwrap().keys().cloned().collect();
                let visible: BTreeSet<String> = x.changed.intersection(&seen).cloned().collect();
                assert_eq!(changes, visible, "{who}: the {} update's entry", x.kind);
            } else {
                assert_eq!((log.status.as_u16(), *who), (403, "client contact"), "{:?}", log.body);
            }
            // The live update.
            if let Some(topic) = &x.topic {
                assert!(accepted.contains(topic), "{who} reads the {} but may not follow it", x.kind);
                let m = pushed_one.unwrap_or_else(|| panic!("{who} was not sent the {} update", x.kind));
                assert_eq!(fields(&m["data"]), seen, "{who}: the {} live and in a GET", x.kind);
            }
            checked += 1;
        }
    }
    // Every reader read something, and the hidden fields were hidden from someone.
    assert!(checked >= 30, "{checked}");
    assert!(o.client.api.get(&subjects[0].path()).await.body.get("internalNotes").is_none());
    assert!(p_view.api.get(&subjects[0].path()).await.body.get("budget").is_none());
    assert!(t_money.api.get(&subjects[0].path()).await.body.get("budget").is_some());
    assert!(o.client.api.get(&subjects[1].path()).await.body.get("releaseFrequency").is_none());
    assert!(o.seller.api.get(&subjects[3].path()).await.body.get("timezone").is_none());
}
