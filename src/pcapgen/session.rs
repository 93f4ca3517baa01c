//! Whole conversations as IP packets on an explicit clock, and the link they travel on.
//!
//! A session helper returns [`IpPacket`]s (timestamp, direction, IP bytes); a
//! [`Framing`] then turns them into frames of one link type: Ethernet with any VLAN tags,
//! Linux SLL or SLL2, raw IP, BSD NULL, or tunnelled in GRE or VXLAN. So one TCP session
//! can be put on every link a test needs.
//!
//! The capture point is next to the client: a server's answer is seen one RTT after the
//! client's packet, the client's own packets a small gap after what prompted them.
//! Sequence numbers and IPv4 ids are derived from the endpoints and start time, so they
//! look arbitrary but never change between runs.

use super::build::{
    self, ethertype, ipproto, sll_pkt_type, tcp_flags, Ipv4Spec, Ipv6Ext, VlanTag, ARPHRD_ETHER,
    VXLAN_PORT,
};
use super::dns::{rcode, DnsMessage, DnsRecord, DomainName, RData};
use super::rng::hash64;
use super::{LinkType, Packet, Ts};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The RTT every helper uses unless told otherwise.
pub const DEFAULT_RTT: Duration = Duration::from_millis(20);
/// Time between a packet and the client's immediate reaction to it.
pub const DEFAULT_GAP: Duration = Duration::from_micros(100);
/// Payload bytes per TCP segment.
pub const DEFAULT_MSS: usize = 1400;

/// Which way a packet goes, relative to who opened the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// One IP packet of a conversation, before it is put on a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpPacket {
    pub ts: Ts,
    pub dir: Dir,
    /// An IPv4 or IPv6 packet, header first.
    pub ip: Vec<u8>,
}

/// IP-layer extras applied to every packet of a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpExtras {
    /// IPv4 options (raw bytes) on every IPv4 packet.
    pub ipv4_options: Vec<u8>,
    /// IPv6 extension headers (before the transport header) on every IPv6 packet.
    pub ipv6_exts: Vec<Ipv6Ext>,
}

/// The building block of every helper: two endpoints, per-direction IPv4 ids, and the
/// packets so far. Use it directly for conversations the helpers do not cover.
#[derive(Clone, Debug)]
pub struct Conversation {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub extras: IpExtras,
    ids: [u16; 2],
    packets: Vec<IpPacket>,
}

impl Conversation {
    pub fn new(client: SocketAddr, server: SocketAddr) -> Self {
        let h = hash64(format!("{client}>{server}").as_bytes());
        Conversation {
            client,
            server,
            extras: IpExtras::default(),
            ids: [(h >> 16) as u16, (h >> 48) as u16],
            packets: Vec::new(),
        }
    }

    pub fn with_extras(mut self, extras: IpExtras) -> Self {
        self.extras = extras;
        self
    }

    fn ends(&self, dir: Dir) -> (SocketAddr, SocketAddr) {
        match dir {
            Dir::ToServer => (self.client, self.server),
            Dir::ToClient => (self.server, self.client),
        }
    }

