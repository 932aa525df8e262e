//! For the tests of functions: an embedded table and a local identity provider in a temporary
//! directory, and an organization with its admin under chosen ids (those of the sample events).

use std::sync::Arc;

use chrono::Utc;
use podcastflow_domain::organization::{OrgSettings, OrgStatus, Organization};
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::{OrgId, Role, Stamp, UserId};
use podcastflow_mail::Outbox;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::{CursorCodec, Table};

use crate::local::LocalIdentity;
use crate::provisioning::create_organization;
use crate::tokens::SigningKey;

/// A table and an identity provider that live as long as `dir`.
pub struct TestWorld {
    /// The application table.
    pub table: Arc<dyn Table>,
    /// The identity provider.
    pub identity: Arc<LocalIdentity>,
    /// Its outbox.
    pub outbox: Outbox,
    /// Keeps the files.
    pub dir: tempfile::TempDir,
}

/// A fresh world.
pub fn world() -> TestWorld {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table: Arc<dyn Table> = Arc::new(EmbeddedTable::open(&dir.path().join("table")).expect("table"));
    let idp = Arc::new(EmbeddedTable::open(&dir.path().join("identity")).expect("identity table"));
    let outbox = Outbox::new(dir.path().join("outbox"), "no-reply@podcastflow.test");
    let key = SigningKey::generate().expect("key");
    let identity = Arc::new(LocalIdentity::new(idp, key, "http://test/identity", "test", Arc::new(outbox.clone())));
    TestWorld { table, identity, outbox, dir }
}

impl TestWorld {
    /// An active organization `org` with an active admin `admin` (password `password`).
    pub async fn organization(&self, org: OrgId, admin: UserId, email: &str, password: &str) -> (Organization, User) {
        let stamp = Stamp::created(admin, Utc::now());
        let o = Organization {
            id: org,
            name: "Acme Audio".into(),
            slug: format!("acme-{}", org.to_string().to_lowercase()),
            status: OrgStatus::Active,
            plan: "standard".into(),
            settings: OrgSettings::default(),
            stamp: stamp.clone(),
        };
        let u = User {
            id: admin,
            org_id: org,
            email: email.into(),
            name: "Ada".into(),
            role: Role::Admin,
            status: UserStatus::Active,
            client_id: None,
            timezone: "UTC".into(),
            avatar_url: None,
            stamp,
        };
        let codec = CursorCodec::new(b"test".to_vec());
        create_organization(self.table.as_ref(), &codec, self.identity.as_ref(), &o, &u, Some(password))
            .await
            .expect("organization");
        (o, u)
    }
}
