//! Store calls per request: every list and get costs a bounded number of calls to the table,
//! whatever the amount of data (counted by a wrapper around the embedded adapter).

use std::sync::Arc;

use lambda_http::Request;
use podcastflow_campaigns::CampaignsApp;
use podcastflow_clients::{ClientsApp, handle};
use podcastflow_domain::campaign::team::{TeamPermission, TeamRole};
use podcastflow_domain::{OrgId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_platform::testing::TestRequest;
use podcastflow_store::TenantTable;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_tests::counting::CountingTable;
use serde_json::json;

use podcastflow_tests::org_costs::request;

use crate::repositories::build;

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
/// admin get, owning seller's get, history) calls with `n` campaigns of one seller in the organization.
async fn campaign_calls_with(n: usize) -> [usize; 8] {
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
    let mut out = [0; 8];
    let get = format!("/campaigns/{}", ids[n / 2]);
    let cases = [
        request("/campaigns?limit=25", admin, org, "admin", None),
        request("/campaigns?limit=25&status=draft", admin, org, "admin", None),
        request("/campaigns?limit=25&sort=updated", admin, org, "admin", None),
        request("/campaigns?limit=25", UserId::new(), org, "client", Some(client.id)),
        request("/campaigns?limit=25", other_seller, org, "seller", None),
        request(&get, admin, org, "admin", None),
        request(&get, seller, org, "seller", None),
        request(&format!("{get}/history"), admin, org, "admin", None),
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
    // Indexed lists: one Query. A seller's list: a page of their reader entries (one Query), the
    // page's campaigns with their memberships (one batch read; a campaign reached only through its
    // client would add one batch read of the page's clients). Get: the record with its team (one
    // Query of the collection), plus the client's sellers for a seller; history: the get and one
    // Query.
    assert_eq!(large, [1, 1, 1, 1, 2, 1, 2, 2]);
}

/// Calls of (shows: admin list, talent list, admin get; episodes: admin list, list by show, talent
/// list, admin get; talent: availability, schedule) with `n` shows and `n` episodes in the
/// organization, the talent hosting one other show with two episodes.
async fn show_calls_with(n: usize) -> [usize; 9] {
    let dir = tempfile::tempdir().unwrap();
    let counting = Arc::new(CountingTable::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap())));
    let ctx = AppContext::new(counting.clone(), b"cost test".to_vec());
    let (org, admin) = (OrgId::new(), UserId::new());
    let tenant = TenantTable::new(counting.clone(), org, ctx.cursors.as_ref().clone());
    let users = podcastflow_store::repo::users::UserRepo::new(counting.as_ref(), &ctx.cursors);
    let host = build::user(org, &format!("host-{}@example.com", ulid::Ulid::new()), podcastflow_domain::Role::Talent);
    users.create(&host).await.unwrap();
    let shows = ShowRepo::new(&tenant);
    let episodes = EpisodeRepo::new(&tenant);
    let mut busy = build::show(org, "Busy", vec![], vec![]);
    for i in 0..n {
        let s = build::show(org, &format!("Show {i:03}"), vec![], vec![]);
        shows.create(&s).await.unwrap();
        if i == 0 {
            busy = s;
        }
    }
    for i in 0..n {
        episodes.create(&build::episode(&busy, &format!("E{i}"), Some("2027-01-01"), vec![])).await.unwrap();
    }
    let hosted = build::show(org, "Hosted", vec![], vec![host.id]);
    shows.create(&hosted).await.unwrap();
    let mut first = None;
    for title in ["H1", "H2"] {
        let e = build::episode(&hosted, title, Some("2099-01-01"), vec![host.id]);
        episodes.create(&e).await.unwrap();
        first.get_or_insert(e.id);
    }
    let talent = |path: &str| request(path, host.id, org, "talent", None);
    let cases: [(&str, Request); 9] = [
        ("shows", request("/shows?limit=25", admin, org, "admin", None)),
        ("shows", talent("/shows")),
        ("shows", request(&format!("/shows/{}", busy.id), admin, org, "admin", None)),
        ("episodes", request("/episodes?limit=25", admin, org, "admin", None)),
        ("episodes", request(&format!("/episodes?showId={}", busy.id), admin, org, "admin", None)),
        ("episodes", talent("/episodes")),
        ("episodes", request(&format!("/episodes/{}", first.unwrap()), admin, org, "admin", None)),
        ("talent", talent(&format!("/talent/{}/availability", host.id))),
        ("talent", talent(&format!("/talent/{}/schedule?from=2098-01-01", host.id))),
    ];
    let shows_app = podcastflow_shows::ShowsApp { ctx: ctx.clone() };
    let episodes_app = podcastflow_episodes::EpisodesApp { ctx: ctx.clone() };
    let talent_app = podcastflow_talent::TalentApp { ctx: ctx.clone() };
    let mut out = [0; 9];
    for (slot, (function, req)) in out.iter_mut().zip(cases) {
        counting.take();
        let r = match function {
            "shows" => podcastflow_shows::handle(&shows_app, req).await,
            "episodes" => podcastflow_episodes::handle(&episodes_app, req).await,
            _ => podcastflow_talent::handle(&talent_app, req).await,
        }
        .unwrap();
        assert_eq!(r.status(), 200, "{function}: {:?}", r.body());
        *slot = counting.take();
    }
    out
}

