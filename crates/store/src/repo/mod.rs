//! Repositories per aggregate on top of the Table port. Each one writes an aggregate's items
//! (record, relationship items, uniqueness claims) in one transaction, conditional on the version
//! the caller read, and reads them back through the access patterns documented beside the keys in
//! the domain crate. None of them scans.

pub mod activities;
pub mod ad_reads;
pub mod api_keys;
pub mod availability;
pub mod backups;
pub mod billing;
pub mod campaigns;
pub mod clients;
pub mod connections;
pub mod delivery;
pub mod episodes;
pub mod evidence;
pub mod identity_move;
pub mod inventory;
pub mod media;
pub mod notifications;
pub mod numbers;
pub mod orders;
pub mod organizations;
pub mod readers;
pub mod recounts;
pub mod shows;
pub mod sign_ins;
pub mod throttle;
pub mod users;
pub mod webhooks;

use std::collections::BTreeSet;

use podcastflow_domain::OrgId;
use podcastflow_domain::keys::{Entity, Key, lookup};
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::condition::Condition;
use crate::cursor::Page;
use crate::item::{self, Item, StoredItem};
use crate::table::{StoreError, Table, TransactOp};

/// Why a repository operation failed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RepoError {
    /// Nothing stored under that id.
    #[error("not found")]
    NotFound,
    /// Something with that id already exists.
    #[error("already exists")]
    AlreadyExists,
    /// The stored version is not the one the caller read (412 with the current version).
    #[error("version conflict: the current version is {current}")]
    VersionConflict {
        /// The version now stored.
        current: u64,
    },
    /// A unique value (e-mail, slug) is taken.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// A guard on related data failed (e.g. the status changed meanwhile).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The table failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a failed condition on one write means to the caller.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OnConflict {
    /// The item should not have existed.
    AlreadyExists,
    /// The item should have had the version read by the caller.
    Version,
    /// A uniqueness claim is held by someone else.
    Taken(&'static str),
    /// The item should have existed.
    NotFound,
    /// Another guard.
    Conflict(&'static str),
}

/// One write of a repository operation and what its failure means.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    pub op: TransactOp,
    pub on_conflict: OnConflict,
}

impl Write {
    /// Creates an entity that must not exist yet.
    pub fn create<E: Entity>(e: &E) -> Result<Self, StoreError> {
        Ok(Self {
            op: TransactOp::Put { item: item::to_item(e)?, condition: Condition::NotExists },
            on_conflict: OnConflict::AlreadyExists,
        })
    }

    /// Replaces an entity whose stored version must be `expected` (the entity carries `expected + 1`).
    pub fn replace<E: Entity>(e: &E, expected: u64) -> Result<Self, StoreError> {
        if e.version() != expected + 1 {
            return Err(StoreError::InvalidRequest(format!(
                "{} must be written with version {}",
                E::TYPE,
                expected + 1
            )));
        }
        Ok(Self {
            op: TransactOp::Put { item: item::to_item(e)?, condition: Condition::VersionIs(expected) },
            on_conflict: OnConflict::Version,
        })
    }

    /// Like [`Write::replace`], and `also` must hold on the stored item too.
    pub fn replace_if<E: Entity>(e: &E, expected: u64, also: Condition) -> Result<Self, StoreError> {
        let mut w = Self::replace(e, expected)?;
        if let TransactOp::Put { condition, .. } = &mut w.op {
            *condition = Condition::All(vec![Condition::VersionIs(expected), also]);
        }
        Ok(w)
    }

    /// Puts an item unconditionally (relationship and projection items).
    pub fn put(item: Item) -> Self {
        Self {
            op: TransactOp::Put { item, condition: Condition::Always },
            on_conflict: OnConflict::Conflict("unexpected"),
        }
    }

    /// Claims a unique value: the claim item must not exist.
    pub fn claim(item: Item, what: &'static str) -> Self {
        Self { op: TransactOp::Put { item, condition: Condition::NotExists }, on_conflict: OnConflict::Taken(what) }
    }

