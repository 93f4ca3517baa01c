//! The bundled captures that exercise the pipeline itself: links, IP layers, flows, DNS.
//!
//! Each function returns one [`Scenario`] with its exact expected flows and DNS
//! transactions; `check.rs` (tests) re-derives those numbers from the generated packets
//! with etherparse, so they cannot drift from what the files hold.
//!
//! Frame sizes used in the counts: Ethernet 14, 802.1Q +4, SLL 16, SLL2 20, NULL 4, raw 0;
//! IPv4 20 (+ options), IPv6 40 (+ extension headers), TCP 20 (no options), UDP 8, ICMP 8.
//! A TCP session built with [`TcpSession`] and a FIN close has, to the server,
//! `4 + segments_up + [down > 0]` packets and, to the client, `2 + [up > 0] +
//! segments_down` (1400-byte segments).

use super::build::{ipproto, ipv4_option, ipv6_option, Ipv4Spec, Ipv6Ext, VlanTag};
use super::dns::{qtype, rcode, svcb_rdata, DnsMessage, DnsRecord, DomainName, RData};
use super::scenario::{ExpectedDns, ExpectedFlow, Scenario};
use super::session::{
    dns_lookup, dns_lookup_tcp, icmp_echo, tcp_refused, tcp_session, tcp_unanswered, udp_exchange,
    Close, Conversation, Dir, DnsReply, Framing, IpExtras, IpPacket, TcpSession,
};
use super::writer::{Interface, TsResolution};
use super::{build, sort_by_time, LinkType, Packet, Ts};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

fn v4(a: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((a, port))
}

fn v6(segments: [u16; 8], port: u16) -> SocketAddr {
    SocketAddr::from((Ipv6Addr::from(segments), port))
}

fn name(s: &str) -> DomainName {
    DomainName::parse(s)
}

const T: Ts = Ts::BASE;

/// The internal resolver every DNS scenario asks.
fn resolver() -> SocketAddr {
    v4([10, 0, 0, 53], 53)
}

/// A 48-byte NTPv4 client request (mode 3) or server reply (mode 4).
fn ntp(reply: bool) -> Vec<u8> {
    let mut m = vec![if reply { 0x24 } else { 0x23 }];
    m.resize(48, 0);
    m
}

// ---------------------------------------------------------------------------------------

/// `flows-basic.pcap`: the flow outcomes, one of each, on Ethernet.
pub fn flows_basic() -> Scenario {
    Scenario::new("flows-basic", "flows-basic.pcap", flows_basic_packets)
        .describe(
            "Ethernet, µs: TCP 10.0.0.10:40001→198.51.100.10:443 (300 B up, 2000 B down, \
             FIN close); TCP :40002→198.51.100.11:80 (100/200 B, server RST); SYN \
             :40003→198.51.100.12:22 refused by RST-ACK; SYN :40004→203.0.113.50:443 \
             unanswered + 2 retransmits (+1 s, +3 s); UDP :50001→203.0.113.20:123 NTP \
             request/response; one-way UDP :50002→203.0.113.21:514; ICMP echo \
             10.0.0.10→198.51.100.1 request/reply; IPv6 TCP \
             [fd00::10]:40005→[2001:db8::80]:443 (200/1000 B, FIN)",
            "8 flows: TCP 6/5 pkts 624/2270 B accepted FIN; TCP 4/4 pkts 316/416 B \
             accepted RST; TCP 1/1 54/54 B refused; TCP 3/0 162/0 B unanswered; UDP 1/1 \
             90/90 B; UDP 1/0 74/0 B; ICMP 1/1 98/98 B; IPv6 TCP 6/4 644/1296 B accepted \
             FIN; no alerts",
        )
        .flows(FLOWS_BASIC)
}

pub const FLOWS_BASIC: &[ExpectedFlow] = &[
    ExpectedFlow {
        proto: 6,
        client: "10.0.0.10:40001",
        server: "198.51.100.10:443",
        vlan: [0, 0],
        pkts_toserver: 6,
        pkts_toclient: 5,
        bytes_toserver: 624,
        bytes_toclient: 2270,
        payload_toserver: 300,
        payload_toclient: 2000,
        outcome: "accepted",
        end: "fin",
    },
    ExpectedFlow {
        proto: 6,
        client: "10.0.0.10:40002",
        server: "198.51.100.11:80",
        vlan: [0, 0],
        pkts_toserver: 4,
        pkts_toclient: 4,
        bytes_toserver: 316,
        bytes_toclient: 416,
        payload_toserver: 100,
        payload_toclient: 200,
        outcome: "accepted",
        end: "rst",
    },
    ExpectedFlow {
        proto: 6,
        client: "10.0.0.10:40003",
        server: "198.51.100.12:22",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 54,
        bytes_toclient: 54,
        payload_toserver: 0,
        payload_toclient: 0,
        outcome: "refused",
        end: "rst",
    },
    ExpectedFlow {
        proto: 6,
        client: "10.0.0.10:40004",
        server: "203.0.113.50:443",
        vlan: [0, 0],
        pkts_toserver: 3,
        pkts_toclient: 0,
        bytes_toserver: 162,
        bytes_toclient: 0,
        payload_toserver: 0,
        payload_toclient: 0,
        outcome: "unanswered",
        end: "open",
    },
    ExpectedFlow {
        proto: 17,
        client: "10.0.0.10:50001",
        server: "203.0.113.20:123",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 90,
        bytes_toclient: 90,
        payload_toserver: 48,
        payload_toclient: 48,
        outcome: "accepted",
        end: "open",
    },
    ExpectedFlow {
        proto: 17,
        client: "10.0.0.10:50002",
        server: "203.0.113.21:514",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 0,
        bytes_toserver: 74,
        bytes_toclient: 0,
        payload_toserver: 32,
        payload_toclient: 0,
        outcome: "unanswered",
        end: "open",
    },
    ExpectedFlow {
        proto: 1,
        client: "10.0.0.10:8",
        server: "198.51.100.1:0",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 98,
        bytes_toclient: 98,
        payload_toserver: 56,
        payload_toclient: 56,
        outcome: "accepted",
        end: "open",
    },
    ExpectedFlow {
        proto: 6,
        client: "[fd00::10]:40005",
        server: "[2001:db8::80]:443",
        vlan: [0, 0],
        pkts_toserver: 6,
        pkts_toclient: 4,
        bytes_toserver: 644,
        bytes_toclient: 1296,
        payload_toserver: 200,
        payload_toclient: 1000,
        outcome: "accepted",
        end: "fin",
    },
];

