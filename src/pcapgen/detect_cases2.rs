//! The detector test captures of issue 4 (`pcaps/detect/`): the seeds' relay (T1583.005
//! test 2), scan (T1583.005 test 4) and outbound-burst (T1584.005 test 3) cases, an ORB
//! relay node, inbound floods (HTTP, SSH brute force, UDP amplification), and benign
//! look-alikes on which nothing may fire (a busy server under the flood thresholds, a web
//! server with a database and an API behind it, a client with many 443 connections).
//!
//! Internal hosts are 10.2.0.x and 192.168.2.x; external ones are in 198.51.100.0/24 and
//! 203.0.113.0/24, plus 8.8.8.8 where the seed case names it. Every random choice comes
//! from [`Rng::for_scenario`] with the scenario's name, so the files are byte-identical on
//! every run. Times are whole milliseconds after [`Ts::BASE`]; every flood lies inside
//! one aligned 5-minute bin (10:00:00–10:05:00).

use super::dns::{qtype, DnsRecord, DomainName};
use super::scenario::{ExpectedDns, Scenario};
use super::session::{
    dns_lookup_tcp, tcp_refused, tcp_session, tcp_unanswered, Close, Conversation, Dir, DnsReply,
    Framing, IpPacket, TcpSession,
};
use super::{nth, sort_by_time, Packet, Rng, Ts};
use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

const MIN: u64 = 60_000;

fn v4(a: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((a, port))
}

fn ip4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

/// `ms` milliseconds after the base time.
fn at(ms: u64) -> Ts {
    Ts::BASE.plus_millis(ms)
}

/// Ethernet frames in time order.
fn frames(ips: &[IpPacket]) -> io::Result<Vec<Packet>> {
    let mut p = Framing::ethernet().packets(ips)?;
    sort_by_time(&mut p);
    Ok(p)
}

/// `n` sorted random times (ms) in `lo..hi`.
fn random_times(rng: &mut Rng, n: usize, lo: u64, hi: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n).map(|_| rng.range(lo, hi)).collect();
    v.sort_unstable();
    v
}

/// `n` distinct external addresses: the last octet in `lo..hi` of `net` (198.51.100 or
/// 203.0.113), or of either when `net` is `None`, and none of `avoid`.
fn distinct_hosts(
    rng: &mut Rng,
    n: usize,
    net: Option<[u8; 3]>,
    lo: u8,
    hi: u8,
    avoid: &[[u8; 4]],
) -> Vec<[u8; 4]> {
    let mut v: Vec<[u8; 4]> = Vec::with_capacity(n);
    while v.len() < n {
        let p = net.unwrap_or(if rng.chance(0.5) {
            [198, 51, 100]
        } else {
            [203, 0, 113]
        });
        let a = [
            p[0],
            p[1],
            p[2],
            rng.range(u64::from(lo), u64::from(hi)) as u8,
        ];
        if !v.contains(&a) && !avoid.contains(&a) {
            v.push(a);
        }
    }
    v
}

/// Ephemeral client ports, never the same (address, port) twice in one capture, so no
/// two connections share a 5-tuple.
#[derive(Default)]
struct Ports(HashSet<(IpAddr, u16)>);

impl Ports {
    fn next(&mut self, rng: &mut Rng, ip: IpAddr) -> SocketAddr {
        loop {
            let p = rng.ephemeral_port();
            if self.0.insert((ip, p)) {
                return SocketAddr::new(ip, p);
            }
        }
    }
}

/// Which of `n_sources` made each of `n` connections: every source at least once, the
/// rest at random; shuffled.
fn spread(rng: &mut Rng, n: usize, n_sources: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n)
        .map(|i| {
            if i < n_sources {
                i
            } else {
                rng.below(n_sources as u64) as usize
            }
        })
        .collect();
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i as u64 + 1) as usize);
    }
    v
}

/// `x` ± up to `pct` % (uniform).
fn about(rng: &mut Rng, x: u64, pct: u64) -> u64 {
    let j = x * pct / 100;
    x - j + rng.below(2 * j + 1)
}

// --- relay ----------------------------------------------------------------------------------

const SEED_RELAY: &str = "detect-seed-t1583-2-relay";

/// Seeds' T1583.005 test 2: inbound on 19876, then outbound to 8.8.8.8:53, four times.
pub fn seed_t1583_2_relay() -> Scenario {
    Scenario::new(
        SEED_RELAY,
        "detect/seed-t1583-2-relay.pcap",
        seed_t1583_2_relay_packets,
    )
    .describe(
        "seeds' T1583.005 test 2, 4 times over ~14 min (at 4-minute marks + 0–20 s): an external \
         source (198.51.100.10, .11, .12, .13 in turn) opens a TCP session to \
         10.2.0.10:19876 (accepted; 64–128 B up, 32–64 B down, FIN), and 20–120 s later \
         10.2.0.10 opens a TCP session to 8.8.8.8:53 (accepted; one DNS-over-TCP A query \
         for www.example.com, NOERROR, FIN)",
        "with the default config no alert (the outbound leg's port 53 is in \
         `detect.relay.excluded_ports`); with `detect.relay.excluded_ports = []` a `relay` \
         alert for host 10.2.0.10 (raised at the 3rd of the 4 relay events: inbound \
         sources among 198.51.100.10–13, outbound target 8.8.8.8:53/tcp, port pair \
         19876→53, Medium) and no other alert",
    )
    .dns(SEED_RELAY_DNS)
}

