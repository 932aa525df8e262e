//! The routes of `episodes`: dispatch, and one episode's create, read, update, delete and
//! transitions.

use chrono::{NaiveDate, Utc};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::availability::conflict;
use podcastflow_domain::delivery::file::AdMarker;
use podcastflow_domain::episode::render;
use podcastflow_domain::episode::transitions::{EpisodeTransitionError, transition};
use podcastflow_domain::episode::{Episode, EpisodeStatus};
use podcastflow_domain::inventory::guard::{describe, dropped_spots, spots_lost};
use podcastflow_domain::inventory::spot::spots_of;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::show::{Show, ShowStatus};
use podcastflow_domain::{EpisodeId, Principal, ShowId, Stamp, UserId, ValidationErrors};
use podcastflow_platform::visibility::Facts;
use podcastflow_platform::{
    Failure, Outcome, Problem, RoutePath, allow, created, idempotency, if_match, json_body, json_with_etag, merge,
    no_content, not_found, optional_if_match, principal, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::availability::AvailabilityRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::inventory::InventoryRepo;
use podcastflow_store::repo::shows::ShowRepo;
use serde::Deserialize;
use serde_json::Value;

use crate::EpisodesApp;

/// The fields a PUT may change (the status moves through transitions, the show never).
const CHANGEABLE: [&str; 10] = [
    "title",
    "number",
    "airDate",
    "recordingDate",
    "durationSeconds",
    "talentIds",
    "enclosureUrls",
    "fileSizeBytes",
    "headerBytes",
    "adMarkers",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewEpisode {
    show_id: ShowId,
    title: String,
    #[serde(default)]
    number: Option<u32>,
    #[serde(default)]
    air_date: Option<NaiveDate>,
    #[serde(default)]
    recording_date: Option<NaiveDate>,
    #[serde(default)]
    duration_seconds: Option<u32>,
    #[serde(default)]
    talent_ids: Vec<UserId>,
    #[serde(default)]
    enclosure_urls: Vec<String>,
    #[serde(default)]
    file_size_bytes: Option<u64>,
    #[serde(default)]
    header_bytes: Option<u64>,
    #[serde(default)]
    ad_markers: Vec<AdMarker>,
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionRequest {
    to: EpisodeStatus,
}

/// 403 unless the policy lets `p` schedule talent over their unavailable windows.
fn may_override(p: &Principal) -> Result<(), Failure> {
    allow(p, Action::AvailabilityOverride, &Resource::Org(p.org_id)).map_err(|_| {
        Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
            .detail("only an admin can override talent availability")
    })?;
    Ok(())
}

/// The `force` flag of a write, taken out of its body: only admins (and master) may override the
/// availability check.
fn take_force(p: &Principal, body: &mut Value) -> Result<bool, Failure> {
    let force = match body.as_object_mut().and_then(|o| o.remove("force")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(Problem::field("force", "invalid", "true or false").into()),
    };
    if force {
        may_override(p)?;
    }
    Ok(force)
}

impl EpisodesApp {
    /// An episode and its show that the principal may apply `action` to, or 404/403.
    async fn authorized(
        &self,
        p: &Principal,
        t: &TenantTable,
        id: &str,
        action: Action,
    ) -> Result<(Episode, Show), Failure> {
        let id: EpisodeId = id.parse().map_err(|_| not_found())?;
        let e = EpisodeRepo::new(t).get(&id).await?.ok_or_else(not_found)?;
        let facts = Facts::episode(t, e).await?.ok_or_else(not_found)?;
        allow(p, action, &facts.resource())?;
        let Facts::Episode(e, show) = facts else { return Err(not_found().into()) };
        Ok((e, show))
    }

    /// 409 naming each assigned talent's unavailable window on the recording date (unless forced);
    /// `only` limits the check to talent newly assigned when the date did not move.
    async fn check_availability(
        &self,
        t: &TenantTable,
        e: &Episode,
        only: Option<&[UserId]>,
        force: bool,
    ) -> Result<(), Failure> {
        let Some(day) = e.recording_date else { return Ok(()) };
        if force {
            return Ok(());
        }
        let repo = AvailabilityRepo::new(t);
        let mut v = ValidationErrors::new();
        for (i, talent) in e.talent_ids.iter().enumerate() {
            if only.is_some_and(|o| !o.contains(talent)) {
                continue;
            }
            let windows = repo.windows(talent).await?;
            if let Some(w) = conflict(&windows, day) {
                let note = w.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
                v.add(
                    format!("talentIds[{i}]"),
                    "unavailable",
                    format!("unavailable from {} to {}{note}; window {}", w.from.to_rfc3339(), w.to.to_rfc3339(), w.id),
                );
            }
        }
        match v.into_result() {
            Ok(()) => Ok(()),
            Err(v) => Err(Problem::new("talent-unavailable", StatusCode::CONFLICT, "Talent unavailable")
                .detail(format!("assigned talent is unavailable on the recording date {day}; an admin may send force"))
                .fields(v)
                .into()),
        }
    }

    async fn create(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        idempotency::once(self.ctx.org_table(&p.org_id).as_ref(), req, &p, || self.create_once(req, &p, rid)).await
    }

    async fn create_once(&self, req: &Request, p: &Principal, rid: &str) -> Outcome {
        let body: NewEpisode = json_body(req)?;
        let t = self.ctx.tenant(p, req);
        let show = ShowRepo::new(&t).get(&body.show_id).await?;
        let (producers, talent) =
            show.as_ref().map_or((&[][..], &[][..]), |s| (&s.producer_ids[..], &s.talent_ids[..]));
        let resource =
            Resource::Episode { org: p.org_id, show_producers: producers, show_talent: talent, episode_talent: &[] };
        allow(p, Action::EpisodeCreate, &resource)?;
        let Some(show) = show.filter(|s| s.status == ShowStatus::Active) else {
            return Err(Problem::field("showId", "unknown", "no active show with this id in this organization").into());
        };
        if body.force {
            may_override(p)?;
        }
        let e = Episode {
            id: EpisodeId::new(),
            org_id: p.org_id,
            show_id: show.id,
            title: body.title.trim().to_owned(),
            number: body.number,
            air_date: body.air_date,
            recording_date: body.recording_date,
            duration_seconds: body.duration_seconds,
            talent_ids: body.talent_ids,
            status: EpisodeStatus::Draft,
            published_at: None,
            enclosure_urls: body.enclosure_urls,
            file_size_bytes: body.file_size_bytes,
            header_bytes: body.header_bytes,
            ad_markers: body.ad_markers,
            stamp: Stamp::created(p.user_id, Utc::now()),
        };
        e.validate(&show.talent_ids).map_err(Problem::validation)?;
        self.check_availability(&t, &e, None, body.force).await?;
        EpisodeRepo::new(&t).create(&e).await?;
        Ok(created(&render(&e, Some(&show)), Some(e.stamp.version), &format!("/episodes/{}", e.id), rid))
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let (e, show) = self.authorized(&p, &self.ctx.tenant(&p, req), id, Action::EpisodeRead).await?;
        Ok(json_with_etag(StatusCode::OK, &render(&e, Some(&show)), e.stamp.version, rid))
    }

    async fn update(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (e, show) = self.authorized(&p, &t, id, Action::EpisodeUpdate).await?;
        let expected = if_match(req)?.check(e.stamp.version)?;
        let mut patch: Value = json_body(req)?;
        let force = take_force(&p, &mut patch)?;
        if e.status == EpisodeStatus::Cancelled {
            return Err(Problem::new("episode-cancelled", StatusCode::CONFLICT, "Episode cancelled")
                .detail("a cancelled episode can no longer be changed")
                .into());
        }
        let mut next: Episode = merge(&e, patch, &CHANGEABLE)?;
        next.title = next.title.trim().to_owned();
        // Talent who left the show may stay on episodes they were already on.
        let allowed: Vec<UserId> = show.talent_ids.iter().chain(e.talent_ids.iter()).copied().collect();
        next.validate(&allowed).map_err(Problem::validation)?;
        let added: Vec<UserId> = next.talent_ids.iter().filter(|t| !e.talent_ids.contains(t)).copied().collect();
        let only = (next.recording_date == e.recording_date).then_some(&added[..]);
        self.check_availability(&t, &next, only, force).await?;
        next.stamp = e.stamp.touched(p.user_id, Utc::now());
        next.stamp.version = expected + 1;
        // A new length or air date may take spots away; never one somebody holds or bought.
        let (before, after) = (spots_of(&e, &show.ad_config), spots_of(&next, &show.ad_config));
        let dropped = dropped_spots(e.id, before, after, next.air_date != e.air_date);
        if dropped.is_empty() {
            EpisodeRepo::new(&t).update(&next, expected).await?;
        } else {
            let now = Utc::now();
            let claims = InventoryRepo::new(&t).episode_claims(&e.id).await?;
            let lost = spots_lost(&claims, after, next.air_date, now);
            if !lost.is_empty() {
                return Err(spots_taken(&describe(&lost, now)).into());
            }
            match EpisodeRepo::new(&t).update_dropping(&next, expected, &dropped, now).await {
                Err(RepoError::Conflict("spot-taken")) => {
                    return Err(spots_taken("a spot it would drop was held meanwhile").into());
                }
                other => other?,
            }
        }
        Ok(json_with_etag(StatusCode::OK, &render(&next, Some(&show)), next.stamp.version, rid))
    }

    async fn delete(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (e, _) = self.authorized(&p, &t, id, Action::EpisodeUpdate).await?;
        let expected = if_match(req)?.check(e.stamp.version)?;
        if !matches!(e.status, EpisodeStatus::Draft | EpisodeStatus::Cancelled) {
            return Err(Problem::new("episode-in-production", StatusCode::CONFLICT, "Episode in production")
                .detail(format!("a {} episode is kept; cancel it first (published episodes stay)", e.status))
                .into());
        }
        EpisodeRepo::new(&t).delete(&e, expected).await?;
        Ok(no_content(rid))
    }

    async fn transition(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (e, show) = self.authorized(&p, &t, id, Action::EpisodeUpdate).await?;
        let expected = optional_if_match(req)?.check(e.stamp.version)?;
        let body: TransitionRequest = json_body(req)?;
        let next = transition(&e, body.to, p.user_id, Utc::now()).map_err(|err| {
            let detail = err.to_string();
            match err {
                EpisodeTransitionError::AirDateRequired => {
                    Problem::new("transition-not-ready", StatusCode::UNPROCESSABLE_ENTITY, "Episode not ready")
                        .detail(detail.clone())
                        .fields({
                            let mut v = ValidationErrors::new();
                            v.add("airDate", "required", detail);
                            v
                        })
                }
                _ => Problem::new("transition-not-allowed", StatusCode::CONFLICT, "Transition not allowed")
                    .detail(detail),
            }
        })?;
        EpisodeRepo::new(&t).update(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &render(&next, Some(&show)), next.stamp.version, rid))
    }
}

/// 409: the change would take away spots that are held or booked.
fn spots_taken(which: &str) -> Problem {
    Problem::new("spots-taken", StatusCode::CONFLICT, "Spots taken").detail(format!(
        "the change would remove or move spots that are held or booked: {which}; release the holds or \
         cancel the order lines first"
    ))
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &EpisodesApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["episodes"]) => app.list(req, &rid).await,
        (&Method::POST, ["episodes"]) => app.create(req, &rid).await,
        (&Method::GET, ["episodes", id]) => app.get(req, id, &rid).await,
        (&Method::PUT, ["episodes", id]) => app.update(req, id, &rid).await,
        (&Method::DELETE, ["episodes", id]) => app.delete(req, id, &rid).await,
        (&Method::POST, ["episodes", id, "transitions"]) => app.transition(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