fn flows_basic_packets() -> io::Result<Vec<Packet>> {
    let c = [10, 0, 0, 10];
    let mut ips: Vec<IpPacket> = Vec::new();
    ips.extend(tcp_session(
        v4(c, 40001),
        v4([198, 51, 100, 10], 443),
        T,
        300,
        2000,
    )?);
    ips.extend(
        TcpSession::new(v4(c, 40002), v4([198, 51, 100, 11], 80), T.plus_secs(1))
            .bytes(100, 200)
            .close(Close::ServerRst)
            .build()?,
    );
    ips.extend(tcp_refused(
        v4(c, 40003),
        v4([198, 51, 100, 12], 22),
        T.plus_secs(2),
    )?);
    ips.extend(tcp_unanswered(
        v4(c, 40004),
        v4([203, 0, 113, 50], 443),
        T.plus_secs(3),
        2,
    )?);
    ips.extend(udp_exchange(
        v4(c, 50001),
        v4([203, 0, 113, 20], 123),
        T.plus_secs(4),
        &ntp(false),
        Some(&ntp(true)),
    )?);
    ips.extend(udp_exchange(
        v4(c, 50002),
        v4([203, 0, 113, 21], 514),
        T.plus_secs(5),
        b"<14>botsense one-way datagram\n\0\0",
        None,
    )?);
    ips.extend(icmp_echo(
        c.into(),
        Ipv4Addr::new(198, 51, 100, 1).into(),
        T.plus_secs(6),
        0x0b5e,
        1,
        &echo_data(56),
        true,
    )?);
    ips.extend(tcp_session(
        v6([0xfd00, 0, 0, 0, 0, 0, 0, 0x10], 40005),
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x80], 443),
        T.plus_secs(7),
        200,
        1000,
    )?);
    let mut packets = Framing::ethernet().packets(&ips)?;
    sort_by_time(&mut packets);
    Ok(packets)
}

/// Ping's payload: bytes 0x10, 0x11, ... as iputils fills it after the timestamp.
fn echo_data(n: usize) -> Vec<u8> {
    (0..n).map(|i| 0x10u8.wrapping_add(i as u8)).collect()
}

// ---------------------------------------------------------------------------------------

/// The binary/special label of `dns-basic.pcap`'s sixth query, as `DnsName` keeps it:
/// the `\` and `.` inside the second label escaped.
pub const ODD_QNAME: &[u8] = b"\x00\xffbin\x01.q\"uote\\\\back\nnl\\.dot.t.example.com";

fn odd_name() -> DomainName {
    DomainName::from_labels([
        &b"\x00\xffbin\x01"[..],
        b"q\"uote\\back\nnl.dot",
        b"t",
        b"example",
        b"com",
    ])
}

/// `dns-basic.pcap`: DNS transactions of every shape the DNS tracker must pair.
pub fn dns_basic() -> Scenario {
    Scenario::new("dns-basic", "dns-basic.pcap", dns_basic_packets)
        .describe(
            "Ethernet, µs: client 10.0.0.20 asks resolver 10.0.0.53: www.example.com A (2 \
             A answers); www.example.com AAAA; cdn.example.org A via a 2-CNAME chain; \
             nosuch.example.com NXDOMAIN (SOA in authority); example.com HTTPS (type 65); \
             a name with binary labels and '.', '\"', '\\\\', newline, 0xff in a label \
             (NOERROR, 1 A); timeout.example.com unanswered; tcp.example.com over TCP/53; \
             two queries (ids 0x2001, 0x2002) from port 50009 in flight at once, answered \
             in reverse order",
            "10 DNS transactions (ids 0x1001-0x1008, 0x2001, 0x2002) with the rcodes and \
             answers listed in `dns`; 0x1007 unanswered; 9 UDP flows + 1 TCP flow; names \
             rendered safely in EVE",
        )
        .dns(DNS_BASIC)
}

pub const DNS_BASIC: &[ExpectedDns] = &[
    ExpectedDns {
        client: "10.0.0.20:50001",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x1001,
        qname: b"www.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.80", "A 198.51.100.81"],
    },
    ExpectedDns {
        client: "10.0.0.20:50002",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x1002,
        qname: b"www.example.com",
        qtype: qtype::AAAA,
        rcode: Some(rcode::NOERROR),
        answers: &["AAAA 2001:db8::80"],
    },
    ExpectedDns {
        client: "10.0.0.20:50003",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x1003,
        qname: b"cdn.example.org",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &[
            "CNAME cdn.example.org.cdn.example.net",
            "CNAME edge7.cdn.example.net",
            "A 203.0.113.7",
        ],
    },
    ExpectedDns {
        client: "10.0.0.20:50004",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x1004,
        qname: b"nosuch.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NXDOMAIN),
        answers: &[],
    },
    ExpectedDns {
        client: "10.0.0.20:50005",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x1005,
        qname: b"example.com",
        qtype: qtype::HTTPS,
        rcode: Some(rcode::NOERROR),
        answers: &["HTTPS len=13"],
    },
    ExpectedDns {
        client: "10.0.0.20:50006",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x1006,
        qname: ODD_QNAME,
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.99"],
    },
    ExpectedDns {
        client: "10.0.0.20:50007",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x1007,
        qname: b"timeout.example.com",
        qtype: qtype::A,
        rcode: None,
        answers: &[],
    },
    ExpectedDns {
        client: "10.0.0.20:40053",
        server: "10.0.0.53:53",
        proto: 6,
        id: 0x1008,
        qname: b"tcp.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.53"],
    },
    ExpectedDns {
        client: "10.0.0.20:50009",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x2001,
        qname: b"a.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.1"],
    },
    ExpectedDns {
        client: "10.0.0.20:50009",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x2002,
        qname: b"b.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.2"],
    },
];

