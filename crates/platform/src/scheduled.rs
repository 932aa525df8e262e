//! Scheduled (EventBridge) invocations.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// When a scheduled event fired (its `time`), or now when it carries none: a job replayed with an
/// old event acts for the time it was meant for.
pub fn event_time(event: &Value) -> DateTime<Utc> {
    event.get("time").and_then(Value::as_str).and_then(|t| t.parse::<DateTime<Utc>>().ok()).unwrap_or_else(Utc::now)
}
