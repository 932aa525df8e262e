//! `--demo`: a demonstration organization to explore the API with, one user per role, all with
//! the same password, and sample data around today ([`crate::demo_data`]). Created once; later
//! starts find it and leave it alone.

use chrono::Utc;
use podcastflow_domain::keys::platform;
use podcastflow_domain::organization::{OrgSettings, OrgStatus, Organization};
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::{ClientId, OrgId, Role, Stamp, UserId};
use podcastflow_identity::Identity;
use podcastflow_identity::provisioning::{create_organization, create_user};
use podcastflow_store::TenantTable;

use crate::demo_data::{self, DemoPeople};
use crate::services::{Services, ServicesError};

/// The demo organization's slug.
pub const SLUG: &str = "demo";
/// Every demo user's password.
pub const PASSWORD: &str = "podcastflow-demo";

fn user(org: OrgId, role: Role, client_id: Option<ClientId>, by: UserId) -> User {
    User {
        id: UserId::new(),
        org_id: org,
        email: format!("{role}@demo.podcastflow.local"),
        name: format!("Demo {role}"),
        role,
        status: UserStatus::Active,
        client_id,
        timezone: "America/New_York".into(),
        avatar_url: None,
        stamp: Stamp::created(by, Utc::now()),
    }
}

/// [`seed`], retried a few times when a write meets a concurrent change: the stack seeds before
/// it serves, but a second process on the same data dir may be seeding too.
pub async fn seed_with_retries(s: &Services) -> Result<Seeded, ServicesError> {
    let mut attempt = 0;
    loop {
        match seed(s).await {
            Err(e) if attempt < 3 && e.to_string().contains("concurrent") => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "demo seeding met a concurrent change; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
            other => return other,
        }
    }
}

/// What seeding made: the e-mails of the users created now (none when the organization
/// existed), and the files its data refers to, for the media bucket once S3 serves.
#[derive(Default)]
pub struct Seeded {
    /// The users' e-mails.
    pub emails: Vec<String>,
    /// The files to upload.
    pub files: Vec<crate::demo_reads::DemoFile>,
}

/// Puts the seeded files in the media bucket (S3 must serve by now).
pub async fn upload(s: &Services, files: Vec<crate::demo_reads::DemoFile>) -> Result<(), ServicesError> {
    for f in files {
        s.media.put(&f.key, f.bytes, &f.content_type).await.map_err(|e| ServicesError::Demo(e.to_string()))?;
    }
    Ok(())
}

/// Creates the demo organization unless it exists.
pub async fn seed(s: &Services) -> Result<Seeded, ServicesError> {
    let table = s.ctx.table.as_ref();
    let store = |e: podcastflow_store::StoreError| ServicesError::Store(e);
    if table.get(&platform::slug(SLUG)).await.map_err(store)?.is_some() {
        return Ok(Seeded::default());
    }
    let org_id = OrgId::new();
    let admin = user(org_id, Role::Admin, None, UserId::new());
    let org = Organization {
        id: org_id,
        name: "Demo Network".into(),
        slug: SLUG.into(),
        status: OrgStatus::Active,
        plan: "demo".into(),
        settings: OrgSettings { timezone: "America/New_York".into(), ..OrgSettings::default() },
        stamp: Stamp::created(admin.id, Utc::now()),
    };
    let identity: &dyn Identity = s.identity.as_ref();
    create_organization(table, &s.ctx.cursors, identity, &org, &admin, Some(PASSWORD)).await?;
    let fizzy = ClientId::new();
    let mut users = vec![admin];
    for (role, client_id) in
        [(Role::Seller, None), (Role::Producer, None), (Role::Talent, None), (Role::Client, Some(fizzy))]
    {
        let u = user(org_id, role, client_id, users[0].id);
        create_user(table, &s.ctx.cursors, identity, &u, Some(PASSWORD)).await?;
        users.push(u);
    }
    // Demo users sign straight in: their password is permanent, not temporary.
    for u in &users {
        identity
            .admin_set_password(&u.id.to_string(), PASSWORD)
            .await
            .map_err(|e| ServicesError::Demo(e.to_string()))?;
    }
    let people = DemoPeople {
        admin: users[0].id,
        seller: users[1].id,
        producer: users[2].id,
        talent: users[3].id,
        client_user: users[4].id,
    };
    let tenant = TenantTable::new(s.ctx.table.clone(), org_id, s.ctx.cursors.as_ref().clone())
        .with_request_id(format!("demo-{}", ulid::Ulid::new()));
    let files = demo_data::write(&tenant, &people, fizzy).await.map_err(|e| ServicesError::Demo(e.to_string()))?;
    Ok(Seeded { emails: users.into_iter().map(|u| u.email).collect(), files })
}