fn dns_basic_packets() -> io::Result<Vec<Packet>> {
    let c = [10, 0, 0, 20];
    let r = resolver();
    let a = |n: &DomainName, ip: [u8; 4]| DnsRecord::a(n, Ipv4Addr::from(ip));
    let mut ips: Vec<IpPacket> = Vec::new();

    let www = name("www.example.com");
    ips.extend(dns_lookup(
        v4(c, 50001),
        r,
        T,
        0x1001,
        &www,
        qtype::A,
        DnsReply::Answers(vec![
            a(&www, [198, 51, 100, 80]),
            a(&www, [198, 51, 100, 81]),
        ]),
    )?);
    ips.extend(dns_lookup(
        v4(c, 50002),
        r,
        T.plus_secs(1),
        0x1002,
        &www,
        qtype::AAAA,
        DnsReply::Answers(vec![DnsRecord::aaaa(
            &www,
            Ipv6Addr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x80]),
        )]),
    )?);
    let cdn = name("cdn.example.org");
    let mid = name("cdn.example.org.cdn.example.net");
    let edge = name("edge7.cdn.example.net");
    ips.extend(dns_lookup(
        v4(c, 50003),
        r,
        T.plus_secs(2),
        0x1003,
        &cdn,
        qtype::A,
        DnsReply::Answers(vec![
            DnsRecord::cname(&cdn, &mid),
            DnsRecord::cname(&mid, &edge),
            a(&edge, [203, 0, 113, 7]),
        ]),
    )?);
    ips.extend(dns_lookup(
        v4(c, 50004),
        r,
        T.plus_secs(3),
        0x1004,
        &name("nosuch.example.com"),
        qtype::A,
        DnsReply::NxDomain,
    )?);
    let apex = name("example.com");
    ips.extend(dns_lookup(
        v4(c, 50005),
        r,
        T.plus_secs(4),
        0x1005,
        &apex,
        qtype::HTTPS,
        DnsReply::Answers(vec![DnsRecord::new(
            &apex,
            300,
            RData::Raw {
                rtype: qtype::HTTPS,
                data: svcb_rdata(1, &DomainName::root(), &["h2", "h3"]),
            },
        )]),
    )?);
    let odd = odd_name();
    ips.extend(dns_lookup(
        v4(c, 50006),
        r,
        T.plus_secs(5),
        0x1006,
        &odd,
        qtype::A,
        DnsReply::Answers(vec![a(&odd, [198, 51, 100, 99])]),
    )?);
    ips.extend(dns_lookup(
        v4(c, 50007),
        r,
        T.plus_secs(6),
        0x1007,
        &name("timeout.example.com"),
        qtype::A,
        DnsReply::Unanswered,
    )?);
    let tcp_name = name("tcp.example.com");
    ips.extend(dns_lookup_tcp(
        v4(c, 40053),
        r,
        T.plus_secs(7),
        0x1008,
        &tcp_name,
        qtype::A,
        DnsReply::Answers(vec![a(&tcp_name, [198, 51, 100, 53])]),
    )?);
    // Two queries in flight on one socket, answered out of order.
    let (qa, qb) = (name("a.example.com"), name("b.example.com"));
    let q1 = DnsMessage::query(0x2001, &qa, qtype::A);
    let q2 = DnsMessage::query(0x2002, &qb, qtype::A);
    let r1 = DnsMessage::response_to(&q1, rcode::NOERROR, vec![a(&qa, [198, 51, 100, 1])]);
    let r2 = DnsMessage::response_to(&q2, rcode::NOERROR, vec![a(&qb, [198, 51, 100, 2])]);
    let mut conv = Conversation::new(v4(c, 50009), r);
    let t = T.plus_secs(8);
    conv.udp(t, Dir::ToServer, &q1.encode()?)?;
    conv.udp(t.plus_millis(1), Dir::ToServer, &q2.encode()?)?;
    conv.udp(t.plus_millis(15), Dir::ToClient, &r2.encode()?)?;
    conv.udp(t.plus_millis(20), Dir::ToClient, &r1.encode()?)?;
    ips.extend(conv.into_packets());

    let mut packets = Framing::ethernet().packets(&ips)?;
    sort_by_time(&mut packets);
    Ok(packets)
}

// ---------------------------------------------------------------------------------------

/// `vlan-qinq.pcap`: one session three times: untagged, VLAN 100, QinQ 200/300.
pub fn vlan_qinq() -> Scenario {
    Scenario::new("vlan-qinq", "vlan-qinq.pcap", vlan_qinq_packets)
        .describe(
            "Ethernet, µs: TCP 10.0.1.10:41000→198.51.100.20:443 (100/100 B, FIN) three \
             times, 1 s apart: untagged, in 802.1Q VLAN 100, in QinQ (0x88a8 outer 200, \
             0x8100 inner 300)",
            "3 distinct accepted TCP flows with the same 5-tuple, vlan [] / [100] / \
             [200,300], 6/4 pkts each, 424/316 B, 448/332 B, 472/348 B",
        )
        .flows(VLAN_QINQ)
}

const fn session_100_100(
    client: &'static str,
    server: &'static str,
    vlan: [u16; 2],
    empty_frame: u64,
) -> ExpectedFlow {
    ExpectedFlow {
        proto: 6,
        client,
        server,
        vlan,
        pkts_toserver: 6,
        pkts_toclient: 4,
        bytes_toserver: 6 * empty_frame + 100,
        bytes_toclient: 4 * empty_frame + 100,
        payload_toserver: 100,
        payload_toclient: 100,
        outcome: "accepted",
        end: "fin",
    }
}

pub const VLAN_QINQ: &[ExpectedFlow] = &[
    session_100_100("10.0.1.10:41000", "198.51.100.20:443", [0, 0], 54),
    session_100_100("10.0.1.10:41000", "198.51.100.20:443", [100, 0], 58),
    session_100_100("10.0.1.10:41000", "198.51.100.20:443", [200, 300], 62),
];

