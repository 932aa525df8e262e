//! Clients end to end: create, read, merge updates, archive and its guard, who sees what.

use podcastflow_domain::campaign::CampaignStatus;
use podcastflow_domain::campaign::team::{TeamPermission, TeamRole};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use serde_json::json;

use crate::repositories::build;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_created_read_updated_and_archived_with_their_rules() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let admin = &o.admin.api;

    // Create: validation first, then success with an ETag.
    let bad = admin
        .post("/clients", json!({"name": "", "type": "advertiser", "contacts": [{"name": "X", "email": "nope"}]}))
        .await;
    assert_eq!(bad.status, 400);
    let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"name") && fields.contains(&"contacts[0].email"), "{fields:?}");
    assert_eq!(admin.post("/clients", json!({"name": "A", "type": "broker"})).await.status, 400);
    let unknown_seller =
        admin.post("/clients", json!({"name": "A", "type": "advertiser", "assignedSellerIds": [o.producer.id]})).await;
    assert_eq!(unknown_seller.status, 400, "a producer is not a seller");
    let agency = admin.post("/clients", json!({"name": "Big Agency", "type": "agency"})).await;
    assert_eq!(agency.status, 201);
    let agency_id = agency.body["id"].as_str().unwrap().to_owned();
    let created = admin
        .post(
            "/clients",
            json!({"name": "Fizzy Cola", "type": "advertiser", "agencyId": agency_id, "industry": "beverages",
            "assignedSellerIds": [o.seller.id]}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.etag(), "\"v1\"");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let not_agency = admin.post("/clients", json!({"name": "B", "type": "advertiser", "agencyId": id})).await;
    assert_eq!(not_agency.status, 400, "agencyId must name an agency");

    // A seller who creates a client is assigned to it; sellers list only their clients.
    let own = o.seller.api.post("/clients", json!({"name": "Seller's Own", "type": "advertiser"})).await;
    assert_eq!(own.status, 201);
    assert_eq!(own.body["assignedSellerIds"], json!([o.seller.id]));
    let unassigned = admin.post("/clients", json!({"name": "Nobody's", "type": "advertiser"})).await;
    let unassigned_id = unassigned.body["id"].as_str().unwrap().to_owned();
    let seller_list = o.seller.api.get("/clients").await;
    let names: Vec<&str> =
        seller_list.body["items"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"Nobody's"));
    assert_eq!(o.seller.api.get(&format!("/clients/{unassigned_id}")).await.status, 404);
    assert_eq!(o.producer.api.get("/clients").await.status, 403);
    assert_eq!(other.admin.api.get(&format!("/clients/{id}")).await.status, 404, "another organization's");

    // Admins list by name with a prefix and a type filter.
    let fizz = admin.get("/clients?q=fiz").await;
    assert_eq!(fizz.body["items"].as_array().unwrap().len(), 1);
    let agencies = admin.get("/clients?type=agency").await;
    assert!(agencies.body["items"].as_array().unwrap().iter().all(|c| c["type"] == "agency"));
    assert_eq!(admin.get("/clients?status=gone").await.status, 400);

    // Merge update: present fields change, null clears, stale versions are 412.
    let etag = created.etag();
    let updated = admin
        .send("PUT", &format!("/clients/{id}"), Some(json!({"industry": null, "name": "Fizzy Cola Inc."})), Some(&etag))
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert!(updated.body.get("industry").is_none());
    assert_eq!(updated.body["agencyId"], agency_id.as_str(), "untouched fields stay");
    let stale = admin.send("PUT", &format!("/clients/{id}"), Some(json!({"name": "X"})), Some(&etag)).await;
    assert_eq!(stale.status, 412);
    let forbidden_field =
        admin.send("PUT", &format!("/clients/{id}"), Some(json!({"status": "archived"})), Some("*")).await;
    assert_eq!(forbidden_field.status, 400);
    assert_eq!(
        o.seller.api.send("PUT", &format!("/clients/{id}"), Some(json!({"industry": "soda"})), Some("*")).await.status,
        200,
        "assigned seller updates"
    );

    // Archive: refused while a campaign is won; hidden from the default list afterwards.
    let org_id = o.id.parse().unwrap();
    let tenant = TenantTable::new(
        std::sync::Arc::new(s.stack.table.clone()),
        org_id,
        s.stack.services.ctx.cursors.as_ref().clone(),
    );
    let mut campaign = build::campaign(org_id, id.parse().unwrap(), o.seller.id.parse().unwrap(), "2026-12-01");
    campaign.status = CampaignStatus::Won;
    let owner = build::member(&campaign, campaign.owner_id, TeamRole::Owner, &[TeamPermission::Edit]);
    CampaignRepo::new(&tenant).create(&campaign, &owner).await.unwrap();
    assert_eq!(
        o.seller.api.send("DELETE", &format!("/clients/{id}"), None, Some("*")).await.status,
        403,
        "sellers do not archive"
    );
    let refused = admin.send("DELETE", &format!("/clients/{id}"), None, Some("*")).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(admin.send("DELETE", &format!("/clients/{unassigned_id}"), None, None).await.status, 428);
    assert_eq!(admin.send("DELETE", &format!("/clients/{unassigned_id}"), None, Some("*")).await.status, 204);
    let active = admin.get("/clients").await;
    assert!(!active.body["items"].as_array().unwrap().iter().any(|c| c["id"] == unassigned_id.as_str()));
    let archived = admin.get("/clients?status=archived").await;
    assert_eq!(archived.body["items"][0]["id"], unassigned_id.as_str());

    // Client users read their own client only.
    let mine = o.client.api.get("/clients").await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine.body["items"][0]["id"], o.client_id.as_str());
    assert_eq!(o.client.api.get(&format!("/clients/{}", o.client_id)).await.status, 200);
    assert_eq!(o.client.api.get(&format!("/clients/{id}")).await.status, 404);
}
