//! What each list and read route costs, as each role, on an organization of a given size
//! ([`crate::large_org`]): the table calls and the items they read (counted by
//! [`CountingTable`]), served in process by the functions' handlers on the embedded store as the
//! cost suite and the `large_org` example run them.

use std::sync::Arc;

use lambda_http::Body;
use lambda_http::{Request, Response};
use podcastflow_domain::{ClientId, OrgId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_platform::testing::TestRequest;
use serde_json::json;

use crate::counting::CountingTable;
use crate::large_org::LargeOrg;

/// The function that serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `functions/campaigns`.
    Campaigns,
    /// `functions/clients`.
    Clients,
    /// `functions/shows`.
    Shows,
    /// `functions/episodes`.
    Episodes,
    /// `functions/activities`.
    Activities,
}

/// One measured request: a route as one role asks it.
#[derive(Debug, Clone)]
pub struct Case {
    /// The route as the table names it.
    pub route: &'static str,
    /// The role asking.
    pub role: &'static str,
    /// Who serves it.
    pub function: Function,
    /// The path and query asked.
    pub path: String,
    user: UserId,
    client: Option<ClientId>,
}

/// Every list and read route the generated organization has data for, as each role that reads it.
pub fn cases(o: &LargeOrg) -> Vec<Case> {
    use Function::*;
    let (campaign, client, show, episode) = (o.campaigns[0], o.clients[0], o.shows[0], o.first_episodes[0]);
    let (seller, producer, talent) = (o.sellers[0], o.producers[0], o.talent[0]);
    let case = |route, role, function, path: String, user| Case { route, role, function, path, user, client: None };
    vec![
        case("GET /campaigns", "admin", Campaigns, "/campaigns?limit=25".into(), o.admin),
        case("GET /campaigns", "seller", Campaigns, "/campaigns?limit=25".into(), seller),
        case("GET /campaigns", "producer", Campaigns, "/campaigns?limit=25".into(), producer),
        case("GET /campaigns", "talent", Campaigns, "/campaigns?limit=25".into(), talent),
        Case {
            client: Some(client),
            ..case("GET /campaigns", "client", Campaigns, "/campaigns?limit=25".into(), o.client_user)
        },
        case("GET /campaigns/{id}", "admin", Campaigns, format!("/campaigns/{campaign}"), o.admin),
        case("GET /campaigns/{id}", "seller", Campaigns, format!("/campaigns/{campaign}"), seller),
        case("GET /campaigns/{id}/history", "admin", Campaigns, format!("/campaigns/{campaign}/history"), o.admin),
        case("GET /clients", "admin", Clients, "/clients?limit=25".into(), o.admin),
        case("GET /clients", "seller", Clients, "/clients?limit=25".into(), seller),
        Case { client: Some(client), ..case("GET /clients", "client", Clients, "/clients".into(), o.client_user) },
        case("GET /clients/{id}", "admin", Clients, format!("/clients/{client}"), o.admin),
        case("GET /clients/{id}", "seller", Clients, format!("/clients/{client}"), seller),
        case("GET /shows", "admin", Shows, "/shows?limit=25".into(), o.admin),
        case("GET /shows", "producer", Shows, "/shows?limit=25".into(), producer),
        case("GET /shows", "talent", Shows, "/shows?limit=25".into(), talent),
        case("GET /shows/{id}", "admin", Shows, format!("/shows/{show}"), o.admin),
        case("GET /episodes", "admin", Episodes, "/episodes?limit=25".into(), o.admin),
        case("GET /episodes", "producer", Episodes, "/episodes?limit=25".into(), producer),
        case("GET /episodes", "talent", Episodes, "/episodes?limit=25".into(), talent),
        case("GET /episodes?showId=", "admin", Episodes, format!("/episodes?showId={show}&limit=25"), o.admin),
        case("GET /episodes/{id}", "admin", Episodes, format!("/episodes/{episode}"), o.admin),
        case("GET /activities", "admin", Activities, "/activities?limit=25".into(), o.admin),
        case(
            "GET /activities?entityType=campaign&entityId=",
            "admin",
            Activities,
            format!("/activities?entityType=campaign&entityId={campaign}&limit=25"),
            o.admin,
        ),
        case(
            "GET /activities?entityType=campaign&entityId=",
            "seller",
            Activities,
            format!("/activities?entityType=campaign&entityId={campaign}&limit=25"),
            seller,
        ),
        case(
            "GET /activities?actorId=",
            "seller",
            Activities,
            format!("/activities?actorId={seller}&limit=25"),
            seller,
        ),
    ]
}

/// A GET as the API Gateway authorizer would pass it on: the principal in the request context.
pub fn request(path: &str, user: UserId, org: OrgId, role: &str, client: Option<ClientId>) -> Request {
    let mut ctx = json!({"userId": user.to_string(), "orgId": org.to_string(), "role": role, "principalType": "user"});
    if let Some(c) = client {
        ctx["clientId"] = json!(c.to_string());
    }
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let q: serde_json::Map<String, serde_json::Value> =
        form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), json!(v.into_owned()))).collect();
    TestRequest::new("GET", path).query(if q.is_empty() { json!(null) } else { json!(q) }).authorizer(ctx).build()
}

/// What one request cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Table calls.
    pub calls: usize,
    /// Items those calls read.
    pub items: usize,
}

/// The functions that serve the cases, on one counted table.
pub struct Apps {
    counting: Arc<CountingTable>,
    campaigns: podcastflow_campaigns::CampaignsApp,
    clients: podcastflow_clients::ClientsApp,
    shows: podcastflow_shows::ShowsApp,
    episodes: podcastflow_episodes::EpisodesApp,
    activities: podcastflow_activities::ActivitiesApp,
}

impl Apps {
    /// The functions on `counting`.
    pub fn new(counting: Arc<CountingTable>) -> Self {
        let ctx = AppContext::new(counting.clone(), b"route costs".to_vec());
        Self {
            counting,
            campaigns: podcastflow_campaigns::CampaignsApp { ctx: ctx.clone() },
            clients: podcastflow_clients::ClientsApp { ctx: ctx.clone() },
            shows: podcastflow_shows::ShowsApp { ctx: ctx.clone() },
            episodes: podcastflow_episodes::EpisodesApp { ctx: ctx.clone() },
            activities: podcastflow_activities::ActivitiesApp { ctx },
        }
    }

    /// Serves one case on `o`: the answer and what it cost.
    pub async fn serve(&self, o: &LargeOrg, case: &Case) -> (Response<Body>, Cost) {
        let req = request(&case.path, case.user, o.org, case.role, case.client);
        self.counting.take();
        let answer = match case.function {
            Function::Campaigns => podcastflow_campaigns::handle(&self.campaigns, req).await,
            Function::Clients => podcastflow_clients::handle(&self.clients, req).await,
            Function::Shows => podcastflow_shows::handle(&self.shows, req).await,
            Function::Episodes => podcastflow_episodes::handle(&self.episodes, req).await,
            Function::Activities => podcastflow_activities::handle(&self.activities, req).await,
        };
        let (calls, items) = self.counting.take_with_items();
        let answer = answer.unwrap_or_else(|e| panic!("{} as {}: {e}", case.route, case.role));
        (answer, Cost { calls, items })
    }
}
