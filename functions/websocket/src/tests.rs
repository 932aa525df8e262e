//! Unit tests of the websocket function: events as API Gateway sends them, replies captured.

use std::sync::Arc;

use podcastflow_domain::{OrgId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_push::RecordingPush;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::{Value, json};

use super::*;

fn app(dir: &tempfile::TempDir) -> (WebSocketApp, Arc<RecordingPush>) {
    let table = EmbeddedTable::open(&dir.path().join("t")).unwrap();
    let push = Arc::new(RecordingPush::default());
    (WebSocketApp { ctx: AppContext::new(Arc::new(table), b"secret".to_vec()), push: push.clone() }, push)
}

/// The last message posted, parsed.
fn last(push: &RecordingPush) -> (String, Value) {
    let (to, bytes) = push.take().pop().expect("a reply");
    (to, serde_json::from_slice(&bytes).unwrap())
}

fn ws_event(kind: &str, route: &str, connection: &str, auth: &Value, body: Option<&str>) -> Request {
    let mut e = json!({
        "requestContext": {
            "routeKey": route, "eventType": kind, "connectionId": connection, "stage": "local",
            "requestId": "rid-1", "domainName": "localhost", "apiId": "local", "connectedAt": 0,
            "requestTimeEpoch": 0, "messageDirection": "IN", "extendedRequestId": "rid-1",
            "authorizer": auth,
        },
        "isBase64Encoded": false,
    });
    if let Some(b) = body {
        e["body"] = json!(b);
    }
    lambda_http::request::from_str(&e.to_string()).unwrap()
}

fn who(role: &str, org: OrgId, user: UserId) -> Value {
    json!({"principalId": user.to_string(), "userId": user.to_string(), "orgId": org.to_string(), "role": role})
}

#[tokio::test]
async fn connect_message_and_disconnect_keep_the_connection_record() {
    let dir = tempfile::tempdir().unwrap();
    let (app, push) = app(&dir);
    let (org, me) = (OrgId::new(), UserId::new());
    let auth = who("admin", org, me);
    let r = handle(&app, ws_event("CONNECT", "$connect", "c1", &auth, None)).await.unwrap();
    assert_eq!(r.status(), 200);

    let own = format!("user:{me}");
    let other = format!("user:{}", UserId::new());
    let body = json!({"action": "subscribe", "topics": [own, other, "org:campaigns", "bogus", format!("campaign:{}", podcastflow_domain::CampaignId::new())], "id": 7});
    handle(&app, ws_event("MESSAGE", "$default", "c1", &auth, Some(&body.to_string()))).await.unwrap();
    let (to, reply) = last(&push);
    assert_eq!(to, "c1");
    assert_eq!(reply["type"], "subscribe.result");
    assert_eq!(reply["replyTo"], 7);
    assert_eq!(reply["accepted"], json!([own, "org:campaigns"]));
    let refused: Vec<&str> =
        reply["refused"].as_array().unwrap().iter().map(|r| r["topic"].as_str().unwrap()).collect();
    assert_eq!(refused.len(), 3, "{reply}");
    assert!(refused.contains(&other.as_str()) && refused.contains(&"bogus"));

    for (body, kind) in [
        (json!({"action": "ping"}).to_string(), "pong"),
        ("not json".to_owned(), "error"),
        (json!({"action": "dance"}).to_string(), "error"),
        (json!({"action": "presence", "topic": "org:shows", "state": "viewing"}).to_string(), "error"),
        (json!({"action": "presence", "topic": "org:campaigns", "state": "editing"}).to_string(), "presence.result"),
        (json!({"action": "unsubscribe", "topics": ["org:campaigns"]}).to_string(), "unsubscribe.result"),
    ] {
        handle(&app, ws_event("MESSAGE", "$default", "c1", &auth, Some(&body))).await.unwrap();
        let (_, reply) = last(&push);
        assert_eq!(reply["type"], kind, "{body}: {reply}");
    }

    handle(&app, ws_event("DISCONNECT", "$disconnect", "c1", &auth, None)).await.unwrap();
    let body = json!({"action": "subscribe", "topics": [own]}).to_string();
    handle(&app, ws_event("MESSAGE", "$default", "c1", &auth, Some(&body))).await.unwrap();
    let (_, reply) = last(&push);
    assert_eq!(reply["code"], "unknown-connection");
}

#[tokio::test]
async fn a_connect_without_a_principal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = app(&dir);
    let r = handle(&app, ws_event("CONNECT", "$connect", "c1", &json!({}), None)).await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_reply_to_a_gone_connection_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app, push) = app(&dir);
    let (org, me) = (OrgId::new(), UserId::new());
    let auth = who("seller", org, me);
    handle(&app, ws_event("CONNECT", "$connect", "c2", &auth, None)).await.unwrap();
    push.close_connection("c2");
    let body = json!({"action": "subscribe", "topics": [format!("user:{me}")]}).to_string();
    handle(&app, ws_event("MESSAGE", "$default", "c2", &auth, Some(&body))).await.unwrap();
    let t = podcastflow_store::TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    assert!(ConnectionRepo::new(&t).get("c2", Utc::now()).await.unwrap().is_none());
}

#[tokio::test]
async fn the_sample_events_connect_subscribe_and_disconnect() {
    let dir = tempfile::tempdir().unwrap();
    let (app, push) = app(&dir);
    let event = |text: &str| lambda_http::request::from_str(text).unwrap();
    let r = handle(&app, event(include_str!("../../../events/websocket/connect.json"))).await.unwrap();
    assert_eq!(r.status(), 200);
    handle(&app, event(include_str!("../../../events/websocket/subscribe.json"))).await.unwrap();
    let (to, reply) = last(&push);
    assert_eq!(to, "ABCDEFGHIJKLMNO=");
    assert_eq!(reply["accepted"], json!(["org:campaigns", "user:01JD0000000000000000000002"]), "{reply}");
    assert_eq!(reply["replyTo"], 1);
    handle(&app, event(include_str!("../../../events/websocket/disconnect.json"))).await.unwrap();
    let org: OrgId = "01JD0000000000000000000001".parse().unwrap();
    let t = podcastflow_store::TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    assert!(ConnectionRepo::new(&t).get("ABCDEFGHIJKLMNO=", Utc::now()).await.unwrap().is_none());
}
