//! Activity (audit) records.
//!
//! Keys and access patterns:
//! - an entity's activity, newest first: `ORG#<o>#ACTIVITY#<type>#<id>` / `<activityId>`;
//! - the organization's timeline: GSI1 `ORG#<o>#ACTIVITIES` / `<activityId>`;
//! - one actor's activity: GSI2 `ORG#<o>#ACTOR#<u>#ACTIVITIES` / `<activityId>`;
//! - kept 90 days through `expiresAt`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keys::{Entity, Index, Key, org_pk};
use crate::notification::EntityRef;
use crate::{ActivityId, OrgId, UserId};

/// How long activity is kept.
pub const RETENTION_DAYS: i64 = 90;

/// The value written in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Before (absent for creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    /// After (absent for deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
}

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Its id.
    pub id: ActivityId,
    /// Its organization.
    pub org_id: OrgId,
    /// Who did it (`None` for the platform itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<UserId>,
    /// What was done, e.g. `campaign.updated`.
    pub action: String,
    /// To what.
    pub entity: EntityRef,
    /// Changed fields, secrets redacted.
    #[serde(default)]
    pub changes: BTreeMap<String, FieldChange>,
    /// The request that did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// TTL in epoch seconds.
    pub expires_at: i64,
}

/// Whether a field name denotes a secret whose value must never be recorded.
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["password", "secret", "token", "apikey", "api_key", "totp", "mfa", "credential", "hash"]
        .iter()
        .any(|s| n.contains(s))
}

/// The field changes between two JSON objects, secrets redacted. Bookkeeping fields are skipped.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> BTreeMap<String, FieldChange> {
    use crate::keys::{ENTITY, PK, REQUEST_ID, SK, VERSION};
    const SKIP: &[&str] = &[
        VERSION,
        REQUEST_ID,
        "updatedAt",
        "updatedBy",
        PK,
        SK,
        "GSI1PK",
        "GSI1SK",
        "GSI2PK",
        "GSI2SK",
        "GSI3PK",
        "GSI3SK",
        "GSI4PK",
        "GSI4SK",
        ENTITY,
    ];
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = BTreeMap::new();
    for name in b.keys().chain(a.keys()) {
        if SKIP.contains(&name.as_str()) || out.contains_key(name) {
            continue;
        }
        let (from, to) = (b.get(name), a.get(name));
        if from == to {
            continue;
        }
        let redact = |v: Option<&Value>| {
            v.map(|v| if is_secret_field(name) { Value::String(REDACTED.into()) } else { v.clone() })
        };
        out.insert(name.clone(), FieldChange { from: redact(from), to: redact(to) });
    }
    out
}

impl Activity {
    /// The TTL for an activity at `at`.
    pub fn expiry(at: DateTime<Utc>) -> i64 {
        (at + Duration::days(RETENTION_DAYS)).timestamp()
    }

    /// Partition of one entity's activity.
    pub fn entity_pk(org: &OrgId, entity: &EntityRef) -> String {
        org_pk(org, format!("ACTIVITY#{}#{}", entity.kind, entity.id))
    }

    /// GSI1 partition of the organization's timeline.
    pub fn timeline_pk(org: &OrgId) -> String {
        org_pk(org, "ACTIVITIES")
    }

    /// GSI2 partition of one actor's activity.
    pub fn actor_pk(org: &OrgId, actor: &UserId) -> String {
        org_pk(org, format!("ACTOR#{actor}#ACTIVITIES"))
    }
}

impl Entity for Activity {
    const TYPE: &'static str = "activity";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Key::new(Self::entity_pk(&self.org_id, &self.entity), self.id.to_string())
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let sk = self.id.to_string();
        let mut keys = vec![(Index::Gsi1, Key::new(Self::timeline_pk(&self.org_id), sk.clone()))];
        if let Some(actor) = &self.actor_id {
            keys.push((Index::Gsi2, Key::new(Self::actor_pk(&self.org_id, actor), sk)));
        }
        keys
    }
    fn version(&self) -> u64 {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_reports_changed_fields_and_redacts_secrets() {
        let before = json!({"name": "A", "status": "draft", "version": 1, "apiKeyHash": "abc", "same": 1});
        let after = json!({"name": "B", "status": "draft", "version": 2, "apiKeyHash": "def", "same": 1, "new": true});
        let d = diff(Some(&before), Some(&after));
        assert_eq!(d.keys().collect::<Vec<_>>(), vec!["apiKeyHash", "name", "new"]);
        assert_eq!(d["name"], FieldChange { from: Some(json!("A")), to: Some(json!("B")) });
        assert_eq!(d["apiKeyHash"].to, Some(json!(REDACTED)));
        assert_eq!(d["new"].from, None);
    }

    #[test]
    fn creation_and_deletion_have_one_side() {
        let v = json!({"name": "A", "password": "hunter2hunter2"});
        let created = diff(None, Some(&v));
        assert_eq!(created["name"].from, None);
        assert_eq!(created["password"].to, Some(json!(REDACTED)));
        let deleted = diff(Some(&v), None);
        assert_eq!(deleted["name"].to, None);
    }
}
