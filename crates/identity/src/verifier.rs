//! Access-token verification, shared by the authorizer for both identity adapters: the JWKS is
//! fetched once and cached, and fetched again when a token names a key id it does not hold
//! (key rotation), at most once per [`MIN_REFETCH`] so forged key ids cannot hammer the issuer.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use thiserror::Error;

use crate::tokens::AccessClaims;

/// Shortest interval between two JWKS fetches caused by unknown key ids.
pub const MIN_REFETCH: Duration = Duration::from_secs(30);

/// Seconds of clock skew tolerated on `exp`.
pub const LEEWAY_SECONDS: u64 = 5;

/// Why a token was refused. Every variant but [`VerifyError::Keys`] is the caller's problem (401).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// Not a JWT, an unsupported or `none` algorithm, or claims of the wrong shape.
    #[error("malformed token")]
    Malformed,
    /// The key id is not in the issuer's key set.
    #[error("unknown signing key")]
    UnknownKey,
    /// The signature does not verify, or the algorithm is not the key's.
    #[error("invalid signature")]
    BadSignature,
    /// Past its `exp`.
    #[error("token expired")]
    Expired,
    /// Issued by someone else.
    #[error("wrong issuer")]
    WrongIssuer,
    /// Issued to another app client.
    #[error("wrong client")]
    WrongClient,
    /// An id or refresh token where an access token belongs.
    #[error("not an access token")]
    WrongUse,
    /// The key set could not be fetched: an outage.
    #[error("key set unavailable: {0}")]
    Keys(String),
}

/// Where the issuer's public keys come from.
#[async_trait]
pub trait KeySource: Send + Sync {
    /// The current key set.
    async fn fetch(&self) -> Result<JwkSet, VerifyError>;
}

/// Keys published at a JWKS URL (Cognito's `<issuer>/.well-known/jwks.json`, or the local stack's).
pub struct HttpKeySource {
    url: String,
    // Built on the first fetch, not at start: a TLS client reads and parses the CA bundle, a
    // large part of a cold start, and a function that serves unauthenticated routes (monitoring's
    // shallow health) may never need it.
    client: tokio::sync::OnceCell<reqwest::Client>,
}

impl HttpKeySource {
    /// Keys at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), client: tokio::sync::OnceCell::new() }
    }

    async fn client(&self) -> Result<&reqwest::Client, VerifyError> {
        let build = || async {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .map_err(|e| VerifyError::Keys(format!("HTTP client for {}: {e}", self.url)))
        };
        self.client.get_or_try_init(build).await
    }
}

#[async_trait]
impl KeySource for HttpKeySource {
    async fn fetch(&self) -> Result<JwkSet, VerifyError> {
        let fail = |e: reqwest::Error| VerifyError::Keys(format!("{}: {e}", self.url));
        let resp = self.client().await?.get(&self.url).send().await.map_err(fail)?;
        resp.error_for_status().map_err(fail)?.json::<JwkSet>().await.map_err(fail)
    }
}

/// A key set known in process (the local identity provider's own, for tests and tools).
pub struct StaticKeys(pub JwkSet);

#[async_trait]
impl KeySource for StaticKeys {
    async fn fetch(&self) -> Result<JwkSet, VerifyError> {
        Ok(self.0.clone())
    }
}

#[derive(Default)]
struct Cached {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    fetched_at: Option<Instant>,
}

/// Verifies access tokens of one issuer and app client.
pub struct TokenVerifier {
    issuer: String,
    client_id: String,
    source: Arc<dyn KeySource>,
    cache: RwLock<Cached>,
    fetching: tokio::sync::Mutex<()>,
}

fn kind_error(kind: &ErrorKind) -> VerifyError {
    match kind {
        ErrorKind::ExpiredSignature => VerifyError::Expired,
        ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
        ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm | ErrorKind::InvalidEcdsaKey => {
            VerifyError::BadSignature
        }
        _ => VerifyError::Malformed,
    }
}

