//! Packet decoding: one capture record to one [`PacketMeta`], or `None` and a counted
//! reason.
//!
//! Hand-written checked parsing, smoltcp style: every fixed header is taken as a
//! `&[u8; N]` once its length is checked, so no field access can panic, and every way
//! out that yields nothing bumps exactly one reason in [`DecodeCounters`] (malformed
//! input also bumps `decoder.invalid`). No allocation except the DNS payload copy.
//!
//! Lengths: the IP header's length bounds the payload (Ethernet padding is not payload),
//! what was captured bounds it again (snaplen). A packet whose headers are all there but
//! whose payload was cut still yields a meta, with `payload_len` as the headers state it.
//!
//! Tunnels (GRE, ERSPAN, VXLAN, Geneve, IP-in-IP, MPLS) return the *inner* packet's meta;
//! a tunnel whose payload cannot be decoded returns the outer packet's meta (so the
//! tunnel flow is still seen) and counts why. Nesting stops at [`MAX_TUNNEL_DEPTH`].

use super::counters::DecodeCounter as C;
use super::{DecodeCounters, LinkType, PacketMeta, Proto, VlanIds, DNS_PORT, MAX_DNS_PAYLOAD};
use crate::time::Timestamp;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How many encapsulations deep the decoder follows a tunnel. Real networks nest two or
/// three (VXLAN in an MPLS core, GRE in IPsec-less IPIP); more is a crafted packet, and
/// the bound keeps the recursion's stack small.
pub const MAX_TUNNEL_DEPTH: u8 = 4;

/// How many IPv6 extension headers (or IPv4 AH headers) the decoder walks. RFC 8200
/// allows each at most once (destination options twice); 16 leaves room for odd stacks.
const MAX_EXT_HEADERS: usize = 16;

mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ tags some switches still send.
    pub const QINQ_OLD1: u16 = 0x9100;
    pub const QINQ_OLD2: u16 = 0x9200;
    pub const IPV6: u16 = 0x86dd;
    pub const MPLS_UNICAST: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
    /// Transparent Ethernet bridging (GRE, Geneve).
    pub const TEB: u16 = 0x6558;
    pub const ERSPAN_1_2: u16 = 0x88be;
    pub const ERSPAN_3: u16 = 0x22eb;
}

const VXLAN_PORT: u16 = 4789;
const GENEVE_PORT: u16 = 6081;

/// Decodes one captured record. `data` is what was captured (may be cut by snaplen),
/// `wire_len` the original length. Counts `decoder.pkts`, `decoder.bytes` and the layers
/// seen; returns `None`, after counting the reason, for anything that yields no IP flow:
/// ARP, unknown ethertypes, truncated headers, non-first fragments...
pub fn decode_packet(
    link: LinkType,
    ts: Timestamp,
    data: &[u8],
    wire_len: u32,
    counters: &mut DecodeCounters,
) -> Option<PacketMeta> {
    counters.bump(C::Pkts);
    counters.add_bytes(u64::from(wire_len));
    let mut d = Decoder {
        counters,
        ts,
        wire_len,
        vlan: VlanIds::default(),
        vlan_layers: 0,
    };
    d.link(link, data)
}

/// The fixed-size header at the start of `d`, if captured.
#[inline]
fn header<const N: usize>(d: &[u8]) -> Option<&[u8; N]> {
    d.first_chunk::<N>()
}

/// `N` bytes at `at`, if captured.
#[inline]
fn chunk<const N: usize>(d: &[u8], at: usize) -> Option<[u8; N]> {
    d.get(at..)?.first_chunk::<N>().copied()
}

#[inline]
fn be16(b: [u8; 2]) -> u16 {
    u16::from_be_bytes(b)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What the IP layer knows when it hands its payload to the transport.
#[derive(Clone, Copy)]
struct Ip {
    src: IpAddr,
    dst: IpAddr,
    v6: bool,
    /// A first fragment (offset 0, more to come): the transport header is here, but the
    /// transport's own length covers fragments not in this packet.
    first_fragment: bool,
}

/// A decoded transport layer, before it becomes a [`PacketMeta`]; tunnels keep it to
/// fall back on when they cannot decode their payload.
struct Transport<'p> {
    ip: Ip,
    proto: Proto,
    src_port: u16,
    dst_port: u16,
    tcp_flags: u8,
    payload_len: usize,
    /// The captured part of the transport payload.
    payload: &'p [u8],
}

struct Decoder<'c> {
    counters: &'c mut DecodeCounters,
    ts: Timestamp,
    wire_len: u32,
    vlan: VlanIds,
    vlan_layers: u8,
}

