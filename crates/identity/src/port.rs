//! The identity port: what the `auth`, `users` and `organizations` functions ask of an identity
//! provider. Adapters: Cognito ([`crate::cognito`]) and the local provider ([`crate::local`]).
//! A user's identity name ("username") is PodcastFlow's user id; sign-in by e-mail is resolved
//! to it by the caller, which also keeps the answer the same whether or not the e-mail exists.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Tokens handed to a client after a successful sign-in, challenge or refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    /// The bearer token for the API.
    pub access_token: String,
    /// Trades for new tokens; rotated on use by the local provider.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Always `Bearer`.
    pub token_type: String,
}

/// The challenges a sign-in may answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChallengeName {
    /// A temporary password must be replaced.
    NewPasswordRequired,
    /// A TOTP code is needed.
    SoftwareTokenMfa,
}

/// The outcome of a sign-in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in.
    Tokens(Tokens),
    /// One more step; answer with the session.
    Challenge {
        /// What to answer.
        name: ChallengeName,
        /// The opaque session to send back with the answer.
        session: String,
    },
}

/// A TOTP secret being enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpEnrolment {
    /// The base32 secret for authenticator apps.
    pub secret: String,
}

/// Why an identity operation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    /// Wrong credentials, unknown or disabled user, revoked or expired token: deliberately one
    /// answer so nothing is revealed.
    #[error("not authorized")]
    NotAuthorized,
    /// The new password breaks the policy.
    #[error("invalid password: {0}")]
    InvalidPassword(String),
    /// A one-time code (TOTP or reset) is wrong.
    #[error("code mismatch")]
    CodeMismatch,
    /// A reset code or challenge session has expired or was used.
    #[error("expired")]
    Expired,
    /// The user name is taken.
    #[error("user exists")]
    UserExists,
    /// No such user (admin operations only; sign-in answers NotAuthorized).
    #[error("user not found")]
    UserNotFound,
    /// The operation is not valid in the user's state (e.g. MFA verify without setup).
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// Too many attempts; retry later.
    #[error("too many attempts")]
    TooManyAttempts,
    /// The provider failed: an outage.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
}

/// Sign-in, tokens and the administration of identities.
#[async_trait]
pub trait Identity: Send + Sync {
    /// Whether the provider answers (the deep health check): a cheap read, no user touched.
    async fn probe(&self) -> Result<(), IdentityError>;

    /// Checks a password: tokens, or a challenge (new password, TOTP).
    async fn sign_in(&self, username: &str, password: &str) -> Result<SignIn, IdentityError>;
    /// Answers the new-password challenge.
    async fn respond_new_password(
        &self,
        username: &str,
        session: &str,
        new_password: &str,
    ) -> Result<SignIn, IdentityError>;
    /// Answers the TOTP challenge.
    async fn respond_mfa(&self, username: &str, session: &str, code: &str) -> Result<SignIn, IdentityError>;
    /// Trades a refresh token for new tokens.
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, IdentityError>;
    /// Revokes a refresh token and the tokens descending from its sign-in.
    async fn revoke(&self, refresh_token: &str) -> Result<(), IdentityError>;
    /// Signs the token's user out everywhere (every refresh token).
    async fn sign_out(&self, access_token: &str) -> Result<(), IdentityError>;
    /// Changes the password of the token's user.
    async fn change_password(&self, access_token: &str, current: &str, new: &str) -> Result<(), IdentityError>;
    /// Sends a password reset code to the user's e-mail.
    async fn forgot_password(&self, username: &str) -> Result<(), IdentityError>;
    /// Sets a new password with a reset code.
    async fn confirm_forgot_password(&self, username: &str, code: &str, new: &str) -> Result<(), IdentityError>;
    /// Starts TOTP enrolment for the token's user.
    async fn associate_totp(&self, access_token: &str) -> Result<TotpEnrolment, IdentityError>;
    /// Completes TOTP enrolment with a first code and requires TOTP at sign-in from then on.
    async fn verify_totp(&self, access_token: &str, code: &str) -> Result<(), IdentityError>;
    /// Creates an identity with a temporary password (generated and e-mailed when `None`); the
    /// first sign-in answers the new-password challenge.
    async fn admin_create_user(
        &self,
        username: &str,
        email: &str,
        temporary_password: Option<&str>,
    ) -> Result<(), IdentityError>;
    /// Sets a permanent password (bootstrap of the platform operator from configuration).
    async fn admin_set_password(&self, username: &str, password: &str) -> Result<(), IdentityError>;
    /// Deletes an identity (undoing a creation whose other half failed).
    async fn admin_delete_user(&self, username: &str) -> Result<(), IdentityError>;
    /// Refuses the user's sign-ins and refreshes.
    async fn admin_disable_user(&self, username: &str) -> Result<(), IdentityError>;
    /// Allows them again.
    async fn admin_enable_user(&self, username: &str) -> Result<(), IdentityError>;
    /// Revokes every refresh token of the user.
    async fn admin_sign_out(&self, username: &str) -> Result<(), IdentityError>;
}
