//! Who a request comes from: the guidelines' listener is the client address with the user
//! agent. An IPv6 client is its /64 (one household's devices share it, and rotate the rest).
//! Raw addresses are never stored: the ingest keys a listener by an HMAC of this identity with
//! the organization's secret.

use std::net::IpAddr;

/// The address part of a listener: an IPv4 address whole, an IPv6 address's first 64 bits.
pub fn address_of(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The identity a listener is keyed by: their address part and their user agent.
pub fn identity(ip: &IpAddr, user_agent: &str) -> String {
    format!("{}|{}", address_of(ip), user_agent)
}

/// The listener key stored in place of the address: the first 128 bits of an HMAC-SHA256 of
/// their [`identity`] under the organization's secret of the month, in hex. Nobody without the
/// secret can tell whose it is, and once the secret is gone (rotated monthly) nobody can.
pub fn key(secret: &[u8], ip: &IpAddr, user_agent: &str) -> String {
    use hmac::{Hmac, Mac};
    // An HMAC takes a key of any length; the Err arm cannot happen.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret) else { return String::new() };
    mac.update(identity(ip, user_agent).as_bytes());
    let digest = mac.finalize().into_bytes();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_keys_hide_the_address_and_change_with_the_secret() {
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        let a = key(b"secret of december", &ip, "Overcast/3.0");
        assert_eq!(a.len(), 32);
        assert!(!a.contains("198"));
        assert_eq!(a, key(b"secret of december", &ip, "Overcast/3.0"), "stable within the month");
        assert_ne!(a, key(b"secret of january", &ip, "Overcast/3.0"));
        assert_ne!(a, key(b"secret of december", &ip, "Spotify/8.8"));
        let (v6a, v6b): (IpAddr, IpAddr) = ("2001:db8::1".parse().unwrap(), "2001:db8::ffff".parse().unwrap());
        assert_eq!(key(b"s", &v6a, "x"), key(b"s", &v6b, "x"), "one /64");
    }

    #[test]
    fn an_ipv6_listener_is_their_slash_64() {
        let a: IpAddr = "2001:db8:85a3:1:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:85a3:1:bbbb:cccc::9".parse().unwrap();
        let other: IpAddr = "2001:db8:85a3:2::1".parse().unwrap();
        assert_eq!(address_of(&a), address_of(&b));
        assert_ne!(address_of(&a), address_of(&other));
        assert_eq!(address_of(&a), "2001:db8:85a3:1::/64");
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(identity(&v4, "Overcast/3.0"), "203.0.113.7|Overcast/3.0");
        assert_ne!(identity(&v4, "Overcast/3.0"), identity(&v4, "Spotify/8.8"));
    }
}
