//! The Cognito adapter of the identity port (aws-sdk-cognitoidentityprovider). User names are
//! PodcastFlow user ids; the app client has no secret and allows USER_PASSWORD_AUTH and
//! REFRESH_TOKEN_AUTH. Cognito's REFRESH_TOKEN_AUTH does not rotate refresh tokens: the same one
//! comes back (rotation and reuse detection are the local provider's; in AWS enable the app
//! client's refresh-token rotation when the SDK's GetTokensFromRefreshToken is adopted).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType, DeliveryMediumType, MessageActionType,
    SoftwareTokenMfaSettingsType, VerifySoftwareTokenResponseType,
};

use crate::port::{ChallengeName, Identity, IdentityError, SignIn, Tokens, TotpEnrolment};

/// The identity port on a Cognito user pool.
pub struct CognitoIdentity {
    client: Client,
    pool_id: String,
    client_id: String,
}

/// What a Cognito error means to the port. `admin`: the caller named the user (so an unknown
/// user is [`IdentityError::UserNotFound`] rather than a failed sign-in).
fn map<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(e: SdkError<E, R>, admin: bool) -> IdentityError {
    let message = e.message().unwrap_or_default().to_owned();
    match e.code() {
        Some("UserNotFoundException") if admin => IdentityError::UserNotFound,
        Some(
            "NotAuthorizedException"
            | "UserNotFoundException"
            | "UserNotConfirmedException"
            | "PasswordResetRequiredException",
        ) => IdentityError::NotAuthorized,
        Some("InvalidPasswordException") => IdentityError::InvalidPassword(message),
        Some("CodeMismatchException" | "EnableSoftwareTokenMFAException") => IdentityError::CodeMismatch,
        Some("ExpiredCodeException") => IdentityError::Expired,
        Some("UsernameExistsException" | "AliasExistsException") => IdentityError::UserExists,
        Some("TooManyRequestsException" | "LimitExceededException" | "TooManyFailedAttemptsException") => {
            IdentityError::TooManyAttempts
        }
        Some("InvalidParameterException") => IdentityError::InvalidState(message),
        _ => IdentityError::Unavailable(format!("{e:?}")),
    }
}

fn tokens(r: Option<&AuthenticationResultType>, refresh_fallback: Option<&str>) -> Result<Tokens, IdentityError> {
    let r = r.ok_or_else(|| IdentityError::Unavailable("Cognito answered without tokens or a challenge".into()))?;
    let access_token = r
        .access_token()
        .ok_or_else(|| IdentityError::Unavailable("Cognito answered without an access token".into()))?;
    let refresh_token = r.refresh_token().or(refresh_fallback).unwrap_or_default().to_owned();
    Ok(Tokens {
        access_token: access_token.to_owned(),
        refresh_token,
        expires_in: i64::from(r.expires_in()),
        token_type: "Bearer".into(),
    })
}

fn step(
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
    result: Option<&AuthenticationResultType>,
) -> Result<SignIn, IdentityError> {
    let name = match challenge {
        None => return Ok(SignIn::Tokens(tokens(result, None)?)),
        Some(ChallengeNameType::NewPasswordRequired) => ChallengeName::NewPasswordRequired,
        Some(ChallengeNameType::SoftwareTokenMfa) => ChallengeName::SoftwareTokenMfa,
        Some(other) => return Err(IdentityError::InvalidState(format!("unsupported challenge {other}"))),
    };
    let session = session.ok_or_else(|| IdentityError::Unavailable("challenge without a session".into()))?;
    Ok(SignIn::Challenge { name, session: session.to_owned() })
}

impl CognitoIdentity {
    /// The adapter on pool `pool_id` and app client `client_id`.
    pub fn new(client: Client, pool_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self { client, pool_id: pool_id.into(), client_id: client_id.into() }
    }

