//! The REST gateway: template routes reach their handlers with genuine REST v1 proxy events.

use std::collections::HashMap;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use podcastflow_domain::keys::Key;
use podcastflow_local::functions::{HttpHandler, http};
use podcastflow_local::stack::StackConfig;
use podcastflow_store::{Condition, Table};
use podcastflow_tests::stack::TestStack;
use serde_json::{Value, json};

/// Answers with what it was given, as the handler saw it.
async fn echo(req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let ctx = match req.request_context() {
        RequestContext::ApiGatewayV1(c) => json!({
            "stage": c.stage, "resourcePath": c.resource_path, "requestId": c.request_id,
            "path": c.path, "sourceIp": c.identity.source_ip,
        }),
        _ => Value::Null,
    };
    let query: HashMap<String, Vec<String>> = req
        .query_string_parameters()
        .iter()
        .map(|(k, _)| {
            (
                k.to_owned(),
                req.query_string_parameters().all(k).unwrap_or_default().into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    let params: HashMap<String, String> =
        req.path_parameters().iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let body: Vec<u8> = req.body().to_vec();
    let out = json!({
        "method": req.method().as_str(),
        "rawPath": req.raw_http_path(),
        "params": params,
        "query": query,
        "header": req.headers().get("x-test").and_then(|v| v.to_str().ok()),
        "body": body,
        "context": ctx,
    });
    let mut resp = Response::new(Body::Text(out.to_string()));
    resp.headers_mut().insert("content-type", "application/json".parse().unwrap_or_else(|_| unreachable!()));
    Ok(resp)
}

async fn fail(_: Request) -> Result<Response<Body>, lambda_http::Error> {
    Err("the backend is down".into())
}

const TEMPLATE: &str = r#"
Resources:
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        One: { Type: Api, Properties: { Path: "/things/{thingId}", Method: get } }
        Nested: { Type: Api, Properties: { Path: "/things/{thingId}/files/{proxy+}", Method: any } }
        Literal: { Type: Api, Properties: { Path: "/things/special", Method: get } }
  FailingFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Boom: { Type: Api, Properties: { Path: "/boom", Method: post } }
"#;

async fn gateway() -> TestStack {
    let functions: HashMap<String, HttpHandler> =
        HashMap::from([("EchoFunction".to_owned(), http(echo)), ("FailingFunction".to_owned(), http(fail))]);
    TestStack::with_functions(TEMPLATE, functions).await
}

#[tokio::test]
async fn health_answers_200_without_auth() {
    let s = TestStack::start().await;
    let r = s.http.get(s.url("/monitoring/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    s.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404_problems() {
    let s = TestStack::start().await;
    for (method, path) in [("GET", "/nope"), ("DELETE", "/monitoring/health"), ("GET", "/monitoring/health/extra")] {
        let r = s.http.request(method.parse().unwrap(), s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{method} {path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["type"], "https://podcastflow.dev/problems/route-not-found");
        assert_eq!(v["instance"], path);
    }
    s.stop().await;
}

#[tokio::test]
async fn a_route_reaches_its_handler_with_a_genuine_proxy_event() {
    let s = gateway().await;
    let r = s.http.get(s.url("/things/t%201?tag=a&tag=b&q=x%26y")).header("x-test", "hello").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["method"], "GET");
    assert_eq!(v["rawPath"], "/things/t%201");
    assert_eq!(v["params"], json!({"thingId": "t 1"}));
    assert_eq!(v["query"]["tag"], json!(["a", "b"]));
    assert_eq!(v["query"]["q"], json!(["x&y"]));
    assert_eq!(v["header"], "hello");
    assert_eq!(v["context"]["stage"], "local");
    assert_eq!(v["context"]["resourcePath"], "/things/{thingId}");
    assert_eq!(v["context"]["path"], "/local/things/t%201");
    assert_eq!(v["context"]["sourceIp"], "127.0.0.1");
    assert!(v["context"]["requestId"].as_str().is_some_and(|id| !id.is_empty()));
    s.stop().await;
}

#[tokio::test]
async fn literal_routes_win_and_greedy_routes_carry_binary_bodies() {
    let s = gateway().await;
    let v: Value = s.http.get(s.url("/things/special")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["context"]["resourcePath"], "/things/special");
    assert_eq!(v["params"], json!({}));
    // A body that is not UTF-8 travels base64-encoded and arrives as the same bytes.
    let bytes: Vec<u8> = vec![0, 159, 146, 150, 255, 1];
    let r = s.http.put(s.url("/things/a/files/x/y.bin")).body(bytes.clone()).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["method"], "PUT");
    assert_eq!(v["params"], json!({"thingId": "a", "proxy": "x/y.bin"}));
    assert_eq!(v["body"], json!(bytes));
    s.stop().await;
}

#[tokio::test]
async fn a_failing_function_is_a_500_problem_from_the_request_wrapper() {
    // The wrapper every function runs in (as in Lambda) answers for it: a problem with the
    // request id, never API Gateway's opaque 502.
    let s = gateway().await;
    let r = s.http.post(s.url("/boom")).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    s.stop().await;
}

#[tokio::test]
async fn a_template_route_without_a_local_function_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StackConfig::new(dir.path(), 0);
    config.template = TEMPLATE.to_owned();
    let err = podcastflow_local::stack::start(config).await.err().expect("start-up refused");
    assert!(err.to_string().contains("EchoFunction") || err.to_string().contains("FailingFunction"), "{err}");
}

#[tokio::test]
async fn data_survives_a_restart_and_endpoints_are_written() {
    let s = TestStack::start().await;
    let endpoints: Value =
        serde_json::from_slice(&std::fs::read(s.stack_data_dir().join("endpoints.json")).unwrap()).unwrap();
    assert_eq!(endpoints["api"], s.api);
    let item = json!({"PK": "RESTART", "SK": "1", "kept": true}).as_object().cloned().unwrap();
    s.stack.table.put(item.clone(), Condition::NotExists).await.unwrap();
    let dir = s.stop().await.expect("the stack's data dir");
    let again = TestStack::start_in(StackConfig::new(dir.path(), 0)).await;
    assert_eq!(again.stack.table.get(&Key::new("RESTART", "1")).await.unwrap(), Some(item));
    assert_eq!(again.http.get(again.url("/monitoring/health")).send().await.unwrap().status(), 200);
    again.stop().await;
}

#[tokio::test]
async fn the_stack_serves_its_openapi_document_and_a_docs_page() {
    let s = TestStack::start().await;
    let doc: serde_json::Value = s.http.get(s.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/auth/login"]["post"].is_object());
    let page = s.http.get(s.url("/docs")).send().await.unwrap();
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("/organizations"));
}

const VALIDATED: &str = r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      Models:
        Thing:
          $schema: http://json-schema.org/draft-04/schema#
          type: object
          additionalProperties: false
          required: [name]
          properties: { name: { type: string, minLength: 1 }, size: { type: integer, maximum: 9 } }
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Create:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /things
            Method: post
            RequestModel: { Model: Thing, Required: true, ValidateBody: true }
        Patch:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /things/{thingId}
            Method: patch
            RequestModel: { Model: Thing, Required: false, ValidateBody: true }
        Free:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /things/{thingId}
            Method: put
"#;

#[tokio::test]
async fn bodies_are_checked_against_the_route_model_before_the_function_runs() {
    let functions: HashMap<String, HttpHandler> = HashMap::from([("EchoFunction".to_owned(), http(echo))]);
    let s = TestStack::with_functions(VALIDATED, functions).await;
    let send = |method: &str, path: &str, body: &'static str| {
        s.http.request(method.parse().unwrap(), s.url(path)).header("content-type", "application/json").body(body)
    };
    // What the model accepts reaches the function unchanged.
    let ok = send("POST", "/things", r#"{"name":"a","size":3}"#).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let v: Value = ok.json().await.unwrap();
    assert_eq!(v["body"], json!(br#"{"name":"a","size":3}"#.to_vec()));
    // What it refuses never does: the echo would have answered 200.
    for (body, reason) in [
        (r#"{"size":3}"#, "name"),
        (r#"{"name":"a","size":10}"#, "/size"),
        (r#"{"name":"a","colour":"red"}"#, "colour"),
        (r#"{"name":"#, "not JSON"),
        ("", "required"),
    ] {
        let r = send("POST", "/things", body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "https://podcastflow.dev/problems/bad-request-body", "{body}");
        assert!(p["detail"].as_str().is_some_and(|d| d.contains(reason)), "{body}: {p}");
    }
    // A model that does not require a body checks one only when it is sent; routes without a
    // model take anything.
    assert_eq!(send("PATCH", "/things/a", "").send().await.unwrap().status(), 200);
    assert_eq!(send("PATCH", "/things/a", "{}").send().await.unwrap().status(), 400);
    assert_eq!(send("PUT", "/things/a", "{}").send().await.unwrap().status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn the_authorizer_answers_before_the_body_is_checked() {
    let s = TestStack::start().await;
    let r = s.http.post(s.url("/campaigns")).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(r.status(), 401);
    s.stop().await;
}
