//! One fixture per identity adapter, so the identity behaviour suite runs the same cases against
//! the local provider and against Cognito (moto, in `PODCASTFLOW_COGNITO_ENDPOINT`).

use std::sync::Arc;

use podcastflow_identity::local::LocalIdentity;
use podcastflow_identity::tokens::SigningKey;
use podcastflow_identity::{Identity, StaticKeys, TokenVerifier};
use podcastflow_mail::Outbox;
use podcastflow_store::embedded::EmbeddedTable;

/// An identity adapter under test.
pub struct IdentityFixture {
    /// The adapter.
    pub identity: Arc<dyn Identity>,
    /// A verifier for its access tokens.
    pub verifier: TokenVerifier,
    /// Where its mail lands, when the test can read it.
    pub outbox: Option<Outbox>,
    /// Whether refresh tokens rotate on use (the local provider; Cognito's REFRESH_TOKEN_AUTH does not).
    pub rotates: bool,
    /// Which adapter this is.
    pub adapter: &'static str,
    _dir: Option<tempfile::TempDir>,
}

/// The local identity provider on a fresh embedded table, mailing into an outbox.
pub async fn local() -> IdentityFixture {
    let dir = tempfile::tempdir().expect("temporary directory");
    let table = EmbeddedTable::open(&dir.path().join("identity")).expect("open embedded table");
    let outbox = Outbox::new(dir.path().join("outbox"), "no-reply@podcastflow.local");
    let key = SigningKey::generate().expect("signing key");
    let jwks = key.jwks();
    let identity = LocalIdentity::new(Arc::new(table), key, "http://local/idp", "local-app", Arc::new(outbox.clone()));
    IdentityFixture {
        identity: Arc::new(identity),
        verifier: TokenVerifier::new("http://local/idp", "local-app", Arc::new(StaticKeys(jwks))),
        outbox: Some(outbox),
        rotates: true,
        adapter: "local",
        _dir: Some(dir),
    }
}
