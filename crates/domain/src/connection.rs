//! Live-update connections: a WebSocket connection of a signed-in principal, its subscriptions to
//! [`Topic`]s and the presence of its user on a topic. All three expire on their own (TTL), since a
//! connection can vanish without a `$disconnect`.
//!
//! Keys and access patterns:
//! - a connection by id (each message, `$disconnect`, cleanup on 410 Gone):
//!   `ORG#<o>#CONN#<connectionId>` / `CONNECTION`, holding the principal and its topics;
//! - a topic's subscribers (fan-out, one Query per topic): `ORG#<o>#TOPIC#<topic>` /
//!   `CONN#<connectionId>`, each carrying the principal so a payload is rendered for its reader
//!   without another read;
//! - who is on a topic (presence): `ORG#<o>#PRESENCE#<topic>` / `CONN#<connectionId>`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Key, org_pk};
use crate::topic::Topic;
use crate::{ClientId, OrgId, Principal, PrincipalKind, Role, UserId};

/// How long a connection and its subscriptions live (API Gateway closes a connection after 2 h).
pub const TTL_SECONDS: i64 = 2 * 60 * 60;
/// How long a presence lasts unless renewed (clients re-send theirs every minute or so).
pub const PRESENCE_TTL_SECONDS: i64 = 2 * 60;
/// Most topics one connection may follow.
pub const MAX_TOPICS: usize = 50;

/// Sort key of a connection's record.
const RECORD: &str = "CONNECTION";

fn member_sk(connection: &str) -> String {
    format!("CONN#{connection}")
}

/// Who is connected, as the `$connect` authorizer verified them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reader {
    /// The user.
    pub user_id: UserId,
    /// Their role in the organization.
    pub role: Role,
    /// For client users: their client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// How they authenticated.
    pub kind: PrincipalKind,
}

impl Reader {
    /// The reader of a principal.
    pub fn of(p: &Principal) -> Self {
        Self { user_id: p.user_id, role: p.role, client_id: p.client_id, kind: p.kind }
    }

    /// The principal this reader acts as in `org`.
    pub fn principal(&self, org: OrgId) -> Principal {
        Principal { user_id: self.user_id, org_id: org, role: self.role, client_id: self.client_id, kind: self.kind }
    }
}

/// One open WebSocket connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// API Gateway's connection id.
    pub id: String,
    /// The organization it acts in.
    pub org_id: OrgId,
    /// Who it is.
    #[serde(flatten)]
    pub reader: Reader,
    /// When it connected.
    pub connected_at: DateTime<Utc>,
    /// The topics it follows.
    #[serde(default)]
    pub topics: Vec<String>,
    /// TTL in epoch seconds.
    pub expires_at: i64,
    /// Version (bumped by each change of its topics).
    pub version: u64,
}

impl Connection {
    /// A connection opened now.
    pub fn open(id: &str, p: &Principal, now: DateTime<Utc>) -> Self {
        Self {
            id: id.to_owned(),
            org_id: p.org_id,
            reader: Reader::of(p),
            connected_at: now,
            topics: Vec::new(),
            expires_at: now.timestamp() + TTL_SECONDS,
            version: 1,
        }
    }

    /// The key of a connection's record.
    pub fn key_of(org: &OrgId, id: &str) -> Key {
        Key::new(org_pk(org, format!("CONN#{id}")), RECORD)
    }
}

impl Entity for Connection {
    const TYPE: &'static str = "connection";

    fn org_id(&self) -> &OrgId {
        &self.org_id
    }

    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }

    fn version(&self) -> u64 {
        self.version
    }
}

/// A connection following a topic: one item in the topic's subscriber partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// The topic.
    pub topic: String,
    /// The connection.
    pub connection_id: String,
    /// The organization.
    pub org_id: OrgId,
    /// Who reads through it.
    #[serde(flatten)]
    pub reader: Reader,
    /// TTL in epoch seconds (the connection's).
    pub expires_at: i64,
}

