//! The API's description served by the local stack: `GET /openapi.json` (infra/openapi.yaml as
//! JSON, for tools) and `GET /docs` (a self-contained page listing every operation; no scripts or
//! fonts from the network).

use serde_json::Value;

/// infra/openapi.yaml as bundled at build time.
pub const OPENAPI_YAML: &str = include_str!("../../../infra/openapi.yaml");

/// The OpenAPI document as JSON text.
pub fn openapi_json() -> Result<String, String> {
    let doc: Value = serde_yaml_ng::from_str(OPENAPI_YAML).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn schema_summary(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    let required: Vec<&str> =
        schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    match schema.get("properties").and_then(Value::as_object) {
        Some(props) => props
            .keys()
            .map(|k| if required.contains(&k.as_str()) { format!("{k}*") } else { k.clone() })
            .collect::<Vec<_>>()
            .join(", "),
        None => schema.get("type").and_then(Value::as_str).unwrap_or("").to_owned(),
    }
}

/// The docs page.
pub fn docs_html() -> Result<String, String> {
    let doc: Value = serde_yaml_ng::from_str(OPENAPI_YAML).map_err(|e| e.to_string())?;
    let title = doc["info"]["title"].as_str().unwrap_or("API");
    let mut rows = String::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "delete", "patch"] {
            let Some(op) = item.get(method) else { continue };
            let public = op.get("security").and_then(Value::as_array).is_some_and(|s| s.is_empty());
            let body =
                op.pointer("/requestBody/content/application~1json/schema").map(schema_summary).unwrap_or_default();
            let statuses: Vec<&str> = op
                .get("responses")
                .and_then(Value::as_object)
                .map(|r| r.keys().map(String::as_str).collect())
                .unwrap_or_default();
            rows.push_str(&format!(
                "<tr><td class=m>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
                method.to_uppercase(),
                escape(path),
                escape(op["summary"].as_str().unwrap_or("")),
                if public { "public" } else { "bearer" },
                escape(&body),
                escape(&statuses.join(" ")),
            ));
        }
    }
    Ok(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{t}</title><style>\
         body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}\
         td.m{{font-weight:bold}}code{{font-size:13px}}</style></head><body><h1>{t}</h1>\
         <p>{d}</p><p>Machine-readable: <a href=/openapi.json>/openapi.json</a>. Request fields marked * are \
         required. Errors are <code>application/problem+json</code>.</p><table><tr><th>method</th><th>path</th>\
         <th>what</th><th>auth</th><th>request body</th><th>statuses</th></tr>\n{rows}</table></body></html>",
        t = escape(title),
        d = escape(doc["info"]["description"].as_str().unwrap_or("")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_converts_and_the_page_lists_every_operation() {
        let json: Value = serde_json::from_str(&openapi_json().unwrap()).unwrap();
        let ops: usize = json["paths"].as_object().unwrap().values().map(|i| i.as_object().unwrap().len()).sum();
        let page = docs_html().unwrap();
        assert_eq!(page.matches("<tr><td class=m>").count(), ops);
        assert!(page.contains("<code>/auth/login</code>"));
    }
}
