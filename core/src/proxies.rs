//! Who is asking (DESIGN §11): the client key of the per-client rate limit, derived from the
//! connection's peer address and `X-Forwarded-For`, the same way for every adapter.
//!
//! Adapters pass what they know for certain, the peer of the TCP connection ([`Request::client`])
//! and the request headers; the core decides. `X-Forwarded-For` is a list every hop appends to,
//! so only its right end can be believed, and only as far as the hops that wrote it are ours:
//! when the peer is one of `trustedProxies`, the key is the rightmost entry that is not (the
//! address our outermost proxy saw connecting); otherwise the peer itself. Entries to the left
//! of it were written by the client or by proxies we do not know: believing them would let a
//! client choose a fresh key, and so a fresh budget, on every request.
//!
//! [`Request::client`]: crate::http::Request::client

use std::net::IpAddr;

use crate::error::{Error, Result};

/// Most `X-Forwarded-For` entries looked at: bounds the work a hostile header can cause. A chain
/// of trusted hops longer than this ends at the last one walked.
const MAX_HOPS: usize = 64;

/// `trustedProxies`: the networks whose `X-Forwarded-For` is believed. Holds only valid,
/// canonical networks (no bits set beyond the prefix, never the whole address space).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<Network>,
}

/// An IP network: an address whose bits beyond `prefix` are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl TrustedProxies {
    /// Parses `trustedProxies`: each entry an IP address (`10.0.0.7`, `2001:db8::7`) or a CIDR
    /// network (`10.0.0.0/8`, `2001:db8::/32`). A message names the entry and what is wrong.
    pub fn parse(entries: &[String]) -> Result<Self> {
        let networks = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                Network::parse(entry.trim())
                    .map_err(|why| Error::config(format!("trustedProxies[{index}]: '{entry}' {why}")))
            })
            .collect::<Result<_>>()?;
        Ok(Self { networks })
    }

    /// Whether no proxy is trusted (then the client key is always the peer).
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// Whether `address` is in one of the trusted networks.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.networks.iter().any(|network| network.contains(address))
    }

    /// The client key for a request from `peer` carrying these `X-Forwarded-For` field values
    /// (in the order received; several fields form one list). `None` when the peer is unknown
    /// (the request is then never rate-limited, as before). A peer that is not an IP address (a
    /// host's own key) is the key as given.
    pub fn client_key<'a>(&self, peer: Option<&str>, forwarded_for: impl Iterator<Item = &'a str>) -> Option<String> {
        let peer = peer?.trim();
        let Ok(peer_address) = parse_hop(peer) else { return Some(peer.to_owned()) };
        let mut current = canonical(peer_address);
        if !self.contains(current) {
            return Some(current.to_string());
        }
        let entries: Vec<&str> = forwarded_for.flat_map(|value| value.split(',')).map(str::trim).collect();
        for entry in entries.iter().rev().filter(|entry| !entry.is_empty()).take(MAX_HOPS) {
            // An entry that is not an address was not written by a proxy of ours (they write the
            // address they saw): the key stays the last hop we trust, which the client cannot
            // vary.
            let Ok(hop) = parse_hop(entry) else { break };
            current = canonical(hop);
            if !self.contains(current) {
                break;
            }
        }
        Some(current.to_string())
    }
}

impl Network {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| "is not an IP address or a CIDR network (e.g. 10.0.0.0/8, 2001:db8::/32)".to_owned())?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => match prefix.parse::<u8>() {
                Ok(prefix) if prefix <= bits => prefix,
                _ => {
                    let version = if bits == 32 { 4 } else { 6 };
                    return Err(format!("has an invalid prefix length: at most /{bits} for an IPv{version} network"));
                }
            },
        };
        if prefix == 0 {
            return Err("trusts every address, so any client could choose its own rate-limit key with \
                        X-Forwarded-For: list your proxies' addresses instead"
                .to_owned());
        }
        let network = Network { address: masked(address, prefix), prefix };
        if network.address != address {
            return Err(format!(
                "has bits set beyond its /{prefix} prefix: did you mean {}/{prefix}?",
                network.address
            ));
        }
        Ok(network)
    }

    fn contains(&self, address: IpAddr) -> bool {
        address.is_ipv4() == self.address.is_ipv4() && masked(address, self.prefix) == self.address
    }
}

