//! The representative requests whose warm cost the handler benchmark measures
//! (`benches/handlers.rs`) and the cost suite pins: one organization with an admin, a client, a
//! page's worth of campaigns and a network of [`SHOWS`] weekly shows with [`WEEKS`] scheduled
//! episodes each, served by the campaigns, inventory and auth handlers in process on the
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
use podcastflow_inventory::InventoryApp;
use podcastflow_platform::AppContext;
use podcastflow_platform::testing::TestRequest;
use podcastflow_store::calls::{self, CallCount};
use serde_json::{Value, json};

/// Shows in the network the inventory routes read.
pub const SHOWS: usize = 10;
/// Weekly episodes of each show (a quarter).
pub const WEEKS: usize = 13;
/// Spots a preview places: most of the quarter's 520 (each episode has 1 pre, 2 mid, 1 post).
pub const PREVIEW_SPOTS: usize = 500;

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
    /// `GET /inventory` as an admin: avails of the 10 shows over the 13 weeks (520 spots).
    Avails,
    /// `POST /campaigns/{id}/holds?preview=true` as an admin: a plan of 500 spots over the 10
    /// shows and 13 weeks, placed and answered, nothing held.
    HoldPreview,
}

impl Route {
    /// Every measured route, in table order.
    pub const ALL: [Route; 7] = [
        Route::GetCampaign,
        Route::ListCampaigns,
        Route::PutCampaign,
        Route::Transition,
        Route::Login,
        Route::Avails,
        Route::HoldPreview,
    ];

    /// The route as the table names it.
    pub fn name(self) -> &'static str {
        match self {
            Route::GetCampaign => "GET /campaigns/{id}",
            Route::ListCampaigns => "GET /campaigns?limit=25",
            Route::PutCampaign => "PUT /campaigns/{id}",
            Route::Transition => "POST /campaigns/{id}/transitions",
            Route::Login => "POST /auth/login",
            Route::Avails => "GET /inventory (10 shows, 13 weeks)",
            Route::HoldPreview => "POST /campaigns/{id}/holds?preview (500 spots)",
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
            // Per show: the show, its episodes by air date, its taken spots by air date.
            Route::Avails => 3 * SHOWS as u32,
            // The campaign with its team, its advertiser, the organization's settings, then per
            // show the show and its inventory (3); no advertiser holds anything yet, so no batch
            // read of their categories.
            Route::HoldPreview => 3 + 3 * SHOWS as u32,
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
    inventory: InventoryApp,
    shows: Vec<String>,
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
            inventory: InventoryApp { ctx: ctx.clone() },
            shows: Vec::new(),
            auth: AuthApp { ctx: ctx.clone(), identity: w.identity.clone() },
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
        let shows = network(&ctx, &this).await;
        let this = Self { campaign, shows, ..this };
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
            Route::Avails => {
                let query = json!({"showIds": self.shows.join(","), "from": FIRST_AIR, "to": LAST_AIR, "limit": "100"});
                let req = self.as_admin("GET", "/inventory").query(query);
                let (r, calls) = calls::counted(podcastflow_inventory::handle(&self.inventory, req.build())).await;
                Served { status: r.expect("inventory answers").status(), calls }
            }
            Route::HoldPreview => {
                let plan = json!({"plan": {"showIds": self.shows, "from": FIRST_AIR, "to": LAST_AIR,
                    "spotsTotal": PREVIEW_SPOTS, "mode": "relaxed"}});
                let req = self
                    .as_admin("POST", &format!("/campaigns/{}/holds", self.campaign))
                    .query(json!({"preview": "true"}))
                    .body(&plan.to_string());
                let (r, calls) = calls::counted(podcastflow_inventory::handle(&self.inventory, req.build())).await;
                Served { status: r.expect("inventory answers").status(), calls }
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

/// The first and last air dates of the network's quarter.
const FIRST_AIR: &str = "2027-03-01";
const LAST_AIR: &str = "2027-05-24";

/// The network: [`SHOWS`] shows with a rate card and slots (1 pre, 2 mid, 1 post), each with
/// [`WEEKS`] weekly episodes scheduled from [`FIRST_AIR`], written through the repositories.
async fn network(ctx: &AppContext, w: &Workload) -> Vec<String> {
    use podcastflow_domain::episode::{Episode, EpisodeStatus};
    use podcastflow_domain::show::{AdConfig, PositionPrices, ReleaseFrequency, Show, ShowStatus, Slots};
    use podcastflow_domain::{Currency, EpisodeId, Money, ShowId, Stamp};
    use podcastflow_store::TenantTable;
    use podcastflow_store::repo::episodes::EpisodeRepo;
    use podcastflow_store::repo::shows::ShowRepo;

    let t = TenantTable::new(ctx.table.clone(), w.org, ctx.cursors.as_ref().clone());
    let first: chrono::NaiveDate = FIRST_AIR.parse().expect("a date");
    let usd = |cents| Some(Money::new(cents, Currency::USD));
    let mut ids = Vec::new();
    for s in 0..SHOWS {
        let show = Show {
            id: ShowId::new(),
            org_id: w.org,
            name: format!("Show {s:02}"),
            description: None,
            category: None,
            artwork: None,
            release_frequency: ReleaseFrequency::Weekly,
            producer_ids: Vec::new(),
            talent_ids: Vec::new(),
            ad_config: AdConfig {
                slots: Some(Slots { pre: 1, mid: 2, post: 1 }),
                cpm: PositionPrices { pre: usd(2_000), mid: usd(2_500), post: usd(1_500) },
                flat_spot_price: usd(40_000),
            },
            average_downloads: Some(20_000),
            feed_hosts: vec![],
            revenue_share: None,
            status: ShowStatus::Active,
            stamp: Stamp::created(w.admin, chrono::Utc::now()),
        };
        ShowRepo::new(&t).create(&show).await.expect("show");
        for week in 0..WEEKS {
            let air = first + chrono::Duration::weeks(week as i64);
            let e = Episode {
                id: EpisodeId::new(),
                org_id: w.org,
                show_id: show.id,
                title: format!("Episode {week}"),
                number: Some(week as u32 + 1),
                air_date: Some(air),
                recording_date: None,
                duration_seconds: Some(2_400),
                talent_ids: Vec::new(),
                status: EpisodeStatus::Scheduled,
                published_at: None,
                enclosure_urls: vec![],
                file_size_bytes: None,
                header_bytes: None,
                ad_markers: vec![],
                stamp: Stamp::created(w.admin, chrono::Utc::now()),
            };
            EpisodeRepo::new(&t).create(&e).await.expect("episode");
        }
        ids.push(show.id.to_string());
    }
    ids
}

fn id_of(body: &Body, what: &str) -> String {
    let value: Value = match body {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    value["id"].as_str().unwrap_or_else(|| panic!("the new {what} has no id: {value}")).to_owned()
}
