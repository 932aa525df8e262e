//! Uploaded files: episode recordings, show artwork, campaign documents. The bytes live in the
//! media bucket under `media/<orgId>/<entityType>/<entityId>/<mediaId>/<fileName>`, written by
//! the client through a presigned PUT; the record says what was promised and whether it arrived.
//!
//! Keys and access patterns:
//! - the record: `ORG#<o>#MEDIA#<m>` / `PROFILE`;
//! - an entity's files, newest first: GSI1 `ORG#<o>#MEDIA#OF#<type>#<id>` / `<mediaId>`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::notification::EntityRef;
use crate::visibility::EntityKind;
use crate::{MediaId, OrgId, Stamp, ValidationErrors};

/// Largest audio file (a long episode as WAV fits; MP3s are far smaller).
pub const MAX_AUDIO: u64 = 500 * 1024 * 1024;
/// Largest image.
pub const MAX_IMAGE: u64 = 20 * 1024 * 1024;
/// Largest PDF.
pub const MAX_PDF: u64 = 50 * 1024 * 1024;
/// Largest recording of a host read (a read is a minute or two; WAV leaves room).
pub const MAX_AD_READ: u64 = 50 * 1024 * 1024;
/// What a host read's recording may be: MP3, M4A or WAV.
pub const AD_READ_AUDIO: [&str; 5] = ["audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/wav", "audio/x-wav"];
/// Longest file name kept.
pub const MAX_FILE_NAME: usize = 200;

/// The content types accepted, by family.
const AUDIO: [&str; 8] =
    ["audio/mpeg", "audio/mp4", "audio/aac", "audio/wav", "audio/x-wav", "audio/ogg", "audio/flac", "audio/x-m4a"];
const IMAGES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];
const PDF: &str = "application/pdf";

/// The most bytes a file of `content_type` may have, `None` for a type not accepted.
pub fn max_size(content_type: &str) -> Option<u64> {
    let t = content_type.trim().to_ascii_lowercase();
    if AUDIO.contains(&t.as_str()) {
        Some(MAX_AUDIO)
    } else if IMAGES.contains(&t.as_str()) {
        Some(MAX_IMAGE)
    } else if t == PDF {
        Some(MAX_PDF)
    } else {
        None
    }
}

/// The entity types files attach to.
pub const ENTITY_TYPES: [EntityKind; 4] =
    [EntityKind::Episode, EntityKind::Show, EntityKind::Campaign, EntityKind::AdRead];

/// Whether the file is there yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaStatus {
    /// Upload URL handed out; not confirmed.
    Pending,
    /// Uploaded and confirmed with its size.
    Ready,
}

/// One uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Media {
    /// Its id.
    pub id: MediaId,
    /// Its organization.
    pub org_id: OrgId,
    /// What it belongs to.
    pub entity: EntityRef,
    /// The name the client gave it (sanitized).
    pub file_name: String,
    /// Its content type.
    pub content_type: String,
    /// Its size in bytes, as declared and then verified.
    pub size: u64,
    /// Pending or ready.
    pub status: MediaStatus,
    /// The object's key in the media bucket.
    pub object_key: String,
    /// When the upload was confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
    /// An audio file's length in milliseconds, measured from the file when its upload was
    /// confirmed (host reads' recordings and airchecks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// A file name safe in a key and a download: path parts dropped, only `[A-Za-z0-9._-]` kept.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .take(MAX_FILE_NAME)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.is_empty() { "file".into() } else { cleaned }
}

