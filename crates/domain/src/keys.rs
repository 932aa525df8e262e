//! The single-table key shape and the tenant rule.
//!
//! Attributes: `PK`, `SK`, `GSI1PK`..`GSI5SK` (five GSIs, the fifth the tenant index every
//! adapter maintains itself), `entityType`, `version`, `expiresAt`.
//! Every item of an organization has a partition key starting with `ORG#<orgId>#`, and so does every
//! GSI partition key of that item, except the platform lookups of [`lookup`] (GSI1 partitions
//! starting with `LOOKUP#`, which the platform reads and no tenant can query). Tenant keys are
//! built only through [`org_pk`], which takes an [`OrgId`]; platform items use the prefixes in
//! [`platform`]. Each entity module documents its own access patterns beside its key builders.

use std::fmt;

use serde::{Serialize, de::DeserializeOwned};

use crate::OrgId;

/// Partition key attribute of the table.
pub const PK: &str = "PK";
/// Sort key attribute of the table.
pub const SK: &str = "SK";
/// Attribute naming the entity type of an item. Not `entity`: activities and notifications have
/// a domain field of that name (`entity {type, id}`).
pub const ENTITY: &str = "entityType";
/// Attribute holding the optimistic-concurrency version.
pub const VERSION: &str = "version";
/// TTL attribute (epoch seconds); the table deletes the item some time after it passes.
pub const EXPIRES_AT: &str = "expiresAt";
/// The id of the request whose write produced the item's current image (for the change stream's
/// audit trail; written by the tenant table handle of that request).
pub const REQUEST_ID: &str = "requestId";
/// The mark a restore writes on each item it puts back (the restore run's
/// [`crate::backup::restore_mark`]), so the change processors pass over its writes: one
/// `backup.restored` entry stands for them all ([`crate::backup::made_by_restore`]).
pub const RESTORED_BY: &str = "restoredBy";
/// The mark a replace restore writes on an item just before it deletes it, so the deletion too is
/// passed over.
pub const REMOVED_BY_RESTORE: &str = "removedByRestore";

/// A table index: the main table or one of the global secondary indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    /// The table itself (`PK`, `SK`).
    Main,
    /// `GSI1PK`/`GSI1SK`: per-tenant, per-type lists, and the platform lookups ([`lookup`]).
    Gsi1,
    /// `GSI2PK`/`GSI2SK`: secondary lists (by owner, parent or status).
    Gsi2,
    /// `GSI3PK`/`GSI3SK`: lists by status (campaigns and episodes per status, the daily job's
    /// due campaigns).
    Gsi3,
    /// `GSI4PK`/`GSI4SK`: lists by last update (most recently changed first).
    Gsi4,
    /// `GSI5PK`/`GSI5SK`: the tenant index, every lasting item of an organization spread over
    /// [`TENANT_SHARDS`] partitions, so an export reads just that tenant ([`tenant_index_key`]).
    Gsi5,
}

impl Index {
    /// Every index, main first.
    pub const ALL: [Index; 6] = [Index::Main, Index::Gsi1, Index::Gsi2, Index::Gsi3, Index::Gsi4, Index::Gsi5];

    /// The global secondary indexes.
    pub const SECONDARY: [Index; 5] = [Index::Gsi1, Index::Gsi2, Index::Gsi3, Index::Gsi4, Index::Gsi5];

    /// The index's name in DynamoDB (`None` for the table itself).
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Index::Main => None,
            Index::Gsi1 => Some("GSI1"),
            Index::Gsi2 => Some("GSI2"),
            Index::Gsi3 => Some("GSI3"),
            Index::Gsi4 => Some("GSI4"),
            Index::Gsi5 => Some("GSI5"),
        }
    }

    /// The partition and sort key attribute names of this index.
    pub fn attributes(&self) -> (&'static str, &'static str) {
        match self {
            Index::Main => (PK, SK),
            Index::Gsi1 => ("GSI1PK", "GSI1SK"),
            Index::Gsi2 => ("GSI2PK", "GSI2SK"),
            Index::Gsi3 => ("GSI3PK", "GSI3SK"),
            Index::Gsi4 => ("GSI4PK", "GSI4SK"),
            Index::Gsi5 => ("GSI5PK", "GSI5SK"),
        }
    }
}

/// A primary key: partition and sort key values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Partition key value.
    pub pk: String,
    /// Sort key value.
    pub sk: String,
}

impl Key {
    /// A key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.pk, self.sk)
    }
}

