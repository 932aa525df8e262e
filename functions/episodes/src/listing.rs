//! `GET /episodes`: episodes by air date (undated ones last), filtered and paged, Queries only.
//!
//! Everyone who reads all episodes (admins, sellers, producers) gets one index partition: a show's
//! (`showId`), a status's (`status`), or the organization's, each ranged by air date; `talentId`
//! reads that talent's schedule items. Talent read the episodes they are on and those of the shows
//! they host through the reader index (`podcastflow_domain::readers`): a page of their entries,
//! one batch read of those episodes. Client users read none.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::Role;
use podcastflow_domain::episode::{Episode, EpisodeStatus};
use podcastflow_domain::permissions::{Action, Scope, authorize, scope};
use podcastflow_domain::readers::{ReaderEntry, distinct_items, placed_at};
use podcastflow_domain::show::Show;
use podcastflow_domain::{EpisodeId, ShowId, UserId};
use podcastflow_platform::visibility::episode_resource;
use podcastflow_platform::{
    Failure, Outcome, PageBody, Paging, Problem, json, page_in_memory, paging, principal, query_as, query_date_range,
    query_parsed,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::EntityPage;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::readers::ReaderRepo;
use podcastflow_store::repo::shows::ShowRepo;
use serde_json::Value;

use crate::EpisodesApp;
use podcastflow_domain::episode::render;

/// The filters of one list request.
struct Filters {
    show: Option<ShowId>,
    status: Option<EpisodeStatus>,
    talent: Option<UserId>,
    range: Option<(NaiveDate, NaiveDate)>,
}

impl Filters {
    fn parse(req: &Request) -> Result<Self, Problem> {
        let range = query_date_range(req)?;
        Ok(Self {
            show: query_parsed(req, "showId", "a show id")?,
            status: query_as(req, "status", "an episode status such as scheduled")?,
            talent: query_parsed(req, "talentId", "a user id")?,
            range,
        })
    }

    fn admits(&self, e: &Episode) -> bool {
        self.show.is_none_or(|s| e.show_id == s)
            && self.status.is_none_or(|s| e.status == s)
            && self.talent.is_none_or(|t| e.talent_ids.contains(&t))
            && self.range.is_none_or(|(f, t)| e.air_date.is_some_and(|d| f <= d && d <= t))
    }
}

/// The position of an episode in the list's order (as in the index: air date, undated last, id).
fn air_key(e: &Episode) -> String {
    format!("{}#{}", Episode::air_sk(e.air_date), e.id)
}

/// Reads episodes by id, in batches.
async fn episodes_by_id(repo: &EpisodeRepo<'_>, ids: Vec<EpisodeId>) -> Result<Vec<Episode>, Failure> {
    let mut out = Vec::new();
    for chunk in ids.chunks(100) {
        out.extend(repo.get_many(chunk).await?);
    }
    Ok(out)
}

impl EpisodesApp {
    /// A page of the episodes a talent user reaches through the reader index (the ones they are on
    /// and those of the shows they host), each placed by an entry under its current air date (each
    /// is judged by the policy below, as every listed episode is).
    async fn talent_page(
        &self,
        t: &TenantTable,
        me: &UserId,
        f: &Filters,
        paging: &Paging,
    ) -> Result<(Vec<Episode>, Option<String>), Failure> {
        let page: EntityPage<ReaderEntry<EpisodeId>> =
            ReaderRepo::new(t).page(me, f.range, false, paging.cursor.as_deref(), paging.limit).await?;
        let ids = distinct_items(&page.items);
        let found = match ids.is_empty() {
            true => Vec::new(),
            false => EpisodeRepo::new(t).get_many(&ids).await?,
        };
        let items = found.into_iter().filter(|e| placed_at(&page.items, &e.id, e.air_date) && f.admits(e)).collect();
        Ok((items, page.cursor))
    }

    pub(crate) async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let paging = paging(req)?;
        let f = Filters::parse(req)?;
        let t = self.ctx.tenant(&p, req);
        let repo = EpisodeRepo::new(&t);
        let cursor = paging.cursor.as_deref();
        let (items, next): (Vec<Episode>, Option<String>) = match scope(Action::EpisodeRead, p.role) {
            Scope::All(_) => {
                if let Some(talent) = f.talent {
                    let ids = repo.schedule(&talent).await?.into_iter().map(|s| s.episode_id).collect();
                    let all = episodes_by_id(&repo, ids).await?.into_iter().filter(|e| f.admits(e)).collect();
                    page_in_memory(all, air_key, false, &paging)?
                } else {
                    let page: EntityPage<Episode> = match (f.show, f.status) {
                        (Some(show), _) => repo.list_by_show(&show, f.range, cursor, paging.limit).await?,
                        (None, Some(status)) => repo.list_by_status(status, f.range, cursor, paging.limit).await?,
                        (None, None) => repo.list(f.range, cursor, paging.limit).await?,
                    };
                    (page.items.into_iter().filter(|e| f.admits(e)).collect(), page.cursor)
                }
            }
            // The related set is the role's relationship (each episode still judged below):
            // talent's episodes and their shows' episodes; for any other role, none.
            Scope::Related => match p.role {
                Role::Talent => self.talent_page(&t, &p.user_id, &f, &paging).await?,
                _ => (Vec::new(), None),
            },
            Scope::None => {
                return Err(Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
                    .detail("your role does not read episodes")
                    .into());
            }
        };
        // One batch read of the page's shows gives every episode its ad slots.
        let show_ids: Vec<ShowId> = items.iter().map(|e| e.show_id).collect::<BTreeSet<_>>().into_iter().collect();
        let shows: BTreeMap<ShowId, Show> =
            ShowRepo::new(&t).get_many(&show_ids).await?.into_iter().map(|s| (s.id, s)).collect();
        // Each episode as its GET answers it, to whoever its GET answers (its show gone: nobody).
        let items: Vec<Value> = items
            .iter()
            .filter_map(|e| {
                let show = shows.get(&e.show_id)?;
                authorize(&p, Action::EpisodeRead, &episode_resource(e, show)).ok()?;
                Some(render(e, Some(show)))
            })
            .collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: next }, rid))
    }
}
