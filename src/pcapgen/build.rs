//! Header builders: each returns the bytes of one layer with what it carries appended.
//!
//! They write exactly what they are told (a builder never "fixes" a field), which is what
//! malformed-input captures need: build a good packet, then break one byte. Lengths and
//! checksums are computed unless a field says otherwise.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub type Mac = [u8; 6];

pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const IPV6: u16 = 0x86dd;
    /// 802.1ad service tag, the outer tag of QinQ.
    pub const QINQ: u16 = 0x88a8;
    /// IEEE 802 "local experimental": no decoder knows it.
    pub const LOCAL_EXPERIMENTAL: u16 = 0x88b5;
}

pub mod ipproto {
    pub const HOPOPT: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ICMPV6: u8 = 58;
    pub const NONE: u8 = 59;
    pub const DSTOPTS: u8 = 60;
}

pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// BSD address families as the NULL link type carries them.
pub mod af {
    pub const INET: u32 = 2;
    /// NetBSD, OpenBSD.
    pub const INET6_BSD: u32 = 24;
    pub const INET6_FREEBSD: u32 = 28;
    pub const INET6_DARWIN: u32 = 30;
}

/// Linux SLL / SLL2 packet types.
pub mod sll_pkt_type {
    pub const HOST: u8 = 0;
    pub const BROADCAST: u8 = 1;
    pub const MULTICAST: u8 = 2;
    pub const OTHERHOST: u8 = 3;
    pub const OUTGOING: u8 = 4;
}

/// ARPHRD_ETHER: the device type of an Ethernet interface in SLL headers.
pub const ARPHRD_ETHER: u16 = 1;

/// The UDP port VXLAN listens on.
pub const VXLAN_PORT: u16 = 4789;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn u16_len(n: usize, what: &str) -> io::Result<u16> {
    u16::try_from(n).map_err(|_| invalid(format!("{what} of {n} bytes is too long")))
}

/// A locally administered MAC derived from an address, so each host keeps one MAC.
pub fn mac_for(ip: IpAddr) -> Mac {
    let h = match ip {
        IpAddr::V4(a) => super::rng::hash64(&a.octets()),
        IpAddr::V6(a) => super::rng::hash64(&a.octets()),
    }
    .to_be_bytes();
    [0x02, 0x00, h[0], h[1], h[2], h[3]]
}

// ---------------------------------------------------------------------------------------
// Link layers

/// One 802.1Q-style tag: TPID (0x8100, or 0x88a8 for a QinQ outer tag), priority, VLAN id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanTag {
    pub tpid: u16,
    pub pcp: u8,
    pub vid: u16,
}

impl VlanTag {
    pub const fn dot1q(vid: u16) -> Self {
        VlanTag {
            tpid: ethertype::VLAN,
            pcp: 0,
            vid,
        }
    }
    pub const fn qinq_outer(vid: u16) -> Self {
        VlanTag {
            tpid: ethertype::QINQ,
            pcp: 0,
            vid,
        }
    }
}

