//! Unit tests of the websocket function: events as API Gateway sends them, replies captured.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use podcastflow_domain::{OrgId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_push::{Push, PushError};
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::{Value, json};

use super::*;

/// Keeps what was posted; connections in `gone` answer 410.
#[derive(Default)]
struct Captured {
    posts: Mutex<Vec<(String, Value)>>,
    gone: Mutex<Vec<String>>,
}

#[async_trait]
impl Push for Captured {
    async fn post(&self, connection: &str, message: &[u8]) -> Result<(), PushError> {
        if self.gone.lock().unwrap().iter().any(|g| g == connection) {
            return Err(PushError::Gone);
        }
        let v = serde_json::from_slice(message).map_err(|e| PushError::Failed(e.to_string()))?;
        self.posts.lock().unwrap().push((connection.to_owned(), v));
        Ok(())
    }
    async fn close(&self, _: &str) -> Result<(), PushError> {
        Ok(())
    }
}

fn app(dir: &tempfile::TempDir) -> (WebSocketApp, Arc<Captured>) {
    let table = EmbeddedTable::open(&dir.path().join("t")).unwrap();
    let push = Arc::new(Captured::default());
    (WebSocketApp { ctx: AppContext::new(Arc::new(table), b"secret".to_vec()), push: push.clone() }, push)
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
    let (to, reply) = push.posts.lock().unwrap().pop().unwrap();
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
        let (_, reply) = push.posts.lock().unwrap().pop().unwrap();
        assert_eq!(reply["type"], kind, "{body}: {reply}");
    }

    handle(&app, ws_event("DISCONNECT", "$disconnect", "c1", &auth, None)).await.unwrap();
    let body = json!({"action": "subscribe", "topics": [own]}).to_string();
    handle(&app, ws_event("MESSAGE", "$default", "c1", &auth, Some(&body))).await.unwrap();
    let (_, reply) = push.posts.lock().unwrap().pop().unwrap();
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
    push.gone.lock().unwrap().push("c2".into());
    let body = json!({"action": "subscribe", "topics": [format!("user:{me}")]}).to_string();
    handle(&app, ws_event("MESSAGE", "$default", "c2", &auth, Some(&body))).await.unwrap();
    let t = podcastflow_store::TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    assert!(ConnectionRepo::new(&t).get("c2", Utc::now()).await.unwrap().is_none());
}
