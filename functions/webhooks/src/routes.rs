//! The routes of `webhooks`.

use chrono::{DateTime, Utc};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_dispatch::Outcome as Sent;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::webhook::delivery::{RETENTION_DAYS, WebhookDelivery};
use podcastflow_domain::webhook::endpoint::{MAX_ENDPOINTS, StoredSecret, Subscription, WebhookEndpoint};
use podcastflow_domain::webhook::event::Envelope;
use podcastflow_domain::webhook::signature::SigningSecret;
use podcastflow_domain::{Principal, Stamp, WebhookId};
use podcastflow_platform::{
    Failure, Outage, Outcome, PageBody, Problem, RoutePath, allow, created, if_match, json, json_body, json_with_etag,
    no_content, no_fields, not_found, optional_if_match, paging, principal, query_param, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::webhooks::WebhookRepo;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::WebhooksApp;

/// Deliveries a replay sends again, at most (a month of a busy endpoint's events).
const MAX_REPLAY: usize = 10_000;

/// Bytes of a new signing secret.
const SECRET_BYTES: usize = 32;

/// An endpoint's fields as a request names them: all of them to create one (`url` required), some
/// to change one.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EndpointFields {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Replay {
    since: DateTime<Utc>,
}

fn conflict(kind: &str, title: &str, detail: impl Into<String>) -> Failure {
    Problem::new(kind, StatusCode::CONFLICT, title).detail(detail).into()
}

fn new_secret() -> Result<SigningSecret, Failure> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| Outage(e.to_string()))?;
    SigningSecret::from_bytes(&bytes).map_err(|e| Failure::Outage(Outage(e.to_string())))
}

/// The endpoint's view with its secret, the one time it is shown.
fn with_secret(e: &WebhookEndpoint) -> Value {
    let mut v = e.view();
    v["secret"] = json!(e.secret.0);
    v
}

fn repo_failure(e: RepoError) -> Failure {
    match e {
        RepoError::Conflict("webhook endpoint limit") => conflict(
            "webhook-limit",
            "Too many webhook endpoints",
            format!("an organization has at most {MAX_ENDPOINTS} endpoints; delete one first"),
        ),
        other => other.into(),
    }
}

impl WebhooksApp {
    fn admin(&self, req: &Request) -> Result<(Principal, TenantTable), Failure> {
        let p = principal(req)?;
        allow(&p, Action::WebhookManage, &Resource::Org(p.org_id))?;
        let t = self.ctx.tenant(&p, req);
        Ok((p, t))
    }

    async fn endpoint(&self, t: &TenantTable, id: &str) -> Result<WebhookEndpoint, Failure> {
        let id: WebhookId = id.parse().map_err(|_| not_found())?;
        Ok(WebhookRepo::new(t).get(t.org(), &id).await?.ok_or_else(not_found)?)
    }

    async fn delivery(&self, t: &TenantTable, e: &WebhookEndpoint, id: &str) -> Result<WebhookDelivery, Failure> {
        Ok(WebhookRepo::new(t).delivery(t.org(), &e.id, id).await?.ok_or_else(not_found)?)
    }

