//! Passwords: the policy of docs/domain.md (at least 12 characters) and argon2id hashes in PHC string
//! form, with the parameters OWASP recommends (19 MiB, 2 iterations, 1 lane: argon2's defaults).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use thiserror::Error;

/// Fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// Most characters a password may have (bounds the hashing work an attacker can ask for).
pub const MAX_CHARS: usize = 256;

/// Why a password is refused or could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PasswordError {
    /// Shorter than [`MIN_CHARS`].
    #[error("a password needs at least {MIN_CHARS} characters")]
    TooShort,
    /// Longer than [`MAX_CHARS`].
    #[error("a password has at most {MAX_CHARS} characters")]
    TooLong,
    /// Only whitespace.
    #[error("a password cannot be only spaces")]
    Blank,
    /// The hasher failed (never for valid input).
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Checks a new password against the policy.
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        Err(PasswordError::TooShort)
    } else if n > MAX_CHARS {
        Err(PasswordError::TooLong)
    } else if password.trim().is_empty() {
        Err(PasswordError::Blank)
    } else {
        Ok(())
    }
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The argon2id PHC hash of a password that meets the policy, with a fresh random salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check_policy(password)?;
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches a stored PHC hash (false for a malformed hash; constant time in
/// the password).
pub fn verify(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_CHARS {
        return false;
    }
    PasswordHash::new(phc).is_ok_and(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_counts_characters_not_bytes() {
        assert_eq!(check_policy("short"), Err(PasswordError::TooShort));
        assert_eq!(check_policy("ünïcödé-ok-1"), Ok(()));
        assert_eq!(check_policy(&"           x".replace('x', " ")), Err(PasswordError::Blank));
        assert_eq!(check_policy(&"a".repeat(MAX_CHARS + 1)), Err(PasswordError::TooLong));
    }

    #[test]
    fn hashes_verify_and_are_salted_argon2id() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert_ne!(hash("correct horse battery").unwrap(), h, "a fresh salt each time");
        assert!(!verify("anything at all", "not a hash"));
        assert!(hash("too short").is_err());
    }
}