    /// The adapter in AWS: pool `USER_POOL_ID`, app client `USER_POOL_CLIENT_ID`, credentials
    /// and region from the Lambda environment.
    pub async fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or(format!("{name} is not set"));
        let (pool, client_id) = (var("USER_POOL_ID")?, var("USER_POOL_CLIENT_ID")?);
        let config = podcastflow_resilience::sdk_config().await;
        Ok(Self::new(Client::new(&config), pool, client_id))
    }

    async fn answer(
        &self,
        name: ChallengeNameType,
        session: &str,
        responses: HashMap<String, String>,
    ) -> Result<SignIn, IdentityError> {
        let r = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(name)
            .session(session)
            .set_challenge_responses(Some(responses))
            .send()
            .await
            .map_err(|e| match map(e, false) {
                // A dead session is the expected failure of an answer.
                IdentityError::NotAuthorized => IdentityError::Expired,
                other => other,
            })?;
        step(r.challenge_name(), r.session(), r.authentication_result())
    }
}

#[async_trait]
impl Identity for CognitoIdentity {
    async fn probe(&self) -> Result<(), IdentityError> {
        self.client
            .describe_user_pool_client()
            .user_pool_id(&self.pool_id)
            .client_id(&self.client_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| map(e, false))
    }

    async fn sign_in(&self, username: &str, password: &str) -> Result<SignIn, IdentityError> {
        let r = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(|e| map(e, false))?;
        step(r.challenge_name(), r.session(), r.authentication_result())
    }

    async fn respond_new_password(&self, username: &str, session: &str, new: &str) -> Result<SignIn, IdentityError> {
        let responses =
            HashMap::from([("USERNAME".to_owned(), username.to_owned()), ("NEW_PASSWORD".to_owned(), new.to_owned())]);
        self.answer(ChallengeNameType::NewPasswordRequired, session, responses).await
    }

    async fn respond_mfa(&self, username: &str, session: &str, code: &str) -> Result<SignIn, IdentityError> {
        let responses = HashMap::from([
            ("USERNAME".to_owned(), username.to_owned()),
            ("SOFTWARE_TOKEN_MFA_CODE".to_owned(), code.trim().to_owned()),
        ]);
        self.answer(ChallengeNameType::SoftwareTokenMfa, session, responses).await
    }

    /// `GetTokensFromRefreshToken`: with refresh token rotation on the app client (template.yaml)
    /// Cognito answers a new refresh token and invalidates the one presented, so a second use
    /// of it is refused (the `auth` function then ends the sign-in).
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, IdentityError> {
        let r = self
            .client
            .get_tokens_from_refresh_token()
            .client_id(&self.client_id)
            .refresh_token(refresh_token)
            .send()
            .await
            .map_err(|e| map(e, false))?;
        tokens(r.authentication_result(), Some(refresh_token))
    }

