//! Flows: the bounded per-worker [`FlowTable`] and the records it emits.
//!
//! A worker feeds every [`PacketMeta`](crate::decode::PacketMeta) it owns to its flow
//! table, which keys flows by the symmetric 5-tuple plus VLAN, remembers who initiated,
//! follows the TCP handshake to its outcome, counts packets and bytes each way, and ends a
//! flow on FIN/RST, idle timeout, eviction or shutdown. DNS messages are paired into
//! [`DnsTransaction`]s by [`DnsTracker`]. Flows never judge: the records go to the
//! detectors and to the EVE writer.

pub mod community_id;
mod dns_tracker;
mod expiry;
mod table;

pub use dns_tracker::{DnsCounters, DnsTracker, DnsTrackerConfig, DnsTransaction};
pub use table::{FlowConfig, FlowCounters, FlowRef, FlowTable};

use crate::decode::{Proto, VlanIds};
use crate::time::Timestamp;
use std::net::IpAddr;

/// One side of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

/// How a TCP flow's opening went. For UDP and ICMP, `Accepted` means the responder
/// answered at least once and `Unanswered` that it never did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Still waiting: a SYN (or a first datagram) and nothing back yet.
    Pending,
    /// SYN-ACK seen from the responder (or, for UDP/ICMP, any reply).
    Accepted,
    /// The responder answered the SYN with RST.
    Refused,
    /// The flow ended with no answer from the responder.
    Unanswered,
    /// Picked up mid-stream: the first packet seen was not a SYN.
    Midstream,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Accepted => "accepted",
            Outcome::Refused => "refused",
            Outcome::Unanswered => "unanswered",
            Outcome::Midstream => "midstream",
        }
    }
}

/// Why a flow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// Not ended yet.
    Active,
    /// Both sides sent FIN (or one FIN and the flow went idle).
    Fin,
    Rst,
    Timeout,
    /// Pushed out of a full flow table.
    Evicted,
    /// End of input or shutdown flushed it.
    Shutdown,
}

impl EndReason {
    /// The value Suricata writes in `flow.reason`.
    pub fn eve_reason(self) -> &'static str {
        match self {
            EndReason::Active | EndReason::Fin | EndReason::Rst | EndReason::Timeout => "timeout",
            EndReason::Evicted => "forced",
            EndReason::Shutdown => "shutdown",
        }
    }
}

/// Everything known about one flow: what the detectors and the EVE writer read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowRecord {
    /// Stable id of this flow (a keyed-free hash of the tuple and start time), the same
    /// in every record of the flow and for any number of workers.
    pub flow_id: u64,
    /// The side that sent the first packet we saw (for TCP, the SYN when we saw it).
    pub client: Endpoint,
    pub server: Endpoint,
    pub proto: Proto,
    pub vlan: VlanIds,
    pub start: Timestamp,
    pub last: Timestamp,
    pub pkts_toserver: u64,
    pub pkts_toclient: u64,
    pub bytes_toserver: u64,
    pub bytes_toclient: u64,
    /// Transport payload bytes each way (what relay symmetry and beacon sizes use).
    pub payload_toserver: u64,
    pub payload_toclient: u64,
    /// Union of TCP flags seen each way.
    pub tcp_flags_ts: u8,
    pub tcp_flags_tc: u8,
    pub outcome: Outcome,
    pub end: EndReason,
}

/// What the flow layer tells the detectors and the EVE writer, in packet-time order
/// within a worker.
#[derive(Clone, Copy, Debug)]
pub enum Record<'a> {
    /// A new flow: its first packet. TCP attempts (answered or not) all start here.
    ConnStart(&'a FlowRecord),
    /// The opening was decided: `outcome` is `Accepted` or `Refused`.
    Handshake(&'a FlowRecord),
    /// The flow ended (`end` says why); counters are final.
    FlowEnd(&'a FlowRecord),
    /// A DNS query and its response, or a query that timed out unanswered.
    Dns(&'a DnsTransaction),
}

impl Record<'_> {
    pub fn ts(&self) -> Timestamp {
        match self {
            Record::ConnStart(f) => f.start,
            Record::Handshake(f) | Record::FlowEnd(f) => f.last,
            Record::Dns(d) => d.ts(),
        }
    }
}
