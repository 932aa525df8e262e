//! Request models: the JSON schemas (draft 4) API Gateway validates request bodies against before
//! a function runs. template.yaml declares them (`Models` of the REST API, a `RequestModel` on
//! each route with a body); [`from_openapi`] derives them from infra/openapi.yaml's request
//! bodies, and a test keeps the two equal. The local gateway validates with the template's
//! models ([`RequestValidator`]), so a body refused here is one API Gateway refuses.
//!
//! `cargo run -p podcastflow-local --example request_models` prints the `Models` block the
//! template should carry.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};
use thiserror::Error;

/// The `$schema` of every model: API Gateway's models are JSON Schema draft 4.
pub const DRAFT4: &str = "http://json-schema.org/draft-04/schema#";

/// Keywords that only annotate a schema: left out of models (the functions check formats).
const ANNOTATIONS: [&str; 9] =
    ["description", "format", "example", "examples", "title", "readOnly", "writeOnly", "deprecated", "default"];

/// Keywords draft 4 validates with the same meaning as OpenAPI 3.1.
const SAME: [&str; 13] = [
    "type",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
];

/// Why a model cannot be derived or compiled.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The OpenAPI document uses something a draft-4 model cannot say.
    #[error("{at}: {what}")]
    Unsupported {
        /// Where in the document.
        at: String,
        /// What is not supported.
        what: String,
    },
    /// A model is not a valid draft-4 schema.
    #[error("model {name}: {error}")]
    Invalid {
        /// The model's name.
        name: String,
        /// The schema compiler's complaint.
        error: String,
    },
}

fn unsupported(at: &str, what: impl Into<String>) -> ModelError {
    ModelError::Unsupported { at: at.to_owned(), what: what.into() }
}

/// The request model of one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationModel {
    /// Upper-case HTTP method.
    pub method: String,
    /// Resource path as the template writes it.
    pub path: String,
    /// The model's name: the operationId in PascalCase, then `Request`.
    pub name: String,
    /// Whether a body must be sent (`requestBody.required`).
    pub required: bool,
    /// The draft-4 schema.
    pub schema: Value,
}

/// The model name for an operation id: `updateCampaign` is `UpdateCampaignRequest`.
pub fn model_name(operation_id: &str) -> String {
    let mut chars = operation_id.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase().to_string()).unwrap_or_default();
    format!("{first}{}Request", chars.as_str())
}

/// Every request model infra/openapi.yaml implies: one per operation with a JSON body.
pub fn from_openapi(doc: &Value) -> Result<Vec<OperationModel>, ModelError> {
    const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];
    let mut out = Vec::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let Some(body) = op.get("requestBody") else { continue };
            let at = format!("{} {path}", method.to_ascii_uppercase());
            let schema = body
                .pointer("/content/application~1json/schema")
                .ok_or_else(|| unsupported(&at, "a request body without an application/json schema"))?;
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| unsupported(&at, "an operation with a body needs an operationId"))?;
            let mut model = draft4(schema, doc, &at)?;
            if let Some(m) = model.as_object_mut() {
                m.insert("$schema".into(), Value::String(DRAFT4.into()));
            }
            out.push(OperationModel {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                name: model_name(id),
                required: body.get("required").and_then(Value::as_bool).unwrap_or(false),
                schema: model,
            });
        }
    }
    Ok(out)
}

/// The draft-4 form of an OpenAPI 3.1 schema, references to components inlined (models cannot
/// refer to each other by the document's paths).
pub fn draft4(schema: &Value, doc: &Value, at: &str) -> Result<Value, ModelError> {
    convert(schema, doc, at, 0)
}

