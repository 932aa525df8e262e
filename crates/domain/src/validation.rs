//! Field-level validation errors, collected rather than failing on the first.

use serde::Serialize;
use thiserror::Error;

/// One invalid field: a JSON pointer-ish path, a stable machine code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's path in the request body, e.g. `budget.amount` or `contacts[1].email`.
    pub field: String,
    /// A stable code clients can switch on, e.g. `required`, `too_long`, `invalid`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
}

/// All the field errors of one value; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Error, Serialize)]
#[error("{} invalid field(s)", .errors.len())]
pub struct ValidationErrors {
    /// The errors in the order they were found.
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error on a field.
    pub fn add(&mut self, field: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), code, message: message.into() });
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Whether a field has an error (any code).
    pub fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// Adds another set of errors.
    pub fn extend(&mut self, other: ValidationErrors) {
        self.errors.extend(other.errors);
    }

    /// Adds another set of errors with `prefix` before each field name (nested objects).
    pub fn extend_prefixed(&mut self, prefix: &str, other: ValidationErrors) {
        self.errors.extend(other.errors.into_iter().map(|mut e| {
            e.field = format!("{prefix}{}", e.field);
            e
        }));
    }

    /// `Ok(())` when empty, otherwise the collected errors.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Requires a trimmed, non-empty string no longer than `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "required", "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, "too_long", format!("must be at most {max} characters"));
        }
    }

    /// Like [`Self::text`] for an optional value: absent is fine, present must be valid.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            self.text(field, v, max);
        }
    }

    /// An `https://` URL with a host, at most 2,048 characters, without spaces or control
    /// characters (what a browser can load as an image or link without surprises).
    pub fn https_url(&mut self, field: &str, value: &str) {
        let host = value.strip_prefix("https://").map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
        let clean = !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if value.len() > 2048 || !clean || host.is_none_or(str::is_empty) {
            self.add(field, "invalid", "must be an https:// URL of at most 2048 characters");
        }
    }

    /// A plausible e-mail address: one `@`, non-empty local part, a dotted domain, no spaces.
    pub fn email(&mut self, field: &str, value: &str) {
        if !is_plausible_email(value) {
            self.add(field, "invalid", "must be an e-mail address");
        }
    }
}

/// Whether a string looks like an e-mail address; deliverability is checked by sending mail.
pub fn is_plausible_email(value: &str) -> bool {
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_error() {
        let mut v = ValidationErrors::new();
        v.text("name", "  ", 10);
        v.text("title", "abcdefghijk", 10);
        v.email("email", "nobody");
        v.opt_text("note", None, 3);
        assert_eq!(v.errors.len(), 3);
        assert!(v.has("name") && v.has("title") && v.has("email"));
        assert!(v.into_result().is_err());
    }

    #[test]
    fn email_shapes() {
        assert!(is_plausible_email("a@b.co"));
        for bad in ["", "a", "@b.co", "a@b", "a@@b.co", "a b@c.co", "a@.co", "a@co.", "a\u{1}@b.co", "a@b.co\u{7f}"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn limits_are_inclusive_and_nested_errors_keep_their_place() {
        let mut v = ValidationErrors::new();
        v.text("exact", &"é".repeat(10), 10);
        v.opt_text("absent", None, 1);
        assert!(v.is_empty(), "ten characters fit a limit of ten");
        v.opt_text("present", Some(""), 1);
        assert!(v.has("present"));
        let mut inner = ValidationErrors::new();
        inner.add("amount", "invalid", "x");
        let mut outer = ValidationErrors::new();
        outer.extend_prefixed("budget.", inner.clone());
        outer.extend(inner);
        assert!(outer.has("budget.amount") && outer.has("amount"));
        let local = "a".repeat(64);
        let long = format!("{local}@{}.co", "b".repeat(254 - 64 - 4));
        assert_eq!(long.len(), 254);
        assert!(is_plausible_email(&long), "254 characters fit");
        assert!(!is_plausible_email(&format!("{long}m")));
        let url = format!("https://x.io/{}", "a".repeat(2048 - 13));
        assert_eq!(url.len(), 2048);
        let mut v = ValidationErrors::new();
        v.https_url("u", &url);
        assert!(v.is_empty(), "2048 characters fit");
    }

    #[test]
    fn https_urls() {
        for good in ["https://cdn.example.com/a.png", "https://x.io", "https://x.io?size=2"] {
            let mut v = ValidationErrors::new();
            v.https_url("u", good);
            assert!(v.is_empty(), "{good}");
        }
        let long = format!("https://x.io/{}", "a".repeat(2040));
        for bad in ["http://x.io/a.png", "https://", "https:///a", "https://x.io/a b", "javascript:alert(1)", &long] {
            let mut v = ValidationErrors::new();
            v.https_url("u", bad);
            assert!(v.has("u"), "{bad}");
        }
    }
}
