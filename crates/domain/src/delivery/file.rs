//! What counting needs of an episode's audio file: its size, length, header and baked-in ads,
//! and from them the one-minute threshold and each ad's byte span.

use serde::{Deserialize, Serialize};

use crate::campaign::Position;

/// Seconds of audio a download must reach.
pub const THRESHOLD_SECONDS: f64 = 60.0;

/// An ad baked into the file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdMarker {
    /// The spot's position.
    pub position: Position,
    /// Where it starts, in seconds from the start of the audio.
    pub offset_seconds: f64,
    /// How long it runs.
    pub duration_seconds: f64,
}

// Offsets are validated finite wherever a marker is stored (`Episode::validate`), so equality
// is an equivalence on every marker that exists.
impl Eq for AdMarker {}

/// An episode's audio file, as the counting rules see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EpisodeFile {
    /// Its size in bytes (`None`: unknown).
    pub size: Option<u64>,
    /// Its length in seconds (`None`: unknown).
    pub duration_seconds: Option<f64>,
    /// The bytes before the audio (ID3 tags, artwork).
    pub header_bytes: u64,
    /// Its baked-in ads.
    pub ads: Vec<AdMarker>,
}

impl EpisodeFile {
    /// The bytes a listener must have received for a download: the whole file for one of a
    /// minute or less, else the header and a minute's share of the audio
    /// (`header + (size - header) / duration * 60`); `None` when the size or the length is
    /// unknown (then the whole of what was asked must have been sent: 100 %).
    pub fn threshold_bytes(&self) -> Option<u64> {
        let (size, duration) = (self.size?, self.duration_seconds.filter(|d| *d > 0.0)?);
        if duration <= THRESHOLD_SECONDS {
            return Some(size);
        }
        let audio = size.saturating_sub(self.header_bytes) as f64;
        Some(self.header_bytes + (audio / duration * THRESHOLD_SECONDS).ceil() as u64)
    }

    /// The bytes `[start, end)` of `ad`, from its offset and length at the file's average
    /// bitrate; `None` when the size or length is unknown.
    pub fn ad_span(&self, ad: &AdMarker) -> Option<(u64, u64)> {
        let (size, duration) = (self.size?, self.duration_seconds.filter(|d| *d > 0.0)?);
        let per_second = size.saturating_sub(self.header_bytes) as f64 / duration;
        let at = |seconds: f64| self.header_bytes + (seconds.clamp(0.0, duration) * per_second).round() as u64;
        Some((at(ad.offset_seconds), at(ad.offset_seconds + ad.duration_seconds)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn file() -> EpisodeFile {
        // 30 minutes at 128 kbit/s (16,000 bytes a second) after a 10,000-byte header.
        EpisodeFile {
            size: Some(10_000 + 1800 * 16_000),
            duration_seconds: Some(1800.0),
            header_bytes: 10_000,
            ads: Vec::new(),
        }
    }

    #[test]
    fn the_threshold_is_a_minute_of_audio_after_the_header() {
        assert_eq!(file().threshold_bytes(), Some(10_000 + 60 * 16_000));
        let short = EpisodeFile { size: Some(500_000), duration_seconds: Some(45.0), ..file() };
        assert_eq!(short.threshold_bytes(), Some(500_000), "a file of a minute or less: all of it");
        let minute = EpisodeFile { size: Some(500_000), duration_seconds: Some(60.0), ..file() };
        assert_eq!(minute.threshold_bytes(), Some(500_000));
        assert_eq!(EpisodeFile { size: None, ..file() }.threshold_bytes(), None);
        assert_eq!(EpisodeFile { duration_seconds: None, ..file() }.threshold_bytes(), None);
        assert_eq!(EpisodeFile { duration_seconds: Some(0.0), ..file() }.threshold_bytes(), None);
    }

    #[test]
    fn an_ads_bytes_follow_its_seconds_at_the_average_bitrate() {
        let ad = AdMarker { position: Position::Mid, offset_seconds: 300.0, duration_seconds: 60.0 };
        assert_eq!(file().ad_span(&ad), Some((10_000 + 300 * 16_000, 10_000 + 360 * 16_000)));
        let past_the_end = AdMarker { offset_seconds: 1790.0, ..ad };
        assert_eq!(file().ad_span(&past_the_end), Some((10_000 + 1790 * 16_000, 10_000 + 1800 * 16_000)));
        assert_eq!(EpisodeFile { size: None, ..file() }.ad_span(&ad), None);
        assert_eq!(EpisodeFile { duration_seconds: Some(0.0), ..file() }.ad_span(&ad), None);
    }
}
