//! The repository's descriptions of the API agree with each other.

use std::collections::BTreeSet;

use podcastflow_local::template::{BUNDLED, Template};
use serde_yaml_ng::Value;

const OPENAPI: &str = include_str!("../../../infra/openapi.yaml");
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// Every (METHOD, path) of template.yaml's REST routes is in infra/openapi.yaml, and nothing more.
#[test]
fn template_routes_and_the_openapi_document_agree() {
    let template = Template::parse(BUNDLED).expect("template.yaml parses");
    let from_template: BTreeSet<(String, String)> =
        template.routes.iter().map(|r| (r.method.clone(), r.path.clone())).collect();
    let doc: Value = serde_yaml_ng::from_str(OPENAPI).expect("openapi.yaml parses");
    let mut from_openapi = BTreeSet::new();
    for (path, item) in doc.get("paths").and_then(Value::as_mapping).into_iter().flatten() {
        let path = path.as_str().expect("path keys are strings");
        for m in METHODS {
            if item.get(m).is_some() {
                from_openapi.insert((m.to_ascii_uppercase(), path.to_owned()));
            }
        }
    }
    assert!(!from_template.is_empty());
    assert_eq!(
        from_template, from_openapi,
        "template.yaml routes (left) and infra/openapi.yaml operations (right) must match"
    );
}

/// Every route is either behind the API's authorizer or marked public in both documents.
#[test]
fn public_routes_are_public_in_both() {
    let template = Template::parse(BUNDLED).expect("template.yaml parses");
    let doc: Value = serde_yaml_ng::from_str(OPENAPI).expect("openapi.yaml parses");
    for r in &template.routes {
        let op = &doc["paths"][r.path.as_str()][r.method.to_ascii_lowercase().as_str()];
        let public_in_openapi = op.get("security").and_then(Value::as_sequence).is_some_and(|s| s.is_empty());
        assert_eq!(public_in_openapi, r.authorizer.is_none(), "{} {}", r.method, r.path);
    }
}
