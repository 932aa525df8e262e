//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps, 6 digits,
//! as authenticator apps expect. Verification accepts one step of clock drift either way and
//! returns the step that matched, so the caller can refuse its reuse.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP: u64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// A new random secret.
pub fn new_secret() -> Result<Vec<u8>, getrandom::Error> {
    let mut s = vec![0u8; SECRET_BYTES];
    getrandom::fill(&mut s)?;
    Ok(s)
}

/// The secret as authenticator apps take it (base32, no padding).
pub fn encode_secret(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// A secret typed or scanned back from base32 (case and spaces forgiven).
pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    BASE32_NOPAD.decode(cleaned.trim_end_matches('=').as_bytes()).ok()
}

/// The `otpauth://` URI an authenticator app scans.
pub fn provisioning_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        encode_secret(secret),
        enc(issuer)
    )
}

/// The HOTP value of a counter with `digits` digits (RFC 4226 section 5.3).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    // HMAC accepts keys of any length; this cannot fail.
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret) else { return String::new() };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    let code = bin % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The code for a Unix time.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    hotp(secret, unix_seconds / STEP, DIGITS)
}

/// The step a code matches at `unix_seconds`, allowing one step of drift either way.
pub fn verify(secret: &[u8], code: &str, unix_seconds: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = unix_seconds / STEP;
    [now, now.saturating_sub(1), now + 1]
        .into_iter()
        .find(|step| constant_time_eq(hotp(secret, *step, DIGITS).as_bytes(), code.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 6238 appendix B, SHA-1 column (8 digits).
    #[test]
    fn rfc_6238_test_vectors() {
        for (t, expected) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(hotp(RFC_SECRET, t / STEP, 8), expected, "T={t}");
        }
    }

    /// RFC 4226 appendix D (6 digits, counters 0..9).
    #[test]
    fn rfc_4226_test_vectors() {
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64, 6), *code);
        }
    }

    #[test]
    fn verification_allows_one_step_of_drift_and_names_the_step() {
        let secret = new_secret().unwrap();
        let t = 1_800_000_000;
        let code = code_at(&secret, t);
        assert_eq!(verify(&secret, &code, t), Some(t / STEP));
        assert_eq!(verify(&secret, &code, t + STEP), Some(t / STEP));
        assert_eq!(verify(&secret, &code, t - STEP), Some(t / STEP));
        assert_eq!(verify(&secret, &code, t + 2 * STEP), None);
        for bad in ["", "12345", "1234567", "abcdef", "12 345"] {
            assert_eq!(verify(&secret, bad, t), None, "{bad}");
        }
    }

    #[test]
    fn secrets_round_trip_through_base32_and_the_uri() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), SECRET_BYTES);
        let text = encode_secret(&secret);
        assert_eq!(decode_secret(&text.to_lowercase()), Some(secret.clone()));
        let spaced: String = text
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(decode_secret(&spaced), Some(secret.clone()));
        let uri = provisioning_uri("PodcastFlow", "ada@example.com", &secret);
        assert!(uri.starts_with("otpauth://totp/PodcastFlow:ada%40example%2Ecom?secret="), "{uri}");
        assert!(uri.contains(&format!("secret={text}&")));
    }
}
