//! The routes of `media`.

use std::time::Duration;

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::media::{Media, MediaStatus, check_upload, safe_file_name};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::permissions::Action;
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::{MediaId, Principal, Stamp};
use podcastflow_objects::Objects;
use podcastflow_platform::visibility::{Facts, Needs};
use podcastflow_platform::{
    Failure, Outage, Outcome, PageBody, Problem, RoutePath, created, json, json_body, json_with_etag, no_content,
    not_found, paging, principal, query_param, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::media::MediaRepo;
use serde::Deserialize;
use serde_json::json as j;

use crate::{MediaApp, audio};

/// How long an upload URL works.
const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a download URL works.
const DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UploadRequest {
    entity: EntityRef,
    file_name: String,
    content_type: String,
    size: u64,
}

/// The actions that read and change files of an entity type.
fn actions(kind: EntityKind) -> Option<(Action, Action)> {
    match kind {
        EntityKind::Episode => Some((Action::RecordingRead, Action::RecordingWrite)),
        EntityKind::Show => Some((Action::ShowRead, Action::ShowUpdate)),
        EntityKind::Campaign => Some((Action::CampaignRead, Action::CampaignUpdate)),
        EntityKind::AdRead => Some((Action::AdReadRead, Action::AdReadUpload)),
        _ => None,
    }
}

fn outage(e: impl std::fmt::Display) -> Failure {
    Failure::Outage(Outage(e.to_string()))
}

fn seconds(d: Duration) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(0))
}

impl MediaApp {
    /// The bucket as the file's organization's session reaches it: IAM confines it to that
    /// organization's prefix, so a presigned URL cannot name another's file.
    async fn bucket(&self, m: &Media) -> Result<Objects, Failure> {
        self.ctx.objects(&self.objects, &m.org_id).await.map_err(outage)
    }

    /// 404 unless `p` may take the read (`write` false) or change action on `e`.
    async fn check(t: &TenantTable, p: &Principal, e: &EntityRef, write: bool) -> Result<(), Failure> {
        let (read, change) = actions(e.kind).ok_or_else(not_found)?;
        // Reading first: one who cannot see the entity learns nothing of it, not even a 403.
        let facts = Facts::load(t, Needs::of(p.role), e).await?.ok_or_else(not_found)?;
        if !facts.permits(p, read) {
            return Err(not_found().into());
        }
        if write && !facts.permits(p, change) {
            return Err(Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
                .detail("your role may not change this entity's files")
                .into());
        }
        Ok(())
    }

    async fn find(t: &TenantTable, id: &str) -> Result<Media, Failure> {
        let id: MediaId = id.parse().map_err(|_| not_found())?;
        Ok(MediaRepo::new(t).get(&id).await?.ok_or_else(not_found)?)
    }

    async fn upload(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let body: UploadRequest = json_body(req)?;
        let v = check_upload(body.entity.kind, &body.file_name, &body.content_type, body.size);
        if !v.is_empty() {
            return Err(Problem::validation(v).into());
        }
        Self::check(&t, &p, &body.entity, true).await?;
        let id = MediaId::new();
        let file_name = safe_file_name(&body.file_name);
        let content_type = body.content_type.trim().to_ascii_lowercase();
        let m = Media {
            id,
            org_id: p.org_id,
            object_key: Media::object_key_of(&p.org_id, &body.entity, &id, &file_name),
            entity: body.entity,
            file_name,
            content_type,
            size: body.size,
            status: MediaStatus::Pending,
            confirmed_at: None,
            duration_ms: None,
            stamp: Stamp::created(p.user_id, Utc::now()),
        };
        let url = self
            .bucket(&m)
            .await?
            .presign_put(&m.object_key, &m.content_type, m.size, UPLOAD_TTL)
            .await
            .map_err(outage)?;
        MediaRepo::new(&t).create(&m).await?;
        let upload = j!({"url": url, "method": "PUT", "headers": {"content-type": m.content_type,
            "content-length": m.size.to_string()}, "expiresAt": Utc::now() + seconds(UPLOAD_TTL)});
        Ok(created(&j!({"media": m, "upload": upload}), Some(m.stamp.version), &format!("/media/{id}"), rid))
    }

