//! Typed write conditions and updates. The DynamoDB adapter compiles them to expressions; the
//! embedded adapter evaluates them directly with [`Condition::holds`] and [`Update::apply`].

use podcastflow_domain::keys::{self, Key};
use serde_json::Value;

use crate::item::Item;
use crate::table::StoreError;

/// A condition on the item currently stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// No condition.
    Always,
    /// An item exists under the key.
    Exists,
    /// No item exists under the key.
    NotExists,
    /// The item exists and its `version` equals this.
    VersionIs(u64),
    /// The item exists and this attribute equals this value.
    Equals(String, Value),
    /// The item exists and this attribute is one of these values.
    In(String, Vec<Value>),
    /// The item is absent or lacks this attribute.
    AttributeMissing(String),
    /// Every condition holds.
    All(Vec<Condition>),
    /// Some condition holds (none for an empty list).
    Any(Vec<Condition>),
    /// The item exists and this attribute is a number no greater than this (an expiry in epoch
    /// seconds that has passed).
    AtMost(String, i64),
    /// The item exists and this attribute is a number greater than this (an expiry in epoch
    /// seconds still ahead).
    After(String, i64),
}

impl Condition {
    /// Whether the condition holds for the currently stored item (`None`: nothing stored).
    pub fn holds(&self, current: Option<&Item>) -> bool {
        match self {
            Condition::Always => true,
            Condition::Exists => current.is_some(),
            Condition::NotExists => current.is_none(),
            Condition::VersionIs(v) => current.and_then(|i| i.get(keys::VERSION)).and_then(Value::as_u64) == Some(*v),
            Condition::Equals(a, v) => current.and_then(|i| i.get(a)) == Some(v),
            Condition::In(a, vs) => current.and_then(|i| i.get(a)).is_some_and(|x| vs.contains(x)),
            Condition::AttributeMissing(a) => current.is_none_or(|i| !i.contains_key(a)),
            Condition::All(cs) => cs.iter().all(|c| c.holds(current)),
            Condition::Any(cs) => cs.iter().any(|c| c.holds(current)),
            Condition::AtMost(a, n) => current.and_then(|i| i.get(a)).and_then(number).is_some_and(|x| x <= *n as f64),
            Condition::After(a, n) => current.and_then(|i| i.get(a)).and_then(number).is_some_and(|x| x > *n as f64),
        }
    }
}

/// A number attribute's value as DynamoDB compares it (integers and decimals alike).
fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Changes to an item's attributes, applied atomically. An update of a missing item creates it
/// (as DynamoDB does) unless a condition says otherwise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// Attributes to set.
    pub set: Vec<(String, Value)>,
    /// Attributes to remove.
    pub remove: Vec<String>,
    /// Numeric attributes to add to (a missing attribute counts as 0).
    pub add: Vec<(String, i64)>,
}

impl Update {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an attribute.
    pub fn set(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set.push((name.into(), value.into()));
        self
    }

    /// Removes an attribute.
    pub fn remove(mut self, name: impl Into<String>) -> Self {
        self.remove.push(name.into());
        self
    }

    /// Adds to a numeric attribute.
    pub fn add(mut self, name: impl Into<String>, by: i64) -> Self {
        self.add.push((name.into(), by));
        self
    }

    /// Refuses updates DynamoDB would refuse: empty, touching a key, or naming one attribute twice.
    pub fn check(&self) -> Result<(), StoreError> {
        let names: Vec<&str> = self
            .set
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(self.remove.iter().map(String::as_str))
            .chain(self.add.iter().map(|(n, _)| n.as_str()))
            .collect();
        if names.is_empty() {
            return Err(StoreError::InvalidRequest("an update must change something".into()));
        }
        for (i, n) in names.iter().enumerate() {
            if *n == keys::PK || *n == keys::SK {
                return Err(StoreError::InvalidRequest("an update cannot change PK or SK".into()));
            }
            if names[..i].contains(n) {
                return Err(StoreError::InvalidRequest(format!("attribute {n} appears twice in one update")));
            }
        }
        Ok(())
    }

    /// The item after this update, starting from the current one (or an empty item at `key`).
    pub fn apply(&self, key: &Key, current: Option<&Item>) -> Result<Item, StoreError> {
        self.check()?;
        let mut item = current.cloned().unwrap_or_else(|| crate::item::key_item(key));
        for (n, v) in &self.set {
            item.insert(n.clone(), v.clone());
        }
        for n in &self.remove {
            item.remove(n);
        }
        for (n, by) in &self.add {
            let now = match item.get(n) {
                None => 0,
                Some(v) => v
                    .as_i64()
                    .ok_or_else(|| StoreError::InvalidRequest(format!("cannot add to non-integer attribute {n}")))?,
            };
            let next = now.checked_add(*by).ok_or_else(|| StoreError::InvalidRequest(format!("{n} would overflow")))?;
            item.insert(n.clone(), Value::from(next));
        }
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Item {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn conditions_on_present_and_absent_items() {
        let i = item(json!({"PK": "a", "SK": "b", "version": 3, "status": "draft"}));
        assert!(Condition::Exists.holds(Some(&i)) && !Condition::Exists.holds(None));
        assert!(Condition::NotExists.holds(None) && !Condition::NotExists.holds(Some(&i)));
        assert!(Condition::VersionIs(3).holds(Some(&i)) && !Condition::VersionIs(2).holds(Some(&i)));
        assert!(!Condition::VersionIs(0).holds(None));
        assert!(Condition::Equals("status".into(), json!("draft")).holds(Some(&i)));
        assert!(Condition::In("status".into(), vec![json!("won"), json!("draft")]).holds(Some(&i)));
        assert!(!Condition::In("status".into(), vec![json!("won")]).holds(Some(&i)));
        assert!(
            Condition::AttributeMissing("x".into()).holds(Some(&i))
                && Condition::AttributeMissing("x".into()).holds(None)
        );
        assert!(!Condition::All(vec![Condition::Exists, Condition::VersionIs(9)]).holds(Some(&i)));
    }

    #[test]
    fn updates_set_remove_and_add() {
        let k = Key::new("a", "b");
        let i = item(json!({"PK": "a", "SK": "b", "n": 1, "gone": true}));
        let u = Update::new().set("name", "x").remove("gone").add("n", 4).add("fresh", -2);
        let out = u.apply(&k, Some(&i)).unwrap();
        assert_eq!(Value::Object(out), json!({"PK": "a", "SK": "b", "n": 5, "name": "x", "fresh": -2}));
        assert!(Update::new().apply(&k, None).is_err());
        assert!(Update::new().set("PK", "z").apply(&k, None).is_err());
        assert!(Update::new().set("a", 1).remove("a").apply(&k, None).is_err());
        assert!(Update::new().add("name", 1).apply(&k, Some(&item(json!({"name": "x"})))).is_err());
    }
}