fn vlan_qinq_packets() -> io::Result<Vec<Packet>> {
    let framings = [
        Framing::ethernet(),
        Framing::Ethernet {
            tags: vec![VlanTag::dot1q(100)],
        },
        Framing::Ethernet {
            tags: vec![VlanTag::qinq_outer(200), VlanTag::dot1q(300)],
        },
    ];
    let mut packets = Vec::new();
    for (i, f) in framings.iter().enumerate() {
        let ips = tcp_session(
            v4([10, 0, 1, 10], 41000),
            v4([198, 51, 100, 20], 443),
            T.plus_secs(i as u64),
            100,
            100,
        )?;
        packets.extend(f.packets(&ips)?);
    }
    Ok(packets)
}

// ---------------------------------------------------------------------------------------

/// A DNS lookup at T, then a TCP session to the answer at T+1 s (200 B up, 1500 B down).
fn lookup_then_session(
    host: [u8; 4],
    qname: &str,
    id: u16,
    server: [u8; 4],
    framing: &Framing,
) -> io::Result<Vec<Packet>> {
    let n = name(qname);
    let mut ips = dns_lookup(
        v4(host, 53000),
        resolver(),
        T,
        id,
        &n,
        qtype::A,
        DnsReply::Answers(vec![DnsRecord::a(&n, Ipv4Addr::from(server))]),
    )?;
    ips.extend(tcp_session(
        v4(host, 42000),
        v4(server, 443),
        T.plus_secs(1),
        200,
        1500,
    )?);
    framing.packets(&ips)
}

/// `linux-sll2.pcap`: Linux cooked v2 (what `tcpdump -i any` writes today).
pub fn linux_sll2() -> Scenario {
    Scenario::new("linux-sll2", "linux-sll2.pcap", || {
        lookup_then_session(
            [10, 0, 2, 10],
            "sll2.example.com",
            0x3001,
            [198, 51, 100, 30],
            &Framing::LinuxSll2 { if_index: 2 },
        )
    })
    .describe(
        "LINKTYPE_LINUX_SLL2 (276), µs, if_index 2, ARPHRD_ETHER; client packets OUTGOING, \
         server packets HOST: DNS 10.0.2.10:53000→10.0.0.53 sll2.example.com A → \
         198.51.100.30, then TCP 10.0.2.10:42000→198.51.100.30:443 (200/1500 B, FIN)",
        "1 DNS transaction (id 0x3001, NOERROR, A 198.51.100.30); UDP flow 1/1 pkts \
         82/98 B; TCP flow accepted FIN 6/5 pkts 560/1800 B",
    )
    .flows(LINUX_SLL2)
    .dns(&[ExpectedDns {
        client: "10.0.2.10:53000",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x3001,
        qname: b"sll2.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.30"],
    }])
}

/// Flows of [`lookup_then_session`] for a link header of `link` bytes and a qname of
/// `name_len` bytes.
const fn lookup_then_session_flows(
    dns_client: &'static str,
    client: &'static str,
    server: &'static str,
    link: u64,
    name_len: u64,
) -> [ExpectedFlow; 2] {
    // Query: 12 header + (name_len + 2) name + 4; response adds a 16-byte A answer.
    let query = 12 + name_len + 2 + 4;
    [
        ExpectedFlow {
            proto: 17,
            client: dns_client,
            server: "10.0.0.53:53",
            vlan: [0, 0],
            pkts_toserver: 1,
            pkts_toclient: 1,
            bytes_toserver: link + 28 + query,
            bytes_toclient: link + 28 + query + 16,
            payload_toserver: query,
            payload_toclient: query + 16,
            outcome: "accepted",
            end: "open",
        },
        ExpectedFlow {
            proto: 6,
            client,
            server,
            vlan: [0, 0],
            pkts_toserver: 6,
            pkts_toclient: 5,
            bytes_toserver: 6 * (link + 40) + 200,
            bytes_toclient: 5 * (link + 40) + 1500,
            payload_toserver: 200,
            payload_toclient: 1500,
            outcome: "accepted",
            end: "fin",
        },
    ]
}

pub const LINUX_SLL2: &[ExpectedFlow] = &lookup_then_session_flows(
    "10.0.2.10:53000",
    "10.0.2.10:42000",
    "198.51.100.30:443",
    20,
    16,
);

/// `linux-sll.pcap`: Linux cooked v1.
pub fn linux_sll() -> Scenario {
    Scenario::new("linux-sll", "linux-sll.pcap", || {
        lookup_then_session(
            [10, 0, 3, 10],
            "sll.example.com",
            0x3101,
            [198, 51, 100, 31],
            &Framing::LinuxSll,
        )
    })
    .describe(
        "LINKTYPE_LINUX_SLL (113), µs, ARPHRD_ETHER; client packets OUTGOING, server \
         packets HOST: DNS 10.0.3.10:53000→10.0.0.53 sll.example.com A → 198.51.100.31, \
         then TCP 10.0.3.10:42000→198.51.100.31:443 (200/1500 B, FIN)",
        "1 DNS transaction (id 0x3101, NOERROR, A 198.51.100.31); UDP flow 1/1 pkts \
         77/93 B; TCP flow accepted FIN 6/5 pkts 536/1780 B",
    )
    .flows(LINUX_SLL)
    .dns(&[ExpectedDns {
        client: "10.0.3.10:53000",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x3101,
        qname: b"sll.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.31"],
    }])
}

pub const LINUX_SLL: &[ExpectedFlow] = &lookup_then_session_flows(
    "10.0.3.10:53000",
    "10.0.3.10:42000",
    "198.51.100.31:443",
    16,
    15,
);

// ---------------------------------------------------------------------------------------

/// `raw-ip.pcap`: LINKTYPE_RAW with both IP versions.
pub fn raw_ip() -> Scenario {
    Scenario::new("raw-ip", "raw-ip.pcap", raw_ip_packets)
        .describe(
            "LINKTYPE_RAW (101), µs: TCP 10.0.4.10:43000→198.51.100.40:443 (100/100 B, \
             FIN); UDP [fd00::4]:50100→[2001:db8::40]:123 NTP request/response; ICMPv6 \
             echo fd00::4→2001:db8::1 request/reply",
            "3 flows: TCP accepted FIN 6/4 pkts 340/260 B; UDP 1/1 96/96 B; ICMPv6 1/1 \
             104/104 B",
        )
        .flows(RAW_IP)
}

