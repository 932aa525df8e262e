//! Where a webhook may be delivered: never into our own network.
//!
//! An endpoint's URL is the customer's to choose, so without a check a delivery could be aimed at
//! the Lambda's own neighbours: the instance metadata service (169.254.169.254, fd00:ec2::254),
//! a VPC's private addresses, loopback. The dispatcher resolves the host and checks every address
//! it would connect to at delivery time, not only at registration (a name can be pointed
//! elsewhere later), and connects only to an address that passed. The local stack allows
//! loopback and plain HTTP so its tests can run a receiver; AWS allows neither.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a destination may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestinationRules {
    /// Loopback addresses (127.0.0.0/8, ::1) may be reached: the local stack only.
    pub allow_loopback: bool,
    /// Plain `http://` may be used: the local stack only.
    pub allow_http: bool,
}

impl DestinationRules {
    /// In AWS: HTTPS to public addresses only.
    pub const AWS: DestinationRules = DestinationRules { allow_loopback: false, allow_http: false };

    /// In the local stack: loopback and plain HTTP too, for a receiver in a test.
    pub const LOCAL: DestinationRules = DestinationRules { allow_loopback: true, allow_http: true };
}

/// Why an address may not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefusedAddress {
    /// 127.0.0.0/8 or ::1.
    #[error("{0} is a loopback address")]
    Loopback(IpAddr),
    /// RFC 1918, shared address space (100.64.0.0/10) or IPv6 unique local (fc00::/7, which holds
    /// the metadata service's fd00:ec2::254).
    #[error("{0} is a private address")]
    Private(IpAddr),
    /// 169.254.0.0/16 (the metadata service's 169.254.169.254) or fe80::/10.
    #[error("{0} is a link-local address")]
    LinkLocal(IpAddr),
    /// Unspecified, broadcast, multicast, documentation, benchmarking or reserved ranges, and
    /// "this network" (0.0.0.0/8): nothing a customer's receiver listens on.
    #[error("{0} is not a public unicast address")]
    NotPublic(IpAddr),
}

/// Whether a delivery may connect to `ip` under `rules`: `Ok`, or why not. An IPv4 address
/// written as IPv6 (`::ffff:a.b.c.d`, or behind the NAT64 prefix) is judged as the IPv4 address
/// it reaches.
pub fn check_address(ip: IpAddr, rules: DestinationRules) -> Result<(), RefusedAddress> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4, ip, rules),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => check_v4(v4, ip, rules),
            None => check_v6(v6, ip, rules),
        },
    }
}

/// The IPv4 address an IPv6 one stands for: IPv4-mapped (`::ffff:0:0/96`) or the NAT64
/// well-known prefix (`64:ff9b::/96`). (IPv4-compatible `::/96` is deprecated; outside 2000::/3,
/// it is refused as not public.)
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|x| *x == 0);
    nat64.then(|| Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8))
}

fn check_v4(v4: Ipv4Addr, ip: IpAddr, rules: DestinationRules) -> Result<(), RefusedAddress> {
    let o = v4.octets();
    if v4.is_loopback() {
        return if rules.allow_loopback { Ok(()) } else { Err(RefusedAddress::Loopback(ip)) };
    }
    if v4.is_link_local() {
        return Err(RefusedAddress::LinkLocal(ip));
    }
    // 100.64.0.0/10: carrier-grade NAT's shared space, private in effect.
    let shared = o[0] == 100 && (o[1] & 0xc0) == 64;
    if v4.is_private() || shared {
        return Err(RefusedAddress::Private(ip));
    }
    let this_network = o[0] == 0;
    // 192.0.0.0/24 protocol assignments, 198.18.0.0/15 benchmarking, 240.0.0.0/4 reserved.
    let special = (o[0] == 192 && o[1] == 0 && o[2] == 0) || (o[0] == 198 && (o[1] & 0xfe) == 18) || o[0] >= 240;
    if this_network || special || v4.is_broadcast() || v4.is_multicast() || v4.is_documentation() {
        return Err(RefusedAddress::NotPublic(ip));
    }
    Ok(())
}

fn check_v6(v6: Ipv6Addr, ip: IpAddr, rules: DestinationRules) -> Result<(), RefusedAddress> {
    if v6.is_loopback() {
        return if rules.allow_loopback { Ok(()) } else { Err(RefusedAddress::Loopback(ip)) };
    }
    if v6.is_unicast_link_local() {
        return Err(RefusedAddress::LinkLocal(ip));
    }
    if v6.is_unique_local() {
        return Err(RefusedAddress::Private(ip));
    }
    let s = v6.segments();
    // 2001:db8::/32 documentation; anything outside 2000::/3 (the unspecified address, multicast,
    // the deprecated IPv4-compatible ::/96) is not global unicast.
    let documentation = s[0] == 0x2001 && s[1] == 0x0db8;
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    if documentation || !global_unicast {
        return Err(RefusedAddress::NotPublic(ip));
    }
    Ok(())
}

