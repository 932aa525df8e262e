//! The routes of `shows`.

use std::collections::BTreeSet;

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::inventory::guard::{describe, spots_lost};
use podcastflow_domain::inventory::spot::{SpotState, spots_of};
use podcastflow_domain::permissions::{Action, Resource, Scope, authorize, scope};
use podcastflow_domain::show::{AdConfig, ReleaseFrequency, Show, ShowStatus};
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{ClientId, Principal, Role, ShowId, Stamp, UserId, ValidationErrors};
use podcastflow_platform::visibility::{Facts, Needs, show_resource};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, RoutePath, allow, created, idempotency, if_match, json, json_body,
    json_with_etag, merge, no_content, not_found, page_in_memory, paging, principal, query_as, query_param, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::all_pages;
use podcastflow_store::repo::campaigns::{CampaignList, CampaignRepo, ListSource};
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::inventory::InventoryRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::users::UserRepo;
use serde::Deserialize;
use serde_json::Value;

use crate::ShowsApp;

/// The fields a PUT may change (people change through `/assignments`, the status through DELETE).
const CHANGEABLE: [&str; 8] =
    ["name", "description", "category", "artwork", "releaseFrequency", "adConfig", "averageDownloads", "feedHosts"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewShow {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    artwork: Option<String>,
    release_frequency: ReleaseFrequency,
    #[serde(default)]
    ad_config: AdConfig,
    #[serde(default)]
    average_downloads: Option<u64>,
    #[serde(default)]
    feed_hosts: Vec<String>,
    #[serde(default)]
    producer_ids: Vec<UserId>,
    #[serde(default)]
    talent_ids: Vec<UserId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Assignments {
    #[serde(default)]
    producer_ids: Option<Vec<UserId>>,
    #[serde(default)]
    talent_ids: Option<Vec<UserId>>,
}

/// Ids listed twice collapse to one, in their first order.
fn distinct(ids: Vec<UserId>) -> Vec<UserId> {
    let mut seen = BTreeSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

impl ShowsApp {
    /// A show the principal may apply `action` to, with their view of it, or 404/403.
    async fn authorized(
        &self,
        p: &Principal,
        t: &TenantTable,
        id: &str,
        action: Action,
    ) -> Result<(Show, Lens), Failure> {
        let id: ShowId = id.parse().map_err(|_| not_found())?;
        let show = ShowRepo::new(t).get(&id).await?.ok_or_else(not_found)?;
        let facts = Facts::show(t, Needs::of(p.role), show).await?;
        let view = allow(p, action, &facts.resource())?;
        let Facts::Show(show, _) = facts else { return Err(not_found().into()) };
        Ok((show, Lens::of_show(view, p.role)))
    }

    /// Field errors unless every producer is an active producer and every talent active talent.
    async fn check_people(&self, s: &Show, before: Option<&Show>) -> Result<(), Failure> {
        let table = self.ctx.org_table(&s.org_id);
        let users = UserRepo::new(table.as_ref(), &self.ctx.cursors);
        let mut v = ValidationErrors::new();
        for (field, ids, old, role) in [
            ("producerIds", &s.producer_ids, before.map(|b| &b.producer_ids), Role::Producer),
            ("talentIds", &s.talent_ids, before.map(|b| &b.talent_ids), Role::Talent),
        ] {
            // People already assigned stay valid even if they were disabled since.
            let new: Vec<UserId> = ids.iter().filter(|id| !old.is_some_and(|o| o.contains(id))).copied().collect();
            let active = users.active_with_role(&s.org_id, &new, &[role]).await?;
            for (i, id) in ids.iter().enumerate() {
                if new.contains(id) && !active.contains(id) {
                    v.add(format!("{field}[{i}]"), "unknown", format!("not an active {role} of this organization"));
                }
            }
        }
        v.into_result().map_err(|e| Problem::validation(e).into())
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let paging = paging(req)?;
        let status = query_as::<ShowStatus>(req, "status", "active or archived")?.unwrap_or(ShowStatus::Active);
        let prefix = query_param(req, "q").map(|q| q.trim().to_lowercase());
        let t = self.ctx.tenant(&p, req);
        let repo = ShowRepo::new(&t);
        let keep = |s: &Show| {
            s.status == status && prefix.as_deref().is_none_or(|q| s.name.trim().to_lowercase().starts_with(q))
        };
        let name_key = |s: &Show| format!("{}#{}", s.name.trim().to_lowercase(), s.id);
        let (items, next): (Vec<Value>, Option<String>) = match scope(Action::ShowRead, p.role) {
            Scope::None => {
                return Err(Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
                    .detail("your role does not read shows")
                    .into());
            }
            Scope::All(view) => {
                let page = repo.list(prefix.as_deref(), paging.cursor.as_deref(), paging.limit).await?;
                let lens = Lens::of_show(view, p.role);
                (page.items.iter().filter(|s| keep(s)).map(|s| s.render(lens)).collect(), page.cursor)
            }
            // The related set is the role's relationship, and each show is still judged by the
            // policy with the facts that put it in the set: talent's assigned shows, the shows a
            // client user's campaigns target; for any other role, none.
            Scope::Related => {
                let (shows, clients): (Vec<Show>, Vec<ClientId>) = match (p.role, p.client_id) {
                    (Role::Talent, _) => {
                        let ids = repo.assigned_to(&p.user_id).await?;
                        (repo.get_many(&ids).await?, Vec::new())
                    }
                    (Role::Client, Some(client)) => {
                        let list =
                            CampaignList { source: ListSource::Client(client), start_range: None, descending: false };
                        let campaigns = CampaignRepo::new(&t);
                        let of_client = all_pages(|cursor| {
                            let (campaigns, list) = (&campaigns, &list);
                            async move { campaigns.list(list, cursor.as_deref(), 100).await }
                        })
                        .await?;
                        let ids: BTreeSet<ShowId> = of_client.into_iter().flat_map(|c| c.targeting.show_ids).collect();
                        let ids: Vec<ShowId> = ids.into_iter().collect();
                        let mut shows = Vec::new();
                        for chunk in ids.chunks(100) {
                            shows.extend(repo.get_many(chunk).await?);
                        }
                        (shows, vec![client])
                    }
                    _ => (Vec::new(), Vec::new()),
                };
                let seen: Vec<(Show, Lens)> = shows
                    .into_iter()
                    .filter(|s| keep(s))
                    .filter_map(|s| {
                        let view = authorize(&p, Action::ShowRead, &show_resource(&s, &clients)).ok()?;
                        Some((s, Lens::of_show(view, p.role)))
                    })
                    .collect();
                let (page, next) = page_in_memory(seen, |(s, _)| name_key(s), false, &paging)?;
                (page.iter().map(|(s, lens)| s.render(*lens)).collect(), next)
            }
        };
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: next }, rid))
    }

    async fn create(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::ShowCreate, &Resource::Org(p.org_id))?;
        idempotency::once(self.ctx.org_table(&p.org_id).as_ref(), req, &p, || self.create_once(req, &p, rid)).await
    }

    async fn create_once(&self, req: &Request, p: &Principal, rid: &str) -> Outcome {
        let body: NewShow = json_body(req)?;
        let mut producers = body.producer_ids;
        if p.role == Role::Producer && !producers.contains(&p.user_id) {
            producers.push(p.user_id);
        }
        let s = Show {
            id: ShowId::new(),
            org_id: p.org_id,
            name: body.name.trim().to_owned(),
            description: body.description,
            category: body.category,
            artwork: body.artwork,
            release_frequency: body.release_frequency,
            producer_ids: distinct(producers),
            talent_ids: distinct(body.talent_ids),
            ad_config: body.ad_config,
            average_downloads: body.average_downloads,
            feed_hosts: body.feed_hosts,
            revenue_share: None,
            status: ShowStatus::Active,
            stamp: Stamp::created(p.user_id, Utc::now()),
        };
        s.validate().map_err(Problem::validation)?;
        self.check_people(&s, None).await?;
        ShowRepo::new(&self.ctx.tenant(p, req)).create(&s).await?;
        Ok(created(&s, Some(s.stamp.version), &format!("/shows/{}", s.id), rid))
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let (s, view) = self.authorized(&p, &self.ctx.tenant(&p, req), id, Action::ShowRead).await?;
        Ok(json_with_etag(StatusCode::OK, &s.render(view), s.stamp.version, rid))
    }

    /// Writes `next` over `current` read at `expected`, stamped by `p`.
    async fn save(
        &self,
        p: &Principal,
        t: &TenantTable,
        current: &Show,
        mut next: Show,
        expected: u64,
        rid: &str,
    ) -> Outcome {
        next.stamp = current.stamp.touched(p.user_id, Utc::now());
        next.stamp.version = expected + 1;
        ShowRepo::new(t).update(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &next, next.stamp.version, rid))
    }

    async fn update(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (s, _) = self.authorized(&p, &t, id, Action::ShowUpdate).await?;
        let expected = if_match(req)?.check(s.stamp.version)?;
        let patch: Value = json_body(req)?;
        let mut next: Show = merge(&s, patch, &CHANGEABLE)?;
        next.name = next.name.trim().to_owned();
        next.validate().map_err(Problem::validation)?;
        if next.ad_config != s.ad_config {
            self.keep_sold_spots(&t, &s, Some(&next)).await?;
        }
        self.save(&p, &t, &s, next, expected, rid).await
    }

    /// Refuses a change of `show`'s ad configuration (to `next`'s; `None`: it stops selling) that
    /// would take away a spot somebody holds or bought: its taken spots in one Query, their
    /// episodes in one batch read, and only when some are held or booked.
    async fn keep_sold_spots(&self, t: &TenantTable, show: &Show, next: Option<&Show>) -> Result<(), Failure> {
        let now = Utc::now();
        let claims = InventoryRepo::new(t).show_claims(&show.id).await?;
        let sold: Vec<_> =
            claims.into_iter().filter(|c| matches!(c.state_at(now), SpotState::Held | SpotState::Booked)).collect();
        if sold.is_empty() {
            return Ok(());
        }
        let ids: Vec<_> = sold.iter().map(|c| c.spot.episode_id).collect::<BTreeSet<_>>().into_iter().collect();
        let mut lost = Vec::new();
        for e in EpisodeRepo::new(t).get_many(&ids).await? {
            let after = next.and_then(|n| spots_of(&e, &n.ad_config));
            let mine: Vec<_> = sold.iter().filter(|c| c.spot.episode_id == e.id).cloned().collect();
            lost.extend(spots_lost(&mine, after, e.air_date, now).into_iter().cloned());
        }
        if lost.is_empty() {
            return Ok(());
        }
        let named: Vec<&_> = lost.iter().collect();
        Err(Problem::new("spots-taken", StatusCode::CONFLICT, "Spots taken")
            .detail(format!(
                "the change would remove spots that are held or booked: {}; release the holds or cancel the \
                 order lines first",
                describe(&named, now)
            ))
            .into())
    }

    async fn assign(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (s, _) = self.authorized(&p, &t, id, Action::ShowUpdate).await?;
        let expected = if_match(req)?.check(s.stamp.version)?;
        let body: Assignments = json_body(req)?;
        let mut next = s.clone();
        if let Some(producers) = body.producer_ids {
            next.producer_ids = distinct(producers);
        }
        if let Some(talent) = body.talent_ids {
            next.talent_ids = distinct(talent);
        }
        next.validate().map_err(Problem::validation)?;
        self.check_people(&next, Some(&s)).await?;
        self.save(&p, &t, &s, next, expected, rid).await
    }

    async fn archive(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (s, _) = self.authorized(&p, &t, id, Action::ShowArchive).await?;
        let expected = if_match(req)?.check(s.stamp.version)?;
        if s.status != ShowStatus::Archived {
            self.keep_sold_spots(&t, &s, None).await?;
            let mut next = s.clone();
            next.status = ShowStatus::Archived;
            self.save(&p, &t, &s, next, expected, rid).await?;
        }
        Ok(no_content(rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &ShowsApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["shows"]) => app.list(req, &rid).await,
        (&Method::POST, ["shows"]) => app.create(req, &rid).await,
        (&Method::GET, ["shows", id]) => app.get(req, id, &rid).await,
        (&Method::PUT, ["shows", id]) => app.update(req, id, &rid).await,
        (&Method::DELETE, ["shows", id]) => app.archive(req, id, &rid).await,
        (&Method::PUT, ["shows", id, "assignments"]) => app.assign(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
