//! The actions a client sends over its connection, each answered with one reply.

use chrono::{DateTime, Utc};
use lambda_http::Error;
use podcastflow_domain::Principal;
use podcastflow_domain::connection::{Connection, MAX_TOPICS, PRESENCE_TTL_SECONDS, Presence, PresenceState};
use podcastflow_domain::permissions::{self, Resource, authorize};
use podcastflow_domain::topic::Topic;
use podcastflow_platform::visibility::{lens_of, permitted};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::connections::ConnectionRepo;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{error, outage};

/// A message from a client.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase", deny_unknown_fields)]
enum Action {
    Subscribe {
        topics: Vec<String>,
        #[serde(default)]
        id: Option<Value>,
    },
    Unsubscribe {
        topics: Vec<String>,
        #[serde(default)]
        id: Option<Value>,
    },
    Presence {
        topic: String,
        state: PresenceState,
        #[serde(default)]
        id: Option<Value>,
    },
    Ping {
        #[serde(default)]
        id: Option<Value>,
    },
}

/// Most topics one message may name.
const MAX_PER_MESSAGE: usize = MAX_TOPICS;

/// The reply to one message from `connection`.
pub(crate) async fn message(t: &TenantTable, p: &Principal, connection: &str, body: &str) -> Result<Value, Error> {
    let action: Action = match serde_json::from_str(body) {
        Ok(a) => a,
        Err(e) => {
            return Ok(error(
                "invalid-message",
                format!("expected {{\"action\": \"subscribe\" | \"unsubscribe\" | \"presence\" | \"ping\", ...}}: {e}"),
            ));
        }
    };
    let id = match &action {
        Action::Subscribe { id, .. }
        | Action::Unsubscribe { id, .. }
        | Action::Presence { id, .. }
        | Action::Ping { id } => id.clone(),
    };
    let now = Utc::now();
    let repo = ConnectionRepo::new(t);
    let mut reply = match action {
        Action::Ping { .. } => json!({"type": "pong", "at": now}),
        action => match repo.get(connection, now).await? {
            None => error("unknown-connection", "this connection is not registered or has expired; reconnect"),
            Some(c) => match action {
                Action::Subscribe { topics, .. } => subscribe(t, p, &c, &topics).await?,
                Action::Unsubscribe { topics, .. } => unsubscribe(t, &c, &topics).await?,
                Action::Presence { topic, state, .. } => presence(t, &c, &topic, state, now).await?,
                Action::Ping { .. } => json!({"type": "pong", "at": now}),
            },
        },
    };
    if let (Some(id), Value::Object(fields)) = (id, &mut reply) {
        fields.insert("replyTo".into(), id);
    }
    Ok(reply)
}

fn refused(topic: &str, reason: &str) -> Value {
    json!({"topic": topic, "reason": reason})
}

/// Whether `p` may follow `topic`: what it covers must be readable by them.
async fn may_follow(t: &TenantTable, p: &Principal, topic: &Topic) -> Result<bool, Error> {
    Ok(match topic {
        Topic::User(u) => *u == p.user_id,
        // Every update on these is filtered per reader before it is sent.
        Topic::OrgCampaigns | Topic::OrgShows | Topic::OrgEpisodes => true,
        Topic::OrgBackups => authorize(p, permissions::Action::BackupManage, &Resource::Org(p.org_id)).is_ok(),
        // Each invoice's update goes only to who reads that invoice; roles that read none stay out.
        Topic::OrgBilling => permissions::scope(permissions::Action::InvoiceRead, p.role) != permissions::Scope::None,
        // A show's spots are followed by who reads its avails, not by every reader of the show.
        Topic::ShowInventory(_) => match topic.entity() {
            Some(e) => permitted(t, p, &e, permissions::Action::InventoryRead).await?,
            None => false,
        },
        Topic::Campaign(_)
        | Topic::Show(_)
        | Topic::Episode(_)
        | Topic::Order(_)
        | Topic::AdRead(_)
        | Topic::Invoice(_) => match topic.entity() {
            Some(e) => lens_of(t, p, &e).await?.is_some(),
            None => false,
        },
    })
}

async fn subscribe(t: &TenantTable, p: &Principal, c: &Connection, names: &[String]) -> Result<Value, Error> {
    if names.is_empty() || names.len() > MAX_PER_MESSAGE {
        return Ok(error("invalid-message", format!("name 1 to {MAX_PER_MESSAGE} topics")));
    }
    let mut accepted: Vec<Topic> = Vec::new();
    let mut refusals = Vec::new();
    for name in names {
        let topic = match name.parse::<Topic>() {
            Ok(t) => t,
            Err(e) => {
                refusals.push(refused(name, &e.to_string()));
                continue;
            }
        };
        if accepted.contains(&topic) {
            continue;
        }
        let new = accepted.iter().filter(|t| !c.topics.contains(&t.to_string())).count();
        if !c.topics.contains(name) && c.topics.len() + new >= MAX_TOPICS {
            refusals.push(refused(name, &format!("a connection follows at most {MAX_TOPICS} topics")));
        } else if may_follow(t, p, &topic).await? {
            accepted.push(topic);
        } else {
            // Not found and not allowed read the same, as a GET's 404 would.
            refusals.push(refused(name, "not found, or not readable by you"));
        }
    }
    if !accepted.is_empty()
        && let Err(e) = ConnectionRepo::new(t).subscribe(c, &accepted).await
    {
        return outage(e);
    }
    let accepted: Vec<String> = accepted.iter().map(Topic::to_string).collect();
    Ok(json!({"type": "subscribe.result", "accepted": accepted, "refused": refusals}))
}

async fn unsubscribe(t: &TenantTable, c: &Connection, names: &[String]) -> Result<Value, Error> {
    let topics: Vec<Topic> =
        names.iter().filter_map(|n| n.parse().ok()).filter(|t: &Topic| c.topics.contains(&t.to_string())).collect();
    if !topics.is_empty()
        && let Err(e) = ConnectionRepo::new(t).unsubscribe(c, &topics).await
    {
        return outage(e);
    }
    let removed: Vec<String> = topics.iter().map(Topic::to_string).collect();
    Ok(json!({"type": "unsubscribe.result", "removed": removed}))
}

async fn presence(
    t: &TenantTable,
    c: &Connection,
    name: &str,
    state: PresenceState,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let Ok(topic) = name.parse::<Topic>() else {
        return Ok(error("invalid-topic", format!("{name} is not a topic")));
    };
    if !c.topics.iter().any(|t| t == name) {
        return Ok(error("not-subscribed", format!("subscribe to {name} before announcing presence on it")));
    }
    let repo = ConnectionRepo::new(t);
    match state {
        PresenceState::Left => repo.leave(&topic, &c.id).await?,
        state => {
            let p = Presence {
                topic: name.to_owned(),
                org_id: c.org_id,
                connection_id: c.id.clone(),
                user_id: c.reader.user_id,
                state,
                since: now,
                expires_at: now.timestamp() + PRESENCE_TTL_SECONDS,
                version: u64::try_from(now.timestamp_micros()).unwrap_or(0),
            };
            repo.set_presence(&p).await?;
        }
    }
    let present: Vec<Value> = repo
        .presence(&topic, now)
        .await?
        .into_iter()
        .map(|p| json!({"userId": p.user_id, "connectionId": p.connection_id, "state": p.state, "since": p.since}))
        .collect();
    Ok(json!({"type": "presence.result", "topic": name, "present": present}))
}