/// Why an endpoint's URL is refused when it is registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefusedUrl {
    /// Not `https://` (or, where allowed, `http://`).
    #[error("the URL must start with https://")]
    Scheme,
    /// No host, or one with characters no host name has.
    #[error("the URL names no valid host")]
    Host,
    /// `user:password@` in the URL: credentials belong in the receiver's own check of our
    /// signature, not in a URL that is shown to every admin.
    #[error("the URL may not carry credentials")]
    Credentials,
    /// Longer than [`MAX_URL_LENGTH`].
    #[error("the URL is longer than {MAX_URL_LENGTH} characters")]
    TooLong,
    /// A literal address that may not be reached.
    #[error(transparent)]
    Address(#[from] RefusedAddress),
}

/// Longest endpoint URL.
pub const MAX_URL_LENGTH: usize = 2048;

/// The host of an endpoint URL and its port, as the dispatcher will connect to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The host name or literal address (IPv6 without its brackets), lower-cased.
    pub host: String,
    /// The port (443 or 80 by default).
    pub port: u16,
    /// Whether it is HTTPS.
    pub https: bool,
}

/// Checks an endpoint's `url` when it is registered: scheme, host, no credentials, and a literal
/// address's range. A host name is checked again, resolved, at every delivery.
pub fn check_url(url: &str, rules: DestinationRules) -> Result<Destination, RefusedUrl> {
    if url.len() > MAX_URL_LENGTH {
        return Err(RefusedUrl::TooLong);
    }
    let lower = url.to_ascii_lowercase();
    let (https, rest) = if let Some(r) = lower.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = lower.strip_prefix("http://").filter(|_| rules.allow_http) {
        (false, r)
    } else {
        return Err(RefusedUrl::Scheme);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(RefusedUrl::Credentials);
    }
    let (host, port) = split_port(authority).ok_or(RefusedUrl::Host)?;
    let port = port.unwrap_or(if https { 443 } else { 80 });
    if let Ok(ip) = host.parse::<IpAddr>() {
        check_address(ip, rules)?;
    } else if !valid_host_name(host) {
        return Err(RefusedUrl::Host);
    } else if !rules.allow_loopback && (host == "localhost" || host.ends_with(".localhost")) {
        return Err(RefusedAddress::Loopback(IpAddr::V4(Ipv4Addr::LOCALHOST)).into());
    }
    Ok(Destination { host: host.to_owned(), port, https })
}

/// `host[:port]` or `[v6][:port]`: the host (brackets removed) and the port if given.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            p => Some((host, Some(p.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, p)) => Some((host, Some(p.parse().ok()?))),
        None => Some((authority, None)),
    }
    .filter(|(h, _)| !h.is_empty())
}

