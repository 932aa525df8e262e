//! Notifications end to end: changes through the API notify the people the rules name (never the
//! one who made the change), and each user reads, counts and marks only their own.

use std::time::Duration;

use podcastflow_tests::client::Api;
use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

/// The caller's notifications once there are at least `n`.
async fn inbox(api: &Api, n: usize) -> Vec<Value> {
    until_async(Duration::from_secs(10), "notifications", || async {
        let page = api.get("/notifications").await;
        let items = page.body["items"].as_array().cloned().unwrap_or_default();
        (items.len() >= n).then_some(items)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignments_and_approvals_notify_the_right_people() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let admin = &o.admin.api;

    // Talent assigned to an episode hears about it.
    let show = admin
        .post(
            "/shows",
            json!({"name": "Notified", "releaseFrequency": "weekly", "talentIds": [o.talent.id],
            "producerIds": [o.producer.id]}),
        )
        .await;
    let show = show.body["id"].as_str().unwrap().to_owned();
    let ep = o
        .producer
        .api
        .post(
            "/episodes",
            json!({"showId": show, "title": "Pilot", "talentIds": [o.talent.id],
            "recordingDate": "2027-03-01"}),
        )
        .await;
    assert_eq!(ep.status, 201);
    let got = inbox(&o.talent.api, 1).await;
    assert_eq!(got[0]["type"], "episode.assigned");
    assert_eq!(got[0]["entity"], json!({"type": "episode", "id": ep.body["id"]}));
    assert!(got[0]["body"].as_str().unwrap().contains("2027-03-01"));

    // A campaign sent for approval tells the admins, not the seller who sent it; approval tells
    // the owner, not the approving admin.
    let second_admin = org::invite(&s, admin, "admin", json!({})).await;
    let c = o.seller.api.post("/campaigns", json!({"name": "Approve me"})).await;
    assert_eq!(c.status, 403, "the seller needs an assigned client");
    let c = admin
        .post(
            "/campaigns",
            json!({"name": "Approve me", "clientId": o.client_id, "ownerId": o.seller.id,
            "startDate": "2027-01-01", "endDate": "2027-01-31", "budget": {"amount": 100000, "currency": "USD"}}),
        )
        .await;
    let path = format!("/campaigns/{}/transitions", c.body["id"].as_str().unwrap());
    for to in ["proposal", "negotiation", "pending_approval"] {
        assert_eq!(o.seller.api.post(&path, json!({"to": to})).await.status, 200, "{to}");
    }
    for a in [admin, &second_admin.api] {
        let needs = inbox(a, 1).await;
        assert!(needs.iter().any(|n| n["type"] == "campaign.needs_approval" && n["priority"] == "high"), "{needs:?}");
    }
    assert_eq!(admin.post(&path, json!({"to": "won"})).await.status, 200);
    let approved = inbox(&o.seller.api, 1).await;
    assert!(approved.iter().any(|n| n["type"] == "campaign.approved"), "{approved:?}");
    assert!(!inbox(admin, 1).await.iter().any(|n| n["type"] == "campaign.approved"), "not the approver");
    // High priority: e-mailed to the owner, once; normal ones (the talent's assignment) are not.
    let mails = podcastflow_tests::wait::until(Duration::from_secs(10), "the approval e-mail", || {
        let all = s.stack.services.outbox.messages().ok()?;
        let to_seller: Vec<_> =
            all.into_iter().filter(|m| m.to == o.seller.email && m.subject.contains("approved")).collect();
        (!to_seller.is_empty()).then_some(to_seller)
    })
    .await;
    assert_eq!(mails.len(), 1);
    let outbox = s.stack.services.outbox.messages().unwrap();
    assert!(!outbox.iter().any(|m| m.to == o.talent.email && m.subject.contains("episode")), "normal: in-app only");

    // Reading: unread count, one read, batch read by ids and by time; only one's own.
    let count = |api: &Api| {
        let api = api.clone();
        async move { api.get("/notifications/unread-count").await.body["count"].as_u64().unwrap() }
    };
    let second = &second_admin.api;
    let mine = inbox(second, 1).await;
    assert_eq!(count(second).await, 1);
    let first_id = mine[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        o.talent.api.post(&format!("/notifications/{first_id}/read"), json!({})).await.status,
        404,
        "not theirs"
    );
    assert_eq!(second.post(&format!("/notifications/{first_id}/read"), json!({})).await.status, 200);
    assert_eq!(second.post(&format!("/notifications/{first_id}/read"), json!({})).await.status, 200, "idempotent");
    assert_eq!(count(second).await, 0);
    assert!(second.get("/notifications").await.body["items"][0]["readAt"].is_string());
    let unread = admin.get("/notifications?unread=true").await;
    let ids: Vec<Value> = unread.body["items"].as_array().unwrap().iter().map(|n| n["id"].clone()).collect();
    assert!(!ids.is_empty());
    let marked = admin.post("/notifications/batch-read", json!({"ids": ids})).await;
    assert_eq!(marked.body["marked"].as_u64(), Some(ids.len() as u64));
    assert_eq!(count(admin).await, 0);
    assert!(count(&o.seller.api).await > 0);
    let all = o.seller.api.post("/notifications/batch-read", json!({"before": "2999-01-01T00:00:00Z"})).await;
    assert!(all.body["marked"].as_u64().unwrap() > 0);
    assert_eq!(count(&o.seller.api).await, 0);
    assert_eq!(count(&o.talent.api).await, 1, "untouched by the others");
    for bad in
        [json!({}), json!({"ids": []}), json!({"ids": ["x"]}), json!({"ids": [], "before": "2020-01-01T00:00:00Z"})]
    {
        assert_eq!(admin.post("/notifications/batch-read", bad.clone()).await.status, 400, "{bad}");
    }
    assert_eq!(admin.get("/notifications?unread=maybe").await.status, 400);

    // Preferences are the same as the profile's.
    let prefs = o.talent.api.get("/notifications/preferences").await;
    assert_eq!(prefs.status, 200);
    let saved = o
        .talent
        .api
        .send(
            "PUT",
            "/notifications/preferences",
            Some(json!({"email": {"episode.assigned": false}, "dailyDigest": true})),
            Some(&prefs.etag()),
        )
        .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(o.talent.api.get("/users/me/preferences").await.body["dailyDigest"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_is_a_security_notice_e_mailed_whatever_the_user_chose() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    // The seller opts out of it, and out of urgent backup failures, and takes the digest.
    let prefs = o.seller.api.get("/users/me/preferences").await;
    let choice = json!({"email": {"security.role_changed": false, "backup.failed": false}, "dailyDigest": true});
    let saved = o.seller.api.send("PUT", "/users/me/preferences", Some(choice), Some(&prefs.etag())).await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    let unknown = json!({"email": {"backup.finished": false}});
    assert_eq!(o.seller.api.send("PUT", "/users/me/preferences", Some(unknown), Some("*")).await.status, 400);
    let path = format!("/users/{}", o.seller.id);
    let moved = o.admin.api.send("PUT", &path, Some(json!({"role": "producer"})), Some("*")).await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    let mails = podcastflow_tests::wait::until(Duration::from_secs(10), "the security notice", || {
        let all = s.stack.services.outbox.messages().ok()?;
        let mine: Vec<_> = all.into_iter().filter(|m| m.to == o.seller.email && m.subject.contains("role")).collect();
        (!mine.is_empty()).then_some(mine)
    })
    .await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains("producer"), "{:?}", mails[0].body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_goes_out_once_a_day_from_eight_in_the_user_s_zone() {
    use podcastflow_digest_job::{DigestJob, run};
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    // The producer takes the digest and lives in Tokyo (08:00 there is 23:00 UTC the day before).
    let producer = &o.producer.api;
    let me = format!("/users/{}", o.producer.id);
    assert_eq!(producer.send("PUT", &me, Some(json!({"timezone": "Asia/Tokyo"})), Some("*")).await.status, 200);
    let prefs = producer.get("/users/me/preferences").await;
    let digest = json!({"dailyDigest": true});
    assert_eq!(producer.send("PUT", "/users/me/preferences", Some(digest), Some(&prefs.etag())).await.status, 200);
    // Something to read: two campaigns' teams, one of which the talent (no digest) is on too.
    for name in ["Digest one", "Digest two"] {
        let c = o.admin.api.post("/campaigns", json!({"name": name, "clientId": o.client_id})).await;
        let team = format!("/campaigns/{}/team", c.body["id"].as_str().unwrap());
        let added = o.admin.api.post(&team, json!({"userId": o.producer.id, "role": "producer"})).await;
        assert_eq!(added.status, 201, "{:?}", added.body);
        o.admin.api.post(&team, json!({"userId": o.talent.id, "role": "talent"})).await;
    }
    until_async(Duration::from_secs(10), "two unread notifications", || async {
        let page = producer.get("/notifications?unread=true").await;
        (page.body["items"].as_array().map_or(0, Vec::len) == 2).then_some(())
    })
    .await;

    let job =
        DigestJob { ctx: s.stack.services.ctx.clone(), mail: std::sync::Arc::new(s.stack.services.outbox.clone()) };
    let digests = |to: &str| {
        let all = s.stack.services.outbox.messages().unwrap_or_default();
        all.into_iter().filter(|m| m.to == to && m.subject.contains("unread")).collect::<Vec<_>>()
    };
    let at = |t: &str| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    // 07:30 in Tokyo: not yet.
    run(&job, at("2026-12-01T22:30:00Z")).await.unwrap();
    assert!(digests(&o.producer.email).is_empty());
    // 08:10 in Tokyo: one e-mail, listing both; the next runs that day send nothing more.
    let first = run(&job, at("2026-12-01T23:10:00Z")).await.unwrap();
    assert!(first.sent >= 1, "{first:?}");
    for later in ["2026-12-02T00:10:00Z", "2026-12-02T14:59:00Z"] {
        run(&job, at(later)).await.unwrap();
    }
    let sent = digests(&o.producer.email);
    assert_eq!(sent.len(), 1, "once a day");
    assert_eq!(sent[0].subject, "PodcastFlow: 2 unread notifications");
    assert!(sent[0].body.contains("You were added to a campaign team"), "{}", sent[0].body);
    assert!(digests(&o.talent.email).is_empty(), "only who chose it");
    // The next day, still unread: the next digest. Once read, none.
    run(&job, at("2026-12-02T23:05:00Z")).await.unwrap();
    assert_eq!(digests(&o.producer.email).len(), 2);
    producer.post("/notifications/batch-read", json!({"before": "2999-01-01T00:00:00Z"})).await;
    let quiet = run(&job, at("2026-12-03T23:05:00Z")).await.unwrap();
    assert_eq!(digests(&o.producer.email).len(), 2, "{quiet:?}");
    // Turning the digest off takes the user out of the job.
    let prefs = producer.get("/users/me/preferences").await;
    producer.send("PUT", "/users/me/preferences", Some(json!({"dailyDigest": false})), Some(&prefs.etag())).await;
    let c = o.admin.api.post("/campaigns", json!({"name": "Digest three", "clientId": o.client_id})).await;
    let team = format!("/campaigns/{}/team", c.body["id"].as_str().unwrap());
    o.admin.api.post(&team, json!({"userId": o.producer.id, "role": "producer"})).await;
    run(&job, at("2026-12-04T23:05:00Z")).await.unwrap();
    assert_eq!(digests(&o.producer.email).len(), 2);
}
