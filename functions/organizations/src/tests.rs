//! The organizations function fed the sample event of events/.

use podcastflow_identity::testing::world;
use podcastflow_platform::AppContext;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn the_sample_reads_the_callers_own_organization_with_its_etag() {
    let w = world();
    let raw: Value = serde_json::from_str(include_str!("../../../events/organizations/get-own.json")).unwrap();
    let auth = &raw["requestContext"]["authorizer"];
    let (org, admin) =
        (auth["orgId"].as_str().unwrap().parse().unwrap(), auth["userId"].as_str().unwrap().parse().unwrap());
    w.organization(org, admin, "ada@example.com", "correct horse battery staple").await;
    let app =
        OrganizationsApp { ctx: AppContext::new(w.table.clone(), b"secret".to_vec()), identity: w.identity.clone() };
    let r = handle(&app, lambda_http::request::from_str(&raw.to_string()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"v1\"");
}
