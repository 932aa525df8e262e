//! The routes of `notifications`.

use chrono::{DateTime, Utc};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::{NotificationId, Principal};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, RoutePath, allow, json, json_body, not_found, paging, preferences, principal,
    query_parsed, request_id,
};
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::notifications::NotificationRepo;
use serde::Deserialize;
use serde_json::json;

use crate::NotificationsApp;

/// Most ids one batch-read names.
const MAX_BATCH: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRead {
    #[serde(default)]
    ids: Option<Vec<NotificationId>>,
    #[serde(default)]
    before: Option<DateTime<Utc>>,
}

/// The caller, allowed to act on their own notifications.
fn own(req: &Request) -> Result<Principal, Failure> {
    let p = principal(req)?;
    allow(&p, Action::NotificationsOwn, &Resource::OwnedBy(p.user_id))?;
    Ok(p)
}

impl NotificationsApp {
    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = own(req)?;
        let paging = paging(req)?;
        let unread = query_parsed::<bool>(req, "unread", "true or false")?.unwrap_or(false);
        let t = self.ctx.tenant(&p, req);
        let page = NotificationRepo::new(&t).list(&p.user_id, unread, paging.cursor.as_deref(), paging.limit).await?;
        Ok(json(StatusCode::OK, &PageBody { items: page.items, next_cursor: page.cursor }, rid))
    }

    async fn unread_count(&self, req: &Request, rid: &str) -> Outcome {
        let p = own(req)?;
        let count = NotificationRepo::new(&self.ctx.tenant(&p, req)).unread_count(&p.user_id).await?;
        Ok(json(StatusCode::OK, &json!({ "count": count }), rid))
    }

    async fn read(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = own(req)?;
        let id: NotificationId = id.parse().map_err(|_| not_found())?;
        match NotificationRepo::new(&self.ctx.tenant(&p, req)).mark_read(&p.user_id, &id, Utc::now()).await {
            Ok(()) => Ok(json(StatusCode::OK, &json!({ "id": id, "read": true }), rid)),
            Err(RepoError::NotFound) => Err(not_found().into()),
            Err(e) => Err(e.into()),
        }
    }

    async fn batch_read(&self, req: &Request, rid: &str) -> Outcome {
        let p = own(req)?;
        let body: BatchRead = json_body(req)?;
        let (ids, before) = match (body.ids, body.before) {
            (Some(ids), None) if !ids.is_empty() && ids.len() <= MAX_BATCH => (Some(ids), None),
            (None, Some(before)) => (None, Some(before)),
            _ => {
                return Err(Problem::field(
                    "ids",
                    "invalid",
                    &format!("give either ids (1 to {MAX_BATCH}) or before (a time), not both"),
                )
                .into());
            }
        };
        let marked = NotificationRepo::new(&self.ctx.tenant(&p, req))
            .mark_many_read(&p.user_id, ids.as_deref(), before, Utc::now())
            .await?;
        Ok(json(StatusCode::OK, &json!({ "marked": marked }), rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &NotificationsApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["notifications"]) => app.list(req, &rid).await,
        (&Method::GET, ["notifications", "unread-count"]) => app.unread_count(req, &rid).await,
        (&Method::POST, ["notifications", "batch-read"]) => app.batch_read(req, &rid).await,
        (&Method::GET, ["notifications", "preferences"]) => preferences::read(&app.ctx, req, &rid).await,
        (&Method::PUT, ["notifications", "preferences"]) => preferences::replace(&app.ctx, req, &rid).await,
        (&Method::POST, ["notifications", id, "read"]) => app.read(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
