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

#[cfg(test)]
mod tests {
    use super::*;

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
