//! Which stream records ask the job for what.

use podcastflow_domain::UserId;
use podcastflow_domain::backup::{BackupKind, BackupStatus};
use podcastflow_store::feed::ChangeKey;
use podcastflow_store::{ChangeKind, ChangeRecord};

use super::*;

fn record(old: Option<&Backup>, new: Option<&Backup>) -> ChangeRecord {
    let image = |b: &Backup| {
        let mut v = serde_json::to_value(b).unwrap();
        v["entityType"] = "backup".into();
        v.as_object().cloned().unwrap()
    };
    let b = new.or(old).unwrap();
    let key = Backup::key_of(&b.org_id, &b.id);
    ChangeRecord {
        sequence: "1".into(),
        kind: if new.is_none() { ChangeKind::Remove } else { ChangeKind::Modify },
        key: ChangeKey { pk: key.pk, sk: key.sk },
        old_image: old.map(image),
        new_image: new.map(image),
        at: chrono::Utc::now(),
        expired: false,
    }
}

#[test]
fn queued_backups_and_restores_run_and_removed_ones_lose_their_objects() {
    let b = Backup::queued(OrgId::new(), BackupKind::Manual, UserId::new(), chrono::Utc::now());
    assert_eq!(work(&record(None, Some(&b))), Some(Work::Export(b.org_id, b.id)));
    let done = Backup { status: BackupStatus::Completed, ..b.clone() };
    assert_eq!(work(&record(Some(&b), Some(&done))), None, "progress and completion ask nothing");
    let restoring = Backup {
        restore: Some(podcastflow_domain::backup::Restore {
            entities: vec![podcastflow_domain::backup::RestoreGroup::Campaigns],
            mode: podcastflow_domain::backup::RestoreMode::Merge,
            status: BackupStatus::Queued,
            progress: 0,
            restored: Default::default(),
            deleted: Default::default(),
            error: None,
            requested_by: UserId::new(),
            requested_at: chrono::Utc::now(),
        }),
        ..done.clone()
    };
    assert_eq!(work(&record(Some(&done), Some(&restoring))), Some(Work::Restore(b.org_id, b.id)));
    assert_eq!(work(&record(Some(&done), None)), Some(Work::DeleteObjects(b.org_id, b.id)));
}

#[tokio::test]
async fn the_sample_batch_runs_its_backup_once_and_records_an_unreachable_bucket_as_a_failure() {
    use std::sync::Arc;

    use podcastflow_store::embedded::EmbeddedTable;
    use podcastflow_store::repo::backups::BackupRepo;

    let dir = tempfile::tempdir().unwrap();
    let table = EmbeddedTable::open(dir.path()).unwrap();
    // Nothing listens on port 9: every S3 call fails as in an outage.
    let objects = Objects::local("http://127.0.0.1:9", "us-east-1", "AKIA", "secret", "backups");
    let app = BackupJobApp { ctx: AppContext::new(Arc::new(table), b"s".to_vec()), objects };
    let event: Event = serde_json::from_str(include_str!("../../../events/backup-job/backup-queued.json")).unwrap();
    // No record yet (deleted before the job ran): nothing to do.
    let answer = handle(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
    assert!(answer.batch_item_failures.is_empty());

    let change = from_event_record(&event.records[0]).unwrap();
    let b: Backup = serde_json::from_value(Value::Object(change.new_image.unwrap())).unwrap();
    let t = tenant(&app, b.org_id);
    BackupRepo::new(&t).create(&b).await.unwrap();
    for _ in 0..2 {
        let answer = handle(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
        assert!(answer.batch_item_failures.is_empty());
    }
    let stored = BackupRepo::new(&t).get(&b.id).await.unwrap().unwrap();
    assert_eq!(stored.status, BackupStatus::Failed);
    assert!(stored.error.as_deref().unwrap_or_default().contains("object storage"), "{stored:?}");
    assert_eq!(stored.stamp.version, 3, "claimed once, failed once; the second delivery did nothing");
}

#[tokio::test]
async fn the_hourly_sample_event_runs_the_schedule_at_its_time() {
    use std::sync::Arc;

    use podcastflow_domain::backup::{BackupSchedule, Frequency};
    use podcastflow_domain::organization::{OrgSettings, OrgStatus, Organization};
    use podcastflow_domain::{Stamp, UserId};
    use podcastflow_store::embedded::EmbeddedTable;
    use podcastflow_store::repo::backups::BackupRepo;
    use podcastflow_store::repo::organizations::OrganizationRepo;

    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::local("http://127.0.0.1:9", "us-east-1", "AKIA", "secret", "backups");
    let app = BackupJobApp {
        ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()),
        objects,
    };
    let event: Value = serde_json::from_str(include_str!("../../../events/backup-schedule/hourly.json")).unwrap();
    let empty = handle_schedule(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
    assert_eq!((empty.organizations, empty.started, empty.expired), (0, 0, 0));

    // An organization backed up daily at 03:00 UTC gets its backup from the 03:00 event, once.
    let org_id = OrgId::new();
    let org = Organization {
        id: org_id,
        name: "Sample".into(),
        slug: format!("sample-{}", org_id.to_string().to_lowercase()),
        status: OrgStatus::Active,
        plan: "standard".into(),
        settings: OrgSettings {
            backup_schedule: Some(BackupSchedule { enabled: true, frequency: Frequency::Daily, hour: 3 }),
            ..OrgSettings::default()
        },
        stamp: Stamp::created(UserId::new(), chrono::Utc::now()),
    };
    OrganizationRepo::new(app.ctx.table.as_ref(), &app.ctx.cursors).create(&org).await.unwrap();
    for started in [1, 0] {
        let report =
            handle_schedule(&app, LambdaEvent::new(event.clone(), lambda_http::Context::default())).await.unwrap();
        assert_eq!((report.organizations, report.started), (1, started));
    }
    let t = tenant(&app, org.id);
    assert_eq!(BackupRepo::new(&t).list(None, 10).await.unwrap().items.len(), 1);
}
