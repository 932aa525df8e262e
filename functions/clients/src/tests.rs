//! The clients function fed the sample event of events/.

use lambda_http::Body;
use podcastflow_domain::{OrgId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_create_answers_201_with_the_client_and_its_etag() {
    let dir = tempfile::tempdir().unwrap();
    let table = std::sync::Arc::new(EmbeddedTable::open(dir.path()).unwrap());
    let app = ClientsApp { ctx: AppContext::new(table, b"secret".to_vec()) };
    let raw: Value = serde_json::from_str(include_str!("../../../events/clients/create.json")).unwrap();
    let auth = &raw["requestContext"]["authorizer"];
    assert!(
        auth["orgId"].as_str().unwrap().parse::<OrgId>().is_ok()
            && auth["userId"].as_str().unwrap().parse::<UserId>().is_ok()
    );
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["etag"], "\"v1\"");
    let Body::Text(t) = r.body() else { panic!("a text body") };
    let c: Value = serde_json::from_str(t).unwrap();
    assert_eq!(
        (c["name"].as_str(), c["billing"]["termsDays"].as_u64(), c["status"].as_str()),
        (Some("Fizzy Cola"), Some(45), Some("active"))
    );
}