    /// Wraps a transport payload of protocol `proto` in IP and records it.
    pub fn send_ip(&mut self, ts: Ts, dir: Dir, proto: u8, transport: &[u8]) -> io::Result<()> {
        let (src, dst) = self.ends(dir);
        let [to_server, to_client] = &mut self.ids;
        let counter = if dir == Dir::ToClient {
            to_client
        } else {
            to_server
        };
        let id = *counter;
        *counter = id.wrapping_add(1);
        let ip = match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let spec = Ipv4Spec {
                    id,
                    options: self.extras.ipv4_options.clone(),
                    ..Ipv4Spec::default()
                };
                build::ipv4(s, d, proto, &spec, transport)?
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                build::ipv6(s, d, proto, 64, &self.extras.ipv6_exts, transport)?
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("mixed address families: {src} and {dst}"),
                ))
            }
        };
        self.packets.push(IpPacket { ts, dir, ip });
        Ok(())
    }

    pub fn tcp(
        &mut self,
        ts: Ts,
        dir: Dir,
        flags: u8,
        seq: u32,
        ack: u32,
        payload: &[u8],
    ) -> io::Result<()> {
        let (src, dst) = self.ends(dir);
        let spec = build::TcpSpec {
            src_port: src.port(),
            dst_port: dst.port(),
            seq,
            ack,
            flags,
            window: 64_240,
            options: Vec::new(),
        };
        let seg = build::tcp(src.ip(), dst.ip(), &spec, payload)?;
        self.send_ip(ts, dir, ipproto::TCP, &seg)
    }

    pub fn udp(&mut self, ts: Ts, dir: Dir, payload: &[u8]) -> io::Result<()> {
        let (src, dst) = self.ends(dir);
        let d = build::udp(src.ip(), dst.ip(), src.port(), dst.port(), payload)?;
        self.send_ip(ts, dir, ipproto::UDP, &d)
    }

    /// An ICMP or ICMPv6 echo request (to the server) or reply (to the client); the
    /// ports are ignored.
    pub fn icmp_echo(
        &mut self,
        ts: Ts,
        dir: Dir,
        id: u16,
        seq: u16,
        data: &[u8],
    ) -> io::Result<()> {
        let (src, dst) = self.ends(dir);
        let request = dir == Dir::ToServer;
        match (src.ip(), dst.ip()) {
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let m = build::icmpv6_echo(s, d, request, id, seq, data)?;
                self.send_ip(ts, dir, ipproto::ICMPV6, &m)
            }
            _ => {
                let m = build::icmpv4_echo(request, id, seq, data);
                self.send_ip(ts, dir, ipproto::ICMP, &m)
            }
        }
    }

    pub fn into_packets(self) -> Vec<IpPacket> {
        self.packets
    }
}

/// How a TCP session ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// Client FIN/ACK, server FIN/ACK, client ACK.
    Fin,
    /// The client sends RST/ACK (one packet).
    ClientRst,
    /// The server sends RST/ACK (one packet).
    ServerRst,
    /// No close: the flow stays open.
    Open,
}

/// A TCP session: handshake, data up then down, close.
///
/// Packets, client side first: SYN; SYN/ACK; ACK; `ceil(up/mss)` PSH/ACK segments up;
/// one server ACK if `up` is non-empty; `ceil(down/mss)` PSH/ACK segments down; one
/// client ACK if `down` is non-empty; then the close ([`Close`]). All TCP headers are 20
/// bytes (no options). So, with `Close::Fin`, to the server `4 + segs_up + [down>0]`
/// packets and to the client `2 + [up>0] + segs_down`.
#[derive(Clone, Debug)]
pub struct TcpSession {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub start: Ts,
    pub rtt: Duration,
    pub gap: Duration,
    pub mss: usize,
    pub up: Vec<u8>,
    pub down: Vec<u8>,
    pub close: Close,
    pub extras: IpExtras,
}

/// `n` bytes of printable filler (`seed` picks the alphabet offset).
pub fn filler(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| b'a' + ((i as u64 + u64::from(seed)) % 26) as u8)
        .collect()
}

impl TcpSession {
    pub fn new(client: SocketAddr, server: SocketAddr, start: Ts) -> Self {
        TcpSession {
            client,
            server,
            start,
            rtt: DEFAULT_RTT,
            gap: DEFAULT_GAP,
            mss: DEFAULT_MSS,
            up: Vec::new(),
            down: Vec::new(),
            close: Close::Fin,
            extras: IpExtras::default(),
        }
    }

    /// Filler payloads of `up` bytes to the server and `down` bytes back.
    pub fn bytes(mut self, up: usize, down: usize) -> Self {
        self.up = filler(up, 0);
        self.down = filler(down, 13);
        self
    }

    /// Exact payloads (a DNS-over-TCP message, an HTTP request...).
    pub fn data(mut self, up: Vec<u8>, down: Vec<u8>) -> Self {
        self.up = up;
        self.down = down;
        self
    }