/// The prefix every partition key of an organization's items starts with.
pub fn tenant_prefix(org: &OrgId) -> String {
    format!("ORG#{org}#")
}

/// The organization a tenant partition key belongs to (`ORG#<orgId>#...`), if it is one.
pub fn org_of_pk(pk: &str) -> Option<OrgId> {
    pk.strip_prefix("ORG#")?.split('#').next()?.parse().ok()
}

/// Partitions of the tenant index per organization: a large tenant's writes spread over them,
/// and an export reads them side by side.
pub const TENANT_SHARDS: u32 = 8;

/// Item types that live minutes or hours (webhook deliveries: an operational log of 30 days) and
/// are never exported or restored, so they stay out of the tenant index (and cost no index
/// write).
pub const EPHEMERAL: [&str; 9] = [
    "connection",
    "subscription",
    "presence",
    "idempotency",
    "digestMarker",
    "revokedSignIn",
    "listenerLedger",
    "listenerSecret",
    "webhookDelivery",
];

/// Item types derived from others and rebuilt from them (the reader index,
/// [`crate::readers`]): never exported or restored, so they stay out of the tenant index.
pub const DERIVED: [&str; 1] = [crate::readers::READER_ENTRY];

/// Whether items of type `entity_type` stay out of the tenant index (and so out of backups).
pub fn outside_tenant_index(entity_type: &str) -> bool {
    EPHEMERAL.contains(&entity_type) || DERIVED.contains(&entity_type)
}

/// A tenant index partition: `ORG#<o>#ITEMS#<shard>`.
pub fn tenant_index_pk(org: &OrgId, shard: u32) -> String {
    org_pk(org, format!("ITEMS#{shard}"))
}

/// Where an item of a tenant sits in the tenant index: the shard follows a hash of its partition
/// key (so an item collection stays in one shard), the sort key is `<PK>|<SK>`. `None` for
/// platform items.
pub fn tenant_index_key(pk: &str, sk: &str) -> Option<Key> {
    let org = org_of_pk(pk)?;
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = pk.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    Some(Key::new(tenant_index_pk(&org, hash % TENANT_SHARDS), format!("{pk}|{sk}")))
}

/// A tenant partition key: `ORG#<orgId>#<rest>`.
pub fn org_pk(org: &OrgId, rest: impl fmt::Display) -> String {
    format!("ORG#{org}#{rest}")
}

/// The remembered first answer to a create sent with an `Idempotency-Key`, per tenant and
/// principal (`key_digest`: SHA-256 of the header value). Kept 24 hours by TTL.
pub fn idempotency(org: &OrgId, principal: &str, key_digest: &str) -> Key {
    Key::new(org_pk(org, format!("IDEMPOTENCY#{principal}#{key_digest}")), "RESPONSE")
}

/// Sort key of an entity's own record inside its item collection.
pub const PROFILE: &str = "PROFILE";

/// Platform items: not owned by any one tenant. Only uniqueness claims, sign-in throttles and
/// exchanged refresh tokens live here; none of them grants anything. What a user or an API key
/// may do lives in their organization's partition and is found through a [`lookup`].
pub mod platform {
    use super::Key;

    /// Uniqueness claim on an organization slug.
    pub fn slug(slug: &str) -> Key {
        Key::new(format!("SLUG#{slug}"), "SLUG")
    }

    /// Uniqueness claim on an e-mail (lower-cased); also the sign-in lookup email -> user.
    pub fn email(email: &str) -> Key {
        Key::new(format!("EMAIL#{}", email.to_lowercase()), "EMAIL")
    }

    /// Failed sign-ins of one account (by a digest of its e-mail) or one client IP, for throttling.
    pub fn login_failures(subject: &str) -> Key {
        Key::new(format!("THROTTLE#LOGIN#{subject}"), "FAILURES")
    }

    /// A refresh token (by the SHA-256 of it) that was exchanged for a new one: presenting it
    /// again is reuse, and ends its sign-in.
    pub fn rotated_refresh_token(digest: &str) -> Key {
        Key::new(format!("REFRESH#{digest}"), "ROTATED")
    }
}

/// Platform lookups: how the platform finds a tenant's item by something other than its
/// organization (a user's membership by the user, an API key's grant by its secret, every
/// organization). The item lives in its organization's partition, where only that
/// organization's credentials can write it, and carries a GSI1 key under `LOOKUP#`, which no
/// tenant session may query. A tenant can put any lookup key on its own items, so a reader
/// trusts only the organization the item's partition key names ([`owner`]), never one the
/// item's attributes claim: a bug in one tenant can at most point a lookup at that same tenant.
pub mod lookup {
    use super::{Index, org_of_pk};
    use crate::{OrgId, UserId};

