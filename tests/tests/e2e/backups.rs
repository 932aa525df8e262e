//! Backups end to end: an organization's items exported through the tenant index to S3 by the
//! backup-job (driven by the stream), downloaded through a presigned URL, restored in merge and
//! replace mode item by item, never touching another organization, and refused when tampered.

use std::collections::BTreeMap;
use std::io::Read;
use std::time::Duration;

use podcastflow_domain::OrgId;
use podcastflow_domain::backup::Backup;
use podcastflow_domain::keys::{Index, RESTORED_BY, TENANT_SHARDS, org_pk, tenant_index_pk};
use podcastflow_store::{Item, Query, Table};
use podcastflow_tests::client::Api;
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};
use sha2::Digest;

/// Every item of an organization by key, from the tenant index.
async fn tenant_items(s: &TestStack, org: &OrgId) -> BTreeMap<String, Item> {
    let mut all = BTreeMap::new();
    for shard in 0..TENANT_SHARDS {
        let mut q = Query::partition(Index::Gsi5, tenant_index_pk(org, shard));
        loop {
            let out = s.stack.table.query(&q).await.unwrap();
            for it in out.items {
                all.insert(it["GSI5SK"].as_str().unwrap().to_owned(), it);
            }
            match out.last_key {
                Some(k) => q.start_after = Some(k),
                None => break,
            }
        }
    }
    all
}

