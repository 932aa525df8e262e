//! One fixture per identity adapter, so the identity behaviour suite runs the same cases against
//! the local provider and against Cognito (moto, in `PODCASTFLOW_COGNITO_ENDPOINT`).

use std::sync::Arc;

use podcastflow_identity::cognito::CognitoIdentity;
use podcastflow_identity::local::LocalIdentity;
use podcastflow_identity::tokens::SigningKey;
use podcastflow_identity::{HttpKeySource, Identity, StaticKeys, TokenVerifier};
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

/// Environment variable naming the Cognito-compatible endpoint (moto) for the identity suite.
pub const COGNITO_ENDPOINT: &str = "PODCASTFLOW_COGNITO_ENDPOINT";

/// The Cognito adapter on a fresh user pool and app client of the moto endpoint, configured as
/// template.yaml configures the real pool (passwords of 12+ characters, optional TOTP).
pub async fn cognito() -> IdentityFixture {
    use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_cognitoidentityprovider::types::{
        ExplicitAuthFlowsType, PasswordPolicyType, UserPoolMfaType, UserPoolPolicyType,
    };
    let endpoint = std::env::var(COGNITO_ENDPOINT).unwrap_or_else(|_| {
        panic!("{COGNITO_ENDPOINT} is not set: run scripts/test.sh, which starts moto and sets it")
    });
    let conf = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "podcastflow-tests"))
        .build();
    let client = aws_sdk_cognitoidentityprovider::Client::from_conf(conf);
    let policy = PasswordPolicyType::builder()
        .minimum_length(12)
        .require_lowercase(false)
        .require_uppercase(false)
        .require_numbers(false)
        .require_symbols(false)
        .build();
    let pool = client
        .create_user_pool()
        .pool_name(format!("podcastflow-test-{}", ulid::Ulid::new()))
        .policies(UserPoolPolicyType::builder().password_policy(policy).build())
        .mfa_configuration(UserPoolMfaType::Optional)
        .send()
        .await
        .expect("create user pool");
    let pool_id = pool.user_pool().and_then(|p| p.id()).expect("pool id").to_owned();
    let app = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("api")
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("create app client");
    let client_id = app.user_pool_client().and_then(|c| c.client_id()).expect("client id").to_owned();
    let issuer = format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}");
    let jwks = HttpKeySource::new(format!("{endpoint}/{pool_id}/.well-known/jwks.json"));
    IdentityFixture {
        identity: Arc::new(CognitoIdentity::new(client, pool_id, client_id.clone())),
        verifier: TokenVerifier::new(issuer, client_id, Arc::new(jwks)),
        outbox: None,
        rotates: false,
        adapter: "cognito",
        _dir: None,
    }
}