    /// The index the lookups live in.
    pub const INDEX: Index = Index::Gsi1;

    /// What every lookup partition starts with.
    pub const PREFIX: &str = "LOOKUP#";

    /// Every organization (master's list, the scheduled jobs), by id.
    pub const ORGANIZATIONS: &str = "LOOKUP#ORGS";

    /// A user's membership and revoked sign-ins, read by the authorizer.
    pub fn user(user: &UserId) -> String {
        format!("{PREFIX}USER#{user}")
    }

    /// An API key's grant by the SHA-256 (hex) of its secret, read by the authorizer.
    pub fn api_key(secret_digest: &str) -> String {
        format!("{PREFIX}APIKEY#{secret_digest}")
    }

    /// The organization an item found through a lookup belongs to: the one its partition key
    /// names (`None` for an item outside every tenant).
    pub fn owner(pk: &str) -> Option<OrgId> {
        org_of_pk(pk)
    }

    /// Whether an index partition key is a lookup's.
    pub fn is_lookup(index_pk: &str) -> bool {
        index_pk.starts_with(PREFIX)
    }
}

/// What every stored entity provides so a generic repository can persist it.
pub trait Entity: Serialize + DeserializeOwned + Send + Sync {
    /// The value of the `entity` attribute, e.g. `campaign`.
    const TYPE: &'static str;

    /// The organization that owns it.
    fn org_id(&self) -> &OrgId;

    /// Its primary key.
    fn key(&self) -> Key;

    /// Its secondary index keys (the lists it appears in).
    fn index_keys(&self) -> Vec<(Index, Key)> {
        Vec::new()
    }

    /// Its current version.
    fn version(&self) -> u64;
}

/// Lower-cases and trims a name so it sorts and prefix-matches case-insensitively in a key.
pub fn sortable_name(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_index_keeps_a_collection_in_one_shard_of_its_tenant() {
        let org = OrgId::new();
        let pk = org_pk(&org, "CAMPAIGN#c1");
        let (a, b) = (tenant_index_key(&pk, "PROFILE").unwrap(), tenant_index_key(&pk, "MEMBER#u").unwrap());
        assert_eq!(a.pk, b.pk);
        assert!(a.pk.starts_with(&tenant_prefix(&org)) && a.pk.contains("#ITEMS#"));
        assert_eq!(a.sk, format!("{pk}|PROFILE"));
        assert!(tenant_index_key("EMAIL#a@b.co", "x").is_none());
        let shards: std::collections::BTreeSet<String> =
            (0..200).filter_map(|i| tenant_index_key(&org_pk(&org, format!("X#{i}")), "S")).map(|k| k.pk).collect();
        assert_eq!(shards.len(), TENANT_SHARDS as usize, "spread over every shard");
    }

    #[test]
    fn tenant_keys_carry_the_prefix() {
        let org = OrgId::new();
        let pk = org_pk(&org, "CAMPAIGN#x");
        assert!(pk.starts_with(&tenant_prefix(&org)));
        assert_eq!(pk, format!("ORG#{org}#CAMPAIGN#x"));
    }

    #[test]
    fn platform_keys_never_look_like_tenant_keys() {
        let keys = [
            platform::slug("acme"),
            platform::email("A@B.co"),
            platform::login_failures("ip#127.0.0.1"),
            platform::rotated_refresh_token("ab12"),
        ];
        for k in keys {
            assert!(!k.pk.starts_with("ORG#") && !lookup::is_lookup(&k.pk), "{k}");
        }
        assert_eq!(platform::email("A@B.co").pk, "EMAIL#a@b.co");
    }

    #[test]
    fn a_lookup_trusts_only_the_partition_of_what_it_finds() {
        let (org, user) = (OrgId::new(), crate::UserId::new());
        for pk in [lookup::user(&user), lookup::api_key("ab12"), lookup::ORGANIZATIONS.to_owned()] {
            assert!(lookup::is_lookup(&pk) && !pk.starts_with("ORG#"), "{pk}");
            assert_eq!(lookup::owner(&pk), None, "a lookup partition names no tenant");
        }
        assert_eq!(lookup::owner(&org_pk(&org, format!("USER#{user}"))), Some(org));
        assert_eq!(lookup::owner("EMAIL#a@b.co"), None);
        assert!(!lookup::is_lookup(&org_pk(&org, "LOOKUP#x")));
    }
}
