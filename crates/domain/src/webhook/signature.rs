//! How a webhook delivery is signed and how a receiver checks it, by the Standard Webhooks
//! specification (<https://www.standardwebhooks.com/>, v1).
//!
//! A delivery carries three headers: `webhook-id` (the message id, the same on every retry, so a
//! receiver can drop a repeat), `webhook-timestamp` (epoch seconds of this attempt) and
//! `webhook-signature`, one or more space-separated `v1,<base64 HMAC-SHA256>` of
//! `<id>.<timestamp>.<body>` under the endpoint's secret (two while a rotated secret overlaps the
//! new one). A secret is shown to its admin once, as `whsec_<base64 of 24 to 64 random bytes>`.
//! docs/webhooks.md shows a receiver's check step by step, with the specification's test vector.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a signing secret as shown.
pub const SECRET_PREFIX: &str = "whsec_";

/// Fewest random bytes of a secret (the specification's lower bound).
pub const MIN_SECRET_BYTES: usize = 24;

/// Most bytes of a secret (the specification's upper bound).
pub const MAX_SECRET_BYTES: usize = 64;

/// How far a delivery's timestamp may be from the receiver's clock, either way, before the
/// receiver refuses it as a replay (the specification's recommendation: five minutes).
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// The signature scheme's version tag.
const VERSION: &str = "v1";

/// Why a secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// It does not start with `whsec_`.
    #[error("a signing secret starts with {SECRET_PREFIX}")]
    Prefix,
    /// The rest is not base64.
    #[error("a signing secret is base64 after {SECRET_PREFIX}")]
    Encoding,
    /// Too few or too many bytes.
    #[error("a signing secret holds {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {0}")]
    Length(usize),
}

/// Why a receiver refuses a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The timestamp is not epoch seconds.
    #[error("webhook-timestamp is not a number of seconds")]
    Timestamp,
    /// The timestamp is further from now than [`TOLERANCE_SECONDS`].
    #[error("webhook-timestamp is more than {TOLERANCE_SECONDS} s from now")]
    Stale,
    /// No `v1` signature of the header matches.
    #[error("no signature matches")]
    NoMatch,
}

/// An endpoint's signing secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    // A secret never reaches a log through a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(..)")
    }
}

