//! The OpenAPI document as the contract of every answer: each response a suite receives through
//! [`crate::client::Api`] is matched to its operation in infra/openapi.yaml, and its status must
//! be one the operation documents and its body must validate against the documented schema.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

/// The bundled document, as JSON.
const OPENAPI: &str = include_str!("../../infra/openapi.yaml");

/// One operation of the document: its path template split into segments, and its responses.
struct Operation {
    method: String,
    segments: Vec<String>,
    responses: Value,
    id: String,
}

struct Contract {
    operations: Vec<Operation>,
    components: Value,
    webhooks: Value,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let doc: Value = serde_yaml_ng::from_str(OPENAPI).expect("infra/openapi.yaml parses");
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if op.get("responses").is_none() {
                    continue;
                }
                operations.push(Operation {
                    method: method.to_uppercase(),
                    segments: path.trim_matches('/').split('/').map(str::to_owned).collect(),
                    responses: op["responses"].clone(),
                    id: op["operationId"].as_str().unwrap_or(path).to_owned(),
                });
            }
        }
        Contract {
            operations,
            components: doc["components"].clone(),
            webhooks: doc["webhooks"].clone(),
            validators: Mutex::default(),
        }
    })
}

/// The operation answering `method path`: literal segments win over templated ones.
fn operation(method: &str, path: &str) -> Option<&'static Operation> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let score = |op: &Operation| -> Option<usize> {
        if op.method != method || op.segments.len() != segments.len() {
            return None;
        }
        let mut literal = 0;
        for (t, s) in op.segments.iter().zip(&segments) {
            if t.starts_with('{') {
                continue;
            }
            if t != s {
                return None;
            }
            literal += 1;
        }
        Some(literal)
    };
    contract().operations.iter().filter_map(|op| score(op).map(|s| (s, op))).max_by_key(|(s, _)| *s).map(|(_, op)| op)
}

/// A documented response, with its `$ref` to the shared responses followed.
fn response(op: &Operation, status: u16) -> Option<Value> {
    let r = op.responses.get(status.to_string()).or_else(|| op.responses.get("default"))?;
    match r.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next()?;
            contract().components["responses"].get(name).cloned()
        }
        None => Some(r.clone()),
    }
}

fn validator(schema: &Value) -> std::sync::Arc<jsonschema::Validator> {
    let c = contract();
    let key = schema.to_string();
    let mut cache = c.validators.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(key)
        .or_insert_with(|| {
            // The schema with the document's components beside it, so its `$ref`s resolve.
            let mut root =
                json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "components": c.components});
            for (k, v) in schema.as_object().into_iter().flatten() {
                root[k] = v.clone();
            }
            if !schema.is_object() {
                root["allOf"] = json!([schema]);
            }
            std::sync::Arc::new(jsonschema::draft202012::new(&root).expect("a valid schema in infra/openapi.yaml"))
        })
        .clone()
}

/// Why an answer breaks the contract, or `None` when it keeps it. Routes outside the document
/// (the local stack's own `/docs`, `/openapi.json`, the identity provider's JWKS) are not judged.
pub fn violation(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &Value) -> Option<String> {
    let op = operation(method, path)?;
    let Some(documented) = response(op, status) else {
        return Some(format!("{method} {path} ({}) answered {status}, which it does not document", op.id));
    };
    let content = documented.get("content")?;
    let media = content_type.unwrap_or_default().split(';').next().unwrap_or_default().trim().to_owned();
    let Some(schema) = content.get(&media).and_then(|c| c.get("schema")) else {
        if body.is_null() {
            return None;
        }
        return Some(format!("{method} {path} ({}) answered {status} as {media:?}, which it does not document", op.id));
    };
    let v = validator(schema);
    let errors: Vec<String> = v.iter_errors(body).take(3).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    (!errors.is_empty()).then(|| {
        format!("{method} {path} ({}) answered {status} with a body off its schema: {}", op.id, errors.join("; "))
    })
}

/// The event types the document's `webhooks` section describes.
pub fn webhook_types() -> Vec<String> {
    contract().webhooks.as_object().map(|w| w.keys().cloned().collect()).unwrap_or_default()
}

/// Why a delivered envelope breaks the schema its type has in the `webhooks` section, or `None`.
pub fn webhook_violation(envelope: &Value) -> Option<String> {
    let t = envelope["type"].as_str().unwrap_or_default();
    let Some(schema) = contract().webhooks[t]["post"]["requestBody"]["content"]["application/json"].get("schema")
    else {
        return Some(format!("the webhooks section has no event {t:?}"));
    };
    let v = validator(schema);
    let errors: Vec<String> =
        v.iter_errors(envelope).take(3).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    (!errors.is_empty()).then(|| format!("a {t} delivery off its schema: {}", errors.join("; ")))
}

/// Every violation seen by this process, when `PODCASTFLOW_CONTRACT_REPORT` names a file to
/// collect them in rather than failing (to survey a document's gaps at once).
pub fn report(message: &str) {
    match std::env::var("PODCASTFLOW_CONTRACT_REPORT") {
        Ok(file) if !file.is_empty() => {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(file) {
                let _ = writeln!(f, "{message}");
            }
        }
        _ => panic!("the OpenAPI document is the contract: {message}"),
    }
}
