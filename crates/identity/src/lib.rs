//! Identity building blocks shared by the `auth` function and the local identity provider
//! (issue 4): password policy and argon2id hashing ([`password`]) and RFC 6238 one-time codes
//! ([`totp`]). Token signing, JWKS and refresh-token rotation arrive with the identity port.

pub mod password;
pub mod totp;
