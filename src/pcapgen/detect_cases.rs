//! The detector test captures of issue 3 (`pcaps/detect/`): the seeds' T1583.005 and
//! T1584.005 test cases pointed at external documentation addresses, beacons the seed
//! rules miss (jittered, hourly, refused, IPv6 + VLAN, UDP, periodic 443), a DGA burst, a
//! DNS tunnel, and benign traffic on which nothing may fire.
//!
//! Internal hosts are 10.1.0.x, 192.168.1.x and fd00::/8; external ones are in
//! 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32. Every random choice (jitter, ports,
//! names, sizes) comes from [`Rng::for_scenario`] with the scenario's name, so the files
//! are byte-identical on every run. Times are whole milliseconds after [`Ts::BASE`].

use super::build::VlanTag;
use super::dns::{qtype, DnsRecord, DomainName, RData};
use super::scenario::Scenario;
use super::session::{
    dns_lookup, tcp_refused, tcp_session, udp_exchange, DnsReply, Framing, IpPacket, TcpSession,
};
use super::{nth, sort_by_time, Packet, Rng, Ts};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const T: Ts = Ts::BASE;
const MIN: u64 = 60_000;
const HOUR: u64 = 3_600_000;

pub(super) fn v4(a: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((a, port))
}

pub(super) fn ip4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

/// `ms` milliseconds after the base time.
fn at(ms: u64) -> Ts {
    T.plus_millis(ms)
}

/// The internal resolver every DNS case asks.
fn resolver() -> SocketAddr {
    v4([10, 0, 0, 53], 53)
}

/// `n` start times (ms): the first at `first`, then gaps of `period` ± `pct` % (uniform).
pub(super) fn jittered(rng: &mut Rng, n: usize, first: u64, period: u64, pct: u64) -> Vec<u64> {
    let j = period * pct / 100;
    let mut t = first;
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 {
            t += period - j + rng.below(2 * j + 1);
        }
        v.push(t);
    }
    v
}

/// `n` sorted random times (ms) in `lo..hi`.
fn random_times(rng: &mut Rng, n: usize, lo: u64, hi: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n).map(|_| rng.range(lo, hi)).collect();
    v.sort_unstable();
    v
}

/// `len` random lower-case letters.
fn letters(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect()
}

/// `len` random lower-case hex digits.
fn hex(rng: &mut Rng, len: usize) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    (0..len)
        .map(|_| char::from(super::pick(rng, HEX)))
        .collect()
}

/// One TCP session (FIN close) per start time, each from a fresh ephemeral port.
pub(super) fn tcp_series(
    rng: &mut Rng,
    client: IpAddr,
    server: SocketAddr,
    starts: &[u64],
    up: usize,
    down: usize,
) -> io::Result<Vec<IpPacket>> {
    let mut ips = Vec::new();
    for &ms in starts {
        let c = SocketAddr::new(client, rng.ephemeral_port());
        ips.extend(tcp_session(c, server, at(ms), up, down)?);
    }
    Ok(ips)
}

/// Ethernet frames in time order.
pub(super) fn frames(framing: &Framing, ips: &[IpPacket]) -> io::Result<Vec<Packet>> {
    let mut p = framing.packets(ips)?;
    sort_by_time(&mut p);
    Ok(p)
}

fn a_lookup(
    rng: &mut Rng,
    client: IpAddr,
    ms: u64,
    name: &str,
    answer: Option<[u8; 4]>,
) -> io::Result<Vec<IpPacket>> {
    let n = DomainName::parse(name);
    let reply = match answer {
        Some(a) => DnsReply::Answers(vec![DnsRecord::a(&n, Ipv4Addr::from(a))]),
        None => DnsReply::NxDomain,
    };
    let c = SocketAddr::new(client, rng.ephemeral_port());
    let id = rng.next_u16();
    dns_lookup(c, resolver(), at(ms), id, &n, qtype::A, reply)
}

/// An IRC client's registration and the server's welcome, as one TCP session.
pub(super) fn irc_session(
    rng: &mut Rng,
    client: IpAddr,
    server: SocketAddr,
    ms: u64,
) -> io::Result<Vec<IpPacket>> {
    let nick = format!("bot{}", letters(rng, 6));
    let chan = letters(rng, 5);
    let up = format!("NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN #{chan}\r\n");
    let down = format!(
        ":irc.example.net 001 {nick} :Welcome to the IRC network {nick}\r\n\
         :{nick}!{nick}@host JOIN #{chan}\r\n\
         :irc.example.net 332 {nick} #{chan} :.scan 10.0.0.0/8 stop\r\n"
    );
    let c = SocketAddr::new(client, rng.ephemeral_port());
    TcpSession::new(c, server, at(ms))
        .data(up.into_bytes(), down.into_bytes())
        .build()
}

// --- seed test cases --------------------------------------------------------------------

const SEED_T1583_1: &str = "detect-seed-t1583-1-beacon-8080";

/// Seeds' T1583.005 test 1: 30 connections ~10 s apart to one external port.
pub fn seed_t1583_1_beacon_8080() -> Scenario {
    Scenario::new(
        SEED_T1583_1,
        "detect/seed-t1583-1-beacon-8080.pcap",
        seed_t1583_1_packets,
    )
    .describe(
        "seeds' T1583.005 test 1: 30 TCP sessions (handshake, 120 B up, 80 B down, FIN) \
             10.1.0.10 → 203.0.113.23:8080, one every 10 s ± 5 % (uniform) over ~5 min",
        "`beacon` alert: src 10.1.0.10, dest 203.0.113.23:8080/tcp (30 connections, \
             median interval ≈ 10 s, though under the seeds' 30-minute floor); no other alert",
    )
}

fn seed_t1583_1_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SEED_T1583_1);
    let starts = jittered(&mut rng, 30, 0, 10_000, 5);
    let ips = tcp_series(
        &mut rng,
        ip4([10, 1, 0, 10]),
        v4([203, 0, 113, 23], 8080),
        &starts,
        120,
        80,
    )?;
    frames(&Framing::ethernet(), &ips)
}

const SEED_T1583_3: &str = "detect-seed-t1583-3-irc-6667";