pub const RAW_IP: &[ExpectedFlow] = &[
    session_100_100("10.0.4.10:43000", "198.51.100.40:443", [0, 0], 40),
    ExpectedFlow {
        proto: 17,
        client: "[fd00::4]:50100",
        server: "[2001:db8::40]:123",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 96,
        bytes_toclient: 96,
        payload_toserver: 48,
        payload_toclient: 48,
        outcome: "accepted",
        end: "open",
    },
    ExpectedFlow {
        proto: 58,
        client: "[fd00::4]:128",
        server: "[2001:db8::1]:0",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 104,
        bytes_toclient: 104,
        payload_toserver: 56,
        payload_toclient: 56,
        outcome: "accepted",
        end: "open",
    },
];

fn raw_ip_packets() -> io::Result<Vec<Packet>> {
    let c6 = [0xfd00, 0, 0, 0, 0, 0, 0, 4];
    let mut ips = tcp_session(
        v4([10, 0, 4, 10], 43000),
        v4([198, 51, 100, 40], 443),
        T,
        100,
        100,
    )?;
    ips.extend(udp_exchange(
        v6(c6, 50100),
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x40], 123),
        T.plus_secs(1),
        &ntp(false),
        Some(&ntp(true)),
    )?);
    ips.extend(icmp_echo(
        Ipv6Addr::from(c6).into(),
        Ipv6Addr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]).into(),
        T.plus_secs(2),
        7,
        1,
        &echo_data(56),
        true,
    )?);
    Framing::Raw.packets(&ips)
}

/// `null-loopback.pcap`: BSD NULL with each IPv6 address family value.
pub fn null_loopback() -> Scenario {
    Scenario::new("null-loopback", "null-loopback.pcap", null_loopback_packets)
        .describe(
            "LINKTYPE_NULL (0), µs, family in little-endian host order (a macOS utun \
             capture): TCP 10.8.0.2:44000→198.51.100.41:443 (AF 2, 100/100 B, FIN); DNS \
             [fd00::8:2]:53001→[2001:db8::53]:53 null.example.com AAAA → 2001:db8::41 \
             (AF 30, Darwin); ICMPv6 echo fd00::8:2→2001:db8::1 seq 1 with AF 24 (BSD) and \
             seq 2 with AF 28 (FreeBSD)",
            "TCP accepted FIN 6/4 pkts 364/276 B; 1 DNS transaction (id 0x4001, NOERROR, \
             AAAA 2001:db8::41), UDP flow 1/1; ICMPv6 flow 2/2 pkts 216/216 B; no \
             unsupported-family counts",
        )
        .flows(NULL_LOOPBACK)
        .dns(&[ExpectedDns {
            client: "[fd00::8:2]:53001",
            server: "[2001:db8::53]:53",
            proto: 17,
            id: 0x4001,
            qname: b"null.example.com",
            qtype: qtype::AAAA,
            rcode: Some(rcode::NOERROR),
            answers: &["AAAA 2001:db8::41"],
        }])
}

pub const NULL_LOOPBACK: &[ExpectedFlow] = &[
    session_100_100("10.8.0.2:44000", "198.51.100.41:443", [0, 0], 44),
    ExpectedFlow {
        proto: 17,
        client: "[fd00::8:2]:53001",
        server: "[2001:db8::53]:53",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        // Query 12 + 18 + 4 = 34; response + 28-byte AAAA answer.
        bytes_toserver: 4 + 48 + 34,
        bytes_toclient: 4 + 48 + 34 + 28,
        payload_toserver: 34,
        payload_toclient: 62,
        outcome: "accepted",
        end: "open",
    },
    ExpectedFlow {
        proto: 58,
        client: "[fd00::8:2]:128",
        server: "[2001:db8::1]:0",
        vlan: [0, 0],
        pkts_toserver: 2,
        pkts_toclient: 2,
        bytes_toserver: 216,
        bytes_toclient: 216,
        payload_toserver: 112,
        payload_toclient: 112,
        outcome: "accepted",
        end: "open",
    },
];

fn null_loopback_packets() -> io::Result<Vec<Packet>> {
    let c6 = [0xfd00, 0, 0, 0, 0, 0, 8, 2];
    let tcp = tcp_session(
        v4([10, 8, 0, 2], 44000),
        v4([198, 51, 100, 41], 443),
        T,
        100,
        100,
    )?;
    let mut packets = Framing::Null { inet6_family: 30 }.packets(&tcp)?;
    let q = name("null.example.com");
    let dns = dns_lookup(
        v6(c6, 53001),
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53], 53),
        T.plus_secs(1),
        0x4001,
        &q,
        qtype::AAAA,
        DnsReply::Answers(vec![DnsRecord::aaaa(
            &q,
            Ipv6Addr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x41]),
        )]),
    )?;
    packets.extend(Framing::Null { inet6_family: 30 }.packets(&dns)?);
    let server = Ipv6Addr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    for (seq, family) in [(1u16, 24u32), (2, 28)] {
        let echo = icmp_echo(
            Ipv6Addr::from(c6).into(),
            server.into(),
            T.plus_secs(1 + u64::from(seq)),
            0x0e40,
            seq,
            &echo_data(56),
            true,
        )?;
        packets.extend(
            Framing::Null {
                inet6_family: family,
            }
            .packets(&echo)?,
        );
    }
    Ok(packets)
}

// ---------------------------------------------------------------------------------------

