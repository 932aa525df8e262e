//! The table as each tenant's requests reach it (docs/architecture.md section 4). In AWS every
//! organization gets credentials of its own: a session of the tenant data role, tagged with the
//! organization and carrying the session policy of `podcastflow_iam::tenant`, so IAM refuses
//! any key outside `ORG#<orgId>#`. The `TenantTable` prefix check is the first fence, IAM the
//! second: a handler bug that slips past one still meets the other. Sessions are opened on first
//! use and kept per organization until shortly before they expire, so a warm function pays one
//! `AssumeRole` per tenant per 40 minutes. The same session's credentials reach the buckets
//! ([`TenantTables::objects`]), where the role allows only that organization's prefixes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use podcastflow_domain::OrgId;
use podcastflow_domain::keys::Key;
use podcastflow_objects::{Credentials, ObjectError, Objects};
use podcastflow_store::{Condition, Item, Query, QueryOutput, StoreError, StoredItem, Table, TransactOp, Update};

mod sts;
pub use sts::StsSessions;

/// Tables (and buckets) confined to one organization each.
#[async_trait]
pub trait TenantTables: Send + Sync {
    /// The table `org`'s requests use. Cheap: sessions are opened lazily, on the first call.
    fn for_org(&self, org: &OrgId) -> Arc<dyn Table>;

    /// `bucket` as `org`'s session reaches it. Without sessions (tests, a function deployed
    /// without a tenant role), the bucket as the function reaches it.
    async fn objects(&self, bucket: &Objects, _org: &OrgId) -> Result<Objects, ObjectError> {
        Ok(bucket.clone())
    }
}

/// Every organization on one table, and the buckets with the function's own credentials:
/// tests, and functions deployed without a tenant role.
pub struct SharedTables(pub Arc<dyn Table>);

impl TenantTables for SharedTables {
    fn for_org(&self, _org: &OrgId) -> Arc<dyn Table> {
        self.0.clone()
    }
}

/// An open tenant session: its table, its credentials (for the buckets) and when they expire.
pub struct Session {
    /// The table reached with the session's credentials.
    pub table: Arc<dyn Table>,
    /// The session's credentials.
    pub credentials: Credentials,
    /// When the credentials stop working.
    pub expires_at: SystemTime,
}

/// Opens tenant sessions (STS in AWS; a fake in tests).
#[async_trait]
pub trait SessionSource: Send + Sync {
    /// A new session confined to `org`. Failing to get one is an outage (`Unavailable`).
    async fn open(&self, org: &OrgId) -> Result<Session, StoreError>;
}

/// How long before expiry a cached session is replaced, so no call starts on credentials that
/// run out mid-flight, and every presigned URL (media uploads last 15 minutes), which dies with
/// the credentials that signed it, lives its whole time.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(20 * 60);

/// Beyond this many organizations seen by one instance, expired sessions are dropped on insert.
const PRUNE_ABOVE: usize = 512;

type Slot = Arc<tokio::sync::Mutex<Option<Current>>>;

/// The session an organization's calls use now.
#[derive(Clone)]
struct Current {
    table: Arc<dyn Table>,
    credentials: Credentials,
    expires_at: SystemTime,
}

/// Sessions per organization, opened by a [`SessionSource`] and cached until near expiry.
pub struct ScopedTables {
    inner: Arc<Sessions>,
}

struct Sessions {
    source: Box<dyn SessionSource>,
    slots: Mutex<HashMap<OrgId, Slot>>,
}

impl ScopedTables {
    /// Sessions opened by `source`.
    pub fn new(source: impl SessionSource + 'static) -> Self {
        Self { inner: Arc::new(Sessions { source: Box::new(source), slots: Mutex::new(HashMap::new()) }) }
    }
}

#[async_trait]
impl TenantTables for ScopedTables {
    fn for_org(&self, org: &OrgId) -> Arc<dyn Table> {
        Arc::new(ScopedTable { sessions: self.inner.clone(), org: *org })
    }

    async fn objects(&self, bucket: &Objects, org: &OrgId) -> Result<Objects, ObjectError> {
        let current = self.inner.current(org).await.map_err(|e| ObjectError::Unavailable(e.to_string()))?;
        Ok(bucket.with_credentials(current.credentials))
    }
}

impl Sessions {
    fn slot(&self, org: &OrgId) -> Slot {
        // A poisoned map only means another request panicked mid-insert; the map is still sound.
        let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !slots.contains_key(org) && slots.len() >= PRUNE_ABOVE {
            let now = SystemTime::now();
            slots.retain(|_, s| s.try_lock().map(|g| g.as_ref().is_some_and(|c| c.expires_at > now)).unwrap_or(true));
        }
        slots.entry(*org).or_default().clone()
    }

