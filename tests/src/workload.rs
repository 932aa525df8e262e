//! The representative requests whose warm cost the handler benchmark measures
//! (`benches/handlers.rs`) and the cost suite pins: one organization with an admin, a client and
//! a page's worth of campaigns, served by the campaigns and auth handlers in process on the
//! embedded store, with the store calls each request makes counted as production counts them
//! ([`podcastflow_store::calls`]).

use std::sync::atomic::{AtomicBool, Ordering};

use lambda_http::Body;
use lambda_http::http::StatusCode;
use podcastflow_auth::AuthApp;
use podcastflow_campaigns::CampaignsApp;
use podcastflow_clients::ClientsApp;
use podcastflow_domain::{OrgId, UserId};
use podcastflow_identity::Identity;
use podcastflow_identity::testing::{TestWorld, world};
use podcastflow_platform::AppContext;
use podcastflow_platform::testing::TestRequest;
use podcastflow_store::calls::{self, CallCount};
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// A measured route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /campaigns/{id}` as an admin: the campaign with its team.
    GetCampaign,
    /// `GET /campaigns?limit=25` as an admin: a full first page.
    ListCampaigns,
    /// `PUT /campaigns/{id}` as an admin, `If-Match: *`, a changed name.
    PutCampaign,
    /// `POST /campaigns/{id}/transitions` as an admin, back and forth between negotiation and
    /// pending approval.
    Transition,
    /// `POST /auth/login` with the right password (argon2id, m=19 MiB, t=2, on the local provider).
    Login,
}

impl Route {
    /// Every measured route, in table order.
    pub const ALL: [Route; 5] =
        [Route::GetCampaign, Route::ListCampaigns, Route::PutCampaign, Route::Transition, Route::Login];

    /// The route as the table names it.
    pub fn name(self) -> &'static str {
        match self {
            Route::GetCampaign => "GET /campaigns/{id}",
            Route::ListCampaigns => "GET /campaigns?limit=25",
            Route::PutCampaign => "PUT /campaigns/{id}",
            Route::Transition => "POST /campaigns/{id}/transitions",
            Route::Login => "POST /auth/login",
        }
    }

    /// The documented minimum of table calls (docs/architecture.md, "Store calls per request").
    pub fn minimum_calls(self) -> u32 {
        match self {
            // The campaign and its team: one Query of the campaign's partition.
            Route::GetCampaign => 1,
            // One Query of the organization's campaigns index.
            Route::ListCampaigns => 1,
            // Read (campaign and team, one Query), then one conditional write.
            Route::PutCampaign => 2,
            // Read, then one transaction (the campaign and its history entry).
            Route::Transition => 2,
            // One batch read (the e-mail claim and both throttle counters), the organization's
            // status, the membership (an invitation becomes active on first sign-in).
            Route::Login => 3,
        }
    }
}

/// What one request cost.
#[derive(Debug, Clone, Copy)]
pub struct Served {
    /// The answer's status.
    pub status: StatusCode,
    /// The table calls it made.
    pub calls: CallCount,
}

/// One organization ready to serve the measured routes.
pub struct Workload {
    campaigns: CampaignsApp,
    auth: AuthApp,
    org: OrgId,
    admin: UserId,
    campaign: String,
    pending: AtomicBool,
    _world: TestWorld,
}

impl Workload {
    /// An organization with an admin who can sign in, one client and `n` campaigns (the
    /// measured one in negotiation), all created through the handlers.
    pub async fn new(n: usize) -> Self {
        let w = world();
        let (org, admin) = (OrgId::new(), UserId::new());
        w.organization(org, admin, EMAIL, PASSWORD).await;
        w.identity.admin_set_password(&admin.to_string(), PASSWORD).await.expect("permanent password");
        let ctx = AppContext::new(w.table.clone(), b"workload".to_vec());
        let clients = ClientsApp { ctx: ctx.clone() };
        let this = Self {
            campaigns: CampaignsApp { ctx: ctx.clone() },
            auth: AuthApp { ctx, identity: w.identity.clone() },
            org,
            admin,
            campaign: String::new(),
            pending: AtomicBool::new(false),
            _world: w,
        };
        let client = podcastflow_clients::handle(
            &clients,
            this.as_admin("POST", "/clients").body(r#"{"name": "Fizzy Cola", "type": "advertiser"}"#).build(),
        )
        .await
        .expect("client");
        let client_id = id_of(client.body(), "client");
        let mut campaign = String::new();
        for i in 0..n.max(1) {
            let body = json!({"name": format!("Campaign {i:04}"), "clientId": client_id, "startDate": "2027-03-01",
                              "endDate": "2027-03-31", "budget": {"amount": 1_500_000, "currency": "USD"}});
            let r = podcastflow_campaigns::handle(
                &this.campaigns,
                this.as_admin("POST", "/campaigns").body(&body.to_string()).build(),
            )
            .await
            .expect("campaign");
            campaign = id_of(r.body(), "campaign");
        }
        let this = Self { campaign, ..this };
        for to in ["proposal", "negotiation"] {
            let r = this.transition_to(to).await;
            assert_eq!(r.status, StatusCode::OK, "setting up the measured campaign");
        }
        this
    }

    /// Serves one request of `route`, counting its table calls.
    pub async fn serve(&self, route: Route) -> Served {
        match route {
            Route::GetCampaign => self.campaigns(self.as_admin("GET", &format!("/campaigns/{}", self.campaign))).await,
            Route::ListCampaigns => {
                self.campaigns(self.as_admin("GET", "/campaigns").query(json!({"limit": "25"}))).await
            }
            Route::PutCampaign => {
                let name = format!("Renamed {}", ulid::Ulid::new());
                let req = self
                    .as_admin("PUT", &format!("/campaigns/{}", self.campaign))
                    .header("if-match", "*")
                    .body(&json!({ "name": name }).to_string());
                self.campaigns(req).await
            }
            Route::Transition => {
                let pending = self.pending.fetch_xor(true, Ordering::Relaxed);
                self.transition_to(if pending { "negotiation" } else { "pending_approval" }).await
            }
            Route::Login => {
                let req = TestRequest::new("POST", "/auth/login")
                    .header("content-type", "application/json")
                    .body(&json!({"email": EMAIL, "password": PASSWORD}).to_string())
                    .build();
                let (r, calls) = calls::counted(podcastflow_auth::handle(&self.auth, req)).await;
                Served { status: r.expect("login answers").status(), calls }
            }
        }
    }

    async fn transition_to(&self, to: &str) -> Served {
        let req = self
            .as_admin("POST", &format!("/campaigns/{}/transitions", self.campaign))
            .body(&json!({ "to": to }).to_string());
        self.campaigns(req).await
    }

    async fn campaigns(&self, req: TestRequest) -> Served {
        let (r, calls) = calls::counted(podcastflow_campaigns::handle(&self.campaigns, req.build())).await;
        Served { status: r.expect("campaigns answers").status(), calls }
    }

    fn as_admin(&self, method: &str, path: &str) -> TestRequest {
        TestRequest::new(method, path).header("content-type", "application/json").authorizer(json!({
            "userId": self.admin.to_string(), "orgId": self.org.to_string(), "role": "admin", "principalType": "user"
        }))
    }
}

fn id_of(body: &Body, what: &str) -> String {
    let value: Value = match body {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    value["id"].as_str().unwrap_or_else(|| panic!("the new {what} has no id: {value}")).to_owned()
}