/// The relay's outbound legs as DNS transactions (DNS over TCP to 8.8.8.8).
const SEED_RELAY_DNS: &[ExpectedDns] = &[
    relay_dns("10.2.0.10:40891", 29608),
    relay_dns("10.2.0.10:38592", 45471),
    relay_dns("10.2.0.10:59696", 40049),
    relay_dns("10.2.0.10:55810", 31863),
];

const fn relay_dns(client: &'static str, id: u16) -> ExpectedDns {
    ExpectedDns {
        client,
        server: "8.8.8.8:53",
        proto: 6,
        id,
        qname: b"www.example.com",
        qtype: qtype::A,
        rcode: Some(0),
        answers: &["A 203.0.113.80"],
    }
}

fn seed_t1583_2_relay_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SEED_RELAY);
    let mut ports = Ports::default();
    let relay = ip4([10, 2, 0, 10]);
    let name = DomainName::parse("www.example.com");
    let mut ips = Vec::new();
    for k in 0..4u8 {
        let t_in = u64::from(k) * 4 * MIN + rng.range(0, 20_001);
        let src = ports.next(&mut rng, ip4([198, 51, 100, 10 + k]));
        let (up, down) = (rng.range(64, 129) as usize, rng.range(32, 65) as usize);
        ips.extend(tcp_session(
            src,
            SocketAddr::new(relay, 19876),
            at(t_in),
            up,
            down,
        )?);
        let t_out = t_in + rng.range(20_000, 120_001);
        let answer = DnsRecord::a(&name, Ipv4Addr::new(203, 0, 113, 80));
        let id = rng.next_u16();
        ips.extend(dns_lookup_tcp(
            ports.next(&mut rng, relay),
            v4([8, 8, 8, 8], 53),
            at(t_out),
            id,
            &name,
            qtype::A,
            DnsReply::Answers(vec![answer]),
        )?);
    }
    frames(&ips)
}

const ORB: &str = "detect-relay-orb";
/// The ORB case's outbound ports, in turn.
const ORB_PORTS: [u16; 3] = [9001, 1194, 8080];

/// An operational-relay-box node: 6 inbound legs on 8443, each forwarded elsewhere.
pub fn relay_orb() -> Scenario {
    Scenario::new(ORB, "detect/relay-orb.pcap", relay_orb_packets).describe(
        "6 relay events over ~17 min (at 3-minute marks + 0–30 s): an external source (6 \
         distinct, 198.51.100.x) opens a TCP session to 10.2.0.11:8443 (accepted; 400–1200 B \
         up, 600–2000 B down, FIN), and 1–60 s later 10.2.0.11 opens a TCP session to a \
         different external target (6 distinct, 203.0.113.x) on port 9001, 1194, 8080 in \
         turn (each twice), carrying the inbound leg's byte counts ± 3 % each way",
        "`relay` alert: host 10.2.0.11 (6 relay events, 6 inbound sources, 6 outbound \
         targets, so High under the seeds' > 5 / > 5 rule; delays 1–60 s, byte-symmetric \
         legs, port pairs 8443→9001/1194/8080); no other alert",
    )
}

fn relay_orb_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(ORB);
    let mut ports = Ports::default();
    let relay = ip4([10, 2, 0, 11]);
    let sources = distinct_hosts(&mut rng, 6, Some([198, 51, 100]), 20, 250, &[]);
    let targets = distinct_hosts(&mut rng, 6, Some([203, 0, 113]), 20, 250, &[]);
    let mut ips = Vec::new();
    for (k, (s, d)) in sources.iter().zip(&targets).enumerate() {
        let t_in = k as u64 * 3 * MIN + rng.range(0, 30_001);
        let up = rng.range(400, 1201);
        let down = rng.range(600, 2001);
        ips.extend(tcp_session(
            ports.next(&mut rng, ip4(*s)),
            SocketAddr::new(relay, 8443),
            at(t_in),
            up as usize,
            down as usize,
        )?);
        let t_out = t_in + rng.range(1_000, 60_001);
        let (o_up, o_down) = (about(&mut rng, up, 3), about(&mut rng, down, 3));
        ips.extend(tcp_session(
            ports.next(&mut rng, relay),
            v4(*d, super::cycle(&ORB_PORTS, k)),
            at(t_out),
            o_up as usize,
            o_down as usize,
        )?);
    }
    frames(&ips)
}

// --- scan and outbound burst ------------------------------------------------------------------

const SEED_SCAN: &str = "detect-seed-t1583-4-scan-22";
/// Of the scan's 30 targets: how many accept (SYN-ACK) and how many refuse (RST).
const SCAN_ACCEPTED: usize = 4;
const SCAN_REFUSED: usize = 6;

