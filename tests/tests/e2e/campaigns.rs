//! Campaigns end to end: create, read, merge updates, delete and archive; every transition allowed
//! and refused; the team's permissions; the client view; the daily job; paging through 1,000.

use chrono::{Duration, Utc};
use podcastflow_campaign_job::{CampaignJob, run};
use podcastflow_domain::campaign::team::{TeamPermission, TeamRole};
use podcastflow_domain::campaign::transitions::edge_between;
use podcastflow_domain::campaign::{Campaign, CampaignStatus};
use podcastflow_domain::{ClientId, OrgId, UserId};
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::{Table, TenantTable};
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use serde_json::{Value, json};

use crate::repositories::build;

fn tenant(s: &TestStack, org: &str) -> TenantTable {
    let org: OrgId = org.parse().expect("an org id");
    TenantTable::new(std::sync::Arc::new(s.stack.table.clone()), org, s.stack.services.ctx.cursors.as_ref().clone())
}

/// A campaign of `o` written straight to the store in `status`, owned by its seller, for its client,
/// running from ten days ago until yesterday (so every date guard holds).
pub(crate) async fn stored(s: &TestStack, o: &TestOrg, status: CampaignStatus) -> Campaign {
    dated(s, o, status, -10, -1).await
}

/// A campaign as [`stored`] writes it, running from `start` to `end` days from today.
async fn dated(s: &TestStack, o: &TestOrg, status: CampaignStatus, start: i64, end: i64) -> Campaign {
    let t = tenant(s, &o.id);
    let client: ClientId = o.client_id.parse().unwrap();
    let owner: UserId = o.seller.id.parse().unwrap();
    let today = Utc::now().date_naive();
    let mut c = build::campaign(*t.org(), client, owner, &(today + Duration::days(start)).to_string());
    c.end_date = Some(today + Duration::days(end));
    c.status = status;
    c.probability = status.probability();
    let m = build::member(&c, owner, TeamRole::Owner, &TeamPermission::ALL);
    CampaignRepo::new(&t).create(&c, &m).await.expect("store a campaign");
    c
}

