//! The routes of `activities`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::activity::{Activity, FieldChange};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::permissions::{Action, Resource, Scope, scope};
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{ActivityId, Principal, UserId, ValidationErrors};
use podcastflow_platform::visibility::{lens_of, lenses_of_page};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, RoutePath, allow, created, json, json_body, json_with_etag, not_found, paging,
    principal, query_param, query_parsed, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::activities::ActivityRepo;
use serde::Deserialize;
use serde_json::Value;

use crate::ActivitiesApp;

/// Longest `details` object a client may attach, serialized.
const MAX_DETAILS: usize = 4096;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientEvent {
    action: String,
    entity: EntityRef,
    #[serde(default)]
    details: Option<BTreeMap<String, Value>>,
}

fn forbidden(detail: &str) -> Failure {
    Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden").detail(detail).into()
}

impl ActivitiesApp {
    /// Whether the principal reads the whole log (admins, master) or only what they may read.
    fn reads_all(p: &Principal) -> Result<bool, Failure> {
        match scope(Action::ActivityRead, p.role) {
            Scope::All(_) => Ok(true),
            Scope::Related => Ok(false),
            Scope::None => Err(forbidden("your role does not read activity")),
        }
    }

    /// What the principal sees of `entity`, or 404 unless they may read its activity.
    async fn entity_lens(&self, p: &Principal, t: &TenantTable, entity: &EntityRef) -> Result<Lens, Failure> {
        let lens = lens_of(t, p, entity).await?;
        allow(p, Action::ActivityRead, &Resource::Activity { org: p.org_id, entity_readable: Some(lens.is_some()) })?;
        lens.ok_or_else(|| not_found().into())
    }

    /// Entries as the principal sees them: each entry's changes through their lens on its entity
    /// (the page's entities judged together, in three batch reads at most), so no field hidden
    /// from the entity's GET shows in its history.
    async fn seen(&self, p: &Principal, t: &TenantTable, items: Vec<Activity>) -> Result<Vec<Activity>, Failure> {
        let mut entities: Vec<EntityRef> = items.iter().map(|a| a.entity.clone()).collect();
        entities.sort_by(|a, b| (a.kind.as_str(), a.id.as_str()).cmp(&(b.kind.as_str(), b.id.as_str())));
        entities.dedup();
        let lenses = lenses_of_page(t, p, &entities).await?;
        Ok(items
            .into_iter()
            .map(|a| {
                let lens = lenses.get(&a.entity).copied().flatten();
                a.seen_through(lens)
            })
            .collect())
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let all = Self::reads_all(&p)?;
        let paging = paging(req)?;
        let t = self.ctx.tenant(&p, req);
        let repo = ActivityRepo::new(&t);
        let cursor = paging.cursor.as_deref();
        let kind = query_param(req, "entityType");
        let id = query_param(req, "entityId");
        let actor: Option<UserId> = query_parsed(req, "actorId", "a user id")?;
        let from: Option<DateTime<Utc>> = query_parsed(req, "from", "an RFC 3339 time")?;
        let to: Option<DateTime<Utc>> = query_parsed(req, "to", "an RFC 3339 time")?;
        let page = match (kind, id, actor) {
            (Some(kind), Some(id), None) => {
                let kind = kind.parse().map_err(|e: podcastflow_domain::visibility::UnknownEntityKind| {
                    Problem::field("entityType", "invalid", &e.to_string())
                })?;
                let entity = EntityRef { kind, id };
                // Judged before the log is read: who may not read the entity learns nothing.
                let lens = if all { None } else { Some(self.entity_lens(&p, &t, &entity).await?) };
                let mut page = repo.of_entity(&entity, cursor, paging.limit).await?;
                if lens.is_some() {
                    page.items = page.items.into_iter().map(|a| a.seen_through(lens)).collect();
                }
                page
            }
            (None, None, Some(actor)) => {
                if !all && actor != p.user_id {
                    return Err(forbidden("you read the activity of entities you can read, and your own"));
                }
                let mut page = repo.of_actor(&actor, cursor, paging.limit).await?;
                if !all {
                    page.items = self.seen(&p, &t, page.items).await?;
                }
                page
            }
            (None, None, None) if all => match (from, to) {
                (None, None) => repo.timeline(cursor, paging.limit).await?,
                (f, t2) => {
                    let f = f.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
                    let t2 = t2.unwrap_or_else(Utc::now);
                    if t2 < f {
                        return Err(Problem::field("to", "before_from", "must not be before from").into());
                    }
                    repo.timeline_between(f, t2, cursor, paging.limit).await?
                }
            },
            (None, None, None) => {
                return Err(forbidden("name an entity (entityType and entityId) or yourself (actorId)"));
            }
            _ => {
                return Err(Problem::field(
                    "entityType",
                    "invalid",
                    "give entityType with entityId, or actorId, not both",
                )
                .into());
            }
        };
        Ok(json(StatusCode::OK, &PageBody { items: page.items, next_cursor: page.cursor }, rid))
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let all = Self::reads_all(&p).map_err(|_| Failure::from(not_found()))?;
        let id: ActivityId = id.parse().map_err(|_| not_found())?;
        let t = self.ctx.tenant(&p, req);
        let mut a = ActivityRepo::new(&t).get(&id).await?.ok_or_else(not_found)?;
        if !all {
            // One's own entries stay readable, showing only what one still sees of the entity;
            // anyone else's need the entity readable.
            let lens = match a.actor_id == Some(p.user_id) {
                true => lens_of(&t, &p, &a.entity).await?,
                false => Some(self.entity_lens(&p, &t, &a.entity).await?),
            };
            a = a.seen_through(lens);
        }
        Ok(json_with_etag(StatusCode::OK, &a, 1, rid))
    }

    async fn record(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::ActivityRecord, &Resource::Org(p.org_id))?;
        let body: ClientEvent = json_body(req)?;
        let mut v = ValidationErrors::new();
        let action = body.action.trim();
        let name_ok = action.strip_prefix("client.").is_some_and(|rest| {
            !rest.is_empty() && rest.len() <= 64 && rest.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        });
        if !name_ok {
            v.add("action", "invalid", "client.<event>, letters, digits, '.', '_' or '-', at most 64");
        }
        let details = body.details.unwrap_or_default();
        if serde_json::to_string(&details).map_or(0, |s| s.len()) > MAX_DETAILS {
            v.add("details", "too_large", format!("at most {MAX_DETAILS} bytes"));
        }
        v.into_result().map_err(Problem::validation)?;
        let t = self.ctx.tenant(&p, req);
        // Events are about entities the reporter can see; others are not confirmed to exist.
        if lens_of(&t, &p, &body.entity).await?.is_none() {
            return Err(not_found().into());
        }
        let at = Utc::now();
        let changes = details.into_iter().map(|(k, v)| (k, FieldChange { from: None, to: Some(v) })).collect();
        let a = Activity {
            id: ActivityId::new(),
            org_id: p.org_id,
            actor_id: Some(p.user_id),
            action: action.to_owned(),
            entity: body.entity,
            changes,
            request_id: Some(rid.to_owned()),
            at,
            expires_at: Activity::expiry(at),
        };
        ActivityRepo::new(&t).record(&a).await?;
        Ok(created(&a, Some(1), &format!("/activities/{}", a.id), rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &ActivitiesApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["activities"]) => app.list(req, &rid).await,
        (&Method::POST, ["activities"]) => app.record(req, &rid).await,
        (&Method::GET, ["activities", id]) => app.get(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
