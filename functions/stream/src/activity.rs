//! The activity processor: each change of an audited entity becomes one activity record.

use chrono::{DateTime, Utc};
use podcastflow_domain::ActivityId;
use podcastflow_domain::activity::Activity;
use podcastflow_domain::keys::org_of_pk;
use podcastflow_domain::record::RecordType;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::activities::ActivityRepo;
use podcastflow_store::{ChangeRecord, TenantTable};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::StreamApp;

/// When a change happened: the writer's own timestamp in the new image (millisecond precision or
/// better), else the stream's (whole seconds in DynamoDB Streams), so the log keeps the order of
/// changes made within one second.
pub(crate) fn when(change: &ChangeRecord) -> DateTime<Utc> {
    let stamp = |name: &str| change.new_image.as_ref()?.get(name)?.as_str()?.parse::<DateTime<Utc>>().ok();
    stamp("updatedAt").or_else(|| stamp("addedAt")).unwrap_or(change.at)
}

/// The activity id of a change: its time and a digest of its position in the stream, so a record
/// delivered twice maps to the same id (and the second write is a no-op).
fn activity_id(change: &ChangeRecord) -> ActivityId {
    ActivityId::from(change_ulid(change, "", when(change)))
}

/// A ULID at `at` whose random part is a digest of the change's place in the stream (and `extra`):
/// the same for every delivery of one record, so what a processor derives from it is written once.
pub(crate) fn change_ulid(change: &ChangeRecord, extra: &str, at: DateTime<Utc>) -> ulid::Ulid {
    let seed = format!("{}|{}|{}|{extra}", change.sequence, change.key.pk, change.key.sk);
    let digest = Sha256::digest(seed.as_bytes());
    let mut random = [0u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    ulid::Ulid::from_parts(u64::try_from(at.timestamp_millis()).unwrap_or(0), u128::from_be_bytes(random))
}

/// Records the activity of one change; `Ok(false)` when the change is not audited (another kind
/// of item, outside a tenant, or a TTL expiry).
pub(crate) async fn record(app: &StreamApp, change: &ChangeRecord) -> Result<bool, RepoError> {
    if change.expired {
        return Ok(false);
    }
    let Some(org) = org_of_pk(&change.key.pk) else { return Ok(false) };
    let image = change.new_image.as_ref().or(change.old_image.as_ref());
    let Some(kind) = image.and_then(RecordType::of_item) else { return Ok(false) };
    let before = change.old_image.clone().map(Value::Object);
    let after = change.new_image.clone().map(Value::Object);
    let Some(activity) =
        Activity::of_change(activity_id(change), org, kind, before.as_ref(), after.as_ref(), when(change))
    else {
        return Ok(false);
    };
    // A write that changed only bookkeeping (version, timestamps) is not worth an entry.
    if activity.changes.is_empty() && activity.action.ends_with(".updated") && kind != RecordType::AvailabilitySet {
        return Ok(false);
    }
    let tenant = TenantTable::new(app.ctx.tenants.for_org(&org), org, app.ctx.cursors.as_ref().clone());
    if ActivityRepo::new(&tenant).record(&activity).await? {
        // Counted once per activity, however often the record is delivered: the business
        // counters of the monitoring endpoints (`campaign.transitioned`...).
        app.ctx.telemetry.count(&org.to_string(), &activity.action, 1);
    }
    Ok(true)
}