    async fn create(&self, req: &Request, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        let body: EndpointFields = json_body(req)?;
        let url = body.url.ok_or_else(|| Problem::field("url", "required", "where deliveries are posted"))?;
        let now = Utc::now();
        let e = WebhookEndpoint {
            id: WebhookId::new(),
            org_id: p.org_id,
            url: url.trim().to_owned(),
            description: body.description.unwrap_or_default().trim().to_owned(),
            subscription: Subscription::of_events(body.events),
            enabled: body.enabled.unwrap_or(true),
            disabled_reason: None,
            failing_since: None,
            secret: StoredSecret(new_secret()?.shown()),
            previous_secret: None,
            stamp: Stamp::created(p.user_id, now),
        };
        e.validate(self.sender.rules()).map_err(Problem::validation)?;
        WebhookRepo::new(&t).create(&e).await.map_err(repo_failure)?;
        Ok(created(&with_secret(&e), Some(e.stamp.version), &format!("/webhooks/{}", e.id), rid))
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        let items: Vec<Value> = WebhookRepo::new(&t).list(&p.org_id).await?.iter().map(WebhookEndpoint::view).collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: None }, rid))
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (_, t) = self.admin(req)?;
        let e = self.endpoint(&t, id).await?;
        Ok(json_with_etag(StatusCode::OK, &e.view(), e.stamp.version, rid))
    }

    async fn update(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        let e = self.endpoint(&t, id).await?;
        let expected = if_match(req)?.check(e.stamp.version)?;
        let change: EndpointFields = json_body(req)?;
        let mut next = e.clone();
        if let Some(url) = change.url {
            next.url = url.trim().to_owned();
        }
        if let Some(d) = change.description {
            next.description = d.trim().to_owned();
        }
        if change.events.is_some() {
            next.subscription = Subscription::of_events(change.events);
        }
        if let Some(on) = change.enabled {
            next.enabled = on;
            // Turned on (or off) by an admin: whatever the dispatcher saw before is history.
            if on != e.enabled {
                next.failing_since = None;
                next.disabled_reason = None;
            }
        }
        next.validate(self.sender.rules()).map_err(Problem::validation)?;
        next.stamp = e.stamp.touched(p.user_id, Utc::now());
        WebhookRepo::new(&t).save(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &next.view(), next.stamp.version, rid))
    }

    async fn delete(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        let e = self.endpoint(&t, id).await?;
        let expected = optional_if_match(req)?.check(e.stamp.version)?;
        WebhookRepo::new(&t).delete(&p.org_id, &e.id, expected).await?;
        Ok(no_content(rid))
    }

    async fn rotate(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        no_fields(req, "a rotation")?;
        let e = self.endpoint(&t, id).await?;
        let expected = optional_if_match(req)?.check(e.stamp.version)?;
        let now = Utc::now();
        let mut next = e.clone();
        next.rotate(&new_secret()?, now);
        next.stamp = e.stamp.touched(p.user_id, now);
        WebhookRepo::new(&t).save(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &with_secret(&next), next.stamp.version, rid))
    }

    /// Sends `d` to `e` now and answers with the delivery as recorded.
    async fn send_now(&self, t: &TenantTable, e: &WebhookEndpoint, d: WebhookDelivery, rid: &str) -> Outcome {
        if !e.enabled {
            return Err(conflict("webhook-disabled", "Endpoint turned off", "turn the endpoint on first"));
        }
        let repo = WebhookRepo::new(t);
        let (sent, _) = podcastflow_dispatch::attempt(&repo, &self.sender, e, d, Utc::now())
            .await
            .map_err(|err| Failure::Outage(Outage(err.to_string())))?;
        match sent {
            Sent::Sent(d) | Sent::Skipped(d) => Ok(json(StatusCode::OK, &d.view(), rid)),
            Sent::Taken => Err(conflict(
                "delivery-in-flight",
                "Delivery being sent",
                "the dispatcher is sending this delivery now; look again in a few seconds",
            )),
        }
    }

    async fn test(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        no_fields(req, "a test delivery")?;
        let e = self.endpoint(&t, id).await?;
        let now = Utc::now();
        let data = json!({"webhookId": e.id, "message": "A test delivery from PodcastFlow."});
        let envelope = Envelope::new(&ulid::Ulid::new().to_string(), "ping", now, p.org_id, data);
        let d = WebhookDelivery::new(e.id, &envelope, now).map_err(|err| Outage(err.to_string()))?;
        if e.enabled {
            WebhookRepo::new(&t).enqueue(&d).await?;
        }
        self.send_now(&t, &e, d, rid).await
    }

    async fn deliveries(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        let e = self.endpoint(&t, id).await?;
        let since = match query_param(req, "since") {
            Some(s) => Some(
                s.parse::<DateTime<Utc>>()
                    .map_err(|_| Problem::field("since", "invalid", "an RFC 3339 time, e.g. 2026-12-01T00:00:00Z"))?,
            ),
            None => None,
        };
        let paging = paging(req)?;
        let page =
            WebhookRepo::new(&t).deliveries(&p.org_id, &e.id, since, paging.cursor.as_deref(), paging.limit).await?;
        let items: Vec<Value> = page.items.iter().map(WebhookDelivery::view).collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid))
    }

    async fn get_delivery(&self, req: &Request, id: &str, delivery: &str, rid: &str) -> Outcome {
        let (_, t) = self.admin(req)?;
        let e = self.endpoint(&t, id).await?;
        let d = self.delivery(&t, &e, delivery).await?;
        Ok(json(StatusCode::OK, &d.view(), rid))
    }

    async fn redeliver(&self, req: &Request, id: &str, delivery: &str, rid: &str) -> Outcome {
        let (_, t) = self.admin(req)?;
        no_fields(req, "a redelivery")?;
        let e = self.endpoint(&t, id).await?;
        let mut d = self.delivery(&t, &e, delivery).await?;
        d.redeliver(Utc::now());
        self.send_now(&t, &e, d, rid).await
    }

    async fn replay(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        let body: Replay = json_body(req)?;
        let e = self.endpoint(&t, id).await?;
        if !e.enabled {
            return Err(conflict("webhook-disabled", "Endpoint turned off", "turn the endpoint on first"));
        }
        let now = Utc::now();
        if body.since > now {
            return Err(Problem::field("since", "in_future", "a time in the past").into());
        }
        let repo = WebhookRepo::new(&t);
        let (mut queued, mut cursor, mut more) = (0usize, None::<String>, false);
        loop {
            let page = repo.deliveries(&p.org_id, &e.id, Some(body.since), cursor.as_deref(), 100).await?;
            cursor = page.cursor;
            let mut items = page.items.into_iter();
            for mut d in items.by_ref().take(MAX_REPLAY - queued) {
                let expected = d.version;
                d.redeliver(now);
                d.version += 1;
                match repo.save_delivery(&d, expected).await {
                    Ok(()) => queued += 1,
                    // Being sent right now: it goes out anyway.
                    Err(RepoError::VersionConflict { .. }) => {}
                    Err(err) => return Err(err.into()),
                }
            }
            if queued >= MAX_REPLAY {
                more = items.next().is_some() || cursor.is_some();
                break;
            }
            if cursor.is_none() {
                break;
            }
        }
        let kept_from = now - chrono::Duration::days(RETENTION_DAYS);
        let body = json!({"queued": queued, "since": body.since, "more": more, "keptFrom": kept_from});
        Ok(json(StatusCode::ACCEPTED, &body, rid))
    }
}