/// A DNS name: dot-separated labels of letters, digits and hyphens, none empty or over 63.
fn valid_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_addresses_pass_and_our_neighbours_do_not() {
        for ok in [
            "93.184.216.34",
            "8.8.8.8",
            "1.0.0.1",
            "192.0.1.1",
            "192.1.0.1",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "100.128.0.1",
            "172.32.0.1",
            "198.20.0.1",
        ] {
            assert_eq!(check_address(ip(ok), DestinationRules::AWS), Ok(()), "{ok}");
        }
        let refused = [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("::1", "loopback"),
            ("10.0.0.5", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "private"),
            ("100.127.255.255", "private"),
            ("fd00:ec2::254", "private"),
            ("fc00::1", "private"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("0.0.0.0", "not public"),
            ("0.1.2.3", "not public"),
            ("255.255.255.255", "not public"),
            ("224.0.0.1", "not public"),
            ("192.0.2.1", "not public"),
            ("192.0.0.8", "not public"),
            ("198.18.0.1", "not public"),
            ("198.19.255.255", "not public"),
            ("240.0.0.1", "not public"),
            ("::", "not public"),
            ("ff02::1", "not public"),
            ("2001:db8::1", "not public"),
            ("4000::1", "not public"),
        ];
        for (addr, why) in refused {
            let err = check_address(ip(addr), DestinationRules::AWS).unwrap_err();
            let kind = match err {
                RefusedAddress::Loopback(_) => "loopback",
                RefusedAddress::Private(_) => "private",
                RefusedAddress::LinkLocal(_) => "link-local",
                RefusedAddress::NotPublic(_) => "not public",
            };
            assert_eq!(kind, why, "{addr}");
        }
    }

    #[test]
    fn an_ipv4_address_dressed_as_ipv6_is_judged_as_itself() {
        let v4 = |s: &str| Some(s.parse::<Ipv4Addr>().unwrap());
        assert_eq!(embedded_v4("64:ff9b::c0a8:1fe".parse().unwrap()), v4("192.168.1.254"));
        assert_eq!(embedded_v4("::ffff:c0a8:1fe".parse().unwrap()), v4("192.168.1.254"));
        assert_eq!(embedded_v4("64:ff9b:1::c0a8:1fe".parse().unwrap()), None, "not the well-known prefix");
        assert_eq!(embedded_v4("2606:ff9b::c0a8:1fe".parse().unwrap()), None);
        assert_eq!(embedded_v4("::c0a8:1fe".parse().unwrap()), None, "IPv4-compatible is not mapped");
        for dressed in
            ["::ffff:169.254.169.254", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe", "::a9fe:a9fe"]
        {
            assert!(check_address(ip(dressed), DestinationRules::AWS).is_err(), "{dressed}");
        }
        assert_eq!(check_address(ip("::ffff:8.8.8.8"), DestinationRules::AWS), Ok(()));
        assert_eq!(check_address(ip("64:ff9b::808:808"), DestinationRules::AWS), Ok(()));
        assert_eq!(
            check_address(ip("::ffff:169.254.169.254"), DestinationRules::AWS),
            Err(RefusedAddress::LinkLocal(ip("::ffff:169.254.169.254")))
        );
    }

    #[test]
    fn the_local_stack_reaches_loopback_and_nothing_else_more() {
        for lo in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(check_address(ip(lo), DestinationRules::LOCAL), Ok(()), "{lo}");
        }
        for no in ["169.254.169.254", "10.0.0.1", "fe80::1", "fd00:ec2::254"] {
            assert!(check_address(ip(no), DestinationRules::LOCAL).is_err(), "{no}");
        }
    }

    #[test]
    fn urls_are_https_with_a_host_and_no_credentials() {
        let d = check_url("https://Hooks.Example.com/podcastflow?x=1", DestinationRules::AWS).unwrap();
        assert_eq!(d, Destination { host: "hooks.example.com".into(), port: 443, https: true });
        let d = check_url("https://[2606:4700::1111]:8443/in", DestinationRules::AWS).unwrap();
        assert_eq!((d.host.as_str(), d.port), ("2606:4700::1111", 8443));
        assert_eq!(check_url("https://8.8.8.8", DestinationRules::AWS).map(|d| d.port), Ok(443));
        let cases = [
            ("http://hooks.example.com/", RefusedUrl::Scheme),
            ("ftp://hooks.example.com/", RefusedUrl::Scheme),
            ("hooks.example.com", RefusedUrl::Scheme),
            ("https://", RefusedUrl::Host),
            ("https:///path", RefusedUrl::Host),
            ("https://:443/", RefusedUrl::Host),
            ("https://hooks.example.com:99999/", RefusedUrl::Host),
            ("https://hooks.example.com:x/", RefusedUrl::Host),
            ("https://bad_host.example.com/", RefusedUrl::Host),
            ("https://-bad.example.com/", RefusedUrl::Host),
            ("https://a..b/", RefusedUrl::Host),
            ("https://[::1/", RefusedUrl::Host),
            ("https://[2606:4700::1111]x/", RefusedUrl::Host),
            ("https://user:pw@hooks.example.com/", RefusedUrl::Credentials),
            ("https://localhost/", RefusedAddress::Loopback(ip("127.0.0.1")).into()),
            ("https://api.localhost:8443/", RefusedAddress::Loopback(ip("127.0.0.1")).into()),
            ("https://169.254.169.254/latest/meta-data", RefusedAddress::LinkLocal(ip("169.254.169.254")).into()),
            ("https://[fd00:ec2::254]/", RefusedAddress::Private(ip("fd00:ec2::254")).into()),
        ];
        for (url, why) in cases {
            assert_eq!(check_url(url, DestinationRules::AWS), Err(why), "{url}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH));
        assert_eq!(check_url(&long, DestinationRules::AWS), Err(RefusedUrl::TooLong));
        let edge = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH - 20));
        assert_eq!(edge.len(), MAX_URL_LENGTH);
        assert!(check_url(&edge, DestinationRules::AWS).is_ok());
    }

    #[test]
    fn the_local_stack_takes_plain_http_to_loopback() {
        let d = check_url("http://127.0.0.1:4567/hook", DestinationRules::LOCAL).unwrap();
        assert_eq!(d, Destination { host: "127.0.0.1".into(), port: 4567, https: false });
        assert_eq!(check_url("http://localhost/hook", DestinationRules::LOCAL).map(|d| d.port), Ok(80));
        assert!(check_url("http://10.0.0.1/hook", DestinationRules::LOCAL).is_err());
    }

    #[test]
    fn host_names_are_labels_of_letters_digits_and_hyphens() {
        assert!(valid_host_name("hooks.example.com"));
        assert!(valid_host_name("hooks.example.com."));
        assert!(valid_host_name("a-b.c"));
        assert!(valid_host_name(&"a".repeat(63)));
        assert!(!valid_host_name(&"a".repeat(64)));
        assert!(!valid_host_name(&format!("{}.com", "a.".repeat(126))));
        assert!(!valid_host_name(""));
        assert!(!valid_host_name("."));
        assert!(!valid_host_name("a-.com"));
        assert!(!valid_host_name("exa mple.com"));
    }
}
