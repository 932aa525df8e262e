//! In-app notifications for one user.
//!
//! Keys and access patterns:
//! - a user's notifications, newest first: `ORG#<o>#USER#<u>#NOTIFICATIONS` / `<notificationId>`
//!   (Query, reverse; ids are ULIDs so they sort by time);
//! - unread only: GSI1 `ORG#<o>#USER#<u>#UNREAD` / `<notificationId>`, a sparse index: marking read
//!   removes the GSI1 attributes;
//! - kept 90 days through `expiresAt`.
//!
//! Which changes notify whom: [`rules`].

pub mod ad_reads;
pub mod digest;
pub mod kinds;
pub mod rules;

pub use kinds::NotificationType;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, org_pk};
use crate::{NotificationId, OrgId, UserId};

/// How long notifications are kept.
pub const RETENTION_DAYS: i64 = 90;

/// How urgent a notification is; high and urgent are e-mailed by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Informational.
    Low,
    /// Default.
    Normal,
    /// Needs attention.
    High,
    /// Needs attention now.
    Urgent,
}

impl Priority {
    /// Whether this priority is e-mailed unless the user chose otherwise.
    pub fn emailed_by_default(&self) -> bool {
        *self >= Priority::High
    }
}

/// A reference to an entity of any type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityRef {
    /// Entity type, e.g. `campaign`.
    #[serde(rename = "type")]
    pub kind: crate::visibility::EntityKind,
    /// Its id.
    pub id: String,
}

/// A notification for one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Its id.
    pub id: NotificationId,
    /// Its organization.
    pub org_id: OrgId,
    /// The recipient.
    pub user_id: UserId,
    /// Dotted type, e.g. `campaign.transitioned`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Priority.
    pub priority: Priority,
    /// What it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityRef>,
    /// When the user read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// TTL in epoch seconds.
    pub expires_at: i64,
    /// Version.
    pub version: u64,
}

impl Notification {
    /// The TTL for a notification created at `at`.
    pub fn expiry(at: DateTime<Utc>) -> i64 {
        (at + Duration::days(RETENTION_DAYS)).timestamp()
    }

    /// Partition of a user's notifications.
    pub fn inbox_pk(org: &OrgId, user: &UserId) -> String {
        org_pk(org, format!("USER#{user}#NOTIFICATIONS"))
    }

    /// GSI1 partition of a user's unread notifications.
    pub fn unread_pk(org: &OrgId, user: &UserId) -> String {
        org_pk(org, format!("USER#{user}#UNREAD"))
    }
}

impl Entity for Notification {
    const TYPE: &'static str = "notification";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Key::new(Self::inbox_pk(&self.org_id, &self.user_id), self.id.to_string())
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        if self.read_at.is_some() {
            return Vec::new();
        }
        vec![(Index::Gsi1, Key::new(Self::unread_pk(&self.org_id, &self.user_id), self.id.to_string()))]
    }
    fn version(&self) -> u64 {
        self.version
    }
}
