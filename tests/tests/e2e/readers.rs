//! What a reader may see and do, tried from the attacker's side through the local stack: each
//! test is one of the leaks found in review (issue 21), which every exit now closes because one
//! loader of facts and one view decide.

use std::collections::BTreeSet;
use std::time::Duration;

use podcastflow_tests::live::Live;
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

/// A campaign of the org's client, owned by its seller, with internal notes; returns its id.
async fn campaign(o: &TestOrg) -> String {
    org::campaign_with_secrets(o, "Secretive").await
}

/// The fields of a JSON object.
fn fields(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// Every field any entry of an activity page changes.
fn changed(page: &Value) -> BTreeSet<String> {
    page["items"].as_array().into_iter().flatten().flat_map(|a| fields(&a["changes"])).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_entries_never_show_a_field_the_readers_get_hides() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let id = campaign(&o).await;
    let team = format!("/campaigns/{id}/team");
    // The producer and the talent follow the campaign without financial access.
    for (who, role) in [(&o.producer, "producer"), (&o.talent, "talent")] {
        let r = o.admin.api.post(&team, json!({"userId": who.id, "role": role, "permissions": ["view"]})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let path = format!("/campaigns/{id}");
    let log = format!("/activities?entityType=campaign&entityId={id}");
    let full = until_async(Duration::from_secs(10), "the campaign's activity", || async {
        let page = o.admin.api.get(&log).await.body;
        changed(&page).contains("budget").then_some(page)
    })
    .await;
    assert!(changed(&full).contains("internalNotes"), "the admin reads everything: {full}");
    for (who, m) in [("producer", &o.producer), ("talent", &o.talent)] {
        let get = m.api.get(&path).await;
        assert_eq!(get.status, 200);
        assert!(get.body.get("budget").is_none(), "{who}'s GET hides the budget");
        let page = m.api.get(&log).await;
        assert_eq!(page.status, 200);
        let record: BTreeSet<String> = page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "campaign.created")
            .flat_map(|a| fields(&a["changes"]))
            .collect();
        assert!(!record.is_empty(), "{who} still reads the entry");
        let shown = fields(&get.body);
        assert!(record.is_subset(&shown), "{who} reads {:?} in the log but not in the GET", record.difference(&shown));
        // The entry by id, and the reader's own entries, go through the same view.
        for a in page.body["items"].as_array().unwrap() {
            let one = m.api.get(&format!("/activities/{}", a["id"].as_str().unwrap())).await;
            assert_eq!(one.status, 200);
            assert!(one.body["changes"].get("budget").is_none(), "{who}: {}", one.body);
        }
    }

    // A seller reads colleagues' names and roles, never their e-mail, in the log as in a GET.
    let user_log = format!("/activities?entityType=user&entityId={}", o.producer.id);
    let admin_view = until_async(Duration::from_secs(10), "the user's activity", || async {
        let page = o.admin.api.get(&user_log).await.body;
        changed(&page).contains("email").then_some(page)
    })
    .await;
    assert!(changed(&admin_view).contains("email"));
    let colleague = o.seller.api.get(&format!("/users/{}", o.producer.id)).await;
    assert!(colleague.body.get("email").is_none());
    let seen = o.seller.api.get(&user_log).await;
    assert_eq!(seen.status, 200);
    assert!(!changed(&seen.body).contains("email"), "{}", seen.body);
    assert!(changed(&seen.body).is_subset(&fields(&colleague.body)), "{}", seen.body);
    // An entity type the API does not know is a bad request, not a silent empty page.
    assert_eq!(o.admin.api.get("/activities?entityType=secret&entityId=x").await.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_members_never_raise_themselves_nor_grant_what_they_lack() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let id = campaign(&o).await;
    let team = format!("/campaigns/{id}/team");
    let path = format!("/campaigns/{id}");
    let add = o
        .admin
        .api
        .post(
            &team,
            json!({"userId": o.producer.id, "role": "producer", "permissions": ["view", "edit", "manageTeam"]}),
        )
        .await;
    assert_eq!(add.status, 201, "{:?}", add.body);
    let me = format!("{team}/{}", o.producer.id);
    // Raising their own entry: refused, and the budget stays hidden.
    let raise = json!({"permissions": ["view", "edit", "manageTeam", "approve", "viewFinancials"]});
    let r = o.producer.api.send("PUT", &me, Some(raise), Some("*")).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(o.producer.api.get(&path).await.body.get("budget").is_none());
    assert_eq!(o.producer.api.send("DELETE", &me, None, Some("*")).await.status, 403, "nor leave by themselves");
    // Granting someone else what they do not hold: refused; what they hold: fine.
    let r = o
        .producer
        .api
        .post(&team, json!({"userId": o.talent.id, "role": "talent", "permissions": ["view", "viewFinancials"]}))
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    let r = o.producer.api.post(&team, json!({"userId": o.talent.id, "role": "talent", "permissions": ["view"]})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let theirs = format!("{team}/{}", o.talent.id);
    let r = o.producer.api.send("PUT", &theirs, Some(json!({"permissions": ["view", "approve"]})), Some("*")).await;
    assert_eq!(r.status, 403);
    // A producer manages the team only while they also edit the campaign.
    let r = o.admin.api.send("PUT", &me, Some(json!({"permissions": ["view", "manageTeam"]})), Some("*")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = o.producer.api.send("DELETE", &theirs, None, Some("*")).await;
    assert_eq!(r.status, 403, "manageTeam without edit manages nothing");
    // The owner grants anything to others but not to themselves.
    let own = format!("{team}/{}", o.seller.id);
    assert_eq!(o.seller.api.send("PUT", &own, Some(json!({"permissions": []})), Some("*")).await.status, 409);
    let r =
        o.seller.api.send("PUT", &theirs, Some(json!({"permissions": ["view", "viewFinancials"]})), Some("*")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_or_demoted_reader_stops_receiving_and_is_disconnected() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let id = campaign(&o).await;
    let topic = format!("campaign:{id}");
    let url = &s.stack.endpoints.websocket;
    // The seller owns the campaign; a second seller reads it as the client's assigned seller.
    let colleague = org::invite(&s, &o.admin.api, "seller", json!({})).await;
    let client = format!("/clients/{}", o.client_id);
    let etag = o.admin.api.get(&client).await.etag();
    let assigned = o
        .admin
        .api
        .send("PUT", &client, Some(json!({"assignedSellerIds": [o.seller.id, colleague.id]})), Some(&etag))
        .await;
    assert_eq!(assigned.status, 200, "{:?}", assigned.body);
    let mut owner = Live::connect(url, &o.seller.api).await;
    let mut watcher = Live::connect(url, &colleague.api).await;
    let mut demoted = Live::connect(url, &o.talent.api).await;
    let r = o.admin.api.post(&format!("/campaigns/{id}/team"), json!({"userId": o.talent.id, "role": "talent"})).await;
    assert_eq!(r.status, 201);
    for live in [&mut owner, &mut watcher, &mut demoted] {
        assert_eq!(live.subscribe(&[&topic]).await["accepted"], json!([topic]));
    }

    // The colleague is disabled, the talent given another role: neither reads on as before.
    let user = format!("/users/{}", colleague.id);
    let etag = o.admin.api.get(&user).await.etag();
    let r = o.admin.api.send("PUT", &user, Some(json!({"status": "disabled"})), Some(&etag)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let user = format!("/users/{}", o.talent.id);
    let etag = o.admin.api.get(&user).await.etag();
    let r = o.admin.api.send("PUT", &user, Some(json!({"role": "producer"})), Some(&etag)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let path = format!("/campaigns/{id}");
    let etag = o.admin.api.get(&path).await.etag();
    let r = o.admin.api.send("PUT", &path, Some(json!({"internalNotes": "margin 55%"})), Some(&etag)).await;
    assert_eq!(r.status, 200);

    assert_eq!(owner.expect("campaign.updated").await["data"]["internalNotes"], "margin 55%");
    for (who, live) in [("disabled", &mut watcher), ("demoted", &mut demoted)] {
        let (seen, closed) = live.until_closed(Duration::from_secs(10)).await;
        assert!(seen.iter().all(|m| m["type"] != "campaign.updated"), "the {who} reader received the update: {seen:?}");
        assert!(closed, "the {who} reader's connection stays open");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admins_metrics_count_only_their_organizations_requests() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let mine = org::create(&s, &master).await;
    let theirs = org::create(&s, &master).await;
    for _ in 0..12 {
        assert_eq!(theirs.admin.api.get("/clients").await.status, 200);
    }
    assert_eq!(mine.admin.api.get("/shows").await.status, 200);
    let report = mine.admin.api.get("/monitoring/metrics?minutes=5").await;
    assert_eq!(report.status, 200, "{:?}", report.body);
    let routes = report.body["routes"].as_array().unwrap();
    let count = |route: &str| {
        routes.iter().filter(|r| r["route"] == route).map(|r| r["requests"].as_u64().unwrap_or(0)).sum::<u64>()
    };
    assert_eq!(count("GET /clients"), 0, "another organization's requests: {}", report.body);
    assert!(count("GET /shows") >= 1);
    assert!(report.body.get("stream").is_none(), "the platform's stream is master's to see");
    let platform = master.get("/monitoring/metrics?minutes=5").await;
    let all = platform.body["routes"].as_array().unwrap();
    let clients: u64 =
        all.iter().filter(|r| r["route"] == "GET /clients").map(|r| r["requests"].as_u64().unwrap()).sum();
    assert!(clients >= 12, "{}", platform.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masters_requests_inside_an_organization_are_in_its_activity_log() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let inside = master.with_header("x-org-id", &o.id);
    assert_eq!(inside.get("/campaigns").await.status, 200);
    let answer = inside.get("/users").await;
    assert_eq!(answer.status, 200);
    let rid = answer.headers["x-request-id"].to_str().unwrap().to_owned();
    let log = format!("/activities?entityType=organization&entityId={}", o.id);
    let page = until_async(Duration::from_secs(10), "master's accesses", || async {
        let page = o.admin.api.get(&log).await.body;
        let n = page["items"].as_array()?.iter().filter(|a| a["action"] == "master.accessed").count();
        (n >= 2).then_some(page)
    })
    .await;
    let entries: Vec<&Value> =
        page["items"].as_array().unwrap().iter().filter(|a| a["action"] == "master.accessed").collect();
    assert_eq!(entries.len(), 2, "one entry per request: {page}");
    assert_eq!(entries[0]["changes"]["route"]["to"], "GET /users");
    assert_eq!(entries[0]["changes"]["status"]["to"], 200);
    assert_eq!(entries[0]["requestId"], rid.as_str());
    assert_eq!(entries[1]["changes"]["route"]["to"], "GET /campaigns");
    // Master's requests in their own organization, and an admin's, are not such entries.
    assert_eq!(master.get("/organizations").await.status, 200);
    assert_eq!(o.admin.api.get("/campaigns").await.status, 200);
    let again = o.admin.api.get(&log).await.body;
    let n = again["items"].as_array().unwrap().iter().filter(|a| a["action"] == "master.accessed").count();
    assert_eq!(n, 2, "{again}");
}