    pub fn rtt(mut self, rtt: Duration) -> Self {
        self.rtt = rtt;
        self
    }

    pub fn close(mut self, close: Close) -> Self {
        self.close = close;
        self
    }

    pub fn extras(mut self, extras: IpExtras) -> Self {
        self.extras = extras;
        self
    }

    pub fn build(&self) -> io::Result<Vec<IpPacket>> {
        use tcp_flags::{ACK, FIN, PSH, RST, SYN};
        let (c_isn, s_isn) = isns(self.client, self.server, self.start);
        let mut c = Conversation::new(self.client, self.server).with_extras(self.extras.clone());
        let mss = self.mss.max(1);
        let mut t = self.start;
        c.tcp(t, Dir::ToServer, SYN, c_isn, 0, b"")?;
        t = t + self.rtt;
        c.tcp(
            t,
            Dir::ToClient,
            SYN | ACK,
            s_isn,
            c_isn.wrapping_add(1),
            b"",
        )?;
        let mut cseq = c_isn.wrapping_add(1);
        let mut sseq = s_isn.wrapping_add(1);
        t = t + self.gap;
        c.tcp(t, Dir::ToServer, ACK, cseq, sseq, b"")?;
        for chunk in self.up.chunks(mss) {
            t = t + self.gap;
            c.tcp(t, Dir::ToServer, PSH | ACK, cseq, sseq, chunk)?;
            cseq = cseq.wrapping_add(chunk.len() as u32);
        }
        if !self.up.is_empty() {
            t = t + self.rtt;
            c.tcp(t, Dir::ToClient, ACK, sseq, cseq, b"")?;
        }
        for chunk in self.down.chunks(mss) {
            t = t + self.gap;
            c.tcp(t, Dir::ToClient, PSH | ACK, sseq, cseq, chunk)?;
            sseq = sseq.wrapping_add(chunk.len() as u32);
        }
        if !self.down.is_empty() {
            t = t + self.gap;
            c.tcp(t, Dir::ToServer, ACK, cseq, sseq, b"")?;
        }
        match self.close {
            Close::Fin => {
                t = t + self.gap;
                c.tcp(t, Dir::ToServer, FIN | ACK, cseq, sseq, b"")?;
                cseq = cseq.wrapping_add(1);
                t = t + self.rtt;
                c.tcp(t, Dir::ToClient, FIN | ACK, sseq, cseq, b"")?;
                sseq = sseq.wrapping_add(1);
                t = t + self.gap;
                c.tcp(t, Dir::ToServer, ACK, cseq, sseq, b"")?;
            }
            Close::ClientRst => {
                t = t + self.gap;
                c.tcp(t, Dir::ToServer, RST | ACK, cseq, sseq, b"")?;
            }
            Close::ServerRst => {
                t = t + self.rtt;
                c.tcp(t, Dir::ToClient, RST | ACK, sseq, cseq, b"")?;
            }
            Close::Open => {}
        }
        Ok(c.into_packets())
    }
}

fn isns(client: SocketAddr, server: SocketAddr, start: Ts) -> (u32, u32) {
    let h = hash64(format!("{client}>{server}@{}", start.as_nanos()).as_bytes());
    (h as u32, (h >> 32) as u32)
}

/// A TCP session with filler payloads and a FIN close (see [`TcpSession`]).
pub fn tcp_session(
    client: SocketAddr,
    server: SocketAddr,
    start: Ts,
    bytes_up: usize,
    bytes_down: usize,
) -> io::Result<Vec<IpPacket>> {
    TcpSession::new(client, server, start)
        .bytes(bytes_up, bytes_down)
        .build()
}

