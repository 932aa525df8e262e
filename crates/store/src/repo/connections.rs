//! Live-update connections, their subscriptions and presence (keys and access patterns in
//! `podcastflow_domain::connection`). Reads leave out what has expired, since DynamoDB deletes
//! expired items only eventually.

use chrono::{DateTime, Utc};
use podcastflow_domain::connection::{Connection, MAX_TOPICS, Presence, Subscription};
use podcastflow_domain::keys::{Index, Key};
use podcastflow_domain::topic::Topic;

use super::{RepoError, Write, all_items, commit, get};
use crate::item;
use crate::table::{MAX_TRANSACT_ITEMS, Query};
use crate::tenant::TenantTable;

/// Reads and writes one tenant's connections.
pub struct ConnectionRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> ConnectionRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Records a connection that just opened.
    pub async fn open(&self, c: &Connection) -> Result<(), RepoError> {
        commit(self.t, vec![Write::create(c)?]).await
    }

    /// A connection that is still alive at `now`.
    pub async fn get(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Connection>, RepoError> {
        let c: Option<Connection> = get(self.t, &Connection::key_of(self.t.org(), id)).await?;
        Ok(c.filter(|c| c.expires_at > now.timestamp()))
    }

    /// Adds `topics` to what the connection follows (at most [`MAX_TOPICS`] in all; the caller
    /// checks the count) in one transaction with the connection's record, conditional on the
    /// version read. Returns the connection as stored.
    pub async fn subscribe(&self, c: &Connection, topics: &[Topic]) -> Result<Connection, RepoError> {
        let mut next = c.clone();
        let mut writes = Vec::new();
        for topic in topics {
            let name = topic.to_string();
            if !next.topics.contains(&name) {
                next.topics.push(name);
            }
            writes.push(Write::put(item::to_item(&Subscription::of(c, topic))?));
        }
        if next.topics.len() > MAX_TOPICS {
            return Err(RepoError::Conflict("too many topics"));
        }
        next.version += 1;
        writes.push(Write::replace(&next, c.version)?);
        commit(self.t, writes).await?;
        Ok(next)
    }

    /// Removes `topics` (and the connection's presence on them) from what it follows.
    pub async fn unsubscribe(&self, c: &Connection, topics: &[Topic]) -> Result<Connection, RepoError> {
        let org = *self.t.org();
        let mut next = c.clone();
        let mut writes = Vec::new();
        for topic in topics {
            next.topics.retain(|t| *t != topic.to_string());
            writes.push(Write::delete(Subscription::key_of(&org, topic, &c.id)));
            writes.push(Write::delete(Presence::key_of(&org, topic, &c.id)));
        }
        next.version += 1;
        writes.push(Write::replace(&next, c.version)?);
        commit(self.t, writes).await?;
        Ok(next)
    }

    /// Deletes a connection with its subscriptions and presence (on `$disconnect`, or when a post
    /// finds it gone). The record goes last, so a failure part-way leaves it to find the rest by.
    pub async fn close(&self, id: &str) -> Result<(), RepoError> {
        let org = *self.t.org();
        let key = Connection::key_of(&org, id);
        let Some(c) = get::<Connection>(self.t, &key).await? else { return Ok(()) };
        let topics: Vec<Topic> = c.topics.iter().filter_map(|t| t.parse().ok()).collect();
        let mut keys: Vec<Key> = Vec::new();
        for topic in &topics {
            keys.push(Subscription::key_of(&org, topic, id));
            keys.push(Presence::key_of(&org, topic, id));
        }
        for chunk in keys.chunks(MAX_TRANSACT_ITEMS) {
            commit(self.t, chunk.iter().cloned().map(Write::delete).collect()).await?;
        }
        commit(self.t, vec![Write::delete(key)]).await
    }

    /// Every live subscription of a topic: one Query per 1,000 subscribers.
    pub async fn subscribers(&self, topic: &Topic, now: DateTime<Utc>) -> Result<Vec<Subscription>, RepoError> {
        let q = Query::partition(Index::Main, topic.subscribers_pk(self.t.org()));
        let items = all_items(self.t, &q).await?;
        let subs = items.into_iter().map(item::from_item::<Subscription>).collect::<Result<Vec<_>, _>>()?;
        Ok(subs.into_iter().filter(|s| s.expires_at > now.timestamp()).collect())
    }

    /// Sets a connection's presence on a topic.
    pub async fn set_presence(&self, p: &Presence) -> Result<(), RepoError> {
        commit(self.t, vec![Write::put(item::to_item(p)?)]).await
    }

    /// Ends a connection's presence on a topic.
    pub async fn leave(&self, topic: &Topic, connection: &str) -> Result<(), RepoError> {
        commit(self.t, vec![Write::delete(Presence::key_of(self.t.org(), topic, connection))]).await
    }

    /// Who is on a topic now, one entry per connection.
    pub async fn presence(&self, topic: &Topic, now: DateTime<Utc>) -> Result<Vec<Presence>, RepoError> {
        let q = Query::partition(Index::Main, Presence::topic_pk(self.t.org(), topic));
        let items = all_items(self.t, &q).await?;
        let all = items.into_iter().map(item::from_item::<Presence>).collect::<Result<Vec<_>, _>>()?;
        Ok(all.into_iter().filter(|p| !p.expired(now)).collect())
    }
}
