//! The local identity provider, Cognito's stand-in: argon2id password hashes, ES256 access
//! tokens with a JWKS, refresh tokens stored hashed and rotated on every use (presenting a
//! rotated one revokes its whole sign-in), single-use challenge sessions, TOTP (RFC 6238) with
//! replay protection, temporary passwords that force a new one, reset codes by mail.
//!
//! Its records live in a table of their own (locally `<data>/identity`), as Cognito's live
//! outside the application table. Keys (all under `IDP#`):
//! - identity: `IDP#USER#<username>` / `USER`; its reset code: same partition / `RESET`;
//!   its sign-ins (refresh-token families): same partition / `FAMILY#<id>`;
//! - a refresh token: `IDP#REFRESH#<sha256>` / `REFRESH` (TTL: 30 days);
//! - a challenge session: `IDP#SESSION#<sha256>` / `SESSION` (TTL: 3 minutes).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use podcastflow_domain::keys::{EXPIRES_AT, Key};
use podcastflow_mail::{Mail, Message};
use podcastflow_store::{Condition, StoreError, Table, TransactOp, Update, item};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::port::{ChallengeName, Identity, IdentityError, SignIn, Tokens, TotpEnrolment};
use crate::tokens::{ACCESS_TOKEN_SECONDS, AccessClaims, SigningKey, digest, random_token};
use crate::verifier::{StaticKeys, TokenVerifier, VerifyError};
use crate::{password, totp};

