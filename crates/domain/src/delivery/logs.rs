//! Log lines into [`Request`]s, with the URL each asked for (matched to an episode by the show's
//! feed hosts and the episode's enclosure). Two formats:
//!
//! - **CloudFront standard access logs**: tab-separated, described by their `#Fields:` line
//!   (`date time c-ip cs-method cs(Host) cs-uri-stem sc-status cs(User-Agent) sc-bytes ...`).
//!   The user agent is URL-encoded (sometimes twice) and decoded here. The bytes delivered are
//!   `sc-range-end - sc-range-start + 1` when CloudFront logged the range it served, else
//!   `sc-content-len`, else `sc-bytes` (which counts the response headers too).
//! - **JSON Lines** (docs/delivery-logs.md): one object per line with `ts` (RFC 3339), `ip`,
//!   `userAgent`, `method`, `status`, `bytesSent`, `range` (the `Range` header, or null), `url`,
//!   `referer`.
//!
//! A line that cannot be read is an error naming why; the ingest counts it and goes on.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use thiserror::Error;

use super::request::{ByteRange, Request};

/// A request with the URL it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The request.
    pub request: Request,
    /// The host it was sent to (lower-cased).
    pub host: Arc<str>,
    /// The path, without the query.
    pub path: Arc<str>,
}

/// Why a line was not read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BadLine {
    /// A CloudFront line before its `#Fields:` line.
    #[error("no #Fields line before the first request")]
    NoFields,
    /// A field the counting needs is missing.
    #[error("the line has no {0}")]
    Missing(&'static str),
    /// A field could not be read.
    #[error("{0} is not readable")]
    Unreadable(&'static str),
}

/// Decodes `%XX` escapes (and `+` left as is), twice at most: CloudFront encodes the user agent,
/// and some of its fields arrive encoded twice.
pub fn url_decode(s: &str) -> String {
    fn once(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    let first = once(s);
    if first.contains('%') { once(&first) } else { first }
}

/// Where the fields the counting reads are in a CloudFront log's lines, found once from its
/// `#Fields:` line.
#[derive(Debug, Clone, Copy, Default)]
struct Columns {
    date: Option<usize>,
    time: Option<usize>,
    ip: Option<usize>,
    method: Option<usize>,
    host: Option<usize>,
    host_header: Option<usize>,
    path: Option<usize>,
    status: Option<usize>,
    user_agent: Option<usize>,
    bytes: Option<usize>,
    content_len: Option<usize>,
    range_start: Option<usize>,
    range_end: Option<usize>,
}

impl Columns {
    fn of(fields: &str) -> Columns {
        let mut c = Columns::default();
        for (i, f) in fields.split_whitespace().enumerate() {
            let slot = match f {
                "date" => &mut c.date,
                "time" => &mut c.time,
                "c-ip" => &mut c.ip,
                "cs-method" => &mut c.method,
                "cs(Host)" => &mut c.host,
                "x-host-header" => &mut c.host_header,
                "cs-uri-stem" => &mut c.path,
                "sc-status" => &mut c.status,
                "cs(User-Agent)" => &mut c.user_agent,
                "sc-bytes" => &mut c.bytes,
                "sc-content-len" => &mut c.content_len,
                "sc-range-start" => &mut c.range_start,
                "sc-range-end" => &mut c.range_end,
                _ => continue,
            };
            // The first of a repeated name, as a lookup by name would find.
            slot.get_or_insert(i);
        }
        c
    }
}

/// The most fields of a CloudFront line read (the standard log has 33).
const MAX_FIELDS: usize = 64;

/// `YYYY-MM-DD`, read without a format parser (a log has millions of them).
fn fast_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return s.parse().ok();
    }
    let n = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |a, d| d.is_ascii_digit().then(|| a * 10 + u32::from(d - b'0')))
    };
    NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(5..7)?, n(8..10)?)
}

/// `HH:MM:SS`, likewise (anything else by the format parser).
fn fast_time(s: &str) -> Option<NaiveTime> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return s.parse().ok();
    }
    let n = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |a, d| d.is_ascii_digit().then(|| a * 10 + u32::from(d - b'0')))
    };
    NaiveTime::from_hms_opt(n(0..2)?, n(3..5)?, n(6..8)?)
}

