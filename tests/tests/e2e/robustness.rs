//! Client input never makes a 5xx: every route of template.yaml, as master, an admin and
//! anonymously, with missing, malformed, wrongly shaped, unknown-field, oversized and
//! wrong-media-type bodies and made-up path ids. Every answer must be 2xx or a 4xx problem+json,
//! and no template route is unknown to its handler (template, OpenAPI and handlers agree).

use podcastflow_local::template::{BUNDLED, Template};
use podcastflow_tests::client::Api;
use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use serde_json::json;

async fn raw(
    http: &reqwest::Client,
    api: &Api,
    method: &str,
    path: &str,
    body: Option<(&str, String)>,
) -> (u16, String, String) {
    let mut req =
        http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", api.base()));
    if let Some(a) = &api.authorization {
        req = req.header("authorization", a);
    }
    for (k, v) in &api.headers {
        req = req.header(k, v);
    }
    req = req.header("if-match", "\"v1\"");
    if let Some((content_type, b)) = body {
        req = req.header("content-type", content_type).body(b);
    }
    let resp = req.send().await.expect("an answer");
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = resp.text().await.unwrap_or_default();
    // Every refusal of bad input is one the OpenAPI document names, in the shape it names.
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    if let Some(why) = podcastflow_tests::openapi::violation(method, path, status, Some(&ct), &body) {
        podcastflow_tests::openapi::report(&why);
    }
    (status, ct, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_input_makes_a_server_error() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let template = Template::parse(BUNDLED).unwrap();
    let mut routes: Vec<_> = template.routes.iter().map(|r| (r.method.clone(), r.path.clone())).collect();
    // Deletes after the rest (they remove the real entities used below); signing out would end
    // the callers' sessions: last.
    routes.sort_by_key(|(m, p)| (p == "/auth/logout", m == "DELETE"));
    let bodies: Vec<Option<(&str, String)>> = vec![
        None,
        Some(("application/json", "{".into())),
        Some(("application/json", "[]".into())),
        Some(("application/json", "null".into())),
        Some(("application/json", r#"{"unexpected": true}"#.into())),
        Some(("application/json", r#"{"email": 7, "name": [], "role": {}, "status": 1, "settings": "x"}"#.into())),
        Some((
            "application/json",
            r#"{"to": 1, "reason": {}, "windows": "x", "talentIds": 3, "permissions": "all", "targeting": [],
                "budget": {"amount": "1"}, "showId": 5, "force": "yes", "adConfig": {"slots": -1}}"#
                .into(),
        )),
        Some((
            "application/json",
            r#"{"to": "nowhere", "windows": [{"from": "x"}], "userId": "x", "role": "boss"}"#.into(),
        )),
        Some(("application/json", format!(r#"{{"name": "{}"}}"#, "x".repeat(300 * 1024)))),
        Some(("text/plain", "hello".into())),
    ];
    let callers =
        [("master", master.with_header("x-org-id", &o.id)), ("admin", o.admin.api.clone()), ("anonymous", s.api())];
    let mut requests = 0;
    let http = reqwest::Client::new();
    // Real entities of the organization, so bodies also reach the handlers behind the 404s.
    let client = o.client_id.clone();
    let show = o
        .admin
        .api
        .post("/shows", json!({"name": "Fuzzed", "releaseFrequency": "weekly", "talentIds": [o.talent.id]}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let campaign = o.admin.api.post("/campaigns", json!({"name": "Fuzzed", "clientId": client})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let episode = o.admin.api.post("/episodes", json!({"showId": show, "title": "Fuzzed"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let real = |param: &str| -> String {
        match param {
            "{clientId}" => client.clone(),
            "{campaignId}" => campaign.clone(),
            "{showId}" => show.clone(),
            "{episodeId}" => episode.clone(),
            "{userId}" => o.talent.id.clone(),
            "{orgId}" => o.id.clone(),
            _ => "01JD0000000000000000000000".into(),
        }
    };
    for (method, path) in &routes {
        for id in ["01JD0000000000000000000000", "not-an-id", "real"] {
            let concrete = path
                .split('/')
                .map(|seg| match (seg.starts_with('{'), id) {
                    (true, "real") => real(seg),
                    (true, made_up) => made_up.to_owned(),
                    _ => seg.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("/");
            for (who, api) in &callers {
                for body in &bodies {
                    let (status, ct, text) = raw(&http, api, method, &concrete, body.clone()).await;
                    assert!(
                        !text.contains("/problems/route-not-found"),
                        "{method} {path}: its handler has no such route"
                    );
                    requests += 1;
                    assert!(
                        status < 500,
                        "{method} {concrete} as {who} with {:?}: {status}",
                        body.as_ref().map(|b| &b.1[..b.1.len().min(60)])
                    );
                    if status >= 400 {
                        assert_eq!(ct, "application/problem+json", "{method} {concrete} as {who}: {status}");
                    }
                }
            }
        }
    }
    assert!(requests > 1000, "{requests} requests");
}
