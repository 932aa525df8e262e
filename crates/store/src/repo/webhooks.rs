//! An organization's webhook endpoints and their deliveries (keys and access patterns in
//! `podcastflow_domain::webhook::endpoint` and `::delivery`): at most 20 endpoints, counted in the
//! transaction that makes or deletes one; each event's delivery made once per endpoint.

use chrono::{DateTime, Utc};
use podcastflow_domain::keys::{self, Index};
use podcastflow_domain::webhook::delivery::{DELIVERY_PREFIX, WebhookDelivery};
use podcastflow_domain::webhook::endpoint::{MAX_ENDPOINTS, WebhookEndpoint};
use podcastflow_domain::{OrgId, WebhookId};

use super::{EntityPage, OnConflict, RepoError, Write, commit, get};
use crate::condition::{Condition, Update};
use crate::item;
use crate::table::{KeyCondition, Query, Table, TransactOp};
use crate::tenant::TenantTable;

/// The attribute of the endpoint counter.
const COUNT: &str = "count";

/// Reads and writes an organization's webhook endpoints.
pub struct WebhookRepo<'a> {
    table: &'a TenantTable,
}

impl<'a> WebhookRepo<'a> {
    /// A repository on an organization's table.
    pub fn new(table: &'a TenantTable) -> Self {
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
        // Only updates make the counter: it is placed in the tenant index here, as every lasting
        // item of the organization is (the adapters add it only to the items they put).
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

    /// Makes a delivery unless it was made already (a stream record processed again): `false`
    /// then.
    pub async fn enqueue(&self, d: &WebhookDelivery) -> Result<bool, RepoError> {
        match commit(self.table, vec![Write::create(d)?]).await {
            Err(RepoError::AlreadyExists) => Ok(false),
            other => other.map(|()| true),
        }
    }

    /// Delivery `id` of endpoint `endpoint`, if any.
    pub async fn delivery(
        &self,
        org: &OrgId,
        endpoint: &WebhookId,
        id: &str,
    ) -> Result<Option<WebhookDelivery>, RepoError> {
        get(self.table, &WebhookDelivery::key_of(org, endpoint, id)).await
    }

    /// Replaces a delivery read at version `expected` (the delivery carries `expected + 1`).
    pub async fn save_delivery(&self, d: &WebhookDelivery, expected: u64) -> Result<(), RepoError> {
        commit(self.table, vec![Write::replace(d, expected)?]).await
    }

    /// Deletes a delivery (its endpoint is gone).
    pub async fn forget_delivery(&self, d: &WebhookDelivery) -> Result<(), RepoError> {
        commit(
            self.table,
            vec![Write::delete_versioned(WebhookDelivery::key_of(&d.org_id, &d.endpoint_id, &d.id), d.version)],
        )
        .await
    }

    /// One page of an endpoint's deliveries, newest event first; with `since`, only those of
    /// events at or after it.
    pub async fn deliveries(
        &self,
        org: &OrgId,
        endpoint: &WebhookId,
        since: Option<DateTime<Utc>>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<WebhookDelivery>, RepoError> {
        let partition = WebhookEndpoint::key_of(org, endpoint).pk;
        let sort = match since {
            // Message ids are `msg_` and a ULID of the event's time: a time is a bound on ids.
            Some(t) => KeyCondition::Between(
                format!("{DELIVERY_PREFIX}{}", WebhookDelivery::first_id_at(t)),
                format!("{DELIVERY_PREFIX}msg_~"),
            ),
            None => KeyCondition::BeginsWith(DELIVERY_PREFIX.to_owned()),
        };
        let q = Query::partition(Index::Main, partition).sort(sort).reverse().limit(limit);
        EntityPage::decode(self.table.page(&q, cursor).await?)
    }

    /// The organization's deliveries due by `now`, soonest first, at most `limit`.
    pub async fn due(&self, org: &OrgId, now: DateTime<Utc>, limit: u32) -> Result<Vec<WebhookDelivery>, RepoError> {
        // Every key due at `now` sorts before `<now>#~` (`#` and the ids sort below `~`).
        let q = Query::partition(Index::Gsi2, WebhookDelivery::due_pk(org))
            .sort(KeyCondition::Le(format!("{}#~", WebhookDelivery::due_sk(now))))
            .limit(limit);
        let page = self.table.query(&q).await?;
        page.items.into_iter().map(|i| item::from_item(i).map_err(RepoError::from)).collect()
    }
}
