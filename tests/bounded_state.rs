//! State under attack stays bounded: captures generated at test time drive the flow
//! table, the pending DNS queries and the detectors' per-host and per-key maps far past
//! small configured limits. Each bound must evict and count (`*_evicted`, `*_dropped`),
//! never hold more than its limit in any `stats` event, and the process's peak memory
//! (GNU time's `%M`, the kernel's `ru_maxrss`) may grow at most [`PEAK_GROWTH_KIB`] over
//! the same binary and config replaying an empty capture (so the build profile and the
//! allocator do not move the bound).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use botsense::pcapgen::build::{self, ethertype, tcp_flags};
use botsense::pcapgen::writer::{self, TsResolution, DEFAULT_SNAPLEN};
use botsense::pcapgen::{LinkType, Packet, Ts};
use common::run::{replay_measured, Run};
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// How many distinct flows, hosts, names or keys each attack brings: far past the
/// limits below, and enough that unbounded state would show in the peak RSS.
const ATTACK: u32 = 30_000;

/// Peak RSS a replay with the small limits below may add over an empty replay. Measured
/// on 2026-11-23 (debug build): 14-44 MiB absolute with the limits; the same flow and
/// DNS attacks with the default limits peak at 67 and 96 MiB, so state that escaped its
/// bound fails here.
const PEAK_GROWTH_KIB: u64 = 40 * 1024;

fn eth(ip: &[u8]) -> Vec<u8> {
    build::ethernet(
        [0x02, 0, 0, 0, 0, 0x01],
        [0x02, 0, 0, 0, 0, 0x02],
        &[],
        ethertype::IPV4,
        ip,
    )
}

/// An internal address per `i`: 10.x.y.z.
fn internal(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 | (i & 0x00ff_ffff) | 0x0001_0000)
}

/// An external address per `i`: in 100.64.0.0/10, outside every default HOME_NET.
fn external(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x6440_0000 | (i & 0x003f_ffff))
}

/// A DNS query for `name` (dotted ASCII), A.
fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m
}

/// A 32-hex-digit label, different for every `i`: reads as encoded data and random.
fn hex_label(i: u32) -> String {
    let x = u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!("{x:016x}{:016x}", x.rotate_left(29) ^ 0x5bd1_e995)
}

/// The capture in its own tempdir and a config holding `toml`.
struct Attack {
    dir: tempfile::TempDir,
    capture: PathBuf,
}

impl Attack {
    /// Packets 1 ms apart from the base time, written as one Ethernet pcap.
    fn new(frames: impl Iterator<Item = Vec<u8>>) -> Attack {
        let packets: Vec<Packet> = frames
            .enumerate()
            .map(|(i, f)| Packet::new(Ts::BASE.plus_millis(i as u64), LinkType::ETHERNET, f))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let capture = dir.path().join("attack.pcap");
        let bytes = writer::write_pcap(
            Vec::new(),
            LinkType::ETHERNET,
            TsResolution::Micro,
            DEFAULT_SNAPLEN,
            &packets,
        )
        .unwrap();
        std::fs::write(&capture, bytes).unwrap();
        Attack { dir, capture }
    }

    /// Replays with one worker (so per-worker limits are the configured ones), a stats
    /// event every second of packet time, no flow events, and `toml` on top.
    fn replay(&self, toml: &str) -> Run {
        let cfg = self.dir.path().join("limits.toml");
        let text = format!("workers = 1\n[eve]\nflow = false\nstats_interval_s = 1\n{toml}");
        std::fs::write(&cfg, text).unwrap();
        let args = ["-q", "-c", cfg.to_str().unwrap()];
        let (run, peak_kib) = replay_measured(&self.capture, &args);
        assert_eq!(run.code(), Some(0), "{}", run.stderr());
        let empty = common::run::pcap("bad/header-only.pcap");
        let (base, base_kib) = replay_measured(&empty, &args);
        assert_eq!(base.code(), Some(0), "{}", base.stderr());
        eprintln!("peak RSS {peak_kib} KiB, empty replay {base_kib} KiB");
        assert!(
            peak_kib.saturating_sub(base_kib) <= PEAK_GROWTH_KIB,
            "peak RSS {peak_kib} KiB is more than {PEAK_GROWTH_KIB} KiB over an empty replay's {base_kib} KiB"
        );
        run
    }
}

/// `botsense.stats.PATH` in one stats event.
fn gauge(stats: &Value, path: &str) -> u64 {
    let mut v = &stats["botsense"]["stats"];
    for part in path.split('.') {
        v = &v[part];
    }
    v.as_u64()
        .unwrap_or_else(|| panic!("no botsense.stats.{path} in {stats}"))
}

