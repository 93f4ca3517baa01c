//! Which worker owns a packet: the one that owns its *host*.

use crate::config::HomeNet;
use crate::decode::{PacketMeta, Proto};
use std::net::IpAddr;

/// The host a packet is accounted to: the endpoint inside HOME_NET; when both are
/// inside, the client side (the higher port, as ephemeral ports are), so a client's DNS
/// and its connections meet on one worker; when neither is, the lower address. The
/// choice is symmetric, so both directions of a flow land on the same worker.
pub fn host_of(p: &PacketMeta, home: &HomeNet) -> IpAddr {
    match (home.is_internal(p.src), home.is_internal(p.dst)) {
        (true, false) => p.src,
        (false, true) => p.dst,
        // ICMP "ports" are type and code, not a client/server hint.
        _ if matches!(p.proto, Proto::Icmp | Proto::Icmpv6) => p.src.min(p.dst),
        _ if p.src_port > p.dst_port => p.src,
        _ if p.src_port < p.dst_port => p.dst,
        _ => p.src.min(p.dst),
    }
}

/// The worker (0..workers) that owns the packet's host. A fixed mixing function, not a
/// keyed hash: the assignment must be the same on every run, and an attacker who
/// balances hosts badly only slows one worker, which the bounded channels absorb.
pub fn shard(p: &PacketMeta, home: &HomeNet, workers: usize) -> usize {
    if workers <= 1 {
        return 0;
    }
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut mix = |v: u64| {
        h ^= v;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 31;
    };
    match host_of(p, home) {
        IpAddr::V4(a) => mix(u64::from(u32::from(a))),
        IpAddr::V6(a) => {
            let v = u128::from(a);
            mix(v as u64);
            mix((v >> 64) as u64);
        }
    }
    (h % workers as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::VlanIds;
    use crate::time::Timestamp;

    fn p(src: &str, sp: u16, dst: &str, dp: u16) -> PacketMeta {
        PacketMeta {
            ts: Timestamp::ZERO,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            src_port: sp,
            dst_port: dp,
            proto: Proto::Udp,
            tcp_flags: 0,
            vlan: VlanIds::default(),
            wire_len: 0,
            payload_len: 0,
            dns: None,
        }
    }

    #[test]
    fn both_directions_of_a_flow_land_on_one_worker() {
        let home = HomeNet::default_nets();
        for (a, ap, b, bp) in [
            ("10.0.0.5", 40000, "198.51.100.1", 443),
            ("10.0.0.5", 40000, "10.0.0.1", 53),
            ("203.0.113.1", 1000, "198.51.100.1", 1000),
        ] {
            for n in 1..8 {
                assert_eq!(
                    shard(&p(a, ap, b, bp), &home, n),
                    shard(&p(b, bp, a, ap), &home, n)
                );
            }
        }
    }

    #[test]
    fn internal_client_owns_its_dns_and_its_connections() {
        let home = HomeNet::default_nets();
        let client: IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(
            host_of(&p("10.0.0.5", 40000, "10.0.0.1", 53), &home),
            client
        );
        assert_eq!(
            host_of(&p("10.0.0.1", 53, "10.0.0.5", 40000), &home),
            client
        );
        assert_eq!(
            host_of(&p("198.51.100.9", 8080, "10.0.0.5", 40001), &home),
            client
        );
    }
}
