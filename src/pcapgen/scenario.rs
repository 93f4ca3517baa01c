//! A [`Scenario`] is one capture file: its name, what it holds, what it must produce, and
//! a function that builds its packets. [`bundled`] lists every capture in `pcaps/`.
//!
//! Adding a capture is a function returning a `Scenario` and one line in [`bundled`]:
//!
//! ```
//! use botsense::pcapgen::{session, Framing, Packet, Scenario, Ts};
//! use std::io;
//! use std::net::SocketAddr;
//!
//! fn one_session() -> io::Result<Vec<Packet>> {
//!     let ips = session::tcp_session(
//!         SocketAddr::from(([10, 0, 0, 1], 40000)),
//!         SocketAddr::from(([198, 51, 100, 1], 443)),
//!         Ts::BASE,
//!         100,
//!         200,
//!     )?;
//!     Framing::ethernet().packets(&ips)
//! }
//!
//! let s = Scenario::new("one-session", "one-session.pcap", one_session)
//!     .describe("one TCP session", "one accepted TCP flow, FIN close");
//! assert_eq!(s.to_bytes().map(|b| b.len()).unwrap_or(0), 24 + 10 * 16 + 10 * 54 + 300);
//! ```

use super::writer::{self, Interface, TsResolution, DEFAULT_SNAPLEN};
use super::{bad, pipeline, LinkType, Packet};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every bundled capture, in the order the README lists them.
pub fn bundled() -> Vec<Scenario> {
    vec![
        pipeline::flows_basic(),
        pipeline::dns_basic(),
        pipeline::vlan_qinq(),
        pipeline::linux_sll2(),
        pipeline::linux_sll(),
        pipeline::raw_ip(),
        pipeline::null_loopback(),
        pipeline::ipv6_ext(),
        pipeline::ipv4_frag_options(),
        pipeline::tunnels(),
        pipeline::mixed_linktypes(),
        pipeline::nanosecond(),
        pipeline::multi_b_first(),
        pipeline::multi_a_second(),
        bad::truncated(),
        bad::empty(),
        bad::not_a_capture(),
        bad::unsupported_linktype(),
        bad::header_only(),
        bad::malformed_packets(),
        super::detect_cases::seed_t1583_1_beacon_8080(),
        super::detect_cases::seed_t1583_3_irc_6667(),
        super::detect_cases::seed_t1584_1_beacon_9001(),
        super::detect_cases::seed_t1584_2_irc_6667(),
        super::detect_cases::seed_t1584_4_dga(),
        super::detect_cases::beacon_jitter_300s(),
        super::detect_cases::beacon_hourly(),
        super::detect_cases::beacon_refused(),
        super::detect_cases::beacon_ipv6_vlan(),
        super::detect_cases::beacon_udp(),
        super::detect_cases::beacon_443_periodic(),
        super::detect_cases::dns_tunnel(),
        super::detect_cases::benign_ssh(),
        super::detect_cases::benign_ntp(),
        super::detect_cases::benign_browsing(),
        super::detect_cases::benign_cdn(),
        super::detect_cases::benign_server(),
        super::detect_cases2::seed_t1583_2_relay(),
        super::detect_cases2::relay_orb(),
        super::detect_cases2::seed_t1583_4_scan_22(),
        super::detect_cases2::seed_t1584_3_burst(),
        super::detect_cases2::inbound_http_flood(),
        super::detect_cases2::inbound_ssh_bruteforce(),
        super::detect_cases2::udp_amplification(),
        super::detect_cases2::benign_busy_server(),
        super::detect_cases2::benign_web_db(),
        super::detect_cases2::benign_many_443(),
        super::live_cases::beacon_fast(),
    ]
}