/// Seeds' T1583.005 test 4: one host to 30 addresses on port 22.
pub fn seed_t1583_4_scan_22() -> Scenario {
    Scenario::new(
        SEED_SCAN,
        "detect/seed-t1583-4-scan-22.pcap",
        seed_t1583_4_scan_22_packets,
    )
    .describe(
        "seeds' T1583.005 test 4: 10.2.0.12 sends one SYN to each of 30 unique addresses in \
         203.0.113.0/24 on port 22, one every 2 s ± 0.5 s over ~1 min (random order); 4 \
         answer SYN-ACK (the scanner ACKs and resets), 6 answer RST, 20 never answer",
        "`scan` alert: src 10.2.0.12, dest port 22/tcp (30 unique external targets in \
         203.0.113.0/24 within ~1 min, answered or not); no other alert",
    )
}

fn seed_t1583_4_scan_22_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SEED_SCAN);
    let mut ports = Ports::default();
    let scanner = ip4([10, 2, 0, 12]);
    let targets = distinct_hosts(&mut rng, 30, Some([203, 0, 113]), 1, 255, &[]);
    let mut ips = Vec::new();
    let mut t = 500;
    for (i, a) in targets.iter().enumerate() {
        let c = ports.next(&mut rng, scanner);
        let s = v4(*a, 22);
        ips.extend(if i < SCAN_ACCEPTED {
            TcpSession::new(c, s, at(t))
                .close(Close::ClientRst)
                .build()?
        } else if i < SCAN_ACCEPTED + SCAN_REFUSED {
            tcp_refused(c, s, at(t))?
        } else {
            tcp_unanswered(c, s, at(t), 0)?
        });
        t += rng.range(1_500, 2_501);
    }
    frames(&ips)
}

const SEED_BURST: &str = "detect-seed-t1584-3-burst";
/// The ports of the burst's target that accept.
const BURST_OPEN: [u16; 3] = [22, 80, 443];

/// Seeds' T1584.005 test 3: 150 rapid attempts on 150 ports of one host.
pub fn seed_t1584_3_burst() -> Scenario {
    Scenario::new(
        SEED_BURST,
        "detect/seed-t1584-3-burst.pcap",
        seed_t1584_3_burst_packets,
    )
    .describe(
        "seeds' T1584.005 test 3: 10.2.0.13 makes 150 TCP connection attempts to \
         198.51.100.200, one every 20 ms ± 5 ms (~3 s), each to a different port in 1–1024 \
         (random order; 22, 80 and 443 among them); 147 are refused (RST-ACK), the 3 on \
         22/80/443 accepted and reset by the client",
        "`outbound_burst` alert: src 10.2.0.13 (over 100 attempts, 150 in all within ~3 s, \
         each to a new destination port, one target 198.51.100.200: a port sweep of one \
         target, not a flood); no other alert",
    )
}

fn seed_t1584_3_burst_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SEED_BURST);
    let mut ports = Ports::default();
    let client = ip4([10, 2, 0, 13]);
    let mut dports: Vec<u16> = BURST_OPEN.to_vec();
    while dports.len() < 150 {
        let p = rng.range(1, 1025) as u16;
        if !dports.contains(&p) {
            dports.push(p);
        }
    }
    for i in (1..dports.len()).rev() {
        dports.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut ips = Vec::new();
    let mut t = 1_000;
    for p in dports {
        let c = ports.next(&mut rng, client);
        let s = v4([198, 51, 100, 200], p);
        ips.extend(if BURST_OPEN.contains(&p) {
            TcpSession::new(c, s, at(t))
                .close(Close::ClientRst)
                .build()?
        } else {
            tcp_refused(c, s, at(t))?
        });
        t += rng.range(15, 26);
    }
    frames(&ips)
}

// --- inbound floods -------------------------------------------------------------------------

/// `n` short inbound TCP sessions from `n_sources` distinct external addresses to
/// `server`, at random times in `lo..hi` ms, each built by `session`.
fn inbound_flood(
    rng: &mut Rng,
    n: usize,
    n_sources: usize,
    server: SocketAddr,
    (lo, hi): (u64, u64),
    session: impl Fn(TcpSession) -> TcpSession,
) -> io::Result<Vec<IpPacket>> {
    let mut ports = Ports::default();
    let sources = distinct_hosts(rng, n_sources, None, 1, 255, &[]);
    let who = spread(rng, n, n_sources);
    let times = random_times(rng, n, lo, hi);
    let mut ips = Vec::new();
    for (ms, i) in times.into_iter().zip(who) {
        let c = ports.next(rng, ip4(nth(&sources, i)?));
        ips.extend(session(TcpSession::new(c, server, at(ms))).build()?);
    }
    Ok(ips)
}

const HTTP_FLOOD: &str = "detect-inbound-http-flood";

/// 600 GETs from 60 sources to one internal web server in 3 min.
pub fn inbound_http_flood() -> Scenario {
    Scenario::new(
        HTTP_FLOOD,
        "detect/inbound-http-flood.pcap",
        inbound_http_flood_packets,
    )
    .describe(
        "600 TCP connections from 60 distinct external sources (198.51.100.x, 203.0.113.x; \
         each at least once, the rest at random) to 10.2.0.80:80 at random times between \
         10:00:20 and 10:03:20: handshake, `GET / HTTP/1.1` with a Host header (35 B), \
         server ACK, client RST-ACK",
        "`inbound_flood` alert: dest 10.2.0.80:80/tcp, category \"HTTP Flood / Web Attack\" \
         (60 unique sources, 600 connections in one 5-minute bin); no other alert",
    )
}

