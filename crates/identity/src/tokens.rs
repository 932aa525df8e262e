//! Access tokens: their claims (the shape Cognito's access tokens have, so one verifier serves
//! both identity adapters) and the local identity provider's ES256 signing key with its JWKS.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Lifetime of an access token in seconds (docs/domain.md: one hour).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;

/// The claims of an access token, as Cognito issues them (`token_use` = `access`, the app client
/// in `client_id`, no `aud`). `username` is PodcastFlow's user id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Subject: the identity's id (locally the user id; in Cognito its own UUID).
    pub sub: String,
    /// The user id (the identity's user name).
    pub username: String,
    /// The issuer URL.
    pub iss: String,
    /// The app client the token was issued to.
    pub client_id: String,
    /// Always `access`.
    pub token_use: String,
    /// When the user authenticated (epoch seconds).
    pub auth_time: i64,
    /// Issued at (epoch seconds).
    pub iat: i64,
    /// Expires at (epoch seconds).
    pub exp: i64,
    /// Token id.
    pub jti: String,
    /// The refresh-token family (the sign-in) this token descends from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// OAuth scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Why a key could not be made, read or used.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The stored key does not parse as a P-256 PKCS#8 key.
    #[error("the signing key is not a P-256 PKCS#8 key")]
    Rejected,
    /// The system's random source failed.
    #[error("no randomness: {0}")]
    Random(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// The local identity provider's signing key (ECDSA P-256, ES256) and its key id.
pub struct SigningKey {
    kid: String,
    pkcs8: Vec<u8>,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Result<Self, KeyError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// The key stored earlier with [`SigningKey::pkcs8`].
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|_| KeyError::Rejected)?;
        let point = pair.public_key().as_ref();
        // An uncompressed P-256 point: 0x04, then 32 bytes of x and 32 of y.
        if point.len() != 65 || point[0] != 4 {
            return Err(KeyError::Rejected);
        }
        // The key id is derived from the public key, so it changes exactly when the key does.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(point)[..12]);
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        }))
        .map_err(|_| KeyError::Rejected)?;
        Ok(Self { kid, pkcs8: der.to_vec(), encoding: EncodingKey::from_ec_der(der), jwk })
    }

    /// The key as PKCS#8 DER, to store (secret).
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// Its key id (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a JWKS document.
    pub fn jwks(&self) -> JwkSet {
        JwkSet { keys: vec![self.jwk.clone()] }
    }

    /// Signs claims as a compact JWS with this key's `kid`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| KeyError::Signing(e.to_string()))
    }
}

/// Random bytes, base64url without padding: session handles, refresh tokens, API key secrets.
pub fn random_token(bytes: usize) -> Result<String, KeyError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The claims of an access token read without checking its signature: only for a token the
/// identity provider has just issued to this code over TLS (to learn which sign-in it belongs
/// to), never for one a client presents (the authorizer verifies those).
pub fn unverified_claims(token: &str) -> Option<AccessClaims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// SHA-256 of a secret, hex: how refresh tokens, sessions and API keys are stored.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_reads_back_with_the_same_kid_and_jwks() {
        let k = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8(k.pkcs8()).unwrap();
        assert_eq!(k.kid(), again.kid());
        assert_eq!(serde_json::to_value(k.jwks()).unwrap(), serde_json::to_value(again.jwks()).unwrap());
        assert_ne!(SigningKey::generate().unwrap().kid(), k.kid());
        assert!(SigningKey::from_pkcs8(b"not a key").is_err());
    }

    #[test]
    fn tokens_and_digests() {
        let a = random_token(32).unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32).unwrap());
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn an_issued_token_s_claims_read_back_unverified() {
        let claims = AccessClaims {
            sub: "u".into(),
            username: "u".into(),
            iss: "https://issuer".into(),
            client_id: "app".into(),
            token_use: "access".into(),
            auth_time: 1,
            iat: 1,
            exp: 2,
            jti: "j".into(),
            origin_jti: Some("family-1".into()),
            scope: None,
        };
        let token = SigningKey::generate().unwrap().sign(&claims).unwrap();
        assert_eq!(unverified_claims(&token), Some(claims));
        for bad in ["", "a.b.c", "nodots", "a.!!!.c"] {
            assert_eq!(unverified_claims(bad), None, "{bad}");
        }
    }
}
