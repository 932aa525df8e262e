//! Usage plans: every authorized route is metered by the key the authorizer names. An API key is
//! registered with the plan for API keys when created (and held to its throttle), removed when
//! revoked; people share the interactive plan's key; public routes are not metered.

use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_metered_by_their_own_usage_plan_key() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let created = o.admin.api.post("/api-keys", json!({"name": "export", "role": "seller"})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let mut key = s.api();
    key.authorization = Some(format!("ApiKey {}", created.body["secret"].as_str().unwrap()));
    assert_eq!(key.get("/campaigns").await.status, 200);

    // The plan for API keys allows a burst of 100, then 20 a second: a key sending faster is
    // refused by the gateway (the functions' own limits are off in tests).
    let mut sent = 0;
    let throttled = 'send: loop {
        let batch: Vec<_> = (0..10).map(|_| key.get("/campaigns")).collect();
        for answer in futures::future::join_all(batch).await {
            sent += 1;
            if answer.status == 429 {
                assert_eq!(answer.body["type"], "https://podcastflow.dev/problems/throttled", "{:?}", answer.body);
                break 'send sent;
            }
            assert_eq!(answer.status, 200);
        }
        assert!(sent < 2_000, "never throttled after {sent} requests");
    };
    assert!(throttled > 100, "throttled after {throttled} requests, within the burst of 100");
    // Other principals have their own keys: people and the organization's admin go on.
    assert_eq!(o.admin.api.get("/campaigns").await.status, 200);

    // Revoked: out of the plan at once. The authorizer's cached decision (60 s) still names the
    // key, but the gateway no longer knows it.
    let id = created.body["apiKey"]["id"].as_str().unwrap();
    assert_eq!(o.admin.api.send("DELETE", &format!("/api-keys/{id}"), None, None).await.status, 204);
    let refused = key.get("/campaigns").await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    s.stop().await;
}

#[tokio::test]
async fn public_routes_are_not_metered_and_people_share_the_interactive_key() {
    let s = TestStack::start().await;
    let master = s.master().await;
    // Signed in with a token: metered by the interactive plan, which has no quota.
    for _ in 0..5 {
        assert_eq!(master.get("/auth/me").await.status, 200);
    }
    assert_eq!(s.api().get("/monitoring/health").await.status, 200);
    s.stop().await;
}
