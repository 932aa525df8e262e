//! Comments on a host read: markdown text, optionally at a moment of the recording, with
//! @mentions that notify the colleagues named. Internal comments are for the organization; the
//! client view never shows them. Editable by their author for [`EDIT_WINDOW`].
//!
//! Keys: `ORG#<o>#ADREAD#<r>` / `COMMENT#<commentId>` in the read's collection (ULIDs, so the
//! collection lists them in the order they were written).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, org_pk};
use crate::{AdReadId, CommentId, OrgId, Stamp, UserId, ValidationErrors};

/// How long the author may edit a comment.
pub const EDIT_WINDOW: Duration = Duration::minutes(15);
/// Longest comment, in characters.
pub const MAX_TEXT: usize = 10_000;
/// Most people one comment mentions.
pub const MAX_MENTIONS: usize = 20;

/// A comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Its id.
    pub id: CommentId,
    /// Its organization.
    pub org_id: OrgId,
    /// The read.
    pub ad_read_id: AdReadId,
    /// Markdown.
    pub text: String,
    /// The moment of the recording it is about, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_seconds: Option<f64>,
    /// For the organization only (never shown to client users).
    pub internal: bool,
    /// The users it mentions (told of it).
    #[serde(default)]
    pub mentions: Vec<UserId>,
    /// Bookkeeping (`createdBy` is its author).
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl Comment {
    /// The prefix of the comments in a read's collection.
    pub const SK_PREFIX: &'static str = "COMMENT#";

    /// Its key.
    pub fn key_of(org: &OrgId, read: &AdReadId, id: &CommentId) -> Key {
        Key::new(org_pk(org, format!("ADREAD#{read}")), format!("{}{id}", Self::SK_PREFIX))
    }

    /// Whether `user` may still edit it at `now`.
    pub fn editable_by(&self, user: UserId, now: DateTime<Utc>) -> bool {
        self.stamp.created_by == user && now - self.stamp.created_at <= EDIT_WINDOW
    }

    /// Field errors.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        v.text("text", &self.text, MAX_TEXT);
        if self.at_seconds.is_some_and(|s| !s.is_finite() || !(0.0..=86_400.0).contains(&s)) {
            v.add("atSeconds", "out_of_range", "0 to 86400 seconds into the recording");
        }
        if self.mentions.len() > MAX_MENTIONS {
            v.add("mentions", "too_many", format!("at most {MAX_MENTIONS} people"));
        }
        v.into_result()
    }
}

/// The handles `@name` in `text`: letters, digits, `.`, `_`, `-` and `@`-less e-mail parts
/// after an `@` at the start or after a space (lower-cased, each once, in order).
pub fn mentioned_handles(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '@' || (i > 0 && !chars[i - 1].is_whitespace() && !"([{".contains(chars[i - 1])) {
            continue;
        }
        let handle: String = chars[i + 1..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'))
            .collect::<String>()
            .trim_end_matches(['.', '-'])
            .to_lowercase();
        if !handle.is_empty() && !out.contains(&handle) {
            out.push(handle);
        }
    }
    out
}

impl Entity for Comment {
    const TYPE: &'static str = "comment";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.ad_read_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        Vec::new()
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(text: &str) -> Comment {
        Comment {
            id: CommentId::new(),
            org_id: OrgId::new(),
            ad_read_id: AdReadId::new(),
            text: text.into(),
            at_seconds: Some(12.5),
            internal: true,
            mentions: Vec::new(),
            stamp: Stamp::created(UserId::new(), Utc::now()),
        }
    }

    #[test]
    fn only_the_author_edits_and_only_for_fifteen_minutes() {
        let c = comment("louder at 0:12");
        let author = c.stamp.created_by;
        assert!(c.editable_by(author, c.stamp.created_at + EDIT_WINDOW));
        assert!(!c.editable_by(author, c.stamp.created_at + EDIT_WINDOW + Duration::seconds(1)));
        assert!(!c.editable_by(UserId::new(), c.stamp.created_at));
    }

    #[test]
    fn mentions_are_handles_after_an_at_sign() {
        assert_eq!(
            mentioned_handles("@Ana and (@bo.b) see @ana, x@y.z, @carla@example.com."),
            ["ana", "bo.b", "carla@example.com"]
        );
        assert!(mentioned_handles("no one @ all").is_empty());
    }

    #[test]
    fn validation_and_keys() {
        assert!(comment("ok").validate().is_ok());
        let mut c = comment(" ");
        c.at_seconds = Some(-1.0);
        c.mentions = vec![UserId::new(); MAX_MENTIONS + 1];
        let fields: Vec<String> = c.validate().unwrap_err().errors.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["text", "atSeconds", "mentions"]);
        c.at_seconds = Some(f64::NAN);
        assert!(c.validate().is_err());
        let mut most = comment("x");
        most.mentions = vec![UserId::new(); MAX_MENTIONS];
        most.at_seconds = Some(86_400.0);
        assert!(most.validate().is_ok(), "the limits are inclusive");
        let mut c = comment("x");
        assert_eq!((Entity::org_id(&c), c.version(), <Comment as Entity>::TYPE), (&c.org_id, 1, "comment"));
        c.stamp.version = 3;
        assert_eq!(c.version(), 3);
        assert_eq!(c.key().pk, format!("ORG#{}#ADREAD#{}", c.org_id, c.ad_read_id));
        assert_eq!(c.key().sk, format!("COMMENT#{}", c.id));
        assert!(c.index_keys().is_empty());
    }
}
