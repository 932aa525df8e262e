//! The routes of `auth`.

use std::sync::Arc;

use chrono::Utc;
use lambda_http::http::{Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use podcastflow_domain::keys::platform;
use podcastflow_domain::organization::OrgStatus;
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::{Principal, PrincipalKind, UserId};
use podcastflow_identity::local::REFRESH_TOKEN_DAYS;
use podcastflow_identity::tokens::{digest, unverified_claims};
use podcastflow_identity::{IdentityError, SignIn, totp};
use podcastflow_platform::{
    Failure, Outage, Outcome, Problem, json, json_body, json_with_etag, no_content, principal, request_id,
};
use podcastflow_store::Table;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::sign_ins::{Rotated, SignInRepo};
use podcastflow_store::repo::throttle::{Limit, LoginThrottle, Standing};
use podcastflow_store::repo::users::{EmailClaim, UserRepo};
use serde::{Deserialize, Serialize};

use crate::AuthApp;

/// Failed sign-ins one account may have in 15 minutes (docs/domain.md).
pub const ACCOUNT_LIMIT: Limit = Limit { max: 10, window_seconds: 900 };
/// Failed sign-ins one client IP may have in 15 minutes (offices share addresses).
pub const IP_LIMIT: Limit = Limit { max: 50, window_seconds: 900 };
/// Reset mails one account may ask for in 15 minutes.
pub const RESET_LIMIT: Limit = Limit { max: 5, window_seconds: 900 };

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Challenge {
    challenge: podcastflow_identity::ChallengeName,
    session: String,
    #[serde(default)]
    new_password: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Logout {
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChangePassword {
    current_password: String,
    new_password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Forgot {
    email: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Confirm {
    email: String,
    code: String,
    new_password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Code {
    code: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChallengeAnswer {
    challenge: podcastflow_identity::ChallengeName,
    session: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Enrolment {
    secret: String,
    otpauth_uri: String,
}

fn invalid_credentials() -> Problem {
    Problem::new("invalid-credentials", StatusCode::UNAUTHORIZED, "Sign-in failed")
        .detail("incorrect e-mail or password")
}

/// What an identity failure means to the client.
fn identity_failure(e: IdentityError, password_field: &str) -> Failure {
    match e {
        IdentityError::NotAuthorized | IdentityError::UserNotFound => Failure::Client(invalid_credentials()),
        IdentityError::InvalidPassword(why) => Failure::Client(Problem::field(password_field, "weak_password", &why)),
        IdentityError::CodeMismatch => Failure::Client(Problem::field("code", "mismatch", "the code is not right")),
        IdentityError::Expired => Failure::Client(
            Problem::new("expired", StatusCode::UNAUTHORIZED, "Expired")
                .detail("the session or code has expired or was used; start again"),
        ),
        IdentityError::InvalidState(why) => {
            Failure::Client(Problem::new("invalid-state", StatusCode::CONFLICT, "Not possible now").detail(why))
        }
        IdentityError::TooManyAttempts => Failure::Client(too_many(60)),
        IdentityError::UserExists => Failure::Client(Problem::new("conflict", StatusCode::CONFLICT, "Conflict")),
        IdentityError::Unavailable(why) => Failure::Outage(Outage(why)),
    }
}

fn too_many(retry_after: i64) -> Problem {
    let mut p = Problem::new("too-many-attempts", StatusCode::TOO_MANY_REQUESTS, "Too many attempts")
        .detail(format!("try again in {retry_after} seconds"));
    p.retry_after = Some(retry_after.max(1) as u64);
    p
}

fn source_ip(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(c)) => c.identity.source_ip.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// 400 for what cannot be an e-mail address, before any store call: no key is built from it
/// (DynamoDB refuses keys over 2 KiB), and nothing is learnt from the shape of an address.
fn plausible(email: &str) -> Result<(), Problem> {
    match podcastflow_domain::validation::is_plausible_email(email.trim()) {
        true => Ok(()),
        false => Err(Problem::field("email", "invalid", "must be an e-mail address")),
    }
}

/// The throttle subject counting one user's wrong MFA codes.
fn mfa_subject(user: &UserId) -> String {
    format!("mfa#{user}")
}

/// The throttle subject counting one address's failed sign-ins.
fn account_subject(email: &str) -> String {
    format!("account#{}", digest(&email.trim().to_lowercase()))
}

/// The access token the request was authorized with.
fn bearer(req: &Request) -> Result<String, Problem> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned())
        .ok_or_else(|| {
            Problem::new("unauthenticated", StatusCode::UNAUTHORIZED, "Not signed in")
                .detail("send the access token as a bearer token")
        })
}

/// A signed-in user (not an API key).
fn user_principal(req: &Request) -> Result<Principal, Problem> {
    let p = principal(req)?;
    if p.kind != PrincipalKind::User {
        return Err(Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden").detail("only users have a profile"));
    }
    Ok(p)
}

/// Our session handle: the user id and the provider's session, so the answer needs no e-mail.
fn wrap_session(user: &UserId, session: &str) -> String {
    format!("{user}.{session}")
}

fn unwrap_session(s: &str) -> Option<(UserId, &str)> {
    let (u, rest) = s.split_once('.')?;
    Some((u.parse().ok()?, rest))
}

impl AuthApp {
    /// E-mail claims and membership lookups, with the function's own credentials.
    fn users(&self) -> UserRepo<'_> {
        UserRepo::new(self.ctx.table.as_ref(), &self.ctx.cursors)
    }

    /// A user's records in their organization, through that organization's session.
    fn org_users<'a>(&'a self, table: &'a Arc<dyn Table>) -> UserRepo<'a> {
        UserRepo::new(table.as_ref(), &self.ctx.cursors)
    }

    fn throttle(&self) -> LoginThrottle<'_> {
        LoginThrottle::new(self.ctx.table.as_ref())
    }

    /// Turns a sign-in step into the answer; tokens mark an invited user active.
    async fn answer(&self, user: &UserId, step: SignIn, rid: &str) -> Outcome {
        match step {
            SignIn::Tokens(t) => {
                self.activate(user).await?;
                Ok(json(StatusCode::OK, &t, rid))
            }
            SignIn::Challenge { name, session } => {
                let body = ChallengeAnswer { challenge: name, session: wrap_session(user, &session) };
                Ok(json(StatusCode::OK, &body, rid))
            }
        }
    }

    /// Refuses every token of `user` issued until now (sign-out, password reset): their
    /// membership, found through the lookup, is changed through their organization's session.
    async fn revoke_tokens(&self, user: &UserId) -> Result<(), Failure> {
        let m = self.users().membership(user).await?.ok_or(podcastflow_store::repo::RepoError::NotFound)?;
        self.org_users(&self.ctx.org_table(&m.org_id)).revoke_tokens(&m.org_id, user, Utc::now()).await?;
        Ok(())
    }

    /// The first completed sign-in turns an invitation into an active user.
    async fn activate(&self, id: &UserId) -> Result<(), Failure> {
        let Some(m) = self.users().membership(id).await? else { return Ok(()) };
        if m.status != UserStatus::Invited {
            return Ok(());
        }
        let org = self.ctx.org_table(&m.org_id);
        if let Some(u) = self.org_users(&org).get(&m.org_id, id).await? {
            let mut next: User = u.clone();
            next.status = UserStatus::Active;
            next.stamp = u.stamp.touched(*id, Utc::now());
            self.org_users(&org).update(&next, u.stamp.version, None).await?;
        }
        Ok(())
    }

    async fn login(&self, req: &Request, rid: &str) -> Outcome {
        let body: Login = json_body(req)?;
        plausible(&body.email)?;
        let (account, ip) = (account_subject(&body.email), format!("ip#{}", source_ip(req)));
        let now = Utc::now();
        // The e-mail's claim is read with the throttle counters: one batch read.
        let standing: Standing<EmailClaim> = self
            .throttle()
            .standing(&[(&account, ACCOUNT_LIMIT), (&ip, IP_LIMIT)], &platform::email(body.email.trim()), now)
            .await?;
        if let Some(wait) = standing.retry_after {
            return Err(too_many(wait).into());
        }
        let claim = standing.also;
        // Unknown e-mails go through the same password work under a name nobody has.
        let user = claim.as_ref().map_or_else(UserId::new, |c| c.user_id);
        match self.identity.sign_in(&user.to_string(), &body.password).await {
            Ok(step) => {
                // Only a completed sign-in clears the account's failures: a right password
                // followed by wrong MFA codes must not reset the count.
                if matches!(step, SignIn::Tokens(_)) && standing.with_failures.contains(&account) {
                    self.throttle().clear(&account).await?;
                }
                if let Some(c) = &claim {
                    let org = OrganizationRepo::new(self.ctx.org_table(&c.org_id).as_ref(), &self.ctx.cursors)
                        .get(&c.org_id)
                        .await?;
                    if org.is_some_and(|o| o.status == OrgStatus::Suspended) {
                        return Err(Problem::new(
                            "organization-suspended",
                            StatusCode::FORBIDDEN,
                            "Organization suspended",
                        )
                        .detail("your organization's access is suspended; contact the platform operator")
                        .into());
                    }
                }
                self.answer(&user, step, rid).await
            }
            Err(IdentityError::NotAuthorized | IdentityError::UserNotFound) => {
                self.throttle().record_failure(&account, ACCOUNT_LIMIT, now).await?;
                self.throttle().record_failure(&ip, IP_LIMIT, now).await?;
                Err(invalid_credentials().into())
            }
            Err(e) => Err(identity_failure(e, "password")),
        }
    }

    async fn challenge(&self, req: &Request, rid: &str) -> Outcome {
        let body: Challenge = json_body(req)?;
        let Some((user, session)) = unwrap_session(&body.session) else {
            return Err(identity_failure(IdentityError::Expired, "newPassword"));
        };
        let username = user.to_string();
        let step = match body.challenge {
            podcastflow_identity::ChallengeName::NewPasswordRequired => {
                let pw =
                    body.new_password.ok_or_else(|| Problem::field("newPassword", "required", "the new password"))?;
                self.identity.respond_new_password(&username, session, &pw).await
            }
            podcastflow_identity::ChallengeName::SoftwareTokenMfa => {
                let code = body
                    .code
                    .ok_or_else(|| Problem::field("code", "required", "the code from the authenticator app"))?;
                // Wrong codes count per account, across sign-ins, like wrong passwords.
                let (subject, now) = (mfa_subject(&user), Utc::now());
                if let Some(wait) = self.throttle().retry_after(&subject, ACCOUNT_LIMIT, now).await? {
                    return Err(too_many(wait).into());
                }
                let answered = self.identity.respond_mfa(&username, session, &code).await;
                if matches!(answered, Err(IdentityError::CodeMismatch)) {
                    self.throttle().record_failure(&subject, ACCOUNT_LIMIT, now).await?;
                }
                answered
            }
        };
        match step {
            Ok(step) => {
                if matches!(step, SignIn::Tokens(_)) {
                    self.clear_failures(&user).await?;
                }
                self.answer(&user, step, rid).await
            }
            Err(e) => Err(identity_failure(e, "newPassword")),
        }
    }

    /// After a sign-in completed through a challenge: the account's failed passwords and codes
    /// are forgotten (its e-mail read from its record, since the challenge names only the user).
    async fn clear_failures(&self, user: &UserId) -> Result<(), Failure> {
        self.throttle().clear(&mfa_subject(user)).await?;
        let Some(m) = self.users().membership(user).await? else { return Ok(()) };
        let org = self.ctx.org_table(&m.org_id);
        if let Some(u) = self.org_users(&org).get(&m.org_id, user).await? {
            self.throttle().clear(&account_subject(&u.email)).await?;
        }
        Ok(())
    }

    /// Exchanges a refresh token. Each exchanged token is remembered (by digest) with its sign-in,
    /// so when one comes back, whichever provider refused it, the sign-in ends: its access tokens
    /// are refused by the authorizer at once and it cannot be refreshed again.
    async fn refresh(&self, req: &Request, rid: &str) -> Outcome {
        let body: Refresh = json_body(req)?;
        let presented = digest(&body.refresh_token);
        let sign_ins = SignInRepo::new(self.ctx.table.as_ref());
        let now = Utc::now();
        let until = now + chrono::Duration::days(REFRESH_TOKEN_DAYS);
        match self.identity.refresh(&body.refresh_token).await {
            Ok(tokens) => {
                let issued = unverified_claims(&tokens.access_token)
                    .and_then(|c| Some((c.username.parse::<UserId>().ok()?, c.origin_jti?)));
                if let Some((user, origin)) = issued {
                    // A sign-in ended by reuse stays ended, whatever the provider still honours.
                    if sign_ins.standing(&user, Some(&origin)).await?.1 {
                        let _ = self.identity.revoke(&tokens.refresh_token).await;
                        return Err(identity_failure(IdentityError::NotAuthorized, "refreshToken"));
                    }
                    if tokens.refresh_token != body.refresh_token {
                        let rotated = Rotated { user_id: user, origin };
                        sign_ins.record_rotation(&presented, &rotated, until).await?;
                    }
                }
                Ok(json(StatusCode::OK, &tokens, rid))
            }
            Err(IdentityError::NotAuthorized) => {
                if let Some(r) = sign_ins.rotation(&presented).await? {
                    tracing::warn!(user = %r.user_id, "a rotated refresh token came back; its sign-in ends");
                    // Kept beside the membership, through its organization's session.
                    if let Some(m) = self.users().membership(&r.user_id).await? {
                        let org = self.ctx.org_table(&m.org_id);
                        SignInRepo::new(org.as_ref()).revoke(&m.org_id, &r.user_id, &r.origin, until).await?;
                    }
                }
                Err(identity_failure(IdentityError::NotAuthorized, "refreshToken"))
            }
            Err(e) => Err(identity_failure(e, "refreshToken")),
        }
    }

    async fn logout(&self, req: &Request, rid: &str) -> Outcome {
        let p = user_principal(req)?;
        let body: Logout = if req.body().is_empty() { Logout::default() } else { json_body(req)? };
        // The membership first: from this second on the authorizer refuses the user's tokens.
        self.revoke_tokens(&p.user_id).await?;
        let token = bearer(req)?;
        match self.identity.sign_out(&token).await {
            Ok(()) | Err(IdentityError::NotAuthorized) => {}
            Err(e) => return Err(identity_failure(e, "refreshToken")),
        }
        if let Some(r) = body.refresh_token {
            self.identity.revoke(&r).await.map_err(|e| identity_failure(e, "refreshToken"))?;
        }
        Ok(no_content(rid))
    }

    async fn change_password(&self, req: &Request, rid: &str) -> Outcome {
        user_principal(req)?;
        let body: ChangePassword = json_body(req)?;
        match self.identity.change_password(&bearer(req)?, &body.current_password, &body.new_password).await {
            Ok(()) => Ok(no_content(rid)),
            Err(IdentityError::NotAuthorized) => {
                Err(Problem::field("currentPassword", "incorrect", "the current password is not right").into())
            }
            Err(e) => Err(identity_failure(e, "newPassword")),
        }
    }

    async fn forgot(&self, req: &Request, rid: &str) -> Outcome {
        let body: Forgot = json_body(req)?;
        plausible(&body.email)?;
        let subject = format!("reset#{}", account_subject(&body.email));
        let now = Utc::now();
        // Always the same answer; a flood of requests for one address is quietly dropped.
        if self.throttle().retry_after(&subject, RESET_LIMIT, now).await?.is_none() {
            self.throttle().record_failure(&subject, RESET_LIMIT, now).await?;
            if let Some(c) = self.users().find_by_email(body.email.trim()).await? {
                match self.identity.forgot_password(&c.user_id.to_string()).await {
                    Ok(()) | Err(IdentityError::UserNotFound | IdentityError::NotAuthorized) => {}
                    Err(e) => return Err(identity_failure(e, "email")),
                }
            }
        }
        Ok(json(
            StatusCode::ACCEPTED,
            &serde_json::json!({"status": "if the address is known, a code is on its way"}),
            rid,
        ))
    }

    async fn confirm(&self, req: &Request, rid: &str) -> Outcome {
        let body: Confirm = json_body(req)?;
        plausible(&body.email)?;
        let Some(c) = self.users().find_by_email(body.email.trim()).await? else {
            return Err(identity_failure(IdentityError::CodeMismatch, "newPassword"));
        };
        let username = c.user_id.to_string();
        self.identity
            .confirm_forgot_password(&username, &body.code, &body.new_password)
            .await
            .map_err(|e| identity_failure(e, "newPassword"))?;
        self.revoke_tokens(&c.user_id).await?;
        self.activate(&c.user_id).await?;
        Ok(no_content(rid))
    }

    async fn mfa_setup(&self, req: &Request, rid: &str) -> Outcome {
        let p = user_principal(req)?;
        let enrolment = self.identity.associate_totp(&bearer(req)?).await.map_err(|e| identity_failure(e, "code"))?;
        let account = match self.users().membership(&p.user_id).await? {
            Some(m) => self
                .org_users(&self.ctx.org_table(&m.org_id))
                .get(&m.org_id, &p.user_id)
                .await?
                .map(|u| u.email)
                .unwrap_or_default(),
            None => String::new(),
        };
        let secret = totp::decode_secret(&enrolment.secret)
            .ok_or_else(|| Outage("provider sent a secret that is not base32".into()))?;
        let body = Enrolment {
            otpauth_uri: totp::provisioning_uri("PodcastFlow", &account, &secret),
            secret: enrolment.secret,
        };
        Ok(json(StatusCode::OK, &body, rid))
    }

    async fn mfa_verify(&self, req: &Request, rid: &str) -> Outcome {
        user_principal(req)?;
        let body: Code = json_body(req)?;
        self.identity.verify_totp(&bearer(req)?, &body.code).await.map_err(|e| identity_failure(e, "code"))?;
        Ok(no_content(rid))
    }

    async fn me(&self, req: &Request, rid: &str) -> Outcome {
        let p = user_principal(req)?;
        // The home organization, not one master chose with X-Org-Id.
        let m = self.users().membership(&p.user_id).await?.ok_or_else(invalid_credentials)?;
        let u = self
            .org_users(&self.ctx.org_table(&m.org_id))
            .get(&m.org_id, &p.user_id)
            .await?
            .ok_or_else(invalid_credentials)?;
        // The caller's own record, whole, as their GET /users/{id} shows it (and with its ETag).
        Ok(json_with_etag(StatusCode::OK, &u, u.stamp.version, rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &AuthApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    match (req.method(), req.raw_http_path()) {
        (&Method::POST, "/auth/login") => app.login(req, &rid).await,
        (&Method::POST, "/auth/challenge") => app.challenge(req, &rid).await,
        (&Method::POST, "/auth/refresh") => app.refresh(req, &rid).await,
        (&Method::POST, "/auth/logout") => app.logout(req, &rid).await,
        (&Method::POST, "/auth/password") => app.change_password(req, &rid).await,
        (&Method::POST, "/auth/password/forgot") => app.forgot(req, &rid).await,
        (&Method::POST, "/auth/password/confirm") => app.confirm(req, &rid).await,
        (&Method::POST, "/auth/mfa/setup") => app.mfa_setup(req, &rid).await,
        (&Method::POST, "/auth/mfa/verify") => app.mfa_verify(req, &rid).await,
        (&Method::GET, "/auth/me") => app.me(req, &rid).await,
        (m, p) => Err(Problem::route_not_found(m.as_str(), p).into()),
    }
}
