//! The authorizer's decision, for the Lambda REQUEST authorizer of the REST API and of WebSocket
//! `$connect` (`functions/authorizer`) and for monitoring's deep health check.
//!
//! Credentials, in this order: `Authorization: Bearer <access token>`, `Authorization: ApiKey
//! <key>` (or a bearer value starting with `pfk_`), `x-api-key: <key>`, and for browsers'
//! WebSocket connections the `token` query parameter. A token must verify (signature by the
//! issuer's JWKS, `exp`, `iss`, client id, `token_use`); the user's membership must exist, not be
//! disabled, and not have revoked tokens issued at or before the token's `iat`; the organization
//! must not be suspended. An API key must match a stored grant (by SHA-256).
//!
//! Answers: `Unauthorized` (API Gateway's 401) for missing, invalid or revoked credentials; a
//! Deny policy (403) for a suspended organization; otherwise an Allow policy for the whole stage,
//! so API Gateway may cache the decision per credential for every route, with the context
//! `{userId, orgId, role, clientId, principalType}` the handlers read through
//! `podcastflow_platform::principal`, and the `usageIdentifierKey` API Gateway meters the
//! request by: the API key's own usage plan key, or the one people share.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_http::{Error, LambdaEvent};
use podcastflow_domain::api_key::{SECRET_PREFIX, usage_key};
use podcastflow_domain::organization::{OrgStatus, Organization};
use podcastflow_domain::user::UserStatus;
use podcastflow_domain::{OrgId, Role, UserId};
use podcastflow_identity::tokens::digest;
use podcastflow_identity::{TokenVerifier, VerifyError};
use podcastflow_platform::tenancy::TenantTables;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::api_keys::ApiKeyRepo;
use podcastflow_store::repo::sign_ins::SignInRepo;
use podcastflow_store::{CursorCodec, Table};
use serde_json::{Value, json};
use tracing::Instrument;

/// What the authorizer needs, built once at init.
pub struct Authorizer {
    /// Verifies access tokens.
    pub verifier: Arc<TokenVerifier>,
    /// The table with the authorizer's own credentials: memberships and API key grants.
    pub table: Arc<dyn Table>,
    /// Each organization's table (its status), through that organization's session.
    pub tenants: Arc<dyn TenantTables>,
    /// The usage plan key people's requests are metered by (`INTERACTIVE_USAGE_KEY`); API keys
    /// are metered by their own. `None` names none (the monitoring function's own checks).
    pub interactive_usage_key: Option<String>,
}

/// A presented credential.
#[derive(Debug, PartialEq, Eq)]
enum Credential {
    Token(String),
    ApiKey(String),
}

/// Who the credential belongs to, once checked.
struct Grant {
    principal_id: String,
    user_id: String,
    org_id: OrgId,
    role: Role,
    client_id: Option<String>,
    kind: &'static str,
    usage_key: Option<String>,
    /// The organization's settings the functions need on every request: `rateLimits` (applied
    /// on top of the principal's own limits) and `timezone` (what "today" means).
    org: podcastflow_domain::organization::OrgSettings,
}

