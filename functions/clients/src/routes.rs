//! The routes of `clients`.

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::client::{Billing, Client, ClientStatus, ClientType, Contact};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::permissions::{Action, Resource, Scope, authorize, scope};
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::{ClientId, Principal, Role, Stamp, UserId, ValidationErrors};
use podcastflow_platform::visibility::{Facts, Needs};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, RoutePath, allow, created, idempotency, if_match, json, json_body,
    json_with_etag, merge, no_content, not_found, paging, principal, query_as, query_param, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::EntityPage;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::{ClientFilter, ClientRepo};
use podcastflow_store::repo::users::UserRepo;
use serde::Deserialize;
use serde_json::Value;

use crate::ClientsApp;

/// The fields a PUT may change.
const CHANGEABLE: [&str; 9] = [
    "name",
    "type",
    "agencyId",
    "industry",
    "competitiveCategory",
    "contacts",
    "billing",
    "assignedSellerIds",
    "requiresReadApproval",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewClient {
    name: String,
    #[serde(rename = "type")]
    kind: ClientType,
    #[serde(default)]
    agency_id: Option<ClientId>,
    #[serde(default)]
    industry: Option<String>,
    #[serde(default)]
    competitive_category: Option<String>,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    billing: Option<Billing>,
    #[serde(default)]
    assigned_seller_ids: Vec<UserId>,
    #[serde(default)]
    requires_read_approval: bool,
}

impl ClientsApp {
    /// A client of the principal's organization that they may read, or 404.
    async fn readable(&self, p: &Principal, t: &TenantTable, id: &str, action: Action) -> Result<Client, Failure> {
        let entity = EntityRef { kind: EntityKind::Client, id: id.to_owned() };
        let facts = Facts::load(t, Needs::of(p.role), &entity).await?.ok_or_else(not_found)?;
        allow(p, action, &facts.resource())?;
        match facts {
            Facts::Client(c) => Ok(c),
            _ => Err(not_found().into()),
        }
    }

    /// Agencies must be agency clients of the organization; assigned sellers its active sellers.
    async fn check_links(&self, t: &TenantTable, c: &Client) -> Result<(), Failure> {
        let mut v = ValidationErrors::new();
        if let Some(a) = c.agency_id {
            match ClientRepo::new(t).get(&a).await? {
                Some(agency) if agency.kind == ClientType::Agency => {}
                _ => v.add("agencyId", "unknown", "no agency client with this id in this organization"),
            }
        }
        let table = self.ctx.org_table(&c.org_id);
        let users = UserRepo::new(table.as_ref(), &self.ctx.cursors);
        let sellers = users.active_with_role(&c.org_id, &c.assigned_seller_ids, &[Role::Seller]).await?;
        for (i, s) in c.assigned_seller_ids.iter().enumerate() {
            if !sellers.contains(s) {
                v.add(format!("assignedSellerIds[{i}]"), "unknown", "not an active seller of this organization");
            }
        }
        v.into_result().map_err(|e| Problem::validation(e).into())
    }

    /// 409 while campaigns name the client (as advertiser or agency) or advertisers name it as
    /// their agency: those links were checked against its type when they were made.
    async fn type_may_change(&self, t: &TenantTable, c: &Client) -> Result<(), Failure> {
        let referenced = CampaignRepo::new(t).client_is_referenced(&c.id).await?
            || (c.kind == ClientType::Agency && ClientRepo::new(t).has_advertisers(&c.id).await?);
        if referenced {
            return Err(Problem::new("client-type-in-use", StatusCode::CONFLICT, "Client type in use")
                .detail("campaigns or advertisers depend on this client's type; it cannot change while they do")
                .into());
        }
        Ok(())
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let paging = paging(req)?;
        let status = query_as::<ClientStatus>(req, "status", "active or archived")?.unwrap_or(ClientStatus::Active);
        let kind = query_as::<ClientType>(req, "type", "advertiser or agency")?;
        let seller = match query_param(req, "assignedSeller") {
            Some(s) => Some(s.parse::<UserId>().map_err(|_| Problem::field("assignedSeller", "invalid", "a user id"))?),
            None => None,
        };
        let prefix = query_param(req, "q");
        let t = self.ctx.tenant(&p, req);
        let repo = ClientRepo::new(&t);
        let cursor = paging.cursor.as_deref();
        let page: EntityPage<Client> = match scope(Action::ClientRead, p.role) {
            Scope::None => {
                return Err(Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
                    .detail("your role does not read clients")
                    .into());
            }
            Scope::All(_) => match seller {
                Some(s) => repo.list_assigned(&s, cursor, paging.limit).await?,
                None => {
                    let filter = ClientFilter { status: Some(status), name_prefix: prefix.clone() };
                    repo.list(&filter, cursor, paging.limit).await?
                }
            },
            // The related set is the role's relationship (each client still judged below): a
            // client user's own client, a seller's assigned clients; for any other, none.
            Scope::Related => match p.role {
                Role::Client => {
                    let own = match p.client_id {
                        Some(c) => repo.get(&c).await?.into_iter().collect(),
                        None => Vec::new(),
                    };
                    EntityPage { items: own, cursor: None }
                }
                Role::Seller => repo.list_assigned(&p.user_id, cursor, paging.limit).await?,
                _ => EntityPage { items: Vec::new(), cursor: None },
            },
        };
        // Filters the chosen Query could not apply narrow the page (it may hold fewer items).
        let prefix = prefix.map(|q| q.trim().to_lowercase());
        let items: Vec<Client> = page
            .items
            .into_iter()
            .filter(|c| c.status == status)
            .filter(|c| kind.is_none_or(|k| c.kind == k))
            .filter(|c| prefix.as_deref().is_none_or(|q| c.name.trim().to_lowercase().starts_with(q)))
            .filter(|c| {
                let resource = Resource::Client { org: c.org_id, id: c.id, assigned_sellers: &c.assigned_seller_ids };
                authorize(&p, Action::ClientRead, &resource).is_ok()
            })
            .collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid))
    }

    async fn create(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::ClientCreate, &Resource::Org(p.org_id))?;
        idempotency::once(self.ctx.org_table(&p.org_id).as_ref(), req, &p, || self.create_once(req, &p, rid)).await
    }

    async fn create_once(&self, req: &Request, p: &Principal, rid: &str) -> Outcome {
        let body: NewClient = json_body(req)?;
        let mut sellers = body.assigned_seller_ids;
        if p.role == Role::Seller && !sellers.contains(&p.user_id) {
            sellers.push(p.user_id);
        }
        let c = Client {
            id: ClientId::new(),
            org_id: p.org_id,
            name: body.name.trim().to_owned(),
            kind: body.kind,
            agency_id: body.agency_id,
            industry: body.industry,
            competitive_category: body.competitive_category,
            contacts: body.contacts,
            billing: body.billing.unwrap_or_default(),
            assigned_seller_ids: sellers,
            requires_read_approval: body.requires_read_approval,
            status: ClientStatus::Active,
            stamp: Stamp::created(p.user_id, Utc::now()),
        };
        c.validate().map_err(Problem::validation)?;
        let t = self.ctx.tenant(p, req);
        self.check_links(&t, &c).await?;
        ClientRepo::new(&t).create(&c).await?;
        Ok(created(&c, Some(c.stamp.version), &format!("/clients/{}", c.id), rid))
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let c = self.readable(&p, &self.ctx.tenant(&p, req), id, Action::ClientRead).await?;
        Ok(json_with_etag(StatusCode::OK, &c, c.stamp.version, rid))
    }

    async fn update(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let c = self.readable(&p, &t, id, Action::ClientUpdate).await?;
        let expected = if_match(req)?.check(c.stamp.version)?;
        let patch: Value = json_body(req)?;
        let mut next: Client = merge(&c, patch, &CHANGEABLE)?;
        next.validate().map_err(Problem::validation)?;
        if next.kind != c.kind {
            self.type_may_change(&t, &c).await?;
        }
        if next.agency_id != c.agency_id || next.assigned_seller_ids != c.assigned_seller_ids {
            self.check_links(&t, &next).await?;
        }
        next.stamp = c.stamp.touched(p.user_id, Utc::now());
        next.stamp.version = expected + 1;
        ClientRepo::new(&t).update(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &next, next.stamp.version, rid))
    }

    async fn archive(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let c = self.readable(&p, &t, id, Action::ClientArchive).await?;
        let expected = if_match(req)?.check(c.stamp.version)?;
        if c.status == ClientStatus::Archived {
            return Ok(no_content(rid));
        }
        if CampaignRepo::new(&t).client_has_committed(&c.id).await? {
            return Err(Problem::new(
                "client-has-committed-campaigns",
                StatusCode::CONFLICT,
                "Client has committed campaigns",
            )
            .detail("a client with campaigns that are won, live or paused cannot be archived")
            .into());
        }
        let mut next = c.clone();
        next.status = ClientStatus::Archived;
        next.stamp = c.stamp.touched(p.user_id, Utc::now());
        next.stamp.version = expected + 1;
        ClientRepo::new(&t).update(&next, expected).await?;
        Ok(no_content(rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &ClientsApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let route = RoutePath::of(req);
    match (req.method(), route.segments().as_slice()) {
        (&Method::GET, ["clients"]) => app.list(req, &rid).await,
        (&Method::POST, ["clients"]) => app.create(req, &rid).await,
        (&Method::GET, ["clients", id]) => app.get(req, id, &rid).await,
        (&Method::PUT, ["clients", id]) => app.update(req, id, &rid).await,
        (&Method::DELETE, ["clients", id]) => app.archive(req, id, &rid).await,
        (m, _) => Err(route.not_found(m)),
    }
}