/// Lifetime of a refresh token.
pub const REFRESH_TOKEN_DAYS: i64 = 30;
/// Lifetime of a challenge session.
pub const SESSION_SECONDS: i64 = 180;
/// Lifetime of a temporary password.
pub const TEMPORARY_PASSWORD_DAYS: i64 = 7;
/// Lifetime of a password reset code.
pub const RESET_CODE_SECONDS: i64 = 3600;
/// Wrong answers a challenge session or reset code survives.
pub const MAX_CODE_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdpUser {
    username: String,
    email: String,
    password_hash: String,
    /// Set while the password is a temporary one: when it stops working.
    #[serde(default)]
    temporary_until: Option<i64>,
    enabled: bool,
    #[serde(default)]
    totp_secret: Option<String>,
    #[serde(default)]
    totp_pending: Option<String>,
    #[serde(default)]
    last_totp_step: Option<u64>,
    /// Tokens and sign-ins from this second or earlier are revoked (epoch seconds).
    #[serde(default)]
    tokens_valid_after: i64,
    version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    username: String,
    challenge: ChallengeName,
    attempts: u32,
    expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshRecord {
    username: String,
    family: String,
    /// `active` until used once, then `rotated`.
    state: String,
    expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Family {
    created_at: i64,
    auth_time: i64,
    revoked: bool,
    expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetCode {
    code_hash: String,
    attempts: u32,
    expires_at: i64,
}

fn user_key(username: &str) -> Key {
    Key::new(format!("IDP#USER#{username}"), "USER")
}
fn reset_key(username: &str) -> Key {
    Key::new(format!("IDP#USER#{username}"), "RESET")
}
fn family_key(username: &str, family: &str) -> Key {
    Key::new(format!("IDP#USER#{username}"), format!("FAMILY#{family}"))
}
fn refresh_key(token: &str) -> Key {
    Key::new(format!("IDP#REFRESH#{}", digest(token)), "REFRESH")
}
fn session_key(session: &str) -> Key {
    Key::new(format!("IDP#SESSION#{}", digest(session)), "SESSION")
}

fn outage(e: impl std::fmt::Display) -> IdentityError {
    IdentityError::Unavailable(e.to_string())
}

fn store_error(e: StoreError) -> IdentityError {
    match e {
        // Two requests raced on one record; the loser may simply retry.
        StoreError::ConditionFailed { .. } | StoreError::TransactionConflict { .. } => {
            IdentityError::InvalidState("a concurrent change intervened; retry".into())
        }
        other => outage(other),
    }
}

/// A record with its TTL attribute, so the table deletes it once it is over.
fn record<T: Serialize>(
    key: &Key,
    kind: &str,
    value: &T,
    expires_at: Option<i64>,
) -> Result<item::Item, IdentityError> {
    let mut it = item::value_item(key, kind, value).map_err(outage)?;
    if let Some(at) = expires_at {
        it.insert(EXPIRES_AT.into(), Value::from(at));
    }
    Ok(it)
}

fn policy_error(e: password::PasswordError) -> IdentityError {
    match e {
        password::PasswordError::Hashing(h) => outage(h),
        other => IdentityError::InvalidPassword(other.to_string()),
    }
}

/// argon2 is deliberately slow; it runs off the async workers.
async fn hash_password(pw: &str) -> Result<String, IdentityError> {
    let pw = pw.to_owned();
    tokio::task::spawn_blocking(move || password::hash(&pw)).await.map_err(outage)?.map_err(policy_error)
}

async fn verify_password(pw: &str, phc: &str) -> bool {
    let (pw, phc) = (pw.to_owned(), phc.to_owned());
    tokio::task::spawn_blocking(move || password::verify(&pw, &phc)).await.unwrap_or(false)
}

/// A hash of a password nobody has, verified against when the user does not exist so that
/// unknown and known users take the same time.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5PMlNRBRPY5MOm8K4XXwmXuiuJmeRz+MF8rCRkG7p2w";

/// A temporary password meeting the policy: 16 letters and digits.
pub fn generate_password() -> Result<String, IdentityError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(outage)?;
    Ok(raw.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

/// The local identity provider.
pub struct LocalIdentity {
    table: Arc<dyn Table>,
    key: SigningKey,
    issuer: String,
    client_id: String,
    mail: Arc<dyn Mail>,
    verifier: TokenVerifier,
    clock_offset: chrono::Duration,
}

impl LocalIdentity {
    /// A provider keeping its records in `table`, signing with `key` as `issuer` for `client_id`,
    /// mailing invitations and reset codes through `mail`.
    pub fn new(
        table: Arc<dyn Table>,
        key: SigningKey,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        mail: Arc<dyn Mail>,
    ) -> Self {
        let (issuer, client_id) = (issuer.into(), client_id.into());
        let verifier = TokenVerifier::new(issuer.clone(), client_id.clone(), Arc::new(StaticKeys(key.jwks())));
        Self { table, key, issuer, client_id, mail, verifier, clock_offset: chrono::Duration::zero() }
    }

    /// Tells time shifted by `offset` (TOTP codes, expiries), to rehearse another moment.
    pub fn with_clock_offset(mut self, offset: chrono::Duration) -> Self {
        self.clock_offset = offset;
        self
    }

    /// The public keys, served as the JWKS.
    pub fn jwks(&self) -> JwkSet {
        self.key.jwks()
    }

    /// The issuer URL tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The app client id tokens carry.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    async fn read<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, IdentityError> {
        match self.table.get(key).await.map_err(outage)? {
            Some(i) => Ok(Some(item::from_item(i).map_err(outage)?)),
            None => Ok(None),
        }
    }

    async fn user(&self, username: &str) -> Result<IdpUser, IdentityError> {
        self.read(&user_key(username)).await?.ok_or(IdentityError::UserNotFound)
    }

    /// Writes a user read at `u.version`, bumping it.
    async fn save(&self, mut u: IdpUser) -> Result<(), IdentityError> {
        let expected = u.version;
        u.version += 1;
        let it = record(&user_key(&u.username), "identity", &u, None)?;
        self.table.put(it, Condition::VersionIs(expected)).await.map_err(store_error)
    }

    /// The user of a valid, unrevoked access token of this provider.
    async fn token_user(&self, access_token: &str) -> Result<IdpUser, IdentityError> {
        let claims = self.verifier.verify(access_token).await.map_err(|e| match e {
            VerifyError::Keys(k) => outage(k),
            _ => IdentityError::NotAuthorized,
        })?;
        let u = self.read::<IdpUser>(&user_key(&claims.username)).await?.ok_or(IdentityError::NotAuthorized)?;
        if !u.enabled || claims.iat <= u.tokens_valid_after {
            return Err(IdentityError::NotAuthorized);
        }
        Ok(u)
    }

    async fn challenge(&self, username: &str, name: ChallengeName) -> Result<SignIn, IdentityError> {
        let session = random_token(32).map_err(outage)?;
        let expires_at = self.now().timestamp() + SESSION_SECONDS;
        let s = Session { username: username.to_owned(), challenge: name, attempts: 0, expires_at };
        let it = record(&session_key(&session), "identitySession", &s, Some(expires_at))?;
        self.table.put(it, Condition::NotExists).await.map_err(store_error)?;
        Ok(SignIn::Challenge { name, session })
    }

    /// A live session of `username` for `name` (not yet consumed).
    async fn session(&self, username: &str, session: &str, name: ChallengeName) -> Result<Session, IdentityError> {
        let s: Session = self.read(&session_key(session)).await?.ok_or(IdentityError::Expired)?;
        if s.username != username || s.challenge != name || s.expires_at <= self.now().timestamp() {
            return Err(IdentityError::Expired);
        }
        Ok(s)
    }

    /// Consumes a session: exactly one answer may use it.
    async fn consume(&self, session: &str) -> Result<(), IdentityError> {
        match self.table.delete(&session_key(session), Condition::Exists).await {
            Ok(_) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(IdentityError::Expired),
            Err(e) => Err(outage(e)),
        }
    }

    /// Counts a wrong answer; the session dies after [`MAX_CODE_ATTEMPTS`].
    async fn wrong_answer(&self, session: &str, s: &Session) -> Result<(), IdentityError> {
        let key = session_key(session);
        if s.attempts + 1 >= MAX_CODE_ATTEMPTS {
            self.table.delete(&key, Condition::Always).await.map_err(outage)?;
        } else {
            let update = Update::new().set("attempts", s.attempts + 1);
            self.table.update(&key, update, Condition::Exists).await.map_err(store_error)?;
        }
        Ok(())
    }

    /// Issues tokens: a new sign-in (family) when `family` is `None`, else a rotation within it.
    async fn issue(
        &self,
        u: &IdpUser,
        family: Option<(String, i64)>,
        rotated: Option<&str>,
    ) -> Result<Tokens, IdentityError> {
        let now = self.now().timestamp();
        // Revocation works in whole seconds (a token's `iat`): a token issued in the second of
        // a revocation, after it, is stamped the next second so it is not caught by it.
        let iat = now.max(u.tokens_valid_after + 1);
        let refresh = random_token(32).map_err(outage)?;
        let refresh_expires = now + REFRESH_TOKEN_DAYS * 86_400;
        let mut ops = Vec::new();
        let (family_id, auth_time) = match family {
            Some(f) => f,
            None => {
                let id = ulid::Ulid::new().to_string();
                let f = Family { created_at: iat, auth_time: now, revoked: false, expires_at: refresh_expires };
                let it = record(&family_key(&u.username, &id), "identityFamily", &f, Some(refresh_expires))?;
                ops.push(TransactOp::Put { item: it, condition: Condition::NotExists });
                (id, now)
            }
        };
        let r = RefreshRecord {
            username: u.username.clone(),
            family: family_id.clone(),
            state: "active".into(),
            expires_at: refresh_expires,
        };
        let it = record(&refresh_key(&refresh), "identityRefresh", &r, Some(refresh_expires))?;
        ops.push(TransactOp::Put { item: it, condition: Condition::NotExists });
        if let Some(old) = rotated {
            ops.push(TransactOp::Update {
                key: refresh_key(old),
                update: Update::new().set("state", "rotated"),
                condition: Condition::Equals("state".into(), Value::from("active")),
            });
        }
        self.table.transact(ops).await.map_err(store_error)?;
        let claims = AccessClaims {
            sub: u.username.clone(),
            username: u.username.clone(),
            iss: self.issuer.clone(),
            client_id: self.client_id.clone(),
            token_use: "access".into(),
            auth_time,
            iat,
            exp: iat + ACCESS_TOKEN_SECONDS,
            jti: ulid::Ulid::new().to_string(),
            origin_jti: Some(family_id),
            scope: Some("aws.cognito.signin.user.admin".into()),
        };
        let access_token = self.key.sign(&claims).map_err(outage)?;
        Ok(Tokens {
            access_token,
            refresh_token: refresh,
            expires_in: ACCESS_TOKEN_SECONDS,
            token_type: "Bearer".into(),
        })
    }

    /// After the password (and a new one, if it was temporary): TOTP if enrolled, else tokens.
    async fn after_password(&self, u: &IdpUser) -> Result<SignIn, IdentityError> {
        if u.totp_secret.is_some() {
            return self.challenge(&u.username, ChallengeName::SoftwareTokenMfa).await;
        }
        Ok(SignIn::Tokens(self.issue(u, None, None).await?))
    }

    async fn revoke_family(&self, username: &str, family: &str) -> Result<(), IdentityError> {
        let update = Update::new().set("revoked", true);
        match self.table.update(&family_key(username, family), update, Condition::Exists).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(outage(e)),
        }
    }

    async fn set_tokens_valid_after(&self, username: &str) -> Result<(), IdentityError> {
        let mut u = self.user(username).await?;
        u.tokens_valid_after = self.now().timestamp();
        self.save(u).await
    }
}

#[async_trait]
impl Identity for LocalIdentity {
    async fn probe(&self) -> Result<(), IdentityError> {
        self.read::<IdpUser>(&user_key("health-probe")).await.map(|_| ())
    }

    async fn sign_in(&self, username: &str, pw: &str) -> Result<SignIn, IdentityError> {
        let Some(u) = self.read::<IdpUser>(&user_key(username)).await? else {
            verify_password(pw, DECOY_HASH).await;
            return Err(IdentityError::NotAuthorized);
        };
        if !verify_password(pw, &u.password_hash).await || !u.enabled {
            return Err(IdentityError::NotAuthorized);
        }
        match u.temporary_until {
            Some(until) if until <= self.now().timestamp() => Err(IdentityError::NotAuthorized),
            Some(_) => self.challenge(username, ChallengeName::NewPasswordRequired).await,
            None => self.after_password(&u).await,
        }
    }

    async fn respond_new_password(&self, username: &str, session: &str, new: &str) -> Result<SignIn, IdentityError> {
        self.session(username, session, ChallengeName::NewPasswordRequired).await?;
        let hash = hash_password(new).await?;
        self.consume(session).await?;
        let mut u = self.user(username).await.map_err(|_| IdentityError::NotAuthorized)?;
        if !u.enabled {
            return Err(IdentityError::NotAuthorized);
        }
        u.password_hash = hash;
        u.temporary_until = None;
        self.save(u.clone()).await?;
        u.version += 1;
        self.after_password(&u).await
    }

    async fn respond_mfa(&self, username: &str, session: &str, code: &str) -> Result<SignIn, IdentityError> {
        let s = self.session(username, session, ChallengeName::SoftwareTokenMfa).await?;
        let mut u = self.user(username).await.map_err(|_| IdentityError::NotAuthorized)?;
        let secret = u.totp_secret.as_deref().and_then(totp::decode_secret).ok_or(IdentityError::NotAuthorized)?;
        let step = totp::verify(&secret, code, self.now().timestamp().max(0) as u64)
            // A code is good once: a replayed (or older) step is refused.
            .filter(|step| u.last_totp_step.is_none_or(|last| *step > last));
        let Some(step) = step else {
            self.wrong_answer(session, &s).await?;
            return Err(IdentityError::CodeMismatch);
        };
        self.consume(session).await?;
        if !u.enabled {
            return Err(IdentityError::NotAuthorized);
        }
        u.last_totp_step = Some(step);
        self.save(u.clone()).await?;
        Ok(SignIn::Tokens(self.issue(&u, None, None).await?))
    }

    async fn refresh(&self, token: &str) -> Result<Tokens, IdentityError> {
        let now = self.now().timestamp();
        let r: RefreshRecord = self.read(&refresh_key(token)).await?.ok_or(IdentityError::NotAuthorized)?;
        if r.expires_at <= now {
            return Err(IdentityError::NotAuthorized);
        }
        let u = self.read::<IdpUser>(&user_key(&r.username)).await?.ok_or(IdentityError::NotAuthorized)?;
        let f: Family = self.read(&family_key(&r.username, &r.family)).await?.ok_or(IdentityError::NotAuthorized)?;
        if !u.enabled || f.revoked || f.created_at <= u.tokens_valid_after {
            return Err(IdentityError::NotAuthorized);
        }
        if r.state != "active" {
            // A rotated token came back: someone holds a copy. End the whole sign-in.
            self.revoke_family(&r.username, &r.family).await?;
            return Err(IdentityError::NotAuthorized);
        }
        match self.issue(&u, Some((r.family.clone(), f.auth_time)), Some(token)).await {
            Err(IdentityError::InvalidState(_)) => {
                // Another request rotated it first: the same token was used twice.
                self.revoke_family(&r.username, &r.family).await?;
                Err(IdentityError::NotAuthorized)
            }
            other => other,
        }
    }

    async fn revoke(&self, token: &str) -> Result<(), IdentityError> {
        // Revoking an unknown token succeeds quietly (RFC 7009).
        match self.read::<RefreshRecord>(&refresh_key(token)).await? {
            Some(r) => self.revoke_family(&r.username, &r.family).await,
            None => Ok(()),
        }
    }

    async fn sign_out(&self, access_token: &str) -> Result<(), IdentityError> {
        let u = self.token_user(access_token).await?;
        self.set_tokens_valid_after(&u.username).await
    }

    async fn change_password(&self, access_token: &str, current: &str, new: &str) -> Result<(), IdentityError> {
        let mut u = self.token_user(access_token).await?;
        if !verify_password(current, &u.password_hash).await {
            return Err(IdentityError::NotAuthorized);
        }
        u.password_hash = hash_password(new).await?;
        self.save(u).await
    }

    async fn forgot_password(&self, username: &str) -> Result<(), IdentityError> {
        let u = self.user(username).await?;
        if !u.enabled {
            return Err(IdentityError::UserNotFound);
        }
        let mut raw = [0u8; 4];
        getrandom::fill(&mut raw).map_err(outage)?;
        let code = format!("{:06}", u32::from_le_bytes(raw) % 1_000_000);
        let expires_at = self.now().timestamp() + RESET_CODE_SECONDS;
        let r = ResetCode { code_hash: digest(&format!("{username}:{code}")), attempts: 0, expires_at };
        let it = record(&reset_key(username), "identityReset", &r, Some(expires_at))?;
        self.table.put(it, Condition::Always).await.map_err(outage)?;
        let body = format!(
            "Someone asked to reset the password of your PodcastFlow account.\n\n\
             Your code: {code}\n\nIt works once within the next hour. If it was not you, ignore this message."
        );
        let message =
            Message { to: u.email, subject: "Your PodcastFlow password reset code".into(), body, ..Message::default() };
        self.mail.send(&message).await.map_err(outage)
    }

    async fn confirm_forgot_password(&self, username: &str, code: &str, new: &str) -> Result<(), IdentityError> {
        let key = reset_key(username);
        let r: ResetCode = self.read(&key).await?.ok_or(IdentityError::Expired)?;
        if r.expires_at <= self.now().timestamp() {
            return Err(IdentityError::Expired);
        }
        if r.code_hash != digest(&format!("{username}:{}", code.trim())) {
            if r.attempts + 1 >= MAX_CODE_ATTEMPTS {
                self.table.delete(&key, Condition::Always).await.map_err(outage)?;
            } else {
                let update = Update::new().set("attempts", r.attempts + 1);
                self.table.update(&key, update, Condition::Exists).await.map_err(store_error)?;
            }
            return Err(IdentityError::CodeMismatch);
        }
        let hash = hash_password(new).await?;
        match self.table.delete(&key, Condition::Exists).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed { .. }) => return Err(IdentityError::Expired),
            Err(e) => return Err(outage(e)),
        }
        let mut u = self.user(username).await?;
        u.password_hash = hash;
        u.temporary_until = None;
        // A reset ends every sign-in: whoever knew the old password is out.
        u.tokens_valid_after = self.now().timestamp();
        self.save(u).await
    }

    async fn associate_totp(&self, access_token: &str) -> Result<TotpEnrolment, IdentityError> {
        let mut u = self.token_user(access_token).await?;
        let secret = totp::encode_secret(&totp::new_secret().map_err(outage)?);
        u.totp_pending = Some(secret.clone());
        self.save(u).await?;
        Ok(TotpEnrolment { secret })
    }

    async fn verify_totp(&self, access_token: &str, code: &str) -> Result<(), IdentityError> {
        let mut u = self.token_user(access_token).await?;
        let pending =
            u.totp_pending.clone().ok_or_else(|| IdentityError::InvalidState("no TOTP setup in progress".into()))?;
        let secret = totp::decode_secret(&pending).ok_or_else(|| outage("stored TOTP secret is corrupt"))?;
        let step =
            totp::verify(&secret, code, self.now().timestamp().max(0) as u64).ok_or(IdentityError::CodeMismatch)?;
        u.totp_secret = Some(pending);
        u.totp_pending = None;
        u.last_totp_step = Some(step);
        self.save(u).await
    }

    async fn admin_create_user(
        &self,
        username: &str,
        email: &str,
        temporary: Option<&str>,
    ) -> Result<(), IdentityError> {
        let generated = match temporary {
            Some(_) => None,
            None => Some(generate_password()?),
        };
        let pw = temporary.or(generated.as_deref()).unwrap_or_default();
        let u = IdpUser {
            username: username.to_owned(),
            email: email.to_owned(),
            password_hash: hash_password(pw).await?,
            temporary_until: Some(self.now().timestamp() + TEMPORARY_PASSWORD_DAYS * 86_400),
            enabled: true,
            totp_secret: None,
            totp_pending: None,
            last_totp_step: None,
            tokens_valid_after: 0,
            version: 1,
        };
        let it = record(&user_key(username), "identity", &u, None)?;
        match self.table.put(it, Condition::NotExists).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => return Err(IdentityError::UserExists),
            Err(e) => return Err(outage(e)),
        }
        if let Some(pw) = generated {
            let body = format!(
                "You have been invited to PodcastFlow.\n\nSign in with your e-mail address {email} and the \
                 temporary password\n\n    {pw}\n\nwithin {TEMPORARY_PASSWORD_DAYS} days; you will be asked to choose \
                 a password of your own."
            );
            let message = Message {
                to: email.to_owned(),
                subject: "Your PodcastFlow invitation".into(),
                body,
                ..Message::default()
            };
            self.mail.send(&message).await.map_err(outage)?;
        }
        Ok(())
    }

    async fn admin_set_password(&self, username: &str, pw: &str) -> Result<(), IdentityError> {
        let mut u = self.user(username).await?;
        u.password_hash = hash_password(pw).await?;
        u.temporary_until = None;
        self.save(u).await
    }

    async fn admin_delete_user(&self, username: &str) -> Result<(), IdentityError> {
        match self.table.delete(&user_key(username), Condition::Exists).await {
            Ok(_) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(IdentityError::UserNotFound),
            Err(e) => Err(outage(e)),
        }
    }

    async fn admin_disable_user(&self, username: &str) -> Result<(), IdentityError> {
        let mut u = self.user(username).await?;
        u.enabled = false;
        u.tokens_valid_after = self.now().timestamp();
        self.save(u).await
    }

    async fn admin_enable_user(&self, username: &str) -> Result<(), IdentityError> {
        let mut u = self.user(username).await?;
        u.enabled = true;
        self.save(u).await
    }

    async fn admin_sign_out(&self, username: &str) -> Result<(), IdentityError> {
        self.set_tokens_valid_after(username).await
    }
}
