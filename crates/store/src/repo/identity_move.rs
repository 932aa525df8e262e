//! The one-off move of identity items into their organizations: until session 13 a user's
//! membership and revoked sign-ins lived under `USER#<u>`, an API key's grant under
//! `APIKEY#<sha256>` and every organization's entry under `PLATFORM#ORGS`, platform prefixes a
//! tenant's credentials had to reach. [`move_identity_items`] rewrites a table written that way
//! into today's keys (`keys::lookup`): found through the old organization list and each
//! organization's user and API-key lists (Queries, no Scan), each item written at its new key
//! before its old one is deleted, the organization's entry last, so an interrupted run picks up
//! where it stopped and a finished one finds nothing to do.

use podcastflow_domain::api_key::{ApiKey, ApiKeyGrant};
use podcastflow_domain::keys::{Index, Key, lookup};
use podcastflow_domain::organization::Organization;
use podcastflow_domain::user::{MEMBERSHIP_SK, Membership, REVOKED_PREFIX, User};
use podcastflow_domain::{ApiKeyId, OrgId, UserId};

use super::{RepoError, all_items, lookup_item};
use crate::condition::{Condition, Update};
use crate::item::{self, Item};
use crate::table::{Query, StoreError, Table};

/// The partition of the organization list before session 13.
const OLD_ORGANIZATIONS: &str = "PLATFORM#ORGS";

/// What a run moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    /// Organizations whose entry in the old list was replaced by the lookup on their record.
    pub organizations: usize,
    /// Memberships moved into their organization.
    pub memberships: usize,
    /// Revoked sign-ins moved beside their membership.
    pub revocations: usize,
    /// API-key grants moved beside their key.
    pub grants: usize,
}