#[tokio::test]
async fn show_episode_and_talent_reads_cost_the_same_few_calls_at_any_size() {
    let small = show_calls_with(3).await;
    let large = show_calls_with(150).await;
    assert_eq!(small, large, "calls must not grow with the organization's shows and episodes");
    // Shows: one Query (talent: their assignments and one batch read); get: one read. Episodes:
    // a Query and one batch read of the page's shows (talent: a page of their reader entries, one
    // batch read of those episodes, one of their shows); get: the episode and its show. Talent:
    // one Query for the availability set and the talent's user record; the schedule adds one
    // batch read of shows.
    assert_eq!(large, [1, 2, 1, 2, 2, 3, 2, 2, 3]);
}

/// Calls of (activities: admin timeline, a campaign's log as its owner, by actor; notifications:
/// list, unread count) with `n` activities and `n` notifications in the organization.
async fn log_calls_with(n: usize) -> [usize; 5] {
    use podcastflow_domain::activity::Activity;
    use podcastflow_domain::notification::{EntityRef, Notification, Priority};
    use podcastflow_store::repo::activities::ActivityRepo;
    use podcastflow_store::repo::notifications::NotificationRepo;

    let dir = tempfile::tempdir().unwrap();
    let counting = Arc::new(CountingTable::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap())));
    let ctx = AppContext::new(counting.clone(), b"cost test".to_vec());
    let (org, admin, seller) = (OrgId::new(), UserId::new(), UserId::new());
    let tenant = TenantTable::new(counting.clone(), org, ctx.cursors.as_ref().clone());
    let client = build::client(org, "Acme", vec![seller]);
    ClientRepo::new(&tenant).create(&client).await.unwrap();
    let c = build::campaign(org, client.id, seller, "2027-01-01");
    CampaignRepo::new(&tenant)
        .create(&c, &build::member(&c, seller, TeamRole::Owner, &TeamPermission::ALL))
        .await
        .unwrap();
    let entity = EntityRef { kind: podcastflow_domain::visibility::EntityKind::Campaign, id: c.id.to_string() };
    for i in 0..n {
        let at = chrono::Utc::now();
        let a = Activity {
            id: podcastflow_domain::ActivityId::new(),
            org_id: org,
            actor_id: Some(seller),
            action: format!("campaign.updated.{i}"),
            entity: entity.clone(),
            changes: Default::default(),
            request_id: None,
            at,
            expires_at: Activity::expiry(at),
        };
        ActivityRepo::new(&tenant).record(&a).await.unwrap();
        let note = Notification {
            id: podcastflow_domain::NotificationId::new(),
            org_id: org,
            user_id: seller,
            kind: "campaign.approved".into(),
            title: "t".into(),
            body: "b".into(),
            priority: Priority::Normal,
            entity: None,
            read_at: None,
            created_at: at,
            expires_at: Notification::expiry(at),
            version: 1,
        };
        NotificationRepo::new(&tenant).create(&note).await.unwrap();
    }
    let cases = [
        ("activities", request("/activities?limit=25", admin, org, "admin", None)),
        (
            "activities",
            request(
                &format!("/activities?entityType=campaign&entityId={}&limit=25", c.id),
                seller,
                org,
                "seller",
                None,
            ),
        ),
        ("activities", request(&format!("/activities?actorId={seller}&limit=25"), seller, org, "seller", None)),
        ("notifications", request("/notifications?limit=25", seller, org, "seller", None)),
        ("notifications", request("/notifications/unread-count", seller, org, "seller", None)),
    ];
    let activities = podcastflow_activities::ActivitiesApp { ctx: ctx.clone() };
    let notifications = podcastflow_notifications::NotificationsApp { ctx: ctx.clone() };
    let mut out = [0; 5];
    for (slot, (function, req)) in out.iter_mut().zip(cases) {
        counting.take();
        let r = match function {
            "activities" => podcastflow_activities::handle(&activities, req).await,
            _ => podcastflow_notifications::handle(&notifications, req).await,
        }
        .unwrap();
        assert_eq!(r.status(), 200, "{function}: {:?}", r.body());
        *slot = counting.take();
    }
    out
}

