//! The REST API's Lambda REQUEST authorizer, run by the gateway as API Gateway runs it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lambda_http::request::RequestContext;
use lambda_http::{Body, LambdaEvent, Request, RequestExt, Response};
use podcastflow_local::functions::{event, http};
use podcastflow_local::stack::StackConfig;
use podcastflow_tests::stack::TestStack;
use serde_json::{Value, json};

const TEMPLATE: &str = r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: local
      Cors: { AllowOrigin: "'https://app.example'", AllowHeaders: "'Authorization,Content-Type'", AllowMethods: "'GET,POST,OPTIONS'", MaxAge: "'600'" }
      Auth:
        DefaultAuthorizer: Lambda
        Authorizers:
          Lambda:
            FunctionArn: !GetAtt AuthFunction.Arn
            FunctionPayloadType: REQUEST
            Identity: { Headers: [Authorization], ReauthorizeEvery: 300 }
          Uncached:
            FunctionArn: !GetAtt AuthFunction.Arn
            FunctionPayloadType: REQUEST
            Identity: { Headers: [Authorization], ReauthorizeEvery: 0 }
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Guarded: { Type: Api, Properties: { RestApiId: !Ref Api, Path: "/things/{id}", Method: any } }
        Open: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /open, Method: get, Auth: { Authorizer: NONE } } }
        Fresh: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /fresh, Method: get, Auth: { Authorizer: Uncached } } }
  AuthFunction: { Type: AWS::Serverless::Function, Properties: {} }
"#;

async fn echo(req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let authorizer = match req.request_context() {
        RequestContext::ApiGatewayV1(c) => serde_json::to_value(&c.authorizer.fields)?,
        _ => Value::Null,
    };
    Ok(Response::new(Body::Text(json!({"authorizer": authorizer}).to_string())))
}

fn policy(principal: &str, effect: &str, resource: &str, context: Value) -> Value {
    json!({
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]},
        "context": context,
    })
}

async fn stack(calls: Arc<AtomicUsize>) -> TestStack {
    let authorizer = event(move |e: LambdaEvent<Value>| {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let p = e.payload;
            assert_eq!(p["type"], "REQUEST");
            let arn = p["methodArn"].as_str().unwrap_or_default().to_owned();
            let base = arn.split('/').take(2).collect::<Vec<_>>().join("/");
            let token =
                p["headers"]["authorization"].as_str().unwrap_or_default().trim_start_matches("Bearer ").to_owned();
            match token.as_str() {
                "bad" => Err(lambda_http::Error::from("Unauthorized")),
                "crash" => Err(lambda_http::Error::from("database unreachable")),
                "junk" => Ok(json!({"nope": true})),
                "deny" => Ok(policy("mallory", "Deny", &format!("{base}/*"), json!({}))),
                "post-only" => Ok(policy("poster", "Allow", &format!("{base}/POST/*"), json!({}))),
                user => Ok(policy(
                    user,
                    "Allow",
                    &format!("{base}/*"),
                    json!({"userId": user, "orgId": "org-1", "role": "admin"}),
                )),
            }
        }
    });
    TestStack::with_config(move |c: &mut StackConfig| {
        c.template = TEMPLATE.to_owned();
        c.functions = HashMap::from([("EchoFunction".to_owned(), http(echo))]);
        c.event_functions.insert("AuthFunction".into(), authorizer);
    })
    .await
}

#[tokio::test]
async fn the_authorizer_decides_and_its_context_reaches_the_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let s = stack(calls.clone()).await;
    let get = |path: &str, token: Option<&str>| {
        let mut r = s.http.get(s.url(path));
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        r.send()
    };
    // No identity source: 401 without calling the authorizer.
    assert_eq!(get("/things/1", None).await.unwrap().status(), 401);
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let r = get("/things/1", Some("alice")).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["authorizer"]["principalId"], "alice");
    assert_eq!(v["authorizer"]["userId"], "alice");
    assert_eq!(v["authorizer"]["orgId"], "org-1");

    for (token, status) in [("bad", 401), ("deny", 403), ("post-only", 403), ("crash", 500), ("junk", 500)] {
        let r = get("/things/1", Some(token)).await.unwrap();
        assert_eq!(r.status(), status, "{token}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    let r = s.http.post(s.url("/things/1")).header("authorization", "Bearer post-only").send().await.unwrap();
    assert_eq!(r.status(), 200, "the policy allows POST");
    assert_eq!(get("/open", None).await.unwrap().status(), 200, "Authorizer: NONE");
    s.stop().await;
}

#[tokio::test]
async fn decisions_are_cached_per_identity_for_their_ttl() {
    let calls = Arc::new(AtomicUsize::new(0));
    let s = stack(calls.clone()).await;
    for _ in 0..3 {
        let r = s.http.get(s.url("/things/1")).header("authorization", "Bearer alice").send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one call for one identity");
    // The cached policy is evaluated against each request's method ARN: a cached Deny stays a Deny.
    for _ in 0..2 {
        let r = s.http.get(s.url("/things/2")).header("authorization", "Bearer deny").send().await.unwrap();
        assert_eq!(r.status(), 403);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // A 401 from the authorizer is not cached.
    for _ in 0..2 {
        s.http.get(s.url("/things/1")).header("authorization", "Bearer bad").send().await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    // ReauthorizeEvery: 0 asks every time.
    for _ in 0..2 {
        s.http.get(s.url("/fresh")).header("authorization", "Bearer bob").send().await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 6);
    s.stop().await;
}

#[tokio::test]
async fn cors_preflights_are_answered_from_the_template() {
    let s = stack(Arc::new(AtomicUsize::new(0))).await;
    let r = s.http.request(reqwest::Method::OPTIONS, s.url("/things/9")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example");
    assert_eq!(r.headers()["access-control-allow-headers"], "Authorization,Content-Type");
    assert_eq!(r.headers()["access-control-max-age"], "600");
    let r = s.http.request(reqwest::Method::OPTIONS, s.url("/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    s.stop().await;
}
