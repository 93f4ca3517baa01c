//! Community ID v1 flow hashing (<https://github.com/corelight/community-id-spec>).
//!
//! One string that names a flow the same way in botsense, Suricata, Zeek and the SIEM,
//! whichever direction a record was written in: `"1:" + base64(sha1(seed . addr_a .
//! addr_b . proto . 0 . port_a . port_b))`, with the endpoints ordered so the smaller
//! `(address, port)` comes first.
//!
//! ICMP and ICMPv6 carry no ports: the message type stands in for the source port and
//! its "counter-type" (echo request ↔ echo reply, router solicitation ↔ advertisement,
//! ...) for the destination port, so a request and its reply hash alike. A type without
//! a counterpart is one-way: type and code are hashed as the ports and the endpoints keep
//! their order. This follows the spec and its baseline; Suricata 8 differs for one-way
//! ICMPv6 types (it hashes code 0), see `tests/reference/README.md`.
//!
//! Protocols other than TCP, UDP, SCTP, ICMP and ICMPv6 hash the addresses and the
//! protocol only.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};
use std::net::IpAddr;

const PROTO_ICMP: u8 = 1;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_ICMPV6: u8 = 58;
const PROTO_SCTP: u8 = 132;

/// The Community ID v1 of a flow, e.g. `1:wCb3OG7yAFWelaUydu0D+125CLM=`.
///
/// For ICMP and ICMPv6 pass the message type as `src_port` and the code as `dst_port`
/// (what [`PacketMeta`](crate::decode::PacketMeta) stores); for port-less protocols the
/// ports are ignored. The result is the same for both directions of a two-way flow.
pub fn community_id(
    seed: u16,
    proto: u8,
    src: IpAddr,
    src_port: u16,
    dst: IpAddr,
    dst_port: u16,
) -> String {
    let digest = community_id_sha1(seed, proto, src, src_port, dst, dst_port);
    let mut s = String::with_capacity(30);
    s.push_str("1:");
    STANDARD.encode_string(digest, &mut s);
    s
}

/// The raw 20-byte SHA-1 behind [`community_id`].
pub fn community_id_sha1(
    seed: u16,
    proto: u8,
    src: IpAddr,
    src_port: u16,
    dst: IpAddr,
    dst_port: u16,
) -> [u8; 20] {
    let ports = match proto {
        PROTO_TCP | PROTO_UDP | PROTO_SCTP => Some((src_port, dst_port, false)),
        PROTO_ICMP => Some(icmp_ports(src_port, dst_port, icmp_counter_type)),
        PROTO_ICMPV6 => Some(icmp_ports(src_port, dst_port, icmpv6_counter_type)),
        _ => None,
    };

    let src_addr = Addr::of(src);
    let dst_addr = Addr::of(dst);
    let (sp, dp, one_way) = ports.unwrap_or((0, 0, false));

    // Order the endpoints so the smaller (address, port) comes first, unless the flow is
    // one-way (then the direction is part of its identity). Addresses compare as their
    // network-order bytes, ports as numbers, exactly as the reference implementation.
    let in_order = one_way
        || src_addr.bytes() < dst_addr.bytes()
        || (src_addr.bytes() == dst_addr.bytes() && ports.is_some() && sp < dp);
    let (a, b, pa, pb) = if in_order {
        (&src_addr, &dst_addr, sp, dp)
    } else {
        (&dst_addr, &src_addr, dp, sp)
    };

    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    h.update(a.bytes());
    h.update(b.bytes());
    h.update([proto, 0]);
    if ports.is_some() {
        h.update(pa.to_be_bytes());
        h.update(pb.to_be_bytes());
    }
    h.finalize().into()
}

/// An address as the bytes that are hashed (4 or 16, network order).
enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Addr {
    fn of(ip: IpAddr) -> Addr {
        match ip {
            IpAddr::V4(a) => Addr::V4(a.octets()),
            IpAddr::V6(a) => Addr::V6(a.octets()),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Addr::V4(b) => b,
            Addr::V6(b) => b,
        }
    }
}