/// A SYN answered by RST/ACK one RTT later: 1 packet each way.
pub fn tcp_refused(client: SocketAddr, server: SocketAddr, start: Ts) -> io::Result<Vec<IpPacket>> {
    let (c_isn, _) = isns(client, server, start);
    let mut c = Conversation::new(client, server);
    c.tcp(start, Dir::ToServer, tcp_flags::SYN, c_isn, 0, b"")?;
    c.tcp(
        start + DEFAULT_RTT,
        Dir::ToClient,
        tcp_flags::RST | tcp_flags::ACK,
        0,
        c_isn.wrapping_add(1),
        b"",
    )?;
    Ok(c.into_packets())
}

/// A SYN nobody answers, retransmitted `retransmits` times with doubling back-off: at
/// +1 s, +3 s, +7 s, ... (the same sequence number each time).
pub fn tcp_unanswered(
    client: SocketAddr,
    server: SocketAddr,
    start: Ts,
    retransmits: u32,
) -> io::Result<Vec<IpPacket>> {
    let (c_isn, _) = isns(client, server, start);
    let mut c = Conversation::new(client, server);
    c.tcp(start, Dir::ToServer, tcp_flags::SYN, c_isn, 0, b"")?;
    let mut at = 0u64;
    for i in 0..retransmits.min(16) {
        at += 1 << i;
        c.tcp(
            start.plus_secs(at),
            Dir::ToServer,
            tcp_flags::SYN,
            c_isn,
            0,
            b"",
        )?;
    }
    Ok(c.into_packets())
}

/// A UDP request and, when given, its response one RTT later.
pub fn udp_exchange(
    client: SocketAddr,
    server: SocketAddr,
    ts: Ts,
    request: &[u8],
    response: Option<&[u8]>,
) -> io::Result<Vec<IpPacket>> {
    let mut c = Conversation::new(client, server);
    c.udp(ts, Dir::ToServer, request)?;
    if let Some(r) = response {
        c.udp(ts + DEFAULT_RTT, Dir::ToClient, r)?;
    }
    Ok(c.into_packets())
}

/// An ICMP (or ICMPv6, by address family) echo request with `data`, and its reply one
/// RTT later when `reply`.
pub fn icmp_echo(
    client: IpAddr,
    server: IpAddr,
    ts: Ts,
    id: u16,
    seq: u16,
    data: &[u8],
    reply: bool,
) -> io::Result<Vec<IpPacket>> {
    let mut c = Conversation::new(SocketAddr::new(client, 0), SocketAddr::new(server, 0));
    c.icmp_echo(ts, Dir::ToServer, id, seq, data)?;
    if reply {
        c.icmp_echo(ts + DEFAULT_RTT, Dir::ToClient, id, seq, data)?;
    }
    Ok(c.into_packets())
}

/// What a resolver answers in [`dns_lookup`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsReply {
    /// NOERROR with these answers.
    Answers(Vec<DnsRecord>),
    /// NXDOMAIN, no answers, an SOA of the parent zone in the authority section.
    NxDomain,
    /// This rcode with no answers.
    Rcode(u8),
    /// No response at all.
    Unanswered,
}

impl DnsReply {
    /// The response message to `query`, if any.
    pub fn response(&self, query: &DnsMessage) -> Option<DnsMessage> {
        match self {
            DnsReply::Answers(a) => Some(DnsMessage::response_to(query, rcode::NOERROR, a.clone())),
            DnsReply::NxDomain => {
                let zone = query
                    .questions
                    .first()
                    .map_or_else(DomainName::root, |q| DomainName {
                        labels: q.name.labels.iter().skip(1).cloned().collect(),
                    });
                let soa = soa_for(&zone);
                Some(
                    DnsMessage::response_to(query, rcode::NXDOMAIN, Vec::new())
                        .with_authority(vec![soa]),
                )
            }
            DnsReply::Rcode(rc) => Some(DnsMessage::response_to(query, *rc, Vec::new())),
            DnsReply::Unanswered => None,
        }
    }
}

fn soa_for(zone: &DomainName) -> DnsRecord {
    let mut mname = DomainName::parse("ns1");
    mname.labels.extend(zone.labels.iter().cloned());
    let mut rname = DomainName::parse("hostmaster");
    rname.labels.extend(zone.labels.iter().cloned());
    DnsRecord::new(
        zone,
        900,
        RData::Soa {
            mname,
            rname,
            serial: 2_026_112_201,
            refresh: 7200,
            retry: 3600,
            expire: 1_209_600,
            minimum: 300,
        },
    )
}

