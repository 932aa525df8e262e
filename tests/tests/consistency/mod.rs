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

/// The repository root, from this crate's manifest directory.
fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every function of template.yaml has sample events in `events/<binary>/`, and every sample
/// event is fed to its handler by a test of the function (what `sam local invoke` would do).
#[test]
fn every_function_has_sample_events_and_every_event_is_fed_to_its_handler() {
    let doc: Value = serde_yaml_ng::from_str(BUNDLED).expect("template.yaml parses");
    let mut binaries = BTreeSet::new();
    for (id, res) in doc["Resources"].as_mapping().expect("resources") {
        if res["Type"].as_str() == Some("AWS::Serverless::Function") {
            let binary = res["Metadata"]["BuildProperties"]["Binary"].as_str();
            let binary = binary.unwrap_or_else(|| panic!("{id:?} names no Binary"));
            binaries.insert(binary.trim_start_matches("podcastflow-").to_owned());
        }
    }
    let mut sources = String::new();
    // A function's handler is tested in its crate, or in the crate its decision lives in.
    let crates = std::fs::read_dir(root().join("crates")).expect("crates/");
    for dir in std::fs::read_dir(root().join("functions")).expect("functions/").chain(crates) {
        let src = dir.expect("an entry").path().join("src");
        for file in std::fs::read_dir(&src).into_iter().flatten().flatten() {
            sources.push_str(&std::fs::read_to_string(file.path()).unwrap_or_default());
        }
    }
    for binary in &binaries {
        let dir = root().join("events").join(binary);
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("no events/{binary}/"))
            .flatten()
            .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
            .collect();
        assert!(!files.is_empty(), "events/{binary}/ has no sample event");
        for f in files {
            let name = format!("events/{binary}/{}", f.file_name().to_string_lossy());
            assert!(sources.contains(&format!("\"../../../{name}\"")), "{name} is fed to no handler by a test");
        }
    }
}

/// Public routes are exactly the documented ones; every other route is behind the authorizer.
#[test]
fn only_the_listed_routes_are_public() {
    const PUBLIC: [(&str, &str); 6] = [
        ("GET", "/monitoring/health"),
        ("POST", "/auth/login"),
        ("POST", "/auth/challenge"),
        ("POST", "/auth/refresh"),
        ("POST", "/auth/password/forgot"),
        ("POST", "/auth/password/confirm"),
    ];
    let template = Template::parse(BUNDLED).expect("template.yaml parses");
    let public: BTreeSet<(String, String)> =
        template.routes.iter().filter(|r| r.authorizer.is_none()).map(|r| (r.method.clone(), r.path.clone())).collect();
    let listed: BTreeSet<(String, String)> = PUBLIC.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(public, listed, "public routes (left) and the documented list (right)");
}

/// The REST API's request models are infra/openapi.yaml's request bodies in draft 4, and every
/// route with a body has its operation's model (and no other route has one): what API Gateway
/// refuses before a function runs is exactly what the document says is not a valid body.
#[test]
fn request_models_are_the_openapi_request_bodies() {
    use podcastflow_local::models::{from_openapi, models_yaml};
    let template = Template::parse(BUNDLED).expect("template.yaml parses");
    let doc: serde_json::Value = serde_yaml_ng::from_str(OPENAPI).expect("openapi.yaml parses");
    let expected = from_openapi(&doc).expect("every request body has a draft-4 model");
    assert!(expected.len() >= 30, "the document's bodies: {}", expected.len());
    let derived: std::collections::BTreeMap<String, serde_json::Value> =
        expected.iter().map(|m| (m.name.clone(), m.schema.clone())).collect();
    assert!(
        template.models == derived,
        "template.yaml's Models differ from infra/openapi.yaml's request bodies; the block should read:\n{}",
        models_yaml(&expected).unwrap_or_default()
    );
    let by_route: std::collections::BTreeMap<(String, String), (String, bool)> =
        expected.into_iter().map(|m| ((m.method, m.path), (m.name, m.required))).collect();
    for r in &template.routes {
        let declared = r.request_model.as_ref().map(|m| (m.name.clone(), m.required));
        let wanted = by_route.get(&(r.method.clone(), r.path.clone())).cloned();
        assert_eq!(declared, wanted, "RequestModel of {} {} (left) and its OpenAPI body (right)", r.method, r.path);
    }
    // The models compile as API Gateway would create them.
    podcastflow_local::models::RequestValidator::new(&template.models).expect("draft-4 models");
}

/// Usage plans: every route but the public ones is metered; the key the authorizer names for
/// people is the template's interactive key; the users function registers API keys in the plan
/// the local stack enforces for them.
#[test]
fn metered_routes_and_the_usage_plan_keys_agree() {
    use podcastflow_local::usage::{API_KEYS_PLAN, INTERACTIVE_KEY};
    let template = Template::parse(BUNDLED).expect("template.yaml parses");
    for r in &template.routes {
        assert_eq!(r.api_key_required, r.authorizer.is_some(), "ApiKeyRequired of {} {}", r.method, r.path);
    }
    let doc: Value = serde_yaml_ng::from_str(BUNDLED).expect("template.yaml parses");
    let resources = &doc["Resources"];
    assert_eq!(resources["RestApi"]["Properties"]["ApiKeySourceType"].as_str(), Some("AUTHORIZER"));
    let sub = |v: &Value| match v {
        Value::Tagged(t) if t.tag == "Sub" => t.value.as_str().map(str::to_owned),
        _ => None,
    };
    let interactive = sub(&resources[INTERACTIVE_KEY]["Properties"]["Value"]).expect("the interactive key's value");
    let env = &resources["AuthorizerFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(sub(&env["INTERACTIVE_USAGE_KEY"]), Some(interactive), "the authorizer names the interactive key");
    let users = &resources["UsersFunction"]["Properties"]["Environment"]["Variables"];
    let plan = match &users["API_KEYS_USAGE_PLAN_ID"] {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str().map(str::to_owned),
        _ => None,
    };
    assert_eq!(plan.as_deref(), Some(API_KEYS_PLAN), "users registers keys in the plan for API keys");
    assert!(template.usage_plans.iter().any(|p| p.id == API_KEYS_PLAN && p.throttle.is_some() && p.quota.is_some()));
    let key = template.usage_keys.iter().find(|k| k.id == INTERACTIVE_KEY).expect("the interactive key");
    assert!(key.enabled && !key.plans.is_empty(), "{key:?}");
}

/// The package names and manifests of the crates under `dir` (`crates` or `functions`).
fn packages_in(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join(dir)).expect("directory") {
        let manifest = entry.expect("entry").path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let name = text
            .lines()
            .find_map(|l| l.strip_prefix("name = \"").and_then(|r| r.strip_suffix('"')))
            .unwrap_or_else(|| panic!("{} names no package", manifest.display()))
            .to_owned();
        out.push((name, text));
    }
    out
}