/// Seeds' T1583.005 test 3: one connection to an IRC port.
pub fn seed_t1583_3_irc_6667() -> Scenario {
    Scenario::new(
        SEED_T1583_3,
        "detect/seed-t1583-3-irc-6667.pcap",
        seed_t1583_3_packets,
    )
    .describe(
        "seeds' T1583.005 test 3: one TCP session 10.1.0.11 → 198.51.100.67:6667 (IRC \
             NICK/USER/JOIN up, welcome and topic down, FIN)",
        "`c2_port` alert: src 10.1.0.11, dest 198.51.100.67:6667/tcp (one connection); \
             no other alert",
    )
}

fn seed_t1583_3_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SEED_T1583_3);
    let ips = irc_session(
        &mut rng,
        ip4([10, 1, 0, 11]),
        v4([198, 51, 100, 67], 6667),
        1_000,
    )?;
    frames(&Framing::ethernet(), &ips)
}

const SEED_T1584_1: &str = "detect-seed-t1584-1-beacon-9001";

/// Seeds' T1584.005 test 1: 30 connections ~5 s apart.
pub fn seed_t1584_1_beacon_9001() -> Scenario {
    Scenario::new(
        SEED_T1584_1,
        "detect/seed-t1584-1-beacon-9001.pcap",
        seed_t1584_1_packets,
    )
    .describe(
        "seeds' T1584.005 test 1: 30 TCP sessions (96 B up, 64 B down, FIN) 10.1.0.12 → \
             198.51.100.44:9001, one every 5 s ± 10 % (uniform) over ~2.5 min",
        "`beacon` alert: src 10.1.0.12, dest 198.51.100.44:9001/tcp (30 connections, \
             median interval ≈ 5 s); no other alert",
    )
}

fn seed_t1584_1_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SEED_T1584_1);
    let starts = jittered(&mut rng, 30, 0, 5_000, 10);
    let ips = tcp_series(
        &mut rng,
        ip4([10, 1, 0, 12]),
        v4([198, 51, 100, 44], 9001),
        &starts,
        96,
        64,
    )?;
    frames(&Framing::ethernet(), &ips)
}

const SEED_T1584_2: &str = "detect-seed-t1584-2-irc-6667";

/// Seeds' T1584.005 test 2: a short IRC exchange.
pub fn seed_t1584_2_irc_6667() -> Scenario {
    Scenario::new(
        SEED_T1584_2,
        "detect/seed-t1584-2-irc-6667.pcap",
        seed_t1584_2_packets,
    )
    .describe(
        "seeds' T1584.005 test 2: one TCP session 10.1.0.13 → 203.0.113.66:6667, a short \
             IRC exchange (NICK/USER/JOIN up; welcome, JOIN echo and a bot command as topic \
             down; FIN)",
        "`c2_port` alert: src 10.1.0.13, dest 203.0.113.66:6667/tcp (one connection); \
             no other alert",
    )
}

fn seed_t1584_2_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SEED_T1584_2);
    let ips = irc_session(
        &mut rng,
        ip4([10, 1, 0, 13]),
        v4([203, 0, 113, 66], 6667),
        2_000,
    )?;
    frames(&Framing::ethernet(), &ips)
}

const SEED_T1584_4: &str = "detect-seed-t1584-4-dga";
/// How many of the DGA burst's 60 names resolve (the rest are NXDOMAIN).
const DGA_RESOLVED: usize = 8;

/// Seeds' T1584.005 test 4: a DGA burst.
pub fn seed_t1584_4_dga() -> Scenario {
    Scenario::new(
        SEED_T1584_4,
        "detect/seed-t1584-4-dga.pcap",
        seed_t1584_4_packets,
    )
    .describe(
        "seeds' T1584.005 test 4: 10.1.0.14 asks resolver 10.0.0.53 (UDP) for 60 unique \
             names `<8–16 random letters>.com|.net|.info`, one every 2 s ± 15 % over ~2 min; \
             52 NXDOMAIN (87 %), 8 NOERROR with one A in 198.51.100.0/24",
        "`dga` alert: src 10.1.0.14 (dest the resolver 10.0.0.53:53/udp; 60 queries, 60 \
             unique names, NXDOMAIN ratio ≈ 0.87, names shorter than the seeds' 21 \
             characters); no other alert",
    )
}

fn seed_t1584_4_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SEED_T1584_4);
    let client = ip4([10, 1, 0, 14]);
    let mut resolved = Vec::new();
    while resolved.len() < DGA_RESOLVED {
        let i = rng.below(60) as usize;
        if !resolved.contains(&i) {
            resolved.push(i);
        }
    }
    let times = jittered(&mut rng, 60, 500, 2_000, 15);
    let mut ips = Vec::new();
    let mut seen = Vec::new();
    for (i, &ms) in times.iter().enumerate() {
        let name = loop {
            let len = rng.range(8, 17) as usize;
            let tld = *rng.pick(&["com", "net", "info"]).unwrap_or(&"com");
            let n = format!("{}.{tld}", letters(&mut rng, len));
            if !seen.contains(&n) {
                break n;
            }
        };
        seen.push(name.clone());
        let answer = resolved
            .contains(&i)
            .then(|| [198, 51, 100, 200 + rng.below(50) as u8]);
        ips.extend(a_lookup(&mut rng, client, ms, &name, answer)?);
    }
    frames(&Framing::ethernet(), &ips)
}

// --- beacons the seed rules miss ----------------------------------------------------------

const JITTER_300: &str = "detect-beacon-jitter-300s";

/// 300 s ± 25 % beacon with its DNS lookup first.
pub fn beacon_jitter_300s() -> Scenario {
    Scenario::new(
        JITTER_300,
        "detect/beacon-jitter-300s.pcap",
        beacon_jitter_300s_packets,
    )
    .describe(
        "10.1.0.15 resolves update.cdn-telemetry-sync.com (A 198.51.100.23, via \
             10.0.0.53), then 40 TCP sessions (210 B up, 140 B down, FIN) to \
             198.51.100.23:8443, gaps 300 s ± 25 % uniform, over ~3.3 h",
        "`beacon` alert: src 10.1.0.15, dest 198.51.100.23:8443/tcp (40 connections, \
             median interval ≈ 300 s, jitter up to 25 %), evidence naming \
             update.cdn-telemetry-sync.com; no other alert",
    )
}