/// Ethernet II (no FCS, no padding) with `tags` outer first.
pub fn ethernet(dst: Mac, src: Mac, tags: &[VlanTag], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 4 * tags.len() + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    for t in tags {
        f.extend_from_slice(&t.tpid.to_be_bytes());
        let tci = (u16::from(t.pcp & 0x7) << 13) | (t.vid & 0x0fff);
        f.extend_from_slice(&tci.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Linux cooked capture v1 (LINKTYPE 113): packet type, ARPHRD, address length,
/// address (first 8 bytes, zero padded), protocol; all big-endian.
pub fn linux_sll(pkt_type: u8, arphrd: u16, addr: &[u8], protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(16 + payload.len());
    f.extend_from_slice(&u16::from(pkt_type).to_be_bytes());
    f.extend_from_slice(&arphrd.to_be_bytes());
    f.extend_from_slice(&(addr.len().min(8) as u16).to_be_bytes());
    let mut a = [0u8; 8];
    for (d, s) in a.iter_mut().zip(addr) {
        *d = *s;
    }
    f.extend_from_slice(&a);
    f.extend_from_slice(&protocol.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Linux cooked capture v2 (LINKTYPE 276): protocol u16, reserved u16, interface index
/// u32, ARPHRD u16, packet type u8, address length u8, address (8 bytes); all big-endian.
pub fn linux_sll2(
    protocol: u16,
    if_index: u32,
    arphrd: u16,
    pkt_type: u8,
    addr: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::with_capacity(20 + payload.len());
    f.extend_from_slice(&protocol.to_be_bytes());
    f.extend_from_slice(&0u16.to_be_bytes());
    f.extend_from_slice(&if_index.to_be_bytes());
    f.extend_from_slice(&arphrd.to_be_bytes());
    f.push(pkt_type);
    let n = addr.len().min(8);
    f.push(n as u8);
    let mut a = [0u8; 8];
    for (d, s) in a.iter_mut().zip(addr) {
        *d = *s;
    }
    f.extend_from_slice(&a);
    f.extend_from_slice(payload);
    f
}

/// BSD NULL / loopback (LINKTYPE 0): the address family as a 4-byte integer in the
/// capturing host's byte order, here little-endian (an x86 or ARM host).
pub fn null_loopback(family: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(4 + payload.len());
    f.extend_from_slice(&family.to_le_bytes());
    f.extend_from_slice(payload);
    f
}

// ---------------------------------------------------------------------------------------
// Checksums

/// Writes `v` big-endian at `at`, inside a header the caller has just written (a
/// buffer too short is left as it is).
pub fn put_be16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(dst) = buf.get_mut(at..at + 2) {
        dst.copy_from_slice(&v.to_be_bytes());
    }
}

fn sum16(mut acc: u32, bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        if let &[hi, lo] = c {
            acc = acc.wrapping_add(u32::from(u16::from_be_bytes([hi, lo])));
        }
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The Internet checksum (RFC 1071) of `bytes`.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    fold(sum16(0, bytes))
}

fn pseudo_header(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> io::Result<u32> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut acc = sum16(0, &s.octets());
            acc = sum16(acc, &d.octets());
            acc = acc.wrapping_add(u32::from(proto));
            Ok(acc.wrapping_add(u32::from(u16_len(len, "IPv4 payload")?)))
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut acc = sum16(0, &s.octets());
            acc = sum16(acc, &d.octets());
            let len = u32::try_from(len).map_err(|_| invalid("IPv6 payload".into()))?;
            acc = sum16(acc, &len.to_be_bytes());
            Ok(acc.wrapping_add(u32::from(proto)))
        }
        _ => Err(invalid(format!("mixed address families: {src} and {dst}"))),
    }
}

fn transport_checksum(src: IpAddr, dst: IpAddr, proto: u8, segment: &[u8]) -> io::Result<u16> {
    let acc = pseudo_header(src, dst, proto, segment.len())?;
    Ok(fold(sum16(acc, segment)))
}

// ---------------------------------------------------------------------------------------
// IPv4

/// IPv4 header fields a test may want to set; [`Ipv4Spec::default`] is a plain
/// unfragmented packet with DF set, TTL 64, id 0, no options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipv4Spec {
    pub tos: u8,
    pub id: u16,
    pub dont_fragment: bool,
    pub more_fragments: bool,
    /// Fragment offset in bytes; must be a multiple of 8.
    pub frag_offset: u16,
    pub ttl: u8,
    /// Raw option bytes, padded with End-of-Options to a multiple of 4 (at most 40).
    pub options: Vec<u8>,
}

impl Default for Ipv4Spec {
    fn default() -> Self {
        Ipv4Spec {
            tos: 0,
            id: 0,
            dont_fragment: true,
            more_fragments: false,
            frag_offset: 0,
            ttl: 64,
            options: Vec::new(),
        }
    }
}

/// IPv4 options that are useful in test traffic.
pub mod ipv4_option {
    /// Router Alert (RFC 2113), 4 bytes.
    pub const ROUTER_ALERT: [u8; 4] = [0x94, 0x04, 0x00, 0x00];

    /// Record Route with room for 9 addresses: 39 bytes, which with one End-of-Options
    /// byte makes the largest IPv4 header (IHL 15, 60 bytes).
    pub fn record_route_full() -> Vec<u8> {
        let mut o = vec![0x07, 39, 4];
        o.resize(39, 0);
        o
    }
}

/// An IPv4 packet: header (with checksum) + `payload`.
pub fn ipv4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    spec: &Ipv4Spec,
    payload: &[u8],
) -> io::Result<Vec<u8>> {
    let mut opts = spec.options.clone();
    opts.resize(opts.len() + (4 - opts.len() % 4) % 4, 0);
    if opts.len() > 40 {
        return Err(invalid(format!("{} bytes of IPv4 options", opts.len())));
    }
    if spec.frag_offset % 8 != 0 {
        return Err(invalid(format!(
            "fragment offset {} is not a multiple of 8",
            spec.frag_offset
        )));
    }
    let hlen = 20 + opts.len();
    let total = u16_len(hlen + payload.len(), "IPv4 packet")?;
    let mut flags_frag = spec.frag_offset / 8;
    if spec.dont_fragment {
        flags_frag |= 0x4000;
    }
    if spec.more_fragments {
        flags_frag |= 0x2000;
    }
    let mut p = Vec::with_capacity(hlen + payload.len());
    p.push(0x40 | (hlen / 4) as u8);
    p.push(spec.tos);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&spec.id.to_be_bytes());
    p.extend_from_slice(&flags_frag.to_be_bytes());
    p.push(spec.ttl);
    p.push(proto);
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&opts);
    // `p` holds just the header so far.
    let csum = internet_checksum(&p);
    put_be16(&mut p, 10, csum);
    p.extend_from_slice(payload);
    Ok(p)
}