impl Decoder<'_> {
    /// Malformed or truncated: count the reason and `decoder.invalid`.
    fn fail<T>(&mut self, reason: C) -> Option<T> {
        self.counters.bump(reason);
        self.counters.bump(C::Invalid);
        None
    }

    /// Well-formed but nothing to track: count the reason.
    fn skip<T>(&mut self, reason: C) -> Option<T> {
        self.counters.bump(reason);
        None
    }

    fn count(&mut self, c: C) {
        self.counters.bump(c);
    }

    /// Whether a tunnel at `depth` may be entered; counts `too_many_layers` if not.
    fn may_enter(&mut self, depth: u8) -> bool {
        if depth >= MAX_TUNNEL_DEPTH {
            self.count(C::TooManyLayers);
            return false;
        }
        true
    }

    fn link(&mut self, link: LinkType, data: &[u8]) -> Option<PacketMeta> {
        match link {
            LinkType::Ethernet => self.ethernet(data, 0),
            LinkType::LinuxSll => self.sll(data),
            LinkType::LinuxSll2 => self.sll2(data),
            LinkType::Null => self.null(data, false),
            LinkType::Loop => self.null(data, true),
            LinkType::Raw => {
                self.count(C::Raw);
                match data.first().map(|b| b >> 4) {
                    Some(4) => self.ipv4(data, 0),
                    Some(6) => self.ipv6(data, 0),
                    _ => self.fail(C::RawInvalidIpVersion),
                }
            }
            LinkType::Ipv4 => {
                self.count(C::Raw);
                self.ipv4(data, 0)
            }
            LinkType::Ipv6 => {
                self.count(C::Raw);
                self.ipv6(data, 0)
            }
        }
    }

    // ---- link layers -------------------------------------------------------------

    fn ethernet(&mut self, data: &[u8], depth: u8) -> Option<PacketMeta> {
        self.count(C::Ethernet);
        let Some(h) = header::<14>(data) else {
            return self.fail(C::EthernetPktTooSmall);
        };
        let rest = data.get(14..).unwrap_or_default();
        self.ethertype(be16([h[12], h[13]]), rest, depth)
    }

    /// Everything after an ethertype: VLAN tags, then IP, ARP or MPLS.
    fn ethertype(&mut self, mut et: u16, mut data: &[u8], depth: u8) -> Option<PacketMeta> {
        // Each tag consumes 4 bytes, so the loop ends with the data.
        loop {
            match et {
                ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD1 | ethertype::QINQ_OLD2 => {
                    let Some(tag) = header::<4>(data) else {
                        return self.fail(C::VlanHeaderTooSmall);
                    };
                    self.vlan_tag(be16([tag[0], tag[1]]) & 0x0fff);
                    et = be16([tag[2], tag[3]]);
                    data = data.get(4..).unwrap_or_default();
                }
                ethertype::IPV4 => return self.ipv4(data, depth),
                ethertype::IPV6 => return self.ipv6(data, depth),
                ethertype::ARP => return self.skip(C::Arp),
                ethertype::MPLS_UNICAST | ethertype::MPLS_MULTICAST => {
                    return self.mpls(data, depth)
                }
                _ => return self.skip(C::UnknownEthertype),
            }
        }
    }

    /// Counts a VLAN layer and keeps the outer two ids. Id 0 (an 802.1p priority tag)
    /// means "no VLAN" and takes no slot, as [`VlanIds`] uses 0 for absent.
    fn vlan_tag(&mut self, id: u16) {
        match self.vlan_layers {
            0 => self.count(C::Vlan),
            1 => self.count(C::VlanQinq),
            2 => {
                self.count(C::VlanQinqinq);
                self.count(C::VlanTooManyLayers);
            }
            _ => {}
        }
        self.vlan_layers = self.vlan_layers.saturating_add(1);
        if id != 0 {
            if let Some(slot) = self.vlan.0.iter_mut().find(|s| **s == 0) {
                *slot = id;
            }
        }
    }

    /// Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes,
    /// protocol (an ethertype for every header type that carries IP).
    fn sll(&mut self, data: &[u8]) -> Option<PacketMeta> {
        self.count(C::Sll);
        let Some(h) = header::<16>(data) else {
            return self.fail(C::SllPktTooSmall);
        };
        self.cooked(be16([h[2], h[3]]), be16([h[14], h[15]]), data.get(16..))
    }

    /// Linux cooked v2 (etherparse knows only v1): protocol, reserved, interface index,
    /// ARPHRD type, packet type, address length, 8 address bytes.
    fn sll2(&mut self, data: &[u8]) -> Option<PacketMeta> {
        self.count(C::Sll2);
        let Some(h) = header::<20>(data) else {
            return self.fail(C::Sll2PktTooSmall);
        };
        self.cooked(be16([h[8], h[9]]), be16([h[0], h[1]]), data.get(20..))
    }

    fn cooked(&mut self, hatype: u16, protocol: u16, rest: Option<&[u8]>) -> Option<PacketMeta> {
        const ARPHRD_NETLINK: u16 = 824;
        if hatype == ARPHRD_NETLINK {
            return self.skip(C::LinkUnsupported);
        }
        self.ethertype(protocol, rest.unwrap_or_default(), 0)
    }

    /// BSD loopback: a 4-byte address family. NULL has it in the capturing host's byte
    /// order, which a file does not record, so both orders are tried; LOOP has it in
    /// network order. AF_INET6 differs between BSDs (24 NetBSD/OpenBSD, 28 FreeBSD,
    /// 30 macOS).
    fn null(&mut self, data: &[u8], network_order: bool) -> Option<PacketMeta> {
        self.count(C::Null);
        let Some(&af) = header::<4>(data) else {
            return self.fail(C::NullPktTooSmall);
        };
        let known = |f: u32| matches!(f, 2 | 24 | 28 | 30);
        let family = if network_order || !known(u32::from_le_bytes(af)) {
            u32::from_be_bytes(af)
        } else {
            u32::from_le_bytes(af)
        };
        let rest = data.get(4..).unwrap_or_default();
        match family {
            2 => self.ipv4(rest, 0),
            24 | 28 | 30 => self.ipv6(rest, 0),
            _ => self.skip(C::NullUnsupportedType),
        }
    }

    /// An MPLS label stack, then IPv4 or IPv6 by the first nibble, or Ethernet behind a
    /// pseudowire control word (first nibble 0).
    fn mpls(&mut self, mut data: &[u8], depth: u8) -> Option<PacketMeta> {
        self.count(C::Mpls);
        // Each label consumes 4 bytes, so the loop ends with the data.
        loop {
            let Some(label) = header::<4>(data) else {
                return self.fail(C::MplsHeaderTooSmall);
            };
            data = data.get(4..).unwrap_or_default();
            if label[2] & 0x01 != 0 {
                break;
            }
        }
        match data.first().map(|b| b >> 4) {
            Some(4) => self.ipv4(data, depth),
            Some(6) => self.ipv6(data, depth),
            Some(0) if data.len() >= 4 => {
                if !self.may_enter(depth) {
                    // No IP layer to fall back on: the packet yields nothing.
                    self.count(C::Invalid);
                    return None;
                }
                self.ethernet(data.get(4..).unwrap_or_default(), depth + 1)
            }
            _ => self.skip(C::MplsUnknownPayload),
        }
    }

    // ---- IP ------------------------------------------------------------------------

    fn ipv4(&mut self, data: &[u8], depth: u8) -> Option<PacketMeta> {
        self.count(C::Ipv4);
        let Some(h) = header::<20>(data) else {
            return self.fail(C::Ipv4PktTooSmall);
        };
        if h[0] >> 4 != 4 {
            return self.fail(C::Ipv4WrongIpVersion);
        }
        let hlen = usize::from(h[0] & 0x0f) * 4;
        if hlen < 20 {
            return self.fail(C::Ipv4HlenTooSmall);
        }
        let total = usize::from(be16([h[2], h[3]]));
        if total < hlen {
            return self.fail(C::Ipv4IplenSmallerThanHlen);
        }
        if data.len() < hlen {
            return self.fail(C::Ipv4TruncPkt);
        }
        let frag = be16([h[6], h[7]]);
        if frag & 0x1fff != 0 {
            return self.skip(C::Ipv4FragIgnored);
        }
        let ip = Ip {
            src: Ipv4Addr::new(h[12], h[13], h[14], h[15]).into(),
            dst: Ipv4Addr::new(h[16], h[17], h[18], h[19]).into(),
            v6: false,
            first_fragment: frag & 0x2000 != 0,
        };
        let payload = data.get(hlen..total.min(data.len())).unwrap_or_default();
        self.ip_payload(ip, h[9], payload, total - hlen, depth)
    }

    fn ipv6(&mut self, data: &[u8], depth: u8) -> Option<PacketMeta> {
        self.count(C::Ipv6);
        let Some(h) = header::<40>(data) else {
            return self.fail(C::Ipv6PktTooSmall);
        };
        if h[0] >> 4 != 6 {
            return self.fail(C::Ipv6WrongIpVersion);
        }
        let (Some(src), Some(dst)) = (chunk::<16>(h, 8), chunk::<16>(h, 24)) else {
            return self.fail(C::Ipv6PktTooSmall); // unreachable: h holds 40 bytes
        };
        let next = h[6];
        let rest = data.get(40..).unwrap_or_default();
        let plen = usize::from(be16([h[4], h[5]]));
        // A zero payload length with hop-by-hop options next is a jumbogram (RFC 2675):
        // its length is in an option; trust what was captured.
        let (payload, declared) = if plen == 0 && next == 0 {
            (rest, rest.len())
        } else {
            (rest.get(..plen).unwrap_or(rest), plen)
        };
        let ip = Ip {
            src: Ipv6Addr::from(src).into(),
            dst: Ipv6Addr::from(dst).into(),
            v6: true,
            first_fragment: false,
        };
        self.ip_payload(ip, next, payload, declared, depth)
    }

    /// Walks IPv6 extension headers (and AH in either version) to the upper-layer
    /// protocol, then hands its payload on. `payload` is the captured part, `declared`
    /// the length the IP header states.
    fn ip_payload(
        &mut self,
        mut ip: Ip,
        mut proto: u8,
        mut payload: &[u8],
        mut declared: usize,
        depth: u8,
    ) -> Option<PacketMeta> {
        let mut walked = 0;
        loop {
            let len = match proto {
                // Hop-by-hop, routing, destination options, mobility, HIP, shim6.
                0 | 43 | 60 | 135 | 139 | 140 if ip.v6 => {
                    payload.get(1).map(|&l| (usize::from(l) + 1) * 8)
                }
                44 if ip.v6 => Some(8),
                51 => payload.get(1).map(|&l| (usize::from(l) + 2) * 4),
                _ => break,
            };
            let truncated = if ip.v6 {
                C::Ipv6TruncExthdr
            } else {
                C::AhTruncated
            };
            let Some(ext) = len.and_then(|len| payload.get(..len)) else {
                return self.fail(truncated);
            };
            if let Some(frag) = header::<8>(ext).filter(|_| proto == 44) {
                let offset_and_m = be16([frag[2], frag[3]]);
                if offset_and_m >> 3 != 0 {
                    return self.skip(C::Ipv6FragIgnored);
                }
                ip.first_fragment |= offset_and_m & 1 != 0;
            }
            walked += 1;
            if walked > MAX_EXT_HEADERS {
                return self.fail(C::ExthdrChainTooLong);
            }
            proto = ext.first().copied().unwrap_or(59);
            declared = declared.saturating_sub(ext.len());
            payload = payload.get(ext.len()..).unwrap_or_default();
        }
        self.transport(ip, proto, payload, declared, depth)
    }

    fn transport(
        &mut self,
        ip: Ip,
        proto: u8,
        payload: &[u8],
        declared: usize,
        depth: u8,
    ) -> Option<PacketMeta> {
        match proto {
            6 => self.tcp(ip, payload, declared),
            17 => self.udp(ip, payload, declared, depth),
            1 | 58 => self.icmp(ip, proto, payload, declared),
            132 => self.sctp(ip, payload, declared),
            47 => self.gre(ip, payload, declared, depth),
            4 | 41 => self.ip_in_ip(ip, proto, payload, declared, depth),
            n => {
                if n == 50 {
                    self.count(C::Esp);
                }
                Some(self.meta(portless(ip, Proto::Other(n), declared)))
            }
        }
    }

    // ---- transport -------------------------------------------------------------------

    fn tcp(&mut self, ip: Ip, seg: &[u8], declared: usize) -> Option<PacketMeta> {
        self.count(C::Tcp);
        let Some(h) = header::<20>(seg) else {
            return self.fail(C::TcpPktTooSmall);
        };
        let hlen = usize::from(h[12] >> 4) * 4;
        if hlen < 20 {
            return self.fail(C::TcpHlenTooSmall);
        }
        if hlen > declared {
            return self.fail(C::TcpHlenTooLarge);
        }
        // Options cut by snaplen leave the ports and flags intact: still a meta.
        Some(self.meta(Transport {
            ip,
            proto: Proto::Tcp,
            src_port: be16([h[0], h[1]]),
            dst_port: be16([h[2], h[3]]),
            tcp_flags: h[13],
            payload_len: declared - hlen,
            payload: seg.get(hlen..).unwrap_or_default(),
        }))
    }

    fn udp(&mut self, ip: Ip, dgram: &[u8], declared: usize, depth: u8) -> Option<PacketMeta> {
        self.count(C::Udp);
        let Some(h) = header::<8>(dgram) else {
            return self.fail(C::UdpPktTooSmall);
        };
        let ulen = usize::from(be16([h[4], h[5]]));
        let body = dgram.get(8..).unwrap_or_default();
        let (payload_len, payload) = if ip.first_fragment {
            // The UDP length covers the whole datagram, not this fragment.
            (ulen.saturating_sub(8), body)
        } else {
            if ulen < 8 {
                return self.fail(C::UdpHlenInvalid);
            }
            if ulen > declared {
                return self.fail(C::UdpLenInvalid);
            }
            let plen = ulen - 8;
            (plen, body.get(..plen).unwrap_or(body))
        };
        let t = Transport {
            ip,
            proto: Proto::Udp,
            src_port: be16([h[0], h[1]]),
            dst_port: be16([h[2], h[3]]),
            tcp_flags: 0,
            payload_len,
            payload,
        };
        match t.dst_port {
            // A first fragment holds only part of a tunnelled frame; an empty datagram to
            // a tunnel port (a port probe) carries no tunnel: both are plain UDP, not a
            // truncated tunnel header.
            _ if ip.first_fragment || t.payload_len == 0 => Some(self.meta(t)),
            VXLAN_PORT => self.vxlan(t, depth),
            GENEVE_PORT => self.geneve(t, depth),
            _ => Some(self.meta(t)),
        }
    }

    /// ICMP and ICMPv6: type and code stand in for the ports.
    fn icmp(&mut self, ip: Ip, proto: u8, msg: &[u8], declared: usize) -> Option<PacketMeta> {
        let (layer, too_small, proto) = if proto == 1 {
            if ip.v6 {
                self.count(C::Ipv6Icmpv4);
            }
            (C::Icmpv4, C::Icmpv4PktTooSmall, Proto::Icmp)
        } else {
            if !ip.v6 {
                self.count(C::Ipv4Icmpv6);
            }
            (C::Icmpv6, C::Icmpv6PktTooSmall, Proto::Icmpv6)
        };
        self.count(layer);
        let Some(h) = header::<8>(msg) else {
            return self.fail(too_small);
        };
        Some(self.meta(Transport {
            ip,
            proto,
            src_port: u16::from(h[0]),
            dst_port: u16::from(h[1]),
            tcp_flags: 0,
            payload_len: declared.saturating_sub(8),
            payload: &[],
        }))
    }

    /// SCTP: the common header's ports, as Suricata and Community ID use them.
    fn sctp(&mut self, ip: Ip, pkt: &[u8], declared: usize) -> Option<PacketMeta> {
        self.count(C::Sctp);
        let Some(h) = header::<12>(pkt) else {
            return self.fail(C::SctpPktTooSmall);
        };
        Some(self.meta(Transport {
            src_port: be16([h[0], h[1]]),
            dst_port: be16([h[2], h[3]]),
            payload_len: declared.saturating_sub(12),
            ..portless(ip, Proto::Other(132), declared)
        }))
    }

    // ---- tunnels -----------------------------------------------------------------------

    fn ip_in_ip(
        &mut self,
        ip: Ip,
        proto: u8,
        inner: &[u8],
        declared: usize,
        depth: u8,
    ) -> Option<PacketMeta> {
        self.count(match (ip.v6, proto) {
            (false, 4) => C::Ipv4InIpv4,
            (false, _) => C::Ipv6InIpv4,
            (true, 4) => C::Ipv4InIpv6,
            (true, _) => C::Ipv6InIpv6,
        });
        if ip.first_fragment || !self.may_enter(depth) {
            return Some(self.meta(portless(ip, Proto::Other(proto), declared)));
        }
        if proto == 4 {
            self.ipv4(inner, depth + 1)
        } else {
            self.ipv6(inner, depth + 1)
        }
    }

    /// GRE version 0 (RFC 2784/2890): IP, Ethernet (TEB), ERSPAN and MPLS payloads.
    /// Version 1 (PPTP) carries PPP, which botsense does not decode.
    fn gre(&mut self, ip: Ip, pkt: &[u8], declared: usize, depth: u8) -> Option<PacketMeta> {
        self.count(C::Gre);
        let outer = portless(ip, Proto::Other(47), declared);
        let Some(h) = header::<4>(pkt) else {
            return self.fail(C::GrePktTooSmall);
        };
        let flags = be16([h[0], h[1]]);
        let protocol = be16([h[2], h[3]]);
        match flags & 0x0007 {
            0 => {}
            1 => return self.outer(outer, C::TunnelUnsupported),
            _ => return self.outer(outer, C::GreWrongVersion),
        }
        const CHECKSUM: u16 = 0x8000;
        const ROUTING: u16 = 0x4000;
        const KEY: u16 = 0x2000;
        const SEQUENCE: u16 = 0x1000;
        if flags & ROUTING != 0 {
            // RFC 1701 source routing: deprecated, variable length, not seen in practice.
            return self.outer(outer, C::TunnelUnsupported);
        }
        let optional = [CHECKSUM, KEY, SEQUENCE]
            .iter()
            .filter(|&&f| flags & f != 0)
            .count();
        let Some(inner) = pkt.get(4 + 4 * optional..) else {
            return self.fail(C::GreHdrTooBig);
        };
        let known = matches!(
            protocol,
            ethertype::IPV4
                | ethertype::IPV6
                | ethertype::TEB
                | ethertype::ERSPAN_1_2
                | ethertype::ERSPAN_3
                | ethertype::MPLS_UNICAST
        );
        if !known {
            return self.outer(outer, C::TunnelUnsupported);
        }
        if ip.first_fragment || !self.may_enter(depth) {
            return Some(self.meta(outer));
        }
        let depth = depth + 1;
        match protocol {
            ethertype::IPV4 => self.ipv4(inner, depth),
            ethertype::IPV6 => self.ipv6(inner, depth),
            ethertype::MPLS_UNICAST => self.mpls(inner, depth),
            ethertype::TEB => self.ethernet(inner, depth),
            _ => self.erspan(outer, protocol, flags & SEQUENCE != 0, inner, depth),
        }
    }

    /// ERSPAN: type I (no header, GRE without sequence number), type II (8 bytes,
    /// version 1), type III (12 bytes, version 2, plus 8 with the O flag); then Ethernet.
    fn erspan(
        &mut self,
        outer: Transport<'_>,
        protocol: u16,
        has_sequence: bool,
        data: &[u8],
        depth: u8,
    ) -> Option<PacketMeta> {
        self.count(C::Erspan);
        let hlen = if protocol == ethertype::ERSPAN_1_2 {
            if !has_sequence {
                0
            } else {
                let Some(h) = header::<8>(data) else {
                    return self.fail(C::ErspanHeaderTooSmall);
                };
                if h[0] >> 4 != 1 {
                    return self.outer(outer, C::TunnelUnsupported);
                }
                8
            }
        } else {
            let Some(h) = header::<12>(data) else {
                return self.fail(C::ErspanHeaderTooSmall);
            };
            if h[0] >> 4 != 2 {
                return self.outer(outer, C::TunnelUnsupported);
            }
            if h[11] & 0x01 != 0 {
                20
            } else {
                12
            }
        };
        let Some(frame) = data.get(hlen..) else {
            return self.fail(C::ErspanHeaderTooSmall);
        };
        self.ethernet(frame, depth)
    }

    /// VXLAN (RFC 7348): 8 bytes with the I flag, then Ethernet. UDP to 4789 without
    /// the I flag is not VXLAN and stays a UDP flow.
    fn vxlan(&mut self, t: Transport<'_>, depth: u8) -> Option<PacketMeta> {
        let Some(h) = header::<8>(t.payload) else {
            return self.fail(C::TunnelHeaderTooSmall);
        };
        if h[0] & 0x08 == 0 {
            return Some(self.meta(t));
        }
        self.count(C::Vxlan);
        if !self.may_enter(depth) {
            return Some(self.meta(t));
        }
        self.ethernet(t.payload.get(8..).unwrap_or_default(), depth + 1)
    }

    /// Geneve (RFC 8926): 8 bytes plus options, then Ethernet or IP by protocol type.
    fn geneve(&mut self, t: Transport<'_>, depth: u8) -> Option<PacketMeta> {
        let Some(h) = header::<8>(t.payload) else {
            return self.fail(C::TunnelHeaderTooSmall);
        };
        if h[0] >> 6 != 0 {
            // A future version: its layout is unknown.
            return self.outer(t, C::TunnelUnsupported);
        }
        self.count(C::Geneve);
        let hlen = 8 + usize::from(h[0] & 0x3f) * 4;
        let Some(inner) = t.payload.get(hlen..) else {
            return self.fail(C::TunnelHeaderTooSmall);
        };
        let protocol = be16([h[2], h[3]]);
        if !matches!(protocol, ethertype::TEB | ethertype::IPV4 | ethertype::IPV6) {
            return self.outer(t, C::GeneveUnknownPayload);
        }
        if !self.may_enter(depth) {
            return Some(self.meta(t));
        }
        match protocol {
            ethertype::TEB => self.ethernet(inner, depth + 1),
            ethertype::IPV4 => self.ipv4(inner, depth + 1),
            _ => self.ipv6(inner, depth + 1),
        }
    }

    /// A tunnel whose payload is not decoded: count why, return the outer packet.
    fn outer(&mut self, t: Transport<'_>, reason: C) -> Option<PacketMeta> {
        self.count(reason);
        Some(self.meta(t))
    }

    // ---- result --------------------------------------------------------------------------

    fn meta(&self, t: Transport<'_>) -> PacketMeta {
        let is_dns = matches!(t.proto, Proto::Tcp | Proto::Udp)
            && (t.src_port == DNS_PORT || t.dst_port == DNS_PORT)
            && !t.payload.is_empty();
        let dns = is_dns.then(|| Box::from(t.payload.get(..MAX_DNS_PAYLOAD).unwrap_or(t.payload)));
        PacketMeta {
            ts: self.ts,
            src: t.ip.src,
            dst: t.ip.dst,
            src_port: t.src_port,
            dst_port: t.dst_port,
            proto: t.proto,
            tcp_flags: t.tcp_flags,
            vlan: self.vlan,
            wire_len: self.wire_len,
            payload_len: to_u32(t.payload_len),
            dns,
        }
    }
}

