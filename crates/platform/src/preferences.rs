//! A user's own notification preferences (which notification types e-mail them, the daily
//! digest): served at `/users/me/preferences` and `/notifications/preferences` by the same code.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::user::Preferences;
use podcastflow_store::repo::users::UserRepo;

use crate::{AppContext, Outcome, Problem, allow, if_match, json_body, json_with_etag, principal};

/// `GET`: the caller's preferences with their ETag ("v0" before the first save).
pub async fn read(ctx: &AppContext, req: &Request, rid: &str) -> Outcome {
    let p = principal(req)?;
    allow(&p, Action::ProfileRead, &Resource::OwnedBy(p.user_id))?;
    let t = ctx.tenant(&p, req);
    let (prefs, version) = UserRepo::new(&t, &ctx.cursors).preferences(&p.org_id, &p.user_id).await?;
    Ok(json_with_etag(StatusCode::OK, &prefs, version, rid))
}

/// `PUT`: replaces the caller's preferences (If-Match).
pub async fn replace(ctx: &AppContext, req: &Request, rid: &str) -> Outcome {
    let p = principal(req)?;
    allow(&p, Action::ProfileUpdate, &Resource::OwnedBy(p.user_id))?;
    let expected = if_match(req)?;
    let prefs: Preferences = json_body(req)?;
    prefs.validate().map_err(Problem::validation)?;
    let t = ctx.tenant(&p, req);
    let users = UserRepo::new(&t, &ctx.cursors);
    let expected = expected.check(users.preferences(&p.org_id, &p.user_id).await?.1)?;
    let version = users.save_preferences(&p.org_id, &p.user_id, &prefs, expected).await?;
    Ok(json_with_etag(StatusCode::OK, &prefs, version, rid))
}
