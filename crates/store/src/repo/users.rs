//! Users: the tenant record, the platform e-mail claim (sign-in lookup, uniqueness) and the
//! membership the authorizer reads, always written together. The membership lives in the
//! user's organization and is found by the user alone through a platform lookup, which trusts
//! only the organization of its partition key (`keys::lookup`).

use chrono::{DateTime, Utc};
use podcastflow_domain::keys::{self, Index, lookup, platform};
use podcastflow_domain::notification::digest;
use podcastflow_domain::user::{MEMBERSHIP_SK, Membership, Preferences, User, UserStatus};
use podcastflow_domain::{OrgId, Role, UserId};
use serde::{Deserialize, Serialize};

use super::{EntityPage, RepoError, Write, all_items, commit, get, lookup_item};
use crate::condition::{Condition, Update};
use crate::cursor::{self, CursorCodec};
use crate::item::{self, Item};
use crate::table::{Query, StoreError, Table};

/// Who holds an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailClaim {
    /// The user.
    pub user_id: UserId,
    /// Their organization.
    pub org_id: OrgId,
}

/// Reads and writes users.
pub struct UserRepo<'a> {
    table: &'a dyn Table,
    cursors: &'a CursorCodec,
}

pub(crate) fn claim_item(u: &User) -> Result<Item, RepoError> {
    Ok(item::value_item(&platform::email(&u.email), "emailClaim", &EmailClaim { user_id: u.id, org_id: u.org_id })?)
}

pub(crate) fn membership_item(u: &User, tokens_valid_after: Option<DateTime<Utc>>) -> Result<Item, RepoError> {
    let key = Membership::key_of(&u.org_id, &u.id);
    let m = u.membership(tokens_valid_after);
    Ok(lookup_item(&key, "membership", &m, lookup::user(&u.id), MEMBERSHIP_SK.to_owned())?)
}

/// The one membership of `user` among what their lookup partition holds (`found`: items with
/// the organization their partition key names). An entry whose attributes name another user or
/// organization than its key is not a membership; entries of more than one organization are
/// none at all (only a bug or an attack makes them, and neither may pick the organization).
pub(crate) fn one_membership(user: &UserId, found: &[(OrgId, Item)]) -> Result<Option<Membership>, RepoError> {
    let mut memberships = Vec::new();
    for (org, i) in found {
        if item::key_of(i)? != Membership::key_of(org, user) {
            continue;
        }
        let m: Membership = item::from_item(i.clone())?;
        if m.org_id == *org && m.user_id == *user {
            memberships.push(m);
        }
    }
    if memberships.len() > 1 {
        let orgs: Vec<String> = memberships.iter().map(|m| m.org_id.to_string()).collect();
        tracing::error!(%user, ?orgs, "a user's membership is claimed by more than one organization; refusing all");
        return Ok(None);
    }
    Ok(memberships.pop())
}

impl<'a> UserRepo<'a> {
    /// A repository on the whole table (the claims and memberships are platform items).
    pub fn new(table: &'a dyn Table, cursors: &'a CursorCodec) -> Self {
        Self { table, cursors }
    }

    /// Creates a user; the e-mail must be free across the platform.
    pub async fn create(&self, user: &User) -> Result<(), RepoError> {
        commit(
            self.table,
            vec![
                Write::create(user)?,
                Write::claim(claim_item(user)?, "email"),
                Write::put(membership_item(user, None)?),
            ],
        )
        .await
    }

    /// Removes a user created with [`Self::create`] whose identity could not be made.
    pub async fn undo_create(&self, user: &User) -> Result<(), RepoError> {
        commit(
            self.table,
            vec![
                Write::delete(User::key_of(&user.org_id, &user.id)),
                Write::delete(platform::email(&user.email)),
                Write::delete(Membership::key_of(&user.org_id, &user.id)),
            ],
        )
        .await
    }

    /// Reads a user of an organization.
    pub async fn get(&self, org: &OrgId, id: &UserId) -> Result<Option<User>, RepoError> {
        get(self.table, &User::key_of(org, id)).await
    }