/// `(port-equivalent src, port-equivalent dst, one_way)` for an ICMP type and code, as
/// Zeek and pycommunityid map them.
fn icmp_ports(icmp_type: u16, code: u16, counter: fn(u16) -> Option<u16>) -> (u16, u16, bool) {
    match counter(icmp_type) {
        Some(c) => (icmp_type, c, false),
        None => (icmp_type, code, true),
    }
}

fn icmp_counter_type(t: u16) -> Option<u16> {
    Some(match t {
        8 => 0,   // echo request -> echo reply
        0 => 8,   // echo reply -> echo request
        13 => 14, // timestamp
        14 => 13,
        15 => 16, // information
        16 => 15,
        10 => 9, // router solicitation -> advertisement
        9 => 10,
        17 => 18, // address mask
        18 => 17,
        _ => return None,
    })
}

fn icmpv6_counter_type(t: u16) -> Option<u16> {
    Some(match t {
        128 => 129, // echo request -> echo reply
        129 => 128,
        130 => 131, // MLD listener query -> report
        131 => 130,
        133 => 134, // router solicitation -> advertisement
        134 => 133,
        135 => 136, // neighbor solicitation -> advertisement
        136 => 135,
        139 => 140, // node information (WRU) query -> reply
        140 => 139,
        144 => 145, // home agent address discovery request -> reply
        145 => 144,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    #[test]
    fn spec_readme_tcp_vector_matches_both_directions() {
        let a = v4(1, 2, 3, 4);
        let b = v4(5, 6, 7, 8);
        assert_eq!(
            community_id(0, 6, a, 1122, b, 3344),
            "1:wCb3OG7yAFWelaUydu0D+125CLM="
        );
        assert_eq!(
            community_id(0, 6, b, 3344, a, 1122),
            "1:wCb3OG7yAFWelaUydu0D+125CLM="
        );
        assert_eq!(
            community_id(1, 6, a, 1122, b, 3344),
            "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="
        );
        assert_eq!(
            community_id(0, 17, a, 1122, b, 3344),
            "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="
        );
    }

    #[test]
    fn one_way_icmpv6_hashes_type_and_code_like_the_spec() {
        // Dest-unreachable type 1 code 4: the spec hashes (1, 4); Suricata 8 would
        // hash (1, 0) and give 1:7/YRyYf9jZVYvUQRzcfGLnbP7JE=.
        let s: IpAddr = "3ffe:501:410:0:2c0:dfff:fe47:33e".parse().unwrap();
        let d: IpAddr = "3ffe:507:0:1:200:86ff:fe05:80da".parse().unwrap();
        assert_eq!(
            community_id(0, 58, s, 1, d, 4),
            "1:hLZd0XGWojozrvxqE0dWB1iM6R0="
        );
    }

    #[test]
    fn icmp_echo_request_and_reply_share_an_id() {
        let a = v4(10, 0, 0, 1);
        let b = v4(8, 8, 8, 8);
        assert_eq!(
            community_id(0, 1, a, 8, b, 0),
            community_id(0, 1, b, 0, a, 0)
        );
    }

    #[test]
    fn portless_protocol_ignores_ports() {
        let a = v4(10, 0, 0, 1);
        let b = v4(10, 0, 0, 2);
        assert_eq!(
            community_id(0, 47, a, 1, b, 2),
            community_id(0, 47, b, 9, a, 7)
        );
    }

    fn any_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
            any::<[u8; 16]>().prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        ]
    }

    proptest! {
        #[test]
        fn transport_flows_hash_alike_both_ways(
            seed: u16, proto in prop_oneof![Just(6u8), Just(17u8), Just(132u8)],
            a in any_ip(), pa: u16, b in any_ip(), pb: u16,
        ) {
            let id = community_id(seed, proto, a, pa, b, pb);
            prop_assert_eq!(&id, &community_id(seed, proto, b, pb, a, pa));
            prop_assert!(id.starts_with("1:"));
            prop_assert_eq!(id.len(), 30);
        }
    }
}
