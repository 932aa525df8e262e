//! The stream function fed the sample stream event of events/.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::{OrgId, UserId};
use podcastflow_store::TenantTable;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::activities::ActivityRepo;

use super::*;

fn outbox(dir: &tempfile::TempDir) -> podcastflow_mail::Outbox {
    podcastflow_mail::Outbox::new(dir.path().join("outbox"), "test@podcastflow.test")
}

fn app(dir: &tempfile::TempDir, outbox: podcastflow_mail::Outbox) -> StreamApp {
    StreamApp {
        ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()),
        mail: Arc::new(outbox),
        push: Arc::new(podcastflow_push::RecordingPush::default()),
        readers: Default::default(),
    }
}

/// A stream batch of one change of an item from `old` to `new` (whichever is there names its `PK`
/// and `SK`).
fn changed(sequence: &str, old: Option<&serde_json::Value>, new: Option<&serde_json::Value>) -> Event {
    use podcastflow_store::ChangeKind;
    let image = new.or(old).expect("an image");
    let record = podcastflow_store::ChangeRecord {
        sequence: sequence.into(),
        kind: match (old, new) {
            (None, _) => ChangeKind::Insert,
            (Some(_), Some(_)) => ChangeKind::Modify,
            (Some(_), None) => ChangeKind::Remove,
        },
        key: podcastflow_store::feed::ChangeKey {
            pk: image["PK"].as_str().unwrap_or_default().into(),
            sk: image["SK"].as_str().unwrap_or_default().into(),
        },
        old_image: old.and_then(|i| i.as_object().cloned()),
        new_image: new.and_then(|i| i.as_object().cloned()),
        at: chrono::Utc::now(),
        expired: false,
    };
    let raw = podcastflow_store::lambda_event::to_stream_event(&[record], "arn:stream", "us-east-1").unwrap();
    serde_json::from_value(raw).unwrap()
}

/// A stream batch of one insertion of `image` (which names its `PK` and `SK`).
fn inserted(sequence: &str, image: &serde_json::Value) -> Event {
    changed(sequence, None, Some(image))
}

#[tokio::test]
async fn the_sample_batch_records_one_activity_even_when_delivered_twice() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, outbox(&dir));
    let event: Event = serde_json::from_str(include_str!("../../../events/stream/campaign-transitioned.json")).unwrap();
    for _ in 0..2 {
        let answer = handle(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
        assert!(answer.batch_item_failures.is_empty());
    }
    let org: OrgId = "01JD0000000000000000000001".parse().unwrap();
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let entity = EntityRef {
        kind: podcastflow_domain::visibility::EntityKind::Campaign,
        id: "01JD0000000000000000000009".into(),
    };
    let log = ActivityRepo::new(&t).of_entity(&entity, None, 10).await.unwrap().items;
    assert_eq!(log.len(), 1, "delivered twice, recorded once");
    let a = &log[0];
    assert_eq!(a.action, "campaign.transitioned");
    assert_eq!(a.actor_id, Some("01JD0000000000000000000002".parse::<UserId>().unwrap()));
    assert_eq!(a.request_id.as_deref(), Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef"));
    assert_eq!(a.changes.keys().collect::<Vec<_>>(), vec!["probability", "status"]);
}

#[tokio::test]
async fn an_assignment_delivered_twice_notifies_the_talent_once_and_never_the_actor() {
    use podcastflow_store::repo::notifications::NotificationRepo;

    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, outbox(&dir));
    let (org, producer, talent) = (OrgId::new(), UserId::new(), UserId::new());
    let pk = format!("ORG#{org}#EPISODE#e1");
    let image = serde_json::json!({"PK": pk, "SK": "PROFILE", "entityType": "episode", "id": "e1", "title": "Pilot",
        "showId": podcastflow_domain::ShowId::new(), "status": "draft", "talentIds": [talent, producer],
        "updatedBy": producer, "updatedAt": "2026-11-22T10:00:00.123Z"});
    let event = inserted("000000000000000000042", &image);
    for _ in 0..2 {
        handle(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
    }
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let inbox = NotificationRepo::new(&t).list(&talent, false, None, 10).await.unwrap().items;
    assert_eq!(inbox.len(), 1, "once, though delivered twice");
    assert_eq!(inbox[0].kind, "episode.assigned");
    assert!(
        NotificationRepo::new(&t).list(&producer, false, None, 10).await.unwrap().items.is_empty(),
        "not the actor"
    );
}

#[tokio::test]
async fn a_restores_writes_and_deletions_pass_every_processor_by() {
    use podcastflow_store::repo::notifications::NotificationRepo;

    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, outbox(&dir));
    let (org, producer, talent) = (OrgId::new(), UserId::new(), UserId::new());
    let episode = |id: &str| {
        serde_json::json!({"PK": format!("ORG#{org}#EPISODE#{id}"), "SK": "PROFILE", "entityType": "episode",
            "id": id, "title": "Pilot", "showId": podcastflow_domain::ShowId::new(), "status": "draft",
            "talentIds": [talent], "updatedBy": producer, "updatedAt": "2026-11-22T10:00:00.123Z"})
    };
    let mark = |mut image: serde_json::Value, name: &str| {
        image[name] = serde_json::json!("01JD0000000000000000000042@1764842400000");
        image
    };
    let (restored, written) = (episode("e1"), episode("e2"));
    let batches = [
        // Put back by a restore: a talent assignment that would otherwise be notified.
        changed("000000000000000000101", None, Some(&mark(restored.clone(), "restoredBy"))),
        // Marked, then deleted by a replace restore.
        changed("000000000000000000102", Some(&restored), Some(&mark(restored.clone(), "removedByRestore"))),
        changed("000000000000000000103", Some(&mark(restored.clone(), "removedByRestore")), None),
        // The same change written by a person, for contrast.
        changed("000000000000000000104", None, Some(&written)),
    ];
    for event in batches {
        let answer = handle(&app, LambdaEvent::new(event, lambda_http::Context::default())).await.unwrap();
        assert!(answer.batch_item_failures.is_empty());
    }
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let inbox = NotificationRepo::new(&t).list(&talent, false, None, 10).await.unwrap().items;
    let about: Vec<&str> = inbox.iter().filter_map(|n| n.entity.as_ref()).map(|e| e.id.as_str()).collect();
    assert_eq!(about, ["e2"], "only the person's write is notified");
    let log = |id: &str| {
        let entity = EntityRef { kind: podcastflow_domain::visibility::EntityKind::Episode, id: id.into() };
        let t = &t;
        async move { ActivityRepo::new(t).of_entity(&entity, None, 10).await.unwrap().items }
    };
    assert!(log("e1").await.is_empty(), "the restore's writes are not audited one by one");
    assert_eq!(log("e2").await.len(), 1);
}