#[tokio::test]
async fn activity_and_notification_reads_cost_a_few_calls() {
    let small = log_calls_with(3).await;
    let large = log_calls_with(150).await;
    // Lists: one Query. A non-admin reads an entity's log through their view of it: its record
    // with its team and its client's sellers. Their own log: their view of the page's entities
    // together, the records with the reader's memberships in one batch read (a campaign they own
    // needs no more). The unread count reads the unread index: one Query per 1,000.
    assert_eq!(small, large, "calls must not grow with the log");
    assert_eq!(large, [1, 3, 2, 1, 1]);
}

/// The benchmark's representative routes (`benches/handlers.rs`) make exactly the documented
/// minimum of table calls, whatever the organization holds.
#[tokio::test]
async fn benchmarked_routes_make_the_documented_minimum_of_calls() {
    use podcastflow_tests::workload::{Route, Workload};
    for n in [1, 60] {
        let w = Workload::new(n).await;
        for route in Route::ALL {
            // Twice: the transition goes both ways, and a second login finds the throttle cleared.
            for _ in 0..2 {
                let served = w.serve(route).await;
                assert_eq!(served.status, 200, "{}", route.name());
                assert_eq!(
                    (served.calls.calls, served.calls.retries),
                    (route.minimum_calls(), 0),
                    "{} with {n} campaigns",
                    route.name()
                );
            }
        }
    }
}

