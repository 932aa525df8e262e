//! The routes of `backups`.

use std::time::Duration;

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::backup::{
    Backup, BackupKind, BackupSchedule, BackupStatus, Restore, RestoreGroup, RestoreMode,
};
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::{BackupId, Principal, ValidationErrors};
use podcastflow_platform::conditional::stale;
use podcastflow_platform::{
    Failure, Outage, Outcome, PageBody, Problem, RoutePath, allow, if_match, json, json_body, json_with_etag,
    no_content, no_fields, not_found, paging, principal, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::backups::BackupRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use serde::Deserialize;
use serde_json::json as j;

use crate::BackupsApp;

/// How long a download URL works.
const DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RestoreRequest {
    backup_id: BackupId,
    entities: Vec<RestoreGroup>,
    mode: RestoreMode,
}

fn conflict(detail: impl Into<String>) -> Failure {
    Problem::new("conflict", StatusCode::CONFLICT, "Conflict").detail(detail).into()
}

fn outage(e: impl std::fmt::Display) -> Failure {
    Failure::Outage(Outage(e.to_string()))
}

impl BackupsApp {
    /// The caller, allowed to manage their organization's backups, with its table.
    fn admin(&self, req: &Request) -> Result<(Principal, TenantTable), Failure> {
        let p = principal(req)?;
        allow(&p, Action::BackupManage, &Resource::Org(p.org_id))?;
        let t = self.ctx.tenant(&p, req);
        Ok((p, t))
    }

    async fn find(t: &TenantTable, id: &str) -> Result<Backup, Failure> {
        let id: BackupId = id.parse().map_err(|_| not_found())?;
        Ok(BackupRepo::new(t).get(&id).await?.ok_or_else(not_found)?)
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let (_, t) = self.admin(req)?;
        let paging = paging(req)?;
        let page = BackupRepo::new(&t).list(paging.cursor.as_deref(), paging.limit).await?;
        Ok(json(StatusCode::OK, &PageBody { items: page.items, next_cursor: page.cursor }, rid))
    }

    async fn create(&self, req: &Request, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        no_fields(req, "a backup")?;
        let now = Utc::now();
        let b = Backup::queued(p.org_id, BackupKind::Manual, p.user_id, now);
        BackupRepo::new(&t).create(&b).await?;
        let mut r = json_with_etag(StatusCode::ACCEPTED, &b, b.stamp.version, rid);
        if let Ok(v) = format!("/backups/{}", b.id).parse() {
            r.headers_mut().insert("location", v);
        }
        Ok(r)
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (_, t) = self.admin(req)?;
        let b = Self::find(&t, id).await?;
        Ok(json_with_etag(StatusCode::OK, &b, b.stamp.version, rid))
    }

    async fn download(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        let b = Self::find(&t, id).await?;
        if b.status != BackupStatus::Completed {
            return Err(conflict(
                format!("the backup is {:?}; only a completed backup downloads", b.status).to_lowercase(),
            ));
        }
        // Signed with the organization's session, which IAM confines to its own backups.
        let bucket = self.ctx.objects(&self.objects, &p.org_id).await.map_err(outage)?;
        let url = bucket.presign_get(&Backup::data_key(&p.org_id, &b.id), DOWNLOAD_TTL).await.map_err(outage)?;
        let expires_at = Utc::now() + chrono::Duration::seconds(DOWNLOAD_TTL.as_secs() as i64);
        Ok(json(StatusCode::OK, &j!({"url": url, "expiresAt": expires_at, "sha256": b.sha256}), rid))
    }

    async fn delete(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let (_, t) = self.admin(req)?;
        let b = Self::find(&t, id).await?;
        let restoring =
            b.restore.as_ref().is_some_and(|r| matches!(r.status, BackupStatus::Queued | BackupStatus::Running));
        if matches!(b.status, BackupStatus::Queued | BackupStatus::Running) || restoring {
            return Err(conflict("the backup is in use; delete it when it has finished"));
        }
        let expected = if req.headers().contains_key("if-match") {
            if_match(req)?.check(b.stamp.version)?
        } else {
            b.stamp.version
        };
        match BackupRepo::new(&t).delete(&b.id, expected).await {
            Ok(()) => Ok(no_content(rid)),
            Err(RepoError::VersionConflict { current }) => Err(stale(current).into()),
            Err(e) => Err(e.into()),
        }
    }

    async fn restore(&self, req: &Request, rid: &str) -> Outcome {
        let (p, t) = self.admin(req)?;
        let body: RestoreRequest = json_body(req)?;
        let mut v = ValidationErrors::new();
        if body.entities.is_empty() {
            v.add(
                "entities",
                "required",
                "name at least one of clients, campaigns, shows, episodes, availability, notifications, activities",
            );
        }
        v.into_result().map_err(Problem::validation)?;
        let b = BackupRepo::new(&t)
            .get(&body.backup_id)
            .await?
            .ok_or_else(|| Problem::field("backupId", "not_found", "no backup with this id in your organization"))?;
        if b.status != BackupStatus::Completed {
            return Err(conflict("only a completed backup can be restored"));
        }
        if b.restore.as_ref().is_some_and(|r| matches!(r.status, BackupStatus::Queued | BackupStatus::Running)) {
            return Err(conflict("a restore of this backup is already under way"));
        }
        let mut entities = body.entities;
        entities.sort();
        entities.dedup();
        let now = Utc::now();
        let mut next = b.clone();
        next.restore = Some(Restore {
            entities,
            mode: body.mode,
            status: BackupStatus::Queued,
            progress: 0,
            restored: Default::default(),
            deleted: Default::default(),
            error: None,
            requested_by: p.user_id,
            requested_at: now,
        });
        next.stamp = b.stamp.touched(p.user_id, now);
        match BackupRepo::new(&t).update(&next, b.stamp.version).await {
            Ok(()) => Ok(json_with_etag(StatusCode::ACCEPTED, &next, next.stamp.version, rid)),
            Err(RepoError::VersionConflict { .. }) => Err(conflict("the backup changed meanwhile; try again")),
            Err(e) => Err(e.into()),
        }
    }

    async fn schedule(&self, req: &Request, rid: &str) -> Outcome {
        let (p, _) = self.admin(req)?;
        let table = self.ctx.org_table(&p.org_id);
        let orgs = OrganizationRepo::new(table.as_ref(), &self.ctx.cursors);
        let org = orgs.get(&p.org_id).await?.ok_or_else(not_found)?;
        let schedule = org.settings.backup_schedule;
        let body = j!({"schedule": schedule, "timezone": org.settings.timezone});
        Ok(json_with_etag(StatusCode::OK, &body, org.stamp.version, rid))
    }

    async fn set_schedule(&self, req: &Request, rid: &str) -> Outcome {
        let (p, _) = self.admin(req)?;
        let expected = if_match(req)?;
        let schedule: BackupSchedule = json_body(req)?;
        let mut v = ValidationErrors::new();
        schedule.check("", &mut v);
        v.into_result().map_err(Problem::validation)?;
        let table = self.ctx.org_table(&p.org_id);
        let orgs = OrganizationRepo::new(table.as_ref(), &self.ctx.cursors);
        let org = orgs.get(&p.org_id).await?.ok_or_else(not_found)?;
        expected.check(org.stamp.version)?;
        let mut next = org.clone();
        next.settings.backup_schedule = Some(schedule);
        next.stamp = org.stamp.touched(p.user_id, Utc::now());
        match orgs.update(&next, org.stamp.version).await {
            Ok(()) => {
                let body = j!({"schedule": schedule, "timezone": next.settings.timezone});
                Ok(json_with_etag(StatusCode::OK, &body, next.stamp.version, rid))
            }
            Err(RepoError::VersionConflict { current }) => Err(stale(current).into()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &BackupsApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["backups"]) => app.list(req, &rid).await,
        (&Method::POST, ["backups"]) => app.create(req, &rid).await,
        (&Method::GET, ["backups", "schedule"]) => app.schedule(req, &rid).await,
        (&Method::PUT, ["backups", "schedule"]) => app.set_schedule(req, &rid).await,
        (&Method::POST, ["backups", "restore"]) => app.restore(req, &rid).await,
        (&Method::GET, ["backups", id]) => app.get(req, id, &rid).await,
        (&Method::DELETE, ["backups", id]) => app.delete(req, id, &rid).await,
        (&Method::GET, ["backups", id, "download"]) => app.download(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