/// How a scenario's packets become a file.
#[derive(Clone, Copy, Debug)]
pub enum Format {
    /// Classic pcap; the link type is the first packet's (Ethernet when there is none).
    Pcap {
        resolution: TsResolution,
        snaplen: u32,
        gzip: bool,
    },
    /// pcapng with these interfaces declared first (see [`writer::write_pcapng`]).
    Pcapng { interfaces: &'static [Interface] },
    /// Bytes made by a function: inputs that are deliberately not a good capture. The
    /// scenario's packets are then the records a reader should still deliver.
    Bytes(fn() -> io::Result<Vec<u8>>),
}

/// A flow a scenario must produce, as the flow table should count it.
///
/// Bytes are whole frames as the capture header gives their length (link header
/// included, the outer headers too for a tunnelled flow), as Suricata counts them;
/// payload is the transport payload as the headers state it. For ICMP the "ports" are
/// the type and code of the client's first packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedFlow {
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    pub proto: u8,
    /// The initiator, `ip:port` or `[ipv6]:port`.
    pub client: &'static str,
    pub server: &'static str,
    /// VLAN ids, outer first, 0 when absent.
    pub vlan: [u16; 2],
    pub pkts_toserver: u64,
    pub pkts_toclient: u64,
    pub bytes_toserver: u64,
    pub bytes_toclient: u64,
    pub payload_toserver: u64,
    pub payload_toclient: u64,
    /// `accepted`, `refused` or `unanswered` (for UDP and ICMP: answered or not).
    pub outcome: &'static str,
    /// `fin`, `rst`, or `open` (no close: ends by timeout or at end of input).
    pub end: &'static str,
}

impl ExpectedFlow {
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.client.parse().ok()
    }
    pub fn server_addr(&self) -> Option<SocketAddr> {
        self.server.parse().ok()
    }
}

/// A DNS transaction a scenario must produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedDns {
    pub client: &'static str,
    pub server: &'static str,
    /// 17 for UDP, 6 for TCP.
    pub proto: u8,
    pub id: u16,
    /// Label bytes joined with `.`, verbatim (as `decode::dns::DnsName` keeps them).
    pub qname: &'static [u8],
    pub qtype: u16,
    /// `None`: no response (the query times out).
    pub rcode: Option<u8>,
    /// Answers in order, as `TYPE value`: `A 198.51.100.80`, `CNAME edge.example.net`,
    /// `AAAA 2001:db8::80`, `HTTPS <n bytes>`.
    pub answers: &'static [&'static str],
}

/// A decode outcome a scenario must produce: the `layer.reason` name of a
/// [`crate::decode::DecodeCounter`] (`ipv4.hlen_too_small`, `ipv6.frag_ignored`,
/// `link.unsupported`, ...) and how many packets count it.
pub type ExpectedDecodeError = (&'static str, u64);

/// One capture file and what it is for.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// Short name for `botsense-pcapgen NAME` (the file path with `/` as `-`, no suffix).
    pub name: &'static str,
    /// Path under the output directory, e.g. `flows-basic.pcap`, `bad/empty.pcap`.
    pub file: &'static str,
    /// What it holds.
    pub description: &'static str,
    /// What it must produce or trigger.
    pub expect: &'static str,
    pub format: Format,
    /// Builds the packets (for `Format::Bytes`, the records a reader should deliver).
    pub build: fn() -> io::Result<Vec<Packet>>,
    pub flows: &'static [ExpectedFlow],
    pub dns: &'static [ExpectedDns],
    pub decode_errors: &'static [ExpectedDecodeError],
}

impl Scenario {
    /// A microsecond pcap with the default snaplen and no expectations yet.
    pub fn new(
        name: &'static str,
        file: &'static str,
        build: fn() -> io::Result<Vec<Packet>>,
    ) -> Self {
        Scenario {
            name,
            file,
            description: "",
            expect: "",
            format: Format::Pcap {
                resolution: TsResolution::Micro,
                snaplen: DEFAULT_SNAPLEN,
                gzip: false,
            },
            build,
            flows: &[],
            dns: &[],
            decode_errors: &[],
        }
    }

    pub fn describe(mut self, description: &'static str, expect: &'static str) -> Self {
        self.description = description;
        self.expect = expect;
        self
    }

    pub fn nanosecond(mut self) -> Self {
        if let Format::Pcap { resolution, .. } = &mut self.format {
            *resolution = TsResolution::Nano;
        }
        self
    }

    pub fn snaplen(mut self, n: u32) -> Self {
        if let Format::Pcap { snaplen, .. } = &mut self.format {
            *snaplen = n;
        }
        self
    }

    pub fn gzip(mut self) -> Self {
        if let Format::Pcap { gzip, .. } = &mut self.format {
            *gzip = true;
        }
        self
    }

    pub fn pcapng(mut self, interfaces: &'static [Interface]) -> Self {
        self.format = Format::Pcapng { interfaces };
        self
    }

