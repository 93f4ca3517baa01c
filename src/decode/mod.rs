//! Decode: pure functions from captured bytes to a small [`PacketMeta`].
//!
//! Nothing here keeps state between packets or reads a clock. The capture thread calls
//! [`decode_packet`] for every record; the result is either a `PacketMeta` (addresses,
//! ports, protocol, TCP flags, lengths, VLAN ids and, for DNS, a copy of the message
//! bytes for the worker to parse) or `None`, in which case the reason was counted in
//! [`DecodeCounters`]. Malformed input is data to count, never a panic.
//!
//! Layers: Ethernet, 802.1Q/QinQ, Linux SLL and SLL2, raw IP, BSD NULL/loopback, IPv4
//! (options, fragments), IPv6 (extension headers), TCP, UDP, ICMP, ICMPv6, and the inner
//! packet of GRE, VXLAN, Geneve and MPLS where practical. DNS message parsing lives in
//! [`dns`] and runs in the workers.

pub mod counters;
pub mod dns;
mod link;
mod packet;

pub use counters::{DecodeCounter, DecodeCounters};
pub use link::LinkType;
pub use packet::{decode_packet, MAX_TUNNEL_DEPTH};

use crate::time::Timestamp;
use std::net::IpAddr;

/// IP protocol numbers botsense tracks flows for; anything else is `Other(n)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    Other(u8),
}

impl Proto {
    pub fn from_number(n: u8) -> Self {
        match n {
            6 => Proto::Tcp,
            17 => Proto::Udp,
            1 => Proto::Icmp,
            58 => Proto::Icmpv6,
            n => Proto::Other(n),
        }
    }

    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
            Proto::Icmp => 1,
            Proto::Icmpv6 => 58,
            Proto::Other(n) => n,
        }
    }

    /// The name EVE uses in `proto` ("TCP", "UDP", "ICMP", "IPV6-ICMP", or the number).
    pub fn eve_name(self) -> std::borrow::Cow<'static, str> {
        match self {
            Proto::Tcp => "TCP".into(),
            Proto::Udp => "UDP".into(),
            Proto::Icmp => "ICMP".into(),
            Proto::Icmpv6 => "IPv6-ICMP".into(),
            Proto::Other(n) => n.to_string().into(),
        }
    }

    /// Lower-case name for signatures and config ("tcp", "udp", ...).
    pub fn short_name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Icmpv6 => "icmpv6",
            Proto::Other(_) => "ip",
        }
    }
}

/// TCP flag bits as on the wire (byte 13 of the TCP header).
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

/// Up to two 802.1Q ids, outer first; `0` in a slot means absent. Deeper stacks keep the
/// outer two and count `vlan.too_many_layers`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VlanIds(pub [u16; 2]);

impl VlanIds {
    pub fn is_empty(&self) -> bool {
        self.0[0] == 0
    }
    /// The ids present, outer first, as EVE's `vlan` array lists them.
    pub fn ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.0.iter().copied().take_while(|v| *v != 0)
    }
}

/// What the capture thread hands to a worker for one packet.
///
/// For ICMP and ICMPv6 the "ports" are the type and code, as Community ID and Suricata
/// treat them. Non-first IPv4/IPv6 fragments never become a `PacketMeta`: they are
/// counted (`ipv4.frag_ignored`) and dropped, because they carry no ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketMeta {
    pub ts: Timestamp,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub proto: Proto,
    /// TCP flags byte; 0 for other protocols.
    pub tcp_flags: u8,
    pub vlan: VlanIds,
    /// Length of the packet on the wire (the capture header's original length).
    pub wire_len: u32,
    /// Transport payload length as the headers state it (may exceed what was captured).
    pub payload_len: u32,
    /// The transport payload when it is DNS (UDP or TCP port 53), for the worker to
    /// parse; at most [`MAX_DNS_PAYLOAD`] bytes are kept.
    pub dns: Option<Box<[u8]>>,
}

/// DNS over UDP is at most 64 KiB; anything longer than this is not kept.
pub const MAX_DNS_PAYLOAD: usize = 65_535;

/// Where DNS is expected: either port 53.
pub const DNS_PORT: u16 = 53;