/// The last few distinct values of a field, shared rather than copied: a log repeats a handful
/// of hosts, paths and user agents millions of times.
#[derive(Debug, Clone, Default)]
struct Recent {
    seen: Vec<(Box<str>, Arc<str>)>,
    next: usize,
}

impl Recent {
    /// How many values are remembered.
    const SIZE: usize = 32;

    /// The value for `raw`, made by `make` the first time.
    fn get(&mut self, raw: &str, make: impl FnOnce(&str) -> String) -> Arc<str> {
        if let Some((_, v)) = self.seen.iter().find(|(r, _)| &**r == raw) {
            return v.clone();
        }
        let v: Arc<str> = make(raw).into();
        if self.seen.len() < Self::SIZE {
            self.seen.push((raw.into(), v.clone()));
        } else {
            self.seen[self.next] = (raw.into(), v.clone());
            self.next = (self.next + 1) % Self::SIZE;
        }
        v
    }
}

/// A method as a request carries it: the usual ones without an allocation.
fn method_of(m: &str) -> Cow<'static, str> {
    match m {
        "GET" => Cow::Borrowed("GET"),
        "HEAD" => Cow::Borrowed("HEAD"),
        other => Cow::Owned(other.to_owned()),
    }
}

/// A CloudFront standard log, read line by line: its `#Fields:` line names the columns.
#[derive(Debug, Clone, Default)]
pub struct CloudFront {
    columns: Option<Columns>,
    agents: Recent,
    hosts: Recent,
    paths: Recent,
}

impl CloudFront {
    /// Reads one line: `Ok(None)` for a comment or an empty line (a `#Fields:` line sets the
    /// columns), the request, or why the line is bad.
    pub fn line(&mut self, line: &str) -> Result<Option<LoggedRequest>, BadLine> {
        let line = line.trim_end_matches(['\r', '\n']);
        if let Some(fields) = line.strip_prefix("#Fields:") {
            self.columns = Some(Columns::of(fields));
            return Ok(None);
        }
        if line.starts_with('#') || line.trim().is_empty() {
            return Ok(None);
        }
        let Some(c) = self.columns else { return Err(BadLine::NoFields) };
        let mut values = [""; MAX_FIELDS];
        let mut count = 0;
        for (i, v) in line.split('\t').take(MAX_FIELDS).enumerate() {
            values[i] = v;
            count = i + 1;
        }
        let get = |at: Option<usize>| -> Option<&str> {
            let v = *values[..count].get(at?)?;
            (v != "-" && !v.is_empty()).then_some(v)
        };
        let need = |at: Option<usize>, name: &'static str| get(at).ok_or(BadLine::Missing(name));
        let date = fast_date(need(c.date, "date")?).ok_or(BadLine::Unreadable("date"))?;
        let time = fast_time(need(c.time, "time")?).ok_or(BadLine::Unreadable("time"))?;
        let ip = need(c.ip, "c-ip")?.parse().map_err(|_| BadLine::Unreadable("c-ip"))?;
        let status = need(c.status, "sc-status")?.parse().map_err(|_| BadLine::Unreadable("sc-status"))?;
        let number = |at: Option<usize>, name: &'static str| -> Result<Option<u64>, BadLine> {
            get(at).map(|v| v.parse().map_err(|_| BadLine::Unreadable(name))).transpose()
        };
        let (start, end) = (number(c.range_start, "sc-range-start")?, number(c.range_end, "sc-range-end")?);
        let range = start.map(|start| ByteRange { start, end });
        let bytes_sent = match (start, end) {
            (Some(s), Some(e)) if e >= s => e - s + 1,
            _ => match number(c.content_len, "sc-content-len")? {
                Some(n) => n,
                None => number(c.bytes, "sc-bytes")?.ok_or(BadLine::Missing("sc-bytes"))?,
            },
        };
        let method = method_of(need(c.method, "cs-method")?);
        let host = get(c.host_header).or(get(c.host)).ok_or(BadLine::Missing("cs(Host)"))?;
        let path = need(c.path, "cs-uri-stem")?;
        let user_agent = match get(c.user_agent) {
            Some(ua) => self.agents.get(ua, url_decode),
            None => Arc::from(""),
        };
        let request = Request {
            at: DateTime::from_naive_utc_and_offset(date.and_time(time), Utc),
            ip,
            user_agent,
            method,
            status,
            bytes_sent,
            range,
        };
        let host = self.hosts.get(host, str::to_ascii_lowercase);
        let path = self.paths.get(path, str::to_owned);
        Ok(Some(LoggedRequest { request, host, path }))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonLine {
    ts: DateTime<Utc>,
    ip: String,
    #[serde(default)]
    user_agent: Option<String>,
    method: String,
    status: u16,
    bytes_sent: u64,
    #[serde(default)]
    range: Option<String>,
    url: String,
}

/// Reads one line of the JSON Lines format: `Ok(None)` for an empty line.
pub fn json_line(line: &str) -> Result<Option<LoggedRequest>, BadLine> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let j: JsonLine = serde_json::from_str(line).map_err(|_| BadLine::Unreadable("the JSON object"))?;
    let ip = j.ip.parse().map_err(|_| BadLine::Unreadable("ip"))?;
    let rest = j.url.split_once("://").map_or(j.url.as_str(), |(_, r)| r);
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let path = path.split(['?', '#']).next().unwrap_or("/").to_owned();
    if host.is_empty() {
        return Err(BadLine::Unreadable("url"));
    }
    let request = Request {
        at: j.ts,
        ip,
        user_agent: j.user_agent.unwrap_or_default().into(),
        method: Cow::Owned(j.method),
        status: j.status,
        bytes_sent: j.bytes_sent,
        range: j.range.as_deref().and_then(ByteRange::parse),
    };
    Ok(Some(LoggedRequest { request, host: host.to_lowercase().into(), path: path.into() }))
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;

