//! Large captures for the end-to-end replay benchmark (`scripts/bench-replay.sh`).
//!
//! Not bundled (they are far too big for `pcaps/`): `botsense-pcapgen --bench-mix N`
//! writes them on demand, byte-identical for the same `N`. Two shapes:
//!
//! * [`write_mix`]: an office link seen from a tap. Internal clients (IPv4 and IPv6)
//!   open TCP sessions with handshakes, payloads and closes to a pool of outside servers,
//!   resolve names at an internal resolver (popular names that answer, random names that
//!   come back NXDOMAIN), a few hosts beacon to a C2 every 60 s, one host resolves
//!   DGA-like names, and one internal server takes a spoofed SYN flood burst. Sessions
//!   overlap in time; packets are written in timestamp order.
//! * [`write_concurrent_flows`]: `n` distinct UDP flows, one packet each, within a
//!   second, so all of them are alive at once: the flow table's memory per flow.
//!
//! Everything comes from [`Rng`] seeded by the shape's name, and the clock is the
//! capture's own: the same `N` always gives the same file.

use super::dns::{qtype, DnsRecord, DomainName};
use super::session::{dns_lookup, tcp_session, tcp_unanswered, DnsReply, Framing, IpPacket};
use super::writer::{PcapWriter, TsResolution, DEFAULT_SNAPLEN};
use super::{Rng, Ts};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// What a bench capture holds, for the benchmark's report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BenchSummary {
    pub packets: u64,
    /// Bytes on the wire (frame lengths), for Gbit/s figures.
    pub wire_bytes: u64,
    pub tcp_sessions: u64,
    pub dns_lookups: u64,
    pub flood_syns: u64,
}

/// Internal clients, beaconing hosts and servers of the mix.
const CLIENTS: u32 = 2_000;
const OUTSIDE_SERVERS: u32 = 5_000;
const BEACONING_HOSTS: u32 = 5;
const BEACON_PERIOD_S: u64 = 60;
/// One second of capture time holds about this many packets (a busy office uplink).
const PACKETS_PER_SECOND: u64 = 2_000;
const FLOOD_SYNS: u64 = 20_000;

/// Writes the office mix with at least `target_packets` packets (the last second is
/// completed) as a classic Ethernet pcap.
pub fn write_mix<W: Write>(w: W, target_packets: u64) -> io::Result<BenchSummary> {
    let framing = Framing::ethernet();
    let mut out = OrderedWriter::new(w, &framing)?;
    let mut rng = Rng::for_scenario("bench-mix");
    let mut sum = BenchSummary::default();
    let resolver = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 53)), 53);
    let popular: Vec<DomainName> = (0..500)
        .map(|i| DomainName::parse(&format!("www.site{i}.example.com")))
        .collect();
    let flood_at = target_packets / PACKETS_PER_SECOND / 2;
    let mut dns_id: u16 = 0;
    let mut s = 0;
    while out.written + (out.pending.len() as u64) < target_packets {
        let second = Ts::BASE + Duration::from_secs(s);
        let budget = out.written + PACKETS_PER_SECOND;
        // Beacons: each host on its own phase, every BEACON_PERIOD_S.
        for h in 0..BEACONING_HOSTS {
            if s % BEACON_PERIOD_S == u64::from(h) * 7 % BEACON_PERIOD_S {
                let client = SocketAddr::new(client_ip(h, false), rng.ephemeral_port());
                let c2 = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 66)), 8443);
                out.add(tcp_session(client, c2, second, 310, 1_020)?)?;
                sum.tcp_sessions += 1;
            }
        }
        // The flood burst: spoofed SYNs at one internal web server for ten seconds.
        if (flood_at..flood_at + 10).contains(&s) {
            let victim = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 80)), 443);
            for i in 0..FLOOD_SYNS / 10 {
                let src = Ipv4Addr::from(rng.next_u32() | 0x0100_0000);
                let at = second + Duration::from_micros(i * 1_000_000 / (FLOOD_SYNS / 10));
                out.add(tcp_unanswered(
                    SocketAddr::new(IpAddr::V4(src), rng.ephemeral_port()),
                    victim,
                    at,
                    0,
                )?)?;
                sum.flood_syns += 1;
            }
        }
        while out.written + out.pending.len() as u64 + 40 < budget {
            let at = second + Duration::from_micros(rng.below(1_000_000));
            let v6 = rng.chance(0.2);
            let client_ip = client_ip(rng.below(u64::from(CLIENTS)) as u32, v6);
            let client = SocketAddr::new(client_ip, rng.ephemeral_port());
            if rng.chance(0.3) {
                // A lookup: mostly popular names, some random names that do not exist,
                // and the DGA host's pseudo-random .com names.
                dns_id = dns_id.wrapping_add(1);
                let (client, name, reply) = if rng.chance(0.05) {
                    let dga = SocketAddr::new(client_ip_v4(1_999), rng.ephemeral_port());
                    (dga, random_name(&mut rng, 14, "com"), DnsReply::NxDomain)
                } else if rng.chance(0.1) {
                    (
                        client,
                        random_name(&mut rng, 10, "example.net"),
                        DnsReply::NxDomain,
                    )
                } else {
                    let pick = rng.below(popular.len() as u64) as usize;
                    let name = popular.get(pick).cloned().unwrap_or_else(DomainName::root);
                    let addr = Ipv4Addr::from(0xc633_6400 | (rng.next_u32() & 0xff));
                    let answer = DnsRecord::a(&name, addr);
                    (client, name, DnsReply::Answers(vec![answer]))
                };
                // Lookups go to the IPv4 resolver even from dual-stack hosts.
                let client = match client.ip() {
                    IpAddr::V6(_) => SocketAddr::new(
                        client_ip_v4(rng.below(u64::from(CLIENTS)) as u32),
                        client.port(),
                    ),
                    IpAddr::V4(_) => client,
                };
                out.add(dns_lookup(
                    client,
                    resolver,
                    at,
                    dns_id,
                    &name,
                    qtype::A,
                    reply,
                )?)?;
                sum.dns_lookups += 1;
            } else {
                let server = server_ip(rng.below(u64::from(OUTSIDE_SERVERS)) as u32, v6);
                let port = if rng.chance(0.8) { 443 } else { 80 };
                let up = rng.range(200, 2_000) as usize;
                let down = rng.range(1_000, 40_000) as usize;
                out.add(tcp_session(
                    client,
                    SocketAddr::new(server, port),
                    at,
                    up,
                    down,
                )?)?;
                sum.tcp_sessions += 1;
            }
        }
        out.flush_before(second + Duration::from_secs(1))?;
        s += 1;
    }
    out.flush_before(Ts::from_nanos(u64::MAX))?;
    sum.packets = out.written;
    sum.wire_bytes = out.wire_bytes;
    out.finish()?;
    Ok(sum)
}

