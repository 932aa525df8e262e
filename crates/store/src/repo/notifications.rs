//! A user's notifications: newest first, unread through a sparse index.

use chrono::{DateTime, NaiveDate, Utc};
use podcastflow_domain::keys::{Index, Key};
use podcastflow_domain::notification::{Notification, digest};
use podcastflow_domain::{NotificationId, UserId};
use serde_json::Value;

use super::{EntityPage, OnConflict, RepoError, Write, all_decoded, all_items, commit};
use crate::condition::{Condition, Update};
use crate::table::{Query, Table, TransactOp};
use crate::tenant::TenantTable;

/// Attribute of a notification item saying where its e-mail is: `sending`, `sent` or `skipped`.
const EMAIL_STATE: &str = "emailState";

/// Reads and writes one tenant's notifications.
pub struct NotificationRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> NotificationRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    fn key(&self, user: &UserId, id: &NotificationId) -> Key {
        Key::new(Notification::inbox_pk(self.t.org(), user), id.to_string())
    }

    /// Stores a new notification.
    pub async fn create(&self, n: &Notification) -> Result<(), RepoError> {
        commit(self.t, vec![Write::create(n)?]).await
    }

    /// Claims the e-mail of a notification for one sender: `Ok(false)` when it was claimed (sent,
    /// being sent or skipped) before, so a notification is never e-mailed twice.
    pub async fn claim_email(&self, user: &UserId, id: &NotificationId) -> Result<bool, RepoError> {
        let update = Update::new().set(EMAIL_STATE, Value::String("sending".into()));
        let condition = Condition::All(vec![Condition::Exists, Condition::AttributeMissing(EMAIL_STATE.into())]);
        match self.t.update(&self.key(user, id), update, condition).await {
            Ok(_) => Ok(true),
            Err(crate::table::StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Records how a claimed e-mail ended: `sent` (with the time) or `skipped` (no address).
    pub async fn finish_email(
        &self,
        user: &UserId,
        id: &NotificationId,
        state: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let update = Update::new()
            .set(EMAIL_STATE, Value::String(state.into()))
            .set("emailedAt", Value::String(at.to_rfc3339()));
        self.t.update(&self.key(user, id), update, Condition::Exists).await?;
        Ok(())
    }

    /// Gives a claimed e-mail back after sending failed, so a retry of the change sends it.
    pub async fn release_email(&self, user: &UserId, id: &NotificationId) -> Result<(), RepoError> {
        let update = Update::new().remove(EMAIL_STATE);
        self.t.update(&self.key(user, id), update, Condition::Exists).await?;
        Ok(())
    }

    /// Claims the daily digest of `user` for the local `date`: `Ok(false)` when it was claimed
    /// before (sent, or being sent by another run), so a digest goes out once.
    pub async fn claim_digest(&self, user: &UserId, date: NaiveDate, at: DateTime<Utc>) -> Result<bool, RepoError> {
        let key = digest::marker_key(self.t.org(), user, date);
        let attrs =
            serde_json::json!({"userId": user, "date": date, "claimedAt": at, "expiresAt": digest::marker_expiry(at)});
        let item = crate::item::value_item(&key, "digestMarker", &attrs)?;
        match self.t.put(item, Condition::NotExists).await {
            Ok(()) => Ok(true),
            Err(crate::table::StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives a claimed digest back after its e-mail failed, so the next run sends it.
    pub async fn release_digest(&self, user: &UserId, date: NaiveDate) -> Result<(), RepoError> {
        self.t.delete(&digest::marker_key(self.t.org(), user, date), Condition::Always).await?;
        Ok(())
    }

    /// A user's notifications, newest first; only unread ones if asked.
    pub async fn list(
        &self,
        user: &UserId,
        unread_only: bool,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Notification>, RepoError> {
        let q = if unread_only {
            Query::partition(Index::Gsi1, Notification::unread_pk(self.t.org(), user))
        } else {
            Query::partition(Index::Main, Notification::inbox_pk(self.t.org(), user))
        }
        .reverse()
        .limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// How many unread notifications a user has.
    pub async fn unread_count(&self, user: &UserId) -> Result<usize, RepoError> {
        let q = Query::partition(Index::Gsi1, Notification::unread_pk(self.t.org(), user)).limit(1000);
        Ok(all_items(self.t, &q).await?.len())
    }

    fn mark_read_op(&self, user: &UserId, id: &NotificationId, at: DateTime<Utc>) -> TransactOp {
        // Removing the GSI1 keys takes it out of the unread index.
        let update = Update::new()
            .set("readAt", Value::String(at.to_rfc3339()))
            .remove("GSI1PK")
            .remove("GSI1SK")
            .add("version", 1);
        TransactOp::Update { key: self.key(user, id), update, condition: Condition::Exists }
    }

    /// Marks one notification read (idempotent).
    pub async fn mark_read(&self, user: &UserId, id: &NotificationId, at: DateTime<Utc>) -> Result<(), RepoError> {
        commit(self.t, vec![Write { op: self.mark_read_op(user, id, at), on_conflict: OnConflict::NotFound }]).await
    }

    /// Marks unread notifications read: the listed ones, or all created before `before`.
    /// Returns how many were marked.
    pub async fn mark_many_read(
        &self,
        user: &UserId,
        ids: Option<&[NotificationId]>,
        before: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<usize, RepoError> {
        let q = Query::partition(Index::Gsi1, Notification::unread_pk(self.t.org(), user));
        let unread: Vec<Notification> = all_decoded(self.t, &q).await?;
        let chosen: Vec<NotificationId> = unread
            .iter()
            .filter(|n| ids.is_none_or(|ids| ids.contains(&n.id)))
            .filter(|n| before.is_none_or(|b| n.created_at < b))
            .map(|n| n.id)
            .collect();
        for chunk in chosen.chunks(25) {
            let ops: Vec<TransactOp> = chunk.iter().map(|id| self.mark_read_op(user, id, at)).collect();
            self.t.transact(ops).await?;
        }
        Ok(chosen.len())
    }
}