/// A DNS lookup over UDP: the query at `ts` and the reply one RTT later.
pub fn dns_lookup(
    client: SocketAddr,
    resolver: SocketAddr,
    ts: Ts,
    id: u16,
    name: &DomainName,
    qtype: u16,
    reply: DnsReply,
) -> io::Result<Vec<IpPacket>> {
    let q = DnsMessage::query(id, name, qtype);
    dns_udp(client, resolver, ts, &q, reply.response(&q).as_ref())
}

/// A DNS lookup over TCP (see [`dns_tcp`]).
pub fn dns_lookup_tcp(
    client: SocketAddr,
    resolver: SocketAddr,
    ts: Ts,
    id: u16,
    name: &DomainName,
    qtype: u16,
    reply: DnsReply,
) -> io::Result<Vec<IpPacket>> {
    let q = DnsMessage::query(id, name, qtype);
    dns_tcp(client, resolver, ts, &q, reply.response(&q).as_ref())
}

/// Any query and optional response over UDP.
pub fn dns_udp(
    client: SocketAddr,
    resolver: SocketAddr,
    ts: Ts,
    query: &DnsMessage,
    response: Option<&DnsMessage>,
) -> io::Result<Vec<IpPacket>> {
    let r = response.map(DnsMessage::encode).transpose()?;
    udp_exchange(client, resolver, ts, &query.encode()?, r.as_deref())
}

/// Any query and optional response over TCP: a whole [`TcpSession`] whose payloads are
/// the messages with their 2-byte length prefixes (RFC 1035 4.2.2), FIN close.
pub fn dns_tcp(
    client: SocketAddr,
    resolver: SocketAddr,
    ts: Ts,
    query: &DnsMessage,
    response: Option<&DnsMessage>,
) -> io::Result<Vec<IpPacket>> {
    let up = length_prefixed(&query.encode()?)?;
    let down = match response {
        Some(r) => length_prefixed(&r.encode()?)?,
        None => Vec::new(),
    };
    TcpSession::new(client, resolver, ts).data(up, down).build()
}

fn length_prefixed(msg: &[u8]) -> io::Result<Vec<u8>> {
    let len = u16::try_from(msg.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "DNS message over 64 KiB"))?;
    let mut v = len.to_be_bytes().to_vec();
    v.extend_from_slice(msg);
    Ok(v)
}

/// The link a conversation is put on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Ethernet II with these tags, outer first (none, one 802.1Q, or QinQ).
    Ethernet { tags: Vec<VlanTag> },
    /// Linux cooked v1; the client's packets are OUTGOING, the server's HOST.
    LinuxSll,
    /// Linux cooked v2 on interface `if_index`; packet types as for `LinuxSll`.
    LinuxSll2 { if_index: u32 },
    /// Raw IP (LINKTYPE 101).
    Raw,
    /// BSD NULL: AF_INET (2) for IPv4, `inet6_family` (24, 28 or 30) for IPv6.
    Null { inet6_family: u32 },
    /// Inside GRE (v0) between two IPv4 tunnel ends, on untagged Ethernet; the client
    /// side's packets go `outer_client` -> `outer_server`.
    Gre {
        outer_client: Ipv4Addr,
        outer_server: Ipv4Addr,
    },
    /// Inside VXLAN (UDP 4789, inner Ethernet) between two IPv4 VTEPs, on untagged
    /// Ethernet.
    Vxlan {
        outer_client: Ipv4Addr,
        outer_server: Ipv4Addr,
        vni: u32,
    },
}

impl Framing {
    pub fn ethernet() -> Self {
        Framing::Ethernet { tags: Vec::new() }
    }

