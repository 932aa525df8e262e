//! Evidence exports of a campaign's delivery: asked for here, built by `delivery-ingest`
//! (`podcastflow_domain::delivery::evidence`).

use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDate, Utc};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::delivery::evidence::{DOWNLOAD_SECONDS, EvidenceExport, ExportStatus, MAX_EXPORT_DAYS};
use podcastflow_domain::permissions::Action;
use podcastflow_domain::visibility::EntityKind;
use podcastflow_platform::{Failure, Outage, Outcome, Problem, allow, json, json_body, not_found, principal};
use podcastflow_store::repo::evidence::EvidenceRepo;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::DeliveryApp;

/// An export's period, as asked for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewExport {
    from: NaiveDate,
    to: NaiveDate,
}

impl NewExport {
    fn check(&self) -> Result<(), Problem> {
        if self.to < self.from {
            return Err(Problem::field("to", "before_from", "on or after from"));
        }
        if (self.to - self.from).num_days() >= MAX_EXPORT_DAYS {
            return Err(Problem::field("to", "range_too_long", "at most 92 days from from"));
        }
        Ok(())
    }
}

fn outage(e: impl std::fmt::Display) -> Failure {
    Failure::Outage(Outage(e.to_string()))
}

/// An export as its readers see it (never the bucket's key or who asked).
fn view(x: &EvidenceExport, download: Option<String>) -> Value {
    let mut v = json!({
        "id": x.id,
        "campaignId": x.campaign_id,
        "from": x.from,
        "to": x.to,
        "status": x.status,
        "kept": x.kept,
        "dropped": x.dropped,
        "createdAt": x.created_at,
    });
    if let Some(at) = x.finished_at {
        v["finishedAt"] = json!(at);
    }
    if let Some(why) = &x.error {
        v["error"] = json!(why);
    }
    if let Some(url) = download {
        v["downloadUrl"] = json!(url);
        v["downloadExpiresAt"] = json!(Utc::now() + Duration::seconds(DOWNLOAD_SECONDS as i64));
    }
    v
}

impl DeliveryApp {
    /// `POST /campaigns/{id}/delivery/evidence`: 202 with the queued export.
    pub(crate) async fn request_evidence(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        // Who may not see the campaign learns nothing of it, not even that the body is wrong.
        let facts = self.facts(&t, &p, EntityKind::Campaign, id).await?;
        allow(&p, Action::DeliveryRead, &facts.resource())?;
        let body: NewExport = json_body(req)?;
        body.check()?;
        let campaign = id.parse().map_err(|_| not_found())?;
        let export = EvidenceExport::queued(*t.org(), campaign, body.from, body.to, p.user_id, Utc::now());
        EvidenceRepo::new(&t).create(&export).await?;
        let objects = self.ctx.objects(&self.objects, t.org()).await.map_err(outage)?;
        let note = json!({"exportId": export.id}).to_string().into_bytes();
        objects.put(&export.note_key(), note, "application/json").await.map_err(outage)?;
        let mut answer = json(StatusCode::ACCEPTED, &view(&export, None), rid);
        let location = format!("/campaigns/{}/delivery/evidence/{}", export.campaign_id, export.id);
        if let Ok(v) = location.parse() {
            answer.headers_mut().insert("location", v);
        }
        Ok(answer)
    }

    /// `GET /campaigns/{id}/delivery/evidence/{exportId}`: the export, with a download link
    /// once built.
    pub(crate) async fn evidence(&self, req: &Request, id: &str, export: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let facts = self.facts(&t, &p, EntityKind::Campaign, id).await?;
        allow(&p, Action::DeliveryRead, &facts.resource())?;
        let x = EvidenceRepo::new(&t).get(export).await?.ok_or_else(not_found)?.as_of(Utc::now());
        if x.campaign_id.to_string() != id {
            return Err(not_found().into());
        }
        let download = match (&x.status, &x.object) {
            (ExportStatus::Completed, Some(key)) => {
                let objects = self.ctx.objects(&self.objects, t.org()).await.map_err(outage)?;
                let url = objects.presign_get(key, StdDuration::from_secs(DOWNLOAD_SECONDS)).await.map_err(outage)?;
                Some(url)
            }
            _ => None,
        };
        Ok(json(StatusCode::OK, &view(&x, download), rid))
    }
}
