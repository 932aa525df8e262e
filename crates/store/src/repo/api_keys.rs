//! API keys: the tenant record and the platform grant the authorizer looks up by the secret's
//! digest, written and deleted together.

use podcastflow_domain::api_key::{ApiKey, ApiKeyGrant};
use podcastflow_domain::keys::{Index, platform};
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
    /// A repository on the whole table (the grants are platform items).
    pub fn new(table: &'a dyn Table, cursors: &'a CursorCodec) -> Self {
        Self { table, cursors }
    }

    /// Stores a new key whose secret has the SHA-256 (hex) `digest`.
    pub async fn create(&self, key: &ApiKey, digest: &str) -> Result<(), RepoError> {
        let grant = item::value_item(&platform::api_key(digest), "apiKeyGrant", &key.grant())?;
        let mut record = item::to_item(key)?;
        // The record remembers its grant's digest so revocation can delete the grant.
        record.insert("secretDigest".into(), digest.into());
        commit(
            self.table,
            vec![
                Write::claim(grant, "API key"),
                Write {
                    op: crate::table::TransactOp::Put { item: record, condition: crate::Condition::NotExists },
                    on_conflict: super::OnConflict::AlreadyExists,
                },
            ],
        )
        .await
    }

    /// The grant of a presented secret's digest.
    pub async fn grant(&self, digest: &str) -> Result<Option<ApiKeyGrant>, RepoError> {
        get(self.table, &platform::api_key(digest)).await
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
        let digest = item::str_attr(&record, "secretDigest").unwrap_or_default().to_owned();
        let version = item::version_of(&record);
        commit(self.table, vec![Write::delete_versioned(key, version), Write::delete(platform::api_key(&digest))]).await
    }

    /// The organization's keys, newest first.
    pub async fn list(&self, org: &OrgId, cursor: Option<&str>, limit: u32) -> Result<EntityPage<ApiKey>, RepoError> {
        let q = Query::partition(Index::Gsi1, ApiKey::list_pk(org)).reverse().limit(limit);
        EntityPage::decode(cursor::page(self.table, self.cursors, &q, cursor).await?)
    }
}