    pub fn link_type(&self) -> LinkType {
        match self {
            Framing::Ethernet { .. } | Framing::Gre { .. } | Framing::Vxlan { .. } => {
                LinkType::ETHERNET
            }
            Framing::LinuxSll => LinkType::LINUX_SLL,
            Framing::LinuxSll2 { .. } => LinkType::LINUX_SLL2,
            Framing::Raw => LinkType::RAW,
            Framing::Null { .. } => LinkType::NULL,
        }
    }

    /// The frame for one IP packet.
    pub fn frame(&self, p: &IpPacket) -> io::Result<Vec<u8>> {
        let (src, dst) = build::ip_addrs(&p.ip).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "not an IPv4 or IPv6 packet")
        })?;
        let proto = if src.is_ipv4() {
            ethertype::IPV4
        } else {
            ethertype::IPV6
        };
        let pkt_type = match p.dir {
            Dir::ToServer => sll_pkt_type::OUTGOING,
            Dir::ToClient => sll_pkt_type::HOST,
        };
        Ok(match self {
            Framing::Ethernet { tags } => {
                build::ethernet(build::mac_for(dst), build::mac_for(src), tags, proto, &p.ip)
            }
            Framing::LinuxSll => {
                build::linux_sll(pkt_type, ARPHRD_ETHER, &build::mac_for(src), proto, &p.ip)
            }
            Framing::LinuxSll2 { if_index } => build::linux_sll2(
                proto,
                *if_index,
                ARPHRD_ETHER,
                pkt_type,
                &build::mac_for(src),
                &p.ip,
            ),
            Framing::Raw => p.ip.clone(),
            Framing::Null { inet6_family } => {
                let family = if src.is_ipv4() {
                    build::af::INET
                } else {
                    *inet6_family
                };
                build::null_loopback(family, &p.ip)
            }
            Framing::Gre {
                outer_client,
                outer_server,
            } => {
                let (os, od) = outer(p.dir, *outer_client, *outer_server);
                let spec = Ipv4Spec {
                    dont_fragment: false,
                    ..Ipv4Spec::default()
                };
                let outer_ip = build::ipv4(os, od, ipproto::GRE, &spec, &build::gre(proto, &p.ip))?;
                build::ethernet(
                    build::mac_for(od.into()),
                    build::mac_for(os.into()),
                    &[],
                    ethertype::IPV4,
                    &outer_ip,
                )
            }
            Framing::Vxlan {
                outer_client,
                outer_server,
                vni,
            } => {
                let (os, od) = outer(p.dir, *outer_client, *outer_server);
                let inner =
                    build::ethernet(build::mac_for(dst), build::mac_for(src), &[], proto, &p.ip);
                // VTEPs pick the source port from a hash of the inner flow (RFC 7348).
                let h = hash64(format!("{src}>{dst}").as_bytes());
                let sport = 49_152 + (h % 16_384) as u16;
                let d = build::udp(
                    os.into(),
                    od.into(),
                    sport,
                    VXLAN_PORT,
                    &build::vxlan(*vni, &inner),
                )?;
                let spec = Ipv4Spec {
                    dont_fragment: false,
                    ..Ipv4Spec::default()
                };
                let outer_ip = build::ipv4(os, od, ipproto::UDP, &spec, &d)?;
                build::ethernet(
                    build::mac_for(od.into()),
                    build::mac_for(os.into()),
                    &[],
                    ethertype::IPV4,
                    &outer_ip,
                )
            }
        })
    }

    /// Frames every packet, keeping timestamps.
    pub fn packets(&self, ips: &[IpPacket]) -> io::Result<Vec<Packet>> {
        ips.iter()
            .map(|p| Ok(Packet::new(p.ts, self.link_type(), self.frame(p)?)))
            .collect()
    }
}

