//! Recounts of the organization's delivery under its current window: asked for here, run by
//! `delivery-ingest` (`podcastflow_domain::delivery::recount`).

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::delivery::recount::Recount;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_platform::{Failure, Outage, Outcome, allow, json, no_fields, not_found, principal};
use podcastflow_store::repo::recounts::RecountRepo;
use serde_json::{Value, json};

use crate::DeliveryApp;

fn outage(e: impl std::fmt::Display) -> Failure {
    Failure::Outage(Outage(e.to_string()))
}

/// A recount as its readers see it (never who asked, or the note's key).
fn view(r: &Recount) -> Value {
    let mut v = json!({
        "id": r.id,
        "window": r.window,
        "since": r.since,
        "status": r.status,
        "ledgers": r.ledgers,
        "changed": r.changed,
        "createdAt": r.created_at,
        "updatedAt": r.updated_at,
    });
    if let Some(at) = r.finished_at {
        v["finishedAt"] = json!(at);
    }
    if let Some(why) = &r.error {
        v["error"] = json!(why);
    }
    v
}

impl DeliveryApp {
    /// `POST /delivery/recounts`: 202 with the queued recount (who may change the organization's
    /// settings, and so its window, may apply the window to past counts).
    pub(crate) async fn request_recount(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::OrganizationUpdateSettings, &Resource::Org(p.org_id))?;
        no_fields(req, "a recount")?;
        let t = self.ctx.tenant(&p, req);
        let org = self.organization(&t).await?;
        let recount = Recount::queued(*t.org(), org.settings.delivery.window, p.user_id, Utc::now());
        RecountRepo::new(&t).create(&recount).await?;
        let objects = self.ctx.objects(&self.objects, t.org()).await.map_err(outage)?;
        let note = json!({"recountId": recount.id}).to_string().into_bytes();
        objects.put(&recount.note_key(), note, "application/json").await.map_err(outage)?;
        let mut answer = json(StatusCode::ACCEPTED, &view(&recount), rid);
        if let Ok(v) = format!("/delivery/recounts/{}", recount.id).parse() {
            answer.headers_mut().insert("location", v);
        }
        Ok(answer)
    }

    /// `GET /delivery/recounts/{recountId}`: where the recount stands.
    pub(crate) async fn recount(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::OrganizationUpdateSettings, &Resource::Org(p.org_id))?;
        let t = self.ctx.tenant(&p, req);
        let r = RecountRepo::new(&t).get(id).await?.ok_or_else(not_found)?.as_of(Utc::now());
        Ok(json(StatusCode::OK, &view(&r), rid))
    }
}