fn beacon_jitter_300s_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(JITTER_300);
    let client = ip4([10, 1, 0, 15]);
    let mut ips = a_lookup(
        &mut rng,
        client,
        0,
        "update.cdn-telemetry-sync.com",
        Some([198, 51, 100, 23]),
    )?;
    let starts = jittered(&mut rng, 40, 1_000, 300_000, 25);
    ips.extend(tcp_series(
        &mut rng,
        client,
        v4([198, 51, 100, 23], 8443),
        &starts,
        210,
        140,
    )?);
    frames(&Framing::ethernet(), &ips)
}

const HOURLY: &str = "detect-beacon-hourly";

/// One call-back per hour ± 2 min for a day.
pub fn beacon_hourly() -> Scenario {
    Scenario::new(HOURLY, "detect/beacon-hourly.pcap", beacon_hourly_packets).describe(
        "26 TCP sessions (150 B up, 90 B down, FIN) 10.1.0.16 → 203.0.113.99:8088, one per \
         hour (each at its hour ± 2 min, uniform) over 25 h",
        "`beacon` alert: src 10.1.0.16, dest 203.0.113.99:8088/tcp (26 connections, median \
         interval ≈ 3600 s, below the seeds' 4-per-hour floor); no other alert",
    )
}

fn beacon_hourly_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(HOURLY);
    let starts: Vec<u64> = (0..26u64)
        .map(|k| 2 * MIN + k * HOUR - 2 * MIN + rng.below(4 * MIN + 1))
        .collect();
    let ips = tcp_series(
        &mut rng,
        ip4([10, 1, 0, 16]),
        v4([203, 0, 113, 99], 8088),
        &starts,
        150,
        90,
    )?;
    frames(&Framing::ethernet(), &ips)
}

const REFUSED: &str = "detect-beacon-refused";

/// Refused attempts every minute.
pub fn beacon_refused() -> Scenario {
    Scenario::new(
        REFUSED,
        "detect/beacon-refused.pcap",
        beacon_refused_packets,
    )
    .describe(
        "30 SYNs 10.1.0.17 → 198.51.100.77:4443, one every 60 s ± 8 % (± 4.8 s, uniform) \
         over ~29 min, each answered by RST-ACK (refused; no data)",
        "`beacon` alert: src 10.1.0.17, dest 198.51.100.77:4443/tcp (30 refused attempts \
         counted as connections, median interval ≈ 60 s); no other alert",
    )
}

fn beacon_refused_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(REFUSED);
    let client = ip4([10, 1, 0, 17]);
    let server = v4([198, 51, 100, 77], 4443);
    let mut ips = Vec::new();
    for ms in jittered(&mut rng, 30, 0, 60_000, 8) {
        let c = SocketAddr::new(client, rng.ephemeral_port());
        ips.extend(tcp_refused(c, server, at(ms))?);
    }
    frames(&Framing::ethernet(), &ips)
}

const IPV6_VLAN: &str = "detect-beacon-ipv6-vlan";

/// IPv6 beacon in 802.1Q VLAN 42.
pub fn beacon_ipv6_vlan() -> Scenario {
    Scenario::new(
        IPV6_VLAN,
        "detect/beacon-ipv6-vlan.pcap",
        beacon_ipv6_vlan_packets,
    )
    .describe(
        "802.1Q VLAN 42, IPv6: 30 TCP sessions (100 B up, 60 B down, FIN) [fd00::17] → \
         [2001:db8::23]:8443, gaps 30 s ± 10 % uniform over ~15 min",
        "`beacon` alert: src fd00::17, dest [2001:db8::23]:8443/tcp, VLAN 42 (30 \
         connections, median interval ≈ 30 s); no other alert",
    )
}

fn beacon_ipv6_vlan_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(IPV6_VLAN);
    let client = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x17));
    let server = SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x23)),
        8443,
    );
    let starts = jittered(&mut rng, 30, 0, 30_000, 10);
    let ips = tcp_series(&mut rng, client, server, &starts, 100, 60)?;
    let framing = Framing::Ethernet {
        tags: vec![VlanTag::dot1q(42)],
    };
    frames(&framing, &ips)
}

const UDP_BEACON: &str = "detect-beacon-udp";

/// UDP request/response beacon.
pub fn beacon_udp() -> Scenario {
    Scenario::new(UDP_BEACON, "detect/beacon-udp.pcap", beacon_udp_packets).describe(
        "30 UDP exchanges (48 B request, 32 B response, each from a new ephemeral port) \
         10.1.0.18 → 198.51.100.88:7777, gaps 60 s ± 10 % uniform over ~29 min",
        "`beacon` alert: src 10.1.0.18, dest 198.51.100.88:7777/udp (30 exchanges, median \
         interval ≈ 60 s); no other alert",
    )
}

fn beacon_udp_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(UDP_BEACON);
    let client = ip4([10, 1, 0, 18]);
    let server = v4([198, 51, 100, 88], 7777);
    let mut ips = Vec::new();
    for ms in jittered(&mut rng, 30, 0, 60_000, 10) {
        let c = SocketAddr::new(client, rng.ephemeral_port());
        let req = rng.bytes(48);
        let resp = rng.bytes(32);
        ips.extend(udp_exchange(c, server, at(ms), &req, Some(&resp))?);
    }
    frames(&Framing::ethernet(), &ips)
}

const PERIODIC_443: &str = "detect-beacon-443-periodic";

/// A long, strongly periodic series on 443.
pub fn beacon_443_periodic() -> Scenario {
    Scenario::new(
        PERIODIC_443,
        "detect/beacon-443-periodic.pcap",
        beacon_443_periodic_packets,
    )
    .describe(
        "48 TCP sessions (240 B up, 180 B down, FIN) 10.1.0.19 → 203.0.113.43:443, gaps \
             300 s ± 5 % uniform over ~4 h",
        "`beacon` alert (the periodic variant, 443 being excluded from the seed-style \
             rule): src 10.1.0.19, dest 203.0.113.43:443/tcp (48 connections, median \
             interval ≈ 300 s); no other alert",
    )
}

fn beacon_443_periodic_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(PERIODIC_443);
    let starts = jittered(&mut rng, 48, 0, 300_000, 5);
    let ips = tcp_series(
        &mut rng,
        ip4([10, 1, 0, 19]),
        v4([203, 0, 113, 43], 443),
        &starts,
        240,
        180,
    )?;
    frames(&Framing::ethernet(), &ips)
}

