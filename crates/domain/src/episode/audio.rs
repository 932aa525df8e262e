//! What delivery counting needs of an episode's audio: where it is served from (its enclosure
//! URLs, matched against the CDN's request logs), its size and length, the bytes before the audio
//! starts, and the byte spans of its baked-in ads (from their markers).

use crate::ValidationErrors;
use crate::delivery::file::{AdMarker, EpisodeFile};
use crate::inventory::spot::SpotRef;

use super::Episode;

/// At most this many enclosure URLs per episode (the file as each feed or CDN serves it).
pub const MAX_ENCLOSURES: usize = 5;
/// At most this many ad markers per episode.
pub const MAX_MARKERS: usize = 30;
/// The largest episode file, in bytes (10 GiB).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// The longest baked-in ad, in seconds.
pub const MAX_AD_SECONDS: f64 = 600.0;

/// The host (lower-cased, port kept) and path of an `http(s)` URL, without query or fragment.
pub fn host_and_path(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    valid.then(|| (host.to_ascii_lowercase(), path.to_owned()))
}

/// Whether `host` is a host name a feed or CDN serves from (`cdn.example.com`, a port allowed).
pub fn is_host_name(host: &str) -> bool {
    host_and_path(&format!("https://{host}")).is_some_and(|(h, p)| h == host && p == "/" && !host.contains('/'))
}

impl Episode {
    /// Field errors of the audio fields.
    pub(crate) fn validate_audio(&self, v: &mut ValidationErrors) {
        if self.enclosure_urls.len() > MAX_ENCLOSURES {
            v.add("enclosureUrls", "too_many", format!("at most {MAX_ENCLOSURES} URLs"));
        }
        for (i, url) in self.enclosure_urls.iter().enumerate() {
            if url.len() > 2048 || host_and_path(url).is_none() {
                v.add(format!("enclosureUrls[{i}]"), "invalid", "an http or https URL of at most 2048 characters");
            }
        }
        if self.file_size_bytes.is_some_and(|s| s == 0 || s > MAX_FILE_BYTES) {
            v.add("fileSizeBytes", "out_of_range", "between 1 byte and 10 GiB");
        }
        if let Some(h) = self.header_bytes
            && self.file_size_bytes.is_none_or(|s| h >= s)
        {
            v.add("headerBytes", "out_of_range", "less than fileSizeBytes, which must be given");
        }
        if self.ad_markers.len() > MAX_MARKERS {
            v.add("adMarkers", "too_many", format!("at most {MAX_MARKERS} markers"));
        }
        let length = self.duration_seconds.map(f64::from);
        for (i, m) in self.ad_markers.iter().enumerate() {
            if !m.offset_seconds.is_finite() || m.offset_seconds < 0.0 {
                v.add(format!("adMarkers[{i}].offsetSeconds"), "out_of_range", "zero or more seconds");
            }
            if !m.duration_seconds.is_finite() || m.duration_seconds <= 0.0 || m.duration_seconds > MAX_AD_SECONDS {
                v.add(format!("adMarkers[{i}].durationSeconds"), "out_of_range", "more than 0 and at most 600 seconds");
            }
            if length.is_some_and(|l| m.offset_seconds + m.duration_seconds > l) {
                v.add(format!("adMarkers[{i}]"), "out_of_range", "must end within the episode's durationSeconds");
            }
        }
    }

    /// Its audio as counting sees it.
    pub fn audio_file(&self) -> EpisodeFile {
        EpisodeFile {
            size: self.file_size_bytes,
            duration_seconds: self.duration_seconds.map(f64::from),
            header_bytes: self.header_bytes.unwrap_or(0),
            ads: self.ad_markers.clone(),
        }
    }

    /// The spot each ad marker plays: the `n`th marker of a position (by offset) is that
    /// position's spot `n`.
    pub fn marker_spots(&self) -> Vec<Option<SpotRef>> {
        self.ad_markers
            .iter()
            .map(|m| {
                let before = self.ad_markers.iter().filter(|o| o.position == m.position && earlier(o, m)).count();
                u8::try_from(before).ok().map(|index| SpotRef { episode_id: self.id, position: m.position, index })
            })
            .collect()
    }

    /// Whether a request for `host` and `path` is for this episode's file.
    pub fn serves(&self, host: &str, path: &str) -> bool {
        self.enclosure_urls.iter().any(|u| host_and_path(u).is_some_and(|(h, p)| h == host && p == path))
    }
}