    pub fn bytes(mut self, make: fn() -> io::Result<Vec<u8>>) -> Self {
        self.format = Format::Bytes(make);
        self
    }

    pub fn flows(mut self, flows: &'static [ExpectedFlow]) -> Self {
        self.flows = flows;
        self
    }

    pub fn dns(mut self, dns: &'static [ExpectedDns]) -> Self {
        self.dns = dns;
        self
    }

    pub fn decode_errors(mut self, errors: &'static [ExpectedDecodeError]) -> Self {
        self.decode_errors = errors;
        self
    }

    /// The packets, in file order.
    pub fn packets(&self) -> io::Result<Vec<Packet>> {
        (self.build)()
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> io::Result<Vec<u8>> {
        match self.format {
            Format::Pcap {
                resolution,
                snaplen,
                gzip,
            } => {
                let packets = self.packets()?;
                let link = packets.first().map_or(LinkType::ETHERNET, |p| p.link);
                if gzip {
                    let gz = writer::gzip(Vec::new());
                    writer::write_pcap(gz, link, resolution, snaplen, &packets)?.finish()
                } else {
                    writer::write_pcap(Vec::new(), link, resolution, snaplen, &packets)
                }
            }
            Format::Pcapng { interfaces } => {
                writer::write_pcapng(Vec::new(), interfaces, &self.packets()?)
            }
            Format::Bytes(make) => make(),
        }
    }

    /// Writes the file under `dir` (creating sub-directories) and returns its path.
    pub fn write_into(&self, dir: &Path) -> io::Result<PathBuf> {
        let path = dir.join(self.file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let bytes = self.to_bytes()?;
        let mut f = std::fs::File::create(&path)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        Ok(path)
    }
}

/// `pcaps/README.md`: one line per scenario (file, what it holds, what it must produce).
pub fn readme(scenarios: &[Scenario]) -> String {
    let mut s = String::from(
        "# Bundled captures\n\n\
         Generated by `scripts/gen-pcaps.sh` (`botsense-pcapgen --out pcaps`) from \
         `src/pcapgen/`; do not edit the captures or this file by hand: change the \
         scenario and regenerate. Every regeneration is byte-identical.\n\n\
         All captures start at 2026-11-22T10:00:00Z (1795341600). Internal hosts are in \
         10/8, 192.168/16 and fd00::/8; external ones in 198.51.100.0/24, 203.0.113.0/24 \
         and 2001:db8::/32. Exact per-flow counts (packets, frame bytes and payload bytes \
         each way), DNS transactions and decode errors are in each scenario's `flows`, \
         `dns` and `decode_errors` (`botsense::pcapgen::bundled()`), which tests assert.\n\n",
    );
    for sc in scenarios {
        s.push_str(&format!(
            "- `{}` — {} — **must produce:** {}\n",
            sc.file, sc.description, sc.expect
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_scenario_generates_identical_bytes_twice() {
        for s in bundled() {
            let a = s.to_bytes().unwrap();
            let b = s.to_bytes().unwrap();
            assert_eq!(a, b, "{}", s.name);
        }
    }

    #[test]
    fn names_and_files_are_unique_and_described() {
        let all = bundled();
        let names: HashSet<_> = all.iter().map(|s| s.name).collect();
        let files: HashSet<_> = all.iter().map(|s| s.file).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(files.len(), all.len());
        for s in &all {
            assert!(
                !s.description.is_empty() && !s.expect.is_empty(),
                "{}",
                s.name
            );
            let stem = s.file.rsplit_once('.').map_or(s.file, |(a, _)| a);
            assert_eq!(s.name, stem.replace('/', "-"), "{}", s.name);
        }
    }

    #[test]
    fn bundled_captures_stay_small() {
        // The repository carries every capture: each under 1 MiB, all under 4 MiB.
        let mut total = 0;
        for s in bundled() {
            let n = s.to_bytes().unwrap().len();
            assert!(n < 1 << 20, "{}: {n} bytes", s.file);
            total += n;
        }
        assert!(total < 4 << 20, "{total} bytes");
    }

    #[test]
    fn readme_has_a_line_per_capture() {
        let all = bundled();
        let r = readme(&all);
        assert_eq!(
            r.lines().filter(|l| l.starts_with("- `")).count(),
            all.len()
        );
    }
}