const TUNNEL: &str = "detect-dns-tunnel";

/// TXT queries with long hex labels under one parent.
pub fn dns_tunnel() -> Scenario {
    Scenario::new(TUNNEL, "detect/dns-tunnel.pcap", dns_tunnel_packets).describe(
        "10.1.0.20 asks resolver 10.0.0.53 (UDP) 80 TXT queries `<40–60 hex chars>.t.\
         exfil-example.net` (each first label unique), one every 1 s ± 20 % over ~80 s; all \
         NOERROR with one TXT answer of 16–32 hex chars",
        "`dns_tunnel` alert: src 10.1.0.20, parent domain t.exfil-example.net (dest the \
         resolver 10.0.0.53:53/udp; 80 queries, 80 unique names); no beacon or c2_port alert",
    )
}

fn dns_tunnel_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(TUNNEL);
    let client = ip4([10, 1, 0, 20]);
    let mut ips = Vec::new();
    for ms in jittered(&mut rng, 80, 500, 1_000, 20) {
        let len = rng.range(40, 61) as usize;
        let n = DomainName::parse(&format!("{}.t.exfil-example.net", hex(&mut rng, len)));
        let txt_len = rng.range(16, 33) as usize;
        let mut txt = vec![txt_len as u8];
        txt.extend_from_slice(hex(&mut rng, txt_len).as_bytes());
        let answer = DnsRecord::new(
            &n,
            0,
            RData::Raw {
                rtype: qtype::TXT,
                data: txt,
            },
        );
        let c = SocketAddr::new(client, rng.ephemeral_port());
        let id = rng.next_u16();
        ips.extend(dns_lookup(
            c,
            resolver(),
            at(ms),
            id,
            &n,
            qtype::TXT,
            DnsReply::Answers(vec![answer]),
        )?);
    }
    frames(&Framing::ethernet(), &ips)
}

// --- benign: nothing may fire -------------------------------------------------------------

const SSH: &str = "detect-benign-ssh";

/// A person using SSH to an outside server.
pub fn benign_ssh() -> Scenario {
    Scenario::new(SSH, "detect/benign-ssh.pcap", benign_ssh_packets).describe(
        "40 TCP sessions 10.1.0.30 → 198.51.100.22:22 at irregular, bursty times over ~3 h \
         (gaps 10–60 s, 1–7 min or 7–20 min, scaled to fit), SSH banners plus 100–900 B up \
         and 200–1400 B down, FIN; rate ≈ 13 per hour passes the seeds' rate rules",
        "no alert",
    )
}

fn benign_ssh_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SSH);
    let mut gaps = Vec::new();
    for _ in 0..40 {
        let r = rng.below(10);
        gaps.push(match r {
            0..=2 => rng.range(10_000, 60_000),
            3..=7 => rng.range(60_000, 7 * MIN),
            _ => rng.range(7 * MIN, 20 * MIN),
        });
    }
    // Fit the series into ~3 h.
    let total: u64 = gaps.iter().sum();
    let budget = 3 * HOUR - 10 * MIN;
    let mut t = 0;
    let mut ips = Vec::new();
    let client = ip4([10, 1, 0, 30]);
    let server = v4([198, 51, 100, 22], 22);
    for g in gaps {
        t += if total > budget {
            g * budget / total
        } else {
            g
        };
        let mut up = b"SSH-2.0-OpenSSH_9.6p1\r\n".to_vec();
        let n_up = rng.range(100, 901) as usize;
        up.extend(rng.bytes(n_up));
        let mut down = b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n".to_vec();
        let n_down = rng.range(200, 1401) as usize;
        down.extend(rng.bytes(n_down));
        let c = SocketAddr::new(client, rng.ephemeral_port());
        ips.extend(TcpSession::new(c, server, at(t)).data(up, down).build()?);
    }
    frames(&Framing::ethernet(), &ips)
}

const NTP: &str = "detect-benign-ntp";

/// NTP polls per client and server (each pair); exact count asserted by the tests.
const NTP_POLL_LIMIT: u64 = 3 * HOUR;

/// NTP clients with growing poll intervals.
pub fn benign_ntp() -> Scenario {
    Scenario::new(NTP, "detect/benign-ntp.pcap", benign_ntp_packets).describe(
        "5 internal hosts 10.1.0.40–44 each poll 2 of the 3 NTP servers 203.0.113.123/124/\
         125 (UDP 123, 48 B mode 3 request, 48 B mode 4 reply) for 3 h: 4 polls each at 64, \
         128, 256 and 512 s, then every 1024 s (± 1 s); hosts .40–.42 use source port 123 \
         (ntpd), .43–.44 a new ephemeral port per poll (chrony); 230 exchanges",
        "no alert",
    )
}

fn ntp_msg(reply: bool) -> Vec<u8> {
    let mut m = vec![if reply { 0x24 } else { 0x23 }];
    m.resize(48, 0);
    m
}

fn benign_ntp_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(NTP);
    let servers = [[203, 0, 113, 123], [203, 0, 113, 124], [203, 0, 113, 125]];
    let mut ips = Vec::new();
    for h in 0..5u8 {
        let client = ip4([10, 1, 0, 40 + h]);
        let skip = rng.below(3) as usize;
        for (si, s) in servers.iter().enumerate() {
            if si == skip {
                continue;
            }
            let server = v4(*s, 123);
            let mut t = rng.range(0, 10_000);
            let mut poll = 0;
            while t < NTP_POLL_LIMIT {
                let port = if h < 3 { 123 } else { rng.ephemeral_port() };
                let c = SocketAddr::new(client, port);
                ips.extend(udp_exchange(
                    c,
                    server,
                    at(t),
                    &ntp_msg(false),
                    Some(&ntp_msg(true)),
                )?);
                let interval = 64_000u64 << (poll / 4).min(4);
                poll += 1;
                t += interval - 1_000 + rng.below(2_001);
            }
        }
    }
    frames(&Framing::ethernet(), &ips)
}

