//! Reads what template.yaml deploys, so the local stack serves exactly that.

use serde_yaml_ng::Value;
use thiserror::Error;

/// The template compiled into the binary (the repository's template.yaml at build time).
pub const BUNDLED: &str = include_str!("../../../template.yaml");

/// Why the template cannot be used.
#[derive(Debug, Error)]
pub enum TemplateError {
    /// Not YAML.
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    /// A required part is missing or of the wrong shape.
    #[error("template.yaml: {0}")]
    Shape(String),
}

/// One REST route: an `Api` event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoute {
    /// Logical id of the function serving it.
    pub function: String,
    /// Upper-case HTTP method, or `ANY`.
    pub method: String,
    /// Resource path with `{param}` and `{proxy+}` segments.
    pub path: String,
}

/// A DynamoDB table of the template with its key schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// Logical id.
    pub logical_id: String,
    /// Partition and sort key attribute names.
    pub key: (String, String),
    /// GSI name -> (partition, sort) attribute names.
    pub indexes: Vec<(String, (String, String))>,
    /// TTL attribute, if enabled.
    pub ttl: Option<String>,
}

/// What the local stack needs to know of the template.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// Every REST route.
    pub routes: Vec<ApiRoute>,
    /// Every DynamoDB table.
    pub tables: Vec<TableDef>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn key_schema(v: &Value) -> Option<(String, String)> {
    let elems = v.as_sequence()?;
    let find = |kind: &str| {
        elems.iter().find(|e| str_at(e, &["KeyType"]) == Some(kind)).and_then(|e| str_at(e, &["AttributeName"]))
    };
    Some((find("HASH")?.to_owned(), find("RANGE")?.to_owned()))
}

impl Template {
    /// Parses a template's text.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml_ng::from_str(text)?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| TemplateError::Shape("no Resources".into()))?;
        let mut t = Template::default();
        for (id, res) in resources {
            let id = id.as_str().ok_or_else(|| TemplateError::Shape("a resource id is not a string".into()))?;
            match str_at(res, &["Type"]) {
                Some("AWS::Serverless::Function") => {
                    let events = res.get("Properties").and_then(|p| p.get("Events")).and_then(Value::as_mapping);
                    for (name, ev) in events.into_iter().flatten() {
                        if str_at(ev, &["Type"]) != Some("Api") {
                            continue;
                        }
                        let what = || format!("{id}.Events.{}", name.as_str().unwrap_or("?"));
                        let path = str_at(ev, &["Properties", "Path"])
                            .ok_or_else(|| TemplateError::Shape(format!("{} has no Path", what())))?;
                        let method = str_at(ev, &["Properties", "Method"])
                            .ok_or_else(|| TemplateError::Shape(format!("{} has no Method", what())))?;
                        t.routes.push(ApiRoute {
                            function: id.to_owned(),
                            method: method.to_ascii_uppercase(),
                            path: path.to_owned(),
                        });
                    }
                }
                Some("AWS::DynamoDB::Table") => {
                    let props =
                        res.get("Properties").ok_or_else(|| TemplateError::Shape(format!("{id} has no Properties")))?;
                    let key = props
                        .get("KeySchema")
                        .and_then(key_schema)
                        .ok_or_else(|| TemplateError::Shape(format!("{id} has no HASH and RANGE key")))?;
                    let mut indexes = Vec::new();
                    for g in props.get("GlobalSecondaryIndexes").and_then(Value::as_sequence).into_iter().flatten() {
                        let name = str_at(g, &["IndexName"]).unwrap_or_default().to_owned();
                        let k = g
                            .get("KeySchema")
                            .and_then(key_schema)
                            .ok_or_else(|| TemplateError::Shape(format!("{id} index {name} lacks a key")))?;
                        indexes.push((name, k));
                    }
                    let ttl = match props.get("TimeToLiveSpecification") {
                        Some(s) if s.get("Enabled").and_then(Value::as_bool) == Some(true) => {
                            str_at(s, &["AttributeName"]).map(str::to_owned)
                        }
                        _ => None,
                    };
                    t.tables.push(TableDef { logical_id: id.to_owned(), key, indexes, ttl });
                }
                _ => {}
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podcastflow_domain::keys::{self, Index};

    #[test]
    fn the_bundled_template_declares_the_routes_and_the_table_the_code_uses() {
        let t = Template::parse(BUNDLED).unwrap();
        assert!(t.routes.contains(&ApiRoute {
            function: "MonitoringFunction".into(),
            method: "GET".into(),
            path: "/monitoring/health".into()
        }));
        // The table in template.yaml is the one the store's key builders and schema.rs assume.
        assert_eq!(t.tables.len(), 1);
        let table = &t.tables[0];
        assert_eq!(table.key, (keys::PK.to_owned(), keys::SK.to_owned()));
        let expected: Vec<(String, (String, String))> = [Index::Gsi1, Index::Gsi2]
            .iter()
            .map(|i| {
                let (p, s) = i.attributes();
                (i.name().unwrap_or_default().to_owned(), (p.to_owned(), s.to_owned()))
            })
            .collect();
        assert_eq!(table.indexes, expected);
        assert_eq!(table.ttl.as_deref(), Some(keys::EXPIRES_AT));
    }

    #[test]
    fn api_events_become_routes_and_other_events_do_not() {
        let t = Template::parse(
            r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        A: { Type: Api, Properties: { Path: "/a/{id}", Method: get, RestApiId: !Ref Api } }
        B: { Type: Schedule, Properties: { Schedule: rate(1 hour) } }
        C: { Type: Api, Properties: { Path: "/b/{proxy+}", Method: any } }
"#,
        )
        .unwrap();
        let routes: Vec<(String, String)> = t.routes.into_iter().map(|r| (r.method, r.path)).collect();
        assert_eq!(routes, vec![("GET".into(), "/a/{id}".into()), ("ANY".into(), "/b/{proxy+}".into())]);
    }

    #[test]
    fn malformed_templates_are_reported() {
        assert!(Template::parse("not: [valid").is_err());
        assert!(Template::parse("Resources: 3").is_err());
        let no_path = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        A: { Type: Api, Properties: { Method: get } }\n";
        assert!(matches!(Template::parse(no_path), Err(TemplateError::Shape(_))));
    }
}