    /// Deletes an item whatever its state.
    pub fn delete(key: Key) -> Self {
        Self {
            op: TransactOp::Delete { key, condition: Condition::Always },
            on_conflict: OnConflict::Conflict("unexpected"),
        }
    }

    /// Deletes an entity whose stored version must be `expected`.
    pub fn delete_versioned(key: Key, expected: u64) -> Self {
        Self {
            op: TransactOp::Delete { key, condition: Condition::VersionIs(expected) },
            on_conflict: OnConflict::Version,
        }
    }

    /// Requires a condition on another item, meaning `on_conflict` when it fails.
    pub fn check(key: Key, condition: Condition, on_conflict: OnConflict) -> Self {
        Self { op: TransactOp::Check { key, condition }, on_conflict }
    }
}

/// Applies the writes atomically (a single write without a transaction, which costs half) and
/// turns a failed condition into what it means.
pub(crate) async fn commit(table: &dyn Table, mut writes: Vec<Write>) -> Result<(), RepoError> {
    let (failed, key) = if writes.len() == 1 {
        let w = writes.remove(0);
        let key = w.op.key()?;
        let result = match w.op {
            TransactOp::Put { item, condition } => table.put(item, condition).await,
            TransactOp::Update { key, update, condition } => table.update(&key, update, condition).await.map(|_| ()),
            TransactOp::Delete { key, condition } => table.delete(&key, condition).await.map(|_| ()),
            TransactOp::Check { key, condition } => match table.get(&key).await? {
                current if condition.holds(current.as_ref()) => Ok(()),
                _ => Err(StoreError::ConditionFailed { key: key.clone() }),
            },
        };
        match result {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed { .. }) => (w.on_conflict, key),
            Err(e) => return Err(e.into()),
        }
    } else {
        let meanings: Vec<OnConflict> = writes.iter().map(|w| w.on_conflict.clone()).collect();
        match table.transact(writes.into_iter().map(|w| w.op).collect()).await {
            Ok(()) => return Ok(()),
            Err(StoreError::TransactionConflict { index, key }) => (meanings[index].clone(), key),
            Err(e) => return Err(e.into()),
        }
    };
    Err(match failed {
        OnConflict::AlreadyExists => RepoError::AlreadyExists,
        OnConflict::Taken(what) => RepoError::Taken(what),
        OnConflict::NotFound => RepoError::NotFound,
        OnConflict::Conflict(what) => RepoError::Conflict(what),
        OnConflict::Version => match table.get(&key).await? {
            Some(current) => RepoError::VersionConflict { current: item::version_of(&current) },
            None => RepoError::NotFound,
        },
    })
}

/// Reads one entity.
pub(crate) async fn get<E: DeserializeOwned>(table: &dyn Table, key: &Key) -> Result<Option<E>, RepoError> {
    match table.get(key).await? {
        Some(i) => Ok(Some(item::from_item(i)?)),
        None => Ok(None),
    }
}

/// Reads one entity that must exist.
pub(crate) async fn require<E: DeserializeOwned>(table: &dyn Table, key: &Key) -> Result<E, RepoError> {
    get(table, key).await?.ok_or(RepoError::NotFound)
}

/// A page of entities for a client.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityPage<E> {
    /// The entities.
    pub items: Vec<E>,
    /// Cursor of the next page, if any.
    pub cursor: Option<String>,
}

impl<E: DeserializeOwned> EntityPage<E> {
    /// Decodes a page of items.
    pub(crate) fn decode(page: Page) -> Result<Self, RepoError> {
        let items = page.items.into_iter().map(StoredItem::decode).collect::<Result<Vec<E>, _>>()?;
        Ok(Self { items, cursor: page.cursor })
    }
}

/// Every item of a paged list, reading page after page with `page(cursor)` (100 at a time is the
/// callers' usual size): for the places that need a whole, bounded list (a principal's own
/// relations, a daily job's due items).
pub async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, RepoError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<EntityPage<T>, RepoError>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let p = page(cursor.take()).await?;
        items.extend(p.items);
        match p.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(items),
        }
    }
}

