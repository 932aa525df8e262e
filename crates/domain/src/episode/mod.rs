//! Episodes of a show.
//!
//! Keys and access patterns:
//! - the episode record: `ORG#<o>#EPISODE#<e>` / `PROFILE`;
//! - a show's episodes by air date: GSI1 `ORG#<o>#SHOW#<s>#EPISODES` / `AIR#<airDate|9999-12-31>#<e>`;
//! - all episodes by air date (date-range filter): GSI2 `ORG#<o>#EPISODES` / `AIR#<airDate>#<e>`;
//! - the episodes in one status by air date: GSI3 `ORG#<o>#EPISODES#STATUS#<status>` / `AIR#<airDate>#<e>`;
//! - a talent's schedule: `ORG#<o>#TALENT#<u>` / `EPISODE#<e>` ([`Episode::talent_key`]), written
//!   with the episode in one transaction.
//!
//! Status rules live in [`transitions`]; ad slots in [`slots`].

pub mod audio;
pub mod slots;
pub mod transitions;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::{EpisodeId, OrgId, ShowId, Stamp, UserId, ValidationErrors};

pub use transitions::EpisodeStatus;

/// An episode as the API answers it (and live updates push it): its fields and, given its show,
/// its ad slots.
pub fn render(e: &Episode, show: Option<&crate::show::Show>) -> serde_json::Value {
    let mut v = serde_json::to_value(e).unwrap_or(serde_json::Value::Null);
    if let (serde_json::Value::Object(fields), Some(show)) = (&mut v, show) {
        let slots = slots::episode_slots(&show.ad_config, e.duration_seconds);
        fields.insert("adSlots".into(), serde_json::to_value(slots).unwrap_or(serde_json::Value::Null));
    }
    v
}

/// One episode of a show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Episode {
    /// Its id.
    pub id: EpisodeId,
    /// Its organization.
    pub org_id: OrgId,
    /// Its show.
    pub show_id: ShowId,
    /// Title.
    pub title: String,
    /// Episode number within the show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// When it airs (required to be scheduled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_date: Option<NaiveDate>,
    /// When it is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_date: Option<NaiveDate>,
    /// Length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// Talent on this episode (must be talent of the show).
    #[serde(default)]
    pub talent_ids: Vec<UserId>,
    /// Production status.
    pub status: EpisodeStatus,
    /// Set when it is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// The URLs its audio file is served at (the CDN's; delivery logs are matched against them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enclosure_urls: Vec<String>,
    /// The audio file's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size_bytes: Option<u64>,
    /// Bytes before the audio starts (ID3 tags, artwork), not part of its length in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_bytes: Option<u64>,
    /// Where its baked-in ads play.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ad_markers: Vec<crate::delivery::file::AdMarker>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl Episode {
    /// Field errors, given the talent of its show.
    pub fn validate(&self, show_talent: &[UserId]) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        v.text("title", &self.title, 300);
        if self.duration_seconds.is_some_and(|d| d == 0 || d > 24 * 3600) {
            v.add("durationSeconds", "out_of_range", "between 1 second and 24 hours");
        }
        if self.number == Some(0) {
            v.add("number", "out_of_range", "episode numbers start at 1");
        }
        if self.talent_ids.len() > Self::MAX_TALENT {
            v.add("talentIds", "too_many", format!("at most {} talent per episode", Self::MAX_TALENT));
        }
        let mut seen = std::collections::BTreeSet::new();
        if self.talent_ids.iter().any(|t| !seen.insert(t)) {
            v.add("talentIds", "duplicate", "each talent at most once");
        }
        for (i, t) in self.talent_ids.iter().enumerate() {
            if !show_talent.contains(t) {
                v.add(format!("talentIds[{i}]"), "not_show_talent", "must be talent of the show");
            }
        }
        if self.status == EpisodeStatus::Scheduled && self.air_date.is_none() {
            v.add("airDate", "required", "required once scheduled");
        }
        self.validate_audio(&mut v);
        v.into_result()
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &EpisodeId) -> Key {
        Key::new(org_pk(org, format!("EPISODE#{id}")), PROFILE)
    }

    /// GSI1 partition listing a show's episodes by air date.
    pub fn by_show_pk(org: &OrgId, show: &ShowId) -> String {
        org_pk(org, format!("SHOW#{show}#EPISODES"))
    }

    /// At most this many talent per episode: their schedule items are written with it in one
    /// transaction (100 items at most, counting the ones removed).
    pub const MAX_TALENT: usize = 20;

    /// GSI3 partition listing the episodes in one status.
    pub fn by_status_pk(org: &OrgId, status: EpisodeStatus) -> String {
        org_pk(org, format!("EPISODES#STATUS#{status}"))
    }

    /// GSI2 partition listing all episodes by air date.
    pub fn list_pk(org: &OrgId) -> String {
        org_pk(org, "EPISODES")
    }

    /// Sort key prefix of an air date (unscheduled episodes sort last).
    pub fn air_sk(date: Option<NaiveDate>) -> String {
        match date {
            Some(d) => format!("AIR#{d}"),
            None => "AIR#9999-12-31".into(),
        }
    }

    /// The schedule item linking a talent to this episode.
    pub fn talent_key(org: &OrgId, talent: &UserId, episode: &EpisodeId) -> Key {
        Key::new(org_pk(org, format!("TALENT#{talent}")), format!("EPISODE#{episode}"))
    }
}

impl Entity for Episode {
    const TYPE: &'static str = "episode";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let sk = format!("{}#{}", Self::air_sk(self.air_date), self.id);
        vec![
            (Index::Gsi1, Key::new(Self::by_show_pk(&self.org_id, &self.show_id), sk.clone())),
            (Index::Gsi2, Key::new(Self::list_pk(&self.org_id), sk.clone())),
            (Index::Gsi3, Key::new(Self::by_status_pk(&self.org_id, self.status), sk)),
        ]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A draft episode of a new show, with no talent.
    pub(crate) fn episode() -> Episode {
        Episode {
            id: EpisodeId::new(),
            org_id: OrgId::new(),
            show_id: ShowId::new(),
            title: "Pilot".into(),
            number: Some(1),
            air_date: None,
            recording_date: None,
            duration_seconds: None,
            talent_ids: vec![],
            status: EpisodeStatus::Draft,
            published_at: None,
            enclosure_urls: vec![],
            file_size_bytes: None,
            header_bytes: None,
            ad_markers: vec![],
            stamp: Stamp::created(UserId::new(), Utc::now()),
        }
    }
}
