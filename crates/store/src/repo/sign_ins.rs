//! Sign-ins that ended before their tokens did: refresh tokens exchanged for new ones (so a
//! second use is recognised as reuse, whatever the identity provider) and revoked sign-ins (so
//! the authorizer refuses their access tokens at once rather than when they expire). Both
//! expire by TTL when the tokens they concern would have: the exchanged token is a platform item
//! ([`platform::rotated_refresh_token`]); the revoked sign-in lives in the user's organization
//! beside the membership ([`Membership::revoked_key`]) and in the same lookup partition, so the
//! authorizer reads both with one Query.

use chrono::{DateTime, Utc};
use podcastflow_domain::keys::{EXPIRES_AT, lookup, platform};
use podcastflow_domain::user::Membership;
use podcastflow_domain::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RepoError;
use crate::condition::Condition;
use crate::item;
use crate::table::Table;

/// A refresh token that was exchanged: whose, and which sign-in it belonged to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rotated {
    /// The user signed in.
    pub user_id: UserId,
    /// The sign-in (the `origin_jti` of its tokens).
    pub origin: String,
}

/// Reads and writes sign-in records (platform items, the `auth` function's and the authorizer's).
pub struct SignInRepo<'a> {
    table: &'a dyn Table,
}

impl<'a> SignInRepo<'a> {
    /// A repository on the platform table.
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    /// Remembers that the refresh token with SHA-256 `digest` was exchanged, until `until`.
    pub async fn record_rotation(&self, digest: &str, r: &Rotated, until: DateTime<Utc>) -> Result<(), RepoError> {
        let mut it = item::value_item(&platform::rotated_refresh_token(digest), "rotatedRefreshToken", r)?;
        it.insert(EXPIRES_AT.into(), Value::from(until.timestamp()));
        self.table.put(it, Condition::Always).await?;
        Ok(())
    }

    /// The sign-in of a refresh token exchanged before, if it was.
    pub async fn rotation(&self, digest: &str) -> Result<Option<Rotated>, RepoError> {
        match self.table.get(&platform::rotated_refresh_token(digest)).await? {
            Some(i) => Ok(Some(item::from_item(item::without_bookkeeping(i))?)),
            None => Ok(None),
        }
    }

    /// Ends a sign-in of `user` of `org` for the API: its access tokens are refused until `until`.
    pub async fn revoke(
        &self,
        org: &OrgId,
        user: &UserId,
        origin: &str,
        until: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let attrs = serde_json::json!({"userId": user, "origin": origin});
        let key = Membership::revoked_key(org, user, origin);
        let mut it = super::lookup_item(&key, "revokedSignIn", &attrs, lookup::user(user), key.sk.clone())?;
        it.insert(EXPIRES_AT.into(), Value::from(until.timestamp()));
        self.table.put(it, Condition::Always).await?;
        Ok(())
    }

    /// The user's membership and whether the sign-in `origin` (when the token names one) was
    /// revoked in the membership's organization: one Query of the user's lookup partition.
    pub async fn standing(&self, user: &UserId, origin: Option<&str>) -> Result<(Option<Membership>, bool), RepoError> {
        let found = super::lookup(self.table, &lookup::user(user)).await?;
        let membership = super::users::one_membership(user, &found)?;
        let revoked = match (&membership, origin) {
            (Some(m), Some(origin)) => {
                let key = Membership::revoked_key(&m.org_id, user, origin);
                found.iter().any(|(_, i)| item::key_of(i).is_ok_and(|k| k == key))
            }
            _ => false,
        };
        Ok((membership, revoked))
    }
}