enum Decision {
    Unauthorized(&'static str),
    Deny(String, &'static str),
    Allow(Box<Grant>),
}

fn credential(event: &ApiGatewayCustomAuthorizerRequestTypeRequest) -> Option<Credential> {
    let header = |name: &str| event.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(auth) = header("authorization").filter(|v| !v.is_empty()) {
        let (scheme, value) = auth.split_once(' ').unwrap_or((auth, ""));
        let value = value.trim().to_owned();
        return match scheme.to_ascii_lowercase().as_str() {
            "bearer" if value.starts_with(SECRET_PREFIX) => Some(Credential::ApiKey(value)),
            "bearer" if !value.is_empty() => Some(Credential::Token(value)),
            "apikey" if !value.is_empty() => Some(Credential::ApiKey(value)),
            _ => None,
        };
    }
    if let Some(key) = header("x-api-key").filter(|v| !v.is_empty()) {
        return Some(Credential::ApiKey(key.to_owned()));
    }
    event.query_string_parameters.first("token").filter(|t| !t.is_empty()).map(|t| Credential::Token(t.to_owned()))
}

/// `arn:aws:execute-api:region:account:api/stage/...` -> the same ARN for every route of the stage.
fn stage_wildcard(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(6, ':');
    let head: Vec<&str> = parts.by_ref().take(5).collect();
    match (head.len(), parts.next()) {
        (5, Some(path)) => {
            let mut segments = path.split('/');
            let (api, stage) = (segments.next().unwrap_or("*"), segments.next().unwrap_or("*"));
            format!("{}:{api}/{stage}/*", head.join(":"))
        }
        _ => method_arn.to_owned(),
    }
}

fn policy(principal_id: &str, effect: &str, resource: &str, context: Value) -> Value {
    json!({
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    })
}

fn outage(e: impl std::fmt::Display) -> Error {
    format!("authorizer outage: {e}").into()
}

fn repo_outage(e: RepoError) -> Error {
    outage(e)
}

impl Authorizer {
    /// The organization's settings when it is active (`None`: suspended or gone).
    async fn active_org(&self, org: &OrgId) -> Result<Option<podcastflow_domain::organization::OrgSettings>, Error> {
        let org: Option<Organization> =
            match self.tenants.for_org(org).get(&Organization::key_of(org)).await.map_err(outage)? {
                Some(i) => Some(podcastflow_store::item::from_item(i).map_err(outage)?),
                None => None,
            };
        Ok(org.filter(|o| o.status == OrgStatus::Active).map(|o| o.settings))
    }

    async fn token(&self, token: &str) -> Result<Decision, Error> {
        let claims = match self.verifier.verify(token).await {
            Ok(c) => c,
            Err(VerifyError::Keys(e)) => return Err(outage(e)),
            Err(_) => return Ok(Decision::Unauthorized("invalid token")),
        };
        let Ok(user) = claims.username.parse::<UserId>() else {
            return Ok(Decision::Unauthorized("token names no PodcastFlow user"));
        };
        // The membership and, for a token of a sign-in, whether that sign-in was revoked (reuse
        // of a rotated refresh token): one read of platform items.
        let (membership, revoked) = SignInRepo::new(self.table.as_ref())
            .standing(&user, claims.origin_jti.as_deref())
            .await
            .map_err(repo_outage)?;
        let Some(m) = membership else {
            return Ok(Decision::Unauthorized("no membership"));
        };
        if revoked {
            return Ok(Decision::Unauthorized("sign-in revoked"));
        }
        if m.status == UserStatus::Disabled {
            return Ok(Decision::Unauthorized("user disabled"));
        }
        if m.tokens_valid_after.is_some_and(|t| claims.iat <= t.timestamp()) {
            return Ok(Decision::Unauthorized("token revoked"));
        }
        let Some(org) = self.active_org(&m.org_id).await? else {
            return Ok(Decision::Deny(user.to_string(), "organization suspended"));
        };
        Ok(Decision::Allow(Box::new(Grant {
            principal_id: user.to_string(),
            user_id: user.to_string(),
            org_id: m.org_id,
            role: m.role,
            client_id: m.client_id.map(|c| c.to_string()),
            kind: "user",
            usage_key: self.interactive_usage_key.clone(),
            org,
        })))
    }

    async fn api_key(&self, secret: &str) -> Result<Decision, Error> {
        if !secret.starts_with(SECRET_PREFIX) {
            return Ok(Decision::Unauthorized("not an API key"));
        }
        let codec = CursorCodec::new(Vec::new());
        let Some(g) = ApiKeyRepo::new(self.table.as_ref(), &codec).grant(&digest(secret)).await.map_err(repo_outage)?
        else {
            return Ok(Decision::Unauthorized("unknown API key"));
        };
        let Some(org) = self.active_org(&g.org_id).await? else {
            return Ok(Decision::Deny(g.key_id.to_string(), "organization suspended"));
        };
        Ok(Decision::Allow(Box::new(Grant {
            principal_id: format!("apikey:{}", g.key_id),
            user_id: g.key_id.to_string(),
            org_id: g.org_id,
            role: g.role,
            client_id: None,
            kind: "apiKey",
            usage_key: Some(usage_key(&g.key_id)),
            org,
        })))
    }
}

/// Handles one authorizer event: a policy, or the `Unauthorized` error API Gateway turns into 401.
pub async fn handle(
    authorizer: &Authorizer,
    event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>,
) -> Result<Value, Error> {
    let request = event.payload;
    let method_arn = request.method_arn.clone().unwrap_or_default();
    // The request's id, so the authorizer's lines join the gateway's and the function's.
    let rid = request.request_context.request_id.clone().unwrap_or_default();
    let span = tracing::info_span!("authorize", requestId = %rid);
    let decision = match credential(&request) {
        None => Decision::Unauthorized("no credentials"),
        Some(Credential::Token(t)) => authorizer.token(&t).instrument(span.clone()).await?,
        Some(Credential::ApiKey(k)) => authorizer.api_key(&k).instrument(span.clone()).await?,
    };
    let _entered = span.enter();
    match decision {
        Decision::Unauthorized(why) => {
            tracing::info!(reason = why, "unauthorized");
            Err("Unauthorized".into())
        }
        Decision::Deny(principal, why) => {
            tracing::info!(reason = why, principal, "denied");
            Ok(policy(&principal, "Deny", &stage_wildcard(&method_arn), json!({"reason": why})))
        }
        Decision::Allow(g) => {
            tracing::info!(userId = %g.user_id, orgId = %g.org_id, role = %g.role, principalType = g.kind, "allowed");
            let mut context = json!({
                "userId": g.user_id, "orgId": g.org_id.to_string(), "role": g.role.to_string(), "principalType": g.kind,
                "orgRequestsPerSecond": g.org.rate_limits.requests_per_second, "orgBurst": g.org.rate_limits.burst,
                "orgTimezone": g.org.timezone,
            });
            if let Some(c) = g.client_id {
                context["clientId"] = Value::from(c);
            }
            let mut answer = policy(&g.principal_id, "Allow", &stage_wildcard(&method_arn), context);
            if let Some(key) = g.usage_key {
                answer["usageIdentifierKey"] = Value::from(key);
            }
            Ok(answer)
        }
    }
}

impl podcastflow_wiring::EventFunction for Authorizer {
    type Event = ApiGatewayCustomAuthorizerRequestTypeRequest;
    type Output = Value;

    async fn build<D: podcastflow_wiring::Dependencies>(deps: &D) -> Result<Self, Error> {
        let ctx = deps.context().await?;
        Ok(Self {
            verifier: deps.verifier().await?,
            table: ctx.table,
            tenants: ctx.tenants,
            interactive_usage_key: deps.setting("INTERACTIVE_USAGE_KEY"),
        })
    }

    async fn handle(&self, event: LambdaEvent<Self::Event>) -> Result<Value, Error> {
        handle(self, event).await
    }
}

#[cfg(test)]
mod tests;
