//! Users: the tenant record, the platform e-mail claim (sign-in lookup, uniqueness) and the
//! membership the authorizer reads, always written together.

use chrono::{DateTime, Utc};
use podcastflow_domain::keys::{Index, platform};
use podcastflow_domain::user::{Membership, User};
use podcastflow_domain::{OrgId, Role, UserId};
use serde::{Deserialize, Serialize};

use super::{EntityPage, RepoError, Write, commit, get};
use crate::cursor::{self, CursorCodec};
use crate::item::{self, Item};
use crate::table::{Query, Table};

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

fn claim_item(u: &User) -> Result<Item, RepoError> {
    Ok(item::value_item(&platform::email(&u.email), "emailClaim", &EmailClaim { user_id: u.id, org_id: u.org_id })?)
}

fn membership_item(u: &User, tokens_valid_after: Option<DateTime<Utc>>) -> Result<Item, RepoError> {
    Ok(item::value_item(&platform::membership(&u.id), "membership", &u.membership(tokens_valid_after))?)
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

    /// Reads a user of an organization.
    pub async fn get(&self, org: &OrgId, id: &UserId) -> Result<Option<User>, RepoError> {
        get(self.table, &User::key_of(org, id)).await
    }

    /// The membership the authorizer checks.
    pub async fn membership(&self, id: &UserId) -> Result<Option<Membership>, RepoError> {
        get(self.table, &platform::membership(id)).await
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
        let previous = self.membership(&user.id).await?.and_then(|m| m.tokens_valid_after);
        let mut writes =
            vec![Write::replace(user, expected)?, Write::put(membership_item(user, tokens_valid_after.or(previous))?)];
        if !before.email.eq_ignore_ascii_case(&user.email) {
            writes.push(Write::claim(claim_item(user)?, "email"));
            writes.push(Write::delete(platform::email(&before.email)));
        }
        commit(self.table, writes).await
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
