//! API keys: the record and the grant the authorizer finds by the secret's digest (a platform
//! lookup that trusts only the organization of the grant's partition key), written and deleted
//! together.

use podcastflow_domain::api_key::{ApiKey, ApiKeyGrant};
use podcastflow_domain::keys::{Index, lookup};
use podcastflow_domain::{ApiKeyId, OrgId};

use super::{EntityPage, RepoError, Write, commit, get};
use crate::cursor::{self, CursorCodec};
use crate::item;
use crate::table::{Query, Table};

/// Reads and writes API keys.
pub struct ApiKeyRepo<'a> {
    table: &'a dyn Table,
    cursors: &'a CursorCodec,
}

impl<'a> ApiKeyRepo<'a> {
    /// A repository on an organization's table (or, for [`Self::grant`], the platform's).
    pub fn new(table: &'a dyn Table, cursors: &'a CursorCodec) -> Self {
        Self { table, cursors }
    }

    /// Stores a new key whose secret has the SHA-256 (hex) `digest`.
    pub async fn create(&self, key: &ApiKey, digest: &str) -> Result<(), RepoError> {
        let grant_key = ApiKey::grant_key(&key.org_id, &key.id);
        let owner = format!("ORG#{}", key.org_id);
        let grant = super::lookup_item(&grant_key, "apiKeyGrant", &key.grant(), lookup::api_key(digest), owner)?;
        commit(self.table, vec![Write::claim(grant, "API key"), Write::create(key)?]).await
    }

    /// The grant of a presented secret's digest: the one grant indexed under it whose key and
    /// attributes name the same organization and key. Grants of more than one organization under
    /// one digest are none at all (only a bug or an attack makes them).
    pub async fn grant(&self, digest: &str) -> Result<Option<ApiKeyGrant>, RepoError> {
        let mut grants = Vec::new();
        for (org, i) in super::lookup(self.table, &lookup::api_key(digest)).await? {
            let key = item::key_of(&i)?;
            let g: ApiKeyGrant = item::from_item(i)?;
            if g.org_id == org && key == ApiKey::grant_key(&org, &g.key_id) {
                grants.push(g);
            }
        }
        if grants.len() > 1 {
            let orgs: Vec<String> = grants.iter().map(|g| g.org_id.to_string()).collect();
            tracing::error!(?orgs, "an API key's grant is claimed by more than one organization; refusing all");
            return Ok(None);
        }
        Ok(grants.pop())
    }

    /// Reads a key.
    pub async fn get(&self, org: &OrgId, id: &ApiKeyId) -> Result<Option<ApiKey>, RepoError> {
        get(self.table, &ApiKey::key_of(org, id)).await
    }

    /// Revokes a key: its record and grant go; requests with it are refused from then on
    /// (authorizer cache aside).
    pub async fn revoke(&self, org: &OrgId, id: &ApiKeyId) -> Result<(), RepoError> {
        let key = ApiKey::key_of(org, id);
        let record = self.table.get(&key).await?.ok_or(RepoError::NotFound)?;
        let version = item::version_of(&record);
        commit(self.table, vec![Write::delete_versioned(key, version), Write::delete(ApiKey::grant_key(org, id))]).await
    }

    /// The organization's keys, newest first.
    pub async fn list(&self, org: &OrgId, cursor: Option<&str>, limit: u32) -> Result<EntityPage<ApiKey>, RepoError> {
        let q = Query::partition(Index::Gsi1, ApiKey::list_pk(org)).reverse().limit(limit);
        EntityPage::decode(cursor::page(self.table, self.cursors, &q, cursor).await?)
    }
}
