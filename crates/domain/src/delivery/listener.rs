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

/// The address part of a listener as a value to group by without formatting it: an IPv4
/// address, or an IPv6 address's /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Address {
    /// An IPv4 address.
    V4(u32),
    /// The first 64 bits of an IPv6 address.
    V6(u64),
}

impl Address {
    /// The address part of `ip`.
    pub fn of(ip: &IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Address::V4(u32::from(*v4)),
            IpAddr::V6(v6) => Address::V6((u128::from(*v6) >> 64) as u64),
        }
    }
}

/// A fixed buffer written through `fmt::Write`, so a listener's identity is hashed without an
/// allocation.
struct Stack {
    buf: [u8; 64],
    len: usize,
}

impl std::fmt::Write for Stack {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The listener key stored in place of the address: the first 128 bits of an HMAC-SHA256 of
/// their [`identity`] under the organization's secret of the month, in hex. Nobody without the
/// secret can tell whose it is, and once the secret is gone (rotated monthly) nobody can.
pub fn key(secret: &[u8], ip: &IpAddr, user_agent: &str) -> String {
    Keyer::new(secret).key(ip, user_agent)
}

/// [`key`] under one secret, keyed once: an ingest keys millions of requests with a month's
/// secret, and keying the HMAC is half of its work.
#[derive(Clone)]
pub struct Keyer {
    mac: hmac::Hmac<sha2::Sha256>,
}

impl Keyer {
    /// The keyer of `secret`.
    pub fn new(secret: &[u8]) -> Self {
        use hmac::Mac;
        // An HMAC takes a key of any length: the fallback (an empty key) cannot happen.
        let mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret)
            .unwrap_or_else(|_| <hmac::Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new(&Default::default()));
        Self { mac }
    }

    /// The key of the listener at `ip` with `user_agent`.
    pub fn key(&self, ip: &IpAddr, user_agent: &str) -> String {
        use std::fmt::Write;

        use hmac::Mac;
        let mut mac = self.mac.clone();
        // The identity's bytes, `<address part>|<user agent>`, fed in pieces.
        let mut address = Stack { buf: [0; 64], len: 0 };
        match ip {
            IpAddr::V4(v4) => write!(address, "{v4}"),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                write!(address, "{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }
        .unwrap_or_default();
        mac.update(&address.buf[..address.len]);
        mac.update(b"|");
        mac.update(user_agent.as_bytes());
        let digest = mac.finalize().into_bytes();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(32);
        for b in &digest[..16] {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }
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
        // The HMAC of the identity itself, written out once.
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s").unwrap();
        mac.update(identity(&ip, "Overcast/3.0").as_bytes());
        let whole: String = mac.finalize().into_bytes()[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(key(b"s", &ip, "Overcast/3.0"), whole);
        assert_eq!(Address::of(&v6a), Address::of(&v6b));
        assert_ne!(Address::of(&ip), Address::of(&"198.51.100.8".parse().unwrap()));
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
