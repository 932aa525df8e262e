//! Who a live-update reader is now. A connection records its reader (role, client) when it opens;
//! every delivery is judged by the reader's current standing instead, read from their user (or
//! API key) record and kept at most [`TTL`], like the authorizer's decisions. A change to a user
//! that passes through the stream forgets them at once, so a disable or a demotion takes effect
//! on the next update.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use podcastflow_domain::api_key::ApiKey;
use podcastflow_domain::connection::Reader;
use podcastflow_domain::user::UserStatus;
use podcastflow_domain::{ApiKeyId, OrgId, PrincipalKind, UserId};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::api_keys::ApiKeyRepo;
use podcastflow_store::repo::users::UserRepo;

/// How long a reader's standing is trusted without reading it again.
pub const TTL: Duration = Duration::from_secs(60);

/// What is known of one reader: when it was read, and their standing then.
type Standing = (Instant, Option<Reader>);

/// The readers' current standing, per organization and user, read at most every [`TTL`].
#[derive(Default)]
pub struct ReaderCache {
    entries: Mutex<HashMap<(OrgId, UserId), Standing>>,
}

impl ReaderCache {
    /// `reader` as they stand now (`None`: disabled, deleted or revoked).
    pub async fn current(&self, t: &TenantTable, reader: &Reader) -> Result<Option<Reader>, RepoError> {
        let key = (*t.org(), reader.user_id);
        if let Some((at, standing)) = self.entries.lock().ok().and_then(|e| e.get(&key).cloned())
            && at.elapsed() < TTL
        {
            return Ok(standing);
        }
        let standing = match reader.kind {
            PrincipalKind::ApiKey => {
                // An API key's reader id is the key's id.
                match reader.user_id.to_string().parse::<ApiKeyId>() {
                    Ok(id) => ApiKeyRepo::new(t, t.cursors()).get(t.org(), &id).await?.map(|k: ApiKey| Reader {
                        role: k.role,
                        client_id: None,
                        ..reader.clone()
                    }),
                    Err(_) => None,
                }
            }
            _ => UserRepo::new(t, t.cursors())
                .get(t.org(), &reader.user_id)
                .await?
                .filter(|u| u.status != UserStatus::Disabled)
                .map(|u| Reader { role: u.role, client_id: u.client_id, ..reader.clone() }),
        };
        if let Ok(mut e) = self.entries.lock() {
            // Expired standings go on every miss, so the cache holds at most a minute's readers.
            e.retain(|_, (at, _)| at.elapsed() < TTL);
            e.insert(key, (Instant::now(), standing.clone()));
        }
        Ok(standing)
    }

    /// Forgets what is known of a user (their record just changed).
    pub fn forget(&self, org: &OrgId, user: &UserId) {
        if let Ok(mut e) = self.entries.lock() {
            e.remove(&(*org, *user));
        }
    }
}