const OFFICE_NAMES: &[&str] = &[
    "www.wikipedia.org",
    "en.wikipedia.org",
    "upload.wikimedia.org",
    "github.com",
    "api.github.com",
    "docs.rs",
    "crates.io",
    "static.crates.io",
    "mail.example.com",
    "www.example.com",
    "calendar.example.com",
    "news.ycombinator.com",
    "www.bbc.co.uk",
    "www.nytimes.com",
    "stackoverflow.com",
    "www.rust-lang.org",
    "doc.rust-lang.org",
    "www.python.org",
    "pypi.org",
    "www.mozilla.org",
    "developer.mozilla.org",
    "www.google.com",
    "www.youtube.com",
    "www.linkedin.com",
    "slack.com",
    "app.slack.com",
    "zoom.us",
    "www.office.com",
    "outlook.office365.com",
    "login.microsoftonline.com",
    "www.dropbox.com",
    "www.amazon.com",
    "weather.com",
    "www.reddit.com",
    "www.gnu.org",
    "www.kernel.org",
    "www.debian.org",
    "ubuntu.com",
    "www.apache.org",
    "www.w3.org",
    "www.ietf.org",
];

/// The address a browsing case's resolver gives for name `i` of a list.
fn site_addr(i: usize, first: [u8; 3], base: u8) -> [u8; 4] {
    [first[0], first[1], first[2], base.wrapping_add(i as u8)]
}

/// Visits: a lookup when the host has not resolved the name in the last 5 min, then 1–3
/// TCP 443 sessions to the answer. Returns (lookups, sessions).
#[allow(clippy::too_many_arguments)]
fn browse(
    rng: &mut Rng,
    ips: &mut Vec<IpPacket>,
    client: IpAddr,
    names: &[String],
    addrs: &[[u8; 4]],
    visits: &[(u64, usize)],
    max_sessions: u64,
    down: (u64, u64),
) -> io::Result<(usize, usize)> {
    let mut last_lookup: HashMap<usize, u64> = HashMap::new();
    let (mut lookups, mut sessions) = (0, 0);
    for &(ms, i) in visits {
        let fresh = last_lookup.get(&i).is_some_and(|&l| ms - l < 5 * MIN);
        if !fresh {
            let name = names.get(i).map_or("", String::as_str);
            ips.extend(a_lookup(rng, client, ms, name, Some(nth(addrs, i)?))?);
            last_lookup.insert(i, ms);
            lookups += 1;
        }
        let n = if rng.chance(0.3) { max_sessions } else { 1 };
        let mut t = ms + 40;
        for _ in 0..n {
            let c = SocketAddr::new(client, rng.ephemeral_port());
            let up = rng.range(200, 500) as usize;
            let dn = rng.range(down.0, down.1) as usize;
            ips.extend(tcp_session(c, v4(nth(addrs, i)?, 443), at(t), up, dn)?);
            t += rng.range(20, 800);
            sessions += 1;
        }
    }
    Ok((lookups, sessions))
}

const OFFICE: &str = "detect-benign-browsing";

/// Office browsing with DNS.
pub fn benign_browsing() -> Scenario {
    Scenario::new(
        OFFICE,
        "detect/benign-browsing.pcap",
        benign_browsing_packets,
    )
    .describe(
        "3 hosts 192.168.1.10–12 browse for 1 h: 30 visits each at random times among 41 \
         ordinary names (www.wikipedia.org, github.com, docs.rs, mail.example.com, ...; 5 \
         favourites per host get ~30 % of the visits, so repeat visits), an A lookup via \
         10.0.0.53 unless resolved in the last 5 min (85 lookups of all 41 names, all \
         NOERROR, answers in 198.51.100.100–140), then 1 TCP 443 session (2 on ~30 % of \
         visits; 200–500 B up, 200–900 B down, FIN) to the answer: 119 sessions",
        "no alert",
    )
}

/// Visits (time, name index) of one browsing host: `n` at random times in `span`, a share
/// going to `fav` favourites; the others walk `deck` (a shuffled name order, so every name
/// is visited) or, when it is empty, pick any name.
fn visits(
    rng: &mut Rng,
    n: usize,
    span: u64,
    n_names: usize,
    fav: usize,
    fav_share: f64,
    deck: &[usize],
) -> Vec<(u64, usize)> {
    let mut next = 0;
    let favs: Vec<usize> = (0..fav)
        .map(|_| rng.below(n_names as u64) as usize)
        .collect();
    random_times(rng, n, 0, span)
        .into_iter()
        .map(|t| {
            let i = if rng.chance(fav_share) {
                super::pick(rng, &favs)
            } else if deck.is_empty() {
                rng.below(n_names as u64) as usize
            } else {
                next += 1;
                super::cycle(deck, next - 1)
            };
            (t, i)
        })
        .collect()
}

fn benign_browsing_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(OFFICE);
    let names: Vec<String> = OFFICE_NAMES.iter().map(|s| s.to_string()).collect();
    let addrs: Vec<[u8; 4]> = (0..names.len())
        .map(|i| site_addr(i, [198, 51, 100], 100))
        .collect();
    // A shuffled order of the names; host h starts its walk at 14 h, so the three hosts
    // between them visit every name.
    let mut deck: Vec<usize> = (0..names.len()).collect();
    for i in (1..deck.len()).rev() {
        deck.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut ips = Vec::new();
    for h in 0..3u8 {
        deck.rotate_left(if h == 0 { 0 } else { 14 });
        let v = visits(&mut rng, 30, HOUR, names.len(), 5, 0.3, &deck);
        browse(
            &mut rng,
            &mut ips,
            ip4([192, 168, 1, 10 + h]),
            &names,
            &addrs,
            &v,
            2,
            (200, 900),
        )?;
    }
    frames(&Framing::ethernet(), &ips)
}

