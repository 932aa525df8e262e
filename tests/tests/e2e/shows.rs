//! Shows end to end: create, read by role, merge updates with ad configuration, assignments,
//! archive, and the public fields client users see of the shows their campaigns target.

use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shows_are_created_assigned_configured_and_archived() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let admin = &o.admin.api;

    // Validation, then a producer creates a show they produce.
    let bad = admin.post("/shows", json!({"name": "", "releaseFrequency": "hourly"})).await;
    assert_eq!(bad.status, 400);
    let bad_cfg = admin
        .post(
            "/shows",
            json!({"name": "X", "releaseFrequency": "weekly", "adConfig": {"slots": {"pre": 11, "mid": 0, "post": 0}}}),
        )
        .await;
    assert!(bad_cfg.refused_by_model("/adConfig/slots/pre"), "{:?}", bad_cfg.body);
    let not_talent =
        admin.post("/shows", json!({"name": "X", "releaseFrequency": "weekly", "talentIds": [o.seller.id]})).await;
    assert_eq!(
        (not_talent.status.as_u16(), not_talent.body["errors"][0]["field"].as_str()),
        (400, Some("talentIds[0]"))
    );
    assert_eq!(o.seller.api.post("/shows", json!({"name": "X", "releaseFrequency": "weekly"})).await.status, 403);
    let created = o
        .producer
        .api
        .post(
            "/shows",
            json!({"name": "Morning Brew", "releaseFrequency": "daily", "category": "news",
            "description": "Coffee and headlines", "adConfig": {"cpm": {"pre": {"amount": 2500, "currency": "USD"}}}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["producerIds"], json!([o.producer.id]));
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/shows/{id}");

    // Everyone inside reads it but talent not assigned and client users without a campaign on it.
    for api in [admin, &o.seller.api, &o.producer.api] {
        assert_eq!(api.get(&path).await.status, 200);
    }
    for api in [&o.talent.api, &o.client.api, &other.admin.api] {
        assert_eq!(api.get(&path).await.status, 404);
    }
    assert!(o.talent.api.get("/shows").await.body["items"].as_array().unwrap().is_empty());

    // Merge update of fields and ad configuration; people only through assignments.
    let cfg = json!({"adConfig": {"slots": {"pre": 1, "mid": 2, "post": 0}, "flatSpotPrice": {"amount": 40000, "currency": "USD"}}, "description": null});
    let updated = o.producer.api.send("PUT", &path, Some(cfg), Some("\"v1\"")).await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body["adConfig"]["slots"]["mid"], 2);
    assert!(updated.body.get("description").is_none());
    assert_eq!(o.producer.api.send("PUT", &path, Some(json!({"talentIds": []})), Some("*")).await.status, 400);
    assert_eq!(o.producer.api.send("PUT", &path, Some(json!({"name": "Y"})), Some("\"v1\"")).await.status, 412);
    assert_eq!(o.seller.api.send("PUT", &path, Some(json!({"name": "Y"})), Some("*")).await.status, 403);

    // Assignments: the talent then sees the show; a seller cannot be talent.
    let assign = format!("{path}/assignments");
    assert_eq!(o.producer.api.send("PUT", &assign, Some(json!({"talentIds": [o.talent.id]})), None).await.status, 428);
    let wrong = o.producer.api.send("PUT", &assign, Some(json!({"talentIds": [o.seller.id]})), Some("*")).await;
    assert_eq!(wrong.status, 400);
    let assigned =
        o.producer.api.send("PUT", &assign, Some(json!({"talentIds": [o.talent.id, o.talent.id]})), Some("*")).await;
    assert_eq!(assigned.status, 200, "{:?}", assigned.body);
    assert_eq!(assigned.body["talentIds"], json!([o.talent.id]), "listed once");
    assert_eq!(assigned.body["producerIds"], json!([o.producer.id]), "absent lists stay");
    assert_eq!(o.talent.api.get(&path).await.status, 200);
    let mine = o.talent.api.get("/shows").await;
    assert_eq!(mine.body["items"][0]["id"], id.as_str());
    assert_eq!(o.talent.api.send("PUT", &assign, Some(json!({"talentIds": []})), Some("*")).await.status, 403);

    // A client user sees the public fields of shows their campaigns target.
    let campaign = admin
        .post("/campaigns", json!({"name": "On the show", "clientId": o.client_id, "targeting": {"showIds": [id]}}))
        .await;
    assert_eq!(campaign.status, 201, "{:?}", campaign.body);
    let public = o.client.api.get(&path).await;
    assert_eq!(public.status, 200);
    assert_eq!(public.body["name"], "Morning Brew");
    assert!(public.body.get("adConfig").is_none() && public.body.get("talentIds").is_none());
    let listed = o.client.api.get("/shows").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert!(listed.body["items"][0].get("producerIds").is_none());

    // Lists by name with a prefix; archive hides it and campaigns cannot target it any more.
    for n in ["Evening Wrap", "Morning Run"] {
        assert_eq!(admin.post("/shows", json!({"name": n, "releaseFrequency": "weekly"})).await.status, 201);
    }
    let names = |b: &serde_json::Value| -> Vec<String> {
        b["items"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&admin.get("/shows").await.body), ["Evening Wrap", "Morning Brew", "Morning Run"]);
    assert_eq!(names(&admin.get("/shows?q=morn").await.body), ["Morning Brew", "Morning Run"]);
    assert_eq!(names(&admin.get("/shows?limit=1").await.body).len(), 1);
    assert_eq!(o.producer.api.send("DELETE", &path, None, Some("*")).await.status, 403, "admins archive");
    assert_eq!(admin.send("DELETE", &path, None, None).await.status, 428);
    assert_eq!(admin.send("DELETE", &path, None, Some("*")).await.status, 204);
    assert_eq!(names(&admin.get("/shows").await.body), ["Evening Wrap", "Morning Run"]);
    assert_eq!(names(&admin.get("/shows?status=archived").await.body), ["Morning Brew"]);
    let late = admin.post("/campaigns", json!({"name": "Too late", "targeting": {"showIds": [id]}})).await;
    assert_eq!((late.status.as_u16(), late.body["errors"][0]["field"].as_str()), (400, Some("targeting.showIds[0]")));
    assert_eq!(admin.get(&format!("/shows/{}", ulid::Ulid::new())).await.status, 404);
}
