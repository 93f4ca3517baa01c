//! botsense: a passive network sensor that reports hosts working for a botnet.
//!
//! ```text
//!  capture thread            worker threads (N, sharded by host)          output thread
//!  ──────────────            ───────────────────────────────────          ─────────────
//!  capture: libpcap live /   flow: FlowTable ─► ConnStart / Handshake /   output: EVE lines
//!  pcap-parser files    ──►        FlowEnd records, DnsTracker ─► Dns ──►  (eve.json), stats
//!  decode: bytes ─►          detect: DetectorSet ─► Alerts
//!  PacketMeta, sharded       output::eve: records and alerts ─► EVE lines
//!  by host, in batches                                                       │ bounded queue
//!                                                                            ▼
//!                                                                      syslog: RFC 5424 to a SIEM
//!                                                                      (UDP, TCP, TLS)
//! ```
//!
//! * [`capture`] reads packets (libpcap live, pcap/pcapng files) and knows no protocol.
//! * [`decode`] turns bytes into a [`decode::PacketMeta`]; pure functions.
//! * [`flow`] keeps the bounded flow table and pairs DNS transactions; it never judges.
//! * [`detect`] holds the detectors; no I/O.
//! * [`output`] formats EVE JSON and delivers it; it never reads detector state.
//! * [`runtime`] alone spawns threads: capture, `worker-N`, `output`, and `syslog` when
//!   forwarding to a SIEM ([`output::syslog`]).
//! * [`config`] turns the TOML file and the flags into one checked [`config::Config`].
//! * [`time`] is the packet clock.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod capture;
pub mod config;
pub mod decode;
pub mod detect;
pub mod flow;
pub mod hash;
pub mod output;
pub mod pcapgen;
pub mod runtime;
pub mod time;
