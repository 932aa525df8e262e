//! Items as the port sees them: JSON objects with string key attributes.
//!
//! JSON is the common ground of both adapters: serde_dynamo maps it to DynamoDB attribute
//! values, redb stores it as bytes. Numbers are integers (money is minor units), so nothing is
//! lost either way.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use podcastflow_domain::keys::{self, Entity, Index, Key};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::table::StoreError;

/// One stored item: attribute name -> value.
pub type Item = Map<String, Value>;

/// DynamoDB's maximum item size; the embedded adapter enforces the same.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// The string value of an attribute, if present and a string.
pub fn str_attr<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(Value::as_str)
}

/// The primary key of an item, or an error naming what is missing.
pub fn key_of(item: &Item) -> Result<Key, StoreError> {
    match (str_attr(item, keys::PK), str_attr(item, keys::SK)) {
        (Some(pk), Some(sk)) if !pk.is_empty() && !sk.is_empty() => Ok(Key::new(pk, sk)),
        _ => Err(StoreError::InvalidRequest("an item needs non-empty string PK and SK".into())),
    }
}

/// The item's key in an index, if the item appears in it (both attributes present as strings).
pub fn index_key_of(item: &Item, index: Index) -> Option<Key> {
    let (p, s) = index.attributes();
    match (str_attr(item, p), str_attr(item, s)) {
        (Some(pk), Some(sk)) => Some(Key::new(pk, sk)),
        _ => None,
    }
}

/// The attributes naming an item's position in an index: the index keys plus the table keys
/// (what DynamoDB returns as `LastEvaluatedKey`).
pub fn position_in(item: &Item, index: Index) -> Item {
    position_attributes(index).filter_map(|name| Some((name.to_owned(), item.get(name)?.clone()))).collect()
}

/// The names of the attributes of a position in an index.
fn position_attributes(index: Index) -> impl Iterator<Item = &'static str> {
    let (p, s) = index.attributes();
    let of_index = (index != Index::Main).then_some([p, s]);
    [keys::PK, keys::SK].into_iter().chain(of_index.into_iter().flatten())
}

/// A key as an item holding only `PK` and `SK`.
pub fn key_item(key: &Key) -> Item {
    let mut m = Item::new();
    m.insert(keys::PK.into(), Value::String(key.pk.clone()));
    m.insert(keys::SK.into(), Value::String(key.sk.clone()));
    m
}

/// The item with its place in the tenant index (`GSI5PK`/`GSI5SK`), which both adapters add to
/// every item they put whole, so no repository can forget it; platform items and
/// [`keys::EPHEMERAL`] and [`keys::DERIVED`] types are left out. Items that only updates ever
/// create (none today) would be missing from it.
pub fn with_tenant_index(mut item: Item) -> Item {
    let ephemeral = str_attr(&item, keys::ENTITY).is_some_and(keys::outside_tenant_index);
    let at = match (str_attr(&item, keys::PK), str_attr(&item, keys::SK)) {
        (Some(pk), Some(sk)) if !ephemeral => keys::tenant_index_key(pk, sk),
        _ => None,
    };
    if let Some(k) = at {
        let (p, s) = Index::Gsi5.attributes();
        item.insert(p.into(), Value::String(k.pk));
        item.insert(s.into(), Value::String(k.sk));
    }
    item
}

/// The item without its table bookkeeping (keys of every index, type, version, request id, restore
/// marks), for
/// values stored as items and read back into types that refuse unknown fields.
pub fn without_bookkeeping(mut item: Item) -> Item {
    for index in Index::ALL {
        let (p, s) = index.attributes();
        item.remove(p);
        item.remove(s);
    }
    for k in [keys::ENTITY, keys::VERSION, keys::REQUEST_ID, keys::RESTORED_BY, keys::REMOVED_BY_RESTORE] {
        item.remove(k);
    }
    item
}

/// The `version` attribute of an item (0 when absent).
pub fn version_of(item: &Item) -> u64 {
    item.get(keys::VERSION).and_then(Value::as_u64).unwrap_or(0)
}