/// (avails of one show over 13 weeks, a hold committed by plan over the same weeks, an order of
/// the hold's spots, its booking) calls with `n` weekly episodes, each with a spot held by an
/// advertiser of its own.
async fn inventory_calls_with(n: usize) -> [usize; 4] {
    use chrono::{Duration, Utc};
    use podcastflow_domain::episode::EpisodeStatus;
    use podcastflow_domain::inventory::hold::{HeldSpot, Hold, HoldStatus, expiry};
    use podcastflow_domain::inventory::spot::{SpotPrice, SpotRef};
    use podcastflow_domain::show::Slots;
    use podcastflow_store::repo::inventory::InventoryRepo;

    let dir = tempfile::tempdir().unwrap();
    let counting = Arc::new(CountingTable::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap())));
    let ctx = AppContext::new(counting.clone(), b"cost test".to_vec());
    let (org, admin) = (OrgId::new(), UserId::new());
    let tenant = TenantTable::new(counting.clone(), org, ctx.cursors.as_ref().clone());
    let mut show = build::show(org, "Weekly", vec![], vec![]);
    show.ad_config.slots = Some(Slots { pre: 1, mid: 2, post: 1 });
    show.ad_config.flat_spot_price = Some(podcastflow_domain::Money::new(10_000, podcastflow_domain::Currency::USD));
    ShowRepo::new(&tenant).create(&show).await.unwrap();
    let start = build::date("2027-03-01");
    for week in 0..n {
        let air = start + Duration::weeks(week as i64);
        let mut e = build::episode(&show, &format!("E{week}"), Some(&air.to_string()), vec![]);
        e.status = EpisodeStatus::Scheduled;
        EpisodeRepo::new(&tenant).create(&e).await.unwrap();
        let advertiser = build::client(org, &format!("Advertiser {week}"), vec![]);
        ClientRepo::new(&tenant).create(&advertiser).await.unwrap();
        let spot = SpotRef { episode_id: e.id, position: podcastflow_domain::campaign::Position::Pre, index: 0 };
        let hold = Hold {
            id: podcastflow_domain::HoldId::new(),
            org_id: org,
            campaign_id: podcastflow_domain::CampaignId::new(),
            advertiser_id: advertiser.id,
            spots: vec![HeldSpot { spot, show_id: show.id, air_date: air, price: SpotPrice::default() }],
            expires_at: expiry(Utc::now(), 48),
            extensions: 0,
            status: HoldStatus::Active,
            override_reason: None,
            separation: None,
            expiry_notice_for: None,
            makegood_for: None,
            stamp: build::stamp(),
        };
        InventoryRepo::new(&tenant).commit_hold(&hold, Utc::now()).await.unwrap();
    }
    let client = build::client(org, "Buyer", vec![]);
    ClientRepo::new(&tenant).create(&client).await.unwrap();
    let mut campaign = build::campaign(org, client.id, admin, "2027-03-01");
    campaign.status = podcastflow_domain::campaign::CampaignStatus::Won;
    let owner = build::member(&campaign, admin, TeamRole::Owner, &TeamPermission::ALL);
    CampaignRepo::new(&tenant).create(&campaign, &owner).await.unwrap();
    let app = podcastflow_inventory::InventoryApp { ctx: ctx.clone() };
    let to = start + Duration::weeks(13);
    let avails =
        request(&format!("/inventory?showIds={}&from={start}&to={to}&limit=100", show.id), admin, org, "admin", None);
    let auth = json!({"userId": admin.to_string(), "orgId": org.to_string(), "role": "admin", "principalType": "user"});
    let plan =
        json!({"plan": {"showIds": [show.id], "from": start, "to": to, "positions": ["mid"], "spotsPerEpisode": 1}});
    let hold = TestRequest::new("POST", &format!("/campaigns/{}/holds", campaign.id))
        .header("content-type", "application/json")
        .body(&plan.to_string())
        .authorizer(auth.clone())
        .build();
    let mut out = [0; 4];
    for (slot, (req, status)) in out.iter_mut().zip([(avails, 200), (hold, 201)]) {
        counting.take();
        let r = podcastflow_inventory::handle(&app, req).await.unwrap();
        assert_eq!(r.status(), status, "{:?}", r.body());
        *slot = counting.take();
    }
    let orders = podcastflow_orders::OrdersApp { ctx: ctx.clone() };
    let post = |path: &str, body: serde_json::Value| {
        TestRequest::new("POST", path)
            .header("content-type", "application/json")
            .body(&body.to_string())
            .authorizer(auth.clone())
            .build()
    };
    counting.take();
    let made = podcastflow_orders::handle(&orders, post("/orders", json!({"campaignId": campaign.id}))).await.unwrap();
    assert_eq!(made.status(), 201, "{:?}", made.body());
    out[2] = counting.take();
    let made: serde_json::Value = serde_json::from_slice(made.body()).unwrap();
    let id: podcastflow_domain::OrderId = made["id"].as_str().unwrap().parse().unwrap();
    let repo = podcastflow_store::repo::orders::OrderRepo::new(&tenant);
    let draft = repo.get(&id).await.unwrap().unwrap();
    let mut approved = draft.clone();
    approved.status = podcastflow_domain::order::OrderStatus::Approved;
    approved.stamp.version += 1;
    repo.replace(&approved, draft.stamp.version).await.unwrap();
    counting.take();
    let book = post(&format!("/orders/{id}/transitions"), json!({"to": "booked"}));
    let booked = podcastflow_orders::handle(&orders, book).await.unwrap();
    assert_eq!(booked.status(), 200, "{:?}", booked.body());
    out[3] = counting.take();
    out
}

