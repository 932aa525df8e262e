//! The WebSocket gateway: `$connect` decides, actions route by `action`, handlers post back
//! through aws-sdk-apigatewaymanagement, closed connections answer 410.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use futures_util::{SinkExt, StreamExt};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use podcastflow_local::credentials::LocalCredentials;
use podcastflow_local::functions::{HttpHandler, http};
use podcastflow_local::stack::StackConfig;
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const TEMPLATE: &str = r#"
Resources:
  WsApi: { Type: AWS::ApiGatewayV2::Api, Properties: { Name: ws, ProtocolType: WEBSOCKET, RouteSelectionExpression: "$request.body.action" } }
  WsIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WsApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${WebSocketFunction.Arn}/invocations
  Connect: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref WsApi, RouteKey: $connect, Target: !Join [/, [integrations, !Ref WsIntegration]] } }
  Disconnect: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref WsApi, RouteKey: $disconnect, Target: !Join [/, [integrations, !Ref WsIntegration]] } }
  Echo: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref WsApi, RouteKey: echo, Target: !Join [/, [integrations, !Ref WsIntegration]] } }
  WebSocketFunction: { Type: AWS::Serverless::Function, Properties: {} }
"#;

/// Where the management API is and the key to sign with (known once the stack has started).
type Management = Arc<OnceLock<(String, LocalCredentials)>>;

fn management(endpoint: &str, key: &LocalCredentials) -> aws_sdk_apigatewaymanagement::Client {
    let creds = Credentials::new(&key.access_key_id, &key.secret_access_key, None, None, "local-stack");
    let conf = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .build();
    aws_sdk_apigatewaymanagement::Client::from_conf(conf)
}

/// What the function saw: (route key, event type, connection id, query token).
type Log = Arc<Mutex<Vec<(String, String, String, Option<String>)>>>;

fn function(log: Log, endpoint: Management) -> HttpHandler {
    http(move |req: Request| {
        let (log, endpoint) = (log.clone(), endpoint.clone());
        async move {
            let RequestContext::WebSocket(ctx) = req.request_context() else {
                return Err("not a WebSocket event".into());
            };
            let route = ctx.route_key.clone().unwrap_or_default();
            let id = ctx.connection_id.clone().unwrap_or_default();
            let token = req.query_string_parameters_ref().and_then(|q| q.first("token")).map(str::to_owned);
            log.lock().map_err(|_| "poisoned")?.push((
                route.clone(),
                ctx.event_type.clone().unwrap_or_default(),
                id.clone(),
                token,
            ));
            let mut resp = Response::new(Body::Empty);
            if route == "$connect" && req.query_string_parameters_ref().is_some_and(|q| q.first("fail").is_some()) {
                return Err("the connect handler broke".into());
            }
            if route == "$connect" && req.query_string_parameters_ref().is_some_and(|q| q.first("deny").is_some()) {
                *resp.status_mut() = lambda_http::http::StatusCode::FORBIDDEN;
            }
            if route == "echo" {
                let body: Value = serde_json::from_slice(req.body().as_ref())?;
                let reply = json!({"type": "echo", "data": body["data"], "connectionId": id});
                let (ep, key) = endpoint.get().cloned().ok_or("the stack has not started")?;
                management(&ep, &key)
                    .post_to_connection()
                    .connection_id(&id)
                    .data(Blob::new(reply.to_string()))
                    .send()
                    .await?;
            }
            Ok::<_, lambda_http::Error>(resp)
        }
    })
}

