//! The API key routes of `users`: admins create (the secret shown once), list and revoke keys.

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::api_key::{ApiKey, SECRET_PREFIX, usage_key};
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::{ApiKeyId, Role, Stamp};
use podcastflow_identity::tokens::{digest, random_token};
use podcastflow_platform::{
    Outage, Outcome, PageBody, Problem, allow, json, json_body, no_content, not_found, paging, principal,
};
use std::sync::Arc;

use podcastflow_store::Table;
use podcastflow_store::repo::api_keys::ApiKeyRepo;
use podcastflow_usage::UsageError;
use serde::{Deserialize, Serialize};

use crate::UsersApp;

/// A usage plan that cannot be reached is an outage (503): the key is not created.
fn usage_outage(e: UsageError) -> Outage {
    Outage(e.to_string())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewKey {
    name: String,
    role: Role,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedKey {
    api_key: ApiKey,
    /// Shown once; only its digest is stored.
    secret: String,
}

impl UsersApp {
    /// API keys through `table`: an organization's session, since a key's record and its grant
    /// (a platform item the authorizer reads) change together.
    fn keys<'a>(&'a self, table: &'a Arc<dyn Table>) -> ApiKeyRepo<'a> {
        ApiKeyRepo::new(table.as_ref(), &self.ctx.cursors)
    }

    pub(crate) async fn create_key(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::ApiKeyManage, &Resource::Org(p.org_id))?;
        let body: NewKey = json_body(req)?;
        let secret = format!("{SECRET_PREFIX}{}", random_token(32).map_err(|e| Outage(e.to_string()))?);
        let key = ApiKey {
            id: ApiKeyId::new(),
            org_id: p.org_id,
            name: body.name.trim().to_owned(),
            role: body.role,
            hint: secret.chars().take(SECRET_PREFIX.len() + 4).collect(),
            stamp: Stamp::created(p.user_id, Utc::now()),
        };
        key.validate().map_err(Problem::validation)?;
        // Metered from its first request: in the usage plan before it exists in the table. If
        // the table refuses, the registration goes again (a leftover would meter nothing, as no
        // grant names it).
        let usage = usage_key(&key.id);
        self.usage.register(&usage, &format!("{} {}", key.org_id, key.id)).await.map_err(usage_outage)?;
        if let Err(e) = self.keys(&self.ctx.org_table(&key.org_id)).create(&key, &digest(&secret)).await {
            if let Err(left) = self.usage.deregister(&usage).await {
                tracing::warn!(apiKey = %key.id, error = %left, "usage plan key left behind");
            }
            return Err(e.into());
        }
        Ok(json(StatusCode::CREATED, &CreatedKey { api_key: key, secret }, rid))
    }

    pub(crate) async fn list_keys(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::ApiKeyManage, &Resource::Org(p.org_id))?;
        let paging = paging(req)?;
        let page =
            self.keys(&self.ctx.org_table(&p.org_id)).list(&p.org_id, paging.cursor.as_deref(), paging.limit).await?;
        Ok(json(StatusCode::OK, &PageBody { items: page.items, next_cursor: page.cursor }, rid))
    }

    pub(crate) async fn revoke_key(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::ApiKeyManage, &Resource::Org(p.org_id))?;
        let id: ApiKeyId = id.parse().map_err(|_| not_found())?;
        self.keys(&self.ctx.org_table(&p.org_id)).revoke(&p.org_id, &id).await?;
        // The grant is gone, so the key is refused already; the usage plan key only meters.
        if let Err(e) = self.usage.deregister(&usage_key(&id)).await {
            tracing::warn!(apiKey = %id, error = %e, "usage plan key left behind");
        }
        Ok(no_content(rid))
    }
}
