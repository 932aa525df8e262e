//! Comments on a host read: written by anyone who reads it, listed in order, each reader seeing
//! those their view shows (no internal one for a client user); editable by their author for 15
//! minutes. `@handle` mentions (an e-mail address, or its part before the `@` when that is one
//! colleague's) notify the colleagues named who read the read.

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::ad_read::comment::{Comment, MAX_MENTIONS, mentioned_handles};
use podcastflow_domain::ad_read::view;
use podcastflow_domain::permissions::Action;
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::{CommentId, Principal, Role, Stamp, UserId};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, created, if_match, json, json_body, json_with_etag, not_found, paging,
    principal,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::all_pages;
use podcastflow_store::repo::users::UserRepo;
use serde::Deserialize;

use crate::AdReadsApp;
use crate::routes::conflict;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewComment {
    text: String,
    #[serde(default)]
    at_seconds: Option<f64>,
    #[serde(default)]
    internal: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EditComment {
    text: String,
    #[serde(default)]
    at_seconds: Option<f64>,
}

/// The users `handles` name among `users`: a whole e-mail address, or the part before its `@`
/// when exactly one colleague's address starts so.
fn resolve(handles: &[String], users: &[User]) -> Vec<UserId> {
    let mut out = Vec::new();
    for h in handles {
        let whole = users.iter().find(|u| u.email.eq_ignore_ascii_case(h));
        let local: Vec<&User> =
            users.iter().filter(|u| u.email.split('@').next().is_some_and(|l| l.eq_ignore_ascii_case(h))).collect();
        let found = whole.or(if local.len() == 1 { local.first().copied() } else { None });
        if let Some(u) = found
            && !out.contains(&u.id)
        {
            out.push(u.id);
        }
    }
    out.truncate(MAX_MENTIONS);
    out
}

impl AdReadsApp {
    async fn mentions(&self, t: &TenantTable, p: &Principal, text: &str) -> Result<Vec<UserId>, Failure> {
        let handles = mentioned_handles(text);
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        let users = UserRepo::new(t, &self.ctx.cursors);
        let all = all_pages(|cursor| {
            let users = &users;
            async move { users.list(&p.org_id, None, cursor.as_deref(), 100).await }
        })
        .await?;
        let active: Vec<User> =
            all.into_iter().filter(|u| u.status == UserStatus::Active && u.id != p.user_id).collect();
        Ok(resolve(&handles, &active))
    }

    pub(crate) async fn list_comments(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let paging = paging(req)?;
        let j = self.read(&t, &p, id, Action::AdReadRead).await?;
        let page = AdReadRepo::new(&t).comments(&j.read.id, paging.cursor.as_deref(), paging.limit).await?;
        let items: Vec<_> = page.items.iter().filter_map(|c| view::render_comment(c, j.lens)).collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid))
    }

    pub(crate) async fn comment(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: NewComment = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let j = self.read(&t, &p, id, Action::AdReadRead).await?;
        // A client user's words are for the client and the organization alike; staff comments are
        // the organization's own unless said otherwise.
        let internal = match (p.role, body.internal) {
            (Role::Client, Some(true)) => {
                return Err(Problem::field("internal", "invalid", "a client's comment is seen by the client").into());
            }
            (Role::Client, _) => false,
            (_, given) => given.unwrap_or(true),
        };
        let text = body.text.trim().to_owned();
        let mut c = Comment {
            id: CommentId::new(),
            org_id: p.org_id,
            ad_read_id: j.read.id,
            text,
            at_seconds: body.at_seconds,
            internal,
            mentions: Vec::new(),
            stamp: Stamp::created(p.user_id, Utc::now()),
        };
        c.validate().map_err(Problem::validation)?;
        c.mentions = self.mentions(&t, &p, &c.text).await?;
        AdReadRepo::new(&t).create_comment(&c).await?;
        let body = view::render_comment(&c, j.lens).unwrap_or_default();
        Ok(created(&body, Some(c.stamp.version), &format!("/ad-reads/{}/comments/{}", j.read.id, c.id), rid))
    }

    pub(crate) async fn edit_comment(&self, req: &Request, id: &str, comment: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: EditComment = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let j = self.read(&t, &p, id, Action::AdReadRead).await?;
        let cid: CommentId = comment.parse().map_err(|_| not_found())?;
        let repo = AdReadRepo::new(&t);
        let current =
            repo.comment(&j.read.id, &cid).await?.filter(|c| view::shows_comment(j.lens, c)).ok_or_else(not_found)?;
        let expected = if_match(req)?.check(current.stamp.version)?;
        let now = Utc::now();
        if current.stamp.created_by != p.user_id {
            return Err(Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden")
                .detail("only its author edits a comment")
                .into());
        }
        if !current.editable_by(p.user_id, now) {
            return Err(conflict(
                "comment-locked",
                "Comment locked",
                "a comment is editable for 15 minutes after it was written",
            ));
        }
        let mut next = current.clone();
        next.text = body.text.trim().to_owned();
        next.at_seconds = body.at_seconds;
        next.validate().map_err(Problem::validation)?;
        next.stamp = current.stamp.touched(p.user_id, now);
        repo.replace_comment(&next, expected).await?;
        let out = view::render_comment(&next, j.lens).unwrap_or_default();
        Ok(json_with_etag(StatusCode::OK, &out, next.stamp.version, rid))
    }
}
