//! The role matrix of docs/domain.md for every route so far, driven through the local stack with a
//! user of every role and an admin of another organization: allowed, 403, or 404 for what the
//! caller may not see. Plus the guardrails on users and API keys from the attacker's side.

use podcastflow_tests::client::{Answer, Api};
use podcastflow_tests::org::{self, CHOSEN, TestOrg};
use podcastflow_tests::stack::TestStack;
use serde_json::{Value, json};

/// The callers, in the order of each expectation row.
const WHO: [&str; 7] = ["master", "admin", "seller", "producer", "talent", "client", "outsider"];

struct World {
    s: TestStack,
    a: TestOrg,
    b: TestOrg,
    master: Api,
    /// A host read of A, made once (every route that reads it leaves it as it is).
    read: tokio::sync::OnceCell<String>,
    /// A webhook endpoint of A, and its test ping's delivery.
    webhook: tokio::sync::OnceCell<String>,
    ping: tokio::sync::OnceCell<String>,
    /// An invoice of A (a booked order's December, drafted by the billing job), and its order.
    invoice: tokio::sync::OnceCell<(String, String)>,
}

impl World {
    async fn new() -> Self {
        let s = TestStack::with_authorizer_ttl(1).await;
        let root = s.master().await;
        let a = org::create(&s, &root).await;
        let b = org::create(&s, &root).await;
        // Master acts in organization A, chosen explicitly.
        let master = root.with_header("x-org-id", &a.id);
        Self {
            s,
            a,
            b,
            master,
            read: Default::default(),
            webhook: Default::default(),
            ping: Default::default(),
            invoice: Default::default(),
        }
    }

    fn caller(&self, who: &str) -> &Api {
        match who {
            "master" => &self.master,
            "admin" => &self.a.admin.api,
            "seller" => &self.a.seller.api,
            "producer" => &self.a.producer.api,
            "talent" => &self.a.talent.api,
            "client" => &self.a.client.api,
            _ => &self.b.admin.api,
        }
    }

    /// A fresh seller of A to act on (so one caller's change does not affect the next).
    async fn target(&self) -> String {
        org::invite(&self.s, &self.a.admin.api, "seller", json!({})).await.id
    }

    /// A fresh client of A, assigned to A's seller.
    async fn client(&self) -> String {
        let body = json!({"name": unique("client"), "type": "advertiser", "assignedSellerIds": [self.a.seller.id]});
        let c = self.a.admin.api.post("/clients", body).await;
        c.body["id"].as_str().unwrap().to_owned()
    }

    /// A fresh campaign of A for A's client, owned by A's seller, with A's talent on its team.
    async fn campaign(&self) -> String {
        let body = json!({"name": unique("campaign"), "clientId": self.a.client_id, "ownerId": self.a.seller.id});
        let c = self.a.admin.api.post("/campaigns", body).await;
        assert_eq!(c.status, 201, "{:?}", c.body);
        let id = c.body["id"].as_str().unwrap().to_owned();
        let member = json!({"userId": self.a.talent.id, "role": "talent"});
        let _ = self.a.admin.api.post(&format!("/campaigns/{id}/team"), member).await;
        id
    }

    /// A fresh show of A, produced by A's producer and hosted by A's talent.
    async fn show(&self) -> String {
        let body = json!({"name": unique("show"), "releaseFrequency": "weekly",
            "producerIds": [self.a.producer.id], "talentIds": [self.a.talent.id]});
        let c = self.a.admin.api.post("/shows", body).await;
        assert_eq!(c.status, 201, "{:?}", c.body);
        c.body["id"].as_str().unwrap().to_owned()
    }

    /// A fresh draft episode of a fresh show of A, with A's talent on it.
    async fn episode(&self) -> String {
        let body = json!({"showId": self.show().await, "title": unique("episode"), "talentIds": [self.a.talent.id]});
        let e = self.a.admin.api.post("/episodes", body).await;
        assert_eq!(e.status, 201, "{:?}", e.body);
        e.body["id"].as_str().unwrap().to_owned()
    }

    /// A fresh client-side activity of A, about a fresh campaign of A.
    async fn activity(&self) -> String {
        let entity = json!({"type": "campaign", "id": self.campaign().await});
        let a = self.a.admin.api.post("/activities", json!({"action": "client.viewed", "entity": entity})).await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        a.body["id"].as_str().unwrap().to_owned()
    }

    /// A fresh won campaign of A (as [`World::campaign`]) holding the spot of a fresh scheduled
    /// episode of a show with a rate card.
    async fn won_and_held(&self) -> String {
        let admin = &self.a.admin.api;
        let show = json!({"name": unique("show"), "releaseFrequency": "weekly", "producerIds": [self.a.producer.id],
            "adConfig": {"slots": {"pre": 1, "mid": 0, "post": 0}, "flatSpotPrice": {"amount": 10000, "currency": "USD"}}});
        let show = admin.post("/shows", show).await.body["id"].as_str().unwrap().to_owned();
        let e = admin.post("/episodes", json!({"showId": show, "title": unique("e"), "airDate": "2027-05-03"})).await;
        let e = e.body["id"].as_str().unwrap().to_owned();
        assert_eq!(admin.post(&format!("/episodes/{e}/transitions"), json!({"to": "scheduled"})).await.status, 200);
        let c = self.campaign().await;
        let ready = json!({"startDate": "2027-05-01", "endDate": "2027-05-31", "budget": {"amount": 100000, "currency": "USD"}});
        assert_eq!(admin.send("PUT", &format!("/campaigns/{c}"), Some(ready), Some("*")).await.status, 200);
        for to in ["proposal", "negotiation", "pending_approval", "won"] {
            assert_eq!(admin.post(&format!("/campaigns/{c}/transitions"), json!({"to": to})).await.status, 200, "{to}");
        }
        let held =
            admin.post(&format!("/campaigns/{c}/holds"), json!({"spots": [{"episodeId": e, "spot": "pre-0"}]})).await;
        assert_eq!(held.status, 201, "{:?}", held.body);
        c
    }