fn inbound_http_flood_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(HTTP_FLOOD);
    let get = b"GET / HTTP/1.1\r\nHost: 10.2.0.80\r\n\r\n".to_vec();
    let ips = inbound_flood(
        &mut rng,
        600,
        60,
        v4([10, 2, 0, 80], 80),
        (20_000, 200_000),
        |s| s.data(get.clone(), Vec::new()).close(Close::ClientRst),
    )?;
    frames(&ips)
}

const SSH_BRUTE: &str = "detect-inbound-ssh-bruteforce";

/// 520 short SSH connections from 55 sources in 4 min.
pub fn inbound_ssh_bruteforce() -> Scenario {
    Scenario::new(
        SSH_BRUTE,
        "detect/inbound-ssh-bruteforce.pcap",
        inbound_ssh_bruteforce_packets,
    )
    .describe(
        "520 short TCP connections from 55 distinct external sources (198.51.100.x, \
         203.0.113.x) to 10.2.0.22:22 at random times between 10:00:20 and 10:04:20: \
         handshake, client banner `SSH-2.0-libssh2_1.10.0` up, server banner \
         `SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10` down, client RST-ACK",
        "`inbound_flood` alert: dest 10.2.0.22:22/tcp, category \"Credential Stuffing / \
         Brute Force\" (55 unique sources, 520 connections in one 5-minute bin); no other \
         alert",
    )
}

fn inbound_ssh_bruteforce_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SSH_BRUTE);
    let up = b"SSH-2.0-libssh2_1.10.0\r\n".to_vec();
    let down = b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n".to_vec();
    let ips = inbound_flood(
        &mut rng,
        520,
        55,
        v4([10, 2, 0, 22], 22),
        (20_000, 260_000),
        |s| s.data(up.clone(), down.clone()).close(Close::ClientRst),
    )?;
    frames(&ips)
}

const UDP_AMP: &str = "detect-udp-amplification";
/// Packets and distinct reflectors of the amplification case.
const AMP_PACKETS: usize = 2000;
const AMP_SOURCES: usize = 300;

/// Reflected NTP and CLDAP responses at one internal address.
pub fn udp_amplification() -> Scenario {
    Scenario::new(
        UDP_AMP,
        "detect/udp-amplification.pcap",
        udp_amplification_packets,
    )
    .describe(
        "UDP reflection: 2000 unsolicited UDP packets from 300 distinct external reflectors \
         (198.51.100.x, 203.0.113.x; each at least once; about half NTP from source port 123 \
         with a mode-7 monlist response header, half CLDAP from source port 389 with an \
         LDAP searchResEntry header; 60–140 B payloads) to 10.2.0.90 on random destination \
         ports 1024–65535 at random times between 10:00:10 and 10:02:10; nothing answers",
        "`inbound_flood` alert: dest 10.2.0.90, category \"Volumetric Flood\" (aggregated \
         per destination address over all ports, proto UDP: 300 unique sources, 2000 \
         packets in one 5-minute bin); no other alert",
    )
}

fn udp_amplification_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(UDP_AMP);
    let victim = ip4([10, 2, 0, 90]);
    let sources = distinct_hosts(&mut rng, AMP_SOURCES, None, 1, 255, &[]);
    let sports: Vec<u16> = (0..AMP_SOURCES)
        .map(|_| if rng.chance(0.5) { 123 } else { 389 })
        .collect();
    let who = spread(&mut rng, AMP_PACKETS, AMP_SOURCES);
    let times = random_times(&mut rng, AMP_PACKETS, 10_000, 130_000);
    let mut used = HashSet::new();
    let mut ips = Vec::new();
    for (ms, i) in times.into_iter().zip(who) {
        let dport = loop {
            let p = rng.range(1024, 65_536) as u16;
            if used.insert((i, p)) {
                break p;
            }
        };
        let len = rng.range(60, 141) as usize;
        let (source, sport) = (nth(&sources, i)?, nth(&sports, i)?);
        let mut payload = if sport == 123 {
            // NTP mode 7 response, implementation 3 (XNTPD), request 42 (MON_GETLIST_1).
            vec![0xd7, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48]
        } else {
            // LDAP message (SEQUENCE), messageID 1, searchResEntry (APPLICATION 4).
            vec![
                0x30, 0x84, 0x00, 0x00, 0x0b, 0xb8, 0x02, 0x01, 0x01, 0x64, 0x84,
            ]
        };
        payload.extend(rng.bytes(len - payload.len()));
        // The reflector is the "client" of this one-packet conversation.
        let mut c = Conversation::new(v4(source, sport), SocketAddr::new(victim, dport));
        c.udp(at(ms), Dir::ToServer, &payload)?;
        ips.extend(c.into_packets());
    }
    frames(&ips)
}

// --- benign: nothing may fire -----------------------------------------------------------------

const BUSY: &str = "detect-benign-busy-server";

/// A busy HTTPS server under the flood thresholds.
pub fn benign_busy_server() -> Scenario {
    Scenario::new(
        BUSY,
        "detect/benign-busy-server.pcap",
        benign_busy_server_packets,
    )
    .describe(
        "10.2.0.50:443 serves 40 distinct external clients (198.51.100.x, 203.0.113.x): 300 \
         TCP sessions over 10 min (each client at least once, the rest at random; 60–200 B \
         up, 100–400 B down, FIN), at most 161 in any 5 minutes; and 10.2.0.50 makes 3 \
         outbound TCP sessions to 198.51.100.250:443 at random times",
        "no alert (under the > 50 sources and > 500 connections flood thresholds; the \
         outbound 443 legs are excluded from relay)",
    )
}