impl Subscription {
    /// The subscription of `connection` to `topic`.
    pub fn of(connection: &Connection, topic: &Topic) -> Self {
        Self {
            topic: topic.to_string(),
            connection_id: connection.id.clone(),
            org_id: connection.org_id,
            reader: connection.reader.clone(),
            expires_at: connection.expires_at,
        }
    }

    /// Its key.
    pub fn key_of(org: &OrgId, topic: &Topic, connection: &str) -> Key {
        Key::new(topic.subscribers_pk(org), member_sk(connection))
    }
}

impl Entity for Subscription {
    const TYPE: &'static str = "subscription";

    fn org_id(&self) -> &OrgId {
        &self.org_id
    }

    fn key(&self) -> Key {
        Key::new(org_pk(&self.org_id, format!("TOPIC#{}", self.topic)), member_sk(&self.connection_id))
    }

    fn version(&self) -> u64 {
        1
    }
}

/// What a user is doing on a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PresenceState {
    /// Looking at it.
    Viewing,
    /// Editing it.
    Editing,
    /// Gone from it (the presence item is deleted).
    Left,
}

/// A user's presence on a topic through one connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Presence {
    /// The topic.
    pub topic: String,
    /// The organization.
    pub org_id: OrgId,
    /// The connection.
    pub connection_id: String,
    /// The user.
    pub user_id: UserId,
    /// Viewing or editing (a presence that left is deleted).
    pub state: PresenceState,
    /// When this state was set.
    pub since: DateTime<Utc>,
    /// TTL in epoch seconds.
    pub expires_at: i64,
    /// Grows with every change, so clients drop stale presence messages.
    pub version: u64,
}

impl Presence {
    /// The partition of a topic's presences.
    pub fn topic_pk(org: &OrgId, topic: &Topic) -> String {
        org_pk(org, format!("PRESENCE#{topic}"))
    }

    /// The key of one connection's presence on a topic.
    pub fn key_of(org: &OrgId, topic: &Topic, connection: &str) -> Key {
        Key::new(Self::topic_pk(org, topic), member_sk(connection))
    }

    /// Whether it has expired by `now` (DynamoDB deletes expired items late, so reads filter).
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now.timestamp()
    }
}

impl Entity for Presence {
    const TYPE: &'static str = "presence";

    fn org_id(&self) -> &OrgId {
        &self.org_id
    }

    fn key(&self) -> Key {
        Key::new(org_pk(&self.org_id, format!("PRESENCE#{}", self.topic)), member_sk(&self.connection_id))
    }

    fn version(&self) -> u64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CampaignId;

    #[test]
    fn items_share_the_topic_partitions_the_topic_module_names() {
        let org = OrgId::new();
        let p = Principal {
            user_id: UserId::new(),
            org_id: org,
            role: Role::Seller,
            client_id: None,
            kind: PrincipalKind::User,
        };
        let c = Connection::open("abc=", &p, Utc::now());
        let topic = Topic::Campaign(CampaignId::new());
        let s = Subscription::of(&c, &topic);
        assert_eq!(s.key(), Subscription::key_of(&org, &topic, "abc="));
        assert_eq!(s.key().pk, topic.subscribers_pk(&org));
        assert_eq!(s.reader.principal(org), p);
        assert!(c.key().pk.starts_with(&crate::keys::tenant_prefix(&org)));
        let presence = Presence {
            topic: topic.to_string(),
            org_id: org,
            connection_id: c.id.clone(),
            user_id: p.user_id,
            state: PresenceState::Viewing,
            since: Utc::now(),
            expires_at: Utc::now().timestamp() + PRESENCE_TTL_SECONDS,
            version: 1,
        };
        assert_eq!(presence.key(), Presence::key_of(&org, &topic, "abc="));
        assert!(!presence.expired(Utc::now()));
    }
}