#[tokio::test]
async fn avails_and_hold_commits_cost_the_same_few_calls_however_many_episodes_and_advertisers() {
    let (small, large) = (inventory_calls_with(1).await, inventory_calls_with(13).await);
    assert_eq!(small, large, "calls must not grow with the episodes or the advertisers in the range");
    // Avails: the show, its episodes, its taken spots. A commit by an admin: the campaign with its
    // team, its advertiser, the organization's settings, the show and its inventory (3), the
    // present advertisers in one batch, one transaction (an advertiser with a competitive
    // category adds one batch read of its category claims; a seller, one read of the client's
    // sellers). An order of the campaign's holds: the campaign with its team, its holds, the
    // number counter, one transaction. Its booking: the order, the campaign with its team, the
    // holds, the spots in one batch read (per 100 lines), one transaction (up to 99 writes), the
    // hold marked booked.
    assert_eq!(large, [3, 8, 4, 6]);
}

/// A generated organization's costs: every case of `podcastflow_tests::org_costs`, in order.
async fn generated_costs(
    size: podcastflow_tests::large_org::Size,
) -> Vec<(String, podcastflow_tests::org_costs::Cost)> {
    use podcastflow_tests::org_costs::{Apps, cases};
    let dir = tempfile::tempdir().unwrap();
    let counting = Arc::new(CountingTable::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap())));
    let org = podcastflow_tests::large_org::generate(counting.clone(), size, 28).await.unwrap();
    let apps = Apps::new(counting);
    let mut out = Vec::new();
    for case in cases(&org) {
        let (answer, cost) = apps.serve(&org, &case).await;
        assert_eq!(answer.status(), 200, "{} as {}: {:?}", case.route, case.role, answer.body());
        out.push((format!("{} as {}", case.route, case.role), cost));
    }
    out
}

/// Every list and read route, as each role that reads it, makes the same table calls on a
/// generated organization and on one ten to thirty times larger (more clients per seller, more
/// campaigns per client, more shows per producer, more episodes and log entries).
#[tokio::test]
async fn every_route_costs_the_same_calls_on_a_larger_organization() {
    use podcastflow_tests::large_org::Size;
    let small =
        Size { sellers: 2, producers: 1, talent: 2, clients: 4, campaigns: 16, shows: 2, episodes: 8, activities: 40 };
    let larger = Size {
        sellers: 2,
        producers: 1,
        talent: 2,
        clients: 40,
        campaigns: 480,
        shows: 6,
        episodes: 120,
        activities: 600,
    };
    let (small, larger) = (generated_costs(small).await, generated_costs(larger).await);
    for ((case, s), (_, l)) in small.iter().zip(&larger) {
        println!("{case}: {} calls, {} items -> {} calls, {} items", s.calls, s.items, l.calls, l.items);
    }
    for ((case, s), (_, l)) in small.iter().zip(&larger) {
        assert_eq!(s.calls, l.calls, "{case} grows with the organization");
    }
    let pinned: Vec<usize> = larger.iter().map(|(_, c)| c.calls).collect();
    // In the order of `org_costs::cases`. Campaigns: a list is one Query
    // (a seller's, producer's or talent's: a page of their reader entries, one batch read of those
    // campaigns with their memberships, and for a producer one of the page's shows); a get is the
    // record with its team (a seller adds the client's sellers); the history adds one Query.
    // Clients: one Query (a seller's: assignments, then one batch read); a get is one read. Shows:
    // one Query (talent: assignments and one batch read); a get, one read. Episodes: a Query and
    // one batch read of the page's shows (talent: reader entries, the episodes, their shows); a
    // get, the episode and its show. Activities: one Query (a seller reading a campaign's log adds
    // their view of it: the campaign with its team, the client's sellers; a seller reading their
    // own adds their view of the page's entities: their records with the seller's memberships in
    // one batch read, and what the policy needs of campaigns they are not on in one more; here
    // they own them all).
    assert_eq!(pinned, [1, 2, 3, 2, 1, 1, 2, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 2, 2, 3, 2, 2, 1, 1, 3, 2]);
}