impl SigningSecret {
    /// A secret of `bytes` (random ones, drawn by the caller).
    pub fn from_bytes(bytes: &[u8]) -> Result<SigningSecret, SecretError> {
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            return Err(SecretError::Length(bytes.len()));
        }
        Ok(SigningSecret(bytes.to_vec()))
    }

    /// A secret as shown (`whsec_<base64>`).
    pub fn parse(shown: &str) -> Result<SigningSecret, SecretError> {
        let encoded = shown.strip_prefix(SECRET_PREFIX).ok_or(SecretError::Prefix)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SecretError::Encoding)?;
        SigningSecret::from_bytes(&bytes)
    }

    /// The secret as shown to its admin, once (`whsec_<base64>`).
    pub fn shown(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            // HMAC takes a key of any length; this arm is never taken.
            Err(_) => <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default()),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The signature of `body` sent as message `id` at `timestamp`: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let digest = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("{VERSION},{}", STANDARD.encode(digest))
    }

    /// Whether `signature` (the base64 part) is this secret's for the message, compared in
    /// constant time.
    fn signed(&self, id: &str, timestamp: i64, body: &[u8], signature: &str) -> bool {
        match STANDARD.decode(signature) {
            Ok(bytes) => self.mac(id, timestamp, body).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

/// The `webhook-signature` header of a delivery signed with each of `secrets` (the current one
/// and, during a rotation's overlap, the previous one), space-separated.
pub fn signature_header(secrets: &[&SigningSecret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| s.sign(id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// A receiver's check of a delivery at `now` (epoch seconds): its timestamp within
/// [`TOLERANCE_SECONDS`] and one `v1` signature of its header made with `secret`. Signatures of
/// other versions are skipped, as the specification asks.
pub fn verify(
    secret: &SigningSecret,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let at: i64 = timestamp.trim().parse().map_err(|_| VerifyError::Timestamp)?;
    if (now - at).abs() > TOLERANCE_SECONDS {
        return Err(VerifyError::Stale);
    }
    let matched = signatures
        .split(' ')
        .filter_map(|s| s.split_once(','))
        .any(|(version, sig)| version == VERSION && secret.signed(id, at, body, sig));
    if matched { Ok(()) } else { Err(VerifyError::NoMatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks specification's test vector.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn secret() -> SigningSecret {
        SigningSecret::parse(SECRET).unwrap()
    }

    #[test]
    fn the_specifications_test_vector_is_signed_and_verified() {
        assert_eq!(secret().sign(ID, TIMESTAMP, BODY), SIGNATURE);
        assert_eq!(verify(&secret(), ID, "1614265330", SIGNATURE, BODY, TIMESTAMP), Ok(()));
        assert_eq!(secret().shown(), SECRET, "shown as it was given");
    }

    #[test]
    fn a_changed_body_id_or_timestamp_does_not_verify() {
        let s = secret();
        assert_eq!(
            verify(&s, ID, "1614265330", SIGNATURE, br#"{"test": 2432232315}"#, TIMESTAMP),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(verify(&s, "msg_other", "1614265330", SIGNATURE, BODY, TIMESTAMP), Err(VerifyError::NoMatch));
        let later = TIMESTAMP + 1;
        assert_eq!(verify(&s, ID, &later.to_string(), SIGNATURE, BODY, later), Err(VerifyError::NoMatch));
        let other = SigningSecret::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(verify(&other, ID, "1614265330", SIGNATURE, BODY, TIMESTAMP), Err(VerifyError::NoMatch));
        assert_eq!(verify(&s, ID, "1614265330", "v1,not base64!", BODY, TIMESTAMP), Err(VerifyError::NoMatch));
        assert_eq!(verify(&s, ID, "1614265330", "", BODY, TIMESTAMP), Err(VerifyError::NoMatch));
    }

    #[test]
    fn only_v1_signatures_count() {
        let v2 = SIGNATURE.replacen("v1,", "v2,", 1);
        assert_eq!(verify(&secret(), ID, "1614265330", &v2, BODY, TIMESTAMP), Err(VerifyError::NoMatch));
        let both = format!("{v2} {SIGNATURE}");
        assert_eq!(verify(&secret(), ID, "1614265330", &both, BODY, TIMESTAMP), Ok(()));
    }

    #[test]
    fn a_timestamp_five_minutes_off_is_accepted_and_one_more_second_is_not() {
        let s = secret();
        let at = "1614265330";
        assert_eq!(verify(&s, ID, at, SIGNATURE, BODY, TIMESTAMP + 300), Ok(()));
        assert_eq!(verify(&s, ID, at, SIGNATURE, BODY, TIMESTAMP - 300), Ok(()));
        assert_eq!(verify(&s, ID, at, SIGNATURE, BODY, TIMESTAMP + 301), Err(VerifyError::Stale));
        assert_eq!(verify(&s, ID, at, SIGNATURE, BODY, TIMESTAMP - 301), Err(VerifyError::Stale));
        assert_eq!(verify(&s, ID, "yesterday", SIGNATURE, BODY, TIMESTAMP), Err(VerifyError::Timestamp));
    }

    #[test]
    fn during_a_rotation_both_secrets_sign_and_each_verifies() {
        let (old, new) = (secret(), SigningSecret::from_bytes(&[42u8; 24]).unwrap());
        let header = signature_header(&[&new, &old], ID, TIMESTAMP, BODY);
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, [new.sign(ID, TIMESTAMP, BODY).as_str(), SIGNATURE]);
        for s in [&old, &new] {
            assert_eq!(verify(s, ID, "1614265330", &header, BODY, TIMESTAMP), Ok(()));
        }
        assert_eq!(signature_header(&[&old], ID, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn secrets_are_whsec_base64_of_24_to_64_bytes_and_never_printed() {
        assert_eq!(SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Err(SecretError::Prefix));
        assert_eq!(SigningSecret::parse("whsec_***"), Err(SecretError::Encoding));
        assert_eq!(SigningSecret::from_bytes(&[1u8; 23]), Err(SecretError::Length(23)));
        assert_eq!(SigningSecret::from_bytes(&[1u8; 65]), Err(SecretError::Length(65)));
        assert!(SigningSecret::from_bytes(&[1u8; 24]).is_ok());
        assert!(SigningSecret::from_bytes(&[1u8; 64]).is_ok());
        let s = SigningSecret::from_bytes(&[9u8; 32]).unwrap();
        assert_eq!(SigningSecret::parse(&s.shown()), Ok(s.clone()));
        assert_eq!(format!("{s:?}"), "SigningSecret(..)");
    }
}