    use super::*;

    const FIELDS: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status \
        cs(Referer) cs(User-Agent) cs-uri-query sc-content-len sc-range-start sc-range-end";

    #[test]
    fn recent_values_are_shared_by_their_raw_text_and_the_oldest_make_room() {
        let mut r = Recent::default();
        let made = |s: &str| format!("<{s}>");
        let a = r.get("a", made);
        assert_eq!(&*r.get("b", made), "<b>", "another text is another value");
        assert!(Arc::ptr_eq(&a, &r.get("a", |_| unreachable!("remembered"))));
        for n in 0..Recent::SIZE {
            r.get(&format!("v{n}"), made);
        }
        assert_eq!(r.seen.len(), Recent::SIZE, "never more than its size");
        // "a" and "b" were the oldest: the two values after a full round took their places.
        assert_eq!((&*r.seen[0].0, &*r.seen[1].0), ("v30", "v31"));
        assert_eq!(r.next, 2);
        assert_eq!(&*r.get("a", made), "<a>", "made again once forgotten");
        assert_eq!(&*r.seen[2].0, "a");
    }

    #[test]
    fn dates_and_times_of_other_shapes_are_read_by_the_format_parser() {
        assert_eq!(fast_date("2026-12-07"), NaiveDate::from_ymd_opt(2026, 12, 7));
        assert_eq!(fast_date("2026-12-7"), "2026-12-7".parse().ok());
        assert_eq!(fast_date("2026-1-7"), "2026-1-7".parse().ok());
        assert_eq!(fast_date("2026/12/07"), None);
        assert_eq!(fast_date("2026-13-07"), None);
        assert_eq!(fast_date("20x6-12-07"), None);
        assert_eq!(fast_date("2026x12-07"), None, "a misplaced dash is not the fast path's");
        assert_eq!(fast_date("2026-12x07"), None);
        assert_eq!(fast_time("08:00:05"), NaiveTime::from_hms_opt(8, 0, 5));
        assert_eq!(fast_time("8:00:05"), "8:00:05".parse().ok());
        assert_eq!(fast_time("08:0:05"), "08:0:05".parse().ok());
        assert_eq!(fast_time("08:00:61x"), None);
        assert_eq!(fast_time("25:00:00"), None);
        assert_eq!(fast_time("08x00:05"), None, "a misplaced colon is not the fast path's");
        assert_eq!(fast_time("08:00x05"), None);
        assert_eq!(fast_time("08:00:05.5"), "08:00:05.5".parse().ok(), "fractions by the format parser");
        assert!(fast_time("08:00:05.5").is_some_and(|t| t.nanosecond() > 0));
    }

