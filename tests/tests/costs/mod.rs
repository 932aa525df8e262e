//! Store calls per request: every list and get costs a bounded number of calls to the table,
//! whatever the amount of data (counted by a wrapper around the embedded adapter).

use std::sync::Arc;

use lambda_http::Request;
use podcastflow_campaigns::CampaignsApp;
use podcastflow_clients::{ClientsApp, handle};
use podcastflow_domain::campaign::team::{TeamPermission, TeamRole};
use podcastflow_domain::{ClientId, OrgId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_platform::testing::TestRequest;
use podcastflow_store::TenantTable;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_tests::counting::CountingTable;
use serde_json::json;

use crate::repositories::build;

fn request(path: &str, user: UserId, org: OrgId, role: &str, client: Option<ClientId>) -> Request {
    let mut ctx = json!({"userId": user.to_string(), "orgId": org.to_string(), "role": role, "principalType": "user"});
    if let Some(c) = client {
        ctx["clientId"] = json!(c.to_string());
    }
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let q: serde_json::Map<String, serde_json::Value> =
        form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), json!(v.into_owned()))).collect();
    TestRequest::new("GET", path).query(if q.is_empty() { json!(null) } else { json!(q) }).authorizer(ctx).build()
}

/// (admin list, seller list, client-user list, get) calls with `n` clients in the organization.
async fn calls_with(n: usize) -> [usize; 4] {
    let dir = tempfile::tempdir().unwrap();
    let counting = Arc::new(CountingTable::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap())));
    let ctx = AppContext::new(counting.clone(), b"cost test".to_vec());
    let app = ClientsApp { ctx: ctx.clone() };
    let (org, admin, seller) = (OrgId::new(), UserId::new(), UserId::new());
    let tenant = TenantTable::new(counting.clone(), org, ctx.cursors.as_ref().clone());
    let mut ids = Vec::new();
    for i in 0..n {
        let c = build::client(org, &format!("Client {i:03}"), vec![seller]);
        ClientRepo::new(&tenant).create(&c).await.unwrap();
        ids.push(c.id);
    }
    let mut out = [0; 4];
    let cases = [
        request("/clients?limit=25", admin, org, "admin", None),
        request("/clients?limit=25", seller, org, "seller", None),
        request("/clients", UserId::new(), org, "client", Some(ids[0])),
        request(&format!("/clients/{}", ids[n / 2]), admin, org, "admin", None),
    ];
    for (slot, req) in out.iter_mut().zip(cases) {
        counting.take();
        let r = handle(&app, req).await.unwrap();
        assert_eq!(r.status(), 200);
        *slot = counting.take();
    }
    out
}

#[tokio::test]
async fn client_lists_and_gets_cost_the_same_few_calls_at_any_size() {
    let small = calls_with(3).await;
    let large = calls_with(120).await;
    assert_eq!(small, large, "calls must not grow with the data");
    // admin list: one Query; seller list: one Query of assignments + one batch read; client user: one
    // read; get: one read.
    assert_eq!(large, [1, 2, 1, 1]);
}

/// (admin list, admin list by status, admin list by update, client-user list, other seller's list,
/// admin get, owning seller's get) calls with `n` campaigns of one seller in the organization.
async fn campaign_calls_with(n: usize) -> [usize; 7] {
    let dir = tempfile::tempdir().unwrap();
    let counting = Arc::new(CountingTable::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap())));
    let ctx = AppContext::new(counting.clone(), b"cost test".to_vec());
    let app = CampaignsApp { ctx: ctx.clone() };
    let (org, admin, seller, other_seller) = (OrgId::new(), UserId::new(), UserId::new(), UserId::new());
    let tenant = TenantTable::new(counting.clone(), org, ctx.cursors.as_ref().clone());
    let client = build::client(org, "Acme", vec![seller]);
    ClientRepo::new(&tenant).create(&client).await.unwrap();
    let repo = CampaignRepo::new(&tenant);
    let mut ids = Vec::new();
    for i in 0..n {
        let c = build::campaign(org, client.id, seller, &format!("2027-01-{:02}", 1 + i % 28));
        repo.create(&c, &build::member(&c, seller, TeamRole::Owner, &TeamPermission::ALL)).await.unwrap();
        ids.push(c.id);
    }
    for _ in 0..2 {
        let c = build::campaign(org, client.id, other_seller, "2027-02-01");
        repo.create(&c, &build::member(&c, other_seller, TeamRole::Owner, &TeamPermission::ALL)).await.unwrap();
    }
    let mut out = [0; 7];
    let get = format!("/campaigns/{}", ids[n / 2]);
    let cases = [
        request("/campaigns?limit=25", admin, org, "admin", None),
        request("/campaigns?limit=25&status=draft", admin, org, "admin", None),
        request("/campaigns?limit=25&sort=updated", admin, org, "admin", None),
        request("/campaigns?limit=25", UserId::new(), org, "client", Some(client.id)),
        request("/campaigns?limit=25", other_seller, org, "seller", None),
        request(&get, admin, org, "admin", None),
        request(&get, seller, org, "seller", None),
    ];
    for (slot, req) in out.iter_mut().zip(cases) {
        counting.take();
        let r = podcastflow_campaigns::handle(&app, req).await.unwrap();
        assert_eq!(r.status(), 200);
        *slot = counting.take();
    }
    out
}

#[tokio::test]
async fn campaign_lists_and_gets_cost_the_same_few_calls_at_any_size() {
    let small = campaign_calls_with(3).await;
    let large = campaign_calls_with(150).await;
    assert_eq!(small, large, "calls must not grow with the organization's campaigns");
    // Indexed lists: one Query. A seller's list: their memberships, their assigned clients (a Query
    // of assignments), their campaigns in one batch read. Get: the record and its team, plus the
    // client's sellers for a seller.
    assert_eq!(large, [1, 1, 1, 1, 3, 2, 3]);
}
