//! Every route of the core resources (clients, campaigns with their holds, shows, episodes,
//! talent, orders, briefs and host reads) answers an unknown id with 404 and a body with an unknown field with a 400 naming it, as problem+json.

use podcastflow_local::template::{BUNDLED, Template};
use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use serde_json::json;

const RESOURCES: [&str; 7] = ["/clients", "/campaigns", "/shows", "/episodes", "/talent", "/orders", "/ad-reads"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_404_and_unknown_fields_400_on_every_resource_route() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let admin = &o.admin.api;
    let show =
        admin.post("/shows", json!({"name": "Real", "releaseFrequency": "weekly", "talentIds": [o.talent.id]})).await;
    let show = show.body["id"].as_str().unwrap().to_owned();
    let campaign = admin.post("/campaigns", json!({"name": "Real", "clientId": o.client_id})).await;
    let campaign = campaign.body["id"].as_str().unwrap().to_owned();
    let member = json!({"userId": o.talent.id, "role": "talent"});
    assert_eq!(admin.post(&format!("/campaigns/{campaign}/team"), member).await.status, 201);
    let episode = admin.post("/episodes", json!({"showId": show, "title": "Real"})).await;
    let episode = episode.body["id"].as_str().unwrap().to_owned();
    // A real id for a path parameter: the holds' `{id}` is a campaign's, the spots' an episode's.
    let real = |path: &str, param: &str| match param {
        "{clientId}" => o.client_id.clone(),
        "{campaignId}" => campaign.clone(),
        "{showId}" => show.clone(),
        "{episodeId}" => episode.clone(),
        "{id}" if path.starts_with("/episodes") => episode.clone(),
        "{id}" => campaign.clone(),
        "{spotId}" => "pre-0".to_owned(),
        // Orders and host reads refuse a malformed body before they look for the order or read.
        "{orderId}" | "{adReadId}" | "{briefId}" | "{commentId}" => ulid::Ulid::new().to_string(),
        _ => o.talent.id.clone(),
    };
    let template = Template::parse(BUNDLED).unwrap();
    let routes: Vec<_> = template
        .routes
        .iter()
        .filter(|r| RESOURCES.iter().any(|p| r.path.starts_with(p)))
        .map(|r| {
            // A body the route's model accepts, so that the unknown id is what the function meets.
            let body = r.request_model.as_ref().map_or(json!({}), |m| minimal(&template.models[&m.name]));
            (r.method.clone(), r.path.clone(), body)
        })
        .collect();
    assert_eq!(routes.len(), 64, "{routes:?}");
    let mut checked = (0, 0);
    for (method, path, minimal_body) in &routes {
        let made_up = ulid::Ulid::new().to_string();
        let with = |f: &dyn Fn(&str) -> String| {
            path.split('/')
                .map(|seg| if seg.starts_with('{') { f(seg) } else { seg.to_owned() })
                .collect::<Vec<_>>()
                .join("/")
        };
        if path.contains('{') {
            let unknown = with(&|_| made_up.clone());
            let got = admin.send(method, &unknown, Some(minimal_body.clone()), Some("*")).await;
            assert_eq!(got.status, 404, "{method} {unknown}: {:?}", got.body);
            assert_eq!(got.headers["content-type"], "application/problem+json");
            checked.0 += 1;
        }
        if method == "POST" || method == "PUT" {
            let concrete = with(&|param| real(path, param));
            let got = admin.send(method, &concrete, Some(json!({"unexpected": true})), Some("*")).await;
            assert_eq!(got.status, 400, "{method} {concrete}: {:?}", got.body);
            let named = got.body["errors"].as_array().is_some_and(|e| e.iter().any(|e| e["field"] == "unexpected"));
            assert!(named || got.body["detail"].as_str().is_some_and(|d| d.contains("unexpected")), "{:?}", got.body);
            checked.1 += 1;
        }
    }
    assert_eq!(checked, (53, 30));

    // The same Idempotency-Key on another campaign's team is a reuse, not a repeat.
    let other = admin.post("/campaigns", json!({"name": "Other", "clientId": o.client_id})).await;
    let other = other.body["id"].as_str().unwrap().to_owned();
    let keyed = admin.with_header("idempotency-key", "add-producer");
    let body = json!({"userId": o.producer.id, "role": "producer"});
    assert_eq!(keyed.post(&format!("/campaigns/{campaign}/team"), body.clone()).await.status, 201);
    let replay = keyed.post(&format!("/campaigns/{campaign}/team"), body.clone()).await;
    assert_eq!((replay.status.as_u16(), replay.headers["idempotent-replayed"].to_str().unwrap()), (201, "true"));
    assert_eq!(keyed.post(&format!("/campaigns/{other}/team"), body).await.status, 422);
}

/// The smallest value a draft-4 model accepts: its required properties with their first enum
/// value (or first alternative), the least number or string allowed, an empty list.
fn minimal(schema: &serde_json::Value) -> serde_json::Value {
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(first) = schema["oneOf"].as_array().and_then(|e| e.first()) {
        return minimal(first);
    }
    let ty = schema["type"].as_str().or_else(|| schema["type"][0].as_str()).unwrap_or("object");
    match ty {
        "string" => json!("x".repeat(schema["minLength"].as_u64().unwrap_or(1).max(1) as usize)),
        "integer" | "number" => schema["minimum"].clone().as_i64().map_or(json!(1), |m| json!(m.max(1))),
        "boolean" => json!(false),
        "array" => json!([]),
        "null" => serde_json::Value::Null,
        _ => {
            let mut out = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten().filter_map(|n| n.as_str()) {
                out.insert(name.to_owned(), minimal(&schema["properties"][name]));
            }
            serde_json::Value::Object(out)
        }
    }
}