const CDN_NAMES: &[&str] = &[
    "d3k2x7qz1abcde.cloudfront.net",
    "d1b2ho4lq9x7tq.cloudfront.net",
    "dz8k3v0w1m2c5r.cloudfront.net",
    "d2v9y0dukr6mq2.cloudfront.net",
    "e1234.dscb.akamaiedge.net",
    "e6858.dscx.akamaiedge.net",
    "e28578.d.akamaiedge.net",
    "e9659.dspg.akamaiedge.net",
    "a1887.dscq.akamai.net",
    "self.events.data.microsoft.com",
    "v10.events.data.microsoft.com",
    "v20.events.data.microsoft.com",
    "mobile.events.data.microsoft.com",
    "browser.events.data.msn.com",
    "settings-win.data.microsoft.com",
    "watson.telemetry.microsoft.com",
    "officecdn.microsoft.com.edgesuite.net",
    "fonts.gstatic.com",
    "ssl.gstatic.com",
    "www.gstatic.com",
    "fonts.googleapis.com",
    "ajax.googleapis.com",
    "safebrowsing.googleapis.com",
    "update.googleapis.com",
    "rr3---sn-4g5e6nez.googlevideo.com",
    "r1---sn-n4v7knls.gvt1.com",
    "i.ytimg.com",
    "static.xx.fbcdn.net",
    "scontent-ams4-1.xx.fbcdn.net",
    "pbs.twimg.com",
    "abs.twimg.com",
    "cdn.jsdelivr.net",
    "cdnjs.cloudflare.com",
    "unpkg.com",
    "incoming.telemetry.mozilla.org",
    "firefox.settings.services.mozilla.com",
    "content-signature-2.cdn.mozilla.net",
    "ctldl.windowsupdate.com",
];

const CDN: &str = "detect-benign-cdn";

/// CDN- and telemetry-heavy browsing: long but ordinary names.
pub fn benign_cdn() -> Scenario {
    Scenario::new(CDN, "detect/benign-cdn.pcap", benign_cdn_packets).describe(
        "2 hosts 192.168.1.20–21 for 30 min: 110 visits each at random times among 38 long \
         but ordinary CDN and telemetry names (d3k2x7qz1abcde.cloudfront.net, \
         e1234.dscb.akamaiedge.net, self.events.data.microsoft.com, \
         v10.events.data.microsoft.com, fonts.gstatic.com, \
         rr3---sn-4g5e6nez.googlevideo.com, ...), an A lookup via 10.0.0.53 on every visit \
         (short TTLs: 220 lookups of 37 distinct names, all NOERROR, answers in \
         203.0.113.10–47) and one TCP 443 session (200–500 B up, 200–600 B down, FIN) on \
         about a third of the visits: 70 sessions",
        "no alert",
    )
}

fn benign_cdn_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(CDN);
    let addrs: Vec<[u8; 4]> = (0..CDN_NAMES.len())
        .map(|i| site_addr(i, [203, 0, 113], 10))
        .collect();
    let mut ips = Vec::new();
    for h in 0..2u8 {
        let client = ip4([192, 168, 1, 20 + h]);
        let v = visits(&mut rng, 110, 30 * MIN, CDN_NAMES.len(), 6, 0.4, &[]);
        for (ms, i) in v {
            ips.extend(a_lookup(
                &mut rng,
                client,
                ms,
                nth(CDN_NAMES, i)?,
                Some(nth(&addrs, i)?),
            )?);
            if rng.below(3) == 0 {
                let c = SocketAddr::new(client, rng.ephemeral_port());
                let up = rng.range(200, 500) as usize;
                let dn = rng.range(200, 600) as usize;
                ips.extend(tcp_session(
                    c,
                    v4(nth(&addrs, i)?, 443),
                    at(ms + 40),
                    up,
                    dn,
                )?);
            }
        }
    }
    frames(&Framing::ethernet(), &ips)
}

const SERVER: &str = "detect-benign-server";

/// A busy internal server.
pub fn benign_server() -> Scenario {
    Scenario::new(SERVER, "detect/benign-server.pcap", benign_server_packets).describe(
        "10.1.0.50 serves TCP 80 and 443 to 40 external clients (198.51.100.x and \
         203.0.113.x) for 1 h: 1–2 inbound sessions per client at random times, 61 in all \
         (120–500 B up, 200–800 B down, FIN); and 3 outbound TCP sessions 10.1.0.50 → \
         198.51.100.250:5432 at random times",
        "no alert",
    )
}