    /// A fresh scheduled episode of a fresh show of A (half an hour: one spot of each position),
    /// with A's talent on the show and A's producer producing it.
    async fn scheduled_episode(&self) -> String {
        let admin = &self.a.admin.api;
        let body = json!({"showId": self.show().await, "title": unique("e"), "airDate": "2027-05-03", "durationSeconds": 1800});
        let e = admin.post("/episodes", body).await.body["id"].as_str().unwrap().to_owned();
        assert_eq!(admin.post(&format!("/episodes/{e}/transitions"), json!({"to": "scheduled"})).await.status, 200);
        e
    }

    /// A fresh campaign of A (as [`World::campaign`]) holding a fresh episode's pre-roll: the
    /// campaign's id and the hold's.
    async fn held(&self) -> (String, String) {
        let (c, e) = (self.campaign().await, self.scheduled_episode().await);
        let spots = json!({"spots": [{"episodeId": e, "spot": "pre-0"}]});
        let h = self.a.admin.api.post(&format!("/campaigns/{c}/holds"), spots).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
        (c, h.body["id"].as_str().unwrap().to_owned())
    }

    /// A fresh recount of A's delivery.
    async fn recount(&self) -> String {
        let r = self.a.admin.api.post("/delivery/recounts", json!({})).await;
        assert_eq!(r.status, 202, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// A webhook endpoint of A (a closed loopback port: its attempts fail at once), made once.
    async fn webhook(&self) -> String {
        self.webhook.get_or_init(|| async { self.fresh_webhook().await }).await.clone()
    }

    /// A's invoice and its order, made once.
    async fn invoice(&self) -> (String, String) {
        self.invoice.get_or_init(|| super::billing::drafted_invoice(&self.s, &self.a)).await.clone()
    }

    /// A fresh webhook endpoint of A.
    async fn fresh_webhook(&self) -> String {
        let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["client.created"]});
        let r = self.a.admin.api.post("/webhooks", body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// A delivery of A's webhook endpoint (its test ping), made once.
    async fn webhook_delivery(&self) -> (String, String) {
        let w = self.webhook().await;
        let id = self
            .ping
            .get_or_init(|| async {
                let r = self.a.admin.api.post(&format!("/webhooks/{w}/test"), json!({})).await;
                assert_eq!(r.status, 200, "{:?}", r.body);
                r.body["id"].as_str().unwrap().to_owned()
            })
            .await
            .clone();
        (w, id)
    }

    /// A fresh draft order of A, of a fresh won campaign's hold.
    async fn order(&self) -> String {
        let o = self.a.admin.api.post("/orders", json!({"campaignId": self.won_and_held().await})).await;
        assert_eq!(o.status, 201, "{:?}", o.body);
        o.body["id"].as_str().unwrap().to_owned()
    }

    /// A host read of A: a won campaign's hold ordered and booked, the read made by the change
    /// stream (unassigned: its episode has no talent).
    async fn read(&self) -> String {
        self.read
            .get_or_init(|| async {
                let admin = &self.a.admin.api;
                let path = format!("/orders/{}/transitions", self.order().await);
                for to in ["pending_approval", "approved", "booked"] {
                    assert_eq!(admin.post(&path, json!({"to": to})).await.status, 200, "{to}");
                }
                let order = path.trim_end_matches("/transitions").to_owned();
                let c = admin.get(&order).await.body["campaignId"].as_str().unwrap().to_owned();
                podcastflow_tests::wait::until_async(std::time::Duration::from_secs(20), "the booked read", || async {
                    let page = admin.get(&format!("/ad-reads?campaignId={c}")).await;
                    page.body["items"][0]["id"].as_str().map(str::to_owned)
                })
                .await
            })
            .await
            .clone()
    }

    /// A fresh API key of A.
    async fn key(&self) -> String {
        let k = self.a.admin.api.post("/api-keys", json!({"name": "k", "role": "seller"})).await;
        k.body["apiKey"]["id"].as_str().unwrap().to_owned()
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

fn check(route: &str, who: &str, got: &Answer, expected: u16) {
    assert_eq!(got.status.as_u16(), expected, "{route} as {who}: {:?}", got.body);
    if expected >= 400 {
        assert_eq!(got.headers["content-type"], "application/problem+json", "{route} as {who}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_with_every_role_matches_the_permission_table() {
    let w = World::new().await;
    let a = w.a.id.clone();
    let seller = w.a.seller.id.clone();
    let rows: [(&str, [u16; 7]); 111] = [
        ("GET /organizations", [200, 403, 403, 403, 403, 403, 403]),
        ("POST /organizations", [201, 403, 403, 403, 403, 403, 403]),
        ("PUT /organizations/{a}", [200, 403, 403, 403, 403, 403, 404]),
        ("GET /organization", [200, 200, 200, 200, 200, 200, 200]),
        ("PUT /organization", [200, 200, 403, 403, 403, 403, 200]),
        ("GET /users", [200, 200, 200, 200, 200, 403, 200]),
        ("GET /users/{seller}", [200, 200, 200, 200, 200, 404, 404]),
        ("POST /users", [201, 201, 403, 403, 403, 403, 201]),
        ("PUT /users/{target}", [200, 200, 403, 403, 403, 404, 404]),
        ("DELETE /users/{target}", [204, 204, 403, 403, 403, 404, 404]),
        ("GET /users/me/preferences", [200, 200, 200, 200, 200, 200, 200]),
        ("PUT /users/me/preferences", [200, 200, 200, 200, 200, 200, 200]),
        ("POST /api-keys", [201, 201, 403, 403, 403, 403, 201]),
        ("GET /api-keys", [200, 200, 403, 403, 403, 403, 200]),
        ("DELETE /api-keys/{key}", [204, 204, 403, 403, 403, 403, 404]),
        ("GET /clients", [200, 200, 200, 403, 403, 200, 200]),
        ("POST /clients", [201, 201, 201, 403, 403, 403, 201]),
        ("GET /clients/{client}", [200, 200, 200, 404, 404, 404, 404]),
        ("PUT /clients/{client}", [200, 200, 200, 404, 404, 404, 404]),
        ("DELETE /clients/{client}", [204, 204, 403, 404, 404, 404, 404]),
        ("GET /campaigns", [200, 200, 200, 200, 200, 200, 200]),
        ("POST /campaigns", [201, 201, 201, 403, 403, 403, 400]),
        ("GET /campaigns/{campaign}", [200, 200, 200, 404, 200, 200, 404]),
        ("PUT /campaigns/{campaign}", [200, 200, 200, 404, 403, 403, 404]),
        ("DELETE /campaigns/{campaign}", [204, 204, 204, 404, 403, 403, 404]),
        ("POST /campaigns/{campaign}/transitions", [200, 200, 200, 404, 403, 403, 404]),
        ("GET /campaigns/{campaign}/history", [200, 200, 200, 404, 200, 200, 404]),
        ("POST /campaigns/{campaign}/team", [201, 201, 201, 404, 403, 403, 404]),
        ("PUT /campaigns/{campaign}/team/{talent}", [200, 200, 200, 404, 403, 403, 404]),
        ("DELETE /campaigns/{campaign}/team/{talent}", [204, 204, 204, 404, 403, 403, 404]),
        ("GET /shows", [200, 200, 200, 200, 200, 200, 200]),
        ("POST /shows", [201, 201, 403, 201, 403, 403, 201]),
        ("GET /shows/{show}", [200, 200, 200, 200, 200, 404, 404]),
        ("PUT /shows/{show}", [200, 200, 403, 200, 403, 404, 404]),
        ("DELETE /shows/{show}", [204, 204, 403, 403, 403, 404, 404]),
        ("PUT /shows/{show}/assignments", [200, 200, 403, 200, 403, 404, 404]),
        ("GET /episodes", [200, 200, 200, 200, 200, 403, 200]),
        ("POST /episodes", [201, 201, 403, 201, 403, 403, 400]),
        ("GET /episodes/{episode}", [200, 200, 200, 200, 200, 404, 404]),
        ("PUT /episodes/{episode}", [200, 200, 403, 200, 403, 404, 404]),
        ("DELETE /episodes/{episode}", [204, 204, 403, 204, 403, 404, 404]),
        ("POST /episodes/{episode}/transitions", [200, 200, 403, 200, 403, 404, 404]),
        ("GET /talent/{talent}/availability", [200, 200, 200, 200, 200, 404, 404]),
        ("PUT /talent/{talent}/availability", [200, 200, 403, 403, 200, 404, 404]),
        ("GET /talent/{talent}/schedule", [200, 200, 200, 200, 200, 404, 404]),
        ("GET /activities", [200, 200, 403, 403, 403, 403, 200]),
        ("POST /activities", [201, 201, 201, 404, 201, 403, 404]),
        ("GET /activities/{activity}", [200, 200, 200, 404, 200, 404, 404]),
        ("GET /notifications", [200, 200, 200, 200, 200, 200, 200]),
        ("GET /notifications/unread-count", [200, 200, 200, 200, 200, 200, 200]),
        ("POST /notifications/{someone's}/read", [404, 404, 404, 404, 404, 404, 404]),
        ("POST /notifications/batch-read", [200, 200, 200, 200, 200, 200, 200]),
        ("GET /notifications/preferences", [200, 200, 200, 200, 200, 200, 200]),
        ("PUT /notifications/preferences", [200, 200, 200, 200, 200, 200, 200]),
        ("GET /backups", [200, 200, 403, 403, 403, 403, 200]),
        ("POST /backups", [202, 202, 403, 403, 403, 403, 202]),
        ("GET /backups/schedule", [200, 200, 403, 403, 403, 403, 200]),
        ("GET /inventory", [200, 200, 200, 200, 403, 403, 404]),
        ("GET /shows/{show}/sell-through", [200, 200, 200, 200, 403, 403, 404]),
        ("POST /campaigns/{campaign}/holds", [201, 201, 201, 404, 403, 403, 404]),
        ("GET /campaigns/{campaign}/holds", [200, 200, 200, 404, 403, 403, 404]),
        ("POST /campaigns/{campaign}/holds/{hold}/extend", [200, 200, 200, 404, 403, 403, 404]),
        ("DELETE /campaigns/{campaign}/holds/{hold}", [204, 204, 204, 404, 403, 403, 404]),
        ("POST /episodes/{episode}/spots/{spot}/block", [200, 200, 403, 200, 403, 404, 404]),
        ("DELETE /episodes/{episode}/spots/{spot}/block", [204, 204, 403, 204, 403, 404, 404]),
        ("GET /orders", [200, 200, 200, 403, 403, 200, 200]),
        ("POST /orders", [201, 201, 201, 404, 404, 403, 404]),
        ("GET /orders/{order}", [200, 200, 200, 404, 404, 200, 404]),
        ("PUT /orders/{order}", [200, 200, 200, 404, 404, 403, 404]),
        ("POST /orders/{order}/transitions", [200, 200, 200, 404, 404, 403, 404]),
        ("POST /campaigns/{campaign}/briefs", [201, 201, 201, 404, 403, 403, 404]),
        ("GET /campaigns/{campaign}/briefs", [200, 200, 200, 404, 200, 200, 404]),
        ("GET /ad-reads/{read}", [200, 200, 200, 200, 404, 404, 404]),
        ("GET /ad-reads/{read}/comments", [200, 200, 200, 200, 404, 404, 404]),
        ("POST /ad-reads/{read}/transitions", [409, 409, 409, 403, 404, 404, 404]),
        ("POST /ad-reads/{read}/submissions", [403, 403, 403, 403, 404, 404, 404]),
        ("GET /campaigns/{campaign}/delivery", [200, 200, 200, 404, 403, 200, 404]),
        ("GET /orders/{order}/delivery", [200, 200, 200, 404, 404, 200, 404]),
        ("GET /shows/{show}/analytics", [200, 200, 200, 200, 403, 404, 404]),
        ("GET /episodes/{episode}/analytics", [200, 200, 200, 200, 403, 404, 404]),
        ("GET /delivery/methodology", [200, 200, 200, 200, 200, 200, 200]),
        ("POST /delivery/recounts", [202, 202, 403, 403, 403, 403, 202]),
        ("GET /delivery/recounts/{recount}", [200, 200, 403, 403, 403, 403, 404]),
        ("GET /webhooks", [200, 200, 403, 403, 403, 403, 200]),
        ("POST /webhooks", [201, 201, 403, 403, 403, 403, 201]),
        ("GET /webhooks/{webhook}", [200, 200, 403, 403, 403, 403, 404]),
        ("PUT /webhooks/{webhook}", [200, 200, 403, 403, 403, 403, 404]),
        ("DELETE /webhooks/{webhook}", [204, 204, 403, 403, 403, 403, 404]),
        ("POST /webhooks/{webhook}/rotate-secret", [200, 200, 403, 403, 403, 403, 404]),
        ("POST /webhooks/{webhook}/test", [200, 200, 403, 403, 403, 403, 404]),
        ("POST /webhooks/{webhook}/replay", [202, 202, 403, 403, 403, 403, 404]),
        ("GET /webhooks/{webhook}/deliveries", [200, 200, 403, 403, 403, 403, 404]),
        ("GET /webhooks/{webhook}/deliveries/{delivery}", [200, 200, 403, 403, 403, 403, 404]),
        ("POST /webhooks/{webhook}/deliveries/{delivery}/redeliver", [200, 200, 403, 403, 403, 403, 404]),
        ("GET /invoices", [200, 200, 200, 403, 403, 200, 200]),
        ("POST /invoices", [409, 409, 403, 403, 403, 403, 404]),
        ("GET /invoices/{invoice}", [200, 200, 200, 404, 404, 200, 404]),
        ("PUT /invoices/{invoice}", [200, 200, 403, 404, 404, 403, 404]),
        ("POST /invoices/{invoice}/issue", [200, 409, 403, 404, 404, 403, 404]),
        ("GET /invoices/{invoice}/document", [200, 200, 200, 404, 404, 200, 404]),
        ("POST /invoices/{invoice}/payments", [201, 201, 403, 404, 404, 403, 404]),
        ("POST /invoices/{invoice}/credit-notes", [201, 201, 403, 404, 404, 403, 404]),
        ("GET /invoices/{invoice}/credit-notes", [200, 200, 200, 404, 404, 200, 404]),
        ("POST /invoices/{invoice}/void", [409, 409, 403, 404, 404, 403, 404]),
        ("GET /reports/receivables", [200, 200, 403, 403, 403, 403, 200]),
        ("GET /reports/revenue", [200, 200, 403, 403, 403, 403, 200]),
        ("GET /clients/{client}/statement", [200, 200, 200, 404, 404, 200, 404]),
        ("PUT /shows/{show}/revenue-share", [200, 200, 403, 403, 403, 403, 404]),
        ("GET /statements", [200, 200, 403, 200, 200, 404, 404]),
        ("GET /auth/me", [200, 200, 200, 200, 200, 200, 200]),
        ("GET /monitoring/health", [200, 200, 200, 200, 200, 200, 200]),
    ];
    for (route, expected) in rows {
        for (who, want) in WHO.iter().zip(expected) {
            let api = w.caller(who);
            let got = match route {
                "GET /organizations" => api.get("/organizations").await,
                "GET /backups" => api.get("/backups").await,
                "POST /backups" => api.post("/backups", json!({})).await,
                "GET /backups/schedule" => api.get("/backups/schedule").await,
                "POST /organizations" => {
                    let slug = unique("m");
                    let admin = json!({"email": format!("{slug}@example.com"), "name": "A", "temporaryPassword": org::TEMPORARY});
                    api.post("/organizations", json!({"name": "M", "slug": slug, "admin": admin})).await
                }
                "PUT /organizations/{a}" => {
                    let etag = w.master.get("/organization").await.etag();
                    api.send("PUT", &format!("/organizations/{a}"), Some(json!({"status": "active"})), Some(&etag))
                        .await
                }
                "GET /organization" => api.get("/organization").await,
                "PUT /organization" => {
                    let etag = api.get("/organization").await.etag();
                    api.send("PUT", "/organization", Some(json!({"name": format!("Renamed by {who}")})), Some(&etag))
                        .await
                }
                "GET /users" => {
                    let got = api.get("/users").await;
                    if ["seller", "producer", "talent"].contains(who) {
                        // Colleagues by names and roles; oneself whole, as one's own GET shows.
                        let items = got.body["items"].as_array().unwrap();
                        let me = match *who {
                            "seller" => w.a.seller.id.as_str(),
                            "producer" => w.a.producer.id.as_str(),
                            _ => w.a.talent.id.as_str(),
                        };
                        assert!(
                            items.len() > 1 && items.iter().all(|u| u.get("email").is_none() == (u["id"] != me)),
                            "names and roles only"
                        );
                    }
                    got
                }
                "GET /users/{seller}" => api.get(&format!("/users/{seller}")).await,
                "POST /users" => {
                    let email = format!("{}@example.com", unique("p"));
                    api.post("/users", json!({"email": email, "name": "P", "role": "producer"})).await
                }
                "PUT /users/{target}" => {
                    let t = w.target().await;
                    let etag = w.a.admin.api.get(&format!("/users/{t}")).await.etag();
                    api.send("PUT", &format!("/users/{t}"), Some(json!({"name": "Renamed"})), Some(&etag)).await
                }
                "DELETE /users/{target}" => {
                    api.send("DELETE", &format!("/users/{}", w.target().await), None, None).await
                }
                "GET /users/me/preferences" => api.get("/users/me/preferences").await,
                "PUT /users/me/preferences" => {
                    let etag = api.get("/users/me/preferences").await.etag();
                    let body = json!({"email": {"campaign.approved": true}, "dailyDigest": false});
                    api.send("PUT", "/users/me/preferences", Some(body), Some(&etag)).await
                }
                "POST /api-keys" => api.post("/api-keys", json!({"name": "export", "role": "seller"})).await,
                "GET /api-keys" => api.get("/api-keys").await,
                "DELETE /api-keys/{key}" => {
                    api.send("DELETE", &format!("/api-keys/{}", w.key().await), None, None).await
                }
                "GET /clients" => api.get("/clients").await,
                "POST /clients" => api.post("/clients", json!({"name": unique("c"), "type": "advertiser"})).await,
                "GET /clients/{client}" => api.get(&format!("/clients/{}", w.client().await)).await,
                "PUT /clients/{client}" => {
                    let c = w.client().await;
                    api.send("PUT", &format!("/clients/{c}"), Some(json!({"industry": "audio"})), Some("*")).await
                }
                "DELETE /clients/{client}" => {
                    api.send("DELETE", &format!("/clients/{}", w.client().await), None, Some("*")).await
                }
                "GET /campaigns" => api.get("/campaigns").await,
                "POST /campaigns" => {
                    // The client is assigned to A's seller, so A's seller may sell to it.
                    let body = json!({"name": unique("c"), "clientId": w.client().await});
                    api.post("/campaigns", body).await
                }
                "GET /campaigns/{campaign}" => api.get(&format!("/campaigns/{}", w.campaign().await)).await,
                "PUT /campaigns/{campaign}" => {
                    let c = w.campaign().await;
                    api.send("PUT", &format!("/campaigns/{c}"), Some(json!({"name": "Renamed"})), Some("*")).await
                }
                "DELETE /campaigns/{campaign}" => {
                    api.send("DELETE", &format!("/campaigns/{}", w.campaign().await), None, Some("*")).await
                }
                "POST /campaigns/{campaign}/transitions" => {
                    let c = w.campaign().await;
                    api.post(&format!("/campaigns/{c}/transitions"), json!({"to": "lost", "reason": "test"})).await
                }
                "GET /campaigns/{campaign}/history" => {
                    api.get(&format!("/campaigns/{}/history", w.campaign().await)).await
                }
                "POST /campaigns/{campaign}/team" => {
                    let c = w.campaign().await;
                    api.post(&format!("/campaigns/{c}/team"), json!({"userId": w.a.producer.id, "role": "producer"}))
                        .await
                }
                "PUT /campaigns/{campaign}/team/{talent}" => {
                    let path = format!("/campaigns/{}/team/{}", w.campaign().await, w.a.talent.id);
                    api.send("PUT", &path, Some(json!({"permissions": ["view", "approve"]})), Some("*")).await
                }
                "DELETE /campaigns/{campaign}/team/{talent}" => {
                    let path = format!("/campaigns/{}/team/{}", w.campaign().await, w.a.talent.id);
                    api.send("DELETE", &path, None, Some("*")).await
                }
                "GET /shows" => api.get("/shows").await,
                "POST /shows" => api.post("/shows", json!({"name": unique("s"), "releaseFrequency": "daily"})).await,
                "GET /shows/{show}" => api.get(&format!("/shows/{}", w.show().await)).await,
                "PUT /shows/{show}" => {
                    let path = format!("/shows/{}", w.show().await);
                    api.send("PUT", &path, Some(json!({"category": "comedy"})), Some("*")).await
                }
                "DELETE /shows/{show}" => {
                    api.send("DELETE", &format!("/shows/{}", w.show().await), None, Some("*")).await
                }
                "PUT /shows/{show}/assignments" => {
                    let path = format!("/shows/{}/assignments", w.show().await);
                    api.send("PUT", &path, Some(json!({"talentIds": [w.a.talent.id]})), Some("*")).await
                }
                "GET /episodes" => api.get("/episodes").await,
                "POST /episodes" => {
                    api.post("/episodes", json!({"showId": w.show().await, "title": unique("e")})).await
                }
                "GET /episodes/{episode}" => api.get(&format!("/episodes/{}", w.episode().await)).await,
                "PUT /episodes/{episode}" => {
                    let path = format!("/episodes/{}", w.episode().await);
                    api.send("PUT", &path, Some(json!({"durationSeconds": 1800})), Some("*")).await
                }
                "DELETE /episodes/{episode}" => {
                    api.send("DELETE", &format!("/episodes/{}", w.episode().await), None, Some("*")).await
                }
                "POST /episodes/{episode}/transitions" => {
                    let path = format!("/episodes/{}/transitions", w.episode().await);
                    api.post(&path, json!({"to": "cancelled"})).await
                }
                "GET /talent/{talent}/availability" => {
                    api.get(&format!("/talent/{}/availability", w.a.talent.id)).await
                }
                "PUT /talent/{talent}/availability" => {
                    let path = format!("/talent/{}/availability", w.a.talent.id);
                    api.send("PUT", &path, Some(json!({"windows": []})), Some("*")).await
                }
                "GET /talent/{talent}/schedule" => api.get(&format!("/talent/{}/schedule", w.a.talent.id)).await,
                "GET /activities" => api.get("/activities").await,
                "POST /activities" => {
                    let entity = json!({"type": "campaign", "id": w.campaign().await});
                    api.post("/activities", json!({"action": "client.opened", "entity": entity})).await
                }
                "GET /activities/{activity}" => api.get(&format!("/activities/{}", w.activity().await)).await,
                "GET /notifications" => api.get("/notifications").await,
                "GET /notifications/unread-count" => api.get("/notifications/unread-count").await,
                "POST /notifications/{someone's}/read" => {
                    api.post(&format!("/notifications/{}/read", ulid::Ulid::new()), json!({})).await
                }
                "POST /notifications/batch-read" => {
                    api.post("/notifications/batch-read", json!({"before": "2999-01-01T00:00:00Z"})).await
                }
                "GET /notifications/preferences" => api.get("/notifications/preferences").await,
                "PUT /notifications/preferences" => {
                    let etag = api.get("/notifications/preferences").await.etag();
                    api.send("PUT", "/notifications/preferences", Some(json!({"dailyDigest": true})), Some(&etag)).await
                }
                "GET /inventory" => {
                    let show = w.show().await;
                    api.get(&format!("/inventory?showIds={show}&from=2027-05-01&to=2027-05-31")).await
                }
                "GET /shows/{show}/sell-through" => {
                    api.get(&format!("/shows/{}/sell-through?from=2027-05-01&to=2027-05-31", w.show().await)).await
                }
                "POST /campaigns/{campaign}/holds" => {
                    let (c, e) = (w.campaign().await, w.scheduled_episode().await);
                    let spots = json!({"spots": [{"episodeId": e, "spot": "pre-0"}]});
                    api.post(&format!("/campaigns/{c}/holds"), spots).await
                }
                "GET /campaigns/{campaign}/holds" => api.get(&format!("/campaigns/{}/holds", w.held().await.0)).await,
                "POST /campaigns/{campaign}/holds/{hold}/extend" => {
                    let (c, h) = w.held().await;
                    api.post(&format!("/campaigns/{c}/holds/{h}/extend"), json!({})).await
                }
                "DELETE /campaigns/{campaign}/holds/{hold}" => {
                    let (c, h) = w.held().await;
                    api.send("DELETE", &format!("/campaigns/{c}/holds/{h}"), None, None).await
                }
                "POST /episodes/{episode}/spots/{spot}/block" => {
                    let path = format!("/episodes/{}/spots/pre-0/block", w.scheduled_episode().await);
                    api.post(&path, json!({"reason": "a sponsor-free episode"})).await
                }
                "DELETE /episodes/{episode}/spots/{spot}/block" => {
                    let path = format!("/episodes/{}/spots/mid-0/block", w.scheduled_episode().await);
                    let blocked = w.a.admin.api.post(&path, json!({"reason": "kept free"})).await;
                    assert_eq!(blocked.status, 200, "{:?}", blocked.body);
                    api.send("DELETE", &path, None, None).await
                }
                "GET /orders" => api.get("/orders").await,
                "POST /orders" => api.post("/orders", json!({"campaignId": w.won_and_held().await})).await,
                "GET /orders/{order}" => api.get(&format!("/orders/{}", w.order().await)).await,
                "GET /campaigns/{campaign}/delivery" => {
                    api.get(&format!("/campaigns/{}/delivery", w.campaign().await)).await
                }
                "GET /orders/{order}/delivery" => api.get(&format!("/orders/{}/delivery", w.order().await)).await,
                "GET /shows/{show}/analytics" => api.get(&format!("/shows/{}/analytics", w.show().await)).await,
                "GET /episodes/{episode}/analytics" => {
                    api.get(&format!("/episodes/{}/analytics", w.episode().await)).await
                }
                "GET /delivery/methodology" => api.get("/delivery/methodology").await,
                "POST /delivery/recounts" => api.post("/delivery/recounts", json!({})).await,
                "GET /delivery/recounts/{recount}" => {
                    api.get(&format!("/delivery/recounts/{}", w.recount().await)).await
                }
                "PUT /orders/{order}" => {
                    let path = format!("/orders/{}", w.order().await);
                    api.send("PUT", &path, Some(json!({"paymentTermsDays": 45})), Some("*")).await
                }
                "POST /orders/{order}/transitions" => {
                    let path = format!("/orders/{}/transitions", w.order().await);
                    api.post(&path, json!({"to": "pending_approval"})).await
                }
                "POST /campaigns/{campaign}/briefs" => {
                    let brief = json!({"talkingPoints": ["Sleep better"], "promoCode": "POD20"});
                    api.post(&format!("/campaigns/{}/briefs", w.campaign().await), brief).await
                }
                "GET /campaigns/{campaign}/briefs" => {
                    api.get(&format!("/campaigns/{}/briefs", w.campaign().await)).await
                }
                "GET /ad-reads/{read}" => api.get(&format!("/ad-reads/{}", w.read().await)).await,
                "GET /ad-reads/{read}/comments" => api.get(&format!("/ad-reads/{}/comments", w.read().await)).await,
                "POST /ad-reads/{read}/transitions" => {
                    // It waits for a brief: only the platform moves it, so a reviewer meets 409.
                    api.post(&format!("/ad-reads/{}/transitions", w.read().await), json!({"to": "in_review"})).await
                }
                "POST /ad-reads/{read}/submissions" => {
                    let body = json!({"recordingId": ulid::Ulid::new().to_string(), "transcript": "x"});
                    api.post(&format!("/ad-reads/{}/submissions", w.read().await), body).await
                }
                "GET /webhooks" => api.get("/webhooks").await,
                "POST /webhooks" => api.post("/webhooks", json!({"url": "http://127.0.0.1:9/made"})).await,
                "GET /webhooks/{webhook}" => api.get(&format!("/webhooks/{}", w.webhook().await)).await,
                "PUT /webhooks/{webhook}" => {
                    let path = format!("/webhooks/{}", w.webhook().await);
                    api.send("PUT", &path, Some(json!({"description": who})), Some("*")).await
                }
                "DELETE /webhooks/{webhook}" => {
                    let path = format!("/webhooks/{}", w.fresh_webhook().await);
                    api.send("DELETE", &path, None, None).await
                }
                "POST /webhooks/{webhook}/rotate-secret" => {
                    api.post(&format!("/webhooks/{}/rotate-secret", w.webhook().await), json!({})).await
                }
                "POST /webhooks/{webhook}/test" => {
                    api.post(&format!("/webhooks/{}/test", w.webhook().await), json!({})).await
                }
                "POST /webhooks/{webhook}/replay" => {
                    let since = json!({"since": "2026-01-01T00:00:00Z"});
                    api.post(&format!("/webhooks/{}/replay", w.webhook().await), since).await
                }
                "GET /webhooks/{webhook}/deliveries" => {
                    api.get(&format!("/webhooks/{}/deliveries", w.webhook().await)).await
                }
                "GET /webhooks/{webhook}/deliveries/{delivery}" => {
                    let (hook, d) = w.webhook_delivery().await;
                    api.get(&format!("/webhooks/{hook}/deliveries/{d}")).await
                }
                "POST /webhooks/{webhook}/deliveries/{delivery}/redeliver" => {
                    let (hook, d) = w.webhook_delivery().await;
                    api.post(&format!("/webhooks/{hook}/deliveries/{d}/redeliver"), json!({})).await
                }
                "GET /invoices" => api.get("/invoices").await,
                "POST /invoices" => {
                    // December is not over by the real clock: past the checks, refused as such.
                    let order = w.invoice().await.1;
                    api.post("/invoices", json!({"orderId": order, "year": 2026, "month": 12})).await
                }
                "GET /invoices/{invoice}" => api.get(&format!("/invoices/{}", w.invoice().await.0)).await,
                "PUT /invoices/{invoice}" => {
                    let path = format!("/invoices/{}", w.invoice().await.0);
                    api.send("PUT", &path, Some(json!({"internalNotes": "checked"})), Some("*")).await
                }
                "POST /invoices/{invoice}/issue" => {
                    api.post(&format!("/invoices/{}/issue", w.invoice().await.0), json!({})).await
                }
                "GET /invoices/{invoice}/document" => {
                    api.get(&format!("/invoices/{}/document", w.invoice().await.0)).await
                }
                "POST /invoices/{invoice}/payments" => {
                    let body =
                        json!({"amount": {"amount": 1, "currency": "USD"}, "date": "2026-12-01", "method": "card"});
                    api.post(&format!("/invoices/{}/payments", w.invoice().await.0), body).await
                }
                "POST /invoices/{invoice}/credit-notes" => {
                    let body = json!({"reason": "discount", "description": "a cent", "amount": {"amount": 1, "currency": "USD"}});
                    api.post(&format!("/invoices/{}/credit-notes", w.invoice().await.0), body).await
                }
                "GET /invoices/{invoice}/credit-notes" => {
                    api.get(&format!("/invoices/{}/credit-notes", w.invoice().await.0)).await
                }
                "POST /invoices/{invoice}/void" => {
                    api.post(&format!("/invoices/{}/void", w.invoice().await.0), json!({"reason": "test"})).await
                }
                "GET /reports/receivables" => api.get("/reports/receivables").await,
                "GET /clients/{client}/statement" => {
                    w.invoice().await;
                    api.get(&format!("/clients/{}/statement?from=2026-12-01&to=2026-12-31", w.a.client_id)).await
                }
                "PUT /shows/{show}/revenue-share" => {
                    let body = json!({"terms": {"kind": "percent_of_net_collected", "hundredths": 2500}});
                    api.send("PUT", &format!("/shows/{}/revenue-share", w.show().await), Some(body), None).await
                }
                "GET /statements" => api.get(&format!("/statements?showId={}&month=2026-12", w.show().await)).await,
                "GET /reports/revenue" => api.get("/reports/revenue?from=2026-12-01&to=2026-12-31&groupBy=show").await,
                "GET /auth/me" => api.get("/auth/me").await,
                "GET /monitoring/health" => api.get("/monitoring/health").await,
                other => panic!("no driver for {other}"),
            };
            check(route, who, &got, want);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_guardrails_hold_from_the_attackers_side() {
    let w = World::new().await;
    let admin = &w.a.admin.api;
    let me = w.a.admin.id.clone();
    let invite = |role: &str| json!({"email": format!("{}@example.com", unique(role)), "name": "X", "role": role});
    // Nobody but master grants master.
    assert_eq!(admin.post("/users", invite("master")).await.status, 403);
    assert_eq!(w.master.post("/users", invite("master")).await.status, 201);
    // Nobody changes their own role or status, or disables themselves.
    let etag = admin.get(&format!("/users/{me}")).await.etag();
    for change in [json!({"role": "seller"}), json!({"status": "disabled"})] {
        assert_eq!(admin.send("PUT", &format!("/users/{me}"), Some(change), Some(&etag)).await.status, 403);
    }
    assert_eq!(admin.send("DELETE", &format!("/users/{me}"), None, None).await.status, 403);
    // An admin cannot promote anyone to master.
    let t = w.target().await;
    let etag = admin.get(&format!("/users/{t}")).await.etag();
    assert_eq!(
        admin.send("PUT", &format!("/users/{t}"), Some(json!({"role": "master"})), Some(&etag)).await.status,
        403
    );
    // A client user needs a client, and one of this organization.
    let mut c = invite("client");
    assert_eq!(admin.post("/users", c.clone()).await.status, 400);
    c["clientId"] = Value::from(w.b.client_id.clone());
    assert_eq!(admin.post("/users", c.clone()).await.status, 400, "another organization's client");
    c["clientId"] = Value::from(w.a.client_id.clone());
    assert_eq!(admin.post("/users", c).await.status, 201);
    // Writes without If-Match are refused; stale ones get 412 with the current version.
    assert_eq!(admin.send("PUT", &format!("/users/{t}"), Some(json!({"name": "N"})), None).await.status, 428);
    let fresh = admin.get(&format!("/users/{t}")).await.etag();
    assert_eq!(admin.send("PUT", &format!("/users/{t}"), Some(json!({"name": "N1"})), Some(&fresh)).await.status, 200);
    let stale = admin.send("PUT", &format!("/users/{t}"), Some(json!({"name": "N2"})), Some(&fresh)).await;
    assert_eq!((stale.status.as_u16(), stale.body["currentVersion"].clone()), (412, json!(3)));
    let any = admin.send("PUT", &format!("/users/{t}"), Some(json!({"name": "N3"})), Some("*")).await;
    assert_eq!((any.status.as_u16(), any.etag()), (200, "\"v4\"".to_owned()), "If-Match: * takes the current version");
    // Bad input is a 4xx problem, never a 5xx.
    for body in
        [json!({"email": "nope", "name": "", "role": "seller"}), json!({"role": "emperor"}), json!({"unknown": 1})]
    {
        let got = admin.post("/users", body.clone()).await;
        assert!(got.status.is_client_error(), "{body}: {:?}", got.body);
    }
    // The tenant comes from the token: an admin naming another organization stays in their own.
    let foreign = admin.with_header("x-org-id", &w.b.id).get(&format!("/users/{}", w.b.seller.id)).await;
    assert_eq!(foreign.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_ends_the_old_tokens_and_api_keys_act_with_their_role_until_revoked() {
    let w = World::new().await;
    let admin = &w.a.admin.api;
    let t = org::invite(&w.s, admin, "seller", json!({})).await;
    let etag = admin.get(&format!("/users/{}", t.id)).await.etag();
    let changed = admin.send("PUT", &format!("/users/{}", t.id), Some(json!({"role": "producer"})), Some(&etag)).await;
    assert_eq!(changed.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert_eq!(t.api.get("/auth/me").await.status, 401, "tokens of the old role are refused");
    let again = w.s.api().signed_in(&t.email, CHOSEN, CHOSEN).await;
    assert_eq!(again.get("/auth/me").await.body["role"], "producer");

    let created = admin.post("/api-keys", json!({"name": "reporting", "role": "seller"})).await;
    assert_eq!(created.status, 201);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let listed = admin.get("/api-keys").await;
    assert!(listed.body.to_string().find(&secret).is_none(), "the secret is shown once only");
    let mut key = w.s.api();
    key.authorization = Some(format!("ApiKey {secret}"));
    let users = key.get("/users").await;
    assert_eq!(users.status, 200);
    assert!(users.body["items"][0].get("email").is_none(), "acts as a seller");
    assert_eq!(key.get("/api-keys").await.status, 403);
    assert_eq!(key.get("/auth/me").await.status, 403, "a key has no profile");
    let id = created.body["apiKey"]["id"].as_str().unwrap();
    assert_eq!(admin.send("DELETE", &format!("/api-keys/{id}"), None, None).await.status, 204);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert_eq!(key.get("/users").await.status, 401);
}