async fn next_text(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a message in time");
        match msg {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).expect("JSON"),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn connect_route_post_back_close_and_gone() {
    let log: Log = Arc::default();
    let endpoint: Management = Arc::default();
    let handler = function(log.clone(), endpoint.clone());
    let s = TestStack::with_config(move |c: &mut StackConfig| {
        c.template = TEMPLATE.to_owned();
        c.functions = HashMap::from([("WebSocketFunction".to_owned(), handler)]);
    })
    .await;
    let _ = endpoint.set((s.stack.endpoints.connections.clone(), s.stack.credentials.clone()));

    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{}?token=t-1", s.stack.endpoints.websocket)).await.unwrap();
    let connect = log.lock().unwrap()[0].clone();
    assert_eq!((connect.0.as_str(), connect.1.as_str(), connect.3.as_deref()), ("$connect", "CONNECT", Some("t-1")));
    let id = connect.2.clone();

    ws.send(Message::Text(json!({"action": "echo", "data": "hello"}).to_string().into())).await.unwrap();
    let reply = next_text(&mut ws).await;
    assert_eq!(reply, json!({"type": "echo", "data": "hello", "connectionId": id}));

    // No route and no $default: API Gateway answers Forbidden on the socket.
    ws.send(Message::Text(json!({"action": "unknown"}).to_string().into())).await.unwrap();
    assert_eq!(next_text(&mut ws).await["message"], "Forbidden");

    // As in AWS, the management API wants calls signed by a known key.
    let stranger = LocalCredentials { access_key_id: "AKIASTRANGER".into(), ..s.stack.credentials.clone() };
    let refused =
        management(&s.stack.endpoints.connections, &stranger).get_connection().connection_id(&id).send().await;
    assert_eq!(refused.unwrap_err().raw_response().map(|r| r.status().as_u16()), Some(403));
    let forged = LocalCredentials { secret_access_key: "not the secret".into(), ..s.stack.credentials.clone() };
    let refused = management(&s.stack.endpoints.connections, &forged).get_connection().connection_id(&id).send().await;
    assert_eq!(refused.unwrap_err().raw_response().map(|r| r.status().as_u16()), Some(403));
    let unsigned = reqwest::get(format!("{}/@connections/{id}", s.stack.endpoints.connections)).await.unwrap();
    assert_eq!(unsigned.status(), 403);
    assert_eq!(unsigned.headers()["x-amzn-errortype"], "MissingAuthenticationTokenException");
    let mgmt = management(&s.stack.endpoints.connections, &s.stack.credentials);
    let info = mgmt.get_connection().connection_id(&id).send().await.unwrap();
    assert_eq!(info.identity().and_then(|i| i.source_ip()), Some("127.0.0.1"));
    mgmt.delete_connection().connection_id(&id).send().await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(m) = ws.next().await {
            if matches!(m, Ok(Message::Close(_)) | Err(_)) {
                return true;
            }
        }
        true
    })
    .await
    .unwrap();
    assert!(closed);
    until(Duration::from_secs(10), "$disconnect", || {
        log.lock().ok()?.iter().any(|e| e.0 == "$disconnect" && e.2 == id).then_some(())
    })
    .await;
    let err = mgmt.post_to_connection().connection_id(&id).data(Blob::new("late")).send().await.unwrap_err();
    assert!(err.into_service_error().is_gone_exception());
    s.stop().await;
}

#[tokio::test]
async fn a_refusing_connect_route_refuses_the_handshake() {
    let log: Log = Arc::default();
    let handler = function(log.clone(), Arc::default());
    let s = TestStack::with_config(move |c: &mut StackConfig| {
        c.template = TEMPLATE.to_owned();
        c.functions = HashMap::from([("WebSocketFunction".to_owned(), handler)]);
    })
    .await;
    let err = tokio_tungstenite::connect_async(format!("{}?deny=1", s.stack.endpoints.websocket)).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(r) => assert_eq!(r.status(), 403),
        other => panic!("expected a refused handshake, got {other:?}"),
    }
    // A failing route is a 500, as API Gateway answers a $connect whose integration fails.
    let err = tokio_tungstenite::connect_async(format!("{}?fail=1", s.stack.endpoints.websocket)).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(r) => assert_eq!(r.status(), 500),
        other => panic!("expected a refused handshake, got {other:?}"),
    }
    assert!(!log.lock().unwrap().iter().any(|e| e.0 == "$disconnect"), "no connection, no $disconnect");
    s.stop().await;
}

