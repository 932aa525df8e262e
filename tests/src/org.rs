//! An organization with one signed-in user per role, built through the API as its people would:
//! master creates the organization and its admin, the admin invites the others, each signs in.

use serde_json::{Value, json};

use crate::client::Api;
use crate::stack::TestStack;

/// The password every test user chooses at first sign-in.
pub const CHOSEN: &str = "a passphrase of my own";
/// The temporary password test invitations carry.
pub const TEMPORARY: &str = "temporary passphrase";

/// One member of a test organization.
#[derive(Debug, Clone)]
pub struct Member {
    /// Their user id.
    pub id: String,
    /// Their e-mail.
    pub email: String,
    /// Signed in.
    pub api: Api,
}

/// A test organization.
#[derive(Debug, Clone)]
pub struct TestOrg {
    /// Its id.
    pub id: String,
    /// Its client (the client user's).
    pub client_id: String,
    /// admin, seller, producer, talent, client.
    pub admin: Member,
    /// See `admin`.
    pub seller: Member,
    /// See `admin`.
    pub producer: Member,
    /// See `admin`.
    pub talent: Member,
    /// See `admin`.
    pub client: Member,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Invites a user as `by` and signs them in (answering the new-password challenge).
pub async fn invite(stack: &TestStack, by: &Api, role: &str, extra: Value) -> Member {
    let email = format!("{}@example.com", unique(role));
    let mut body = json!({"email": email, "name": format!("The {role}"), "role": role, "temporaryPassword": TEMPORARY});
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let created = by.post("/users", body).await;
    assert_eq!(created.status, 201, "invite {role}: {:?}", created.body);
    let api = stack.api().signed_in(&email, TEMPORARY, CHOSEN).await;
    Member { id: created.body["id"].as_str().unwrap_or_default().to_owned(), email, api }
}

/// Creates an organization through master, its admin and one user per other role.
pub async fn create(stack: &TestStack, master: &Api) -> TestOrg {
    let slug = unique("org");
    let admin_email = format!("{}@example.com", unique("admin"));
    let body = json!({"name": format!("Org {slug}"), "slug": slug,
        "admin": {"email": admin_email, "name": "The admin", "temporaryPassword": TEMPORARY}});
    let created = master.post("/organizations", body).await;
    assert_eq!(created.status, 201, "create organization: {:?}", created.body);
    let id = created.body["organization"]["id"].as_str().unwrap_or_default().to_owned();
    let admin_api = stack.api().signed_in(&admin_email, TEMPORARY, CHOSEN).await;
    let admin = Member {
        id: created.body["admin"]["id"].as_str().unwrap_or_default().to_owned(),
        email: admin_email,
        api: admin_api,
    };
    let client = admin.api.post("/clients", json!({"name": "Acme Soda", "type": "advertiser"})).await;
    assert_eq!(client.status, 201, "create client: {:?}", client.body);
    let client_id = client.body["id"].as_str().unwrap_or_default().to_owned();
    let seller = invite(stack, &admin.api, "seller", json!({})).await;
    let producer = invite(stack, &admin.api, "producer", json!({})).await;
    let talent = invite(stack, &admin.api, "talent", json!({})).await;
    let client_user = invite(stack, &admin.api, "client", json!({"clientId": client_id})).await;
    TestOrg { id, client_id, admin, seller, producer, talent, client: client_user }
}

/// A campaign of `o`'s client owned by its seller, created by its admin, with a budget and
/// internal notes (what some readers may not see); returns its id.
pub async fn campaign_with_secrets(o: &TestOrg, name: &str) -> String {
    let body = json!({"name": name, "clientId": o.client_id, "ownerId": o.seller.id,
        "startDate": "2027-03-01", "endDate": "2027-03-31", "internalNotes": "margin 40%",
        "budget": {"amount": 500_000, "currency": "USD"}});
    let c = o.admin.api.post("/campaigns", body).await;
    assert_eq!(c.status, 201, "{:?}", c.body);
    c.body["id"].as_str().unwrap_or_default().to_owned()
}
