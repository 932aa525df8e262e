//! The routes of `talent`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::availability::{AvailabilityWindow, WindowKind};
use podcastflow_domain::episode::EpisodeStatus;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::show::Show;
use podcastflow_domain::{Principal, Role, ShowId, UserId, ValidationErrors, WindowId};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, RoutePath, allow, if_match, json, json_body, json_with_etag, not_found,
    page_in_memory, paging, principal, query_parsed, request_id,
};
use podcastflow_store::repo::availability::{AvailabilityRepo, MAX_WINDOWS, WindowSet};
use podcastflow_store::repo::episodes::{EpisodeRepo, ScheduleEntry};
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::users::UserRepo;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::TalentApp;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWindows {
    windows: Vec<NewWindow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWindow {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    kind: WindowKind,
    #[serde(default)]
    note: Option<String>,
}

/// One upcoming date of a talent's schedule.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Upcoming<'a> {
    #[serde(flatten)]
    entry: &'a ScheduleEntry,
    #[serde(skip_serializing_if = "Option::is_none")]
    show_name: Option<&'a str>,
    /// The earliest of its recording and air dates on or after the list's start.
    next_date: NaiveDate,
}

fn set_body(talent: &UserId, set: &WindowSet) -> serde_json::Value {
    json!({"talentId": talent, "windows": set.windows, "version": set.version})
}

impl TalentApp {
    /// The talent user named in the path, if the principal may apply `action` to their
    /// availability; 404 for anyone who is not talent of the organization.
    async fn talent(&self, p: &Principal, id: &str, action: Action) -> Result<UserId, Failure> {
        let id: UserId = id.parse().map_err(|_| not_found())?;
        allow(p, action, &Resource::Availability { org: p.org_id, talent: id })?;
        let table = self.ctx.org_table(&p.org_id);
        let users = UserRepo::new(table.as_ref(), &self.ctx.cursors);
        match users.get(&p.org_id, &id).await? {
            Some(u) if u.role == Role::Talent => Ok(id),
            _ => Err(not_found().into()),
        }
    }

    async fn availability(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let talent = self.talent(&p, id, Action::AvailabilityRead).await?;
        let set = AvailabilityRepo::new(&self.ctx.tenant(&p, req)).read(&talent).await?;
        Ok(json_with_etag(StatusCode::OK, &set_body(&talent, &set), set.version, rid))
    }

    async fn replace(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let talent = self.talent(&p, id, Action::AvailabilityWrite).await?;
        let t = self.ctx.tenant(&p, req);
        let repo = AvailabilityRepo::new(&t);
        let current = repo.read(&talent).await?;
        let expected = if_match(req)?.check(current.version)?;
        let body: NewWindows = json_body(req)?;
        if body.windows.len() > MAX_WINDOWS {
            return Err(Problem::field("windows", "too_many", &format!("at most {MAX_WINDOWS} windows")).into());
        }
        let mut v = ValidationErrors::new();
        let windows: Vec<AvailabilityWindow> = body
            .windows
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                let w = AvailabilityWindow {
                    id: WindowId::new(),
                    org_id: p.org_id,
                    talent_id: talent,
                    from: w.from,
                    to: w.to,
                    kind: w.kind,
                    note: w.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
                    version: expected + 1,
                };
                if let Err(e) = w.validate() {
                    v.extend_prefixed(&format!("windows[{i}]."), e);
                }
                w
            })
            .collect();
        v.into_result().map_err(Problem::validation)?;
        let version = repo.replace(&talent, &windows, expected).await?;
        let mut windows = windows;
        windows.sort_by_key(|w| (w.from, w.id));
        let set = WindowSet { windows, version };
        Ok(json_with_etag(StatusCode::OK, &set_body(&talent, &set), version, rid))
    }

    async fn schedule(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let paging = paging(req)?;
        let from: NaiveDate =
            query_parsed(req, "from", "a date, YYYY-MM-DD")?.unwrap_or_else(|| Utc::now().date_naive());
        let talent = self.talent(&p, id, Action::AvailabilityRead).await?;
        let t = self.ctx.tenant(&p, req);
        let next_date =
            |e: &ScheduleEntry| [e.recording_date, e.air_date].into_iter().flatten().filter(|d| *d >= from).min();
        let upcoming: Vec<ScheduleEntry> = EpisodeRepo::new(&t)
            .schedule(&talent)
            .await?
            .into_iter()
            .filter(|e| e.status != Some(EpisodeStatus::Cancelled) && next_date(e).is_some())
            .collect();
        let key = |e: &ScheduleEntry| format!("{}#{}", next_date(e).unwrap_or(from), e.episode_id);
        let (page, next) = page_in_memory(upcoming, key, false, &paging)?;
        let show_ids: Vec<ShowId> = page.iter().map(|e| e.show_id).collect();
        let shows: BTreeMap<ShowId, Show> =
            ShowRepo::new(&t).get_many(&show_ids).await?.into_iter().map(|s| (s.id, s)).collect();
        let items: Vec<Upcoming<'_>> = page
            .iter()
            .map(|e| Upcoming {
                entry: e,
                show_name: shows.get(&e.show_id).map(|s| s.name.as_str()),
                next_date: next_date(e).unwrap_or(from),
            })
            .collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: next }, rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &TalentApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["talent", id, "availability"]) => app.availability(req, id, &rid).await,
        (&Method::PUT, ["talent", id, "availability"]) => app.replace(req, id, &rid).await,
        (&Method::GET, ["talent", id, "schedule"]) => app.schedule(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