fn benign_busy_server_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(BUSY);
    let mut ports = Ports::default();
    let server = ip4([10, 2, 0, 50]);
    let upstream = [198, 51, 100, 250];
    let clients = distinct_hosts(&mut rng, 40, None, 1, 250, &[upstream]);
    let who = spread(&mut rng, 300, 40);
    let times = random_times(&mut rng, 300, 0, 10 * MIN);
    let mut ips = Vec::new();
    for (ms, i) in times.into_iter().zip(who) {
        let c = ports.next(&mut rng, ip4(nth(&clients, i)?));
        let (up, down) = (rng.range(60, 201), rng.range(100, 401));
        ips.extend(tcp_session(
            c,
            SocketAddr::new(server, 443),
            at(ms),
            up as usize,
            down as usize,
        )?);
    }
    for ms in random_times(&mut rng, 3, 0, 10 * MIN) {
        let c = ports.next(&mut rng, server);
        ips.extend(tcp_session(c, v4(upstream, 443), at(ms), 300, 600)?);
    }
    frames(&ips)
}

const WEB_DB: &str = "detect-benign-web-db";

/// A web server that queries its database and an external API for each request.
pub fn benign_web_db() -> Scenario {
    Scenario::new(WEB_DB, "detect/benign-web-db.pcap", benign_web_db_packets).describe(
        "web server 10.2.0.60 accepts 20 inbound TCP 443 sessions from 20 distinct external \
         clients (198.51.100.x, 203.0.113.x) at random times over 20 min (200–500 B up, \
         400–1200 B down, FIN); 50–500 ms after each it opens a TCP session to the internal \
         database 10.2.0.61:5432 (80–200 B up, 100–600 B down) and 100–2000 ms after each \
         one to the external API 203.0.113.5:443 (150–400 B up, 200–800 B down)",
        "no alert (the outbound legs go to an internal address or to port 443, so no relay; \
         20 aperiodic API calls in 20 min are no beacon)",
    )
}

fn benign_web_db_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(WEB_DB);
    let mut ports = Ports::default();
    let web = ip4([10, 2, 0, 60]);
    let api = [203, 0, 113, 5];
    let clients = distinct_hosts(&mut rng, 20, None, 1, 250, &[api]);
    let times = random_times(&mut rng, 20, 0, 20 * MIN);
    let mut ips = Vec::new();
    for (ms, cl) in times.into_iter().zip(&clients) {
        let c = ports.next(&mut rng, ip4(*cl));
        let (up, down) = (rng.range(200, 501), rng.range(400, 1201));
        ips.extend(tcp_session(
            c,
            SocketAddr::new(web, 443),
            at(ms),
            up as usize,
            down as usize,
        )?);
        let t_db = ms + rng.range(50, 501);
        let (up, down) = (rng.range(80, 201), rng.range(100, 601));
        let c = ports.next(&mut rng, web);
        ips.extend(tcp_session(
            c,
            v4([10, 2, 0, 61], 5432),
            at(t_db),
            up as usize,
            down as usize,
        )?);
        let t_api = ms + rng.range(100, 2_001);
        let (up, down) = (rng.range(150, 401), rng.range(200, 801));
        let c = ports.next(&mut rng, web);
        ips.extend(tcp_session(
            c,
            v4(api, 443),
            at(t_api),
            up as usize,
            down as usize,
        )?);
    }
    frames(&ips)
}

const MANY_443: &str = "detect-benign-many-443";
/// Page loads of the many-443 client, and connections per load.
const PAGE_LOADS: usize = 40;
const CONNS_PER_LOAD: usize = 5;

/// A browser opening many 443 connections to a few sites.
pub fn benign_many_443() -> Scenario {
    Scenario::new(
        MANY_443,
        "detect/benign-many-443.pcap",
        benign_many_443_packets,
    )
    .describe(
        "client 192.168.2.10 makes 200 TCP 443 sessions in 10 min to 8 external hosts \
         (198.51.100.x, 203.0.113.x): 40 page loads at random times, each opening 5 \
         connections within ~1.5 s, to the load's main host or 1–2 others (150–400 B up, \
         200–700 B down, FIN)",
        "no alert (one destination port and 8 targets: no outbound_burst, no scan; \
         bursty, aperiodic times: no beacon)",
    )
}