fn convert(schema: &Value, doc: &Value, at: &str, depth: usize) -> Result<Value, ModelError> {
    if depth > 32 {
        return Err(unsupported(at, "references nest too deeply (a cycle?)"));
    }
    let obj = match schema {
        Value::Bool(b) => return Ok(Value::Bool(*b)),
        Value::Object(o) => o,
        _ => return Err(unsupported(at, "a schema that is not an object")),
    };
    if let Some(r) = obj.get("$ref") {
        let target = r
            .as_str()
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| doc.pointer(p))
            .ok_or_else(|| unsupported(at, format!("unresolved $ref {r}")))?;
        return convert(target, doc, at, depth + 1);
    }
    let mut out = Map::new();
    for (key, value) in obj {
        let here = format!("{at}/{key}");
        match key.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            k if SAME.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            // Draft 4 wants at least one name, and none says the same as the keyword's absence.
            "required" if value.as_array().is_some_and(Vec::is_empty) => {}
            "required" => {
                out.insert(key.clone(), value.clone());
            }
            "const" => {
                out.insert("enum".into(), Value::Array(vec![value.clone()]));
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                let bound = if key == "exclusiveMinimum" { "minimum" } else { "maximum" };
                if !value.is_number() {
                    return Err(unsupported(&here, "expected a number"));
                }
                out.insert(bound.into(), value.clone());
                out.insert(key.clone(), Value::Bool(true));
            }
            "properties" => {
                let props = value.as_object().ok_or_else(|| unsupported(&here, "expected an object"))?;
                let mut converted = Map::new();
                for (name, s) in props {
                    converted.insert(name.clone(), convert(s, doc, &format!("{here}/{name}"), depth + 1)?);
                }
                out.insert(key.clone(), Value::Object(converted));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), convert(value, doc, &here, depth + 1)?);
            }
            "oneOf" | "anyOf" | "allOf" => {
                let list = value.as_array().ok_or_else(|| unsupported(&here, "expected a list"))?;
                let converted =
                    list.iter().map(|s| convert(s, doc, &here, depth + 1)).collect::<Result<Vec<_>, _>>()?;
                out.insert(key.clone(), Value::Array(converted));
            }
            other => return Err(unsupported(&here, format!("keyword {other} has no draft-4 model form"))),
        }
    }
    Ok(Value::Object(out))
}

/// The `Models` of a template as one YAML block, for pasting under the REST API's `Properties`.
pub fn models_yaml(models: &[OperationModel]) -> Result<String, serde_yaml_ng::Error> {
    let by_name: BTreeMap<&str, &Value> = models.iter().map(|m| (m.name.as_str(), &m.schema)).collect();
    let text = serde_yaml_ng::to_string(&BTreeMap::from([("Models", by_name)]))?;
    Ok(text.lines().map(|l| format!("      {l}\n")).collect())
}

/// The compiled models of a template: checks bodies as API Gateway's request validator does.
#[derive(Default)]
pub struct RequestValidator {
    models: HashMap<String, jsonschema::Validator>,
}

impl std::fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestValidator").field("models", &self.models.keys().collect::<Vec<_>>()).finish()
    }
}

impl RequestValidator {
    /// Compiles every model; a schema that is not valid draft 4 is an error, as API Gateway
    /// refuses to create it.
    pub fn new(models: &BTreeMap<String, Value>) -> Result<Self, ModelError> {
        let mut compiled = HashMap::new();
        for (name, schema) in models {
            let invalid = |error: String| ModelError::Invalid { name: name.clone(), error };
            jsonschema::draft4::meta::validate(schema).map_err(|e| invalid(e.to_string()))?;
            let validator = jsonschema::draft4::new(schema).map_err(|e| invalid(e.to_string()))?;
            compiled.insert(name.clone(), validator);
        }
        Ok(Self { models: compiled })
    }

    /// Whether the template names this model.
    pub fn knows(&self, model: &str) -> bool {
        self.models.contains_key(model)
    }

