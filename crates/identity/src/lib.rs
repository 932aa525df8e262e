//! Identity: the port the `auth`, `users` and `organizations` functions use ([`port::Identity`])
//! with its local adapter ([`local::LocalIdentity`]; the Cognito one arrives beside it), access
//! token verification shared by the authorizer for both ([`verifier::TokenVerifier`]), the local
//! provider's signing key and JWKS ([`tokens`]), password policy and argon2id hashing
//! ([`password`]) and RFC 6238 one-time codes ([`totp`]).

pub mod cognito;
pub mod local;
pub mod password;
pub mod port;
pub mod provisioning;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokens;
pub mod totp;
pub mod verifier;

pub use port::{ChallengeName, Identity, IdentityError, SignIn, Tokens, TotpEnrolment};
pub use tokens::AccessClaims;
pub use verifier::{HttpKeySource, KeySource, StaticKeys, TokenVerifier, VerifyError};