fn outer(dir: Dir, client: Ipv4Addr, server: Ipv4Addr) -> (Ipv4Addr, Ipv4Addr) {
    match dir {
        Dir::ToServer => (client, server),
        Dir::ToClient => (server, client),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn flags(p: &IpPacket) -> u8 {
        let ihl = usize::from(p.ip[0] & 0x0f) * 4;
        p.ip[ihl + 13]
    }

    #[test]
    fn tcp_session_has_handshake_data_and_fin_close() {
        use tcp_flags::*;
        let s = tcp_session(
            sa("10.0.0.1:40000"),
            sa("198.51.100.1:443"),
            Ts::BASE,
            3000,
            100,
        )
        .unwrap();
        let f: Vec<(Dir, u8)> = s.iter().map(|p| (p.dir, flags(p))).collect();
        let c = Dir::ToServer;
        let sv = Dir::ToClient;
        assert_eq!(
            f,
            vec![
                (c, SYN),
                (sv, SYN | ACK),
                (c, ACK),
                (c, PSH | ACK),
                (c, PSH | ACK),
                (c, PSH | ACK),
                (sv, ACK),
                (sv, PSH | ACK),
                (c, ACK),
                (c, FIN | ACK),
                (sv, FIN | ACK),
                (c, ACK),
            ]
        );
        assert!(s.windows(2).all(|w| w[0].ts < w[1].ts));
        assert_eq!(s[1].ts, Ts::BASE.plus_millis(20));
    }

    #[test]
    fn unanswered_syn_retransmits_with_back_off() {
        let s = tcp_unanswered(sa("10.0.0.1:40000"), sa("203.0.113.1:443"), Ts::BASE, 2).unwrap();
        let ts: Vec<Ts> = s.iter().map(|p| p.ts).collect();
        assert_eq!(
            ts,
            vec![Ts::BASE, Ts::BASE.plus_secs(1), Ts::BASE.plus_secs(3)]
        );
    }

    #[test]
    fn sessions_are_deterministic() {
        let a = tcp_session(sa("10.0.0.1:1"), sa("198.51.100.1:2"), Ts::BASE, 5, 5).unwrap();
        let b = tcp_session(sa("10.0.0.1:1"), sa("198.51.100.1:2"), Ts::BASE, 5, 5).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn framings_add_their_headers() {
        let s = tcp_refused(sa("10.0.0.1:1"), sa("198.51.100.1:2"), Ts::BASE).unwrap();
        let ip_len = s[0].ip.len();
        let cases = [
            (Framing::ethernet(), 14),
            (
                Framing::Ethernet {
                    tags: vec![VlanTag::qinq_outer(200), VlanTag::dot1q(300)],
                },
                22,
            ),
            (Framing::LinuxSll, 16),
            (Framing::LinuxSll2 { if_index: 2 }, 20),
            (Framing::Raw, 0),
            (Framing::Null { inet6_family: 30 }, 4),
            (
                Framing::Gre {
                    outer_client: Ipv4Addr::new(192, 168, 0, 1),
                    outer_server: Ipv4Addr::new(192, 168, 0, 2),
                },
                14 + 20 + 4,
            ),
            (
                Framing::Vxlan {
                    outer_client: Ipv4Addr::new(192, 168, 0, 1),
                    outer_server: Ipv4Addr::new(192, 168, 0, 2),
                    vni: 1,
                },
                14 + 20 + 8 + 8 + 14,
            ),
        ];
        for (framing, overhead) in cases {
            let f = framing.frame(&s[0]).unwrap();
            assert_eq!(f.len(), ip_len + overhead, "{framing:?}");
        }
    }

    #[test]
    fn dns_over_tcp_prefixes_the_length() {
        let name = DomainName::parse("tcp.example.com");
        let s = dns_lookup_tcp(
            sa("10.0.0.1:40000"),
            sa("10.0.0.53:53"),
            Ts::BASE,
            9,
            &name,
            1,
            DnsReply::Answers(vec![DnsRecord::a(&name, Ipv4Addr::new(198, 51, 100, 1))]),
        )
        .unwrap();
        let q = &s[3].ip[40..];
        assert_eq!(usize::from(u16::from_be_bytes([q[0], q[1]])), q.len() - 2);
        assert_eq!(&q[2..4], &[0, 9]);
    }
}
