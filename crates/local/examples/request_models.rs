//! Prints the `Models` block template.yaml's REST API should carry, derived from
//! infra/openapi.yaml, and each body route's `RequestModel` (the consistency suite fails until the
//! template says the same):
//!
//!     cargo run -p podcastflow-local --example request_models

use podcastflow_local::docs::OPENAPI_YAML;
use podcastflow_local::models::{from_openapi, models_yaml};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let doc: serde_json::Value = serde_yaml_ng::from_str(OPENAPI_YAML)?;
    let models = from_openapi(&doc)?;
    print!("{}", models_yaml(&models)?);
    println!();
    for m in &models {
        println!(
            "# {} {}\n            RequestModel: {{ Model: {}, Required: {}, ValidateBody: true }}",
            m.method, m.path, m.name, m.required
        );
    }
    Ok(())
}