    #[test]
    fn the_host_header_wins_over_the_distributions_host() {
        let mut cf = CloudFront::default();
        cf.line(
            "#Fields: date time c-ip cs-method cs(Host) x-host-header cs-uri-stem sc-status sc-bytes cs(User-Agent)",
        )
        .unwrap();
        let r = cf
            .line("2026-12-07\t08:00:00\t192.0.2.1\tGET\td1.cloudfront.net\tCDN.Example.com\t/e.mp3\t200\t9\tA%20B")
            .unwrap()
            .unwrap();
        assert_eq!(&*r.host, "cdn.example.com");
        let r =
            cf.line("2026-12-07\t08:00:00\t192.0.2.1\tGET\td1.cloudfront.net\t-\t/e.mp3\t200\t9\tC").unwrap().unwrap();
        assert_eq!(&*r.host, "d1.cloudfront.net", "without one, the distribution's");
        assert_eq!((&*r.request.user_agent, r.request.bytes_sent), ("C", 9));
        assert_eq!(r.request.method, "GET");
        for m in ["HEAD", "PUT"] {
            let line = format!("2026-12-07\t08:00:00\t192.0.2.1\t{m}\td1.cloudfront.net\t-\t/e.mp3\t200\t9\tC");
            assert_eq!(cf.line(&line).unwrap().unwrap().request.method, m);
        }
    }

    #[test]
    fn cloudfront_lines_are_read_by_their_fields_line() {
        let mut cf = CloudFront::default();
        assert_eq!(
            cf.line("2026-12-07\t08:00:00\tIAD89\t500\t192.0.2.1\tGET\td1.cloudfront.net\t/e.mp3\t200"),
            Err(BadLine::NoFields)
        );
        assert_eq!(cf.line("#Version: 1.0"), Ok(None));
        assert_eq!(cf.line(FIELDS), Ok(None));
        let full = "2026-12-07\t08:00:00\tIAD89-C1\t1048900\t192.0.2.1\tGET\tD1.cloudfront.net\t/shows/markets/e42.mp3\t200\t-\t\
            AppleCoreMedia/1.0.0.20E247%2520(iPhone;%2520U)\t-\t1048576\t-\t-";
        let r = cf.line(full).unwrap().unwrap();
        assert_eq!((&*r.host, &*r.path), ("d1.cloudfront.net", "/shows/markets/e42.mp3"));
        assert_eq!(&*r.request.user_agent, "AppleCoreMedia/1.0.0.20E247 (iPhone; U)", "decoded, even twice encoded");
        assert_eq!((r.request.status, r.request.bytes_sent, r.request.range), (200, 1_048_576, None));
        assert_eq!(r.request.at.to_rfc3339(), "2026-12-07T08:00:00+00:00");
        let ranged = "2026-12-07\t08:00:05\tIAD89-C1\t2400\t2001:db8::1\tGET\td1.cloudfront.net\t/e.mp3\t206\t-\tOvercast/3.0\t-\t2000\t0\t1";
        let r = cf.line(ranged).unwrap().unwrap();
        assert_eq!((r.request.bytes_sent, r.request.range), (2, Some(ByteRange { start: 0, end: Some(1) })));
        assert!(r.request.range.unwrap().is_probe());
        let later = "2026-12-07\t08:00:07\tIAD89-C1\t1400\t192.0.2.1\tGET\td1.cloudfront.net\t/e.mp3\t206\t-\tOvercast/3.0\t-\t1000\t1000\t1999";
        let r = cf.line(later).unwrap().unwrap();
        assert_eq!((r.request.bytes_sent, r.request.delivered()), (1000, Some((1000, 2000))));
        let backwards = "2026-12-07\t08:00:08\tIAD89-C1\t900\t192.0.2.1\tGET\td1.cloudfront.net\t/e.mp3\t206\t-\tOvercast/3.0\t-\t640\t10\t5";
        assert_eq!(
            cf.line(backwards).unwrap().unwrap().request.bytes_sent,
            640,
            "a range that ends before it starts is not used"
        );
        let headers_only = "2026-12-07\t08:00:06\tIAD89-C1\t350\t192.0.2.1\tHEAD\td1.cloudfront.net\t/e.mp3\t200\t-\tcurl/8.5\t-\t-\t-\t-";
        assert_eq!(cf.line(headers_only).unwrap().unwrap().request.bytes_sent, 350, "sc-bytes when nothing better");
        assert_eq!(cf.line("   "), Ok(None));
    }