/// The ids added and removed between two lists.
pub(crate) fn link_diff<T: Ord + Clone>(before: &[T], after: &[T]) -> (Vec<T>, Vec<T>) {
    let b: BTreeSet<&T> = before.iter().collect();
    let a: BTreeSet<&T> = after.iter().collect();
    (a.difference(&b).map(|t| (*t).clone()).collect(), b.difference(&a).map(|t| (*t).clone()).collect())
}

/// A small relationship item (`entity` = `kind`) under a key, carrying a few attributes.
pub(crate) fn link_item(key: &Key, kind: &str, attrs: serde_json::Value) -> Result<Item, StoreError> {
    item::value_item(key, kind, &attrs)
}

/// Every item of a query, across pages (for bounded relationship partitions only), on a tenant's
/// table or the platform table alike.
pub(crate) async fn all_items(t: &dyn Table, q: &crate::table::Query) -> Result<Vec<Item>, RepoError> {
    Ok(all_stored(t, q).await?.into_iter().map(StoredItem::into_item).collect::<Result<_, _>>()?)
}

/// Every item of a query, across pages, decoded straight into `E` (see [`all_items`]).
pub(crate) async fn all_decoded<E: DeserializeOwned>(
    t: &dyn Table,
    q: &crate::table::Query,
) -> Result<Vec<E>, RepoError> {
    Ok(all_stored(t, q).await?.into_iter().map(StoredItem::decode).collect::<Result<_, _>>()?)
}

async fn all_stored(t: &dyn Table, q: &crate::table::Query) -> Result<Vec<StoredItem>, RepoError> {
    let mut items = Vec::new();
    let mut q = q.clone();
    loop {
        let out = t.query_stored(&q).await?;
        items.extend(out.items);
        match out.last_key {
            Some(last) => q.start_after = Some(last),
            None => return Ok(items),
        }
    }
}

/// An item to be found through a platform lookup (`keys::lookup`): `value` under `key` in its
/// organization's partition, indexed under the lookup partition `lookup_pk` / `lookup_sk`.
pub(crate) fn lookup_item<T: serde::Serialize>(
    key: &Key,
    entity: &str,
    value: &T,
    lookup_pk: String,
    lookup_sk: String,
) -> Result<Item, StoreError> {
    let mut it = item::value_item(key, entity, value)?;
    let (pk, sk) = lookup::INDEX.attributes();
    it.insert(pk.into(), lookup_pk.into());
    it.insert(sk.into(), lookup_sk.into());
    Ok(it)
}

/// Everything a platform lookup partition holds, each item with the organization its partition
/// key names, the only one a reader may trust for it ([`lookup::owner`]); an item outside every
/// tenant is left out. Lookup partitions are small (one user's membership and revoked sign-ins,
/// one secret's grant), the organization list aside, which pages itself.
pub(crate) async fn lookup(table: &dyn Table, partition: &str) -> Result<Vec<(OrgId, Item)>, RepoError> {
    let q = crate::table::Query::partition(lookup::INDEX, partition).limit(100);
    let mut found = Vec::new();
    for i in all_items(table, &q).await? {
        if let Some(org) = lookup::owner(&item::key_of(&i)?.pk) {
            found.push((org, i));
        }
    }
    Ok(found)
}

/// Reads many entities by key, leaving out missing ones, in the order of `keys`.
pub(crate) async fn get_many<E: Entity + DeserializeOwned>(
    table: &dyn Table,
    keys: &[Key],
) -> Result<Vec<E>, RepoError> {
    let mut found: Vec<E> = table.batch_get(keys).await?.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    found.sort_by_key(|e| keys.iter().position(|k| *k == e.key()));
    Ok(found)
}

/// One string attribute of each item, parsed (relationship items name their target this way).
pub(crate) fn ids_in<T: std::str::FromStr>(items: &[Item], attribute: &str) -> Vec<T> {
    items.iter().filter_map(|i| item::str_attr(i, attribute)).filter_map(|s| s.parse().ok()).collect()
}
