//! Sign-ins that ended before their tokens did: refresh tokens exchanged for new ones (so a
//! second use is recognised as reuse, whatever the identity provider) and revoked sign-ins (so
//! the authorizer refuses their access tokens at once rather than when they expire). Platform
//! items ([`platform::rotated_refresh_token`], [`platform::revoked_sign_in`]) that expire by TTL
//! when the tokens they concern would have.

use chrono::{DateTime, Utc};
use podcastflow_domain::UserId;
use podcastflow_domain::keys::{EXPIRES_AT, platform};
use podcastflow_domain::user::Membership;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RepoError;
use crate::condition::Condition;
use crate::item::{self, key_of};
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

    /// Ends a sign-in for the API: its access tokens are refused until `until`.
    pub async fn revoke(&self, user: &UserId, origin: &str, until: DateTime<Utc>) -> Result<(), RepoError> {
        let attrs = serde_json::json!({"userId": user, "origin": origin});
        let mut it = item::value_item(&platform::revoked_sign_in(user, origin), "revokedSignIn", &attrs)?;
        it.insert(EXPIRES_AT.into(), Value::from(until.timestamp()));
        self.table.put(it, Condition::Always).await?;
        Ok(())
    }

    /// Whether the sign-in `origin` of `user` was revoked.
    pub async fn is_revoked(&self, user: &UserId, origin: &str) -> Result<bool, RepoError> {
        Ok(self.table.get(&platform::revoked_sign_in(user, origin)).await?.is_some())
    }

    /// The user's membership and whether the sign-in `origin` (when the token names one) was
    /// revoked: one read either way (a batch read of both items when there is an origin).
    pub async fn standing(&self, user: &UserId, origin: Option<&str>) -> Result<(Option<Membership>, bool), RepoError> {
        let membership = platform::membership(user);
        let Some(origin) = origin else {
            return Ok((super::get(self.table, &membership).await?, false));
        };
        let revoked = platform::revoked_sign_in(user, origin);
        let items = self.table.batch_get(&[membership.clone(), revoked.clone()]).await?;
        let mut out = (None, false);
        for i in items {
            let key = key_of(&i)?;
            if key == membership {
                out.0 = Some(item::from_item(i)?);
            } else if key == revoked {
                out.1 = true;
            }
        }
        Ok(out)
    }
}