/// Every stats event holds at most `limit` in `gauge_path`, and there were several.
fn never_above(run: &Run, gauge_path: &str, limit: u64) {
    let stats = run.of_type("stats");
    assert!(stats.len() >= 10, "{} stats events", stats.len());
    for s in stats {
        let v = gauge(s, gauge_path);
        assert!(v <= limit, "{gauge_path} = {v} over {limit}: {s}");
    }
}

#[test]
fn many_flows_are_evicted_at_flow_max_flows() {
    let frames = (0..ATTACK).map(|i| {
        let ip = build::udp_packet(
            SocketAddr::from((internal(i % 200), 1024 + (i / 200) as u16)),
            SocketAddr::from((external(i), 9999)),
            b"x",
        )
        .unwrap();
        eth(&ip)
    });
    let run = Attack::new(frames).replay("[flow]\nmax_flows = 256\n");
    assert_eq!(run.counter("botsense.stats.flow.limit"), 256);
    never_above(&run, "flow.active", 256);
    // Each flow past the limit pushed one out (none is old enough to time out).
    assert!(
        run.counter("botsense.stats.flow.evicted") >= u64::from(ATTACK) - 256,
        "{}",
        run.final_stats()
    );
}

#[test]
fn many_hosts_and_unique_dns_names_are_evicted_at_their_limits() {
    // Every query from its own internal host, for its own never-answered name under its
    // own parent domain: pending queries, dga hosts and dns_tunnel keys all grow.
    let frames = (0..ATTACK).map(|i| {
        let name = format!("{}.p{i}.example.net", hex_label(i));
        let ip = build::udp_packet(
            SocketAddr::from((internal(i), 40000)),
            SocketAddr::from(([192, 0, 2, 53], 53)),
            &dns_query(i as u16, &name),
        )
        .unwrap();
        eth(&ip)
    });
    let run = Attack::new(frames).replay(
        "[dns]\nmax_pending = 64\n\
         [detect.dga]\nmax_hosts = 32\n\
         [detect.dns_tunnel]\nmax_keys = 32\n\
         [detect.outbound_burst]\nmax_hosts = 32\n",
    );
    never_above(&run, "dns.pending", 64);
    let s = run.final_stats();
    // Queries wait 10 s for an answer; 64 of them fill the table in 64 ms.
    assert!(
        gauge(s, "dns.pending_evicted") >= u64::from(ATTACK) / 2,
        "{s}"
    );
    for det in ["dga", "dns_tunnel", "outbound_burst"] {
        assert_eq!(gauge(s, &format!("detect.{det}.keys_max")), 32, "{det}");
        never_above(&run, &format!("detect.{det}.keys_tracked"), 32);
        assert!(
            gauge(s, &format!("detect.{det}.keys_evicted")) >= u64::from(ATTACK) / 2,
            "{det}: {s}"
        );
    }
}

#[test]
fn many_names_from_one_host_are_dropped_at_the_per_host_limits() {
    let frames = (0..ATTACK).map(|i| {
        let name = format!("{}.tunnel.example.net", hex_label(i));
        let ip = build::udp_packet(
            SocketAddr::from(([10, 9, 0, 1], 40000 + (i % 1000) as u16)),
            SocketAddr::from(([192, 0, 2, 53], 53)),
            &dns_query(i as u16, &name),
        )
        .unwrap();
        eth(&ip)
    });
    let run = Attack::new(frames).replay(
        "[detect.dga]\nmax_names_per_host = 64\n\
         [detect.dns_tunnel]\nmax_names_per_key = 64\n",
    );
    let s = run.final_stats();
    assert!(
        gauge(s, "detect.dga.lookups_dropped") >= u64::from(ATTACK) - 64,
        "{s}"
    );
    assert!(
        gauge(s, "detect.dns_tunnel.names_dropped") >= u64::from(ATTACK) - 64,
        "{s}"
    );
}

#[test]
fn many_beacon_keys_are_evicted_at_detect_beacon_max_keys() {
    // One internal host calls 30 000 external servers: a beacon key each.
    let frames = (0..ATTACK).map(|i| {
        let ip = build::tcp_packet(
            SocketAddr::from(([10, 8, 0, 1], 1024 + (i % 60_000) as u16)),
            SocketAddr::from((external(i), 8080)),
            tcp_flags::SYN,
            i,
            0,
            b"",
        )
        .unwrap();
        eth(&ip)
    });
    let run = Attack::new(frames).replay(
        "[flow]\nmax_flows = 1024\n\
         [detect.beacon]\nmax_keys = 32\nmax_resolved_names = 32\n\
         [detect.alerting]\nmax_keys = 32\n",
    );
    let s = run.final_stats();
    assert_eq!(gauge(s, "detect.beacon.keys_max"), 32);
    never_above(&run, "detect.beacon.keys_tracked", 32);
    assert!(
        gauge(s, "detect.beacon.keys_evicted") >= u64::from(ATTACK) / 2,
        "{s}"
    );
    never_above(&run, "flow.active", 1024);
}
