//! Cases of the identity behaviour suite; each takes a fresh adapter.

use podcastflow_identity::totp;
use podcastflow_identity::{ChallengeName, IdentityError, SignIn, Tokens};
use podcastflow_tests::identity::IdentityFixture;

const TEMP: &str = "Temporary-Passw0rd!";
const CHOSEN: &str = "my own long passphrase";

fn user() -> (String, String) {
    let id = ulid::Ulid::new().to_string();
    let email = format!("{}@example.com", id.to_lowercase());
    (id, email)
}

fn tokens(s: SignIn) -> Tokens {
    match s {
        SignIn::Tokens(t) => t,
        other => panic!("expected tokens, got {other:?}"),
    }
}

fn challenge(s: SignIn, expected: ChallengeName) -> String {
    match s {
        SignIn::Challenge { name, session } if name == expected => session,
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}

/// A user who has replaced their temporary password, and their first tokens.
async fn active_user(f: &IdentityFixture) -> (String, Tokens) {
    let (id, email) = user();
    f.identity.admin_create_user(&id, &email, Some(TEMP)).await.unwrap();
    let session = challenge(f.identity.sign_in(&id, TEMP).await.unwrap(), ChallengeName::NewPasswordRequired);
    let t = tokens(f.identity.respond_new_password(&id, &session, CHOSEN).await.unwrap());
    (id, t)
}

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

pub async fn a_temporary_password_forces_a_new_one(f: IdentityFixture) {
    let (id, email) = user();
    f.identity.admin_create_user(&id, &email, Some(TEMP)).await.unwrap();
    let session = challenge(f.identity.sign_in(&id, TEMP).await.unwrap(), ChallengeName::NewPasswordRequired);
    // A weak new password is refused and the session survives for a better one.
    assert!(matches!(
        f.identity.respond_new_password(&id, &session, "short").await,
        Err(IdentityError::InvalidPassword(_))
    ));
    let t = tokens(f.identity.respond_new_password(&id, &session, CHOSEN).await.unwrap());
    let claims = f.verifier.verify(&t.access_token).await.unwrap();
    assert_eq!(claims.username, id);
    assert_eq!((t.token_type.as_str(), t.expires_in), ("Bearer", 3600));
    // The temporary password is gone; the new one signs straight in.
    assert_eq!(f.identity.sign_in(&id, TEMP).await, Err(IdentityError::NotAuthorized));
    tokens(f.identity.sign_in(&id, CHOSEN).await.unwrap());
}

pub async fn wrong_password_unknown_and_disabled_users_are_refused_alike(f: IdentityFixture) {
    let (id, _) = active_user(&f).await;
    assert_eq!(f.identity.sign_in(&id, "not the password").await, Err(IdentityError::NotAuthorized));
    assert_eq!(f.identity.sign_in(&ulid::Ulid::new().to_string(), CHOSEN).await, Err(IdentityError::NotAuthorized));
    f.identity.admin_disable_user(&id).await.unwrap();
    assert_eq!(f.identity.sign_in(&id, CHOSEN).await, Err(IdentityError::NotAuthorized));
    f.identity.admin_enable_user(&id).await.unwrap();
    tokens(f.identity.sign_in(&id, CHOSEN).await.unwrap());
    assert_eq!(f.identity.admin_disable_user("nobody").await, Err(IdentityError::UserNotFound));
}

pub async fn refresh_issues_tokens_and_sign_out_ends_every_sign_in(f: IdentityFixture) {
    let (id, first) = active_user(&f).await;
    let second = tokens(f.identity.sign_in(&id, CHOSEN).await.unwrap());
    let renewed = f.identity.refresh(&first.refresh_token).await.unwrap();
    assert_eq!(f.verifier.verify(&renewed.access_token).await.unwrap().username, id);
    f.identity.sign_out(&second.access_token).await.unwrap();
    assert_eq!(f.identity.refresh(&renewed.refresh_token).await, Err(IdentityError::NotAuthorized));
    assert_eq!(f.identity.refresh(&second.refresh_token).await, Err(IdentityError::NotAuthorized));
    assert_eq!(f.identity.refresh("garbage").await, Err(IdentityError::NotAuthorized));
    // A sign-in after the sign-out works, even within the same second.
    let after = tokens(f.identity.sign_in(&id, CHOSEN).await.unwrap());
    f.identity.refresh(&after.refresh_token).await.unwrap();
}

pub async fn revoking_a_refresh_token_ends_its_sign_in(f: IdentityFixture) {
    let (id, first) = active_user(&f).await;
    let other = tokens(f.identity.sign_in(&id, CHOSEN).await.unwrap());
    f.identity.revoke(&first.refresh_token).await.unwrap();
    assert_eq!(f.identity.refresh(&first.refresh_token).await, Err(IdentityError::NotAuthorized));
    // The user's other sign-in is untouched.
    f.identity.refresh(&other.refresh_token).await.unwrap();
}

pub async fn totp_enrolment_then_mfa_sign_in(f: IdentityFixture) {
    let (id, t) = active_user(&f).await;
    assert!(matches!(f.identity.verify_totp(&t.access_token, "123456").await, Err(IdentityError::InvalidState(_))));
    let enrolment = f.identity.associate_totp(&t.access_token).await.unwrap();
    let secret = totp::decode_secret(&enrolment.secret).expect("a base32 secret");
    let wrong = if totp::code_at(&secret, now()) == "000000" { "111111" } else { "000000" };
    assert_eq!(f.identity.verify_totp(&t.access_token, wrong).await, Err(IdentityError::CodeMismatch));
    f.identity.verify_totp(&t.access_token, &totp::code_at(&secret, now())).await.unwrap();
    let session = challenge(f.identity.sign_in(&id, CHOSEN).await.unwrap(), ChallengeName::SoftwareTokenMfa);
    // Codes are good once: the next step's code signs in.
    let code = totp::code_at(&secret, now() + totp::STEP);
    let t = tokens(f.identity.respond_mfa(&id, &session, &code).await.unwrap());
    assert_eq!(f.verifier.verify(&t.access_token).await.unwrap().username, id);
}

pub async fn change_password_needs_the_current_one(f: IdentityFixture) {
    let (id, t) = active_user(&f).await;
    let next = "an even longer passphrase";
    assert_eq!(
        f.identity.change_password(&t.access_token, "wrong current", next).await,
        Err(IdentityError::NotAuthorized)
    );
    assert!(matches!(
        f.identity.change_password(&t.access_token, CHOSEN, "short").await,
        Err(IdentityError::InvalidPassword(_))
    ));
    f.identity.change_password(&t.access_token, CHOSEN, next).await.unwrap();
    assert_eq!(f.identity.sign_in(&id, CHOSEN).await, Err(IdentityError::NotAuthorized));
    tokens(f.identity.sign_in(&id, next).await.unwrap());
    assert_eq!(f.identity.change_password("not.a.token", next, CHOSEN).await, Err(IdentityError::NotAuthorized));
}

pub async fn admin_create_refuses_duplicates_and_weak_passwords(f: IdentityFixture) {
    let (id, email) = user();
    f.identity.admin_create_user(&id, &email, Some(TEMP)).await.unwrap();
    assert_eq!(f.identity.admin_create_user(&id, &email, Some(TEMP)).await, Err(IdentityError::UserExists));
    let (id2, email2) = user();
    assert!(matches!(
        f.identity.admin_create_user(&id2, &email2, Some("short")).await,
        Err(IdentityError::InvalidPassword(_))
    ));
    // Deleting undoes a creation.
    f.identity.admin_delete_user(&id).await.unwrap();
    assert_eq!(f.identity.sign_in(&id, TEMP).await, Err(IdentityError::NotAuthorized));
    f.identity.admin_create_user(&id, &email, Some(TEMP)).await.unwrap();
}

/// Local provider: refresh tokens rotate, and presenting a rotated one ends the whole sign-in.
pub async fn a_reused_refresh_token_revokes_its_family(f: IdentityFixture) {
    assert!(f.rotates, "{} does not rotate refresh tokens", f.adapter);
    let (id, first) = active_user(&f).await;
    let other = tokens(f.identity.sign_in(&id, CHOSEN).await.unwrap());
    let second = f.identity.refresh(&first.refresh_token).await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    // The thief replays the old token: refused, and the legitimate holder's new one dies too.
    assert_eq!(f.identity.refresh(&first.refresh_token).await, Err(IdentityError::NotAuthorized));
    assert_eq!(f.identity.refresh(&second.refresh_token).await, Err(IdentityError::NotAuthorized));
    // Another sign-in of the same user is a different family and lives on.
    f.identity.refresh(&other.refresh_token).await.unwrap();
}

/// Local provider: the reset code arrives by mail, works once, and ends every sign-in.
pub async fn forgot_password_mails_a_single_use_code(f: IdentityFixture) {
    let outbox = f.outbox.clone().expect("an outbox to read");
    let (id, t) = active_user(&f).await;
    f.identity.forgot_password(&id).await.unwrap();
    let mail = outbox.messages().unwrap().pop().expect("a reset mail");
    let code: String = mail.body.lines().find_map(|l| l.strip_prefix("Your code: ")).expect("a code line").to_owned();
    let next = "reset passphrase number one";
    assert_eq!(f.identity.confirm_forgot_password(&id, "999999x", next).await, Err(IdentityError::CodeMismatch));
    f.identity.confirm_forgot_password(&id, &code, next).await.unwrap();
    assert_eq!(f.identity.confirm_forgot_password(&id, &code, "another passphrase").await, Err(IdentityError::Expired));
    tokens(f.identity.sign_in(&id, next).await.unwrap());
    assert_eq!(f.identity.refresh(&t.refresh_token).await, Err(IdentityError::NotAuthorized));
    assert_eq!(f.identity.forgot_password("nobody").await, Err(IdentityError::UserNotFound));
}

/// Local provider: a TOTP code cannot be replayed for a second sign-in.
pub async fn a_totp_code_is_good_once(f: IdentityFixture) {
    let (id, t) = active_user(&f).await;
    let secret = totp::decode_secret(&f.identity.associate_totp(&t.access_token).await.unwrap().secret).unwrap();
    f.identity.verify_totp(&t.access_token, &totp::code_at(&secret, now())).await.unwrap();
    let code = totp::code_at(&secret, now() + totp::STEP);
    let s1 = challenge(f.identity.sign_in(&id, CHOSEN).await.unwrap(), ChallengeName::SoftwareTokenMfa);
    tokens(f.identity.respond_mfa(&id, &s1, &code).await.unwrap());
    let s2 = challenge(f.identity.sign_in(&id, CHOSEN).await.unwrap(), ChallengeName::SoftwareTokenMfa);
    assert_eq!(f.identity.respond_mfa(&id, &s2, &code).await, Err(IdentityError::CodeMismatch));
    // The first session is spent.
    assert_eq!(f.identity.respond_mfa(&id, &s1, &code).await, Err(IdentityError::Expired));
}
