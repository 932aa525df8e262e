//! A small typed client of the REST API for end-to-end tests: sends JSON, keeps a bearer token,
//! signs in through the challenges like an app would.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// One answer: status, headers and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The body as JSON.
    pub body: Value,
}

impl Answer {
    /// The ETag header, for the next If-Match.
    pub fn etag(&self) -> String {
        self.headers.get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    /// Whether the gateway refused the body against its route's request model, naming `field`
    /// (a JSON pointer such as `/title`, or a property name) among its reasons.
    pub fn refused_by_model(&self, field: &str) -> bool {
        self.status == StatusCode::BAD_REQUEST
            && self.body["type"] == "https://podcastflow.dev/problems/bad-request-body"
            && self.body["detail"].as_str().is_some_and(|d| d.contains(field))
    }
}

/// A client of one stack, optionally signed in.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    /// The bearer credential sent as `Authorization` (access token, or `ApiKey ...` verbatim).
    pub authorization: Option<String>,
    /// Extra headers on every request (e.g. master's `X-Org-Id`).
    pub headers: Vec<(String, String)>,
}

impl Api {
    /// An anonymous client of the API at `base`.
    pub fn new(base: &str) -> Self {
        Self { http: reqwest::Client::new(), base: base.to_owned(), authorization: None, headers: Vec::new() }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The same client with a bearer access token.
    pub fn with_token(&self, token: &str) -> Self {
        Self { authorization: Some(format!("Bearer {token}")), ..self.clone() }
    }

    /// The same client with one more header on every request.
    pub fn with_header(&self, name: &str, value: &str) -> Self {
        let mut c = self.clone();
        c.headers.push((name.to_owned(), value.to_owned()));
        c
    }

    /// A request to `path` with the client's credential and headers.
    fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(a) = &self.authorization {
            req = req.header("authorization", a);
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        req
    }

    /// Sends a request; `body` as JSON when given; `if_match` as the If-Match header.
    pub async fn send(&self, method: &str, path: &str, body: Option<Value>, if_match: Option<&str>) -> Answer {
        let raw = body.map(|b| b.to_string().into_bytes());
        self.send_raw(method, path, raw, if_match).await
    }

    /// Sends a request with `body` as it is (labelled JSON), for bodies a `Value` cannot hold:
    /// duplicate keys, oversized or broken documents.
    pub async fn send_raw(&self, method: &str, path: &str, body: Option<Vec<u8>>, if_match: Option<&str>) -> Answer {
        let method_name = method;
        let mut req = self.request(method, path);
        if let Some(m) = if_match {
            req = req.header("if-match", m);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method_name} {path}: the stack did not answer: {e:?}"));
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap_or_default();
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        if let Some(why) = crate::openapi::violation(method_name, path, status.as_u16(), content_type, &body) {
            crate::openapi::report(&why);
        }
        Answer { status, headers, body }
    }

    /// Sends a request and reads its status and body as they are, without parsing the body or
    /// checking it against the OpenAPI document: what a load generator such as `wrk` does, so
    /// the client does not weigh more than the stack it measures (validate with [`Api::send`]).
    pub async fn exchange(&self, method: &str, path: &str, body: Option<&[u8]>) -> (StatusCode, Vec<u8>) {
        let method_name = method;
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_vec());
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method_name} {path}: the stack did not answer: {e:?}"));
        let status = resp.status();
        (status, resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, Some(body), None).await
    }

    /// Signs in with e-mail and password; answers the new-password challenge with `new_password`
    /// when asked. Returns the token answer (`accessToken`, `refreshToken`, ...).
    pub async fn sign_in(&self, email: &str, password: &str, new_password: &str) -> Value {
        let first = self.post("/auth/login", json!({"email": email, "password": password})).await;
        assert_eq!(first.status, 200, "sign-in of {email}: {:?}", first.body);
        if first.body["challenge"] == "NEW_PASSWORD_REQUIRED" {
            let body = json!({"challenge": "NEW_PASSWORD_REQUIRED", "session": first.body["session"], "newPassword": new_password});
            let second = self.post("/auth/challenge", body).await;
            assert_eq!(second.status, 200, "new password of {email}: {:?}", second.body);
            return second.body;
        }
        first.body
    }

    /// A client signed in as `email` (see [`Api::sign_in`]).
    pub async fn signed_in(&self, email: &str, password: &str, new_password: &str) -> Api {
        let tokens = self.sign_in(email, password, new_password).await;
        self.with_token(tokens["accessToken"].as_str().expect("an access token"))
    }
}
