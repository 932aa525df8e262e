//! One request of a CDN log, as the counting rules read it.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

/// A `Range` header's byte range: `bytes=start-end` (inclusive end), or `bytes=start-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// The first byte.
    pub start: u64,
    /// The last byte, inclusive (`None`: to the end).
    pub end: Option<u64>,
}

impl ByteRange {
    /// The range a `Range` header names (`bytes=0-1`, `bytes=500-`); `None` for anything else
    /// (several ranges, suffix ranges, garbage): such a request is read as a whole response.
    pub fn parse(header: &str) -> Option<ByteRange> {
        let spec = header.trim().strip_prefix("bytes=")?;
        // Several ranges or a suffix range fail to parse as one start and one end.
        let (start, end) = spec.split_once('-')?;
        let start = start.trim().parse().ok()?;
        let end = match end.trim() {
            "" => None,
            e => Some(e.parse().ok()?),
        };
        if end.is_some_and(|e| e < start) {
            return None;
        }
        Some(ByteRange { start, end })
    }

    /// Whether this is the two-byte probe players send before a download (`bytes=0-1`).
    pub fn is_probe(&self) -> bool {
        self.start == 0 && self.end == Some(1)
    }
}

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// When it was served.
    pub at: DateTime<Utc>,
    /// The client's address.
    pub ip: IpAddr,
    /// Its user agent.
    pub user_agent: std::sync::Arc<str>,
    /// Its method.
    pub method: std::borrow::Cow<'static, str>,
    /// The status answered.
    pub status: u16,
    /// The bytes sent in the body.
    pub bytes_sent: u64,
    /// The byte range asked for.
    pub range: Option<ByteRange>,
}

impl Request {
    /// The bytes of the file this request delivered, half open (`[start, end)`): from its range's
    /// start (or 0), as many as were sent; `None` when it sent none.
    pub fn delivered(&self) -> Option<(u64, u64)> {
        if self.bytes_sent == 0 {
            return None;
        }
        let start = self.range.map_or(0, |r| r.start);
        Some((start, start.saturating_add(self.bytes_sent)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_players_send_them() {
        assert_eq!(ByteRange::parse("bytes=0-1"), Some(ByteRange { start: 0, end: Some(1) }));
        assert!(ByteRange::parse("bytes=0-1").unwrap().is_probe());
        assert!(!ByteRange::parse("bytes=0-2").unwrap().is_probe());
        assert_eq!(ByteRange::parse("bytes=500-"), Some(ByteRange { start: 500, end: None }));
        assert_eq!(ByteRange::parse("bytes=5-5"), Some(ByteRange { start: 5, end: Some(5) }), "one byte");
        for bad in ["bytes=-500", "bytes=0-1,5-9", "items=0-1", "bytes=9-3", "bytes=a-b", ""] {
            assert_eq!(ByteRange::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_request_delivers_what_it_sent_from_where_it_started() {
        let r = |range: Option<ByteRange>, sent: u64| Request {
            at: Utc::now(),
            ip: "192.0.2.1".parse().unwrap(),
            user_agent: "AppleCoreMedia/1.0".into(),
            method: "GET".into(),
            status: 206,
            bytes_sent: sent,
            range,
        };
        assert_eq!(r(None, 1000).delivered(), Some((0, 1000)));
        assert_eq!(r(ByteRange::parse("bytes=500-"), 100).delivered(), Some((500, 600)));
        assert_eq!(r(None, 0).delivered(), None);
    }
}