fn benign_many_443_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(MANY_443);
    let mut ports = Ports::default();
    let client = ip4([192, 168, 2, 10]);
    let hosts = distinct_hosts(&mut rng, 8, None, 1, 250, &[]);
    let loads = random_times(&mut rng, PAGE_LOADS, 0, 10 * MIN - 2_000);
    let mut ips = Vec::new();
    for (k, ms) in loads.into_iter().enumerate() {
        let main = super::cycle(&hosts, k);
        let others = [super::pick(&mut rng, &hosts), super::pick(&mut rng, &hosts)];
        let mut t = ms;
        for j in 0..CONNS_PER_LOAD {
            let h = if j < 2 || rng.chance(0.5) {
                main
            } else {
                super::pick(&mut rng, &others)
            };
            let c = ports.next(&mut rng, client);
            let (up, down) = (rng.range(150, 401), rng.range(200, 701));
            ips.extend(tcp_session(
                c,
                v4(h, 443),
                at(t),
                up as usize,
                down as usize,
            )?);
            t += rng.range(10, 300);
        }
    }
    frames(&ips)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};

    fn mine() -> Vec<Scenario> {
        vec![
            seed_t1583_2_relay(),
            relay_orb(),
            seed_t1583_4_scan_22(),
            seed_t1584_3_burst(),
            inbound_http_flood(),
            inbound_ssh_bruteforce(),
            udp_amplification(),
            benign_busy_server(),
            benign_web_db(),
            benign_many_443(),
        ]
    }

    /// What the tests read back from an untagged Ethernet IPv4 frame.
    #[derive(Debug)]
    struct Seen {
        ms: u64,
        src: SocketAddr,
        dst: SocketAddr,
        proto: u8,
        flags: u8,
        payload: usize,
    }

    fn seen(s: &Scenario) -> Vec<Seen> {
        let p = s.packets().unwrap();
        assert!(p.windows(2).all(|w| w[0].ts <= w[1].ts), "{}", s.name);
        p.iter()
            .map(|p| {
                let f = &p.frame;
                assert_eq!(&f[12..14], &[0x08, 0x00], "{}", s.name);
                let ip = &f[14..];
                let ihl = usize::from(ip[0] & 0x0f) * 4;
                let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
                let l4 = &ip[ihl..total];
                let s4: [u8; 4] = ip[12..16].try_into().unwrap();
                let d4: [u8; 4] = ip[16..20].try_into().unwrap();
                let sp = u16::from_be_bytes([l4[0], l4[1]]);
                let dp = u16::from_be_bytes([l4[2], l4[3]]);
                let (flags, payload) = match ip[9] {
                    6 => (l4[13], l4.len() - usize::from(l4[12] >> 4) * 4),
                    17 => (0, l4.len() - 8),
                    x => panic!("proto {x}"),
                };
                Seen {
                    ms: (p.ts.as_nanos() - Ts::BASE.as_nanos()) / 1_000_000,
                    src: v4(s4, sp),
                    dst: v4(d4, dp),
                    proto: ip[9],
                    flags,
                    payload,
                }
            })
            .collect()
    }

    /// Client SYNs (first transmissions and retransmissions alike).
    fn syns(s: &Scenario) -> Vec<Seen> {
        seen(s)
            .into_iter()
            .filter(|p| p.proto == 6 && p.flags & 0x12 == 0x02)
            .collect()
    }

    fn internal(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => {
                let o = a.octets();
                o[0] == 10 || (o[0] == 192 && o[1] == 168)
            }
            IpAddr::V6(_) => false,
        }
    }

    fn documentation(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => {
                let o = a.octets();
                o[..3] == [198, 51, 100] || o[..3] == [203, 0, 113]
            }
            IpAddr::V6(_) => false,
        }
    }

    /// Bytes each way of the TCP connection whose SYN is `syn`: (to server, to client).
    fn payload_each_way(all: &[Seen], syn: &Seen) -> (usize, usize) {
        let up = all
            .iter()
            .filter(|p| p.src == syn.src && p.dst == syn.dst)
            .map(|p| p.payload)
            .sum();
        let down = all
            .iter()
            .filter(|p| p.src == syn.dst && p.dst == syn.src)
            .map(|p| p.payload)
            .sum();
        (up, down)
    }

    #[test]
    fn cases_are_bundled_small_deterministic_and_in_allowed_ranges() {
        let files: HashSet<&str> = super::super::bundled().iter().map(|s| s.file).collect();
        let mut total = 0;
        for s in mine() {
            assert!(files.contains(s.file), "{} not bundled", s.file);
            let a = s.to_bytes().unwrap();
            assert_eq!(a, s.to_bytes().unwrap(), "{}", s.name);
            assert!(a.len() < 1 << 20, "{} {}", s.name, a.len());
            total += a.len();
            for p in seen(&s) {
                for ip in [p.src.ip(), p.dst.ip()] {
                    let ok = internal(ip)
                        || documentation(ip)
                        || (s.name == SEED_RELAY && ip == ip4([8, 8, 8, 8]));
                    assert!(ok, "{}: {ip}", s.name);
                }
                // Exactly one side of each packet is internal, except the web server's
                // database leg.
                let both = internal(p.src.ip()) && internal(p.dst.ip());
                assert!(
                    !both || (s.name == WEB_DB && (p.dst.port() == 5432 || p.src.port() == 5432)),
                    "{}: {p:?}",
                    s.name
                );
            }
        }
        // Room left in the 4 MiB for everything else.
        assert!(total < 2 << 20, "{total}");
    }

    #[test]
    fn seed_relay_is_four_inbound_legs_each_followed_by_8_8_8_8_53() {
        let s = seed_t1583_2_relay();
        let syn = syns(&s);
        assert_eq!(syn.len(), 8);
        let relay = ip4([10, 2, 0, 10]);
        for (k, pair) in syn.chunks(2).enumerate() {
            let (i, o) = (&pair[0], &pair[1]);
            assert_eq!(i.src.ip(), ip4([198, 51, 100, 10 + k as u8]));
            assert_eq!(i.dst, SocketAddr::new(relay, 19876));
            assert_eq!((o.src.ip(), o.dst), (relay, v4([8, 8, 8, 8], 53)));
            let delay = o.ms - i.ms;
            assert!((20_000..=120_000).contains(&delay), "{delay}");
        }
        assert!(syn[7].ms < 15 * MIN);
        // Every leg is accepted: one SYN-ACK per SYN.
        let all = seen(&s);
        let sa = all.iter().filter(|p| p.flags == 0x12).count();
        assert_eq!(sa, 8);
    }

    #[test]
    fn orb_relay_has_6_sources_6_targets_and_symmetric_legs() {
        let s = relay_orb();
        let all = seen(&s);
        let syn = syns(&s);
        assert_eq!(syn.len(), 12);
        let relay = ip4([10, 2, 0, 11]);
        let mut sources = HashSet::new();
        let mut targets = HashSet::new();
        for (k, pair) in syn.chunks(2).enumerate() {
            let (i, o) = (&pair[0], &pair[1]);
            assert_eq!(i.dst, SocketAddr::new(relay, 8443));
            assert_eq!(o.src.ip(), relay);
            assert_eq!(o.dst.port(), ORB_PORTS[k % 3]);
            assert!(documentation(i.src.ip()) && documentation(o.dst.ip()));
            sources.insert(i.src.ip());
            targets.insert(o.dst.ip());
            let delay = o.ms - i.ms;
            assert!((1_000..=60_000).contains(&delay), "{delay}");
            let (iu, id) = payload_each_way(&all, i);
            let (ou, od) = payload_each_way(&all, o);
            assert!(iu.abs_diff(ou) * 100 <= iu * 3, "{iu} {ou}");
            assert!(id.abs_diff(od) * 100 <= id * 3, "{id} {od}");
        }
        assert_eq!(sources.len(), 6);
        assert_eq!(targets.len(), 6);
        assert!(sources.is_disjoint(&targets));
    }

    #[test]
    fn scan_reaches_30_unique_addresses_on_22_within_a_minute() {
        let s = seed_t1583_4_scan_22();
        let syn = syns(&s);
        assert_eq!(syn.len(), 30);
        assert!(syn.iter().all(|p| p.src.ip() == ip4([10, 2, 0, 12])));
        assert!(syn.iter().all(|p| p.dst.port() == 22));
        let t: HashSet<IpAddr> = syn.iter().map(|p| p.dst.ip()).collect();
        assert_eq!(t.len(), 30);
        assert!(t
            .iter()
            .all(|ip| matches!(ip, IpAddr::V4(a) if a.octets()[..3] == [203, 0, 113])));
        assert!(syn[29].ms - syn[0].ms <= 65_000);
        let all = seen(&s);
        let synack = all.iter().filter(|p| p.flags == 0x12).count();
        let rst = all
            .iter()
            .filter(|p| p.flags == 0x14 && p.dst.port() != 22)
            .count();
        assert_eq!((synack, rst), (SCAN_ACCEPTED, SCAN_REFUSED));
    }

    #[test]
    fn burst_is_150_attempts_on_150_ports_of_one_host_in_seconds() {
        let s = seed_t1584_3_burst();
        let syn = syns(&s);
        assert_eq!(syn.len(), 150);
        assert!(syn.iter().all(|p| p.src.ip() == ip4([10, 2, 0, 13])));
        assert!(syn.iter().all(|p| p.dst.ip() == ip4([198, 51, 100, 200])));
        let ports: HashSet<u16> = syn.iter().map(|p| p.dst.port()).collect();
        assert_eq!(ports.len(), 150);
        assert!(syn
            .windows(2)
            .all(|w| (15..=25).contains(&(w[1].ms - w[0].ms))));
        let all = seen(&s);
        let refused = all
            .iter()
            .filter(|p| p.flags == 0x14 && p.src.ip() == ip4([198, 51, 100, 200]))
            .count();
        assert_eq!(refused, 147);
        let accepted: HashSet<u16> = all
            .iter()
            .filter(|p| p.flags == 0x12)
            .map(|p| p.src.port())
            .collect();
        assert_eq!(accepted, BURST_OPEN.into_iter().collect());
    }

    /// (connections, unique sources, first and last SYN ms) of an inbound TCP flood.
    fn flood(s: &Scenario, server: SocketAddr) -> (usize, usize, u64, u64) {
        let syn = syns(s);
        assert!(syn.iter().all(|p| p.dst == server), "{}", s.name);
        let src: HashSet<IpAddr> = syn.iter().map(|p| p.src.ip()).collect();
        let tuples: HashSet<SocketAddr> = syn.iter().map(|p| p.src).collect();
        assert_eq!(tuples.len(), syn.len(), "{}: a reused 5-tuple", s.name);
        (syn.len(), src.len(), syn[0].ms, syn[syn.len() - 1].ms)
    }

    #[test]
    fn floods_have_their_counts_inside_one_5_minute_bin() {
        let (n, src, first, last) = flood(&inbound_http_flood(), v4([10, 2, 0, 80], 80));
        assert_eq!((n, src), (600, 60));
        assert!(first >= 20_000 && last < 5 * MIN);
        let (n, src, first, last) = flood(&inbound_ssh_bruteforce(), v4([10, 2, 0, 22], 22));
        assert_eq!((n, src), (520, 55));
        assert!(first >= 20_000 && last < 5 * MIN);
        let get = seen(&inbound_http_flood())
            .iter()
            .filter(|p| p.payload > 0)
            .count();
        assert_eq!(get, 600);
    }

    #[test]
    fn amplification_is_2000_packets_from_300_reflectors_on_123_or_389() {
        let p = seen(&udp_amplification());
        assert_eq!(p.len(), AMP_PACKETS);
        assert!(p.iter().all(|p| p.proto == 17));
        assert!(p.iter().all(|p| p.dst.ip() == ip4([10, 2, 0, 90])));
        assert!(p.iter().all(|p| p.dst.port() >= 1024));
        assert!(p.iter().all(|p| [123, 389].contains(&p.src.port())));
        assert!(p.iter().all(|p| documentation(p.src.ip())));
        let src: HashSet<IpAddr> = p.iter().map(|p| p.src.ip()).collect();
        assert_eq!(src.len(), AMP_SOURCES);
        let flows: HashSet<(SocketAddr, SocketAddr)> = p.iter().map(|p| (p.src, p.dst)).collect();
        assert_eq!(flows.len(), AMP_PACKETS);
        let dports: HashSet<u16> = p.iter().map(|p| p.dst.port()).collect();
        assert!(dports.len() > 1900, "{}", dports.len());
        assert!(p[0].ms >= 10_000 && p[AMP_PACKETS - 1].ms < 130_000);
        assert!(p.iter().all(|p| (60..=140).contains(&p.payload)));
        let ntp = p.iter().filter(|p| p.src.port() == 123).count();
        assert!(ntp > 500 && ntp < 1500, "{ntp}");
    }

    #[test]
    fn busy_server_stays_under_the_flood_thresholds() {
        let syn = syns(&benign_busy_server());
        let server = v4([10, 2, 0, 50], 443);
        let inbound: Vec<&Seen> = syn.iter().filter(|p| p.dst == server).collect();
        assert_eq!(inbound.len(), 300);
        let clients: HashSet<IpAddr> = inbound.iter().map(|p| p.src.ip()).collect();
        assert_eq!(clients.len(), 40);
        assert!(clients.iter().all(|&ip| documentation(ip)));
        assert!(inbound[299].ms < 10 * MIN);
        let out: Vec<&Seen> = syn.iter().filter(|p| p.dst != server).collect();
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|p| p.src.ip() == ip4([10, 2, 0, 50])
            && p.dst.ip() == ip4([198, 51, 100, 250])
            && p.dst.port() == 443));
        // The most in any 5 minutes.
        let peak = inbound
            .iter()
            .map(|a| {
                inbound
                    .iter()
                    .filter(|b| b.ms >= a.ms && b.ms < a.ms + 5 * MIN)
                    .count()
            })
            .max()
            .unwrap();
        assert_eq!(peak, 161);
    }

    #[test]
    fn web_db_has_20_requests_each_with_a_db_and_an_api_leg() {
        let syn = syns(&benign_web_db());
        assert_eq!(syn.len(), 60);
        let web = ip4([10, 2, 0, 60]);
        let mut per: BTreeMap<SocketAddr, Vec<u64>> = BTreeMap::new();
        for p in &syn {
            per.entry(p.dst).or_default().push(p.ms);
        }
        assert_eq!(per.len(), 3);
        let inbound = &per[&SocketAddr::new(web, 443)];
        let db = &per[&v4([10, 2, 0, 61], 5432)];
        let api = &per[&v4([203, 0, 113, 5], 443)];
        assert_eq!((inbound.len(), db.len(), api.len()), (20, 20, 20));
        let clients: HashSet<IpAddr> = syn
            .iter()
            .filter(|p| p.dst.ip() == web)
            .map(|p| p.src.ip())
            .collect();
        assert_eq!(clients.len(), 20);
        assert!(clients.iter().all(|&ip| documentation(ip)));
        // Every back-end leg starts within 2 s after a request.
        for t in db.iter().chain(api) {
            assert!(inbound.iter().any(|&i| *t >= i && *t - i <= 2_000), "{t}");
        }
        assert!(syn
            .iter()
            .filter(|p| p.dst.ip() != web)
            .all(|p| p.src.ip() == web));
    }

    #[test]
    fn many_443_is_200_connections_to_8_hosts_in_10_minutes() {
        let syn = syns(&benign_many_443());
        assert_eq!(syn.len(), PAGE_LOADS * CONNS_PER_LOAD);
        assert!(syn.iter().all(|p| p.src.ip() == ip4([192, 168, 2, 10])));
        assert!(syn.iter().all(|p| p.dst.port() == 443));
        let hosts: HashSet<IpAddr> = syn.iter().map(|p| p.dst.ip()).collect();
        assert_eq!(hosts.len(), 8);
        assert!(hosts.iter().all(|&ip| documentation(ip)));
        assert!(syn[199].ms < 10 * MIN);
        let tuples: HashSet<(SocketAddr, SocketAddr)> =
            syn.iter().map(|p| (p.src, p.dst)).collect();
        assert_eq!(tuples.len(), 200);
    }
}