/// Whether `a` plays before `b`.
fn earlier(a: &AdMarker, b: &AdMarker) -> bool {
    a.offset_seconds < b.offset_seconds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Position;
    use crate::episode::tests::episode;

    #[test]
    fn urls_give_their_host_and_path() {
        assert_eq!(
            host_and_path("https://CDN.Example.com/shows/ep1.mp3?x=1#t"),
            Some(("cdn.example.com".into(), "/shows/ep1.mp3".into()))
        );
        assert_eq!(host_and_path("http://cdn.example.com:8080"), Some(("cdn.example.com:8080".into(), "/".into())));
        assert_eq!(host_and_path("ftp://cdn.example.com/a"), None);
        assert_eq!(host_and_path("https:///a"), None);
        assert_eq!(host_and_path("https://exa mple.com/a"), None);
        assert!(is_host_name("cdn.example.com"));
        assert!(!is_host_name("cdn.example.com/x"));
        assert!(!is_host_name("CDN.example.com"), "host names are stored lower-case");
        assert!(!is_host_name(""));
    }

    fn marker(position: Position, offset: f64) -> AdMarker {
        AdMarker { position, offset_seconds: offset, duration_seconds: 30.0 }
    }

    #[test]
    fn audio_fields_are_validated() {
        let mut e = episode();
        e.duration_seconds = Some(1800);
        e.enclosure_urls = vec!["https://cdn.example.com/ep1.mp3".into()];
        e.file_size_bytes = Some(28_810_000);
        e.header_bytes = Some(10_000);
        e.ad_markers = vec![marker(Position::Pre, 0.0), marker(Position::Mid, 900.0)];
        assert!(e.validate(&e.talent_ids.clone()).is_ok());
        let fields = |e: &Episode| {
            let errors = e.validate(&e.talent_ids.clone()).unwrap_err();
            errors.errors.iter().map(|f| f.field.clone()).collect::<Vec<_>>()
        };
        let mut bad = e.clone();
        bad.enclosure_urls = vec!["ftp://x/y".into(), format!("https://x/{}", "a".repeat(2048))];
        assert_eq!(fields(&bad), ["enclosureUrls[0]", "enclosureUrls[1]"]);
        bad = e.clone();
        bad.enclosure_urls = vec!["https://a/b".into(); MAX_ENCLOSURES + 1];
        assert_eq!(fields(&bad), ["enclosureUrls"]);
        bad = e.clone();
        bad.file_size_bytes = Some(0);
        assert_eq!(fields(&bad), ["fileSizeBytes", "headerBytes"]);
        bad.file_size_bytes = Some(MAX_FILE_BYTES + 1);
        assert_eq!(fields(&bad), ["fileSizeBytes"]);
        bad.file_size_bytes = Some(MAX_FILE_BYTES);
        assert!(bad.validate(&[]).is_ok() || fields(&bad).is_empty());
        bad = e.clone();
        bad.header_bytes = Some(28_810_000);
        assert_eq!(fields(&bad), ["headerBytes"]);
        bad.file_size_bytes = None;
        bad.header_bytes = Some(1);
        assert_eq!(fields(&bad), ["headerBytes"]);
        bad = e.clone();
        bad.ad_markers = vec![
            AdMarker { position: Position::Pre, offset_seconds: -1.0, duration_seconds: 30.0 },
            AdMarker { position: Position::Mid, offset_seconds: 10.0, duration_seconds: 0.0 },
            AdMarker { position: Position::Mid, offset_seconds: 10.0, duration_seconds: 601.0 },
            AdMarker { position: Position::Post, offset_seconds: 1790.0, duration_seconds: 30.0 },
            AdMarker { position: Position::Post, offset_seconds: f64::NAN, duration_seconds: 30.0 },
        ];
        assert_eq!(
            fields(&bad),
            [
                "adMarkers[0].offsetSeconds",
                "adMarkers[1].durationSeconds",
                "adMarkers[2].durationSeconds",
                "adMarkers[3]",
                "adMarkers[4].offsetSeconds"
            ]
        );
        bad.ad_markers = vec![marker(Position::Mid, 1.0); MAX_MARKERS + 1];
        assert_eq!(fields(&bad), ["adMarkers"]);
        bad.ad_markers = vec![marker(Position::Mid, 1770.0)];
        assert!(bad.validate(&bad.talent_ids.clone()).is_ok(), "ending at the last second is within");
        // Every bound is inclusive.
        assert_eq!(MAX_FILE_BYTES, 10_737_418_240);
        let mut edge = e.clone();
        edge.enclosure_urls = vec![format!("https://a/{}", "b".repeat(2048 - 10)); MAX_ENCLOSURES];
        assert_eq!(edge.enclosure_urls[0].len(), 2048);
        edge.ad_markers = vec![AdMarker { position: Position::Mid, offset_seconds: 0.0, duration_seconds: 600.0 }];
        edge.duration_seconds = Some(1800);
        assert!(edge.validate(&[]).is_ok(), "{:?}", edge.validate(&[]));
        edge.ad_markers = vec![marker(Position::Mid, 1.0); MAX_MARKERS];
        assert!(edge.validate(&[]).is_ok());
    }

    #[test]
    fn markers_play_their_positions_spots_in_order_and_urls_match_requests() {
        let mut e = episode();
        e.ad_markers = vec![marker(Position::Mid, 1200.0), marker(Position::Pre, 0.0), marker(Position::Mid, 600.0)];
        let spots = e.marker_spots();
        let at = |p, i| Some(SpotRef { episode_id: e.id, position: p, index: i });
        assert_eq!(spots, [at(Position::Mid, 1), at(Position::Pre, 0), at(Position::Mid, 0)]);
        e.enclosure_urls = vec!["https://cdn.example.com/a/ep1.mp3?src=rss".into()];
        assert!(e.serves("cdn.example.com", "/a/ep1.mp3"));
        assert!(!e.serves("cdn.example.com", "/a/ep2.mp3"));
        assert!(!e.serves("other.example.com", "/a/ep1.mp3"));
        e.file_size_bytes = Some(100);
        e.header_bytes = None;
        e.duration_seconds = Some(90);
        let f = e.audio_file();
        assert_eq!((f.size, f.duration_seconds, f.header_bytes, f.ads.len()), (Some(100), Some(90.0), 0, 3));
    }
}