pub(crate) async fn route(app: &WebhooksApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let path = RoutePath::of(req);
    match (req.method(), path.segments().as_slice()) {
        (&Method::GET, ["webhooks"]) => app.list(req, &rid).await,
        (&Method::POST, ["webhooks"]) => app.create(req, &rid).await,
        (&Method::GET, ["webhooks", id]) => app.get(req, id, &rid).await,
        (&Method::PUT, ["webhooks", id]) => app.update(req, id, &rid).await,
        (&Method::DELETE, ["webhooks", id]) => app.delete(req, id, &rid).await,
        (&Method::POST, ["webhooks", id, "rotate-secret"]) => app.rotate(req, id, &rid).await,
        (&Method::POST, ["webhooks", id, "test"]) => app.test(req, id, &rid).await,
        (&Method::POST, ["webhooks", id, "replay"]) => app.replay(req, id, &rid).await,
        (&Method::GET, ["webhooks", id, "deliveries"]) => app.deliveries(req, id, &rid).await,
        (&Method::GET, ["webhooks", id, "deliveries", d]) => app.get_delivery(req, id, d, &rid).await,
        (&Method::POST, ["webhooks", id, "deliveries", d, "redeliver"]) => app.redeliver(req, id, d, &rid).await,
        (m, _) => Err(path.not_found(m)),
    }
}
