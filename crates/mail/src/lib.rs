//! The mail port: what sends e-mail (invitations, password reset codes, notifications). In AWS
//! the adapter is SES v2 ([`ses::SesMail`]); locally it is [`Outbox`], a folder of `.eml` files a
//! developer can open, and tests can read.

pub mod ses;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use thiserror::Error;

/// One plain-text message, with files attached if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Files sent with it (an invoice's PDF).
    pub attachments: Vec<Attachment>,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file's name as the recipient sees it.
    pub file_name: String,
    /// Its media type (`application/pdf`).
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The boundary between the parts of a message with attachments: none of base64's characters, so
/// it never occurs inside a part.
const BOUNDARY: &str = "=_podcastflow_part_boundary";

/// Base64 in lines of 76 characters, as MIME asks.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// The MIME content after the headers common to every message: the text alone, or the text and
/// its attachments as `multipart/mixed`.
fn mime_content(m: &Message) -> String {
    let text = m.body.replace("\r\n", "\n").replace('\n', "\r\n");
    if m.attachments.is_empty() {
        return format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{text}");
    }
    let mut out = format!(
        "Content-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n\r\n--{BOUNDARY}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    );
    for a in &m.attachments {
        out.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Type: {}\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"{}\"\r\n\r\n{}",
            header_value(&a.content_type),
            header_value(&a.file_name).replace('"', "'"),
            base64_lines(&a.bytes)
        ));
    }
    out.push_str(&format!("--{BOUNDARY}--\r\n"));
    out
}

/// Why a message was not sent. Always an outage of the mail service, never the caller's input.
#[derive(Debug, Error)]
#[error("mail unavailable: {0}")]
pub struct MailError(pub String);

/// Sends e-mail.
#[async_trait]
pub trait Mail: Send + Sync {
    /// Sends one message.
    async fn send(&self, message: &Message) -> Result<(), MailError>;
}

/// The local adapter: every message becomes `<dir>/<ulid>.eml` (RFC 5322 text).
#[derive(Clone)]
pub struct Outbox {
    dir: PathBuf,
    from: String,
    /// Monotonic, so names sort in sending order even within one millisecond.
    ids: Arc<Mutex<ulid::Generator>>,
}

/// Header values must not smuggle in more headers.
fn header_value(v: &str) -> String {
    v.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect()
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("dir", &self.dir).field("from", &self.from).finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox writing into `dir` (created when needed), sending as `from`.
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>) -> Self {
        Self { dir: dir.into(), from: from.into(), ids: Arc::new(Mutex::new(ulid::Generator::new())) }
    }

    /// The folder the messages land in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The messages sent so far, oldest first (for tests and the developer's eyes).
    pub fn messages(&self) -> Result<Vec<Message>, MailError> {
        let mut names: Vec<PathBuf> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(MailError(e.to_string())),
        };
        names.retain(|p| p.extension().is_some_and(|x| x == "eml"));
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).map_err(|e| MailError(e.to_string())).map(|t| parse(&t)))
            .collect()
    }
}

/// A header's value in a block of headers.
fn field(head: &str, name: &str) -> String {
    head.lines().find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(": "))).unwrap_or_default().to_owned()
}

/// Reads back a message this outbox wrote, its attachments decoded.
fn parse(text: &str) -> Message {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let (to, subject) = (field(head, "To"), field(head, "Subject"));
    if !field(head, "Content-Type").starts_with("multipart/mixed") {
        return Message { to, subject, body: body.replace("\r\n", "\n"), attachments: Vec::new() };
    }
    let mut message = Message { to, subject, ..Message::default() };
    let delimiter = format!("--{BOUNDARY}");
    for part in body.split(delimiter.as_str()).skip(1) {
        let Some((part_head, content)) = part.split_once("\r\n\r\n") else { continue };
        let disposition = field(part_head, "Content-Disposition");
        match disposition.split_once("filename=\"") {
            Some((_, rest)) => message.attachments.push(Attachment {
                file_name: rest.trim_end_matches('"').to_owned(),
                content_type: field(part_head, "Content-Type"),
                bytes: STANDARD.decode(content.replace("\r\n", "")).unwrap_or_default(),
            }),
            None => message.body = content.strip_suffix("\r\n").unwrap_or(content).replace("\r\n", "\n"),
        }
    }
    message
}

#[async_trait]
impl Mail for Outbox {
    async fn send(&self, m: &Message) -> Result<(), MailError> {
        let id = {
            let mut ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
            // Past 2^80 messages in one millisecond the generator gives up; a fresh id still works.
            ids.generate().unwrap_or_else(|_| ulid::Ulid::new())
        };
        let text = format!(
            "Message-ID: <{id}@podcastflow.local>\r\nDate: {}\r\nFrom: {}\r\nTo: {}\r\nSubject: {}\r\n\
             MIME-Version: 1.0\r\n{}",
            chrono::Utc::now().to_rfc2822(),
            header_value(&self.from),
            header_value(&m.to),
            header_value(&m.subject),
            mime_content(m),
        );
        let err = |e: std::io::Error| MailError(e.to_string());
        tokio::fs::create_dir_all(&self.dir).await.map_err(err)?;
        // Written under a temporary name and renamed, so a reader never sees half a message.
        let tmp = self.dir.join(format!("{id}.tmp"));
        tokio::fs::write(&tmp, text).await.map_err(err)?;
        tokio::fs::rename(&tmp, self.dir.join(format!("{id}.eml"))).await.map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_land_as_eml_files_in_order_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"), "PodcastFlow <no-reply@podcastflow.local>");
        assert!(outbox.messages().unwrap().is_empty());
        for n in 1..=50 {
            let m = Message {
                to: format!("u{n}@example.com"),
                subject: format!("s{n}"),
                body: "line 1\nline 2".into(),
                ..Message::default()
            };
            outbox.send(&m).await.unwrap();
        }
        let got = outbox.messages().unwrap();
        let expected: Vec<String> = (1..=50).map(|n| format!("u{n}@example.com")).collect();
        let sent: Vec<String> = got.iter().map(|m| m.to.clone()).collect();
        assert_eq!(sent, expected, "sending order, within one millisecond too");
        assert_eq!(got[0].body, "line 1\nline 2");
    }

    #[tokio::test]
    async fn header_injection_is_neutralised() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path(), "a@b.c");
        let m = Message {
            to: "x@example.com\r\nBcc: evil@example.com".into(),
            subject: "hi".into(),
            body: String::new(),
            ..Message::default()
        };
        outbox.send(&m).await.unwrap();
        let raw = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
        let text = std::fs::read_to_string(raw).unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
    }

    #[tokio::test]
    async fn attachments_go_as_base64_parts_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path(), "billing@network.example");
        let pdf: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let m = Message {
            to: "ap@agency.example".into(),
            subject: "Invoice INV-2027-00001".into(),
            body: "Please find the invoice attached.\nThank you.".into(),
            attachments: vec![Attachment {
                file_name: "INV-2027-00001.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: pdf.clone(),
            }],
        };
        outbox.send(&m).await.unwrap();
        assert_eq!(outbox.messages().unwrap(), [m]);
        let raw = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
        let text = std::fs::read_to_string(raw).unwrap();
        assert!(text.contains("Content-Type: multipart/mixed;"), "{text}");
        assert!(text.contains("Content-Disposition: attachment; filename=\"INV-2027-00001.pdf\""));
        assert!(text.lines().all(|l| l.len() <= 998), "no line over RFC 5322's limit");
    }
}
