//! The webhooks processor: each change that makes an event of the catalogue
//! (`podcastflow_domain::webhook::event::of_change`) becomes one delivery per endpoint of the
//! organization that subscribes to its type, its `data` the entity as an admin's GET shows it
//! ([`crate::realtime::admin_view`]). The message id is derived from the change's place in the
//! stream and the type, so a record processed twice makes each delivery once. An endpoint that is
//! turned off gets the delivery `skipped`, which a replay sends. The dispatcher sends the rest.

use chrono::Utc;
use podcastflow_domain::keys::org_of_pk;
use podcastflow_domain::record::RecordType;
use podcastflow_domain::webhook::delivery::WebhookDelivery;
use podcastflow_domain::webhook::event::{Envelope, of_change};
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::webhooks::WebhookRepo;
use podcastflow_store::{ChangeRecord, TenantTable};
use serde_json::Value;

use crate::StreamApp;
use crate::activity::{change_ulid, when};
use crate::realtime::admin_view;

/// Makes the deliveries of one change; the number made.
pub(crate) async fn enqueue(app: &StreamApp, change: &ChangeRecord) -> Result<u32, RepoError> {
    if change.expired {
        return Ok(0);
    }
    let Some(org) = org_of_pk(&change.key.pk) else { return Ok(0) };
    let Some(kind) = change.new_image.as_ref().and_then(RecordType::of_item) else { return Ok(0) };
    let before = change.old_image.clone().map(Value::Object);
    let after = change.new_image.clone().map(Value::Object);
    let types = of_change(kind, before.as_ref(), after.as_ref());
    if types.is_empty() {
        return Ok(0);
    }
    let t = TenantTable::new(app.ctx.tenants.for_org(&org), org, app.ctx.cursors.as_ref().clone());
    let repo = WebhookRepo::new(&t);
    let endpoints = repo.list(&org).await?;
    if !types.iter().any(|ty| endpoints.iter().any(|e| e.subscribes(ty))) {
        return Ok(0);
    }
    let Some(data) = admin_view(&t, kind, change).await? else { return Ok(0) };
    let (at, now) = (when(change), Utc::now());
    let mut made = 0;
    for ty in types {
        let envelope = Envelope::new(&change_ulid(change, ty, at).to_string(), ty, at, org, data.clone());
        for e in endpoints.iter().filter(|e| e.subscribes(ty)) {
            let d = match e.enabled {
                true => WebhookDelivery::new(e.id, &envelope, now),
                false => WebhookDelivery::skipped(e.id, &envelope, now),
            };
            match d {
                Ok(d) => made += u32::from(repo.enqueue(&d).await?),
                Err(err) => tracing::warn!(event = ty, endpoint = %e.id, error = %err, "webhook event not delivered"),
            }
        }
    }
    Ok(made)
}