    #[test]
    fn bad_cloudfront_lines_say_why() {
        let mut cf = CloudFront::default();
        cf.line(FIELDS).unwrap();
        let cases = [
            ("2026-13-07\t08:00:00\tX\t1\t192.0.2.1\tGET\th\t/e\t200\t-\tUA\t-\t1\t-\t-", BadLine::Unreadable("date")),
            ("2026-12-07\t25:00:00\tX\t1\t192.0.2.1\tGET\th\t/e\t200\t-\tUA\t-\t1\t-\t-", BadLine::Unreadable("time")),
            ("2026-12-07\t08:00:00\tX\t1\tnot-an-ip\tGET\th\t/e\t200\t-\tUA\t-\t1\t-\t-", BadLine::Unreadable("c-ip")),
            (
                "2026-12-07\t08:00:00\tX\t1\t192.0.2.1\tGET\th\t/e\tOK\t-\tUA\t-\t1\t-\t-",
                BadLine::Unreadable("sc-status"),
            ),
            ("2026-12-07\t08:00:00\tX\t-\t192.0.2.1\tGET\th\t/e\t200\t-\tUA\t-\t-\t-\t-", BadLine::Missing("sc-bytes")),
            ("2026-12-07\t08:00:00\tX\t1\t192.0.2.1\tGET\t-\t/e\t200\t-\tUA\t-\t1\t-\t-", BadLine::Missing("cs(Host)")),
            (
                "2026-12-07\t08:00:00\tX\t1\t192.0.2.1\tGET\th\t/e\t200\t-\tUA\t-\t1\tx\t-",
                BadLine::Unreadable("sc-range-start"),
            ),
            ("2026-12-07", BadLine::Missing("time")),
        ];
        for (line, why) in cases {
            assert_eq!(cf.line(line), Err(why.clone()), "{line}");
        }
    }

    #[test]
    fn json_lines_are_read_with_their_url() {
        let line = r#"{"ts":"2026-12-07T08:00:00Z","ip":"192.0.2.1","userAgent":"Overcast/3.0","method":"GET","status":206,"bytesSent":1000,"range":"bytes=0-","url":"https://Media.Example.com/shows/e42.mp3?ref=feed","referer":null}"#;
        let r = json_line(line).unwrap().unwrap();
        assert_eq!((&*r.host, &*r.path), ("media.example.com", "/shows/e42.mp3"));
        assert_eq!(r.request.range, Some(ByteRange { start: 0, end: None }));
        assert_eq!((r.request.status, r.request.bytes_sent), (206, 1000));
        let bare = r#"{"ts":"2026-12-07T08:00:00Z","ip":"192.0.2.1","method":"GET","status":200,"bytesSent":5,"url":"media.example.com"}"#;
        let r = json_line(bare).unwrap().unwrap();
        assert_eq!((&*r.path, &*r.request.user_agent, r.request.range), ("/", "", None));
        assert_eq!(json_line(""), Ok(None));
        assert_eq!(json_line("{not json"), Err(BadLine::Unreadable("the JSON object")));
        let bad_ip = bare.replace("192.0.2.1", "nowhere");
        assert_eq!(json_line(&bad_ip), Err(BadLine::Unreadable("ip")));
        let no_host = bare.replace("media.example.com", "https:///e.mp3");
        assert_eq!(json_line(&no_host), Err(BadLine::Unreadable("url")));
    }

    #[test]
    fn decoding_leaves_what_is_not_an_escape() {
        assert_eq!(url_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%2"), "%zz%2");
        assert_eq!(url_decode("%252520"), "%20", "decoded twice at most");
    }
}