    /// Which of `ids` are not disabled users of the organization holding one of `roles`, in one batch
    /// read per 100 (links to many people: assigned sellers, a show's producers and talent).
    pub async fn active_with_role(
        &self,
        org: &OrgId,
        ids: &[UserId],
        roles: &[Role],
    ) -> Result<std::collections::BTreeSet<UserId>, RepoError> {
        let mut found = std::collections::BTreeSet::new();
        for chunk in ids.chunks(100) {
            let keys: Vec<_> = chunk.iter().map(|id| User::key_of(org, id)).collect();
            let users: Vec<User> = super::get_many(self.table, &keys).await?;
            found.extend(
                users.into_iter().filter(|u| u.status != UserStatus::Disabled && roles.contains(&u.role)).map(|u| u.id),
            );
        }
        Ok(found)
    }

    /// The membership the authorizer checks, found by the user alone (a Query of the user's
    /// lookup partition, with platform credentials).
    pub async fn membership(&self, id: &UserId) -> Result<Option<Membership>, RepoError> {
        one_membership(id, &super::lookup(self.table, &lookup::user(id)).await?)
    }

    /// Who holds an e-mail address (case-insensitive).
    pub async fn find_by_email(&self, email: &str) -> Result<Option<EmailClaim>, RepoError> {
        get(self.table, &platform::email(email)).await
    }

    /// Replaces a user read at version `expected`, keeping the claim and membership in step.
    /// `tokens_valid_after` revokes tokens issued before it (role change, disable, sign-out).
    pub async fn update(
        &self,
        user: &User,
        expected: u64,
        tokens_valid_after: Option<DateTime<Utc>>,
    ) -> Result<(), RepoError> {
        let before: User = super::require(self.table, &User::key_of(&user.org_id, &user.id)).await?;
        let previous: Option<Membership> = get(self.table, &Membership::key_of(&user.org_id, &user.id)).await?;
        let previous = previous.and_then(|m| m.tokens_valid_after);
        let mut writes =
            vec![Write::replace(user, expected)?, Write::put(membership_item(user, tokens_valid_after.or(previous))?)];
        if !before.email.eq_ignore_ascii_case(&user.email) {
            writes.push(Write::claim(claim_item(user)?, "email"));
            writes.push(Write::delete(platform::email(&before.email)));
        }
        commit(self.table, writes).await
    }