    /// Checks a body against a model: `Err` holds the reasons it is refused (at most five).
    pub fn check(&self, model: &str, body: &[u8]) -> Result<(), Vec<String>> {
        let Some(validator) = self.models.get(model) else {
            return Err(vec![format!("no model named {model}")]);
        };
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) if body.is_empty() => return Err(vec!["a JSON body is required".into()]),
            Err(e) => return Err(vec![format!("the body is not JSON: {e}")]),
        };
        let reasons: Vec<String> = validator
            .iter_errors(&value)
            .take(5)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() { e.to_string() } else { format!("{at}: {e}") }
            })
            .collect();
        if reasons.is_empty() { Ok(()) } else { Err(reasons) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "components": { "schemas": {
                "Money": { "type": "object", "additionalProperties": false, "required": ["amount"],
                           "properties": { "amount": { "type": "integer", "minimum": 0 },
                                           "currency": { "type": "string", "pattern": "^[A-Z]{3}$" } } }
            } },
            "paths": {
                "/campaigns": {
                    "get": { "operationId": "listCampaigns" },
                    "post": { "operationId": "createCampaign", "requestBody": { "required": true, "content": {
                        "application/json": { "schema": {
                            "type": "object", "additionalProperties": false, "required": ["name"],
                            "properties": {
                                "name": { "type": "string", "minLength": 1, "description": "shown" },
                                "starts": { "type": "string", "format": "date" },
                                "budget": { "$ref": "#/components/schemas/Money" },
                                "clientId": { "type": ["string", "null"] },
                                "kind": { "const": "direct" },
                                "share": { "type": "number", "exclusiveMaximum": 1 },
                                "tags": { "type": "array", "items": { "type": "string" }, "maxItems": 2 },
                                "extra": { "type": "object", "required": [] }
                            } } } } } }
                }
            }
        })
    }

    #[test]
    fn openapi_bodies_become_draft4_models_with_references_inlined() {
        let models = from_openapi(&doc()).unwrap();
        assert_eq!(models.len(), 1);
        let m = &models[0];
        assert_eq!(
            (m.method.as_str(), m.path.as_str(), m.name.as_str(), m.required),
            ("POST", "/campaigns", "CreateCampaignRequest", true)
        );
        let s = &m.schema;
        assert_eq!(s["$schema"], DRAFT4);
        assert_eq!(s["properties"]["name"], json!({ "type": "string", "minLength": 1 }));
        assert_eq!(s["properties"]["starts"], json!({ "type": "string" }));
        assert_eq!(s["properties"]["budget"]["properties"]["amount"]["minimum"], 0);
        assert_eq!(s["properties"]["kind"], json!({ "enum": ["direct"] }));
        assert_eq!(s["properties"]["share"], json!({ "type": "number", "maximum": 1, "exclusiveMaximum": true }));
        assert_eq!(s["properties"]["extra"], json!({ "type": "object" }));
    }

    #[test]
    fn keywords_without_a_draft4_form_are_refused_not_dropped() {
        let mut d = doc();
        d["paths"]["/campaigns"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["name"]
            ["prefixItems"] = json!([]);
        let err = from_openapi(&d).unwrap_err().to_string();
        assert!(err.contains("prefixItems"), "{err}");
        let mut d = doc();
        d["paths"]["/campaigns"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["budget"] =
            json!({ "$ref": "#/components/schemas/Nope" });
        assert!(from_openapi(&d).unwrap_err().to_string().contains("unresolved"));
    }

    fn validator() -> RequestValidator {
        let models = from_openapi(&doc()).unwrap();
        RequestValidator::new(&models.into_iter().map(|m| (m.name, m.schema)).collect()).unwrap()
    }

    #[test]
    fn valid_bodies_pass_and_invalid_ones_say_why() {
        let v = validator();
        let model = "CreateCampaignRequest";
        assert!(v.knows(model));
        let ok = br#"{"name":"Spring","budget":{"amount":5,"currency":"EUR"},"clientId":null,"tags":["a"]}"#;
        assert_eq!(v.check(model, ok), Ok(()));
        // Formats are the functions' to check: the model lets any string through.
        assert_eq!(v.check(model, br#"{"name":"x","starts":"soon"}"#), Ok(()));
        let cases: [(&[u8], &str); 7] = [
            (b"", "required"),
            (b"{not json", "not JSON"),
            (br#"{"budget":{"amount":1}}"#, "name"),
            (br#"{"name":""}"#, "/name"),
            (br#"{"name":"x","budget":{"amount":-1}}"#, "/budget/amount"),
            (br#"{"name":"x","surprise":1}"#, "surprise"),
            (br#"{"name":"x","tags":["a","b","c"]}"#, "/tags"),
        ];
        for (body, expected) in cases {
            let reasons = v.check(model, body).unwrap_err();
            assert!(reasons.iter().any(|r| r.contains(expected)), "{:?}: {reasons:?}", String::from_utf8_lossy(body));
        }
        assert!(v.check("Nope", b"{}").is_err());
    }

    #[test]
    fn a_model_that_is_not_draft4_is_refused() {
        let models = BTreeMap::from([("Bad".to_owned(), json!({ "type": "object", "required": [] }))]);
        assert!(matches!(RequestValidator::new(&models), Err(ModelError::Invalid { .. })));
    }
}
