//! Capture: where packets come from. Knows libpcap and capture file formats, nothing of
//! protocols.
//!
//! * [`file`] reads pcap and pcapng files (also gzip-compressed) with `pcap-parser`,
//!   one after another in time order when given a directory, and reports a truncated or
//!   corrupt file with its name and byte offset after handing over every packet before it.
//! * [`live`] opens an interface with libpcap (promiscuous, explicit ring-buffer size,
//!   BPF filter, kernel drop counters) and polls it, so an idle link still ticks.
//!
//! Both hand each record to a callback as a [`RawPacket`] borrowing the reader's buffer.

pub mod file;
pub mod live;

use crate::decode::LinkType;
use crate::time::Timestamp;
use std::path::PathBuf;

/// One captured record, borrowed from the reader.
#[derive(Clone, Copy, Debug)]
pub struct RawPacket<'a> {
    pub ts: Timestamp,
    pub data: &'a [u8],
    /// Length on the wire (at least `data.len()` unless the file lies).
    pub wire_len: u32,
    pub link: LinkType,
}

/// What the consumer of packets wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// A capture problem that stops a source from being read at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: cannot open: {error}")]
    Open {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: not a pcap or pcapng capture file")]
    NotACapture { path: PathBuf },
    #[error("{path}: empty file, not a capture")]
    Empty { path: PathBuf },
    #[error("{path}: unsupported link type {linktype}")]
    UnsupportedLinkType { path: PathBuf, linktype: u32 },
    #[error("{path}: no capture files in this directory")]
    EmptyDirectory { path: PathBuf },
    #[error("interface {iface}: {message}")]
    Interface { iface: String, message: String },
    /// Opening the interface failed and the process lacks `CAP_NET_RAW`: say what to
    /// grant rather than only libpcap's `socket: Operation not permitted`.
    #[error(
        "interface {iface}: no permission to capture ({message}): live capture needs root \
         or the CAP_NET_RAW capability (e.g. `setcap cap_net_raw+ep` on the binary, or \
         `AmbientCapabilities=CAP_NET_RAW` in the systemd unit)"
    )]
    CapturePermission { iface: String, message: String },
    #[error("BPF filter `{filter}`: {message}")]
    Filter { filter: String, message: String },
}

/// Counters the capture side publishes in `stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureCounters {
    /// Records read from files or the interface, before BPF.
    pub records: u64,
    /// Records the BPF filter rejected (offline; live filtering happens in the kernel).
    pub filtered: u64,
    pub files_read: u64,
    /// Files that ended early (truncated or corrupt) or could not be read.
    pub file_errors: u64,
    /// Records of pcapng interfaces whose link type botsense cannot decode.
    pub unsupported_link: u64,
    /// Records longer than the capture limit, skipped.
    pub oversized: u64,
    /// From libpcap's `pcap_stats` in live mode.
    pub kernel_packets: Option<u64>,
    pub kernel_drops: Option<u64>,
    pub kernel_ifdrops: Option<u64>,
}