#[tokio::test]
async fn an_urgent_notification_is_e_mailed_once_though_delivered_twice() {
    use podcastflow_domain::Role;
    use podcastflow_domain::user::{User, UserStatus};
    use podcastflow_store::feed::ChangeKey;
    use podcastflow_store::repo::users::UserRepo;
    use podcastflow_store::{ChangeKind, ChangeRecord};

    let dir = tempfile::tempdir().unwrap();
    let outbox = outbox(&dir);
    let app = app(&dir, outbox.clone());
    let org = OrgId::new();
    let admin = User {
        id: UserId::new(),
        org_id: org,
        email: "ops@example.com".into(),
        name: "Ops".into(),
        role: Role::Admin,
        status: UserStatus::Active,
        client_id: None,
        timezone: "UTC".into(),
        avatar_url: None,
        stamp: podcastflow_domain::Stamp::created(UserId::new(), chrono::Utc::now()),
    };
    UserRepo::new(app.ctx.table.as_ref(), &app.ctx.cursors).create(&admin).await.unwrap();
    let pk = format!("ORG#{org}#BACKUP#b1");
    let image = |status: &str| {
        serde_json::json!({"PK": pk, "SK": "PROFILE", "entityType": "backup", "id": "b1", "status": status})
            .as_object()
            .cloned()
    };
    let record = ChangeRecord {
        sequence: "000000000000000000077".into(),
        kind: ChangeKind::Modify,
        key: ChangeKey { pk: pk.clone(), sk: "PROFILE".into() },
        old_image: image("running"),
        new_image: image("failed"),
        at: chrono::Utc::now(),
        expired: false,
    };
    let raw = podcastflow_store::lambda_event::to_stream_event(&[record], "arn:stream", "us-east-1").unwrap();
    let event: Event = serde_json::from_value(raw).unwrap();
    for _ in 0..2 {
        let answer = handle(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
        assert!(answer.batch_item_failures.is_empty());
    }
    let sent = outbox.messages().unwrap();
    assert_eq!(sent.len(), 1, "once");
    assert_eq!((sent[0].to.as_str(), sent[0].subject.as_str()), ("ops@example.com", "A backup failed"));
}

#[tokio::test]
async fn a_notification_is_pushed_to_its_user_only_and_gone_connections_are_removed() {
    use podcastflow_domain::connection::{Connection, Subscription};
    use podcastflow_domain::topic::Topic;
    use podcastflow_domain::{Principal, PrincipalKind, Role};
    use podcastflow_push::RecordingPush;
    use podcastflow_store::feed::ChangeKey;
    use podcastflow_store::repo::connections::ConnectionRepo;
    use podcastflow_store::{ChangeKind, ChangeRecord};

    let dir = tempfile::tempdir().unwrap();
    let push = Arc::new(RecordingPush::default());
    let app = StreamApp { push: push.clone(), ..app(&dir, outbox(&dir)) };
    let (org, me) = (OrgId::new(), UserId::new());
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let repo = ConnectionRepo::new(&t);
    let p = Principal { user_id: me, org_id: org, role: Role::Talent, client_id: None, kind: PrincipalKind::User };
    let user = podcastflow_domain::user::User {
        id: me,
        org_id: org,
        email: format!("{me}@example.com"),
        name: "Me".into(),
        role: Role::Talent,
        status: podcastflow_domain::user::UserStatus::Active,
        client_id: None,
        timezone: "UTC".into(),
        avatar_url: None,
        stamp: podcastflow_domain::Stamp::created(me, chrono::Utc::now()),
    };
    podcastflow_store::repo::users::UserRepo::new(app.ctx.table.as_ref(), &app.ctx.cursors)
        .create(&user)
        .await
        .unwrap();
    let topic = Topic::User(me);
    for id in ["tab-1", "tab-2"] {
        let c = Connection::open(id, &p, chrono::Utc::now());
        repo.open(&c).await.unwrap();
        repo.subscribe(&c, std::slice::from_ref(&topic)).await.unwrap();
    }
    push.close_connection("tab-2");
    assert_eq!(repo.subscribers(&topic, chrono::Utc::now()).await.unwrap().len(), 2);

    let id = podcastflow_domain::NotificationId::new();
    let pk = podcastflow_domain::notification::Notification::inbox_pk(&org, &me);
    let image = serde_json::json!({"PK": pk, "SK": id.to_string(), "entityType": "notification", "id": id,
        "orgId": org, "userId": me, "type": "episode.assigned", "title": "Assigned", "body": "Pilot",
        "priority": "normal", "createdAt": "2026-11-22T10:00:00Z", "expiresAt": 1_900_000_000, "version": 1});
    let record = ChangeRecord {
        sequence: "000000000000000000077".into(),
        kind: ChangeKind::Insert,
        key: ChangeKey { pk, sk: id.to_string() },
        old_image: None,
        new_image: image.as_object().cloned(),
        at: chrono::Utc::now(),
        expired: false,
    };
    let out = crate::realtime::fan_out(&app, &record).await.unwrap();
    assert_eq!((out.delivered, out.gone, out.failed), (1, 1, 0));
    let posts = push.take();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].0, "tab-1");
    let m: serde_json::Value = serde_json::from_slice(&posts[0].1).unwrap();
    assert_eq!((m["type"].as_str(), m["version"].as_u64()), (Some("notification.created"), Some(1)));
    assert_eq!(m["data"]["title"], "Assigned");
    // The gone tab's items went with it.
    assert!(repo.get("tab-2", chrono::Utc::now()).await.unwrap().is_none());
    assert_eq!(repo.subscribers(&topic, chrono::Utc::now()).await.unwrap().len(), 1);
    let gone = Subscription::key_of(&org, &topic, "tab-2");
    assert!(app.ctx.table.get(&gone).await.unwrap().is_none());

    // A bookkeeping-only change (its e-mail state) tells no one anything.
    let mut after = image.clone();
    after["emailState"] = "sent".into();
    let modify = ChangeRecord {
        kind: ChangeKind::Modify,
        old_image: image.as_object().cloned(),
        new_image: after.as_object().cloned(),
        sequence: "000000000000000000078".into(),
        ..record
    };
    let out = crate::realtime::fan_out(&app, &modify).await.unwrap();
    assert_eq!(out.delivered, 0);
    assert!(push.take().is_empty());
}