fn of_types(items: &BTreeMap<String, Item>, types: &[&str]) -> BTreeMap<String, Item> {
    items
        .iter()
        .filter(|(_, i)| types.contains(&i.get("entityType").and_then(Value::as_str).unwrap_or_default()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

const CAMPAIGN_TYPES: [&str; 4] = ["campaign", "teamMember", "campaignHistory", "campaignShow"];

/// The items as they were backed up: without the mark a restore leaves on what it put back (so the
/// change processors pass over it), after checking that each carries one.
fn unmarked(items: BTreeMap<String, Item>) -> BTreeMap<String, Item> {
    items
        .into_iter()
        .map(|(k, mut item)| {
            assert!(item.remove(RESTORED_BY).is_some_and(|m| m.is_string()), "{k} carries the restore's mark");
            (k, item)
        })
        .collect()
}

async fn campaign(o: &TestOrg, name: &str) -> String {
    let c = o.admin.api.post("/campaigns", json!({"name": name, "clientId": o.client_id})).await;
    assert_eq!(c.status, 201, "{:?}", c.body);
    c.body["id"].as_str().unwrap().to_owned()
}

/// Polls a backup until `done` says so.
async fn backup_until(api: &Api, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    until_async(Duration::from_secs(120), what, || async {
        let b = api.get(&format!("/backups/{id}")).await.body;
        done(&b).then_some(b)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_backs_up_downloads_and_restores_only_itself() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let org: OrgId = o.id.parse().unwrap();
    let other_org: OrgId = other.id.parse().unwrap();
    let admin = &o.admin.api;

    // Roles: only admins (and master) manage backups.
    for api in [&o.seller.api, &o.producer.api, &o.client.api] {
        assert_eq!(api.post("/backups", json!({})).await.status, 403);
        assert_eq!(api.get("/backups").await.status, 403);
    }

    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(campaign(&o, &format!("Backed up {i}")).await);
    }
    campaign(&other, "The other org's").await;
    // Ten thousand items of the log, written as the stream would have.
    let items: Vec<Item> = (0..10_000)
        .map(|i| {
            json!({"PK": org_pk(&org, format!("ACTIVITY#{i:05}")), "SK": "PROFILE", "entityType": "activity",
                "id": format!("a{i:05}"), "action": "report.viewed", "at": "2026-11-22T10:00:00Z", "version": 1})
            .as_object()
            .cloned()
            .unwrap()
        })
        .collect();
    for chunk in items.chunks(500) {
        s.stack.table.batch_write(chunk.to_vec(), Vec::new()).await.unwrap();
    }

    let started = admin.post("/backups", json!({})).await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    assert_eq!(started.body["status"], "queued");
    let id = started.body["id"].as_str().unwrap().to_owned();
    let b =
        backup_until(admin, &id, "the backup to finish", |b| b["status"] != "queued" && b["status"] != "running").await;
    assert_eq!(b["status"], "completed", "{b}");
    // The bulk log plus what the stream recorded of the campaigns' creation.
    assert!(b["counts"]["activity"].as_u64().unwrap() >= 10_000, "{b}");
    assert_eq!(b["counts"]["campaign"], 5, "{b}");
    assert!(b["counts"].get("backup").is_none(), "backups do not contain backup records");
    let before = tenant_items(&s, &org).await;
    let total: u64 = b["counts"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();

    // The manifest agrees; the download is the file it describes.
    let bid = id.parse().unwrap();
    let manifest: Value =
        serde_json::from_slice(&s.stack.services.backups.read_all(&Backup::manifest_key(&org, &bid)).await.unwrap())
            .unwrap();
    assert_eq!(manifest["counts"], b["counts"]);
    assert_eq!(manifest["sha256"], b["sha256"]);
    let link = admin.get(&format!("/backups/{id}/download")).await;
    assert_eq!(link.status, 200, "{:?}", link.body);
    let file = reqwest::get(link.body["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(file.status(), 200);
    let bytes = file.bytes().await.unwrap();
    assert_eq!(format!("{:x}", sha2::Sha256::digest(&bytes)), b["sha256"].as_str().unwrap());
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
    assert_eq!(text.lines().count() as u64, total);
    assert!(text.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()));

    // Merge: deleted campaigns come back byte for byte; one created since stays.
    let campaigns_then = of_types(&before, &CAMPAIGN_TYPES);
    let others_then = tenant_items(&s, &other_org).await;
    for id in &ids[..2] {
        assert_eq!(admin.send("DELETE", &format!("/campaigns/{id}"), None, Some("*")).await.status, 204);
    }
    let newer = campaign(&o, "Created after the backup").await;
    let restore = json!({"backupId": id, "entities": ["campaigns"], "mode": "merge"});
    assert_eq!(admin.post("/backups/restore", restore).await.status, 202);
    let b = backup_until(admin, &id, "the merge restore", |b| {
        matches!(b["restore"]["status"].as_str(), Some("completed" | "failed"))
    })
    .await;
    assert_eq!(b["restore"]["status"], "completed", "{b}");
    let now = of_types(&tenant_items(&s, &org).await, &CAMPAIGN_TYPES);
    let restored = unmarked(
        now.iter().filter(|(k, _)| campaigns_then.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
    );
    for (k, item) in &campaigns_then {
        assert_eq!(restored.get(k), Some(item), "{k} restored as it was");
    }
    assert!(now.keys().any(|k| k.contains(&newer)), "merge keeps what is newer");

    // Replace: the campaigns become exactly the backup's.
    let restore = json!({"backupId": id, "entities": ["campaigns"], "mode": "replace"});
    assert_eq!(admin.post("/backups/restore", restore).await.status, 202);
    let b = backup_until(admin, &id, "the replace restore", |b| {
        b["restore"]["mode"] == "replace" && matches!(b["restore"]["status"].as_str(), Some("completed" | "failed"))
    })
    .await;
    assert_eq!(b["restore"]["status"], "completed", "{b}");
    assert_eq!(unmarked(of_types(&tenant_items(&s, &org).await, &CAMPAIGN_TYPES)), campaigns_then);
    // Each restore is in the activity log, as the admin who asked for it.
    let log = admin.get(&format!("/activities?entityType=backup&entityId={id}")).await;
    let actions: Vec<&str> =
        log.body["items"].as_array().unwrap().iter().filter_map(|a| a["action"].as_str()).collect();
    assert_eq!(actions, ["backup.restored", "backup.restored"], "{:?}", log.body);
    assert_eq!(log.body["items"][0]["actorId"], o.admin.id.as_str());
    assert_eq!(admin.get(&format!("/campaigns/{newer}")).await.status, 404);
    // The other organization did not change, item by item.
    assert_eq!(tenant_items(&s, &other_org).await, others_then);
    // Nor can its admin see or restore this organization's backup.
    assert_eq!(other.admin.api.get(&format!("/backups/{id}")).await.status, 404);
    let theirs = json!({"backupId": id, "entities": ["campaigns"], "mode": "merge"});
    assert_eq!(other.admin.api.post("/backups/restore", theirs).await.status, 400);

    // A file changed after the backup is refused before anything is written.
    let data_key = Backup::data_key(&org, &bid);
    let mut tampered = bytes.to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    s.stack.services.backups.put(&data_key, tampered, "application/gzip").await.unwrap();
    assert_eq!(admin.send("DELETE", &format!("/campaigns/{}", ids[2]), None, Some("*")).await.status, 204);
    let restore = json!({"backupId": id, "entities": ["campaigns"], "mode": "merge"});
    assert_eq!(admin.post("/backups/restore", restore).await.status, 202);
    let b = backup_until(admin, &id, "the refused restore", |b| b["restore"]["status"] == "failed").await;
    assert!(b["restore"]["error"].as_str().unwrap().contains("checksum"), "{b}");
    assert_eq!(admin.get(&format!("/campaigns/{}", ids[2])).await.status, 404, "nothing written");

    // Deleting the backup takes its files.
    assert_eq!(admin.send("DELETE", &format!("/backups/{id}"), None, None).await.status, 204);
    until_async(Duration::from_secs(10), "the backup's objects deleted", || async {
        s.stack.services.backups.size(&data_key).await.unwrap().is_none().then_some(())
    })
    .await;
    assert_eq!(admin.get(&format!("/backups/{id}")).await.status, 404);
}

/// The entity's activity log, newest first, once `done` says it is complete.
async fn log_of(api: &Api, kind: &str, id: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    until_async(Duration::from_secs(20), "the activity log", || async {
        let page = api.get(&format!("/activities?entityType={kind}&entityId={id}&limit=100")).await;
        let items = page.body["items"].as_array().cloned().unwrap_or_default();
        done(&items).then_some(items)
    })
    .await
}

fn actions(log: &[Value]) -> Vec<&str> {
    log.iter().filter_map(|a| a["action"].as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_is_one_activity_entry_and_tells_no_one_of_what_it_put_back() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let admin = &o.admin.api;

    // A campaign with the seller on its team: the seller is told once.
    let kept = campaign(&o, "Deleted, then restored").await;
    let member = json!({"userId": o.seller.id, "role": "seller"});
    assert_eq!(admin.post(&format!("/campaigns/{kept}/team"), member).await.status, 201);
    let seller = &o.seller.api;
    let told = |n: usize| async move {
        until_async(Duration::from_secs(20), "the seller's notifications", || async {
            let items = seller.get("/notifications?limit=100").await.body["items"].as_array().cloned();
            items.filter(|i| i.len() >= n)
        })
        .await
    };
    assert_eq!(told(1).await.len(), 1);
    let started = admin.post("/backups", json!({})).await;
    let id = started.body["id"].as_str().unwrap().to_owned();
    let b = backup_until(admin, &id, "the backup", |b| b["status"] == "completed" || b["status"] == "failed").await;
    assert_eq!(b["status"], "completed", "{b}");

    // Deleted after the backup, and one created since, each audited as people did it (the stream
    // is in order: once the newer one's creation is audited, so is the deletion before it).
    assert_eq!(admin.send("DELETE", &format!("/campaigns/{kept}"), None, Some("*")).await.status, 204);
    let newer = campaign(&o, "Created after the backup").await;
    let newer_log = log_of(admin, "campaign", &newer, |l| !l.is_empty()).await;
    let kept_log = log_of(admin, "campaign", &kept, |l| actions(l).contains(&"campaign.deleted")).await;

    // Merge brings the campaign and its team back; replace removes the newer one.
    for mode in ["merge", "replace"] {
        let restore = json!({"backupId": id, "entities": ["campaigns"], "mode": mode});
        assert_eq!(admin.post("/backups/restore", restore).await.status, 202);
        let b = backup_until(admin, &id, "the restore", |b| {
            b["restore"]["mode"] == mode && matches!(b["restore"]["status"].as_str(), Some("completed" | "failed"))
        })
        .await;
        assert_eq!(b["restore"]["status"], "completed", "{b}");
    }
    assert_eq!(admin.get(&format!("/campaigns/{kept}")).await.status, 200);
    assert_eq!(admin.get(&format!("/campaigns/{newer}")).await.status, 404);
    // The reader index is not backed up: the restore put back the seller's entry with the team.
    let listed = seller.get("/campaigns?limit=100").await.body["items"].clone();
    let ids: Vec<&str> = listed.as_array().into_iter().flatten().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&kept.as_str()) && !ids.contains(&newer.as_str()), "{ids:?}");

    // A change made after the restores: once the stream has audited it, it has passed over
    // everything written before it.
    let renamed = admin.send("PUT", &format!("/campaigns/{kept}"), Some(json!({"name": "Renamed"})), Some("*")).await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert!(!renamed.body.to_string().contains(RESTORED_BY), "the mark is the table's, never shown");
    let after = log_of(admin, "campaign", &kept, |l| actions(l).first() == Some(&"campaign.updated")).await;
    assert_eq!(
        after[0]["changes"].as_object().map(|c| c.keys().map(String::as_str).collect::<Vec<_>>()),
        Some(vec!["name"])
    );
    assert_eq!(&after[1..], &kept_log[..], "nothing of the campaign's came back into its log");
    assert_eq!(log_of(admin, "campaign", &newer, |_| true).await, newer_log, "nor of its removal");
    let restores = log_of(admin, "backup", &id, |_| true).await;
    assert_eq!(actions(&restores).iter().filter(|a| **a == "backup.restored").count(), 2, "one entry per restore");
    assert_eq!(told(1).await.len(), 1, "the seller is not told again of the team they were on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_requests_are_checked() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let admin = &o.admin.api;
    for bad in [
        json!({"backupId": "nope", "entities": ["campaigns"], "mode": "merge"}),
        json!({"backupId": podcastflow_domain::BackupId::new(), "entities": [], "mode": "merge"}),
        json!({"backupId": podcastflow_domain::BackupId::new(), "entities": ["users"], "mode": "merge"}),
        json!({"backupId": podcastflow_domain::BackupId::new(), "entities": ["campaigns"], "mode": "overwrite"}),
    ] {
        assert_eq!(admin.post("/backups/restore", bad.clone()).await.status, 400, "{bad}");
    }
    assert_eq!(admin.post("/backups", json!({"kind": "daily"})).await.status, 400);
    assert_eq!(admin.get("/backups/nope").await.status, 404);
    assert_eq!(admin.get(&format!("/backups/{}/download", podcastflow_domain::BackupId::new())).await.status, 404);

    // The schedule is the organization's, with its ETag.
    let got = admin.get("/backups/schedule").await;
    assert_eq!(got.status, 200);
    let etag = got.etag();
    let schedule = json!({"enabled": true, "frequency": "weekly", "hour": 3});
    assert_eq!(admin.send("PUT", "/backups/schedule", Some(schedule.clone()), None).await.status, 428);
    let bad = json!({"enabled": true, "frequency": "weekly", "hour": 24});
    assert_eq!(admin.send("PUT", "/backups/schedule", Some(bad), Some(&etag)).await.status, 400);
    let put = admin.send("PUT", "/backups/schedule", Some(schedule.clone()), Some(&etag)).await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(admin.get("/backups/schedule").await.body["schedule"], schedule);
    assert_eq!(admin.send("PUT", "/backups/schedule", Some(schedule), Some(&etag)).await.status, 412);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_schedule_fires_once_per_period_and_expired_backups_disappear() {
    use podcastflow_backup_job::{BackupJobApp, schedule};

    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let admin = &o.admin.api;
    // Daily at 03:00 in Berlin (UTC+1 in November): due from 02:00 UTC.
    let current = admin.get("/organization").await;
    let mut settings = current.body["settings"].clone();
    settings["timezone"] = json!("Europe/Berlin");
    let tz = admin.send("PUT", "/organization", Some(json!({"settings": settings})), Some(&current.etag())).await;
    assert_eq!(tz.status, 200, "{:?}", tz.body);
    let etag = admin.get("/backups/schedule").await.etag();
    let schedule = json!({"enabled": true, "frequency": "daily", "hour": 3});
    assert_eq!(admin.send("PUT", "/backups/schedule", Some(schedule), Some(&etag)).await.status, 200);

    let app = BackupJobApp { ctx: s.stack.services.ctx.clone(), objects: s.stack.services.backups.clone() };
    let at = |t: &str| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let mine = |r: &schedule::ScheduleReport| r.started;
    assert_eq!(mine(&schedule::run(&app, at("2026-11-22T01:30:00Z")).await.unwrap()), 0, "02:30 in Berlin: not yet");
    assert_eq!(mine(&schedule::run(&app, at("2026-11-22T02:00:00Z")).await.unwrap()), 1, "03:00 in Berlin");
    assert_eq!(mine(&schedule::run(&app, at("2026-11-22T03:00:00Z")).await.unwrap()), 0, "once per day");
    assert_eq!(mine(&schedule::run(&app, at("2026-11-23T05:00:00Z")).await.unwrap()), 1, "the next day catches up");

    let listed = until_async(Duration::from_secs(60), "both scheduled backups completed", || async {
        let items = admin.get("/backups").await.body["items"].as_array().cloned().unwrap_or_default();
        (items.len() == 2 && items.iter().all(|b| b["status"] == "completed")).then_some(items)
    })
    .await;
    assert!(listed.iter().all(|b| b["kind"] == "daily" && b["expiresAt"].is_i64()), "{listed:?}");
    let manual = admin.post("/backups", json!({})).await.body["id"].as_str().unwrap().to_owned();
    backup_until(admin, &manual, "the manual backup", |b| b["status"] == "completed").await;

    // Eight days on, the daily ones have passed their retention; the manual one stays.
    let later = schedule::run(&app, at("2026-12-01T12:00:00Z")).await.unwrap();
    assert_eq!(later.expired, 2, "{later:?}");
    let org: OrgId = o.id.parse().unwrap();
    for b in &listed {
        let key = Backup::data_key(&org, &b["id"].as_str().unwrap().parse().unwrap());
        until_async(Duration::from_secs(10), "an expired backup's file deleted", || async {
            s.stack.services.backups.size(&key).await.unwrap().is_none().then_some(())
        })
        .await;
    }
    let left = admin.get("/backups").await.body["items"].as_array().cloned().unwrap();
    let kinds: Vec<&str> = left.iter().filter_map(|b| b["kind"].as_str()).collect();
    assert!(kinds.contains(&"manual") && kinds.iter().filter(|k| **k == "daily").count() == 1, "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_export_pauses_after_a_part_and_the_next_invocation_finishes_it() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use podcastflow_backup_job::export::Deadline;
    use podcastflow_backup_job::{BackupJobApp, handle_with};
    use podcastflow_local::functions::event;
    use podcastflow_store::lambda_event::from_event_record;

    // The stack's backup job, except that its first invocation is out of time as soon as it has
    // written a part, as a Lambda near its deadline would be.
    let calls = Arc::new(AtomicU32::new(0));
    let slot: Arc<std::sync::OnceLock<BackupJobApp>> = Arc::default();
    let paused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (c, sl, p) = (calls.clone(), slot.clone(), paused.clone());
    let job =
        event(move |e: lambda_http::LambdaEvent<aws_lambda_events::dynamodb::Event>| {
            let (c, sl, p) = (c.clone(), sl.clone(), p.clone());
            async move {
                let app = sl.get().ok_or("the stack has not started")?;
                let queued_backup = e
                    .payload
                    .records
                    .iter()
                    .filter_map(|r| from_event_record(r).ok())
                    .any(|r| r.new_image.is_some_and(|i| i["entityType"] == "backup" && i["status"] == "queued"));
                let resumed =
                    e.payload.records.iter().filter_map(|r| from_event_record(r).ok()).any(|r| {
                        r.new_image.is_some_and(|i| i["entityType"] == "backup" && i.contains_key("checkpoint"))
                    });
                if resumed {
                    p.store(true, Ordering::SeqCst);
                }
                let first = queued_backup && c.fetch_add(1, Ordering::SeqCst) == 0;
                let deadline = if first { Deadline(Some(std::time::SystemTime::now())) } else { Deadline(None) };
                // S3's smallest part but the last, so pauses come early.
                handle_with(app, e, deadline, 5 * 1024 * 1024).await
            }
        });
    let s = TestStack::with_config(move |cfg| {
        cfg.event_functions.insert("BackupJobFunction".into(), job);
    })
    .await;
    let _ = slot.set(BackupJobApp { ctx: s.stack.services.ctx.clone(), objects: s.stack.services.backups.clone() });
    let o = org::create(&s, &s.master().await).await;
    let org: OrgId = o.id.parse().unwrap();
    // About 12 MB of gzip that does not compress much: two full 5 MiB parts and a last one.
    let items: Vec<Item> = (0..12_000)
        .map(|i| {
            let note: String =
                (0..32).map(|j| format!("{:x}", sha2::Sha256::digest(format!("{i}/{j}").as_bytes()))).collect();
            json!({"PK": org_pk(&org, format!("ACTIVITY#{i:05}")), "SK": "PROFILE", "entityType": "activity",
                "id": format!("a{i:05}"), "note": note})
            .as_object()
            .cloned()
            .unwrap()
        })
        .collect();
    for chunk in items.chunks(1000) {
        s.stack.table.batch_write(chunk.to_vec(), Vec::new()).await.unwrap();
    }
    let id = o.admin.api.post("/backups", json!({})).await.body["id"].as_str().unwrap().to_owned();
    let b = backup_until(&o.admin.api, &id, "the paused backup to finish", |b| {
        b["status"] == "completed" || b["status"] == "failed"
    })
    .await;
    assert_eq!(b["status"], "completed", "{b}");
    assert!(b["counts"]["activity"].as_u64().unwrap() >= 12_000);
    assert!(b.get("checkpoint").is_none(), "the checkpoint is gone once done: {b}");
    let bid = id.parse().unwrap();
    let bytes = s.stack.services.backups.read_all(&Backup::data_key(&org, &bid)).await.unwrap();
    assert_eq!(format!("{:x}", sha2::Sha256::digest(&bytes)), b["sha256"].as_str().unwrap());
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
    let total: u64 = b["counts"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(text.lines().count() as u64, total, "every item once across both invocations");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one invocation near its deadline");
    assert!(paused.load(Ordering::SeqCst), "it left a checkpoint that the next invocation went on from");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_only_adds_to_the_activity_log() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let org: OrgId = o.id.parse().unwrap();
    let admin = &o.admin.api;
    let entry = |i: u32, action: &str| {
        json!({"PK": org_pk(&org, format!("ACTIVITY#x{i}")), "SK": "PROFILE", "entityType": "activity",
            "id": format!("x{i}"), "action": action, "at": "2026-11-22T10:00:00Z", "version": 1})
        .as_object()
        .cloned()
        .unwrap()
    };
    s.stack.table.batch_write(vec![entry(0, "report.viewed"), entry(1, "report.viewed")], Vec::new()).await.unwrap();
    let started = admin.post("/backups", json!({})).await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    let id = started.body["id"].as_str().unwrap().to_owned();
    backup_until(admin, &id, "the backup", |b| b["status"] == "completed").await;

    // After the backup: one entry lost, one different, one new.
    let key = |i: u32| podcastflow_domain::keys::Key::new(org_pk(&org, format!("ACTIVITY#x{i}")), "PROFILE");
    s.stack
        .table
        .batch_write(vec![entry(1, "report.exported"), entry(2, "report.viewed")], vec![key(0)])
        .await
        .unwrap();

    // An admin's replace restore of the log adds what is missing and nothing else.
    let restore = json!({"backupId": id, "entities": ["activities"], "mode": "replace"});
    assert_eq!(admin.post("/backups/restore", restore).await.status, 202);
    let b = backup_until(admin, &id, "the restore", |b| {
        matches!(b["restore"]["status"].as_str(), Some("completed" | "failed"))
    })
    .await;
    assert_eq!(b["restore"]["status"], "completed", "{b}");
    let log = of_types(&tenant_items(&s, &org).await, &["activity"]);
    let action = |i: u32| {
        log.values().find(|a| a["id"] == format!("x{i}")).map(|a| a["action"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(action(0).as_deref(), Some("report.viewed"), "the lost entry is back");
    assert_eq!(action(1).as_deref(), Some("report.exported"), "an existing entry is never rewritten");
    assert_eq!(action(2).as_deref(), Some("report.viewed"), "a later entry is never erased");
    let done = admin.get(&format!("/activities?entityType=backup&entityId={id}")).await;
    let restored = done.body["items"].as_array().unwrap().iter().find(|a| a["action"] == "backup.restored").cloned();
    let restored = restored.unwrap_or_else(|| panic!("{:?}", done.body));
    assert_eq!(restored["changes"]["deleted"]["to"], json!({}), "{restored}");
    let count = |what: &str| restored["changes"][what]["to"]["activity"].as_u64().unwrap_or(0);
    assert_eq!(count("restored") - count("kept"), 1, "only the lost entry was written: {restored}");
}
