//! Compiles the port's typed conditions, updates and key conditions to DynamoDB expressions.
//! The only place in the code base where expression strings exist.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use podcastflow_domain::keys::{self, Index};
use serde_json::Value;

use crate::condition::{Condition, Update};
use crate::table::{KeyCondition, StoreError};

/// Placeholders collected while compiling one request's expressions.
#[derive(Debug, Default)]
pub struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

/// A JSON value as a DynamoDB attribute value.
pub fn attribute(v: &Value) -> Result<AttributeValue, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(v).map_err(|e| StoreError::InvalidRequest(e.to_string()))
}

impl Expr {
    /// A fresh, empty set of placeholders.
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder of an attribute name (reused when named twice).
    pub fn name(&mut self, attr: &str) -> String {
        if let Some((p, _)) = self.names.iter().find(|(_, a)| a.as_str() == attr) {
            return p.clone();
        }
        let p = format!("#n{}", self.names.len());
        self.names.insert(p.clone(), attr.to_owned());
        p
    }

    /// The placeholder of a value.
    pub fn value(&mut self, v: &Value) -> Result<String, StoreError> {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), attribute(v)?);
        Ok(p)
    }

    /// The condition expression, `None` for [`Condition::Always`].
    pub fn condition(&mut self, c: &Condition) -> Result<Option<String>, StoreError> {
        Ok(match c {
            Condition::Always => None,
            Condition::Exists => Some(format!("attribute_exists({})", self.name(keys::PK))),
            Condition::NotExists => Some(format!("attribute_not_exists({})", self.name(keys::PK))),
            Condition::VersionIs(v) => {
                let n = self.name(keys::VERSION);
                Some(format!("{n} = {}", self.value(&Value::from(*v))?))
            }
            Condition::Equals(a, v) => {
                let n = self.name(a);
                Some(format!("{n} = {}", self.value(v)?))
            }
            Condition::In(a, vs) if vs.is_empty() => {
                // Nothing is in the empty set: a condition that never holds.
                let _ = a;
                let pk = self.name(keys::PK);
                Some(format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))"))
            }
            Condition::In(a, vs) => {
                let n = self.name(a);
                let ps = vs.iter().map(|v| self.value(v)).collect::<Result<Vec<_>, _>>()?;
                Some(format!("{n} IN ({})", ps.join(", ")))
            }
            Condition::AttributeMissing(a) => Some(format!("attribute_not_exists({})", self.name(a))),
            Condition::All(cs) => {
                let parts: Vec<String> = cs
                    .iter()
                    .map(|c| self.condition(c))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .flatten()
                    .collect();
                match parts.len() {
                    0 => None,
                    _ => Some(parts.iter().map(|p| format!("({p})")).collect::<Vec<_>>().join(" AND ")),
                }
            }
            Condition::Any(cs) => {
                let mut parts = Vec::new();
                for c in cs {
                    match self.condition(c)? {
                        Some(p) => parts.push(format!("({p})")),
                        // One alternative always holds: so does the whole.
                        None => return Ok(None),
                    }
                }
                match parts.len() {
                    // No alternative: a condition that never holds.
                    0 => self.condition(&Condition::In(keys::PK.into(), Vec::new()))?,
                    _ => Some(parts.join(" OR ")),
                }
            }
            Condition::AtMost(a, n) => {
                let name = self.name(a);
                Some(format!("{name} <= {}", self.value(&Value::from(*n))?))
            }
            Condition::After(a, n) => {
                let name = self.name(a);
                Some(format!("{name} > {}", self.value(&Value::from(*n))?))
            }
        })
    }

    /// The update expression.
    pub fn update(&mut self, u: &Update) -> Result<String, StoreError> {
        u.check()?;
        let mut clauses = Vec::new();
        if !u.set.is_empty() {
            let parts = u
                .set
                .iter()
                .map(|(n, v)| Ok(format!("{} = {}", self.name(n), self.value(v)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            clauses.push(format!("SET {}", parts.join(", ")));
        }
        if !u.remove.is_empty() {
            let parts: Vec<String> = u.remove.iter().map(|n| self.name(n)).collect();
            clauses.push(format!("REMOVE {}", parts.join(", ")));
        }
        if !u.add.is_empty() {
            let parts = u
                .add
                .iter()
                .map(|(n, by)| Ok(format!("{} {}", self.name(n), self.value(&Value::from(*by))?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            clauses.push(format!("ADD {}", parts.join(", ")));
        }
        Ok(clauses.join(" "))
    }

    /// The key condition expression of a query.
    pub fn key_condition(
        &mut self,
        index: Index,
        partition: &str,
        sort: Option<&KeyCondition>,
    ) -> Result<String, StoreError> {
        let (p, s) = index.attributes();
        let pk = self.name(p);
        let mut out = format!("{pk} = {}", self.value(&Value::String(partition.into()))?);
        if let Some(sort) = sort {
            let sk = self.name(s);
            let mut v = |x: &str| self.value(&Value::String(x.into()));
            let clause = match sort {
                KeyCondition::Eq(x) => format!("{sk} = {}", v(x)?),
                KeyCondition::BeginsWith(x) => format!("begins_with({sk}, {})", v(x)?),
                KeyCondition::Between(a, b) => {
                    let (a, b) = (v(a)?, v(b)?);
                    format!("{sk} BETWEEN {a} AND {b}")
                }
                KeyCondition::Lt(x) => format!("{sk} < {}", v(x)?),
                KeyCondition::Le(x) => format!("{sk} <= {}", v(x)?),
                KeyCondition::Gt(x) => format!("{sk} > {}", v(x)?),
                KeyCondition::Ge(x) => format!("{sk} >= {}", v(x)?),
            };
            out.push_str(" AND ");
            out.push_str(&clause);
        }
        Ok(out)
    }

    /// The collected names, `None` when empty (DynamoDB refuses empty maps).
    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The collected values, `None` when empty.
    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_compile_with_placeholders_only() {
        let mut e = Expr::new();
        let c = Condition::All(vec![
            Condition::Exists,
            Condition::VersionIs(3),
            Condition::In("status".into(), vec![json!("won"), json!("live")]),
            Condition::Always,
        ]);
        let s = e.condition(&c).unwrap().unwrap();
        assert_eq!(s, "(attribute_exists(#n0)) AND (#n1 = :v0) AND (#n2 IN (:v1, :v2))");
        assert_eq!(e.names().unwrap().len(), 3);
        assert_eq!(e.values().unwrap().len(), 3);
        assert_eq!(Expr::new().condition(&Condition::Always).unwrap(), None);
        let mut e = Expr::new();
        let c = Condition::Any(vec![Condition::NotExists, Condition::AtMost("expiresAt".into(), 10)]);
        assert_eq!(e.condition(&c).unwrap().unwrap(), "(attribute_not_exists(#n0)) OR (#n1 <= :v0)");
        let always = Condition::Any(vec![Condition::Exists, Condition::Always]);
        assert_eq!(Expr::new().condition(&always).unwrap(), None);
        assert!(Expr::new().condition(&Condition::Any(Vec::new())).unwrap().unwrap().contains("attribute_not_exists"));
    }

    #[test]
    fn updates_and_key_conditions_compile() {
        let mut e = Expr::new();
        let u = Update::new().set("a", 1).remove("b").add("n", 2);
        assert_eq!(e.update(&u).unwrap(), "SET #n0 = :v0 REMOVE #n1 ADD #n2 :v1");
        let mut e = Expr::new();
        let k = e.key_condition(Index::Gsi1, "P", Some(&KeyCondition::Between("a".into(), "b".into()))).unwrap();
        assert_eq!(k, "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
        assert_eq!(e.names().unwrap()["#n0"], "GSI1PK");
    }
}