fn benign_server_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(SERVER);
    let server_ip = [10, 1, 0, 50];
    let mut clients: Vec<[u8; 4]> = Vec::new();
    while clients.len() < 40 {
        let net = if rng.chance(0.5) {
            [198, 51, 100]
        } else {
            [203, 0, 113]
        };
        let c = [net[0], net[1], net[2], rng.range(2, 250) as u8];
        if !clients.contains(&c) {
            clients.push(c);
        }
    }
    let mut ips = Vec::new();
    for c in &clients {
        let n = rng.range(1, 3);
        for _ in 0..n {
            let port = if rng.chance(0.3) { 80 } else { 443 };
            let ms = rng.range(0, HOUR);
            let up = rng.range(120, 500) as usize;
            let dn = rng.range(200, 800) as usize;
            ips.extend(tcp_session(
                v4(*c, rng.ephemeral_port()),
                v4(server_ip, port),
                at(ms),
                up,
                dn,
            )?);
        }
    }
    for ms in random_times(&mut rng, 3, 0, HOUR) {
        ips.extend(tcp_session(
            v4(server_ip, rng.ephemeral_port()),
            v4([198, 51, 100, 250], 5432),
            at(ms),
            300,
            600,
        )?);
    }
    frames(&Framing::ethernet(), &ips)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};

    /// What the tests read back from a frame: addresses, ports, protocol, TCP flags,
    /// transport payload.
    struct Seen {
        src: SocketAddr,
        dst: SocketAddr,
        proto: u8,
        flags: u8,
        vlan: Option<u16>,
        payload: Vec<u8>,
    }

    fn parse(frame: &[u8]) -> Seen {
        let mut et = u16::from_be_bytes([frame[12], frame[13]]);
        let mut at = 14;
        let mut vlan = None;
        while et == 0x8100 || et == 0x88a8 {
            vlan = Some(u16::from_be_bytes([frame[at], frame[at + 1]]) & 0x0fff);
            et = u16::from_be_bytes([frame[at + 2], frame[at + 3]]);
            at += 4;
        }
        let ip = &frame[at..];
        let (src, dst, proto, l4) = match et {
            0x0800 => {
                let ihl = usize::from(ip[0] & 0x0f) * 4;
                let s: [u8; 4] = ip[12..16].try_into().unwrap();
                let d: [u8; 4] = ip[16..20].try_into().unwrap();
                (ip4(s), ip4(d), ip[9], &ip[ihl..])
            }
            0x86dd => {
                let s: [u8; 16] = ip[8..24].try_into().unwrap();
                let d: [u8; 16] = ip[24..40].try_into().unwrap();
                (IpAddr::from(s), IpAddr::from(d), ip[6], &ip[40..])
            }
            other => panic!("ethertype {other:#x}"),
        };
        let sp = u16::from_be_bytes([l4[0], l4[1]]);
        let dp = u16::from_be_bytes([l4[2], l4[3]]);
        let (flags, payload) = match proto {
            6 => (l4[13], l4[usize::from(l4[12] >> 4) * 4..].to_vec()),
            17 => (0, l4[8..].to_vec()),
            p => panic!("proto {p}"),
        };
        Seen {
            src: SocketAddr::new(src, sp),
            dst: SocketAddr::new(dst, dp),
            proto,
            flags,
            vlan,
            payload,
        }
    }

    fn seen(s: &Scenario) -> Vec<(Ts, Seen)> {
        let p = s.packets().unwrap();
        assert!(p.windows(2).all(|w| w[0].ts <= w[1].ts), "{}", s.name);
        p.iter().map(|p| (p.ts, parse(&p.frame))).collect()
    }

    /// Connection starts (client SYNs) as (time in s after base, client ip, server).
    fn syns(s: &Scenario) -> Vec<(f64, IpAddr, SocketAddr)> {
        seen(s)
            .into_iter()
            .filter(|(_, p)| p.proto == 6 && p.flags & 0x12 == 0x02)
            .map(|(ts, p)| (secs(ts), p.src.ip(), p.dst))
            .collect()
    }

    fn secs(ts: Ts) -> f64 {
        (ts.as_nanos() - Ts::BASE.as_nanos()) as f64 / 1e9
    }

    /// DNS over UDP: (query name, qtype) of queries, and rcodes of responses.
    fn dns(s: &Scenario) -> (Vec<(String, u16, IpAddr)>, Vec<u8>) {
        let mut q = Vec::new();
        let mut r = Vec::new();
        for (_, p) in seen(s) {
            if p.proto != 17 || (p.dst.port() != 53 && p.src.port() != 53) {
                continue;
            }
            let m = &p.payload;
            if m[2] & 0x80 == 0 {
                let mut at = 12;
                let mut labels = Vec::new();
                while m[at] != 0 {
                    let l = usize::from(m[at]);
                    labels.push(String::from_utf8(m[at + 1..at + 1 + l].to_vec()).unwrap());
                    at += 1 + l;
                }
                let t = u16::from_be_bytes([m[at + 1], m[at + 2]]);
                q.push((labels.join("."), t, p.src.ip()));
            } else {
                r.push(m[3] & 0x0f);
            }
        }
        (q, r)
    }

    fn gaps(t: &[f64]) -> Vec<f64> {
        t.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// Every SYN goes from `client` to `server`; returns the start times.
    fn series(s: &Scenario, n: usize, client: &str, server: &str) -> Vec<f64> {
        let syn = syns(s);
        assert_eq!(syn.len(), n, "{}", s.name);
        let c: IpAddr = client.parse().unwrap();
        let sv: SocketAddr = server.parse().unwrap();
        assert!(syn.iter().all(|&(_, a, b)| a == c && b == sv), "{}", s.name);
        syn.iter().map(|x| x.0).collect()
    }

    fn within(g: &[f64], lo: f64, hi: f64) {
        assert!(g.iter().all(|&x| (lo..=hi).contains(&x)), "{g:?}");
    }

    fn all() -> Vec<Scenario> {
        super::super::bundled()
            .into_iter()
            .filter(|s| s.file.starts_with("detect/"))
            .collect()
    }

    #[test]
    fn all_cases_are_bundled_small_and_deterministic() {
        let all = all();
        // The 17 cases of this file, and those of detect_cases2.
        assert!(all.len() >= 17, "{}", all.len());
        for s in &all {
            let a = s.to_bytes().unwrap();
            assert_eq!(a, s.to_bytes().unwrap(), "{}", s.name);
            assert!(a.len() < 1 << 20, "{} {}", s.name, a.len());
            // Every packet parses, and every address is a documented test address.
            for (_, p) in seen(s) {
                for ip in [p.src.ip(), p.dst.ip()] {
                    let ok = match ip {
                        IpAddr::V4(a) => {
                            let o = a.octets();
                            o[0] == 10
                                || (o[0] == 192 && o[1] == 168)
                                || o[..3] == [198, 51, 100]
                                || o[..3] == [203, 0, 113]
                                // The seeds' relay test names Google's resolver.
                                || (s.name == "detect-seed-t1583-2-relay" && o == [8, 8, 8, 8])
                        }
                        IpAddr::V6(a) => {
                            let s = a.segments();
                            s[0] & 0xff00 == 0xfd00 || (s[0], s[1]) == (0x2001, 0xdb8)
                        }
                    };
                    assert!(ok, "{}: {ip}", s.name);
                }
            }
        }
    }

    #[test]
    fn seed_beacons_have_their_counts_and_periods() {
        let t = series(
            &seed_t1583_1_beacon_8080(),
            30,
            "10.1.0.10",
            "203.0.113.23:8080",
        );
        within(&gaps(&t), 9.5, 10.5);
        let t = series(
            &seed_t1584_1_beacon_9001(),
            30,
            "10.1.0.12",
            "198.51.100.44:9001",
        );
        within(&gaps(&t), 4.5, 5.5);
        assert!(t[29] - t[0] > 130.0 && t[29] - t[0] < 160.0);
    }

    #[test]
    fn irc_cases_are_one_session_each() {
        for (s, c, sv) in [
            (seed_t1583_3_irc_6667(), "10.1.0.11", "198.51.100.67:6667"),
            (seed_t1584_2_irc_6667(), "10.1.0.13", "203.0.113.66:6667"),
        ] {
            series(&s, 1, c, sv);
            let up: Vec<u8> = seen(&s)
                .into_iter()
                .filter(|(_, p)| p.dst.port() == 6667)
                .flat_map(|(_, p)| p.payload)
                .collect();
            assert!(up.starts_with(b"NICK bot"), "{}", s.name);
        }
    }

    #[test]
    fn dga_burst_has_60_unique_names_mostly_nxdomain() {
        let (q, r) = dns(&seed_t1584_4_dga());
        assert_eq!(q.len(), 60);
        assert_eq!(r.len(), 60);
        let names: HashSet<&str> = q.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names.len(), 60);
        for (n, t, c) in &q {
            assert_eq!(*t, qtype::A);
            assert_eq!(*c, ip4([10, 1, 0, 14]));
            let (label, tld) = n.split_once('.').unwrap();
            assert!(["com", "net", "info"].contains(&tld), "{n}");
            assert!((8..=16).contains(&label.len()), "{n}");
            assert!(label.bytes().all(|b| b.is_ascii_lowercase()), "{n}");
        }
        assert_eq!(r.iter().filter(|&&x| x == 3).count(), 60 - DGA_RESOLVED);
        assert_eq!(r.iter().filter(|&&x| x == 0).count(), DGA_RESOLVED);
    }

    #[test]
    fn other_beacons_have_their_counts_and_periods() {
        let s = beacon_jitter_300s();
        let t = series(&s, 40, "10.1.0.15", "198.51.100.23:8443");
        within(&gaps(&t), 225.0, 375.0);
        let (q, _) = dns(&s);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].0, "update.cdn-telemetry-sync.com");

        let t = series(&beacon_hourly(), 26, "10.1.0.16", "203.0.113.99:8088");
        within(&gaps(&t), 3360.0, 3840.0);
        assert!(t[25] - t[0] > 24.0 * 3600.0 - 240.0);

        let s = beacon_refused();
        let t = series(&s, 30, "10.1.0.17", "198.51.100.77:4443");
        within(&gaps(&t), 55.0, 65.0);
        let rst = seen(&s)
            .into_iter()
            .filter(|(_, p)| p.flags == 0x14)
            .count();
        assert_eq!(rst, 30);
        assert_eq!(seen(&s).len(), 60);

        let s = beacon_ipv6_vlan();
        let t = series(&s, 30, "fd00::17", "[2001:db8::23]:8443");
        within(&gaps(&t), 27.0, 33.0);
        assert!(seen(&s).iter().all(|(_, p)| p.vlan == Some(42)));

        let t = series(&beacon_443_periodic(), 48, "10.1.0.19", "203.0.113.43:443");
        within(&gaps(&t), 285.0, 315.0);
    }

    #[test]
    fn udp_beacon_has_30_exchanges() {
        let p = seen(&beacon_udp());
        let req: Vec<f64> = p
            .iter()
            .filter(|(_, p)| p.dst == v4([198, 51, 100, 88], 7777))
            .map(|(t, p)| {
                assert_eq!(p.src.ip(), ip4([10, 1, 0, 18]));
                secs(*t)
            })
            .collect();
        assert_eq!(req.len(), 30);
        assert_eq!(p.len(), 60);
        within(&gaps(&req), 54.0, 66.0);
    }

    #[test]
    fn dns_tunnel_has_80_unique_hex_txt_queries() {
        let (q, r) = dns(&dns_tunnel());
        assert_eq!(q.len(), 80);
        assert_eq!(r, vec![0; 80]);
        let names: HashSet<&str> = q.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names.len(), 80);
        for (n, t, _) in &q {
            assert_eq!(*t, qtype::TXT);
            let label = n.strip_suffix(".t.exfil-example.net").unwrap();
            assert!((40..=60).contains(&label.len()), "{n}");
            assert!(label.bytes().all(|b| b.is_ascii_hexdigit()), "{n}");
        }
    }

    #[test]
    fn benign_ssh_is_40_irregular_sessions_over_3_hours() {
        let t = series(&benign_ssh(), 40, "10.1.0.30", "198.51.100.22:22");
        assert!(t[39] < 3.0 * 3600.0 && t[39] > 2.0 * 3600.0, "{}", t[39]);
        let mut g = gaps(&t);
        g.sort_by(f64::total_cmp);
        // Far from periodic: the longest gaps are many times the shortest.
        assert!(g[35] > 8.0 * g[4], "{g:?}");
    }

    #[test]
    fn benign_ntp_is_230_exchanges_from_5_hosts_to_2_servers_each() {
        let p = seen(&benign_ntp());
        let mut pairs: BTreeMap<(IpAddr, IpAddr), usize> = BTreeMap::new();
        for (_, p) in p.iter().filter(|(_, p)| {
            p.dst.ip() == ip4([203, 0, 113, 123])
                || p.dst.ip() == ip4([203, 0, 113, 124])
                || p.dst.ip() == ip4([203, 0, 113, 125])
        }) {
            *pairs.entry((p.src.ip(), p.dst.ip())).or_default() += 1;
        }
        assert_eq!(pairs.len(), 10);
        assert_eq!(pairs.values().sum::<usize>(), 230);
        assert_eq!(p.len(), 460);
    }

    #[test]
    fn benign_browsing_counts() {
        let s = benign_browsing();
        let (q, r) = dns(&s);
        assert_eq!(q.len(), r.len());
        assert!(r.iter().all(|&x| x == 0));
        let distinct: HashSet<&str> = q.iter().map(|x| x.0.as_str()).collect();
        let syn = syns(&s);
        assert_eq!((q.len(), distinct.len(), syn.len()), (85, 41, 119));
        assert!(syn.iter().all(|x| x.2.port() == 443));
        let hosts: HashSet<IpAddr> = syn.iter().map(|x| x.1).collect();
        assert_eq!(hosts.len(), 3);
    }

    #[test]
    fn benign_cdn_counts() {
        let s = benign_cdn();
        let (q, r) = dns(&s);
        assert_eq!(q.len(), 220);
        assert!(r.iter().all(|&x| x == 0) && r.len() == 220);
        let distinct: HashSet<&str> = q.iter().map(|x| x.0.as_str()).collect();
        assert_eq!((distinct.len(), syns(&s).len()), (37, 70));
    }

    #[test]
    fn benign_server_counts() {
        let syn = syns(&benign_server());
        let inbound = syn
            .iter()
            .filter(|x| x.2.ip() == ip4([10, 1, 0, 50]))
            .count();
        let clients: HashSet<IpAddr> = syn.iter().map(|x| x.1).collect();
        let out: Vec<_> = syn.iter().filter(|x| x.1 == ip4([10, 1, 0, 50])).collect();
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|x| x.2 == v4([198, 51, 100, 250], 5432)));
        assert_eq!(clients.len(), 41);
        assert_eq!(inbound + 3, syn.len());
        assert_eq!(inbound, 61);
    }
}
