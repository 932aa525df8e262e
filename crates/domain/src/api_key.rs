//! API keys: credentials for machine clients of one organization, each with a role (never
//! master). The secret is shown once at creation; only its SHA-256 is stored.
//!
//! Keys and access patterns:
//! - the key record: `ORG#<o>#APIKEY#<k>` / `PROFILE` (read, revoke);
//! - list the organization's keys, newest first: GSI1 `ORG#<o>#APIKEYS` / `<k>`;
//! - the grant the authorizer reads: `ORG#<o>#APIKEY#<k>` / `GRANT`, found by the secret's
//!   digest through the lookup GSI1 [`crate::keys::lookup::api_key`] / `ORG#<o>` (written with
//!   the record, deleted with it on revocation).

use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::{ApiKeyId, OrgId, Role, Stamp, ValidationErrors};

/// Prefix of every API key secret, so a key is recognisable in logs and secret scanners.
pub const SECRET_PREFIX: &str = "pfk_";

/// An API key (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// Its id.
    pub id: ApiKeyId,
    /// Its organization.
    pub org_id: OrgId,
    /// What it is for, e.g. "reporting export".
    pub name: String,
    /// The role requests with it act in.
    pub role: Role,
    /// The first characters of the secret, to recognise it in a list.
    pub hint: String,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// The value API Gateway's usage plan for API keys knows a key by (the authorizer's
/// `usageIdentifierKey`): its id, 26 characters. Clients cannot send it (the gateway takes it
/// only from the authorizer), so it need not be secret.
pub fn usage_key(id: &ApiKeyId) -> String {
    id.to_string()
}

/// What the authorizer reads when a request presents an API key: kept beside the key's record,
/// found through [`crate::keys::lookup::api_key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyGrant {
    /// The key.
    pub key_id: ApiKeyId,
    /// Its organization.
    pub org_id: OrgId,
    /// Its role.
    pub role: Role,
}

impl ApiKey {
    /// Field errors, if any.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        v.text("name", &self.name, 120);
        if matches!(self.role, Role::Master | Role::Client) {
            v.add("role", "not_allowed", "an API key acts as admin, seller, producer or talent");
        }
        v.into_result()
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &ApiKeyId) -> Key {
        Key::new(org_pk(org, format!("APIKEY#{id}")), PROFILE)
    }

    /// GSI1 partition listing the organization's keys.
    pub fn list_pk(org: &OrgId) -> String {
        org_pk(org, "APIKEYS")
    }

    /// Where the key's grant is kept.
    pub fn grant_key(org: &OrgId, id: &ApiKeyId) -> Key {
        Key::new(org_pk(org, format!("APIKEY#{id}")), "GRANT")
    }

    /// The grant the authorizer reads.
    pub fn grant(&self) -> ApiKeyGrant {
        ApiKeyGrant { key_id: self.id, org_id: self.org_id, role: self.role }
    }
}

impl Entity for ApiKey {
    const TYPE: &'static str = "apiKey";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(Index::Gsi1, Key::new(Self::list_pk(&self.org_id), self.id.to_string()))]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}
