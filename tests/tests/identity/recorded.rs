//! The Cognito adapter's refresh against a recorded exchange, since moto does not serve
//! `GetTokensFromRefreshToken`: a loopback endpoint answers as Cognito answered (the shapes of
//! the service's JSON 1.1 protocol), and records what the adapter sent.

use std::sync::{Arc, Mutex};

use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use podcastflow_identity::cognito::CognitoIdentity;
use podcastflow_identity::{Identity, IdentityError};
use serde_json::{Value, json};

const TARGET: &str = "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken";

/// What Cognito answered to the first use of a refresh token, with rotation on.
fn rotated() -> Value {
    json!({"AuthenticationResult": {"AccessToken": "eyJ.access-2.sig", "ExpiresIn": 3600, "TokenType": "Bearer",
        "IdToken": "eyJ.id-2.sig", "RefreshToken": "refresh-2"}})
}

/// What it answered to the second use of the same token.
fn reused() -> Value {
    json!({"__type": "NotAuthorizedException", "message": "Invalid Refresh Token"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_asks_for_rotated_tokens_and_a_reused_token_is_refused() {
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
        let log = log.clone();
        async move {
            let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let mut log = log.lock().unwrap();
            let first = !log.iter().any(|(_, r)| r["RefreshToken"] == request["RefreshToken"]);
            log.push((target.clone(), request));
            let (status, answer) = match (target.as_str(), first) {
                (TARGET, true) => (StatusCode::OK, rotated()),
                (TARGET, false) => (StatusCode::BAD_REQUEST, reused()),
                _ => (StatusCode::BAD_REQUEST, json!({"__type": "UnknownOperationException"})),
            };
            (status, [("content-type", "application/x-amz-json-1.1")], answer.to_string()).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let conf = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "recorded"))
        .build();
    let identity = CognitoIdentity::new(aws_sdk_cognitoidentityprovider::Client::from_conf(conf), "pool", "app-client");

    let renewed = identity.refresh("refresh-1").await.expect("rotated tokens");
    assert_eq!((renewed.access_token.as_str(), renewed.refresh_token.as_str()), ("eyJ.access-2.sig", "refresh-2"));
    assert_eq!(renewed.expires_in, 3600);
    assert_eq!(identity.refresh("refresh-1").await, Err(IdentityError::NotAuthorized), "a rotated token is spent");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for (target, request) in seen {
        assert_eq!(target, TARGET);
        assert_eq!(request, json!({"ClientId": "app-client", "RefreshToken": "refresh-1"}));
    }
}
