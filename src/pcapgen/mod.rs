//! The project's own capture generator: deterministic packets, sessions and capture files.
//!
//! Every capture in `pcaps/` is written by this module (through the `botsense-pcapgen`
//! binary), and tests and benches can build the same packets in memory. Nothing here
//! reads a clock or an entropy source: timestamps are parameters ([`Ts`]), randomness
//! comes from [`Rng`] seeded per scenario, so every regeneration is byte-identical.
//!
//! Layers, bottom up:
//!
//! * [`build`]: header builders returning `Vec<u8>` (Ethernet, 802.1Q/QinQ, Linux SLL and
//!   SLL2, BSD NULL, IPv4 with options and fragments, IPv6 with extension headers, TCP,
//!   UDP, ICMP, ICMPv6, GRE, VXLAN), checksums included.
//! * [`dns`]: DNS messages with arbitrary label bytes and optional name compression.
//! * [`session`]: whole conversations as IP packets with an explicit clock
//!   ([`session::TcpSession`], [`session::dns_lookup`], ...), and [`session::Framing`],
//!   which puts them on a link (Ethernet with VLAN tags, SLL, SLL2, raw, NULL, GRE, VXLAN).
//! * [`writer`]: classic pcap (µs or ns), pcapng (several interfaces), gzip.
//! * [`scenario`]: a named capture with its description and expected results, and
//!   [`scenario::bundled`], the registry of every capture in `pcaps/`.
//!
//! To add a capture: write a `fn my_case() -> Scenario` (in [`pipeline`] for pipeline
//! captures, or a new file next to it for a detector's test cases) and add one line to
//! [`scenario::bundled`]; `scripts/gen-pcaps.sh` writes it and its README line.

pub mod bad;
pub mod bench;
pub mod build;
#[cfg(test)]
mod check;
pub mod detect_cases;
pub mod detect_cases2;
pub mod dns;
pub mod live_cases;
pub mod pipeline;
pub mod rng;
pub mod scenario;
pub mod session;
pub mod writer;

pub use rng::Rng;
pub use scenario::{bundled, ExpectedDns, ExpectedFlow, Format, Scenario};
pub use session::{Dir, Framing, IpPacket};
pub use writer::{PcapWriter, PcapngWriter, TsResolution};

use std::ops::Add;
use std::time::Duration;

/// The base time of every bundled capture: 2026-11-22T10:00:00Z.
pub const BASE_SECS: u64 = 1_795_341_600;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A packet timestamp in nanoseconds since the Unix epoch. The generator's only clock:
/// every builder takes it as a parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(u64);

impl Ts {
    /// 2026-11-22T10:00:00Z, where every bundled capture starts.
    pub const BASE: Ts = Ts(BASE_SECS * NANOS_PER_SEC);

    pub const fn from_nanos(ns: u64) -> Self {
        Ts(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        Ts(us.saturating_mul(1_000))
    }
    pub const fn from_secs(s: u64) -> Self {
        Ts(s.saturating_mul(NANOS_PER_SEC))
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Microseconds since the epoch, truncated (what a µs capture stores and what
    /// [`crate::time::Timestamp`] holds).
    pub const fn as_micros(self) -> u64 {
        self.0 / 1_000
    }
    pub const fn secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }
    pub const fn subsec_nanos(self) -> u32 {
        (self.0 % NANOS_PER_SEC) as u32
    }
    pub const fn subsec_micros(self) -> u32 {
        self.subsec_nanos() / 1_000
    }
    pub const fn plus_secs(self, s: u64) -> Self {
        Ts(self.0.saturating_add(s.saturating_mul(NANOS_PER_SEC)))
    }
    pub const fn plus_millis(self, ms: u64) -> Self {
        Ts(self.0.saturating_add(ms.saturating_mul(1_000_000)))
    }
    pub const fn plus_micros(self, us: u64) -> Self {
        Ts(self.0.saturating_add(us.saturating_mul(1_000)))
    }
    pub const fn plus_nanos(self, ns: u64) -> Self {
        Ts(self.0.saturating_add(ns))
    }
}

impl Add<Duration> for Ts {
    type Output = Ts;
    fn add(self, d: Duration) -> Ts {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Ts(self.0.saturating_add(ns))
    }
}

/// A pcap LINKTYPE value (the numbers of <https://www.tcpdump.org/linktypes.html>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the writer's byte order.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IPv4 or IPv6, told apart by the version nibble.
    pub const RAW: LinkType = LinkType(101);
    /// IEEE 802.11 without radio header: a link botsense does not decode.
    pub const IEEE802_11: LinkType = LinkType(105);
    /// Linux cooked capture v1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Linux cooked capture v2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured packet: when, on which link, the frame bytes, and the length on the
/// wire when it was longer than `frame` (a snaplen cut made before it reached us).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub ts: Ts,
    pub link: LinkType,
    pub frame: Vec<u8>,
    /// Original length on the wire; `None` means `frame.len()`.
    pub orig_len: Option<u32>,
}

impl Packet {
    pub fn new(ts: Ts, link: LinkType, frame: Vec<u8>) -> Self {
        Packet {
            ts,
            link,
            frame,
            orig_len: None,
        }
    }

    /// The length on the wire: `orig_len`, or the frame length.
    pub fn wire_len(&self) -> u32 {
        let len = u32::try_from(self.frame.len()).unwrap_or(u32::MAX);
        self.orig_len.unwrap_or(len).max(len)
    }
}

/// `items[i]`. Scenario code only indexes its own tables with indices below their
/// length; an error here is a generator bug, reported rather than panicking.
pub(crate) fn nth<T: Copy>(items: &[T], i: usize) -> std::io::Result<T> {
    items
        .get(i)
        .copied()
        .ok_or_else(|| std::io::Error::other(format!("index {i} of a {}-item table", items.len())))
}

/// One of `items` drawn uniformly by `rng` (the default for an empty table).
pub(crate) fn pick<T: Copy + Default>(rng: &mut Rng, items: &[T]) -> T {
    rng.pick(items).copied().unwrap_or_default()
}

/// `items[k % items.len()]`: round-robin over a table (the default for an empty one).
pub(crate) fn cycle<T: Copy + Default>(items: &[T], k: usize) -> T {
    items
        .get(k.checked_rem(items.len()).unwrap_or(0))
        .copied()
        .unwrap_or_default()
}

/// Sorts packets by timestamp, keeping the order of equal timestamps (scenarios build
/// conversations one by one and then interleave them this way).
pub fn sort_by_time(packets: &mut [Packet]) {
    packets.sort_by_key(|p| p.ts);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_time_is_2026_11_22_ten_o_clock() {
        assert_eq!(Ts::BASE.secs(), 1_795_341_600);
        assert_eq!(Ts::BASE.plus_millis(1500).subsec_micros(), 500_000);
        assert_eq!(Ts::BASE + Duration::from_nanos(7), Ts::BASE.plus_nanos(7));
    }

    #[test]
    fn wire_len_is_never_below_the_frame() {
        let mut p = Packet::new(Ts::BASE, LinkType::ETHERNET, vec![0; 60]);
        assert_eq!(p.wire_len(), 60);
        p.orig_len = Some(1514);
        assert_eq!(p.wire_len(), 1514);
        p.orig_len = Some(10);
        assert_eq!(p.wire_len(), 60);
    }
}