/// `ipv6-ext.pcap`: extension headers before TCP, and a fragmented UDP datagram.
pub fn ipv6_ext() -> Scenario {
    Scenario::new("ipv6-ext", "ipv6-ext.pcap", ipv6_ext_packets)
        .describe(
            "Ethernet, µs: TCP [fd00::30]:45000→[2001:db8::30]:443 (100/100 B, FIN) with \
             hop-by-hop (Router Alert) + destination options (unknown skippable option) \
             before TCP in every packet; a 3000-byte UDP datagram \
             [fd00::30]:45001→[2001:db8::31]:7000 in 3 IPv6 fragments (1232+1232+544 \
             bytes; the first carries the UDP header)",
            "TCP flow accepted FIN 6/4 pkts 640/460 B; UDP flow from the first fragment \
             only: 1/0 pkts 1294 B, payload 3000 (UDP length); 2 non-first fragments \
             counted as ignored fragments, never as errors",
        )
        .flows(IPV6_EXT)
        .decode_errors(&[("ipv6.frag_ignored", 2)])
}

pub const IPV6_EXT: &[ExpectedFlow] = &[
    session_100_100(
        "[fd00::30]:45000",
        "[2001:db8::30]:443",
        [0, 0],
        14 + 40 + 16 + 20,
    ),
    ExpectedFlow {
        proto: 17,
        client: "[fd00::30]:45001",
        server: "[2001:db8::31]:7000",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 0,
        bytes_toserver: 1294,
        bytes_toclient: 0,
        payload_toserver: 3000,
        payload_toclient: 0,
        outcome: "unanswered",
        end: "open",
    },
];

fn ipv6_ext_packets() -> io::Result<Vec<Packet>> {
    let c = [0xfd00, 0, 0, 0, 0, 0, 0, 0x30];
    let extras = IpExtras {
        ipv6_exts: vec![
            Ipv6Ext::HopByHop(ipv6_option::ROUTER_ALERT.to_vec()),
            Ipv6Ext::DestOpts(ipv6_option::UNKNOWN_SKIPPABLE.to_vec()),
        ],
        ..IpExtras::default()
    };
    let mut ips = TcpSession::new(
        v6(c, 45000),
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x30], 443),
        T,
    )
    .bytes(100, 100)
    .extras(extras)
    .build()?;
    let (src, dst) = (
        Ipv6Addr::from(c),
        Ipv6Addr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x31]),
    );
    let datagram = build::udp(
        src.into(),
        dst.into(),
        45001,
        7000,
        &super::session::filler(3000, 5),
    )?;
    let frags = build::ipv6_fragments(
        src,
        dst,
        ipproto::UDP,
        64,
        &[],
        0x6a1d_0001,
        &datagram,
        1232,
    )?;
    for (i, ip) in frags.into_iter().enumerate() {
        ips.push(IpPacket {
            ts: T.plus_secs(1).plus_micros(10 * i as u64),
            dir: Dir::ToServer,
            ip,
        });
    }
    Framing::ethernet().packets(&ips)
}

/// `ipv4-frag-options.pcap`: IPv4 options (IHL 6 and 15) and a datagram in 3 fragments.
pub fn ipv4_frag_options() -> Scenario {
    Scenario::new(
        "ipv4-frag-options",
        "ipv4-frag-options.pcap",
        ipv4_frag_options_packets,
    )
    .describe(
        "Ethernet, µs: TCP 10.0.5.10:46000→198.51.100.50:443 (100/100 B, FIN) with a \
             Router Alert option in every IPv4 header (IHL 6); ICMP echo \
             10.0.5.10→198.51.100.51 with a full Record Route option (IHL 15, 60-byte \
             header); a 3000-byte UDP datagram 10.0.5.10:55000→203.0.113.60:9000 in 3 \
             fragments (1480+1480+48 bytes; the first carries the UDP header)",
        "TCP flow accepted FIN 6/4 pkts 448/332 B; ICMP flow 1/1 138/138 B; UDP flow \
             from the first fragment only: 1/0 pkts 1514 B, payload 3000 (UDP length); 2 \
             non-first fragments counted as ignored fragments",
    )
    .flows(IPV4_FRAG_OPTIONS)
    .decode_errors(&[("ipv4.frag_ignored", 2)])
}

pub const IPV4_FRAG_OPTIONS: &[ExpectedFlow] = &[
    session_100_100("10.0.5.10:46000", "198.51.100.50:443", [0, 0], 14 + 24 + 20),
    ExpectedFlow {
        proto: 1,
        client: "10.0.5.10:8",
        server: "198.51.100.51:0",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 138,
        bytes_toclient: 138,
        payload_toserver: 56,
        payload_toclient: 56,
        outcome: "accepted",
        end: "open",
    },
    ExpectedFlow {
        proto: 17,
        client: "10.0.5.10:55000",
        server: "203.0.113.60:9000",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 0,
        bytes_toserver: 1514,
        bytes_toclient: 0,
        payload_toserver: 3000,
        payload_toclient: 0,
        outcome: "unanswered",
        end: "open",
    },
];

fn ipv4_frag_options_packets() -> io::Result<Vec<Packet>> {
    let c = [10, 0, 5, 10];
    let mut ips = TcpSession::new(v4(c, 46000), v4([198, 51, 100, 50], 443), T)
        .bytes(100, 100)
        .extras(IpExtras {
            ipv4_options: ipv4_option::ROUTER_ALERT.to_vec(),
            ..IpExtras::default()
        })
        .build()?;
    let mut echo = Conversation::new(v4(c, 0), v4([198, 51, 100, 51], 0)).with_extras(IpExtras {
        ipv4_options: ipv4_option::record_route_full(),
        ..IpExtras::default()
    });
    let t = T.plus_secs(1);
    echo.icmp_echo(t, Dir::ToServer, 0x0c01, 1, &echo_data(56))?;
    echo.icmp_echo(t.plus_millis(20), Dir::ToClient, 0x0c01, 1, &echo_data(56))?;
    ips.extend(echo.into_packets());
    let (src, dst) = (Ipv4Addr::from(c), Ipv4Addr::new(203, 0, 113, 60));
    let datagram = build::udp(
        src.into(),
        dst.into(),
        55000,
        9000,
        &super::session::filler(3000, 7),
    )?;
    let spec = Ipv4Spec {
        id: 0x5a5a,
        ..Ipv4Spec::default()
    };
    let frags = build::ipv4_fragments(src, dst, ipproto::UDP, &spec, &datagram, 1480)?;
    for (i, ip) in frags.into_iter().enumerate() {
        ips.push(IpPacket {
            ts: T.plus_secs(2).plus_micros(10 * i as u64),
            dir: Dir::ToServer,
            ip,
        });
    }
    Framing::ethernet().packets(&ips)
}