/// Splits a transport segment (`transport`, checksum already computed over the whole
/// datagram) into IPv4 fragments carrying at most `max_payload` bytes each (rounded down
/// to a multiple of 8). Only the first fragment holds the transport header.
pub fn ipv4_fragments(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    spec: &Ipv4Spec,
    transport: &[u8],
    max_payload: usize,
) -> io::Result<Vec<Vec<u8>>> {
    let step = (max_payload / 8) * 8;
    if step == 0 {
        return Err(invalid(format!(
            "fragment payload {max_payload} is below 8 bytes"
        )));
    }
    let chunks: Vec<&[u8]> = transport.chunks(step).collect();
    let n = chunks.len();
    let mut out = Vec::with_capacity(n);
    for (i, chunk) in chunks.into_iter().enumerate() {
        let s = Ipv4Spec {
            dont_fragment: false,
            more_fragments: i + 1 < n,
            frag_offset: u16_len(i * step, "fragment offset")?,
            ..spec.clone()
        };
        out.push(ipv4(src, dst, proto, &s, chunk)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// IPv6

/// An IPv6 extension header, in the order given to [`ipv6`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ipv6Ext {
    /// Hop-by-hop options: the option TLVs; padded with Pad1/PadN to 8 bytes.
    HopByHop(Vec<u8>),
    /// Destination options: the option TLVs; padded like hop-by-hop.
    DestOpts(Vec<u8>),
    /// Fragment header; `offset` in bytes (a multiple of 8).
    Fragment { offset: u16, more: bool, id: u32 },
}

impl Ipv6Ext {
    fn number(&self) -> u8 {
        match self {
            Ipv6Ext::HopByHop(_) => ipproto::HOPOPT,
            Ipv6Ext::DestOpts(_) => ipproto::DSTOPTS,
            Ipv6Ext::Fragment { .. } => ipproto::FRAGMENT,
        }
    }

    fn encode(&self, next: u8, out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Ipv6Ext::HopByHop(opts) | Ipv6Ext::DestOpts(opts) => {
                let body = 2 + opts.len();
                let pad = (8 - body % 8) % 8;
                let total = body + pad;
                let units = u8::try_from(total / 8 - 1)
                    .map_err(|_| invalid(format!("{total}-byte IPv6 option header")))?;
                out.push(next);
                out.push(units);
                out.extend_from_slice(opts);
                match pad {
                    0 => {}
                    1 => out.push(0),
                    n => {
                        out.push(1);
                        out.push((n - 2) as u8);
                        out.resize(out.len() + n - 2, 0);
                    }
                }
            }
            Ipv6Ext::Fragment { offset, more, id } => {
                if offset % 8 != 0 {
                    return Err(invalid(format!(
                        "fragment offset {offset} is not a multiple of 8"
                    )));
                }
                out.push(next);
                out.push(0);
                let field = (offset & !7) | u16::from(*more);
                out.extend_from_slice(&field.to_be_bytes());
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
        Ok(())
    }
}

/// IPv6 options that are useful in test traffic.
pub mod ipv6_option {
    /// Router Alert (RFC 2711), MLD.
    pub const ROUTER_ALERT: [u8; 4] = [0x05, 0x02, 0x00, 0x00];
    /// An unknown option whose type says "skip it" (high bits 00): 4 data bytes.
    pub const UNKNOWN_SKIPPABLE: [u8; 6] = [0x1e, 0x04, 0xde, 0xad, 0xbe, 0xef];
}

/// An IPv6 packet: fixed header, `exts` in order, then `payload` whose protocol is
/// `next_header`.
pub fn ipv6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    hop_limit: u8,
    exts: &[Ipv6Ext],
    payload: &[u8],
) -> io::Result<Vec<u8>> {
    let mut ext_bytes = Vec::new();
    for (i, e) in exts.iter().enumerate() {
        let next = exts.get(i + 1).map_or(next_header, Ipv6Ext::number);
        e.encode(next, &mut ext_bytes)?;
    }
    let plen = u16_len(ext_bytes.len() + payload.len(), "IPv6 payload")?;
    let mut p = Vec::with_capacity(40 + ext_bytes.len() + payload.len());
    p.extend_from_slice(&0x6000_0000u32.to_be_bytes());
    p.extend_from_slice(&plen.to_be_bytes());
    p.push(exts.first().map_or(next_header, Ipv6Ext::number));
    p.push(hop_limit);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&ext_bytes);
    p.extend_from_slice(payload);
    Ok(p)
}

/// Splits a transport segment into IPv6 fragments of at most `max_payload` bytes
/// (rounded down to a multiple of 8); `unfragmentable` extension headers (hop-by-hop)
/// come before each fragment header. Only the first fragment holds the transport header.
#[allow(clippy::too_many_arguments)]
pub fn ipv6_fragments(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    hop_limit: u8,
    unfragmentable: &[Ipv6Ext],
    id: u32,
    transport: &[u8],
    max_payload: usize,
) -> io::Result<Vec<Vec<u8>>> {
    let step = (max_payload / 8) * 8;
    if step == 0 {
        return Err(invalid(format!(
            "fragment payload {max_payload} is below 8 bytes"
        )));
    }
    let chunks: Vec<&[u8]> = transport.chunks(step).collect();
    let n = chunks.len();
    let mut out = Vec::with_capacity(n);
    for (i, chunk) in chunks.into_iter().enumerate() {
        let mut exts = unfragmentable.to_vec();
        exts.push(Ipv6Ext::Fragment {
            offset: u16_len(i * step, "fragment offset")?,
            more: i + 1 < n,
            id,
        });
        out.push(ipv6(src, dst, next_header, hop_limit, &exts, chunk)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Transport

/// TCP header fields. `options` are raw bytes padded with End-of-Options to 4 bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpSpec {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub options: Vec<u8>,
}

/// A TCP segment with its checksum over the pseudo-header of `src`/`dst`.
pub fn tcp(src: IpAddr, dst: IpAddr, spec: &TcpSpec, payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut opts = spec.options.clone();
    opts.resize(opts.len() + (4 - opts.len() % 4) % 4, 0);
    if opts.len() > 40 {
        return Err(invalid(format!("{} bytes of TCP options", opts.len())));
    }
    let hlen = 20 + opts.len();
    let mut s = Vec::with_capacity(hlen + payload.len());
    s.extend_from_slice(&spec.src_port.to_be_bytes());
    s.extend_from_slice(&spec.dst_port.to_be_bytes());
    s.extend_from_slice(&spec.seq.to_be_bytes());
    s.extend_from_slice(&spec.ack.to_be_bytes());
    s.push(((hlen / 4) as u8) << 4);
    s.push(spec.flags);
    s.extend_from_slice(&spec.window.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0]);
    s.extend_from_slice(&opts);
    s.extend_from_slice(payload);
    let csum = transport_checksum(src, dst, ipproto::TCP, &s)?;
    put_be16(&mut s, 16, csum);
    Ok(s)
}

/// A UDP datagram with its checksum (0 is sent as 0xffff, as RFC 768 says).
pub fn udp(
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> io::Result<Vec<u8>> {
    let len = u16_len(8 + payload.len(), "UDP datagram")?;
    let mut d = Vec::with_capacity(8 + payload.len());
    d.extend_from_slice(&src_port.to_be_bytes());
    d.extend_from_slice(&dst_port.to_be_bytes());
    d.extend_from_slice(&len.to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(payload);
    let mut csum = transport_checksum(src, dst, ipproto::UDP, &d)?;
    if csum == 0 {
        csum = 0xffff;
    }
    put_be16(&mut d, 6, csum);
    Ok(d)
}

/// An ICMPv4 message: type, code, the 4 "rest of header" bytes, data; checksummed.
pub fn icmpv4(icmp_type: u8, code: u8, rest: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(8 + data.len());
    m.push(icmp_type);
    m.push(code);
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&rest);
    m.extend_from_slice(data);
    let csum = internet_checksum(&m);
    put_be16(&mut m, 2, csum);
    m
}

fn echo_rest(id: u16, seq: u16) -> [u8; 4] {
    let [a, b] = id.to_be_bytes();
    let [c, d] = seq.to_be_bytes();
    [a, b, c, d]
}

/// ICMP echo request (type 8) or reply (type 0).
pub fn icmpv4_echo(request: bool, id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    icmpv4(if request { 8 } else { 0 }, 0, echo_rest(id, seq), data)
}

/// ICMP destination unreachable (type 3) quoting `original` (its IP header + 8 bytes).
pub fn icmpv4_unreachable(code: u8, original: &[u8]) -> Vec<u8> {
    let ihl = original.first().map_or(20, |b| usize::from(b & 0x0f) * 4);
    let quoted = original.get(..ihl + 8).unwrap_or(original);
    icmpv4(3, code, [0; 4], quoted)
}

/// ICMPv6 echo request (128) or reply (129), checksummed over the IPv6 pseudo-header.
pub fn icmpv6_echo(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    request: bool,
    id: u16,
    seq: u16,
    data: &[u8],
) -> io::Result<Vec<u8>> {
    let mut m = Vec::with_capacity(8 + data.len());
    m.push(if request { 128 } else { 129 });
    m.push(0);
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&echo_rest(id, seq));
    m.extend_from_slice(data);
    let csum = transport_checksum(IpAddr::V6(src), IpAddr::V6(dst), ipproto::ICMPV6, &m)?;
    put_be16(&mut m, 2, csum);
    Ok(m)
}

// ---------------------------------------------------------------------------------------
// Tunnels

/// A GRE version 0 header without checksum, key or sequence, then `payload` whose
/// EtherType is `protocol`.
pub fn gre(protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut g = Vec::with_capacity(4 + payload.len());
    g.extend_from_slice(&[0, 0]);
    g.extend_from_slice(&protocol.to_be_bytes());
    g.extend_from_slice(payload);
    g
}

/// A VXLAN header (flags: VNI valid) with a 24-bit `vni`, then the inner Ethernet frame.
pub fn vxlan(vni: u32, inner_frame: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + inner_frame.len());
    v.extend_from_slice(&[0x08, 0, 0, 0]);
    v.extend_from_slice(&((vni & 0x00ff_ffff) << 8).to_be_bytes());
    v.extend_from_slice(inner_frame);
    v
}

// ---------------------------------------------------------------------------------------
// One-liners

/// An IP packet with default header fields (IPv4: DF, TTL 64, `id`; IPv6: hop limit 64).
pub fn ip_packet(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u16,
    transport: &[u8],
) -> io::Result<Vec<u8>> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let spec = Ipv4Spec {
                id,
                ..Ipv4Spec::default()
            };
            ipv4(s, d, proto, &spec, transport)
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6(s, d, proto, 64, &[], transport),
        _ => Err(invalid(format!("mixed address families: {src} and {dst}"))),
    }
}

