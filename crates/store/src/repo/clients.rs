//! Clients and their seller assignments.

use podcastflow_domain::client::{Client, ClientStatus};
use podcastflow_domain::keys::{Index, org_pk};
use podcastflow_domain::{ClientId, UserId};
use serde_json::json;

use super::readers::ReaderRepo;
use super::{EntityPage, RepoError, Write, all_items, commit, get, get_many, ids_in, link_diff, link_item};
use crate::item::StoredItem;
use crate::table::{KeyCondition, Query};
use crate::tenant::TenantTable;

/// How to narrow a client list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFilter {
    /// Only this status.
    pub status: Option<ClientStatus>,
    /// Only names starting with this (case-insensitive).
    pub name_prefix: Option<String>,
}

/// Reads and writes one tenant's clients.
pub struct ClientRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> ClientRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    fn assignment(&self, seller: &UserId, client: &ClientId) -> Result<Write, RepoError> {
        let key = Client::assignment_key(self.t.org(), seller, client);
        Ok(Write::put(link_item(&key, "sellerAssignment", json!({"clientId": client, "sellerId": seller}))?))
    }

    /// Creates a client with its seller assignments.
    pub async fn create(&self, c: &Client) -> Result<(), RepoError> {
        let mut writes = vec![Write::create(c)?];
        for s in &c.assigned_seller_ids {
            writes.push(self.assignment(s, &c.id)?);
        }
        commit(self.t, writes).await
    }

    /// Reads a client.
    pub async fn get(&self, id: &ClientId) -> Result<Option<Client>, RepoError> {
        get(self.t, &Client::key_of(self.t.org(), id)).await
    }

    /// Replaces a client read at version `expected`, moving seller assignments as they changed, and
    /// then the reader entries of its campaigns with them.
    pub async fn update(&self, c: &Client, expected: u64) -> Result<(), RepoError> {
        let before = self.get(&c.id).await?.ok_or(RepoError::NotFound)?;
        let (added, removed) = link_diff(&before.assigned_seller_ids, &c.assigned_seller_ids);
        let mut writes = vec![Write::replace(c, expected)?];
        for s in &added {
            writes.push(self.assignment(s, &c.id)?);
        }
        for s in &removed {
            writes.push(Write::delete(Client::assignment_key(self.t.org(), s, &c.id)));
        }
        commit(self.t, writes).await?;
        ReaderRepo::new(self.t).follow_client(&c.id, &added, &removed).await
    }

    /// Lists clients by name.
    pub async fn list(
        &self,
        filter: &ClientFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Client>, RepoError> {
        let org = self.t.org();
        let mut q = match filter.status {
            Some(s) => Query::partition(Index::Gsi2, Client::by_status_pk(org, s)),
            None => Query::partition(Index::Gsi1, Client::list_pk(org)),
        }
        .limit(limit);
        if let Some(p) = &filter.name_prefix {
            q = q.sort(KeyCondition::BeginsWith(Client::name_prefix(p)));
        }
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// One page of the clients a seller is assigned to (by client id), for lists narrowed to a
    /// seller: a Query on the seller's assignments, then one batch read of that page's clients.
    pub async fn list_assigned(
        &self,
        seller: &UserId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Client>, RepoError> {
        let q = Query::partition(Index::Main, org_pk(self.t.org(), format!("SELLER#{seller}")))
            .sort(KeyCondition::BeginsWith("CLIENT#".into()))
            .limit(limit);
        let page = self.t.page(&q, cursor).await?;
        let links = page.items.into_iter().map(StoredItem::into_item).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<ClientId> = ids_in(&links, "clientId");
        Ok(EntityPage { items: self.get_many(&ids).await?, cursor: page.cursor })
    }

    /// The ids of the clients a seller is assigned to.
    pub async fn assigned_to(&self, seller: &UserId) -> Result<Vec<ClientId>, RepoError> {
        let q = Query::partition(Index::Main, org_pk(self.t.org(), format!("SELLER#{seller}")))
            .sort(KeyCondition::BeginsWith("CLIENT#".into()));
        Ok(ids_in(&all_items(self.t, &q).await?, "clientId"))
    }

    /// Whether any advertiser is bought through the agency `agency` (one Query of one item).
    pub async fn has_advertisers(&self, agency: &ClientId) -> Result<bool, RepoError> {
        let q = Query::partition(Index::Gsi4, Client::by_agency_pk(self.t.org(), agency)).limit(1);
        Ok(!self.t.page(&q, None).await?.items.is_empty())
    }

    /// Reads many clients (missing ones left out), in the order of `ids`.
    pub async fn get_many(&self, ids: &[ClientId]) -> Result<Vec<Client>, RepoError> {
        let keys: Vec<_> = ids.iter().map(|id| Client::key_of(self.t.org(), id)).collect();
        get_many(self.t, &keys).await
    }
}