// ---------------------------------------------------------------------------------------

/// `tunnels.pcap`: a TCP session in GRE and a DNS lookup in VXLAN.
pub fn tunnels() -> Scenario {
    Scenario::new("tunnels", "tunnels.pcap", tunnels_packets)
        .describe(
            "Ethernet, µs: TCP 10.0.6.10:47000→198.51.100.60:443 (100/100 B, FIN) inside \
             GRE v0 between 192.168.100.1 and 192.168.100.2; DNS 10.0.7.10:53007→10.0.0.53 \
             vxlan.example.com A → 198.51.100.61 inside VXLAN VNI 42 (UDP 4789) between \
             192.168.200.1 and 192.168.200.2",
            "the inner flows: TCP accepted FIN 6/4 pkts 568/412 B (whole frames); UDP \
             1/1 pkts 127/143 B; 1 DNS transaction (id 0x5001, NOERROR, A 198.51.100.61); \
             no flow for the outer GRE or VXLAN headers",
        )
        .flows(TUNNELS)
        .dns(&[ExpectedDns {
            client: "10.0.7.10:53007",
            server: "10.0.0.53:53",
            proto: 17,
            id: 0x5001,
            qname: b"vxlan.example.com",
            qtype: qtype::A,
            rcode: Some(rcode::NOERROR),
            answers: &["A 198.51.100.61"],
        }])
}

pub const TUNNELS: &[ExpectedFlow] = &[
    session_100_100(
        "10.0.6.10:47000",
        "198.51.100.60:443",
        [0, 0],
        14 + 20 + 4 + 40,
    ),
    ExpectedFlow {
        proto: 17,
        client: "10.0.7.10:53007",
        server: "10.0.0.53:53",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 127,
        bytes_toclient: 143,
        payload_toserver: 35,
        payload_toclient: 51,
        outcome: "accepted",
        end: "open",
    },
];

fn tunnels_packets() -> io::Result<Vec<Packet>> {
    let tcp = tcp_session(
        v4([10, 0, 6, 10], 47000),
        v4([198, 51, 100, 60], 443),
        T,
        100,
        100,
    )?;
    let gre = Framing::Gre {
        outer_client: Ipv4Addr::new(192, 168, 100, 1),
        outer_server: Ipv4Addr::new(192, 168, 100, 2),
    };
    let mut packets = gre.packets(&tcp)?;
    let q = name("vxlan.example.com");
    let dns = dns_lookup(
        v4([10, 0, 7, 10], 53007),
        resolver(),
        T.plus_secs(1),
        0x5001,
        &q,
        qtype::A,
        DnsReply::Answers(vec![DnsRecord::a(&q, Ipv4Addr::new(198, 51, 100, 61))]),
    )?;
    let vxlan = Framing::Vxlan {
        outer_client: Ipv4Addr::new(192, 168, 200, 1),
        outer_server: Ipv4Addr::new(192, 168, 200, 2),
        vni: 42,
    };
    packets.extend(vxlan.packets(&dns)?);
    Ok(packets)
}

// ---------------------------------------------------------------------------------------

static MIXED_INTERFACES: [Interface; 2] = [
    Interface {
        linktype: LinkType::ETHERNET,
        snaplen: 262_144,
        resolution: TsResolution::Micro,
        name: Some("eth0"),
    },
    Interface {
        linktype: LinkType::RAW,
        snaplen: 262_144,
        resolution: TsResolution::Nano,
        name: Some("tun0"),
    },
];

/// `mixed-linktypes.pcapng`: two interfaces of different link types, interleaved.
pub fn mixed_linktypes() -> Scenario {
    Scenario::new(
        "mixed-linktypes",
        "mixed-linktypes.pcapng",
        mixed_linktypes_packets,
    )
    .pcapng(&MIXED_INTERFACES)
    .describe(
        "pcapng, interface 0 eth0 Ethernet (µs, no if_tsresol), interface 1 tun0 raw \
             IP (if_tsresol 9, ns), packets interleaved: on eth0 TCP \
             10.0.8.10:48000→198.51.100.70:443 (100/100 B, FIN) from T; on tun0 DNS \
             10.0.8.11:53008→10.0.0.53 pcapng.example.com A → 198.51.100.70 at \
             T+10.000789 ms and NTP 10.0.8.11:50200→203.0.113.70:123 at T+25.000789 ms",
        "3 flows: TCP accepted FIN 6/4 pkts 424/316 B; DNS UDP 1/1 pkts 64/80 B and 1 \
             DNS transaction (id 0x6001, NOERROR, A 198.51.100.70); NTP UDP 1/1 76/76 B; \
             packet times in order, the tun0 ones at µs precision (…789 ns truncated)",
    )
    .flows(MIXED_LINKTYPES)
    .dns(&[ExpectedDns {
        client: "10.0.8.11:53008",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x6001,
        qname: b"pcapng.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.70"],
    }])
}

pub const MIXED_LINKTYPES: &[ExpectedFlow] = &[
    session_100_100("10.0.8.10:48000", "198.51.100.70:443", [0, 0], 54),
    ExpectedFlow {
        proto: 17,
        client: "10.0.8.11:53008",
        server: "10.0.0.53:53",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 64,
        bytes_toclient: 80,
        payload_toserver: 36,
        payload_toclient: 52,
        outcome: "accepted",
        end: "open",
    },
    ExpectedFlow {
        proto: 17,
        client: "10.0.8.11:50200",
        server: "203.0.113.70:123",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 76,
        bytes_toclient: 76,
        payload_toserver: 48,
        payload_toclient: 48,
        outcome: "accepted",
        end: "open",
    },
];

