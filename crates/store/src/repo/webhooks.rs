//! An organization's webhook endpoints (keys and access patterns in
//! `podcastflow_domain::webhook::endpoint`): at most 20, counted in the transaction that makes or
//! deletes one.

use podcastflow_domain::keys::{self, Index};
use podcastflow_domain::webhook::endpoint::{MAX_ENDPOINTS, WebhookEndpoint};
use podcastflow_domain::{OrgId, WebhookId};

use super::{OnConflict, RepoError, Write, commit, get};
use crate::condition::{Condition, Update};
use crate::item;
use crate::table::{Query, Table, TransactOp};

/// The attribute of the endpoint counter.
const COUNT: &str = "count";

/// Reads and writes an organization's webhook endpoints.
pub struct WebhookRepo<'a> {
    table: &'a dyn Table,
}

impl<'a> WebhookRepo<'a> {
    /// A repository on an organization's table.
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// Stores a new endpoint, unless the organization has [`MAX_ENDPOINTS`] already
    /// (`Conflict("webhook endpoint limit")`).
    pub async fn create(&self, e: &WebhookEndpoint) -> Result<(), RepoError> {
        let below_limit = Condition::Any(vec![
            Condition::AttributeMissing(COUNT.into()),
            Condition::AtMost(COUNT.into(), MAX_ENDPOINTS as i64 - 1),
        ]);
        let key = WebhookEndpoint::count_key(&e.org_id);
        let mut update = Update::new().set(keys::ENTITY, "counter").add(COUNT, 1);
        // Only updates make the counter: it is placed in the tenant index here, so backups
        // carry it beside the endpoints it counts.
        if let Some(at) = keys::tenant_index_key(&key.pk, &key.sk) {
            let (p, s) = Index::Gsi5.attributes();
            update = update.set(p, at.pk).set(s, at.sk);
        }
        let count = Write {
            op: TransactOp::Update { key, update, condition: below_limit },
            on_conflict: OnConflict::Conflict("webhook endpoint limit"),
        };
        commit(self.table, vec![count, Write::create(e)?]).await
    }

    /// Endpoint `id` of `org`, if any.
    pub async fn get(&self, org: &OrgId, id: &WebhookId) -> Result<Option<WebhookEndpoint>, RepoError> {
        get(self.table, &WebhookEndpoint::key_of(org, id)).await
    }

    /// Replaces an endpoint read at version `expected` (the endpoint carries `expected + 1`).
    pub async fn save(&self, e: &WebhookEndpoint, expected: u64) -> Result<(), RepoError> {
        commit(self.table, vec![Write::replace(e, expected)?]).await
    }

    /// Deletes an endpoint read at version `expected`, and counts it out.
    pub async fn delete(&self, org: &OrgId, id: &WebhookId, expected: u64) -> Result<(), RepoError> {
        let count = Write {
            op: TransactOp::Update {
                key: WebhookEndpoint::count_key(org),
                update: Update::new().add(COUNT, -1),
                condition: Condition::Exists,
            },
            on_conflict: OnConflict::Conflict("webhook endpoint counter"),
        };
        commit(self.table, vec![Write::delete_versioned(WebhookEndpoint::key_of(org, id), expected), count]).await
    }

    /// Every endpoint of `org`, oldest first (at most [`MAX_ENDPOINTS`]: one page).
    pub async fn list(&self, org: &OrgId) -> Result<Vec<WebhookEndpoint>, RepoError> {
        let q = Query::partition(Index::Gsi1, WebhookEndpoint::list_pk(org)).limit(MAX_ENDPOINTS as u32 + 1);
        let page = self.table.query(&q).await?;
        page.items.into_iter().map(|i| item::from_item(i).map_err(RepoError::from)).collect()
    }
}