/// An entity as a stored item: its fields plus keys, index keys and `entity`.
pub fn to_item<E: Entity>(entity: &E) -> Result<Item, StoreError> {
    let mut item = match serde_json::to_value(entity) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(StoreError::InvalidRequest(format!("{} does not serialize to an object", E::TYPE)));
        }
        Err(e) => {
            return Err(StoreError::InvalidRequest(format!("{} does not serialize: {e}", E::TYPE)));
        }
    };
    let key = entity.key();
    item.insert(keys::PK.into(), Value::String(key.pk));
    item.insert(keys::SK.into(), Value::String(key.sk));
    for (index, k) in entity.index_keys() {
        let (p, s) = index.attributes();
        item.insert(p.into(), Value::String(k.pk));
        item.insert(s.into(), Value::String(k.sk));
    }
    item.insert(keys::ENTITY.into(), Value::String(E::TYPE.into()));
    item.insert(keys::VERSION.into(), Value::from(entity.version()));
    Ok(item)
}

/// A stored item back as an entity (key attributes are ignored).
pub fn from_item<E: DeserializeOwned>(item: Item) -> Result<E, StoreError> {
    serde_json::from_value(Value::Object(item)).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// An item as its adapter read it, decoded once by the caller: straight into an entity from the
/// stored form (no [`Item`] built on the way, which cost a list more than half its decoding), or
/// into an [`Item`] where a caller needs one. Adapters make them; wrappers pass them on.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem(Stored);

#[derive(Debug, Clone, PartialEq)]
enum Stored {
    Json(Vec<u8>),
    Dynamo(HashMap<String, AttributeValue>),
}

impl StoredItem {
    /// The embedded table's stored bytes (a JSON object).
    pub fn json(bytes: Vec<u8>) -> Self {
        Self(Stored::Json(bytes))
    }

    /// DynamoDB's attribute values as the SDK answered them.
    pub fn dynamo(attributes: HashMap<String, AttributeValue>) -> Self {
        Self(Stored::Dynamo(attributes))
    }

    /// The item as an entity (key attributes are ignored), exactly as [`from_item`] of
    /// [`Self::into_item`] would give it.
    pub fn decode<E: DeserializeOwned>(self) -> Result<E, StoreError> {
        match self.0 {
            Stored::Json(bytes) => serde_json::from_slice(&bytes).map_err(corrupt),
            Stored::Dynamo(map) => serde_dynamo::aws_sdk_dynamodb_1::from_item(map).map_err(corrupt),
        }
    }

    /// The item itself.
    pub fn into_item(self) -> Result<Item, StoreError> {
        self.decode()
    }

    /// The item's primary key, read without decoding the rest of it.
    pub fn key(&self) -> Result<Key, StoreError> {
        /// The key attributes of a stored item; serde skips the others unread.
        #[derive(serde::Deserialize)]
        struct KeyOnly {
            #[serde(rename = "PK")]
            pk: String,
            #[serde(rename = "SK")]
            sk: String,
        }
        match &self.0 {
            Stored::Json(bytes) => {
                let k: KeyOnly = serde_json::from_slice(bytes).map_err(corrupt)?;
                Ok(Key::new(k.pk, k.sk))
            }
            Stored::Dynamo(map) => match (map.get(keys::PK), map.get(keys::SK)) {
                (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Ok(Key::new(pk, sk)),
                _ => Err(StoreError::Corrupt("a stored item without string PK and SK".into())),
            },
        }
    }

    /// The attributes naming the item's position in an index (see [`position_in`]).
    pub fn position_in(&self, index: Index) -> Result<Item, StoreError> {
        match &self.0 {
            Stored::Json(bytes) => Ok(position_in(&serde_json::from_slice(bytes).map_err(corrupt)?, index)),
            Stored::Dynamo(map) => {
                let picked: HashMap<String, AttributeValue> = position_attributes(index)
                    .filter_map(|name| Some((name.to_owned(), map.get(name)?.clone())))
                    .collect();
                serde_dynamo::aws_sdk_dynamodb_1::from_item(picked).map_err(corrupt)
            }
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Any serializable value as an item (for non-entity records such as uniqueness claims).
pub fn value_item<T: Serialize>(key: &Key, entity: &str, value: &T) -> Result<Item, StoreError> {
    let mut item = match serde_json::to_value(value) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(StoreError::InvalidRequest(format!("{entity} does not serialize to an object")));
        }
    };
    item.insert(keys::PK.into(), Value::String(key.pk.clone()));
    item.insert(keys::SK.into(), Value::String(key.sk.clone()));
    item.insert(keys::ENTITY.into(), Value::String(entity.into()));
    Ok(item)
}