/// The template with a REQUEST authorizer on `$connect` reading `?token=`.
fn guarded_template() -> String {
    TEMPLATE.replace(
        "  Connect: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref WsApi, RouteKey: $connect, Target:",
        r#"  WsAuthorizer:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref WsApi
      Name: token
      AuthorizerType: REQUEST
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFunction.Arn}/invocations
      IdentitySource: [route.request.querystring.token]
  AuthFunction: { Type: AWS::Serverless::Function, Properties: {} }
  Connect: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref WsApi, RouteKey: $connect, AuthorizationType: CUSTOM, AuthorizerId: !Ref WsAuthorizer, Target:"#,
    )
}

#[tokio::test]
async fn the_connect_authorizer_reads_the_query_token_and_passes_its_context() {
    let log: Log = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = calls.clone();
    let authorizer = podcastflow_local::functions::event(move |e: lambda_http::LambdaEvent<Value>| {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let token = e.payload["queryStringParameters"]["token"].as_str().unwrap_or_default().to_owned();
            if token != "good" {
                return Err(lambda_http::Error::from("Unauthorized"));
            }
            Ok(json!({"principalId": "u-1", "context": {"userId": "u-1", "orgId": "o-1"},
                      "policyDocument": {"Version": "2012-10-17", "Statement": [
                          {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": e.payload["methodArn"]}]}}))
        }
    });
    let seen_context: Arc<Mutex<Option<Value>>> = Arc::default();
    let sink = seen_context.clone();
    let inner = function(log.clone(), Arc::default());
    let connect = http(move |req: Request| {
        let (sink, inner) = (sink.clone(), inner.clone());
        async move {
            if let RequestContext::WebSocket(ctx) = req.request_context()
                && ctx.route_key.as_deref() == Some("$connect")
            {
                *sink.lock().map_err(|_| "poisoned")? = Some(serde_json::to_value(&ctx.authorizer.fields)?);
            }
            inner(req).await
        }
    });
    let template = guarded_template();
    let s = TestStack::with_config(move |c: &mut StackConfig| {
        c.template = template;
        c.functions = HashMap::from([("WebSocketFunction".to_owned(), connect)]);
        c.event_functions.insert("AuthFunction".into(), authorizer);
    })
    .await;
    let ws = &s.stack.endpoints.websocket;
    for (url, status) in [(ws.clone(), 401), (format!("{ws}?token=nope"), 401)] {
        match tokio_tungstenite::connect_async(&url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), status, "{url}"),
            other => panic!("expected {status} for {url}, got {other:?}"),
        }
    }
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "no token, no call");
    assert!(log.lock().unwrap().is_empty(), "refused connections never reach $connect");
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{ws}?token=good")).await.unwrap();
    let ctx = seen_context.lock().unwrap().clone().expect("$connect ran");
    assert_eq!((ctx["principalId"].clone(), ctx["userId"].clone()), (json!("u-1"), json!("u-1")));
    socket.close(None).await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn websocket_routes_and_authorizers_without_a_local_function_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StackConfig::new(dir.path(), 0);
    config.template = TEMPLATE.replace("WebSocketFunction", "EchoFunction");
    let err = podcastflow_local::stack::start(config).await.err().expect("no EchoFunction: refused");
    assert!(err.to_string().contains("EchoFunction"), "{err}");

    let mut config = StackConfig::new(dir.path(), 0);
    config.template = guarded_template();
    config.functions.insert("WebSocketFunction".into(), function(Log::default(), Arc::default()));
    let err = podcastflow_local::stack::start(config).await.err().expect("no AuthFunction: refused");
    assert!(err.to_string().contains("AuthFunction"), "{err}");
}