    async fn confirm(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let m = Self::find(&t, id).await?;
        Self::check(&t, &p, &m.entity, true).await?;
        if m.status == MediaStatus::Ready {
            return Ok(json_with_etag(StatusCode::OK, &m, m.stamp.version, rid));
        }
        match self.bucket(&m).await?.size(&m.object_key).await.map_err(outage)? {
            None => Err(Problem::new("not-uploaded", StatusCode::CONFLICT, "Not uploaded")
                .detail("nothing was uploaded to the URL yet; PUT the file first")
                .into()),
            Some(size) if size != m.size => Err(Problem::new("size-mismatch", StatusCode::CONFLICT, "Size mismatch")
                .detail(format!("{size} bytes arrived where {} were declared; upload again", m.size))
                .into()),
            Some(_) => {
                let mut next = m.clone();
                if m.entity.kind == EntityKind::AdRead {
                    // Measured here, from the file itself: a client's word on a read's length
                    // is never taken.
                    let bytes = self.bucket(&m).await?.read_all(&m.object_key).await.map_err(outage)?;
                    let content_type = m.content_type.clone();
                    let measured = tokio::task::spawn_blocking(move || audio::measure(bytes, &content_type))
                        .await
                        .map_err(outage)?;
                    match measured {
                        Ok(seconds) => next.duration_ms = Some((seconds * 1000.0).round() as u64),
                        Err(e) => {
                            return Err(Problem::new(
                                "audio-undecodable",
                                StatusCode::UNPROCESSABLE_ENTITY,
                                "Audio not readable",
                            )
                            .detail(format!("{e}: upload an MP3, M4A or WAV recording"))
                            .into());
                        }
                    }
                }
                next.status = MediaStatus::Ready;
                next.confirmed_at = Some(Utc::now());
                next.stamp = m.stamp.touched(p.user_id, Utc::now());
                MediaRepo::new(&t).update(&next, m.stamp.version).await?;
                Ok(json_with_etag(StatusCode::OK, &next, next.stamp.version, rid))
            }
        }
    }

    async fn download(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let m = Self::find(&t, id).await?;
        Self::check(&t, &p, &m.entity, false).await?;
        if m.status != MediaStatus::Ready {
            return Err(Problem::new("not-uploaded", StatusCode::CONFLICT, "Not uploaded")
                .detail("the upload was not confirmed")
                .into());
        }
        let url = self.bucket(&m).await?.presign_get(&m.object_key, DOWNLOAD_TTL).await.map_err(outage)?;
        Ok(json(StatusCode::OK, &j!({"url": url, "expiresAt": Utc::now() + seconds(DOWNLOAD_TTL)}), rid))
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (Some(kind), Some(id)) = (query_param(req, "entityType"), query_param(req, "entityId")) else {
            return Err(Problem::field(
                "entityType",
                "required",
                "list the files of one entity: entityType and entityId",
            )
            .into());
        };
        let kind = kind.parse().map_err(|e: podcastflow_domain::visibility::UnknownEntityKind| {
            Problem::field("entityType", "invalid", &e.to_string())
        })?;
        let entity = EntityRef { kind, id };
        Self::check(&t, &p, &entity, false).await?;
        let paging = paging(req)?;
        let page = MediaRepo::new(&t).of_entity(&entity, paging.cursor.as_deref(), paging.limit).await?;
        Ok(json(StatusCode::OK, &PageBody { items: page.items, next_cursor: page.cursor }, rid))
    }

    async fn delete(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let m = Self::find(&t, id).await?;
        Self::check(&t, &p, &m.entity, true).await?;
        self.bucket(&m).await?.delete(&m.object_key).await.map_err(outage)?;
        MediaRepo::new(&t).delete(&m.id, m.stamp.version).await?;
        Ok(no_content(rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &MediaApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["media"]) => app.list(req, &rid).await,
        (&Method::POST, ["media", "uploads"]) => app.upload(req, &rid).await,
        (&Method::POST, ["media", id, "confirm"]) => app.confirm(req, id, &rid).await,
        (&Method::GET, ["media", id, "download"]) => app.download(req, id, &rid).await,
        (&Method::DELETE, ["media", id]) => app.delete(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