/// A protocol without ports: the whole IP payload is its payload.
fn portless(ip: Ip, proto: Proto, declared: usize) -> Transport<'static> {
    Transport {
        ip,
        proto,
        src_port: 0,
        dst_port: 0,
        tcp_flags: 0,
        payload_len: declared,
        payload: &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tcp_flags;

    const A: [u8; 4] = [10, 0, 0, 1];
    const B: [u8; 4] = [203, 0, 113, 7];
    const A6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const B6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    fn decode(link: LinkType, data: &[u8]) -> (Option<PacketMeta>, DecodeCounters) {
        let mut c = DecodeCounters::default();
        let wire_len = data.len() as u32;
        let m = decode_packet(link, Timestamp::from_micros(7), data, wire_len, &mut c);
        (m, c)
    }

    fn eth_decode(data: &[u8]) -> (Option<PacketMeta>, DecodeCounters) {
        decode(LinkType::Ethernet, data)
    }

    /// The botsense reasons counted, by name.
    fn reasons(c: &DecodeCounters) -> Vec<&'static str> {
        let mut v = Vec::new();
        c.for_each_error(|n, _| v.push(n));
        v
    }

    /// Asserts nothing came out, for exactly `reason`, and whether it was malformed.
    fn assert_dropped(r: (Option<PacketMeta>, DecodeCounters), reason: &str, invalid: bool) {
        let (m, c) = r;
        assert!(m.is_none(), "{m:?}");
        assert_eq!(reasons(&c), [reason], "{c:?}");
        assert_eq!(c.get(C::Invalid), u64::from(invalid), "{c:?}");
    }

    fn eth(et: u16, payload: &[u8]) -> Vec<u8> {
        let macs = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        [&macs[..], &et.to_be_bytes(), payload].concat()
    }

    fn vlan(id: u16, et: u16, payload: &[u8]) -> Vec<u8> {
        [&id.to_be_bytes()[..], &et.to_be_bytes(), payload].concat()
    }

    fn ipv4_full(proto: u8, options: &[u8], frag: u16, payload: &[u8]) -> Vec<u8> {
        let hlen = 20 + options.len();
        let total = (hlen + payload.len()) as u16;
        let fixed = [
            &[0x40 | (hlen / 4) as u8, 0][..],
            &total.to_be_bytes(),
            &[0x12, 0x34],
            &frag.to_be_bytes(),
            &[64, proto, 0, 0],
            &A,
            &B,
        ]
        .concat();
        [&fixed[..], options, payload].concat()
    }

    fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
        ipv4_full(proto, &[], 0, payload)
    }

    fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let plen = payload.len() as u16;
        [
            &[0x60, 0, 0, 0][..],
            &plen.to_be_bytes(),
            &[next, 64],
            &A6,
            &B6,
            payload,
        ]
        .concat()
    }

    fn tcp(sport: u16, dport: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
        [
            &sport.to_be_bytes()[..],
            &dport.to_be_bytes(),
            &[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0],
            payload,
        ]
        .concat()
    }

    fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let len = (8 + payload.len()) as u16;
        [
            &sport.to_be_bytes()[..],
            &dport.to_be_bytes(),
            &len.to_be_bytes(),
            &[0, 0],
            payload,
        ]
        .concat()
    }

    fn v4(a: [u8; 4]) -> IpAddr {
        IpAddr::from(a)
    }

    fn v6(a: [u8; 16]) -> IpAddr {
        IpAddr::from(a)
    }

    /// A UDP 40000 -> 5000 packet over IPv4, the usual inner packet for tunnels.
    fn inner_v4_udp() -> Vec<u8> {
        ipv4(17, &udp(40000, 5000, b"hello"))
    }

    fn assert_inner_v4_udp(m: &PacketMeta) {
        assert_eq!((m.src, m.dst), (v4(A), v4(B)));
        assert_eq!((m.proto, m.src_port, m.dst_port), (Proto::Udp, 40000, 5000));
        assert_eq!(m.payload_len, 5);
    }

    // ---- Ethernet and VLAN -----------------------------------------------------------

    #[test]
    fn ethernet_ipv4_tcp_syn_becomes_a_meta() {
        let pkt = eth(0x0800, &ipv4(6, &tcp(51000, 8080, tcp_flags::SYN, b"")));
        let (m, c) = eth_decode(&pkt);
        let m = m.unwrap();
        assert_eq!(m.ts, Timestamp::from_micros(7));
        assert_eq!((m.src, m.dst), (v4(A), v4(B)));
        assert_eq!((m.src_port, m.dst_port), (51000, 8080));
        assert_eq!(m.proto, Proto::Tcp);
        assert_eq!(m.tcp_flags, tcp_flags::SYN);
        assert_eq!(m.vlan, VlanIds::default());
        assert_eq!(m.wire_len, pkt.len() as u32);
        assert_eq!(m.payload_len, 0);
        assert_eq!(m.dns, None);
        for k in [C::Pkts, C::Ethernet, C::Ipv4, C::Tcp] {
            assert_eq!(c.get(k), 1, "{k:?}");
        }
        assert_eq!(c.bytes(), pkt.len() as u64);
        assert_eq!(c.errors_total(), 0);
    }

    #[test]
    fn frame_built_by_etherparse_decodes() {
        let builder = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(A, B, 20)
            .udp(5353, 53);
        let payload = [0xab; 12];
        let mut pkt = Vec::with_capacity(builder.size(payload.len()));
        builder.write(&mut pkt, &payload).unwrap();
        let m = eth_decode(&pkt).0.unwrap();
        assert_eq!((m.src_port, m.dst_port, m.proto), (5353, 53, Proto::Udp));
        assert_eq!(m.dns.as_deref(), Some(&payload[..]));
    }

    #[test]
    fn single_vlan_id_is_kept() {
        let pkt = eth(0x8100, &vlan(0x2064, 0x0800, &inner_v4_udp()));
        let (m, c) = eth_decode(&pkt);
        assert_eq!(m.unwrap().vlan, VlanIds([100, 0]));
        assert_eq!(c.get(C::Vlan), 1);
        assert_eq!(c.get(C::VlanQinq), 0);
    }

    #[test]
    fn qinq_keeps_outer_and_inner_id() {
        let inner = vlan(20, 0x0800, &inner_v4_udp());
        let pkt = eth(0x88a8, &vlan(10, 0x8100, &inner));
        let (m, c) = eth_decode(&pkt);
        let m = m.unwrap();
        assert_eq!(m.vlan, VlanIds([10, 20]));
        assert_eq!(m.vlan.ids().collect::<Vec<_>>(), [10, 20]);
        assert_inner_v4_udp(&m);
        assert_eq!((c.get(C::Vlan), c.get(C::VlanQinq)), (1, 1));
        assert_eq!(c.errors_total(), 0);
    }

    #[test]
    fn third_vlan_tag_is_counted_and_decoding_goes_on() {
        let inner = vlan(30, 0x0800, &inner_v4_udp());
        let pkt = eth(0x88a8, &vlan(10, 0x8100, &vlan(20, 0x8100, &inner)));
        let (m, c) = eth_decode(&pkt);
        let m = m.unwrap();
        assert_eq!(m.vlan, VlanIds([10, 20]));
        assert_inner_v4_udp(&m);
        assert_eq!(c.get(C::VlanQinqinq), 1);
        assert_eq!(reasons(&c), ["vlan.too_many_layers"]);
    }

    #[test]
    fn priority_tag_takes_no_vlan_slot() {
        let pkt = eth(
            0x8100,
            &vlan(0xe000, 0x8100, &vlan(7, 0x0800, &inner_v4_udp())),
        );
        assert_eq!(eth_decode(&pkt).0.unwrap().vlan, VlanIds([7, 0]));
    }

    #[test]
    fn cut_vlan_tag_is_counted() {
        let pkt = eth(0x8100, &[0, 10]);
        assert_dropped(eth_decode(&pkt), "vlan.header_too_small", true);
    }

    #[test]
    fn short_ethernet_frame_is_counted() {
        assert_dropped(eth_decode(&[0; 13]), "ethernet.pkt_too_small", true);
    }

    #[test]
    fn arp_is_skipped_not_invalid() {
        let r = eth_decode(&eth(0x0806, &[0; 28]));
        assert_eq!(r.1.get(C::Arp), 1);
        assert_dropped(r, "arp.ignored", false);
    }

    #[test]
    fn lldp_is_an_unknown_ethertype() {
        assert_dropped(
            eth_decode(&eth(0x88cc, &[0; 30])),
            "ethernet.unknown_ethertype",
            false,
        );
    }

    // ---- cooked, NULL, LOOP and raw link types -----------------------------------------

    fn sll(protocol: u16, hatype: u16, payload: &[u8]) -> Vec<u8> {
        let fixed = [
            &[0, 0][..],
            &hatype.to_be_bytes(),
            &[0, 6, 2, 0, 0, 0, 0, 1, 0, 0],
            &protocol.to_be_bytes(),
        ]
        .concat();
        [&fixed[..], payload].concat()
    }

    fn sll2(protocol: u16, payload: &[u8]) -> Vec<u8> {
        let fixed = [
            &protocol.to_be_bytes()[..],
            &[0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0],
        ]
        .concat();
        assert_eq!(fixed.len(), 20);
        [&fixed[..], payload].concat()
    }

    #[test]
    fn linux_sll_v1_carries_an_ethertype() {
        let (m, c) = decode(LinkType::LinuxSll, &sll(0x0800, 1, &inner_v4_udp()));
        assert_inner_v4_udp(&m.unwrap());
        assert_eq!(c.get(C::Sll), 1);
    }

    #[test]
    fn linux_sll_v1_with_vlan_and_ipv6() {
        let pkt = sll(0x8100, 1, &vlan(42, 0x86dd, &ipv6(17, &udp(1, 2, b""))));
        let m = decode(LinkType::LinuxSll, &pkt).0.unwrap();
        assert_eq!((m.vlan, m.dst), (VlanIds([42, 0]), v6(B6)));
    }

    #[test]
    fn linux_sll_netlink_is_unsupported() {
        let r = decode(LinkType::LinuxSll, &sll(0x0000, 824, &[0; 20]));
        assert_dropped(r, "link.unsupported", false);
    }

    #[test]
    fn short_linux_sll_is_counted() {
        let r = decode(LinkType::LinuxSll, &[0; 15]);
        assert_dropped(r, "sll.pkt_too_small", true);
    }

    #[test]
    fn linux_sll2_protocol_comes_first() {
        let (m, c) = decode(
            LinkType::LinuxSll2,
            &sll2(0x86dd, &ipv6(6, &tcp(1, 443, 0x12, b"x"))),
        );
        let m = m.unwrap();
        assert_eq!((m.src, m.dst, m.dst_port), (v6(A6), v6(B6), 443));
        assert_eq!((m.tcp_flags, m.payload_len), (0x12, 1));
        assert_eq!((c.get(C::Sll2), c.get(C::Ipv6)), (1, 1));
    }

    #[test]
    fn short_linux_sll2_is_counted() {
        let r = decode(LinkType::LinuxSll2, &sll2(0x0800, &[])[..19]);
        assert_dropped(r, "sll2.pkt_too_small", true);
    }

    #[test]
    fn bsd_null_family_is_read_in_either_byte_order() {
        for af in [2u32.to_le_bytes(), 2u32.to_be_bytes()] {
            let (m, c) = decode(LinkType::Null, &[&af[..], &inner_v4_udp()].concat());
            assert_inner_v4_udp(&m.unwrap());
            assert_eq!(c.get(C::Null), 1);
        }
        for family in [24u32, 28, 30] {
            for af in [family.to_le_bytes(), family.to_be_bytes()] {
                let pkt = [&af[..], &ipv6(17, &udp(1, 2, b""))].concat();
                assert_eq!(
                    decode(LinkType::Null, &pkt).0.unwrap().dst,
                    v6(B6),
                    "{af:?}"
                );
            }
        }
    }

    #[test]
    fn bsd_null_unknown_family_and_short_header_are_counted() {
        let pkt = [&7u32.to_le_bytes()[..], &inner_v4_udp()].concat();
        assert_dropped(decode(LinkType::Null, &pkt), "null.unsupported_type", false);
        assert_dropped(
            decode(LinkType::Null, &[2, 0, 0]),
            "null.pkt_too_small",
            true,
        );
    }

    #[test]
    fn loop_family_is_in_network_order_only() {
        let pkt = [&2u32.to_be_bytes()[..], &inner_v4_udp()].concat();
        assert_inner_v4_udp(&decode(LinkType::Loop, &pkt).0.unwrap());
        let pkt = [&2u32.to_le_bytes()[..], &inner_v4_udp()].concat();
        assert_dropped(decode(LinkType::Loop, &pkt), "null.unsupported_type", false);
        let pkt = [&24u32.to_be_bytes()[..], &ipv6(17, &udp(1, 2, b""))].concat();
        assert!(decode(LinkType::Loop, &pkt).0.is_some());
    }

    #[test]
    fn raw_ip_version_nibble_picks_the_header() {
        let (m, c) = decode(LinkType::Raw, &inner_v4_udp());
        assert_inner_v4_udp(&m.unwrap());
        assert_eq!(c.get(C::Raw), 1);
        let m = decode(LinkType::Raw, &ipv6(17, &udp(1, 2, b""))).0.unwrap();
        assert_eq!(m.src, v6(A6));
        assert_dropped(
            decode(LinkType::Raw, &[0x50; 40]),
            "raw.invalid_ip_version",
            true,
        );
        assert_dropped(decode(LinkType::Raw, &[]), "raw.invalid_ip_version", true);
    }

    #[test]
    fn ipv4_and_ipv6_link_types_take_one_version_each() {
        assert_inner_v4_udp(&decode(LinkType::Ipv4, &inner_v4_udp()).0.unwrap());
        assert!(decode(LinkType::Ipv6, &ipv6(17, &udp(1, 2, b"")))
            .0
            .is_some());
        let r = decode(LinkType::Ipv4, &ipv6(17, &udp(1, 2, b"")));
        assert_dropped(r, "ipv4.wrong_ip_version", true);
        let r = decode(LinkType::Ipv6, &inner_v4_udp());
        assert_dropped(r, "ipv6.pkt_too_small", true);
    }

    // ---- IPv4 ----------------------------------------------------------------------------

    #[test]
    fn ipv4_options_are_skipped() {
        // Record route (7 bytes) + NOP: IHL 7.
        let options = [7, 7, 4, 0, 0, 0, 0, 1];
        let pkt = ipv4_full(6, &options, 0, &tcp(1234, 80, tcp_flags::ACK, b"GET"));
        let m = decode(LinkType::Raw, &pkt).0.unwrap();
        assert_eq!((m.src_port, m.dst_port, m.payload_len), (1234, 80, 3));
    }

    #[test]
    fn malformed_ipv4_headers_are_counted_by_reason() {
        let good = inner_v4_udp();
        let mut wrong_version = good.clone();
        wrong_version[0] = 0x55;
        let mut ihl_4 = good.clone();
        ihl_4[0] = 0x44;
        let mut total_below_hlen = good.clone();
        total_below_hlen[2..4].copy_from_slice(&19u16.to_be_bytes());
        let options_cut = &ipv4_full(17, &[1; 8], 0, &[])[..24];
        let cases: [(&[u8], &str); 5] = [
            (&good[..19], "ipv4.pkt_too_small"),
            (&wrong_version, "ipv4.wrong_ip_version"),
            (&ihl_4, "ipv4.hlen_too_small"),
            (&total_below_hlen, "ipv4.iplen_smaller_than_hlen"),
            (options_cut, "ipv4.trunc_pkt"),
        ];
        for (pkt, reason) in cases {
            let r = decode(LinkType::Ethernet, &eth(0x0800, pkt));
            assert_eq!(r.1.get(C::Ipv4), 1);
            assert_dropped(r, reason, true);
        }
    }

    #[test]
    fn snaplen_cut_payload_still_yields_a_meta() {
        let pkt = eth(
            0x0800,
            &ipv4(6, &tcp(40000, 443, tcp_flags::ACK, &[0x17; 1000])),
        );
        let mut c = DecodeCounters::default();
        let cut = &pkt[..14 + 20 + 20 + 10];
        let m = decode_packet(
            LinkType::Ethernet,
            Timestamp::ZERO,
            cut,
            pkt.len() as u32,
            &mut c,
        )
        .unwrap();
        assert_eq!(m.payload_len, 1000);
        assert_eq!(m.wire_len, pkt.len() as u32);
        assert_eq!(c.bytes(), pkt.len() as u64);
        assert_eq!(c.errors_total(), 0);
    }

    #[test]
    fn snaplen_cut_tcp_options_still_yield_a_meta() {
        let mut seg = tcp(40000, 443, tcp_flags::SYN, &[2, 4, 5, 0xb4, 1, 1, 4, 2]);
        seg[12] = 0x70;
        let pkt = ipv4(6, &seg);
        let m = decode(LinkType::Raw, &pkt[..20 + 22]).0.unwrap();
        assert_eq!((m.tcp_flags, m.payload_len), (tcp_flags::SYN, 0));
    }

    #[test]
    fn ethernet_padding_is_not_payload() {
        let mut pkt = eth(0x0800, &ipv4(17, &udp(5353, 53, b"ab")));
        pkt.resize(60, 0);
        let m = eth_decode(&pkt).0.unwrap();
        assert_eq!(m.payload_len, 2);
        assert_eq!(m.dns.as_deref(), Some(&b"ab"[..]));
    }

    #[test]
    fn first_ipv4_fragment_carries_the_ports() {
        // UDP length says 3000; this fragment holds only the first 100 bytes.
        let mut dgram = udp(40000, 53, &[0; 92]);
        dgram[4..6].copy_from_slice(&3000u16.to_be_bytes());
        let pkt = ipv4_full(17, &[], 0x2000, &dgram);
        let (m, c) = decode(LinkType::Raw, &pkt);
        let m = m.unwrap();
        assert_eq!((m.src_port, m.dst_port, m.payload_len), (40000, 53, 2992));
        assert_eq!(m.dns.as_deref().map(<[u8]>::len), Some(92));
        assert_eq!(c.errors_total(), 0);
    }

    #[test]
    fn later_ipv4_fragments_are_ignored_not_invalid() {
        for frag in [0x0001, 0x2010, 0x1fff] {
            let pkt = ipv4_full(17, &[], frag, &[0; 40]);
            assert_dropped(decode(LinkType::Raw, &pkt), "ipv4.frag_ignored", false);
        }
    }

    // ---- IPv6 ----------------------------------------------------------------------------

    #[test]
    fn ipv6_extension_chain_is_walked() {
        let hop_by_hop = [43, 0, 1, 4, 0, 0, 0, 0];
        let routing = [60, 0, 4, 0, 0, 0, 0, 0];
        let dest_opts = [6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let seg = tcp(40000, 22, tcp_flags::SYN, b"");
        let pkt = ipv6(0, &[&hop_by_hop[..], &routing, &dest_opts, &seg].concat());
        let (m, c) = decode(LinkType::Raw, &pkt);
        let m = m.unwrap();
        assert_eq!((m.proto, m.dst_port, m.payload_len), (Proto::Tcp, 22, 0));
        assert_eq!(c.errors_total(), 0);
    }

    #[test]
    fn ipv6_fragments_first_is_kept_later_ignored() {
        let first = [17, 0, 0x00, 0x01, 0, 0, 0, 9];
        let pkt = ipv6(44, &[&first[..], &udp(40000, 53, b"q")].concat());
        let m = decode(LinkType::Raw, &pkt).0.unwrap();
        assert_eq!((m.proto, m.dst_port), (Proto::Udp, 53));

        let later = [17, 0, 0x05, 0x00, 0, 0, 0, 9];
        let pkt = ipv6(44, &[&later[..], &[0; 16]].concat());
        assert_dropped(decode(LinkType::Raw, &pkt), "ipv6.frag_ignored", false);
    }

    #[test]
    fn authentication_header_is_skipped_in_either_version() {
        // AH: next header, payload length 4 -> (4 + 2) * 4 = 24 bytes.
        let ah = [[17u8, 4, 0, 0].as_slice(), &[0; 20]].concat();
        let body = [&ah[..], &udp(500, 4500, b"ike")].concat();
        let m = decode(LinkType::Raw, &ipv6(51, &body)).0.unwrap();
        assert_eq!((m.proto, m.dst_port, m.payload_len), (Proto::Udp, 4500, 3));
        let m = decode(LinkType::Raw, &ipv4(51, &body)).0.unwrap();
        assert_eq!((m.proto, m.dst_port, m.payload_len), (Proto::Udp, 4500, 3));
        assert_dropped(
            decode(LinkType::Raw, &ipv4(51, &ah[..10])),
            "ah.trunc_hdr",
            true,
        );
    }

    #[test]
    fn cut_ipv6_extension_header_is_counted() {
        // Destination options announcing 16 bytes, 8 present.
        let pkt = ipv6(60, &[6, 1, 0, 0, 0, 0, 0, 0]);
        assert_dropped(decode(LinkType::Raw, &pkt), "ipv6.trunc_exthdr", true);
        assert_dropped(
            decode(LinkType::Raw, &ipv6(0, &[6])),
            "ipv6.trunc_exthdr",
            true,
        );
    }

    #[test]
    fn endless_extension_chain_is_cut_off() {
        let pkt = ipv6(60, &[[60u8, 0, 0, 0, 0, 0, 0, 0]; 40].concat());
        assert_dropped(
            decode(LinkType::Raw, &pkt),
            "ip.exthdr_chain_too_long",
            true,
        );
    }

    #[test]
    fn malformed_ipv6_headers_are_counted() {
        let pkt = ipv6(17, &udp(1, 2, b""));
        assert_dropped(
            decode(LinkType::Ipv6, &pkt[..39]),
            "ipv6.pkt_too_small",
            true,
        );
        let mut bad = pkt.clone();
        bad[0] = 0x40;
        assert_dropped(decode(LinkType::Ipv6, &bad), "ipv6.wrong_ip_version", true);
    }

    // ---- transports ------------------------------------------------------------------------

    #[test]
    fn malformed_tcp_is_counted_by_reason() {
        let seg = tcp(1, 2, 0, b"");
        let mut hlen_4 = seg.clone();
        hlen_4[12] = 0x40;
        let mut hlen_60 = seg.clone();
        hlen_60[12] = 0xf0;
        let cases: [(&[u8], &str); 3] = [
            (&seg[..19], "tcp.pkt_too_small"),
            (&hlen_4, "tcp.hlen_too_small"),
            (&hlen_60, "tcp.hlen_too_large"),
        ];
        for (s, reason) in cases {
            assert_dropped(decode(LinkType::Raw, &ipv4(6, s)), reason, true);
        }
    }

    #[test]
    fn malformed_udp_is_counted_by_reason() {
        let d = udp(1, 2, b"abcd");
        let mut len_4 = d.clone();
        len_4[5] = 4;
        let mut len_200 = d.clone();
        len_200[5] = 200;
        let cases: [(&[u8], &str); 3] = [
            (&d[..7], "udp.pkt_too_small"),
            (&len_4, "udp.hlen_invalid"),
            (&len_200, "udp.len_invalid"),
        ];
        for (s, reason) in cases {
            assert_dropped(decode(LinkType::Raw, &ipv4(17, s)), reason, true);
        }
    }

    #[test]
    fn icmp_type_and_code_stand_in_for_ports() {
        let echo = [8, 0, 0, 0, 0, 1, 0, 1, 0xaa, 0xbb];
        let (m, c) = decode(LinkType::Raw, &ipv4(1, &echo));
        let m = m.unwrap();
        assert_eq!(
            (m.proto, m.src_port, m.dst_port, m.payload_len),
            (Proto::Icmp, 8, 0, 2)
        );
        assert_eq!(c.get(C::Icmpv4), 1);

        let unreachable = [1, 4, 0, 0, 0, 0, 0, 0];
        let (m, c) = decode(LinkType::Raw, &ipv6(58, &unreachable));
        let m = m.unwrap();
        assert_eq!((m.proto, m.src_port, m.dst_port), (Proto::Icmpv6, 1, 4));
        assert_eq!(c.get(C::Icmpv6), 1);

        assert_dropped(
            decode(LinkType::Raw, &ipv4(1, &echo[..7])),
            "icmpv4.pkt_too_small",
            true,
        );
        assert_dropped(
            decode(LinkType::Raw, &ipv6(58, &[128])),
            "icmpv6.pkt_too_small",
            true,
        );
    }

    #[test]
    fn icmp_in_the_other_ip_version_is_flagged() {
        let (m, c) = decode(LinkType::Raw, &ipv4(58, &[128, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(m.unwrap().proto, Proto::Icmpv6);
        assert_eq!(reasons(&c), ["ipv4.icmpv6"]);
    }

    #[test]
    fn other_ip_protocols_have_no_ports() {
        let m = decode(LinkType::Raw, &ipv4(103, &[0; 30])).0.unwrap();
        assert_eq!(
            (m.proto, m.src_port, m.dst_port, m.payload_len),
            (Proto::Other(103), 0, 0, 30)
        );
        let (m, c) = decode(LinkType::Raw, &ipv6(50, &[0; 24]));
        assert_eq!(m.unwrap().proto, Proto::Other(50));
        assert_eq!(c.get(C::Esp), 1);
    }

    #[test]
    fn sctp_keeps_its_ports() {
        let common = [0x0b, 0xb8, 0x0b, 0xb9, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 4];
        let m = decode(LinkType::Raw, &ipv4(132, &common)).0.unwrap();
        assert_eq!(
            (m.proto, m.src_port, m.dst_port, m.payload_len),
            (Proto::Other(132), 3000, 3001, 4)
        );
        assert_dropped(
            decode(LinkType::Raw, &ipv4(132, &common[..11])),
            "sctp.pkt_too_small",
            true,
        );
    }

    #[test]
    fn dns_payload_is_copied_for_port_53_only() {
        let q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00";
        let m = decode(LinkType::Raw, &ipv4(17, &udp(40000, 53, q)))
            .0
            .unwrap();
        assert_eq!(m.dns.as_deref(), Some(&q[..]));
        let m = decode(LinkType::Raw, &ipv4(17, &udp(53, 40000, q)))
            .0
            .unwrap();
        assert_eq!(m.dns.as_deref(), Some(&q[..]));
        let framed = [&[0, 12][..], q].concat();
        let m = decode(LinkType::Raw, &ipv4(6, &tcp(40000, 53, 0x18, &framed)))
            .0
            .unwrap();
        assert_eq!(m.dns.as_deref(), Some(&framed[..]));
        let m = decode(
            LinkType::Raw,
            &ipv4(6, &tcp(40000, 53, tcp_flags::SYN, b"")),
        )
        .0
        .unwrap();
        assert_eq!(m.dns, None);
        let m = decode(LinkType::Raw, &ipv4(17, &udp(40000, 5353, q)))
            .0
            .unwrap();
        assert_eq!(m.dns, None);
    }

    // ---- tunnels ----------------------------------------------------------------------------

    fn gre(flags: u16, protocol: u16, optional: &[u8], payload: &[u8]) -> Vec<u8> {
        [
            &flags.to_be_bytes()[..],
            &protocol.to_be_bytes(),
            optional,
            payload,
        ]
        .concat()
    }

    #[test]
    fn gre_returns_the_inner_packet() {
        let (m, c) = decode(
            LinkType::Raw,
            &ipv4(47, &gre(0, 0x0800, &[], &inner_v4_udp())),
        );
        assert_inner_v4_udp(&m.unwrap());
        assert_eq!((c.get(C::Gre), c.get(C::Ipv4)), (1, 2));
        let inner6 = ipv6(17, &udp(1, 2, b""));
        let m = decode(LinkType::Raw, &ipv4(47, &gre(0, 0x86dd, &[], &inner6)))
            .0
            .unwrap();
        assert_eq!(m.dst, v6(B6));
    }

    #[test]
    fn gre_optional_fields_are_skipped() {
        // Checksum, key and sequence: 12 optional bytes.
        let pkt = ipv4(47, &gre(0xb000, 0x0800, &[0; 12], &inner_v4_udp()));
        assert_inner_v4_udp(&decode(LinkType::Raw, &pkt).0.unwrap());
    }

    #[test]
    fn gre_transparent_ethernet_bridging_carries_a_frame() {
        let frame = eth(0x8100, &vlan(5, 0x0800, &inner_v4_udp()));
        let pkt = eth(
            0x0800,
            &ipv4(47, &gre(0x2000, 0x6558, &[0, 0, 0, 1], &frame)),
        );
        let (m, c) = eth_decode(&pkt);
        let m = m.unwrap();
        assert_inner_v4_udp(&m);
        assert_eq!(m.vlan, VlanIds([5, 0]));
        assert_eq!(c.get(C::Ethernet), 2);
    }

    #[test]
    fn gre_with_unsupported_payload_returns_the_outer_packet() {
        for (flags, reason) in [
            (0x0000, "tunnel.unsupported"), // PPP over version 0
            (0x3001, "tunnel.unsupported"), // PPTP (version 1)
            (0x4000, "tunnel.unsupported"), // source routing
            (0x0002, "gre.wrong_version"),
        ] {
            let pkt = ipv4(47, &gre(flags, 0x880b, &[0; 8], &[0; 20]));
            let (m, c) = decode(LinkType::Raw, &pkt);
            let m = m.unwrap();
            assert_eq!((m.proto, m.src, m.dst), (Proto::Other(47), v4(A), v4(B)));
            assert_eq!(m.payload_len, 32);
            assert_eq!(reasons(&c), [reason]);
            assert_eq!(c.get(C::Invalid), 0);
        }
    }

    #[test]
    fn cut_gre_header_is_counted() {
        assert_dropped(
            decode(LinkType::Raw, &ipv4(47, &[0, 0, 8])),
            "gre.pkt_too_small",
            true,
        );
        let pkt = ipv4(47, &gre(0x3000, 0x0800, &[0; 6], &[]));
        assert_dropped(decode(LinkType::Raw, &pkt), "gre.hdr_too_big", true);
    }

    #[test]
    fn erspan_types_one_two_and_three_carry_a_frame() {
        let frame = eth(0x0800, &inner_v4_udp());
        let type1 = gre(0x0000, 0x88be, &[], &frame);
        let type2 = gre(
            0x1000,
            0x88be,
            &[0, 0, 0, 1],
            &[&[0x10, 0x64, 0, 1, 0, 0, 0, 0][..], &frame].concat(),
        );
        let type3_hdr = [0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let type3 = gre(
            0x1000,
            0x22eb,
            &[0, 0, 0, 1],
            &[&type3_hdr[..], &frame].concat(),
        );
        let mut type3_hdr_o = type3_hdr;
        type3_hdr_o[11] = 1;
        let type3_o = gre(
            0x1000,
            0x22eb,
            &[0, 0, 0, 1],
            &[&type3_hdr_o[..], &[0; 8], &frame].concat(),
        );
        for g in [type1, type2, type3, type3_o] {
            let (m, c) = decode(LinkType::Raw, &ipv4(47, &g));
            assert_inner_v4_udp(&m.unwrap());
            assert_eq!(c.get(C::Erspan), 1);
        }
        let cut = gre(0x1000, 0x88be, &[0, 0, 0, 1], &[0x10, 0x64]);
        assert_dropped(
            decode(LinkType::Raw, &ipv4(47, &cut)),
            "erspan.header_too_small",
            true,
        );
    }

    fn vxlan(flags: u8, frame: &[u8]) -> Vec<u8> {
        [&[flags, 0, 0, 0, 0, 0, 0x2a, 0][..], frame].concat()
    }

    #[test]
    fn vxlan_returns_the_inner_frame() {
        let outer = ipv4(
            17,
            &udp(55555, 4789, &vxlan(0x08, &eth(0x0800, &inner_v4_udp()))),
        );
        let (m, c) = eth_decode(&eth(0x0800, &outer));
        assert_inner_v4_udp(&m.unwrap());
        assert_eq!(
            (c.get(C::Vxlan), c.get(C::Udp), c.get(C::Ethernet)),
            (1, 2, 2)
        );
    }

    #[test]
    fn udp_4789_without_the_vxlan_i_flag_is_plain_udp() {
        let pkt = ipv4(17, &udp(55555, 4789, &vxlan(0x00, &[0; 20])));
        let (m, c) = decode(LinkType::Raw, &pkt);
        assert_eq!(m.unwrap().dst_port, 4789);
        assert_eq!(c.get(C::Vxlan), 0);
        let cut = ipv4(17, &udp(55555, 4789, &[8, 0, 0]));
        assert_dropped(decode(LinkType::Raw, &cut), "tunnel.header_too_small", true);
    }

    #[test]
    fn an_empty_datagram_to_a_tunnel_port_is_a_plain_udp_probe() {
        for port in [4789, 6081] {
            let pkt = ipv4(17, &udp(55555, port, b""));
            let (m, c) = decode(LinkType::Raw, &pkt);
            let m = m.unwrap();
            assert_eq!((m.proto, m.dst_port, m.payload_len), (Proto::Udp, port, 0));
            assert_eq!(c.errors_total(), 0);
        }
    }

    fn geneve(opt_words: u8, protocol: u16, payload: &[u8]) -> Vec<u8> {
        let fixed = [&[opt_words, 0][..], &protocol.to_be_bytes(), &[0, 0, 1, 0]].concat();
        let options = vec![0u8; usize::from(opt_words) * 4];
        [&fixed[..], &options, payload].concat()
    }

    #[test]
    fn geneve_returns_the_inner_packet() {
        let frame = eth(0x0800, &inner_v4_udp());
        let (m, c) = decode(
            LinkType::Raw,
            &ipv6(17, &udp(1, 6081, &geneve(2, 0x6558, &frame))),
        );
        assert_inner_v4_udp(&m.unwrap());
        assert_eq!(c.get(C::Geneve), 1);
        let m = decode(
            LinkType::Raw,
            &ipv4(17, &udp(1, 6081, &geneve(0, 0x0800, &inner_v4_udp()))),
        );
        assert_inner_v4_udp(&m.0.unwrap());
    }

    #[test]
    fn geneve_with_unknown_payload_returns_the_outer_packet() {
        let (m, c) = decode(
            LinkType::Raw,
            &ipv4(17, &udp(1, 6081, &geneve(0, 0x894f, &[0; 20]))),
        );
        assert_eq!(m.unwrap().dst_port, 6081);
        assert_eq!(reasons(&c), ["geneve.unknown_payload_type"]);
        let cut_options = ipv4(17, &udp(1, 6081, &geneve(3, 0x6558, &[])[..12]));
        assert_dropped(
            decode(LinkType::Raw, &cut_options),
            "tunnel.header_too_small",
            true,
        );
    }

    #[test]
    fn mpls_label_stack_is_skipped_to_ip() {
        let labels = [0, 0x01, 0x00, 0x40, 0, 0x02, 0x01, 0x40]; // second has S
        let (m, c) = eth_decode(&eth(0x8847, &[&labels[..], &inner_v4_udp()].concat()));
        assert_inner_v4_udp(&m.unwrap());
        assert_eq!(c.get(C::Mpls), 1);
        let m = eth_decode(&eth(
            0x8847,
            &[&labels[4..], &ipv6(17, &udp(1, 2, b""))].concat(),
        ));
        assert_eq!(m.0.unwrap().dst, v6(B6));
    }

    #[test]
    fn mpls_pseudowire_carries_a_frame() {
        let pw = [
            &[0, 0x02, 0x01, 0x40, 0, 0, 0, 0][..],
            &eth(0x0800, &inner_v4_udp()),
        ]
        .concat();
        assert_inner_v4_udp(&eth_decode(&eth(0x8847, &pw)).0.unwrap());
        // MPLS over GRE, too.
        let pkt = ipv4(
            47,
            &gre(
                0,
                0x8847,
                &[],
                &[&[0, 0x02, 0x01, 0x40][..], &inner_v4_udp()].concat(),
            ),
        );
        assert_inner_v4_udp(&decode(LinkType::Raw, &pkt).0.unwrap());
    }

    #[test]
    fn broken_mpls_is_counted() {
        let no_bottom = [0, 0x01, 0x00, 0x40, 0, 0x02, 0x00, 0x40];
        assert_dropped(
            eth_decode(&eth(0x8847, &no_bottom)),
            "mpls.header_too_small",
            true,
        );
        let unknown = [0, 0x01, 0x01, 0x40, 0x90, 0, 0, 0];
        assert_dropped(
            eth_decode(&eth(0x8847, &unknown)),
            "mpls.unknown_payload_type",
            false,
        );
    }

    #[test]
    fn ip_in_ip_is_counted_by_versions() {
        let in4 = inner_v4_udp();
        let in6 = ipv6(17, &udp(1, 2, b""));
        let cases = [
            (ipv4(4, &in4), C::Ipv4InIpv4),
            (ipv4(41, &in6), C::Ipv6InIpv4),
            (ipv6(4, &in4), C::Ipv4InIpv6),
            (ipv6(41, &in6), C::Ipv6InIpv6),
        ];
        for (pkt, counter) in cases {
            let (m, c) = decode(LinkType::Raw, &pkt);
            assert_eq!(m.unwrap().proto, Proto::Udp);
            assert_eq!(c.get(counter), 1, "{counter:?}");
        }
    }

    #[test]
    fn tunnels_nested_too_deep_stop_at_the_last_outer_packet() {
        let mut pkt = inner_v4_udp();
        for _ in 0..6 {
            pkt = ipv4(4, &pkt);
        }
        let (m, c) = decode(LinkType::Raw, &pkt);
        let m = m.unwrap();
        assert_eq!(m.proto, Proto::Other(4));
        assert_eq!(reasons(&c), ["tunnel.too_many_layers"]);
        assert_eq!(c.get(C::Ipv4), u64::from(MAX_TUNNEL_DEPTH) + 1);
    }

    #[test]
    fn pseudowires_nested_too_deep_yield_nothing() {
        let mut frame = eth(0x0800, &inner_v4_udp());
        for _ in 0..6 {
            frame = eth(
                0x8847,
                &[&[0, 0x02, 0x01, 0x40, 0, 0, 0, 0][..], &frame].concat(),
            );
        }
        assert_dropped(eth_decode(&frame), "tunnel.too_many_layers", true);
    }

    // ---- properties ---------------------------------------------------------------------------

    const LINKS: [LinkType; 8] = [
        LinkType::Null,
        LinkType::Ethernet,
        LinkType::Raw,
        LinkType::Loop,
        LinkType::LinuxSll,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::LinuxSll2,
    ];

    /// Whatever the input: one packet counted, and a `None` always has a reason.
    fn check_invariants(link: LinkType, data: &[u8]) {
        let (m, c) = decode(link, data);
        assert_eq!(c.packets(), 1);
        assert!(c.get(C::Invalid) <= 1, "{c:?}");
        if m.is_none() {
            assert!(c.errors_total() >= 1, "no reason for None: {c:?}");
        }
        if let Some(m) = m {
            assert!(m
                .dns
                .as_deref()
                .is_none_or(|d| !d.is_empty() && d.len() <= MAX_DNS_PAYLOAD));
        }
    }

    /// Protocol numbers and ports that reach every decoder branch.
    fn interesting_proto() -> impl proptest::strategy::Strategy<Value = u8> {
        proptest::prop_oneof![
            proptest::sample::select(vec![0u8, 1, 4, 6, 17, 41, 43, 44, 47, 50, 51, 58, 60, 132]),
            proptest::num::u8::ANY,
        ]
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_for_any_link_type(
            link in proptest::sample::select(LINKS.to_vec()),
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
        ) {
            check_invariants(link, &data);
        }

        #[test]
        fn valid_ip_headers_with_arbitrary_payloads_never_panic(
            proto in interesting_proto(),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            cut in 0usize..300,
        ) {
            for pkt in [ipv4(proto, &tail), ipv6(proto, &tail)] {
                check_invariants(LinkType::Raw, &pkt[..cut.min(pkt.len())]);
                check_invariants(LinkType::Raw, &pkt);
            }
        }

        #[test]
        fn tunnel_headers_with_arbitrary_payloads_never_panic(
            port in proptest::sample::select(vec![4789u16, 6081, 53]),
            gre_flags in proptest::num::u16::ANY,
            et in proptest::sample::select(vec![0x0800u16, 0x86dd, 0x6558, 0x88be, 0x22eb, 0x8847, 0x8100]),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
        ) {
            check_invariants(LinkType::Raw, &ipv4(17, &udp(1, port, &tail)));
            check_invariants(LinkType::Raw, &ipv4(47, &gre(gre_flags, et, &[], &tail)));
            check_invariants(LinkType::Ethernet, &eth(et, &tail));
            check_invariants(LinkType::LinuxSll2, &sll2(et, &tail));
        }
    }
}
