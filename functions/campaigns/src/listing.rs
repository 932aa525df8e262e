//! `GET /campaigns`: the campaigns a principal may read, filtered, sorted and paged.
//!
//! Three ways to read them, none a scan:
//! - **indexed** (admins, master, client users): one index partition read page by page (all
//!   campaigns, one client's or one status's by start date, or all by last update); the filters the
//!   partition cannot apply narrow each page, so a page may hold fewer than `limit` items.
//! - **reader index** (sellers, producers and talent, by start date): a page of the reader's
//!   entries (`podcastflow_domain::readers`: their teams, their assigned clients' campaigns, their
//!   shows' campaigns), then the page's facts (`visibility::facts_of_page`: one batch read of the
//!   campaigns with the reader's memberships, and for a campaign theirs only through its client or
//!   a show one batch read of those), so the policy judges each campaign as a GET would (an entry
//!   a race left behind shows nothing). Three calls at most, whatever the size of the
//!   organization; the filters narrow the page as above.
//! - **visible set** (those readers by last update, and the `ownerId` filter): the campaigns the
//!   principal is related to, gathered whole and paged in memory. Its cost follows the
//!   principal's own relationships, never the size of the organization.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::campaign::team::{TeamMember, TeamRole};
use podcastflow_domain::campaign::view::render;
use podcastflow_domain::campaign::{Campaign, CampaignStatus};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::permissions::{Action, Scope, View, scope};
use podcastflow_domain::readers::{ReaderEntry, distinct_items, placed_at};
use podcastflow_domain::visibility::{EntityKind, Lens};
use podcastflow_domain::{CampaignId, ClientId, Principal, Role, UserId};
use podcastflow_platform::visibility::{Facts, facts_of_page};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Paging, Problem, json, page_in_memory, paging, principal, query_as, query_date_range,
    query_parsed,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::campaigns::{CampaignList, CampaignRepo, ListSource};
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::readers::ReaderRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::{EntityPage, all_pages};
use serde::Deserialize;
use serde_json::Value;