/// Writes `n` distinct UDP flows (internal client to outside server port 53 000 + k),
/// one packet each, spread over one second: every one is alive at the end.
pub fn write_concurrent_flows<W: Write>(w: W, n: u64) -> io::Result<BenchSummary> {
    let framing = Framing::ethernet();
    let mut out = OrderedWriter::new(w, &framing)?;
    let mut conv_sum = BenchSummary::default();
    for i in 0..n {
        let at = Ts::BASE + Duration::from_nanos(i * 1_000_000_000 / n.max(1));
        let client = SocketAddr::new(
            client_ip_v4((i % 60_000) as u32),
            1_024 + (i / 60_000) as u16 % 60_000,
        );
        let server = SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, (i % 200) as u8 + 1)),
            9_000,
        );
        out.add(super::session::udp_exchange(
            client, server, at, b"ping", None,
        )?)?;
    }
    out.flush_before(Ts::from_nanos(u64::MAX))?;
    conv_sum.packets = out.written;
    conv_sum.wire_bytes = out.wire_bytes;
    out.finish()?;
    Ok(conv_sum)
}

fn client_ip_v4(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a01_0000 | (i & 0xffff)))
}

fn client_ip(i: u32, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 1, 0, 0, 0, i as u16))
    } else {
        client_ip_v4(i)
    }
}

fn server_ip(i: u32, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            0,
            0,
            0,
            (i >> 16) as u16,
            i as u16,
        ))
    } else {
        // 100.64/10 and up: outside HOME_NET, unicast.
        IpAddr::V4(Ipv4Addr::from(0x6440_0000 + i))
    }
}

fn random_name(rng: &mut Rng, len: usize, zone: &str) -> DomainName {
    let label: String = (0..len)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect();
    DomainName::parse(&format!("{label}.{zone}"))
}

/// Collects sessions' packets and writes them in timestamp order. Sessions of the mix
/// last well under a second, so everything before the current second's end is final.
struct OrderedWriter<'f, W: Write> {
    w: PcapWriter<W>,
    framing: &'f Framing,
    pending: Vec<IpPacket>,
    written: u64,
    wire_bytes: u64,
}

impl<'f, W: Write> OrderedWriter<'f, W> {
    fn new(w: W, framing: &'f Framing) -> io::Result<Self> {
        let w = PcapWriter::new(w, framing.link_type(), TsResolution::Micro, DEFAULT_SNAPLEN)?;
        Ok(OrderedWriter {
            w,
            framing,
            pending: Vec::new(),
            written: 0,
            wire_bytes: 0,
        })
    }

    fn add(&mut self, packets: Vec<IpPacket>) -> io::Result<()> {
        self.pending.extend(packets);
        Ok(())
    }

    /// Writes every pending packet with a timestamp before `end`, in order.
    fn flush_before(&mut self, end: Ts) -> io::Result<()> {
        self.pending.sort_by_key(|p| p.ts);
        let cut = self.pending.partition_point(|p| p.ts < end);
        for p in self.pending.drain(..cut) {
            let frame = self.framing.frame(&p)?;
            self.w.write_record(p.ts, &frame, frame.len() as u32)?;
            self.written += 1;
            self.wire_bytes += frame.len() as u64;
        }
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        self.w.into_inner().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_is_deterministic_ordered_and_reaches_the_target() {
        let mut a = Vec::new();
        let sum = write_mix(&mut a, 5_000).unwrap();
        let mut b = Vec::new();
        write_mix(&mut b, 5_000).unwrap();
        assert_eq!(a, b);
        assert!(sum.packets >= 5_000, "{sum:?}");
        let offsets = super::super::writer::pcap_record_offsets(&a);
        assert_eq!(offsets.len() as u64, sum.packets);
        let ts: Vec<u64> = offsets
            .iter()
            .map(|&(o, _, _)| {
                let s = u32::from_le_bytes(a[o..o + 4].try_into().unwrap());
                let us = u32::from_le_bytes(a[o + 4..o + 8].try_into().unwrap());
                u64::from(s) * 1_000_000 + u64::from(us)
            })
            .collect();
        assert!(
            ts.windows(2).all(|w| w[0] <= w[1]),
            "timestamps out of order"
        );
    }

    #[test]
    fn concurrent_flows_write_one_packet_per_flow() {
        let mut a = Vec::new();
        let sum = write_concurrent_flows(&mut a, 70_000).unwrap();
        assert_eq!(sum.packets, 70_000);
        assert_eq!(super::super::writer::pcap_record_offsets(&a).len(), 70_000);
    }
}