#[tokio::test]
async fn a_booked_order_delivered_twice_makes_one_read_per_host_read_line() {
    use podcastflow_domain::ad_read::AdReadStatus;
    use podcastflow_store::repo::ad_reads::AdReadRepo;

    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, outbox(&dir));
    let event: Event = serde_json::from_str(include_str!("../../../events/stream/order-booked.json")).unwrap();
    for _ in 0..2 {
        let answer = handle(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
        assert!(answer.batch_item_failures.is_empty());
    }
    let org: OrgId = "01JD0000000000000000000001".parse().unwrap();
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let reads = AdReadRepo::new(&t).of_order(&"01JD0000000000000000000401".parse().unwrap()).await.unwrap();
    assert_eq!(reads.len(), 1, "the host-read line only, once though delivered twice");
    let r = &reads[0];
    assert_eq!((r.line, r.status, r.talent_id), (1, AdReadStatus::AwaitingBrief, None));
    // No brief, no organization record: due five days before air, by the end of that day in UTC.
    assert_eq!(r.deadlines.recording_due_at.map(|d| d.to_rfc3339()).as_deref(), Some("2027-03-04T00:00:00+00:00"));
}

#[tokio::test]
async fn an_event_becomes_one_delivery_per_subscribed_endpoint_however_often_it_arrives() {
    use chrono::NaiveDate;
    use podcastflow_domain::delivery::alerts::{AlertKind, PACING_ALERT, PacingAlert};
    use podcastflow_domain::delivery::pacing::PacingStatus;
    use podcastflow_domain::webhook::delivery::DeliveryStatus;
    use podcastflow_domain::webhook::endpoint::{StoredSecret, Subscription, WebhookEndpoint};
    use podcastflow_domain::webhook::signature::SigningSecret;
    use podcastflow_domain::{CampaignId, OrderId, Stamp, WebhookId};
    use podcastflow_store::repo::webhooks::WebhookRepo;

    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, outbox(&dir));
    let org = OrgId::new();
    let t = TenantTable::new(app.ctx.table.clone(), org, app.ctx.cursors.as_ref().clone());
    let endpoint = |subscription: Subscription, enabled: bool| WebhookEndpoint {
        id: WebhookId::new(),
        org_id: org,
        url: "https://hooks.example.com/in".into(),
        description: String::new(),
        subscription,
        enabled,
        disabled_reason: None,
        failing_since: None,
        secret: StoredSecret(SigningSecret::from_bytes(&[5u8; 32]).unwrap().shown()),
        previous_secret: None,
        stamp: Stamp::created(UserId::new(), chrono::Utc::now()),
    };
    let all = endpoint(Subscription::All, true);
    let alerts = endpoint(Subscription::Types(vec!["delivery.pacing_alert".into()]), true);
    let off = endpoint(Subscription::All, false);
    let elsewhere = endpoint(Subscription::Types(vec!["campaign.created".into()]), true);
    let repo = WebhookRepo::new(&t);
    for e in [&all, &alerts, &off, &elsewhere] {
        repo.create(e).await.unwrap();
    }
    let alert = PacingAlert {
        org_id: org,
        campaign_id: CampaignId::new(),
        order_id: OrderId::new(),
        order_number: "IO-2026-00007".into(),
        line: 2,
        kind: AlertKind::Behind,
        day: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        goal: 100_000,
        delivered: 20_000,
        expected: 45_000,
        status: PacingStatus::Behind,
    };
    let key = alert.key();
    let mut image = serde_json::to_value(&alert).unwrap();
    image["PK"] = key.pk.into();
    image["SK"] = key.sk.into();
    image["entityType"] = PACING_ALERT.into();
    let event = inserted("000000000000000000077", &image);
    for _ in 0..2 {
        let answer = handle(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
        assert!(answer.batch_item_failures.is_empty());
    }
    let made = |e: &WebhookEndpoint| {
        let (repo, id) = (&repo, e.id);
        async move { repo.deliveries(&org, &id, None, None, 10).await.unwrap().items }
    };
    let (to_all, to_alerts) = (made(&all).await, made(&alerts).await);
    assert_eq!((to_all.len(), to_alerts.len()), (1, 1), "delivered twice, made once");
    assert_eq!(to_all[0].id, to_alerts[0].id, "one message id per event");
    assert_eq!((to_all[0].status, to_all[0].event_type.as_str()), (DeliveryStatus::Pending, "delivery.pacing_alert"));
    let off_made = made(&off).await;
    assert_eq!(off_made.len(), 1);
    assert_eq!(off_made[0].status, DeliveryStatus::Skipped, "kept for a replay, not sent");
    assert!(made(&elsewhere).await.is_empty(), "not subscribed");
    let body: serde_json::Value = serde_json::from_str(&to_all[0].body).unwrap();
    assert_eq!(body["data"], serde_json::to_value(&alert).unwrap(), "the record as the API shows it, no keys");
    assert_eq!(body["orgId"], serde_json::json!(org));
}