use crate::CampaignsApp;

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Sort {
    /// By start date (undated campaigns first), then id.
    StartDate,
    /// By last update.
    Updated,
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Order {
    Asc,
    Desc,
}

/// The filters and order of one list request.
struct Filters {
    status: Option<CampaignStatus>,
    client: Option<ClientId>,
    owner: Option<UserId>,
    range: Option<(NaiveDate, NaiveDate)>,
    sort: Sort,
    descending: bool,
    archived: bool,
}

impl Filters {
    fn parse(req: &Request) -> Result<Self, Problem> {
        let status = query_as(req, "status", "a campaign status such as draft or live")?;
        let client = query_parsed(req, "clientId", "a client id")?;
        let owner = query_parsed(req, "ownerId", "a user id")?;
        let range = query_date_range(req)?;
        let sort = query_as(req, "sort", "startDate or updated")?.unwrap_or(Sort::StartDate);
        let order: Option<Order> = query_as(req, "order", "asc or desc")?;
        let descending = order.map_or(sort == Sort::Updated, |o| o == Order::Desc);
        let archived = query_parsed(req, "archived", "true or false")?.unwrap_or(false);
        Ok(Self { status, client, owner, range, sort, descending, archived })
    }

    fn admits(&self, c: &Campaign) -> bool {
        (self.archived || !c.archived)
            && self.status.is_none_or(|s| c.status == s)
            && self.client.is_none_or(|cl| c.client_id == Some(cl))
            && self.owner.is_none_or(|o| c.owner_id == o)
            && self.range.is_none_or(|(f, t)| c.start_date.is_some_and(|d| f <= d && d <= t))
    }

    /// The position of a campaign in this list's order.
    fn sort_key(&self, c: &Campaign) -> String {
        match self.sort {
            Sort::StartDate => format!("{}#{}", Campaign::start_sk(c.start_date), c.id),
            Sort::Updated => c.updated_sk(),
        }
    }
}

impl CampaignsApp {
    /// Every campaign the principal is related to (see the module's documentation), with their
    /// own memberships.
    async fn visible_set(
        &self,
        p: &Principal,
        t: &TenantTable,
        f: &Filters,
    ) -> Result<(Vec<Campaign>, Vec<TeamMember>), Failure> {
        let repo = CampaignRepo::new(t);
        let mut found: BTreeMap<CampaignId, Campaign> = BTreeMap::new();
        let mut ids: Vec<CampaignId> = Vec::new();
        let (mine, owned_only) = match (p.role, f.owner) {
            (Role::Master | Role::Admin, Some(owner)) => (repo.memberships(&owner).await?, true),
            _ => (repo.memberships(&p.user_id).await?, false),
        };
        ids.extend(mine.iter().filter(|m| !owned_only || m.role == TeamRole::Owner).map(|m| m.campaign_id));
        match p.role {
            Role::Seller => {
                let assigned = ClientRepo::new(t).assigned_to(&p.user_id).await?;
                for client in assigned.into_iter().filter(|c| f.client.is_none_or(|want| want == *c)) {
                    let list =
                        CampaignList { source: ListSource::Client(client), start_range: f.range, descending: false };
                    let of_client = all_pages(|cursor| {
                        let (repo, list) = (&repo, &list);
                        async move { repo.list(list, cursor.as_deref(), 100).await }
                    })
                    .await?;
                    found.extend(of_client.into_iter().map(|c| (c.id, c)));
                }
            }
            Role::Producer => {
                for show in ShowRepo::new(t).assigned_to(&p.user_id).await? {
                    ids.extend(repo.ids_for_show(&show).await?);
                }
            }
            _ => {}
        }
        ids.retain(|id| !found.contains_key(id));
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(100) {
            found.extend(repo.get_many(chunk).await?.into_iter().map(|c| (c.id, c)));
        }
        let mine = if owned_only { Vec::new() } else { mine };
        Ok((found.into_values().collect(), mine))
    }

    /// One page of the campaigns `p` reaches through the reader index (see the module's
    /// documentation), each one the policy lets them read, with their membership of it.
    async fn reader_page(
        &self,
        p: &Principal,
        t: &TenantTable,
        f: &Filters,
        paging: &Paging,
    ) -> Result<(Vec<(Campaign, Option<TeamMember>)>, Option<String>), Failure> {
        let page: EntityPage<ReaderEntry<CampaignId>> =
            ReaderRepo::new(t).page(&p.user_id, f.range, f.descending, paging.cursor.as_deref(), paging.limit).await?;
        let ids = distinct_items(&page.items);
        if ids.is_empty() {
            return Ok((Vec::new(), page.cursor));
        }
        // Each campaign judged as its GET judges it (one loader of facts, `visibility`).
        let refs: Vec<EntityRef> =
            ids.iter().map(|id| EntityRef { kind: EntityKind::Campaign, id: id.to_string() }).collect();
        let mut items = Vec::with_capacity(ids.len());
        for facts in facts_of_page(t, p, &refs).await?.into_iter().flatten() {
            let readable = facts.permits(p, Action::CampaignRead);
            if let (true, Facts::Campaign(c, rel)) = (readable, facts)
                && placed_at(&page.items, &c.id, c.start_date)
                && f.admits(&c)
            {
                let mine = rel.team.into_iter().find(|m| m.user_id == p.user_id);
                items.push((c, mine));
            }
        }
        Ok((items, page.cursor))
    }

    pub(crate) async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let paging = paging(req)?;
        let f = Filters::parse(req)?;
        let t = self.ctx.tenant(&p, req);
        // The policy says what the listing covers: everything (one index Query), or the related
        // set, which for a client user is their client's campaigns (one index Query too) and for
        // everyone else is gathered from their memberships and assignments.
        let covered = scope(Action::CampaignRead, p.role);
        let indexed = match covered {
            Scope::None => {
                return Err(Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
                    .detail("your role does not read campaigns")
                    .into());
            }
            Scope::All(_) => f.owner.is_none(),
            Scope::Related => p.role == Role::Client,
        };
        let granted = match covered {
            Scope::All(view) => view,
            _ => View::Full,
        };
        let (items, next, mine) = match indexed {
            true => {
                let source = match (p.role, f.client, f.status, f.sort) {
                    (Role::Client, ..) => match p.client_id {
                        Some(own) => ListSource::Client(own),
                        None => {
                            return Ok(json(
                                StatusCode::OK,
                                &PageBody::<Value> { items: vec![], next_cursor: None },
                                rid,
                            ));
                        }
                    },
                    (_, Some(client), ..) => ListSource::Client(client),
                    (_, None, _, Sort::Updated) => ListSource::Updated,
                    (_, None, Some(status), Sort::StartDate) => ListSource::Status(status),
                    (_, None, None, Sort::StartDate) => ListSource::All,
                };
                let list = CampaignList { source, start_range: f.range, descending: f.descending };
                let page = CampaignRepo::new(&t).list(&list, paging.cursor.as_deref(), paging.limit).await?;
                (page.items.into_iter().filter(|c| f.admits(c)).collect(), page.cursor, Vec::new())
            }
            false if f.owner.is_none() && f.sort == Sort::StartDate => {
                let (page, next) = self.reader_page(&p, &t, &f, &paging).await?;
                let (items, mine): (Vec<Campaign>, Vec<Option<TeamMember>>) = page.into_iter().unzip();
                (items, next, mine.into_iter().flatten().collect())
            }
            false => {
                let (all, mine) = self.visible_set(&p, &t, &f).await?;
                let admitted = all.into_iter().filter(|c| f.admits(c)).collect();
                let (items, next) = page_in_memory(admitted, |c| f.sort_key(c), f.descending, &paging)?;
                (items, next, mine)
            }
        };
        let items: Vec<Value> = items
            .iter()
            .map(|c| {
                let on_this: Vec<TeamMember> = mine.iter().filter(|m| m.campaign_id == c.id).cloned().collect();
                render(c, Lens::of_campaign(granted, p.role, p.user_id, &on_this), None)
            })
            .collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: next }, rid))
    }
}
