//! The users function fed the sample event of events/.

use lambda_http::Body;
use podcastflow_identity::testing::world;
use podcastflow_platform::AppContext;
use podcastflow_platform::testing::TestRequest;
use podcastflow_usage::RecordingUsageKeys;
use serde_json::Value;

use super::*;

fn event() -> Request {
    lambda_http::request::from_str(include_str!("../../../events/users/list.json")).unwrap()
}

#[tokio::test]
async fn the_sample_list_shows_the_admin_of_the_sample_organization() {
    let w = world();
    let ctx: Value = serde_json::from_str(include_str!("../../../events/users/list.json")).unwrap();
    let auth = &ctx["requestContext"]["authorizer"];
    let (org, admin) =
        (auth["orgId"].as_str().unwrap().parse().unwrap(), auth["userId"].as_str().unwrap().parse().unwrap());
    w.organization(org, admin, "ada@example.com", "correct horse battery staple").await;
    let app = UsersApp {
        ctx: AppContext::new(w.table.clone(), b"secret".to_vec()),
        identity: w.identity.clone(),
        usage: Arc::new(podcastflow_usage::RecordingUsageKeys::default()),
    };
    let r = handle(&app, event()).await.unwrap();
    assert_eq!(r.status(), 200);
    let Body::Text(t) = r.body() else { panic!("a text body") };
    let body: Value = serde_json::from_str(t).unwrap();
    assert_eq!(body["items"][0]["email"], "ada@example.com");
    assert_eq!(r.headers()["x-request-id"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
}

/// An admin of a fresh organization, and the app with a usage plan that can be made to fail.
async fn keys_world() -> (podcastflow_identity::testing::TestWorld, UsersApp, Arc<RecordingUsageKeys>, Value) {
    let w = world();
    let (org, admin) = (podcastflow_domain::OrgId::new(), podcastflow_domain::UserId::new());
    w.organization(org, admin, "grace@example.com", "correct horse battery staple").await;
    let usage = Arc::new(RecordingUsageKeys::default());
    let app = UsersApp {
        ctx: AppContext::new(w.table.clone(), b"secret".to_vec()),
        identity: w.identity.clone(),
        usage: usage.clone(),
    };
    let auth = serde_json::json!({"userId": admin.to_string(), "orgId": org.to_string(), "role": "admin",
        "principalType": "user"});
    (w, app, usage, auth)
}

fn body(r: &lambda_http::Response<Body>) -> Value {
    match r.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        _ => Value::Null,
    }
}

#[tokio::test]
async fn an_api_key_is_in_the_usage_plan_from_creation_to_revocation() {
    let (_w, app, usage, auth) = keys_world().await;
    let create = TestRequest::new("POST", "/api-keys")
        .header("content-type", "application/json")
        .authorizer(auth.clone())
        .body(r#"{"name":"export","role":"seller"}"#)
        .build();
    let created = handle(&app, create).await.unwrap();
    assert_eq!(created.status(), 201);
    let id = body(&created)["apiKey"]["id"].as_str().unwrap().to_owned();
    assert!(usage.registered().contains_key(&id), "{:?}", usage.registered());
    let revoke = TestRequest::new("DELETE", &format!("/api-keys/{id}")).authorizer(auth).build();
    assert_eq!(handle(&app, revoke).await.unwrap().status(), 204);
    assert!(usage.registered().is_empty());
}

#[tokio::test]
async fn without_the_usage_plan_no_key_is_made() {
    let (_w, app, usage, auth) = keys_world().await;
    usage.fail(true);
    let create = TestRequest::new("POST", "/api-keys")
        .header("content-type", "application/json")
        .authorizer(auth.clone())
        .body(r#"{"name":"export","role":"seller"}"#);
    // An outage: the request wrapper answers it 503 (in AWS as in the local stack).
    let refused = handle(&app, create.build()).await;
    assert!(refused.is_err_and(|e| e.to_string().contains("unreachable")));
    usage.fail(false);
    let listed = handle(&app, TestRequest::new("GET", "/api-keys").authorizer(auth).build()).await.unwrap();
    assert_eq!(body(&listed)["items"], serde_json::json!([]), "nothing was stored");
    assert!(usage.registered().is_empty());
}
