//! Checking AWS Signature Version 4 on requests to the local stack's AWS-style endpoints (the
//! `@connections` management API), as API Gateway checks the IAM signature of its callers: the
//! access key must be the data dir's, the signature must match the request as received, and its
//! time must be within 15 minutes.

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::credentials::LocalCredentials;

/// How far a signature's time may be from now.
const SKEW_SECONDS: i64 = 15 * 60;

/// Why a request's signature is refused (API Gateway's error types).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SigV4Error {
    /// No `Authorization` header, or not a SigV4 one.
    #[error("MissingAuthenticationTokenException: the request is not signed with SigV4")]
    Missing,
    /// The header cannot be read.
    #[error("IncompleteSignatureException: {0}")]
    Incomplete(&'static str),
    /// Another access key.
    #[error("UnrecognizedClientException: the access key is not this stack's")]
    UnknownKey,
    /// Too far from now.
    #[error("InvalidSignatureException: the signature's time is more than 15 minutes from now")]
    Expired,
    /// Does not match.
    #[error("InvalidSignatureException: the signature does not match the request")]
    Mismatch,
}

impl SigV4Error {
    /// The value of `x-amzn-errortype` for this refusal.
    pub fn error_type(&self) -> &'static str {
        match self {
            SigV4Error::Missing => "MissingAuthenticationTokenException",
            SigV4Error::Incomplete(_) => "IncompleteSignatureException",
            SigV4Error::UnknownKey => "UnrecognizedClientException",
            SigV4Error::Expired | SigV4Error::Mismatch => "InvalidSignatureException",
        }
    }
}

/// What of a request the signature covers.
pub struct Signed<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path as received (percent-encoded once by the client).
    pub path: &'a str,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    /// The request's headers.
    pub headers: &'a axum::http::HeaderMap,
    /// The body.
    pub body: &'a [u8],
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC accepts keys of any length; the error arm cannot happen.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, everything else is `%XX`
/// (with `/` kept in paths).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn canonical_query(query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |x: &str| percent_decode(x);
            (encode(&decode(k), false), encode(&decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks a request's SigV4 signature for `service` against the stack's credentials at `now`.
pub fn verify(req: &Signed<'_>, creds: &LocalCredentials, service: &str, now: DateTime<Utc>) -> Result<(), SigV4Error> {
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let auth = header("authorization").ok_or(SigV4Error::Missing)?;
    let fields = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or(SigV4Error::Missing)?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in fields.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let credential = credential.ok_or(SigV4Error::Incomplete("no Credential"))?;
    let signed_headers = signed_headers.ok_or(SigV4Error::Incomplete("no SignedHeaders"))?;
    let signature = signature.ok_or(SigV4Error::Incomplete("no Signature"))?;
    let mut scope = credential.split('/');
    let (Some(key_id), Some(date), Some(region), Some(scope_service), Some("aws4_request"), None) =
        (scope.next(), scope.next(), scope.next(), scope.next(), scope.next(), scope.next())
    else {
        return Err(SigV4Error::Incomplete("the Credential scope is not key/date/region/service/aws4_request"));
    };
    if key_id != creds.access_key_id {
        return Err(SigV4Error::UnknownKey);
    }
    if scope_service != service {
        return Err(SigV4Error::Mismatch);
    }
    let amz_date = header("x-amz-date").ok_or(SigV4Error::Incomplete("no x-amz-date"))?;
    let at = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| SigV4Error::Incomplete("x-amz-date is not YYYYMMDDTHHMMSSZ"))?
        .and_utc();
    if (now - at).num_seconds().abs() > SKEW_SECONDS || !amz_date.starts_with(date) {
        return Err(SigV4Error::Expired);
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"host") {
        return Err(SigV4Error::Incomplete("host is not signed"));
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let values: Vec<String> = req
            .headers
            .get_all(*name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = match header("x-amz-content-sha256") {
        Some(h) if names.contains(&"x-amz-content-sha256") => h.to_owned(),
        _ => hex(&Sha256::digest(req.body)),
    };
    // Services other than S3 sign the path encoded twice: once by the client, once here.
    let canonical = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{payload}",
        req.method,
        encode(req.path, true),
        canonical_query(req.query),
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = ["aws4_request"].iter().fold(
        hmac(&hmac(&hmac(format!("AWS4{}", creds.secret_access_key).as_bytes(), date), region), service),
        |k, part| hmac(&k, part),
    );
    let expected = hex(&hmac(&key, &to_sign));
    // Compare without stopping at the first differing byte.
    let same = expected.len() == signature.len()
        && expected.bytes().zip(signature.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same { Ok(()) } else { Err(SigV4Error::Mismatch) }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    use super::*;

    fn creds() -> LocalCredentials {
        LocalCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }
    }

    /// AWS's published SigV4 test suite case "get-vanilla" (service "service", us-east-1).
    #[test]
    fn the_published_get_vanilla_example_verifies_and_a_changed_one_does_not() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                .parse()
                .unwrap(),
        );
        let now = "2015-08-30T12:40:00Z".parse().unwrap();
        let req = Signed { method: "GET", path: "/", query: None, headers: &headers, body: b"" };
        assert_eq!(verify(&req, &creds(), "service", now), Ok(()));
        let other = Signed { method: "POST", ..req };
        assert_eq!(verify(&other, &creds(), "service", now), Err(SigV4Error::Mismatch));
        let req = Signed { method: "GET", path: "/", query: None, headers: &headers, body: b"" };
        let later = "2015-08-30T13:00:00Z".parse().unwrap();
        assert_eq!(verify(&req, &creds(), "service", later), Err(SigV4Error::Expired));
        let stranger = LocalCredentials { access_key_id: "OTHER".into(), ..creds() };
        assert_eq!(verify(&req, &stranger, "service", now), Err(SigV4Error::UnknownKey));
        let unsigned = Signed { headers: &HeaderMap::new(), ..req };
        assert_eq!(verify(&unsigned, &creds(), "service", now), Err(SigV4Error::Missing));
    }
}