    async fn revoke(&self, refresh_token: &str) -> Result<(), IdentityError> {
        match self.client.revoke_token().client_id(&self.client_id).token(refresh_token).send().await {
            Ok(_) => Ok(()),
            Err(e) => match map(e, false) {
                // Revoking what is not (or no longer) valid succeeds quietly, as RFC 7009 says.
                IdentityError::NotAuthorized | IdentityError::InvalidState(_) => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn sign_out(&self, access_token: &str) -> Result<(), IdentityError> {
        self.client.global_sign_out().access_token(access_token).send().await.map_err(|e| map(e, false))?;
        Ok(())
    }

    async fn change_password(&self, access_token: &str, current: &str, new: &str) -> Result<(), IdentityError> {
        self.client
            .change_password()
            .access_token(access_token)
            .previous_password(current)
            .proposed_password(new)
            .send()
            .await
            .map_err(|e| map(e, false))?;
        Ok(())
    }

    async fn forgot_password(&self, username: &str) -> Result<(), IdentityError> {
        self.client
            .forgot_password()
            .client_id(&self.client_id)
            .username(username)
            .send()
            .await
            .map_err(|e| map(e, true))?;
        Ok(())
    }

    async fn confirm_forgot_password(&self, username: &str, code: &str, new: &str) -> Result<(), IdentityError> {
        self.client
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .username(username)
            .confirmation_code(code.trim())
            .password(new)
            .send()
            .await
            .map_err(|e| map(e, false))?;
        // A reset ends every sign-in, as with the local provider.
        self.admin_sign_out(username).await
    }

    async fn associate_totp(&self, access_token: &str) -> Result<TotpEnrolment, IdentityError> {
        let r = self
            .client
            .associate_software_token()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| map(e, false))?;
        let secret = r.secret_code().ok_or_else(|| IdentityError::Unavailable("no secret in the answer".into()))?;
        Ok(TotpEnrolment { secret: secret.to_owned() })
    }

    async fn verify_totp(&self, access_token: &str, code: &str) -> Result<(), IdentityError> {
        let r = self
            .client
            .verify_software_token()
            .access_token(access_token)
            .user_code(code.trim())
            .send()
            .await
            .map_err(|e| map(e, false))?;
        if r.status() != Some(&VerifySoftwareTokenResponseType::Success) {
            return Err(IdentityError::CodeMismatch);
        }
        let settings = SoftwareTokenMfaSettingsType::builder().enabled(true).preferred_mfa(true).build();
        self.client
            .set_user_mfa_preference()
            .access_token(access_token)
            .software_token_mfa_settings(settings)
            .send()
            .await
            .map_err(|e| map(e, false))?;
        Ok(())
    }

    async fn admin_create_user(
        &self,
        username: &str,
        email: &str,
        temporary: Option<&str>,
    ) -> Result<(), IdentityError> {
        let attr = |name: &str, value: &str| AttributeType::builder().name(name).value(value).build();
        let mut req = self
            .client
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .user_attributes(attr("email", email).map_err(|e| IdentityError::Unavailable(e.to_string()))?)
            .user_attributes(attr("email_verified", "true").map_err(|e| IdentityError::Unavailable(e.to_string()))?)
            .desired_delivery_mediums(DeliveryMediumType::Email);
        // A given temporary password is the inviter's to pass on; otherwise Cognito generates
        // one and mails the invitation itself.
        if let Some(t) = temporary {
            // The policy is ours to hold, whatever the pool happens to be configured with.
            crate::password::check_policy(t).map_err(|e| IdentityError::InvalidPassword(e.to_string()))?;
            req = req.temporary_password(t).message_action(MessageActionType::Suppress);
        }
        req.send().await.map_err(|e| map(e, true))?;
        Ok(())
    }

    async fn admin_set_password(&self, username: &str, password: &str) -> Result<(), IdentityError> {
        crate::password::check_policy(password).map_err(|e| IdentityError::InvalidPassword(e.to_string()))?;
        self.client
            .admin_set_user_password()
            .user_pool_id(&self.pool_id)
            .username(username)
            .password(password)
            .permanent(true)
            .send()
            .await
            .map_err(|e| map(e, true))?;
        Ok(())
    }

    async fn admin_delete_user(&self, username: &str) -> Result<(), IdentityError> {
        self.client
            .admin_delete_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| map(e, true))?;
        Ok(())
    }

    async fn admin_disable_user(&self, username: &str) -> Result<(), IdentityError> {
        self.client
            .admin_disable_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| map(e, true))?;
        // Disabling does not end sessions in Cognito; the refresh tokens go too.
        self.admin_sign_out(username).await
    }

    async fn admin_enable_user(&self, username: &str) -> Result<(), IdentityError> {
        self.client
            .admin_enable_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| map(e, true))?;
        Ok(())
    }

    async fn admin_sign_out(&self, username: &str) -> Result<(), IdentityError> {
        self.client
            .admin_user_global_sign_out()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| map(e, true))?;
        Ok(())
    }
}