    /// Refuses the tokens of `id` of `org` issued at or before `at` (sign-out, password reset),
    /// without touching the user record.
    pub async fn revoke_tokens(&self, org: &OrgId, id: &UserId, at: DateTime<Utc>) -> Result<(), RepoError> {
        let update = Update::new().set("tokensValidAfter", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        match self.table.update(&Membership::key_of(org, id), update, Condition::Exists).await {
            Ok(_) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(RepoError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// A user's preferences (the defaults when never saved) and their version (0: never saved).
    pub async fn preferences(&self, org: &OrgId, id: &UserId) -> Result<(Preferences, u64), RepoError> {
        match self.table.get(&Preferences::key_of(org, id)).await? {
            Some(i) => {
                let version = item::version_of(&i);
                Ok((item::from_item(item::without_bookkeeping(i))?, version))
            }
            None => Ok((Preferences::default(), 0)),
        }
    }

    /// Saves preferences read at version `expected` (0: never saved); returns the new version.
    pub async fn save_preferences(
        &self,
        org: &OrgId,
        id: &UserId,
        prefs: &Preferences,
        expected: u64,
    ) -> Result<u64, RepoError> {
        let mut it = item::value_item(&Preferences::key_of(org, id), "preferences", prefs)?;
        it.insert(keys::VERSION.into(), serde_json::Value::from(expected + 1));
        // Those who take the daily digest are found through a sparse index.
        if prefs.daily_digest {
            let (pk, sk) = Index::Gsi1.attributes();
            it.insert(pk.into(), digest::subscribers_pk(org).into());
            it.insert(sk.into(), digest::subscriber_sk(id).into());
        }
        let condition = if expected == 0 { Condition::NotExists } else { Condition::VersionIs(expected) };
        match self.table.put(it, condition).await {
            Ok(()) => Ok(expected + 1),
            Err(StoreError::ConditionFailed { key }) => match self.table.get(&key).await? {
                Some(current) => Err(RepoError::VersionConflict { current: item::version_of(&current) }),
                None => Err(RepoError::VersionConflict { current: 0 }),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// The users of `org` who take the daily digest (a Query of the sparse digest index).
    pub async fn digest_subscribers(&self, org: &OrgId) -> Result<Vec<UserId>, RepoError> {
        let q = Query::partition(Index::Gsi1, digest::subscribers_pk(org)).limit(500);
        let (_, sk) = Index::Gsi1.attributes();
        Ok(all_items(self.table, &q)
            .await?
            .iter()
            .filter_map(|i| i.get(sk)?.as_str()?.strip_prefix("USER#")?.parse().ok())
            .collect())
    }

    /// A user with their preferences (the defaults when never saved): one batch read of the two
    /// items beside each other in the user's collection.
    pub async fn with_preferences(&self, org: &OrgId, id: &UserId) -> Result<Option<(User, Preferences)>, RepoError> {
        let (user_key, prefs_key) = (User::key_of(org, id), Preferences::key_of(org, id));
        let mut user = None;
        let mut prefs = Preferences::default();
        for i in self.table.batch_get(&[user_key.clone(), prefs_key]).await? {
            if item::key_of(&i)? == user_key {
                user = Some(item::from_item(i)?);
            } else {
                prefs = item::from_item(item::without_bookkeeping(i))?;
            }
        }
        Ok(user.map(|u| (u, prefs)))
    }

    /// Lists an organization's users by name, optionally of one role.
    pub async fn list(
        &self,
        org: &OrgId,
        role: Option<Role>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<User>, RepoError> {
        let q = match role {
            Some(r) => Query::partition(Index::Gsi2, User::by_role_pk(org, r)),
            None => Query::partition(Index::Gsi1, User::list_pk(org)),
        }
        .limit(limit);
        EntityPage::decode(cursor::page(self.table, self.cursors, &q, cursor).await?)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn found(org: OrgId, pk: String, sk: &str, body_org: OrgId, user: UserId) -> (OrgId, Item) {
        let it = json!({"PK": pk, "SK": sk, "userId": user.to_string(), "orgId": body_org.to_string(),
            "role": "admin", "status": "active", "version": 3});
        (org, it.as_object().cloned().unwrap())
    }

    #[test]
    fn a_membership_is_trusted_only_under_its_own_key_and_only_when_one_organization_claims_it() {
        let (a, b, user, other) = (OrgId::new(), OrgId::new(), UserId::new(), UserId::new());
        let own = |org: OrgId| found(org, Membership::key_of(&org, &user).pk, MEMBERSHIP_SK, org, user);
        let one = one_membership(&user, &[own(a)]).unwrap().expect("the membership");
        assert_eq!((one.org_id, one.user_id, one.version), (a, user, 3));
        assert_eq!(one_membership(&user, &[]).unwrap(), None);
        // Attributes naming another organization or user than the key: not a membership.
        let lying_org = found(b, Membership::key_of(&b, &user).pk, MEMBERSHIP_SK, a, user);
        assert_eq!(one_membership(&user, &[lying_org]).unwrap(), None);
        assert_eq!(
            one_membership(&user, &[own(a), found(b, Membership::key_of(&b, &user).pk, MEMBERSHIP_SK, a, user)])
                .unwrap()
                .map(|m| m.org_id),
            Some(a)
        );
        let lying_user = found(a, Membership::key_of(&a, &other).pk, MEMBERSHIP_SK, a, other);
        assert_eq!(one_membership(&user, &[lying_user]).unwrap(), None);
        // Not at the membership's key: a revocation, another item of the user's partition.
        for sk in ["REVOKED#x", "PROFILE", "MEMBERSHIPX"] {
            assert_eq!(
                one_membership(&user, &[found(a, Membership::key_of(&a, &user).pk, sk, a, user)]).unwrap(),
                None
            );
        }
        assert_eq!(one_membership(&user, &[found(a, format!("ORG#{a}#X"), MEMBERSHIP_SK, a, user)]).unwrap(), None);
        // Two organizations claiming the user: neither is trusted.
        assert_eq!(one_membership(&user, &[own(a), own(b)]).unwrap(), None);
    }
}
