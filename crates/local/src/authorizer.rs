//! Lambda REQUEST authorizers as API Gateway runs them: the identity sources must all be present
//! (otherwise 401 without a call), the function gets the request as a REQUEST authorizer event,
//! an `Unauthorized` error is 401, its policy is evaluated against the method ARN (an explicit
//! Deny wins, no matching Allow is 403), and the decision is cached per identity for
//! `ReauthorizeEvery` seconds. The policy's context reaches the function in
//! `requestContext.authorizer`; its `usageIdentifierKey` meters the request against a usage plan.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::functions::EventHandler;
use crate::template::AuthorizerDef;

/// A cached decision.
#[derive(Debug, Clone)]
struct Decision {
    principal_id: Value,
    allow: Vec<String>,
    deny: Vec<String>,
    context: Map<String, Value>,
    usage_key: Option<String>,
}

/// Decisions per authorizer and identity.
#[derive(Default)]
pub struct AuthorizerCache {
    entries: Mutex<HashMap<String, (Instant, Decision)>>,
}

/// What the authorizer decided for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthOutcome {
    /// Go on: `requestContext.authorizer`, and the `usageIdentifierKey` that meters the request.
    Allowed(Value, Option<String>),
    /// 401: no identity, or the authorizer said `Unauthorized`.
    Unauthorized,
    /// 403: the policy does not allow this method ARN.
    Forbidden,
    /// 500: the authorizer failed or answered something that is not a policy.
    Failed(String),
}

/// Whether an IAM-style resource pattern (`*` and `?` wildcards) matches an ARN.
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), arn.as_bytes())
}

fn parse_policy(answer: &Value) -> Option<Decision> {
    let statements = answer.get("policyDocument")?.get("Statement")?.as_array()?;
    let (mut allow, mut deny) = (Vec::new(), Vec::new());
    for st in statements {
        let action_ok = match st.get("Action") {
            Some(Value::String(a)) => a == "execute-api:Invoke" || a == "*" || a == "execute-api:*",
            Some(Value::Array(a)) => {
                a.iter().any(|x| matches!(x.as_str(), Some("execute-api:Invoke" | "*" | "execute-api:*")))
            }
            _ => false,
        };
        if !action_ok {
            continue;
        }
        let resources: Vec<String> = match st.get("Resource") {
            Some(Value::String(r)) => vec![r.clone()],
            Some(Value::Array(rs)) => rs.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        match st.get("Effect").and_then(Value::as_str) {
            Some("Allow") => allow.extend(resources),
            Some("Deny") => deny.extend(resources),
            _ => return None,
        }
    }
    Some(Decision {
        principal_id: answer.get("principalId").cloned().unwrap_or(Value::Null),
        allow,
        deny,
        context: answer.get("context").and_then(Value::as_object).cloned().unwrap_or_default(),
        usage_key: answer.get("usageIdentifierKey").and_then(Value::as_str).map(str::to_owned),
    })
}

fn verdict(d: &Decision, method_arn: &str, latency_ms: u128) -> AuthOutcome {
    if d.deny.iter().any(|p| arn_matches(p, method_arn)) || !d.allow.iter().any(|p| arn_matches(p, method_arn)) {
        return AuthOutcome::Forbidden;
    }
    let mut ctx = d.context.clone();
    ctx.insert("principalId".into(), d.principal_id.clone());
    ctx.insert("integrationLatency".into(), Value::from(u64::try_from(latency_ms).unwrap_or(u64::MAX)));
    AuthOutcome::Allowed(Value::Object(ctx), d.usage_key.clone())
}

impl AuthorizerCache {
    /// Runs `def` for a request whose proxy event is `proxy` and method ARN `method_arn`.
    pub async fn authorize(
        &self,
        def: &AuthorizerDef,
        handler: &EventHandler,
        proxy: &Value,
        method_arn: &str,
    ) -> AuthOutcome {
        let header = |name: &str| {
            proxy.get("headers").and_then(Value::as_object).and_then(|h| {
                h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str()).map(str::to_owned)
            })
        };
        let query = |name: &str| {
            proxy.get("queryStringParameters").and_then(|q| q.get(name)).and_then(Value::as_str).map(str::to_owned)
        };
        let mut identity = Vec::new();
        for h in &def.headers {
            match header(h).filter(|v| !v.is_empty()) {
                Some(v) => identity.push(v),
                None => return AuthOutcome::Unauthorized,
            }
        }
        for q in &def.query_strings {
            match query(q).filter(|v| !v.is_empty()) {
                Some(v) => identity.push(v),
                None => return AuthOutcome::Unauthorized,
            }
        }
        let key = format!("{}\u{0}{}", def.name, identity.join("\u{0}"));
        let ttl = Duration::from_secs(def.ttl_seconds);
        if def.ttl_seconds > 0 {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, d)) = entries.get(&key).filter(|(at, _)| at.elapsed() < ttl) {
                return verdict(d, method_arn, 0);
            }
        }
        let mut event = proxy.clone();
        if let Some(obj) = event.as_object_mut() {
            obj.remove("body");
            obj.remove("isBase64Encoded");
            obj.insert("type".into(), Value::from("REQUEST"));
            obj.insert("methodArn".into(), Value::from(method_arn));
        }
        let started = Instant::now();
        let answer = match handler(event).await {
            Ok(a) => a,
            Err(e) if e.to_string() == "Unauthorized" => return AuthOutcome::Unauthorized,
            Err(e) => return AuthOutcome::Failed(e.to_string()),
        };
        let Some(decision) = parse_policy(&answer) else {
            return AuthOutcome::Failed("the authorizer did not answer with a policy".into());
        };
        let outcome = verdict(&decision, method_arn, started.elapsed().as_millis());
        if def.ttl_seconds > 0 {
            self.entries.lock().unwrap_or_else(|p| p.into_inner()).insert(key, (Instant::now(), decision));
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arn_patterns() {
        let arn = "arn:aws:execute-api:us-east-1:000000000000:local/local/GET/campaigns/1";
        assert!(arn_matches("arn:aws:execute-api:us-east-1:000000000000:local/local/*", arn));
        assert!(arn_matches("arn:aws:execute-api:*:*:*/*/GET/campaigns/?", arn));
        assert!(arn_matches("*", arn));
        assert!(!arn_matches("arn:aws:execute-api:us-east-1:000000000000:local/local/POST/*", arn));
        assert!(!arn_matches("arn:aws:execute-api:us-east-1:000000000000:local/local/GET/campaigns", arn));
    }

    #[test]
    fn explicit_deny_wins_and_no_allow_is_forbidden() {
        let arn = "arn:x/GET/a";
        let answer = json!({"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"},
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": ["arn:x/GET/a"]}]}});
        assert_eq!(verdict(&parse_policy(&answer).unwrap(), arn, 1), AuthOutcome::Forbidden);
        let other = json!({"principalId": "u", "policyDocument": {"Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "arn:x/POST/*"}]}});
        assert_eq!(verdict(&parse_policy(&other).unwrap(), arn, 1), AuthOutcome::Forbidden);
        assert!(parse_policy(&json!({"principalId": "u"})).is_none());
        let allowed = json!({"principalId": "u", "context": {"orgId": "o"}, "policyDocument": {"Statement": [
            {"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": "arn:x/*"}]}});
        match verdict(&parse_policy(&allowed).unwrap(), arn, 1) {
            AuthOutcome::Allowed(ctx, _) => {
                assert_eq!((ctx["principalId"].clone(), ctx["orgId"].clone()), (json!("u"), json!("o")))
            }
            other => panic!("{other:?}"),
        }
    }
}