impl TokenVerifier {
    /// A verifier for tokens of `issuer` issued to `client_id`, with keys from `source`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, source: Arc<dyn KeySource>) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            source,
            cache: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).keys.get(kid).cloned()
    }

    async fn refetch(&self) -> Result<(), VerifyError> {
        let _one_at_a_time = self.fetching.lock().await;
        let recent =
            self.cache.read().unwrap_or_else(|p| p.into_inner()).fetched_at.is_some_and(|t| t.elapsed() < MIN_REFETCH);
        if recent {
            return Ok(());
        }
        let set = self.source.fetch().await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Some(alg)) = (&jwk.common.key_id, jwk.common.key_algorithm) else { continue };
            let (Ok(alg), Ok(key)) = (alg.to_string().parse::<Algorithm>(), DecodingKey::from_jwk(jwk)) else {
                continue;
            };
            keys.insert(kid.clone(), (key, alg));
        }
        *self.cache.write().unwrap_or_else(|p| p.into_inner()) = Cached { keys, fetched_at: Some(Instant::now()) };
        Ok(())
    }

    /// The claims of a valid access token.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let kid = header.kid.ok_or(VerifyError::Malformed)?;
        let (key, alg) = match self.cached(&kid) {
            Some(k) => k,
            None => {
                self.refetch().await?;
                self.cached(&kid).ok_or(VerifyError::UnknownKey)?
            }
        };
        // The algorithm is the key's, never the token's: no downgrade to HMAC or `none`.
        if header.alg != alg {
            return Err(VerifyError::BadSignature);
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_aud = false;
        validation.leeway = LEEWAY_SECONDS;
        let claims =
            jsonwebtoken::decode::<AccessClaims>(token, &key, &validation).map_err(|e| kind_error(e.kind()))?.claims;
        if claims.token_use != "access" {
            return Err(VerifyError::WrongUse);
        }
        if claims.client_id != self.client_id {
            return Err(VerifyError::WrongClient);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::tokens::SigningKey;

    struct Counting(JwkSet, AtomicUsize);

    #[async_trait]
    impl KeySource for Counting {
        async fn fetch(&self) -> Result<JwkSet, VerifyError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            Ok(self.0.clone())
        }
    }

    fn claims(exp_in: i64) -> AccessClaims {
        let now = chrono::Utc::now().timestamp();
        AccessClaims {
            sub: "u".into(),
            username: "u".into(),
            iss: "https://issuer".into(),
            client_id: "app".into(),
            token_use: "access".into(),
            auth_time: now,
            iat: now,
            exp: now + exp_in,
            jti: "j".into(),
            origin_jti: None,
            scope: None,
        }
    }

    fn setup() -> (SigningKey, TokenVerifier, Arc<Counting>) {
        let key = SigningKey::generate().unwrap();
        let source = Arc::new(Counting(key.jwks(), AtomicUsize::new(0)));
        (key, TokenVerifier::new("https://issuer", "app", source.clone()), source)
    }

    #[tokio::test]
    async fn a_valid_token_verifies_and_the_keys_are_fetched_once() {
        let (key, v, source) = setup();
        for _ in 0..3 {
            assert_eq!(v.verify(&key.sign(&claims(60)).unwrap()).await.unwrap().username, "u");
        }
        assert_eq!(source.1.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn expired_wrong_issuer_client_or_use_are_refused() {
        let (key, v, _) = setup();
        assert_eq!(v.verify(&key.sign(&claims(-60)).unwrap()).await, Err(VerifyError::Expired));
        let mut c = claims(60);
        c.iss = "https://elsewhere".into();
        assert_eq!(v.verify(&key.sign(&c).unwrap()).await, Err(VerifyError::WrongIssuer));
        let mut c = claims(60);
        c.client_id = "other".into();
        assert_eq!(v.verify(&key.sign(&c).unwrap()).await, Err(VerifyError::WrongClient));
        let mut c = claims(60);
        c.token_use = "id".into();
        assert_eq!(v.verify(&key.sign(&c).unwrap()).await, Err(VerifyError::WrongUse));
    }

    #[tokio::test]
    async fn forged_tokens_are_refused_and_unknown_kids_refetch_at_most_once_per_interval() {
        let (key, v, source) = setup();
        // Signed by another key that claims the real key id.
        let other = SigningKey::generate().unwrap();
        let token = other.sign(&claims(60)).unwrap();
        let (_, rest) = token.split_once('.').unwrap();
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"ES256","kid":"{}","typ":"JWT"}}"#, key.kid()));
        assert_eq!(v.verify(&format!("{header}.{rest}")).await, Err(VerifyError::BadSignature));
        // Unknown key ids: one refetch, then refused without asking again.
        assert_eq!(v.verify(&token).await, Err(VerifyError::UnknownKey));
        assert_eq!(v.verify(&token).await, Err(VerifyError::UnknownKey));
        assert_eq!(source.1.load(Ordering::SeqCst), 1);
        // alg none and HMAC tokens never verify.
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(60)).unwrap());
        let none = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, key.kid()));
        assert_eq!(v.verify(&format!("{none}.{payload}.")).await, Err(VerifyError::Malformed));
        let mut h = jsonwebtoken::Header::new(Algorithm::HS256);
        h.kid = Some(key.kid().into());
        let hmac = jsonwebtoken::encode(&h, &claims(60), &jsonwebtoken::EncodingKey::from_secret(b"guess")).unwrap();
        assert_eq!(v.verify(&hmac).await, Err(VerifyError::BadSignature));
        for junk in ["", "a.b.c", "not a token"] {
            assert_eq!(v.verify(junk).await, Err(VerifyError::Malformed), "{junk}");
        }
    }

    #[tokio::test]
    async fn the_jwks_client_is_built_by_the_first_fetch_and_kept() {
        // A closed loopback port: the fetch fails at once, after the client was built.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port());
        let source = HttpKeySource::new(format!("http://127.0.0.1:{}/jwks.json", port.unwrap_or(9)));
        assert!(source.client.get().is_none(), "no TLS set-up at start");
        assert!(matches!(source.fetch().await, Err(VerifyError::Keys(_))));
        let first = source.client.get().map(|c| c as *const reqwest::Client);
        assert!(first.is_some(), "the first fetch builds the client");
        assert!(source.fetch().await.is_err());
        assert_eq!(source.client.get().map(|c| c as *const reqwest::Client), first, "and later fetches reuse it");
    }
}