impl Moved {
    /// Whether the run found anything to move.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Puts `item` unless something is there already (an earlier, interrupted run put it).
async fn put_new(table: &dyn Table, item: Item) -> Result<(), RepoError> {
    match table.put(item, Condition::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Moves every old identity item of the table (with credentials that reach all of it: the
/// local stack's own table, or an operator's in AWS).
pub async fn move_identity_items(table: &dyn Table) -> Result<Moved, RepoError> {
    let mut moved = Moved::default();
    let entries = all_items(table, &Query::partition(Index::Main, OLD_ORGANIZATIONS).limit(100)).await?;
    for entry in entries {
        let Some(org) = item::str_attr(&entry, "id").and_then(|s| s.parse::<OrgId>().ok()) else { continue };
        move_users(table, &org, &mut moved).await?;
        move_grants(table, &org, &mut moved).await?;
        let (pk, sk) = lookup::INDEX.attributes();
        let add_lookup = Update::new().set(pk, lookup::ORGANIZATIONS).set(sk, format!("ORG#{org}"));
        match table.update(&Organization::key_of(&org), add_lookup, Condition::Exists).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        table.delete(&item::key_of(&entry)?, Condition::Always).await?;
        moved.organizations += 1;
    }
    Ok(moved)
}

async fn move_users(table: &dyn Table, org: &OrgId, moved: &mut Moved) -> Result<(), RepoError> {
    let users = all_items(table, &Query::partition(Index::Gsi1, User::list_pk(org)).limit(100)).await?;
    let ids: Vec<UserId> = super::ids_in(&users, "id");
    for user in ids {
        let old = all_items(table, &Query::partition(Index::Main, format!("USER#{user}")).limit(100)).await?;
        for i in old {
            let key = item::key_of(&i)?;
            if key.sk == MEMBERSHIP_SK {
                let m: Membership = item::from_item(i.clone())?;
                if m.org_id == *org && m.user_id == user {
                    let new = Membership::key_of(org, &user);
                    put_new(table, lookup_item(&new, "membership", &m, lookup::user(&user), MEMBERSHIP_SK.into())?)
                        .await?;
                    moved.memberships += 1;
                }
            } else if let Some(origin) = key.sk.strip_prefix(REVOKED_PREFIX) {
                let new = Membership::revoked_key(org, &user, origin);
                // Its attributes (user, origin, expiry) as they were, at the new key.
                let it = lookup_item(&new, "revokedSignIn", &i, lookup::user(&user), new.sk.clone())?;
                put_new(table, it).await?;
                moved.revocations += 1;
            } else {
                continue;
            }
            table.delete(&key, Condition::Always).await?;
        }
    }
    Ok(())
}

async fn move_grants(table: &dyn Table, org: &OrgId, moved: &mut Moved) -> Result<(), RepoError> {
    let records = all_items(table, &Query::partition(Index::Gsi1, ApiKey::list_pk(org)).limit(100)).await?;
    for record in records {
        let (Some(digest), Some(id)) = (
            item::str_attr(&record, "secretDigest").map(str::to_owned),
            item::str_attr(&record, "id").and_then(|s| s.parse::<ApiKeyId>().ok()),
        ) else {
            continue;
        };
        let old = Key::new(format!("APIKEY#{digest}"), "APIKEY");
        let Some(found) = table.get(&old).await? else { continue };
        let grant: ApiKeyGrant = item::from_item(found)?;
        if grant.org_id == *org && grant.key_id == id {
            let new = ApiKey::grant_key(org, &id);
            let owner = format!("ORG#{org}");
            put_new(table, lookup_item(&new, "apiKeyGrant", &grant, lookup::api_key(&digest), owner)?).await?;
            moved.grants += 1;
        }
        table.delete(&old, Condition::Always).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cursor::CursorCodec;
    use crate::embedded::EmbeddedTable;
    use crate::repo::api_keys::ApiKeyRepo;
    use crate::repo::organizations::OrganizationRepo;
    use crate::repo::sign_ins::SignInRepo;
    use crate::repo::users::UserRepo;

    fn raw(v: serde_json::Value) -> Item {
        v.as_object().cloned().unwrap()
    }

    #[tokio::test]
    async fn old_identity_items_move_into_their_organization_once() {
        let dir = tempfile::tempdir().unwrap();
        let table = EmbeddedTable::open(dir.path()).unwrap();
        let (org, user, key) = (OrgId::new(), UserId::new(), ApiKeyId::new());
        let t: &dyn Table = &table;
        // As session 12 wrote them: the organization with its platform entry, a user with a
        // membership and a revoked sign-in, an API key with its grant.
        for it in [
            json!({"PK": format!("ORG#{org}#ORG"), "SK": "PROFILE", "entityType": "organization", "id": org.to_string(),
                "name": "Old", "slug": "old", "status": "active", "plan": "standard",
                "settings": {"timezone": "UTC", "currency": "USD"}, "version": 1,
                "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
                "createdBy": user.to_string(), "updatedBy": user.to_string()}),
            json!({"PK": "PLATFORM#ORGS", "SK": format!("ORG#{org}"), "entityType": "organizationEntry", "id": org.to_string()}),
            json!({"PK": format!("ORG#{org}#USER#{user}"), "SK": "PROFILE", "entityType": "user", "id": user.to_string(),
                "GSI1PK": User::list_pk(&org), "GSI1SK": format!("NAME#ada#{user}")}),
            json!({"PK": format!("USER#{user}"), "SK": "MEMBERSHIP", "entityType": "membership", "userId": user.to_string(),
                "orgId": org.to_string(), "role": "admin", "status": "active", "version": 1}),
            json!({"PK": format!("USER#{user}"), "SK": "REVOKED#jti-1", "entityType": "revokedSignIn",
                "userId": user.to_string(), "origin": "jti-1", "expiresAt": 4_102_444_800_i64}),
            json!({"PK": format!("ORG#{org}#APIKEY#{key}"), "SK": "PROFILE", "entityType": "apiKey", "id": key.to_string(),
                "secretDigest": "d1", "GSI1PK": ApiKey::list_pk(&org), "GSI1SK": key.to_string()}),
            json!({"PK": "APIKEY#d1", "SK": "APIKEY", "entityType": "apiKeyGrant", "keyId": key.to_string(),
                "orgId": org.to_string(), "role": "seller"}),
        ] {
            t.put(raw(it), Condition::Always).await.unwrap();
        }

        let moved = move_identity_items(t).await.unwrap();
        assert_eq!(moved, Moved { organizations: 1, memberships: 1, revocations: 1, grants: 1 });
        let codec = CursorCodec::new(b"k".to_vec());
        let m = UserRepo::new(t, &codec).membership(&user).await.unwrap().expect("the membership, found by lookup");
        assert_eq!((m.org_id, m.version), (org, 1));
        assert!(SignInRepo::new(t).standing(&user, Some("jti-1")).await.unwrap().1, "still revoked");
        let grant = ApiKeyRepo::new(t, &codec).grant("d1").await.unwrap().expect("the grant, found by lookup");
        assert_eq!((grant.org_id, grant.key_id), (org, key));
        let listed = OrganizationRepo::new(t, &codec).list(None, 10).await.unwrap().items;
        assert_eq!(listed.iter().map(|o| o.id).collect::<Vec<_>>(), [org]);
        for old in [
            Key::new("PLATFORM#ORGS", format!("ORG#{org}")),
            Key::new(format!("USER#{user}"), "MEMBERSHIP"),
            Key::new(format!("USER#{user}"), "REVOKED#jti-1"),
            Key::new("APIKEY#d1", "APIKEY"),
        ] {
            assert_eq!(t.get(&old).await.unwrap(), None, "{old} is gone");
        }
        assert!(move_identity_items(t).await.unwrap().is_empty(), "a second run finds nothing");
    }
}