/// The dependency graph flows one way: a function depends on crates/ only, never on another
/// function (what two functions share lives in a crate), and no crate but the local stack
/// depends on a function.
#[test]
fn functions_depend_only_on_crates() {
    let functions = packages_in("functions");
    let names: BTreeSet<&str> = functions.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.len() >= 18, "{names:?}");
    let depends_on = |manifest: &str, package: &str| {
        manifest.lines().any(|l| l.trim_start().strip_prefix(package).is_some_and(|r| r.starts_with(['.', ' ', '='])))
    };
    let mut wrong = Vec::new();
    for (name, manifest) in functions.iter().chain(packages_in("crates").iter()) {
        if name == "podcastflow-local" {
            continue;
        }
        for other in names.iter().filter(|o| **o != name) {
            if depends_on(manifest, other) {
                wrong.push(format!("{name} -> {other}"));
            }
        }
    }
    assert!(wrong.is_empty(), "functions depend only on crates/: {wrong:?}");
}

#[test]
fn the_domain_document_lists_exactly_the_notification_types() {
    use podcastflow_domain::notification::NotificationType;
    let doc = std::fs::read_to_string(root().join("docs/domain.md")).expect("docs/domain.md");
    let section = doc.split("## Notifications").nth(1).and_then(|s| s.split("\n## ").next()).unwrap_or_default();
    let listed: Vec<&str> =
        section.lines().filter_map(|l| l.strip_prefix("| `")).filter_map(|l| l.split('`').next()).collect();
    let catalogue: Vec<&str> = NotificationType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(listed, catalogue, "docs/domain.md's notification table and NotificationType::ALL");
    let openapi = std::fs::read_to_string(root().join("infra/openapi.yaml")).expect("openapi");
    assert!(openapi.contains(&format!("enum: [{}]", catalogue.join(", "))), "the Notification schema's type enum");
}

#[test]
fn every_operation_documents_the_refusals_every_route_can_answer() {
    let doc: serde_json::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(root().join("infra/openapi.yaml")).unwrap()).unwrap();
    let global_security = doc["security"].clone();
    let mut gaps = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op.get("responses").and_then(|r| r.as_object()) else { continue };
            let secured = op.get("security").unwrap_or(&global_security).as_array().is_some_and(|s| !s.is_empty());
            // Rate limits and outages anywhere; the authorizer's and the policy's refusals and
            // bad input on every signed-in route; unknown ids under a path parameter; bodies
            // over the limit or of another media type wherever a body is read.
            let mut wanted = vec!["429", "503"];
            if secured {
                wanted.extend(["400", "401", "403"]);
            }
            if path.contains('{') {
                wanted.push("404");
            }
            if op.get("requestBody").is_some() {
                wanted.extend(["400", "413", "415"]);
            }
            if responses.contains_key("428") {
                wanted.push("412");
            }
            for status in wanted {
                if !responses.contains_key(status) {
                    gaps.push(format!("{} {path} lacks {status}", method.to_uppercase()));
                }
            }
        }
    }
    assert!(gaps.is_empty(), "{gaps:#?}");
}

#[test]
fn the_contract_check_refuses_what_the_document_does_not_say() {
    use podcastflow_tests::openapi::violation;
    use serde_json::json;
    let json_type = Some("application/json");
    let problem = Some("application/problem+json");
    // An undocumented status, a body off its schema (a list's items are checked too), an
    // undocumented media type: each is named.
    assert!(violation("GET", "/campaigns", 418, problem, &json!({"type": "x", "title": "t"})).is_some());
    assert!(violation("GET", "/campaigns?limit=5", 200, json_type, &json!({"items": [{"id": 5}]})).is_some());
    assert!(violation("GET", "/users/01ABC", 200, json_type, &json!({"id": "u", "role": "seller"})).is_some());
    assert!(violation("GET", "/campaigns", 200, Some("text/plain"), &json!("hello")).is_some());
    // What it documents passes; routes outside the document are not judged.
    let colleague = json!({"id": "u", "name": "Ada", "role": "seller"});
    assert_eq!(violation("GET", "/users/01ABC", 200, json_type, &colleague), None);
    assert_eq!(violation("GET", "/campaigns", 200, json_type, &json!({"items": []})), None);
    let refused = json!({"type": "https://podcastflow.dev/problems/forbidden", "title": "Forbidden", "status": 403});
    assert_eq!(violation("DELETE", "/campaigns/01ABC", 403, problem, &refused), None);
    assert_eq!(violation("GET", "/docs", 200, Some("text/html"), &json!(null)), None);
}
