//! The activity log end to end: writes through the API reach the stream function, which records
//! who changed which field; each role reads only what it may; client-side events are recorded.

use std::time::Duration;

use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_log_shows_who_changed_which_field() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let admin = &o.admin.api;
    let created = o
        .admin
        .api
        .post(
            "/campaigns",
            json!({"name": "Audited", "clientId": o.client_id, "ownerId": o.seller.id,
            "internalNotes": "first"}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/campaigns/{id}");
    let renamed = o.seller.api.send("PUT", &path, Some(json!({"name": "Audited twice"})), Some("*")).await;
    assert_eq!(renamed.status, 200);
    let rid = renamed.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(admin.post(&format!("{path}/team"), json!({"userId": o.talent.id, "role": "talent"})).await.status, 201);

    // The stream function records each change; the log reads newest first.
    let log_path = format!("/activities?entityType=campaign&entityId={id}");
    let log = until_async(Duration::from_secs(10), "three activities", || async {
        let page = admin.get(&log_path).await;
        (page.body["items"].as_array().map_or(0, Vec::len) >= 3).then_some(page.body)
    })
    .await;
    let items = log["items"].as_array().unwrap();
    let actions: Vec<&str> = items.iter().filter_map(|a| a["action"].as_str()).collect();
    assert_eq!(actions, ["campaign.team.created", "campaign.updated", "campaign.created"]);
    let rename = &items[1];
    assert_eq!(rename["actorId"], o.seller.id.as_str());
    assert_eq!(rename["changes"]["name"], json!({"from": "Audited", "to": "Audited twice"}));
    assert_eq!(rename["requestId"], rid.as_str(), "tied to the request that wrote it");
    assert_eq!(items[0]["changes"]["userId"]["to"], o.talent.id.as_str());
    assert_eq!(items[2]["actorId"], o.admin.id.as_str());

    // One activity by id; by actor; the organization's timeline for admins only.
    let one = admin.get(&format!("/activities/{}", rename["id"].as_str().unwrap())).await;
    assert_eq!((one.status.as_u16(), one.body["action"].as_str()), (200, Some("campaign.updated")));
    let mine = o.seller.api.get(&format!("/activities?actorId={}", o.seller.id)).await;
    assert_eq!(mine.status, 200);
    assert!(mine.body["items"].as_array().unwrap().iter().all(|a| a["actorId"] == o.seller.id.as_str()));
    assert!(admin.get("/activities").await.body["items"].as_array().unwrap().len() >= 3);
    let since = admin.get("/activities?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z").await;
    assert!(since.body["items"].as_array().unwrap().is_empty(), "a range before any activity");
    assert_eq!(o.seller.api.get("/activities").await.status, 403, "the whole timeline is the admins'");
    assert_eq!(o.seller.api.get(&format!("/activities?actorId={}", o.admin.id)).await.status, 403);

    // Others read the log of what they can read: the owner and the team's talent yes; the
    // producer (not on it) and other organizations get 404; client users nothing.
    assert_eq!(o.seller.api.get(&log_path).await.status, 200);
    assert_eq!(o.talent.api.get(&log_path).await.status, 200);
    assert_eq!(o.producer.api.get(&log_path).await.status, 404);
    assert_eq!(other.admin.api.get(&log_path).await.body["items"], json!([]), "another tenant's log is empty");
    assert_eq!(o.client.api.get(&log_path).await.status, 403);
    assert_eq!(o.producer.api.get(&format!("/activities/{}", rename["id"].as_str().unwrap())).await.status, 404);
    assert_eq!(admin.get("/activities?entityType=campaign").await.status, 400);

    // Client-side events about readable entities.
    let viewed = o
        .talent
        .api
        .post(
            "/activities",
            json!({"action": "client.viewed", "entity": {"type": "campaign", "id": id},
            "details": {"screen": "overview"}}),
        )
        .await;
    assert_eq!(viewed.status, 201, "{:?}", viewed.body);
    assert_eq!(viewed.body["actorId"], o.talent.id.as_str());
    let hidden = o
        .producer
        .api
        .post("/activities", json!({"action": "client.viewed", "entity": {"type": "campaign", "id": id}}))
        .await;
    assert_eq!(hidden.status, 404);
    let bad = admin
        .post("/activities", json!({"action": "campaign.deleted", "entity": {"type": "campaign", "id": id}}))
        .await;
    assert!(bad.refused_by_model("/action"), "{:?}", bad.body);
    let big =
        json!({"action": "client.x", "entity": {"type": "campaign", "id": id}, "details": {"blob": "x".repeat(5000)}});
    assert_eq!(admin.post("/activities", big).await.status, 400);
    assert_eq!(
        o.client
            .api
            .post("/activities", json!({"action": "client.x", "entity": {"type": "campaign", "id": id}}))
            .await
            .status,
        403
    );
    let latest: Value = admin.get(&log_path).await.body;
    assert_eq!(latest["items"][0]["action"], "client.viewed");
}
