//! The auth function fed the sample event of events/ and bad input, on the local provider.

use lambda_http::Body;
use podcastflow_domain::{OrgId, UserId};
use podcastflow_identity::testing::{TestWorld, world};
use podcastflow_platform::AppContext;
use serde_json::Value;

use super::*;

fn event(body: Option<&str>) -> Request {
    let mut raw: Value = serde_json::from_str(include_str!("../../../events/auth/login.json")).unwrap();
    if let Some(b) = body {
        raw["body"] = Value::from(b);
    }
    lambda_http::request::from_str(&raw.to_string()).unwrap()
}

async fn app() -> (AuthApp, TestWorld) {
    let w = world();
    w.organization(OrgId::new(), UserId::new(), "ada@example.com", "correct horse battery staple").await;
    let app = AuthApp { ctx: AppContext::new(w.table.clone(), b"secret".to_vec()), identity: w.identity.clone() };
    (app, w)
}

fn json_of(r: &Response<Body>) -> Value {
    match r.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        _ => Value::Null,
    }
}

#[tokio::test]
async fn the_sample_login_answers_the_new_password_challenge() {
    let (app, _w) = app().await;
    let r = handle(&app, event(None)).await.unwrap();
    assert_eq!(r.status(), 200);
    let body = json_of(&r);
    assert_eq!(body["challenge"], "NEW_PASSWORD_REQUIRED", "{body}");
    assert!(body["session"].as_str().unwrap().contains('.'));
}

#[tokio::test]
async fn bad_bodies_are_4xx_problems() {
    let (app, _w) = app().await;
    for (body, status) in [
        ("{", 400),
        (r#"{"email": "ada@example.com"}"#, 400),
        (r#"{"email": "ada@example.com", "password": "x", "admin": true}"#, 400),
        (r#"{"email": 7, "password": "x"}"#, 400),
    ] {
        let r = handle(&app, event(Some(body))).await.unwrap();
        assert_eq!(r.status(), status, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_answer_alike() {
    let (app, _w) = app().await;
    let wrong =
        handle(&app, event(Some(r#"{"email": "ada@example.com", "password": "not it at all"}"#))).await.unwrap();
    let unknown =
        handle(&app, event(Some(r#"{"email": "eve@example.com", "password": "not it at all"}"#))).await.unwrap();
    assert_eq!((wrong.status(), unknown.status()), (401.try_into().unwrap(), 401.try_into().unwrap()));
    assert_eq!(json_of(&wrong), json_of(&unknown));
}