fn mixed_linktypes_packets() -> io::Result<Vec<Packet>> {
    let tcp = tcp_session(
        v4([10, 0, 8, 10], 48000),
        v4([198, 51, 100, 70], 443),
        T,
        100,
        100,
    )?;
    let mut packets = Framing::ethernet().packets(&tcp)?;
    let q = name("pcapng.example.com");
    let mut raw = dns_lookup(
        v4([10, 0, 8, 11], 53008),
        resolver(),
        T.plus_millis(10).plus_nanos(789),
        0x6001,
        &q,
        qtype::A,
        DnsReply::Answers(vec![DnsRecord::a(&q, Ipv4Addr::new(198, 51, 100, 70))]),
    )?;
    raw.extend(udp_exchange(
        v4([10, 0, 8, 11], 50200),
        v4([203, 0, 113, 70], 123),
        T.plus_millis(25).plus_nanos(789),
        &ntp(false),
        Some(&ntp(true)),
    )?);
    packets.extend(Framing::Raw.packets(&raw)?);
    sort_by_time(&mut packets);
    Ok(packets)
}

// ---------------------------------------------------------------------------------------

/// `nanosecond.pcap`: nanosecond magic, timestamps with sub-microsecond digits.
pub fn nanosecond() -> Scenario {
    Scenario::new("nanosecond", "nanosecond.pcap", || {
        let ips = tcp_session(
            v4([10, 0, 9, 10], 49000),
            v4([198, 51, 100, 80], 443),
            T.plus_nanos(123_456_789),
            100,
            100,
        )?;
        Framing::ethernet().packets(&ips)
    })
    .nanosecond()
    .describe(
        "Ethernet, nanosecond magic 0xa1b23c4d: TCP 10.0.9.10:49000→198.51.100.80:443 \
         (100/100 B, FIN), first packet at 1795341600.123456789",
        "TCP accepted FIN 6/4 pkts 424/316 B; flow start 2026-11-22T10:00:00.123456 \
         (ns read as ns, not as µs)",
    )
    .flows(NANOSECOND)
}

pub const NANOSECOND: &[ExpectedFlow] = &[session_100_100(
    "10.0.9.10:49000",
    "198.51.100.80:443",
    [0, 0],
    54,
)];

// ---------------------------------------------------------------------------------------

/// The packets of `multi/`: a DNS lookup and a TCP session, later split in two files.
fn multi_packets() -> io::Result<Vec<Packet>> {
    let c = [10, 0, 10, 10];
    let q = name("multi.example.com");
    let mut ips = dns_lookup(
        v4(c, 53010),
        resolver(),
        T,
        0x7001,
        &q,
        qtype::A,
        DnsReply::Answers(vec![DnsRecord::a(&q, Ipv4Addr::new(198, 51, 100, 90))]),
    )?;
    ips.extend(tcp_session(
        v4(c, 49100),
        v4([198, 51, 100, 90], 443),
        T.plus_secs(1),
        300,
        2000,
    )?);
    Framing::ethernet().packets(&ips)
}

/// Packets of `multi/b-first.pcap`: the lookup and the session up to its first data
/// segment down (8 packets).
const MULTI_SPLIT: usize = 8;

pub const MULTI: &[ExpectedFlow] = &[
    ExpectedFlow {
        proto: 17,
        client: "10.0.10.10:53010",
        server: "10.0.0.53:53",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 1,
        bytes_toserver: 77,
        bytes_toclient: 93,
        payload_toserver: 35,
        payload_toclient: 51,
        outcome: "accepted",
        end: "open",
    },
    ExpectedFlow {
        proto: 6,
        client: "10.0.10.10:49100",
        server: "198.51.100.90:443",
        vlan: [0, 0],
        pkts_toserver: 6,
        pkts_toclient: 5,
        bytes_toserver: 624,
        bytes_toclient: 2270,
        payload_toserver: 300,
        payload_toclient: 2000,
        outcome: "accepted",
        end: "fin",
    },
];

/// `multi/b-first.pcap`: the earlier half of `multi/`.
pub fn multi_b_first() -> Scenario {
    Scenario::new("multi-b-first", "multi/b-first.pcap", || {
        let mut p = multi_packets()?;
        p.truncate(MULTI_SPLIT);
        Ok(p)
    })
    .describe(
        "first half (by time) of `multi/`: DNS 10.0.10.10:53010→10.0.0.53 \
         multi.example.com A → 198.51.100.90 at T, then TCP \
         10.0.10.10:49100→198.51.100.90:443 from T+1 s: SYN, SYN-ACK, ACK, 300 B up, ACK, \
         first 1400 B down (8 packets)",
        "read with `-r pcaps/multi/` (files ordered by first-packet time, b-first before \
         a-second): 1 DNS transaction (0x7001) and one TCP flow accepted FIN 6/5 pkts \
         624/2270 B; in name order the TCP flow would start mid-stream",
    )
    .flows(MULTI)
    .dns(&[ExpectedDns {
        client: "10.0.10.10:53010",
        server: "10.0.0.53:53",
        proto: 17,
        id: 0x7001,
        qname: b"multi.example.com",
        qtype: qtype::A,
        rcode: Some(rcode::NOERROR),
        answers: &["A 198.51.100.90"],
    }])
}

/// `multi/a-second.pcap`: the later half of `multi/`.
pub fn multi_a_second() -> Scenario {
    Scenario::new("multi-a-second", "multi/a-second.pcap", || {
        let p = multi_packets()?;
        Ok(p.into_iter().skip(MULTI_SPLIT).collect())
    })
    .describe(
        "second half (by time) of `multi/`: the rest of the TCP session (600 B down, ACK, \
         FIN, FIN, ACK; 5 packets), all later than every packet of b-first.pcap",
        "alone: a mid-stream TCP flow; with `multi/b-first.pcap` in time order: see that \
         line",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_files_are_in_time_order_by_first_packet_not_by_name() {
        let first = multi_b_first().packets().unwrap();
        let second = multi_a_second().packets().unwrap();
        let last_of_first = first.iter().map(|p| p.ts).max().unwrap();
        assert!(second.iter().all(|p| p.ts > last_of_first));
        assert!(multi_a_second().file < multi_b_first().file);
        assert_eq!(first.len() + second.len(), 13);
    }

    #[test]
    fn odd_qname_constant_matches_the_name_on_the_wire() {
        assert_eq!(odd_name().to_bytes(), ODD_QNAME);
    }
}