/// Field errors of an upload request.
pub fn check_upload(entity_type: EntityKind, file_name: &str, content_type: &str, size: u64) -> ValidationErrors {
    let mut v = ValidationErrors::new();
    if !ENTITY_TYPES.contains(&entity_type) {
        v.add("entity.type", "invalid", "files attach to an episode, a show, a campaign or an ad read");
    }
    if entity_type == EntityKind::AdRead {
        let t = content_type.trim().to_ascii_lowercase();
        if !AD_READ_AUDIO.contains(&t.as_str()) {
            v.add("contentType", "unsupported", "a host read is MP3 (audio/mpeg), M4A (audio/mp4) or WAV (audio/wav)");
        } else if size > MAX_AD_READ {
            v.add("size", "too_large", format!("at most {MAX_AD_READ} bytes for a host read"));
        } else if size == 0 {
            v.add("size", "out_of_range", "a file has at least one byte");
        }
        return v;
    }
    if file_name.trim().is_empty() {
        v.add("fileName", "required", "name the file");
    }
    match max_size(content_type) {
        None => v.add(
            "contentType",
            "unsupported",
            "audio (mpeg, mp4, aac, wav, ogg, flac, m4a), images (jpeg, png, webp, gif) or PDF",
        ),
        Some(max) if size > max => v.add("size", "too_large", format!("at most {max} bytes for {content_type}")),
        Some(_) if size == 0 => v.add("size", "out_of_range", "a file has at least one byte"),
        Some(_) => {}
    }
    v
}

impl Media {
    /// The S3 key prefix of an organization's files.
    pub fn s3_prefix(org: &OrgId) -> String {
        format!("media/{org}/")
    }

    /// The object key of a file.
    pub fn object_key_of(org: &OrgId, entity: &EntityRef, id: &MediaId, file_name: &str) -> String {
        format!("{}{}/{}/{id}/{file_name}", Self::s3_prefix(org), entity.kind, entity.id)
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &MediaId) -> Key {
        Key::new(org_pk(org, format!("MEDIA#{id}")), PROFILE)
    }

    /// GSI1 partition of an entity's files.
    pub fn of_entity_pk(org: &OrgId, entity: &EntityRef) -> String {
        org_pk(org, format!("MEDIA#OF#{}#{}", entity.kind, entity.id))
    }
}

impl Entity for Media {
    const TYPE: &'static str = "media";

    fn org_id(&self) -> &OrgId {
        &self.org_id
    }

    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }

    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(Index::Gsi1, Key::new(Self::of_entity_pk(&self.org_id, &self.entity), self.id.to_string()))]
    }

    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_sizes_are_checked_before_any_upload() {
        assert_eq!(max_size("audio/mpeg"), Some(MAX_AUDIO));
        assert_eq!(max_size("IMAGE/PNG"), Some(MAX_IMAGE));
        assert_eq!(max_size("application/x-msdownload"), None);
        assert!(check_upload(EntityKind::Episode, "ep1.mp3", "audio/mpeg", MAX_AUDIO).is_empty());
        assert!(check_upload(EntityKind::Episode, "ep1.mp3", "audio/mpeg", MAX_AUDIO + 1).has("size"));
        assert!(check_upload(EntityKind::Episode, "x.exe", "application/x-msdownload", 10).has("contentType"));
        assert!(check_upload(EntityKind::User, "a.png", "image/png", 10).has("entity.type"));
        assert!(check_upload(EntityKind::Show, "a.png", "image/png", 0).has("size"));
        // A host read: MP3, M4A or WAV, at most 50 MB.
        assert!(check_upload(EntityKind::AdRead, "read.mp3", "audio/mpeg", MAX_AD_READ).is_empty());
        assert!(check_upload(EntityKind::AdRead, "read.wav", "Audio/WAV", 1).is_empty());
        assert!(check_upload(EntityKind::AdRead, "read.mp3", "audio/mpeg", MAX_AD_READ + 1).has("size"));
        assert!(check_upload(EntityKind::AdRead, "read.mp3", "audio/mpeg", 0).has("size"));
        assert!(check_upload(EntityKind::AdRead, "read.flac", "audio/flac", 10).has("contentType"));
        assert!(check_upload(EntityKind::AdRead, "a.png", "image/png", 10).has("contentType"));
    }

    #[test]
    fn file_names_cannot_escape_their_key() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\music\\Épisode 1.mp3"), "_pisode_1.mp3");
        assert_eq!(safe_file_name(".."), "file");
        assert_eq!(safe_file_name(".hidden"), "hidden");
    }
}
