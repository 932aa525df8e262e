//! The users function fed the sample event of events/.

use lambda_http::Body;
use podcastflow_identity::testing::world;
use podcastflow_platform::AppContext;
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