/// An IP packet holding one TCP segment (window 64240, no options).
pub fn tcp_packet(
    src: SocketAddr,
    dst: SocketAddr,
    flags: u8,
    seq: u32,
    ack: u32,
    payload: &[u8],
) -> io::Result<Vec<u8>> {
    let spec = TcpSpec {
        src_port: src.port(),
        dst_port: dst.port(),
        seq,
        ack,
        flags,
        window: 64_240,
        options: Vec::new(),
    };
    let seg = tcp(src.ip(), dst.ip(), &spec, payload)?;
    ip_packet(src.ip(), dst.ip(), ipproto::TCP, 0, &seg)
}

/// An IP packet holding one UDP datagram.
pub fn udp_packet(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> io::Result<Vec<u8>> {
    let d = udp(src.ip(), dst.ip(), src.port(), dst.port(), payload)?;
    ip_packet(src.ip(), dst.ip(), ipproto::UDP, 0, &d)
}

/// The source and destination addresses of an IP packet, if it has a header to read.
pub fn ip_addrs(ip: &[u8]) -> Option<(IpAddr, IpAddr)> {
    match ip.first()? >> 4 {
        4 => {
            let s: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            let d: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            Some((IpAddr::from(s), IpAddr::from(d)))
        }
        6 => {
            let s: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let d: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            Some((IpAddr::from(s), IpAddr::from(d)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }
    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 section 3 example: sum 0xddf2, checksum its complement.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet_checksum(&bytes), !0xddf2);
    }

    #[test]
    fn tcp_over_ipv4_parses_and_checksums_verify() {
        let p = tcp_packet(
            "10.0.0.1:40000".parse().unwrap(),
            "198.51.100.1:443".parse().unwrap(),
            tcp_flags::SYN,
            1000,
            0,
            b"",
        )
        .unwrap();
        let s = SlicedPacket::from_ip(&p).unwrap();
        let Some(NetSlice::Ipv4(ip)) = &s.net else {
            panic!()
        };
        assert_eq!(ip.header().header_checksum(), {
            let h = ip.header().to_header();
            h.calc_header_checksum()
        });
        let Some(TransportSlice::Tcp(t)) = &s.transport else {
            panic!()
        };
        assert!(t.syn());
        let expect = t
            .to_header()
            .calc_checksum_ipv4(&ip.header().to_header(), t.payload())
            .unwrap();
        assert_eq!(t.checksum(), expect);
    }

    #[test]
    fn udp_over_ipv6_checksum_verifies() {
        let src = v6("fd00::1");
        let dst = v6("2001:db8::1");
        let d = udp(src.into(), dst.into(), 5000, 53, b"hello").unwrap();
        let p = ipv6(src, dst, ipproto::UDP, 64, &[], &d).unwrap();
        let s = SlicedPacket::from_ip(&p).unwrap();
        let Some(NetSlice::Ipv6(ip)) = &s.net else {
            panic!()
        };
        let Some(TransportSlice::Udp(u)) = &s.transport else {
            panic!()
        };
        let expect = u
            .to_header()
            .calc_checksum_ipv6(&ip.header().to_header(), u.payload())
            .unwrap();
        assert_eq!(u.checksum(), expect);
        assert_eq!(u.payload(), b"hello");
    }

    #[test]
    fn ipv4_options_set_ihl() {
        let spec = Ipv4Spec {
            options: ipv4_option::record_route_full(),
            ..Ipv4Spec::default()
        };
        let p = ipv4(
            v4("10.0.0.1"),
            v4("10.0.0.2"),
            ipproto::ICMP,
            &spec,
            &[0; 8],
        )
        .unwrap();
        assert_eq!(p[0], 0x4f);
        assert_eq!(internet_checksum(&p[..60]), 0);
        let too_long = Ipv4Spec {
            options: vec![1; 41],
            ..Ipv4Spec::default()
        };
        assert!(ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 1, &too_long, &[]).is_err());
    }

    #[test]
    fn ipv6_extension_headers_chain_to_the_payload() {
        let exts = [
            Ipv6Ext::HopByHop(ipv6_option::ROUTER_ALERT.to_vec()),
            Ipv6Ext::DestOpts(ipv6_option::UNKNOWN_SKIPPABLE.to_vec()),
        ];
        let src = v6("fd00::1");
        let dst = v6("2001:db8::1");
        let d = udp(src.into(), dst.into(), 1, 2, b"x").unwrap();
        let p = ipv6(src, dst, ipproto::UDP, 64, &exts, &d).unwrap();
        assert_eq!(p[6], ipproto::HOPOPT);
        assert_eq!(p[40], ipproto::DSTOPTS);
        assert_eq!(p[48], ipproto::UDP);
        let s = SlicedPacket::from_ip(&p).unwrap();
        assert!(matches!(s.transport, Some(TransportSlice::Udp(_))));
    }

    #[test]
    fn fragments_cover_the_datagram_and_only_the_first_has_ports() {
        let src = v4("10.0.0.1");
        let dst = v4("203.0.113.1");
        let d = udp(src.into(), dst.into(), 5555, 9000, &[7; 3000]).unwrap();
        let frags = ipv4_fragments(src, dst, ipproto::UDP, &Ipv4Spec::default(), &d, 1480).unwrap();
        assert_eq!(frags.len(), 3);
        let lens: Vec<usize> = frags.iter().map(|f| f.len() - 20).collect();
        assert_eq!(lens, vec![1480, 1480, 48]);
        assert_eq!(&frags[0][20..22], &5555u16.to_be_bytes());
        // MF on the first two, offsets 0, 185, 370 (8-byte units).
        let ff: Vec<u16> = frags
            .iter()
            .map(|f| u16::from_be_bytes([f[6], f[7]]))
            .collect();
        assert_eq!(ff, vec![0x2000, 0x2000 | 185, 370]);
    }

    #[test]
    fn link_headers_have_their_sizes() {
        assert_eq!(ethernet([1; 6], [2; 6], &[], 0x0800, &[]).len(), 14);
        let q = ethernet(
            [1; 6],
            [2; 6],
            &[VlanTag::qinq_outer(200), VlanTag::dot1q(300)],
            0x0800,
            &[],
        );
        assert_eq!(
            &q[12..],
            &[0x88, 0xa8, 0x00, 200, 0x81, 0x00, 0x01, 0x2c, 0x08, 0x00]
        );
        assert_eq!(linux_sll(4, 1, &[1; 6], 0x0800, &[]).len(), 16);
        let s2 = linux_sll2(0x86dd, 3, 1, 0, &[9; 6], &[]);
        assert_eq!(s2.len(), 20);
        assert_eq!(&s2[0..2], &[0x86, 0xdd]);
        assert_eq!(&s2[4..8], &[0, 0, 0, 3]);
        assert_eq!(s2[11], 6);
        assert_eq!(null_loopback(af::INET6_DARWIN, &[]), vec![30, 0, 0, 0]);
        assert_eq!(vxlan(42, &[]), vec![8, 0, 0, 0, 0, 0, 42, 0]);
    }

    #[test]
    fn mixed_families_are_an_error_not_a_panic() {
        assert!(tcp_packet(
            "10.0.0.1:1".parse().unwrap(),
            "[2001:db8::1]:2".parse().unwrap(),
            0,
            0,
            0,
            b""
        )
        .is_err());
    }
}