/// `address` with every bit beyond `prefix` cleared.
fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, how a dual-stack socket reports an IPv4 peer)
/// is that IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// One hop as proxies write it: an address, optionally with a port (`203.0.113.7:41234`,
/// `[2001:db8::1]:443`, as some load balancers append) or in brackets.
fn parse_hop(text: &str) -> std::result::Result<IpAddr, ()> {
    if let Ok(address) = text.parse::<IpAddr>() {
        return Ok(address);
    }
    if let Ok(socket) = text.parse::<std::net::SocketAddr>() {
        return Ok(socket.ip());
    }
    text.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).and_then(|inner| inner.parse().ok()).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn error(entry: &str) -> String {
        TrustedProxies::parse(&[entry.to_owned()]).unwrap_err().message().to_owned()
    }

    fn key(proxies: &TrustedProxies, peer: &str, forwarded_for: &[&str]) -> String {
        proxies.client_key(Some(peer), forwarded_for.iter().copied()).unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_key_whatever_it_forwards() {
        let none = TrustedProxies::default();
        assert_eq!(key(&none, "203.0.113.7", &["198.51.100.1"]), "203.0.113.7");
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(key(&lb, "203.0.113.7", &["198.51.100.1", "10.0.0.5"]), "203.0.113.7");
    }

    #[test]
    fn behind_a_trusted_proxy_the_key_is_the_rightmost_untrusted_entry() {
        let lb = proxies(&["10.0.0.0/8", "192.0.2.10"]);
        assert_eq!(key(&lb, "10.1.2.3", &["203.0.113.7"]), "203.0.113.7");
        // Two trusted hops (CDN edge 192.0.2.10, then the load balancer): skipped.
        assert_eq!(key(&lb, "10.1.2.3", &["203.0.113.7, 192.0.2.10"]), "203.0.113.7");
        // Several header fields are one list, in order.
        assert_eq!(key(&lb, "10.1.2.3", &["203.0.113.7", "192.0.2.10"]), "203.0.113.7");
    }

    #[test]
    fn a_client_cannot_choose_its_key_by_prepending_entries() {
        // The attack: through the real proxy, a client sends its own X-Forwarded-For; the proxy
        // appends the address it saw. Whatever the client wrote, the key is that address.
        let lb = proxies(&["10.0.0.0/8"]);
        for spoofed in ["198.51.100.1", "10.0.0.9", "1.1.1.1, 2.2.2.2", "garbage", ""] {
            let header = format!("{spoofed}, 203.0.113.7");
            assert_eq!(key(&lb, "10.1.2.3", &[header.as_str()]), "203.0.113.7", "{spoofed}");
        }
    }

    #[test]
    fn a_chain_of_trusted_hops_ends_at_the_last_one_walked() {
        let lb = proxies(&["10.0.0.0/8"]);
        // No header, or only trusted hops: the furthest trusted address.
        assert_eq!(key(&lb, "10.1.2.3", &[]), "10.1.2.3");
        assert_eq!(key(&lb, "10.1.2.3", &["10.9.9.9, 10.0.0.1"]), "10.9.9.9");
        // Something that is not an address: a proxy of ours did not write it.
        assert_eq!(key(&lb, "10.1.2.3", &["203.0.113.7, unknown"]), "10.1.2.3");
        // A very long chain of trusted hops costs a bounded walk.
        let long = vec!["10.0.0.1"; 10_000].join(", ");
        assert_eq!(key(&lb, "10.1.2.3", &[long.as_str()]), "10.0.0.1");
    }

    #[test]
    fn addresses_are_compared_in_canonical_form() {
        let lb = proxies(&["127.0.0.1", "2001:db8::/32"]);
        // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
        assert_eq!(key(&lb, "::ffff:127.0.0.1", &["203.0.113.7"]), "203.0.113.7");
        assert_eq!(key(&lb, "2001:db8::1", &["2001:DB8:1::7"]), "2001:db8:1::7");
        // Ports and brackets, as some balancers write them.
        assert_eq!(key(&lb, "127.0.0.1", &["203.0.113.7:51234"]), "203.0.113.7");
        assert_eq!(key(&lb, "127.0.0.1", &["[2001:db9::7]:443"]), "2001:db9::7");
        assert_eq!(key(&lb, "127.0.0.1", &["[2001:db9::8]"]), "2001:db9::8");
        // An untrusted peer is canonical too, so one client has one key.
        assert_eq!(key(&TrustedProxies::default(), "::ffff:203.0.113.7", &[]), "203.0.113.7");
    }

    #[test]
    fn peers_that_are_not_addresses_are_keys_as_given_and_no_peer_is_no_key() {
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(key(&lb, "host-key-7", &["203.0.113.7"]), "host-key-7");
        assert_eq!(lb.client_key(None, ["203.0.113.7"].into_iter()), None);
    }

    #[test]
    fn configuration_is_validated_with_clear_messages() {
        let parsed = proxies(&["10.0.0.0/8", " 192.0.2.1 ", "2001:db8::/32", "::1"]);
        assert!(parsed.contains("10.255.0.1".parse().unwrap()));
        assert!(parsed.contains("192.0.2.1".parse().unwrap()));
        assert!(!parsed.contains("192.0.2.2".parse().unwrap()));
        assert!(parsed.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!parsed.contains("11.0.0.1".parse().unwrap()));
        assert!(TrustedProxies::parse(&[]).unwrap().is_empty());

        assert_eq!(
            error("10.0.0.1/8"),
            "trustedProxies[0]: '10.0.0.1/8' has bits set beyond its /8 prefix: did you mean 10.0.0.0/8?"
        );
        assert!(error("10.0.0.0/33").contains("at most /32 for an IPv4"), "{}", error("10.0.0.0/33"));
        assert!(error("2001:db8::/129").contains("at most /128 for an IPv6"));
        assert!(error("10.0.0.0/x").contains("invalid prefix length"));
        assert!(error("proxy.internal").contains("is not an IP address or a CIDR network"));
        assert!(error("").contains("is not an IP address"));
        assert!(error("0.0.0.0/0").contains("trusts every address"));
        assert!(error("::/0").contains("trusts every address"));
        let second = TrustedProxies::parse(&["10.0.0.0/8".into(), "bad".into()]).unwrap_err();
        assert!(second.message().starts_with("trustedProxies[1]: 'bad'"), "{}", second.message());
    }
}