    /// `org`'s current session, opening one if there is none or it is about to expire. One
    /// request per organization opens it; the others wait for that one.
    async fn current(&self, org: &OrgId) -> Result<Current, StoreError> {
        let slot = self.slot(org);
        let mut current = slot.lock().await;
        if let Some(c) = current.as_ref()
            && SystemTime::now() + REFRESH_MARGIN < c.expires_at
        {
            return Ok(c.clone());
        }
        let s = self.source.open(org).await?;
        let opened = Current { table: s.table, credentials: s.credentials, expires_at: s.expires_at };
        *current = Some(opened.clone());
        Ok(opened)
    }

    /// The table of `org`'s current session.
    async fn table(&self, org: &OrgId) -> Result<Arc<dyn Table>, StoreError> {
        Ok(self.current(org).await?.table)
    }
}

/// One organization's table, reached through its current session.
struct ScopedTable {
    sessions: Arc<Sessions>,
    org: OrgId,
}

impl ScopedTable {
    async fn table(&self) -> Result<Arc<dyn Table>, StoreError> {
        self.sessions.table(&self.org).await
    }
}

#[async_trait]
impl Table for ScopedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.table().await?.get(key).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.table().await?.put(item, condition).await
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.table().await?.update(key, update, condition).await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        self.table().await?.delete(key, condition).await
    }

    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        self.table().await?.query_stored(query).await
    }

    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        self.table().await?.transact(ops).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.table().await?.batch_get(keys).await
    }

    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        self.table().await?.batch_write(puts, deletes).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use podcastflow_domain::keys::org_pk;
    use podcastflow_store::embedded::EmbeddedTable;
    use serde_json::json;

    use super::*;

    /// Counts sessions opened; each lives `ttl`; fails for organizations in `refused`.
    struct Counting {
        table: Arc<dyn Table>,
        opened: Arc<AtomicUsize>,
        ttl: Duration,
        refused: Option<OrgId>,
    }

    #[async_trait]
    impl SessionSource for Counting {
        async fn open(&self, org: &OrgId) -> Result<Session, StoreError> {
            if self.refused == Some(*org) {
                return Err(StoreError::Unavailable("sts refused".into()));
            }
            self.opened.fetch_add(1, Ordering::SeqCst);
            // Concurrent first requests must wait for this one rather than open their own.
            tokio::task::yield_now().await;
            let credentials = Credentials::new("AKIDTEST", "secret", None, None, "test");
            Ok(Session { table: self.table.clone(), credentials, expires_at: SystemTime::now() + self.ttl })
        }
    }

    fn tables(ttl: Duration, refused: Option<OrgId>) -> (ScopedTables, Arc<AtomicUsize>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let opened = Arc::new(AtomicUsize::new(0));
        let table: Arc<dyn Table> = Arc::new(EmbeddedTable::open(dir.path()).expect("embedded table"));
        (ScopedTables::new(Counting { table, opened: opened.clone(), ttl, refused }), opened, dir)
    }

    fn item(org: &OrgId) -> Item {
        serde_json::from_value(json!({"PK": org_pk(org, "X"), "SK": "S"})).expect("an item")
    }

    #[tokio::test]
    async fn one_session_per_organization_while_it_lasts() {
        let (tables, opened, _dir) = tables(Duration::from_secs(3600), None);
        let (a, b) = (OrgId::new(), OrgId::new());
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let t = tables.for_org(&a);
            calls.spawn(async move { t.get(&Key::new(org_pk(&a, "X"), "S")).await });
        }
        for r in calls.join_all().await {
            assert_eq!(r, Ok(None));
        }
        assert_eq!(opened.load(Ordering::SeqCst), 1, "concurrent first requests share one session");
        tables.for_org(&a).put(item(&a), Condition::Always).await.expect("put");
        tables.for_org(&b).get(&Key::new(org_pk(&b, "X"), "S")).await.expect("get");
        assert_eq!(opened.load(Ordering::SeqCst), 2, "one more for the second organization");
    }

    #[tokio::test]
    async fn a_session_near_expiry_is_replaced_and_a_refusal_is_an_outage() {
        let refused = OrgId::new();
        let (tables, opened, _dir) = tables(REFRESH_MARGIN / 2, Some(refused));
        let a = OrgId::new();
        for _ in 0..3 {
            tables.for_org(&a).get(&Key::new(org_pk(&a, "X"), "S")).await.expect("get");
        }
        assert_eq!(opened.load(Ordering::SeqCst), 3, "sessions inside the margin are never reused");
        let err = tables.for_org(&refused).get(&Key::new(org_pk(&refused, "X"), "S")).await;
        assert!(matches!(err, Err(StoreError::Unavailable(_))), "{err:?}");
    }
}