fn ids(page: &Value) -> Vec<String> {
    let items = page["items"].as_array().unwrap_or_else(|| panic!("a page: {page}"));
    items.iter().map(|c| c["id"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_are_created_read_updated_deleted_and_archived() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let admin = &o.admin.api;
    let client = o.client_id.clone();

    // Validation: field errors, unknown fields, links to what exists.
    let bad = admin.post("/campaigns", json!({"name": "", "startDate": "2026-05-01", "endDate": "2026-04-01"})).await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"name") && fields.contains(&"endDate"), "{fields:?}");
    assert_eq!(admin.post("/campaigns", json!({"name": "X", "status": "won"})).await.status, 400, "status is not set");
    let unknown = admin.post("/campaigns", json!({"name": "X", "clientId": ClientId::new().to_string()})).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.body["errors"][0]["field"], "clientId");

    // Sellers create for their assigned clients only, and own what they create.
    assert_eq!(o.seller.api.post("/campaigns", json!({"name": "X", "clientId": client})).await.status, 403);
    let etag = admin.get(&format!("/clients/{client}")).await.etag();
    let assign = json!({"assignedSellerIds": [o.seller.id]});
    assert_eq!(admin.send("PUT", &format!("/clients/{client}"), Some(assign), Some(&etag)).await.status, 200);
    let body = json!({"name": "Spring push", "clientId": client, "startDate": "2027-03-01", "endDate": "2027-03-31",
        "budget": {"amount": 1_000_000, "currency": "USD"}, "internalNotes": "margin 40%",
        "targeting": {"positions": ["pre", "mid"]}});
    let created = o.seller.api.with_header("idempotency-key", "c-1").post("/campaigns", body.clone()).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.etag(), "\"v1\"");
    assert_eq!((created.body["status"].as_str(), created.body["probability"].as_u64()), (Some("draft"), Some(10)));
    assert_eq!(created.body["ownerId"], o.seller.id.as_str());
    assert_eq!(created.body["team"][0]["role"], "owner");
    let replay = o.seller.api.with_header("idempotency-key", "c-1").post("/campaigns", body).await;
    assert_eq!(replay.body["id"], created.body["id"], "the same key answers the first result");
    let id = created.body["id"].as_str().unwrap().to_owned();
    // The stored item names the request that wrote it, for the change stream's audit trail.
    let key = Campaign::key_of(&o.id.parse().unwrap(), &id.parse().unwrap());
    let stored_item = s.stack.table.get(&key).await.unwrap().expect("the campaign item");
    assert_eq!(stored_item["requestId"], created.headers["x-request-id"].to_str().unwrap());
    assert_eq!(stored_item["updatedBy"], o.seller.id.as_str());

    // Read: the seller and admins in full; the client user in the client view; others 404.
    let got = admin.get(&format!("/campaigns/{id}")).await;
    assert_eq!((got.status.as_u16(), got.body["internalNotes"].as_str()), (200, Some("margin 40%")));
    let view = o.client.api.get(&format!("/campaigns/{id}")).await;
    assert_eq!(view.status, 200);
    assert!(view.body.get("internalNotes").is_none() && view.body.get("probability").is_none());
    assert!(view.body["team"][0].get("permissions").is_none());
    for api in [&o.producer.api, &o.talent.api, &other.admin.api] {
        assert_eq!(api.get(&format!("/campaigns/{id}")).await.status, 404);
    }
    assert_eq!(admin.get(&format!("/campaigns/{}", ulid::Ulid::new())).await.status, 404);
    assert_eq!(admin.get("/campaigns/not-an-id").await.status, 404);

    // Merge update: If-Match required and checked; the status never changes here.
    let path = format!("/campaigns/{id}");
    assert_eq!(admin.send("PUT", &path, Some(json!({"name": "Y"})), None).await.status, 428);
    assert_eq!(admin.send("PUT", &path, Some(json!({"status": "won"})), Some("*")).await.status, 400);
    let updated =
        admin.send("PUT", &path, Some(json!({"internalNotes": null, "name": "Spring push 2"})), Some("\"v1\"")).await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert!(updated.body.get("internalNotes").is_none());
    assert_eq!(updated.body["budget"]["amount"], 1_000_000, "untouched fields stay");
    assert_eq!(updated.body["updatedBy"], o.admin.id.as_str());
    assert_eq!(admin.send("PUT", &path, Some(json!({"name": "Z"})), Some("\"v1\"")).await.status, 412);
    let stale = admin.send("PUT", &path, Some(json!({"name": "Z"})), Some("\"v1\"")).await;
    assert_eq!(stale.body["currentVersion"], 2);
    let bad_dates = admin.send("PUT", &path, Some(json!({"endDate": "2027-01-01"})), Some("*")).await;
    assert_eq!(bad_dates.status, 400);

    // Past draft, the fields it needed stay required; closed campaigns are read-only.
    let moved = admin.post(&format!("{path}/transitions"), json!({"to": "proposal"})).await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    let cleared = admin.send("PUT", &path, Some(json!({"budget": null})), Some("*")).await;
    assert_eq!(cleared.status, 400);
    assert_eq!(cleared.body["errors"][0]["field"], "budget");

    // Lists: the admin and seller see it; filters narrow; the client user sees the client view.
    let all = admin.get("/campaigns").await;
    assert_eq!(ids(&all.body), vec![id.clone()]);
    assert!(ids(&admin.get("/campaigns?status=draft").await.body).is_empty());
    assert_eq!(ids(&admin.get("/campaigns?status=proposal").await.body), vec![id.clone()]);
    assert_eq!(ids(&admin.get("/campaigns?from=2027-03-01&to=2027-03-01").await.body), vec![id.clone()]);
    assert!(ids(&admin.get("/campaigns?from=2027-03-02").await.body).is_empty());
    assert_eq!(ids(&admin.get("/campaigns?sort=updated").await.body), vec![id.clone()]);
    assert_eq!(ids(&admin.get(&format!("/campaigns?ownerId={}", o.seller.id)).await.body), vec![id.clone()]);
    assert_eq!(ids(&o.seller.api.get("/campaigns").await.body), vec![id.clone()]);
    let client_list = o.client.api.get("/campaigns").await;
    assert_eq!(ids(&client_list.body), vec![id.clone()]);
    assert!(client_list.body["items"][0].get("internalNotes").is_none());
    assert!(ids(&o.talent.api.get("/campaigns").await.body).is_empty());
    assert!(ids(&other.admin.api.get("/campaigns").await.body).is_empty());
    for bad in ["status=sold", "from=yesterday", "from=2027-02-01&to=2027-01-01", "sort=name", "limit=0"] {
        assert_eq!(admin.get(&format!("/campaigns?{bad}")).await.status, 400, "{bad}");
    }
    assert_eq!(admin.get("/campaigns?cursor=garbage").await.status, 400);
    assert_eq!(o.seller.api.get("/campaigns?cursor=!!").await.status, 400);

    // DELETE archives a campaign whose sale is over (hidden unless asked for) and deletes a draft;
    // one still in play stays, or nothing would ever move it again.
    assert_eq!(admin.send("DELETE", &path, None, None).await.status, 428);
    let in_play = admin.send("DELETE", &path, None, Some("*")).await;
    assert_eq!(
        (in_play.status.as_u16(), in_play.body["type"].as_str()),
        (409, Some("https://podcastflow.dev/problems/campaign-in-play"))
    );
    let lost = admin.post(&format!("{path}/transitions"), json!({"to": "lost", "reason": "went elsewhere"})).await;
    assert_eq!(lost.status, 200, "{:?}", lost.body);
    assert_eq!(admin.send("DELETE", &path, None, Some("*")).await.status, 204);
    assert_eq!(admin.get(&path).await.body["archived"], true);
    assert!(ids(&admin.get("/campaigns").await.body).is_empty());
    assert_eq!(ids(&admin.get("/campaigns?archived=true").await.body), vec![id.clone()]);
    let archived_move = admin.post(&format!("{path}/transitions"), json!({"to": "proposal"})).await;
    assert_eq!(archived_move.status, 409);
    let draft = admin.post("/campaigns", json!({"name": "Scratch"})).await;
    let draft_path = format!("/campaigns/{}", draft.body["id"].as_str().unwrap());
    assert_eq!(admin.send("DELETE", &draft_path, None, Some("\"v1\"")).await.status, 204);
    assert_eq!(admin.get(&draft_path).await.status, 404);
    assert_eq!(admin.send("DELETE", &draft_path, None, Some("*")).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transition_is_allowed_or_refused_with_its_reason_and_recorded() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let admin = &o.admin.api;

    // Every pair of statuses, as an admin with a reason and every guard satisfied: exactly the
    // edges of the state machine pass.
    for from in CampaignStatus::ALL {
        for to in CampaignStatus::ALL {
            let c = stored(&s, &o, from).await;
            let got = admin.post(&format!("/campaigns/{}/transitions", c.id), json!({"to": to, "reason": "why"})).await;
            if edge_between(from, to).is_some() {
                assert_eq!(got.status, 200, "{from} -> {to}: {:?}", got.body);
                assert_eq!(got.body["status"], to.as_str());
                assert_eq!(got.body["probability"], to.probability());
            } else {
                assert_eq!(got.status, 409, "{from} -> {to}");
                assert_eq!(got.headers["content-type"], "application/problem+json");
                assert!(got.body["detail"].as_str().unwrap().contains("next statuses"), "{:?}", got.body);
            }
        }
    }

    // Admin-only edges refuse the owning seller, with the reason.
    let pending = stored(&s, &o, CampaignStatus::PendingApproval).await;
    let path = format!("/campaigns/{}/transitions", pending.id);
    let refused = o.seller.api.post(&path, json!({"to": "won"})).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body["detail"].as_str().unwrap().contains("only an admin"), "{:?}", refused.body);
    assert_eq!(o.seller.api.post(&path, json!({"to": "negotiation"})).await.status, 403, "reject is admin only");
    let won = stored(&s, &o, CampaignStatus::Won).await;
    let cancel = o
        .seller
        .api
        .post(&format!("/campaigns/{}/transitions", won.id), json!({"to": "cancelled", "reason": "x"}))
        .await;
    assert_eq!(cancel.status, 403);

    // Guards: leaving draft needs client, dates and budget; lost needs a reason; dates gate live and completed.
    let empty = admin.post("/campaigns", json!({"name": "Bare"})).await;
    let bare = format!("/campaigns/{}/transitions", empty.body["id"].as_str().unwrap());
    let not_ready = admin.post(&bare, json!({"to": "proposal"})).await;
    assert_eq!(not_ready.status, 422);
    let missing: Vec<&str> =
        not_ready.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(missing, ["clientId", "startDate", "endDate", "budget"]);
    let no_reason = admin.post(&bare, json!({"to": "lost"})).await;
    assert_eq!((no_reason.status.as_u16(), no_reason.body["errors"][0]["field"].as_str()), (422, Some("reason")));
    assert_eq!(admin.post(&bare, json!({"to": "lost", "reason": "  "})).await.status, 422);
    assert_eq!(admin.post(&bare, json!({"to": "flying"})).await.status, 400);
    assert_eq!(admin.post(&bare, json!({"to": "lost", "reason": "x", "extra": 1})).await.status, 400);
    assert_eq!(admin.post(&bare, json!({"to": "lost", "reason": "x".repeat(1001)})).await.status, 400);
    let future = dated(&s, &o, CampaignStatus::Won, 1, 5).await;
    let early = admin.post(&format!("/campaigns/{}/transitions", future.id), json!({"to": "live"})).await;
    assert_eq!(early.status, 409);
    assert!(early.body["detail"].as_str().unwrap().contains("cannot go live before"), "{:?}", early.body);
    let still = dated(&s, &o, CampaignStatus::Live, -3, 0).await;
    let unfinished = admin.post(&format!("/campaigns/{}/transitions", still.id), json!({"to": "completed"})).await;
    assert_eq!(unfinished.status, 409);

    // A stale If-Match is 412; the history records who, when, from, to and why, oldest first.
    let c = stored(&s, &o, CampaignStatus::Proposal).await;
    let tpath = format!("/campaigns/{}/transitions", c.id);
    assert_eq!(admin.send("POST", &tpath, Some(json!({"to": "negotiation"})), Some("\"v9\"")).await.status, 412);
    assert_eq!(admin.send("POST", &tpath, Some(json!({"to": "negotiation"})), Some("\"v1\"")).await.status, 200);
    assert_eq!(o.seller.api.post(&tpath, json!({"to": "lost", "reason": "budget cut"})).await.status, 200);
    let history = admin.get(&format!("/campaigns/{}/history", c.id)).await;
    let entries = history.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[0]["from"].as_str(), entries[0]["to"].as_str()), (Some("proposal"), Some("negotiation")));
    assert_eq!(entries[0]["by"], o.admin.id.as_str());
    assert_eq!((entries[1]["to"].as_str(), entries[1]["reason"].as_str()), (Some("lost"), Some("budget cut")));
    let seen_by_client = o.client.api.get(&format!("/campaigns/{}/history", c.id)).await;
    assert_eq!(seen_by_client.status, 200);
    assert!(seen_by_client.body["items"][1].get("reason").is_none(), "why stays inside the organization");
    let closed = admin.send("PUT", &format!("/campaigns/{}", c.id), Some(json!({"name": "again"})), Some("*")).await;
    assert_eq!(closed.status, 409, "a lost campaign is read-only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_members_act_within_their_permissions() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let c = stored(&s, &o, CampaignStatus::Draft).await;
    let path = format!("/campaigns/{}", c.id);
    let team = format!("{path}/team");
    let owner = &o.seller.api;

    // The owner builds the team; roles must fit the users; client contacts only view.
    let bad_role = owner.post(&team, json!({"userId": o.talent.id, "role": "producer"})).await;
    assert_eq!((bad_role.status.as_u16(), bad_role.body["errors"][0]["field"].as_str()), (400, Some("role")));
    assert_eq!(owner.post(&team, json!({"userId": o.talent.id, "role": "owner"})).await.status, 400);
    assert_eq!(owner.post(&team, json!({"userId": UserId::new().to_string(), "role": "talent"})).await.status, 400);
    let contact =
        owner.post(&team, json!({"userId": o.client.id, "role": "clientContact", "permissions": ["edit"]})).await;
    assert_eq!(contact.status, 400);
    let editor =
        owner.post(&team, json!({"userId": o.producer.id, "role": "producer", "permissions": ["view", "edit"]})).await;
    assert_eq!(editor.status, 201, "{:?}", editor.body);
    assert_eq!(editor.headers["location"], format!("{team}/{}", o.producer.id).as_str());
    let viewer = owner.post(&team, json!({"userId": o.talent.id, "role": "talent"})).await;
    assert_eq!((viewer.status.as_u16(), viewer.body["permissions"].clone()), (201, json!(["view"])));
    assert_eq!(owner.post(&team, json!({"userId": o.talent.id, "role": "talent"})).await.status, 409);

    // An editor edits; a viewer reads without the budget and cannot edit.
    let edited = o.producer.api.send("PUT", &path, Some(json!({"name": "Edited by the producer"})), Some("*")).await;
    assert_eq!(edited.status, 200, "{:?}", edited.body);
    assert!(edited.body.get("budget").is_none(), "no viewFinancials, no budget");
    let money =
        o.producer.api.send("PUT", &path, Some(json!({"budget": {"amount": 1, "currency": "USD"}})), Some("*")).await;
    assert_eq!(money.status, 403);
    let read = o.talent.api.get(&path).await;
    assert_eq!(read.status, 200);
    assert!(read.body.get("budget").is_none());
    assert_eq!(o.talent.api.send("PUT", &path, Some(json!({"name": "Nope"})), Some("*")).await.status, 403);
    assert_eq!(o.talent.api.post(&team, json!({"userId": o.talent.id, "role": "talent"})).await.status, 403);
    assert_eq!(ids(&o.talent.api.get("/campaigns").await.body), vec![c.id.to_string()]);

    // Permissions change with If-Match; the owner stays; removal takes access away.
    let member = format!("{team}/{}", o.talent.id);
    assert_eq!(
        owner.send("PUT", &member, Some(json!({"permissions": ["view", "viewFinancials"]})), None).await.status,
        428
    );
    let granted =
        owner.send("PUT", &member, Some(json!({"permissions": ["view", "viewFinancials"]})), Some("\"v1\"")).await;
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert!(o.talent.api.get(&path).await.body.get("budget").is_some(), "viewFinancials shows the budget");
    assert_eq!(owner.send("PUT", &member, Some(json!({"role": "seller"})), Some("*")).await.status, 400);
    let own = format!("{team}/{}", o.seller.id);
    assert_eq!(o.admin.api.send("DELETE", &own, None, Some("*")).await.status, 409, "the owner stays");
    assert_eq!(owner.send("PUT", &own, Some(json!({"permissions": []})), Some("*")).await.status, 409);
    assert_eq!(owner.send("DELETE", &member, None, Some("\"v1\"")).await.status, 412);
    assert_eq!(owner.send("DELETE", &member, None, Some("\"v2\"")).await.status, 204);
    assert_eq!(o.talent.api.get(&path).await.status, 404);
    assert_eq!(owner.send("DELETE", &member, None, Some("*")).await.status, 404);
    let full = o.admin.api.get(&path).await;
    let members: Vec<&str> = full.body["team"].as_array().unwrap().iter().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(members, ["owner", "producer"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_job_starts_and_completes_campaigns_once() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let started = dated(&s, &o, CampaignStatus::Won, 0, 5).await;
    let ended = stored(&s, &o, CampaignStatus::Live).await;
    let untouched = stored(&s, &o, CampaignStatus::Negotiation).await;
    let job = CampaignJob { ctx: s.stack.services.ctx.clone() };
    // The organization's calendar decides "today"; at noon UTC it is the same date in its zone.
    let today = Utc::now().date_naive();
    let noon = |d: chrono::NaiveDate| d.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let first = run(&job, noon(today), "job-1").await.unwrap();
    assert_eq!((first.started, first.completed), (1, 1), "{first:?}");
    assert!(first.organizations >= 1);
    let again = run(&job, noon(today), "job-1").await.unwrap();
    assert_eq!((again.started, again.completed, again.skipped), (0, 0, 0), "idempotent");
    let admin = &o.admin.api;
    assert_eq!(admin.get(&format!("/campaigns/{}", started.id)).await.body["status"], "live");
    assert_eq!(admin.get(&format!("/campaigns/{}", ended.id)).await.body["status"], "completed");
    assert_eq!(admin.get(&format!("/campaigns/{}", untouched.id)).await.body["status"], "negotiation");
    let history = admin.get(&format!("/campaigns/{}/history", started.id)).await;
    assert_eq!(history.body["items"][0]["to"], "live");
    assert!(history.body["items"][0].get("by").is_none(), "moved by the system");
    // Once its last day has passed, the campaign that went live completes.
    assert_eq!(run(&job, noon(today + Duration::days(5)), "job-2").await.unwrap().completed, 0, "its last day");
    assert_eq!(run(&job, noon(today + Duration::days(6)), "job-3").await.unwrap().completed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_job_decides_today_by_the_organization_s_time_zone() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let current = o.admin.api.get("/organization").await;
    let mut settings = current.body["settings"].clone();
    settings["timezone"] = json!("America/Los_Angeles");
    let set =
        o.admin.api.send("PUT", "/organization", Some(json!({"settings": settings})), Some(&current.etag())).await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    // Starts tomorrow (UTC calendar); at 03:00 UTC tomorrow it is still today in Los Angeles.
    let starts = dated(&s, &o, CampaignStatus::Won, 1, 9).await;
    let job = CampaignJob { ctx: s.stack.services.ctx.clone() };
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    let at = |h: u32| tomorrow.and_hms_opt(h, 0, 0).unwrap().and_utc();
    run(&job, at(3), "tz-1").await.unwrap();
    let path = format!("/campaigns/{}", starts.id);
    assert_eq!(o.admin.api.get(&path).await.body["status"], "won", "not yet its start date in Los Angeles");
    run(&job, at(9), "tz-2").await.unwrap();
    assert_eq!(o.admin.api.get(&path).await.body["status"], "live", "01:00 on its start date there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_live_by_hand_takes_today_in_the_organization_s_time_zone() {
    let s = TestStack::with_authorizer_ttl(1).await;
    let o = org::create(&s, &s.master().await).await;
    // At any instant one of these zones is on another date than UTC: ahead (UTC+14) from 10:00
    // UTC, behind (UTC-11) until 11:00 UTC.
    let now = Utc::now();
    let utc = now.date_naive();
    let zone_date = |tz: &str| now.with_timezone(&tz.parse::<chrono_tz::Tz>().unwrap()).date_naive();
    let (tz, local) = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]
        .into_iter()
        .map(|tz| (tz, zone_date(tz)))
        .find(|(_, d)| *d != utc)
        .expect("a zone on another date");
    let current = o.admin.api.get("/organization").await;
    let mut settings = current.body["settings"].clone();
    settings["timezone"] = json!(tz);
    let set =
        o.admin.api.send("PUT", "/organization", Some(json!({"settings": settings})), Some(&current.etag())).await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await; // the authorizer's cache
    // Starting on the organization's today: it goes live there, whatever the date in UTC; one
    // starting a day later there does not.
    let offset = (local - utc).num_days();
    let today = dated(&s, &o, CampaignStatus::Won, offset, offset + 5).await;
    let tomorrow = dated(&s, &o, CampaignStatus::Won, offset + 1, offset + 5).await;
    let live = json!({"to": "live"});
    let went = o.admin.api.post(&format!("/campaigns/{}/transitions", today.id), live.clone()).await;
    assert_eq!(went.status, 200, "{tz}: {:?}", went.body);
    let early = o.admin.api.post(&format!("/campaigns/{}/transitions", tomorrow.id), live).await;
    assert!(early.status.is_client_error(), "{tz}: not yet its start date there: {:?}", early.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_campaigns_page_through_exactly_once() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let t = tenant(&s, &o.id);
    let client: ClientId = o.client_id.parse().unwrap();
    let owner: UserId = o.seller.id.parse().unwrap();
    let repo = CampaignRepo::new(&t);
    let mut want = std::collections::BTreeSet::new();
    for i in 0..1000 {
        let start = (chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + Duration::days(i % 365)).to_string();
        let c = build::campaign(*t.org(), client, owner, &start);
        repo.create(&c, &build::member(&c, owner, TeamRole::Owner, &TeamPermission::ALL)).await.unwrap();
        want.insert(c.id.to_string());
    }
    for (who, api, query) in [
        ("admin", &o.admin.api, "limit=100"),
        ("admin by update", &o.admin.api, "limit=100&sort=updated"),
        ("admin descending", &o.admin.api, "limit=100&order=desc"),
        ("owning seller", &o.seller.api, "limit=100"),
        ("client user", &o.client.api, "limit=100"),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/campaigns?{query}&cursor={c}"),
                None => format!("/campaigns?{query}"),
            };
            let page = api.get(&path).await;
            assert_eq!(page.status, 200, "{who}: {:?}", page.body);
            seen.extend(ids(&page.body));
            pages += 1;
            match page.body["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 1000, "{who}: each exactly once");
        assert_eq!(seen.iter().cloned().collect::<std::collections::BTreeSet<_>>(), want, "{who}");
        assert!((10..=11).contains(&pages), "{who}: {pages} pages");
    }
}
