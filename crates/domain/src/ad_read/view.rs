//! What each reader sees of a host read and of its comments, through the one field rule of
//! [`crate::visibility`]. The client view (client users of the advertiser, once a read waits for
//! their approval) leaves out the deadline notices and a reviewer's override reason, shows of each
//! move when, where and by whom it went but not why, and shows no internal comment. Everyone else
//! who may read the read sees all of it. Every exit (GET, list, activity, live update) renders a
//! read and a comment here.

use serde_json::Value;

use super::AdRead;
use super::comment::Comment;
use crate::visibility::{EntityKind, Lens, Part};

/// A read as a reader with `lens` sees it.
pub fn render(r: &AdRead, lens: Lens) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut v
        && let Some(Value::Array(history)) = fields.get_mut("history")
    {
        for entry in history.iter_mut() {
            *entry = lens.apply(EntityKind::AdRead, Part::HistoryEntry, std::mem::take(entry));
        }
    }
    lens.apply(EntityKind::AdRead, Part::Record, v)
}

/// Whether a reader with `lens` of the read sees the comment at all (the client view shows no
/// internal one).
pub fn shows_comment(lens: Lens, c: &Comment) -> bool {
    match lens {
        Lens::Full => true,
        Lens::Client => !c.internal,
        _ => false,
    }
}

/// A comment as a reader with `lens` of its read sees it (`None`: not at all).
pub fn render_comment(c: &Comment, lens: Lens) -> Option<Value> {
    shows_comment(lens, c)
        .then(|| lens.apply(EntityKind::AdRead, Part::Comment, serde_json::to_value(c).unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::ad_read::tests::read;
    use crate::ad_read::{Actor, AdReadStatus};
    use crate::{CommentId, Stamp, UserId};

    #[test]
    fn the_client_view_leaves_out_notices_overrides_and_why() {
        let mut r = read();
        r.override_reason = Some("ad-libbed code".into());
        r.notices.push("review:ahead:x".into());
        r.moved(AdReadStatus::RevisionsRequested, UserId::new(), Actor::Reviewer, Utc::now(), Some("too fast".into()));
        let client = render(&r, Lens::Client);
        assert!(client.get("overrideReason").is_none() && client.get("notices").is_none());
        assert_eq!(client["status"], "revisions_requested");
        let entry = client["history"][0].as_object().unwrap();
        assert_eq!(entry.keys().collect::<Vec<_>>(), ["actor", "at", "from", "to"]);
        let full = render(&r, Lens::Full);
        assert_eq!(full["overrideReason"], "ad-libbed code");
        assert_eq!(full["history"][0]["reason"], "too fast");
        assert_eq!(render(&r, Lens::PublicFields), serde_json::json!({}), "a lens not made for reads shows nothing");
    }

    #[test]
    fn internal_comments_are_the_organizations_only() {
        let r = read();
        let mut c = Comment {
            id: CommentId::new(),
            org_id: r.org_id,
            ad_read_id: r.id,
            text: "margin talk".into(),
            at_seconds: None,
            internal: true,
            mentions: vec![UserId::new()],
            stamp: Stamp::created(UserId::new(), Utc::now()),
        };
        assert!(render_comment(&c, Lens::Client).is_none());
        assert_eq!(render_comment(&c, Lens::Full).unwrap()["text"], "margin talk");
        assert!(render_comment(&c, Lens::NamesAndRoles).is_none());
        c.internal = false;
        let seen = render_comment(&c, Lens::Client).unwrap();
        assert_eq!(seen["text"], "margin talk");
        assert!(seen.get("mentions").is_none(), "who the organization mentioned is its own");
    }
}
