//! The identity port's behaviour: the same cases against the local provider and Cognito (moto).

mod cases;

/// Cases that need what moto's Cognito lacks (rotation, real TOTP and reset-code checks) run on
/// the local provider only; the rest run on both.
macro_rules! on_local {
    ($($case:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::cases::$case(podcastflow_tests::identity::local().await).await;
                }
            )*
        }
    };
}

on_local!(
    a_temporary_password_forces_a_new_one,
    wrong_password_unknown_and_disabled_users_are_refused_alike,
    refresh_issues_tokens_and_sign_out_ends_every_sign_in,
    revoking_a_refresh_token_ends_its_sign_in,
    totp_enrolment_then_mfa_sign_in,
    change_password_needs_the_current_one,
    admin_create_refuses_duplicates_and_weak_passwords,
    a_reused_refresh_token_revokes_its_family,
    forgot_password_mails_a_single_use_code,
    a_totp_code_is_good_once,
);

macro_rules! on_cognito {
    ($($case:ident),* $(,)?) => {
        mod cognito {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::cases::$case(podcastflow_tests::identity::cognito().await).await;
                }
            )*
        }
    };
}

on_cognito!(
    a_temporary_password_forces_a_new_one,
    wrong_password_unknown_and_disabled_users_are_refused_alike,
    change_password_needs_the_current_one,
    admin_create_refuses_duplicates_and_weak_passwords,
);

// moto does not serve GetTokensFromRefreshToken (5.1): the Cognito adapter's refresh is tested
// against a recorded exchange instead (recorded.rs).
mod recorded;
