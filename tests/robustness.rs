//! Hostile captures, generated into a tempdir at test time and replayed through the real
//! binary: lengths that lie, headers cut at every layer, bogus IPv4 and IPv6 headers, DNS
//! names built to loop or overflow, odd timestamps and file formats. Each must replay
//! without a panic (exit 0, as the README documents for captures that can be opened),
//! write only valid EVE lines, and name in `stats` what it skipped and why.
//!
//! The bundled bad captures (truncated, empty, text, unsupported link type, one packet
//! of each common malformation) are covered in `pipeline.rs`; this suite extends them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use botsense::pcapgen::build::{self, ethertype, ipproto, ipv6_option, Ipv4Spec, Ipv6Ext, VlanTag};
use botsense::pcapgen::writer::{self, Interface, TsResolution, DEFAULT_SNAPLEN};
use botsense::pcapgen::{LinkType, Packet, PcapWriter, PcapngWriter, Ts};
use common::run::{replay, Run};
use serde_json::Value;
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

const CLIENT: [u8; 4] = [10, 0, 20, 10];
const SERVER: [u8; 4] = [198, 51, 100, 53];
const CLIENT6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x10);
const SERVER6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53);

/// A capture written into its own tempdir, replayed with `-q`.
struct Case {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Case {
    fn new(name: &str, bytes: &[u8]) -> Case {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        Case { _dir: dir, path }
    }

    /// Replays the capture, checks exit 0, no panic and that every line is valid EVE.
    fn replay(&self) -> Run {
        let run = replay(&self.path, &["-q"]);
        check_clean(&run, &self.path);
        run
    }
}

fn check_clean(run: &Run, path: &Path) {
    let err = run.stderr();
    assert!(!err.contains("panicked"), "{}: {err}", path.display());
    assert_eq!(run.code(), Some(0), "{}: {err}", path.display());
    for line in run.eve_text.lines() {
        common::assert_valid_eve_line(line);
    }
}

/// `botsense.stats.decode.errors.REASON` of the final stats event.
fn skipped(run: &Run, reason: &str) -> u64 {
    // Per-reason counters are written only once they are non-zero.
    run.counter_or_absent(&format!("botsense.stats.decode.errors.{reason}"))
        .unwrap_or(0)
}

/// Asserts every reason was counted exactly as often as expected, and that nothing else
/// was: the skipped packets are accounted for, one reason each.
fn assert_skips(run: &Run, expected: &[(&str, u64)]) {
    for (reason, n) in expected {
        assert_eq!(
            skipped(run, reason),
            *n,
            "{reason}: {}",
            run.final_stats()["botsense"]["stats"]["decode"]
        );
    }
    // No other reason was counted (the per-reason counters appear once non-zero).
    fn leaves(prefix: &str, v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v.as_object() {
            Some(m) => {
                for (k, v) in m {
                    let name = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaves(&name, v, out);
                }
            }
            None => {
                out.insert(prefix.to_string());
            }
        }
    }
    let mut counted = std::collections::BTreeSet::new();
    leaves(
        "",
        &run.final_stats()["botsense"]["stats"]["decode"]["errors"],
        &mut counted,
    );
    counted.remove("");
    let want: std::collections::BTreeSet<String> = expected
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(r, _)| r.to_string())
        .collect();
    assert_eq!(
        counted,
        want,
        "{}",
        run.final_stats()["botsense"]["stats"]["decode"]
    );
    // `errors_total` is every reason listed: the capture thread's decoder and the
    // workers' DNS parsing.
    let total: u64 = expected.iter().map(|(_, n)| n).sum();
    assert_eq!(
        run.counter("botsense.stats.decode.errors_total"),
        total,
        "{}",
        run.final_stats()["botsense"]["stats"]["decode"]
    );
}

/// Writes `frames` (1 ms apart) as an Ethernet pcap named `name` and replays it.
fn replay_ethernet(name: &str, frames: Vec<Vec<u8>>) -> Run {
    Case::new(
        name,
        &pcap(LinkType::ETHERNET, &packets(LinkType::ETHERNET, frames)),
    )
    .replay()
}

fn pcap(link: LinkType, packets: &[Packet]) -> Vec<u8> {
    writer::write_pcap(
        Vec::new(),
        link,
        TsResolution::Micro,
        DEFAULT_SNAPLEN,
        packets,
    )
    .unwrap()
}

fn eth(tags: &[VlanTag], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    build::ethernet(
        [0x02, 0, 0, 0, 0, 0x01],
        [0x02, 0, 0, 0, 0, 0x02],
        tags,
        ethertype,
        payload,
    )
}

fn udp4(payload: &[u8], sport: u16) -> Vec<u8> {
    build::udp_packet(
        SocketAddr::from((CLIENT, sport)),
        SocketAddr::from((SERVER, 53)),
        payload,
    )
    .unwrap()
}

/// A DNS query for `www.example.com` A, 33 bytes.
fn dns_query(id: u16) -> Vec<u8> {
    dns_with_name(id, b"\x03www\x07example\x03com\x00")
}

/// A one-question DNS query whose question name is `name` as raw wire bytes.
fn dns_with_name(id: u16, name: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    m.extend_from_slice(name);
    m.extend_from_slice(&[0, 1, 0, 1]);
    m
}

fn packets(link: LinkType, frames: Vec<Vec<u8>>) -> Vec<Packet> {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| Packet::new(Ts::BASE.plus_millis(i as u64), link, f))
        .collect()
}

/// A pcap record header (little-endian) with the lengths it claims.
fn record_header(secs: u32, frac: u32, caplen: u32, origlen: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&secs.to_le_bytes());
    h[4..8].copy_from_slice(&frac.to_le_bytes());
    h[8..12].copy_from_slice(&caplen.to_le_bytes());
    h[12..16].copy_from_slice(&origlen.to_le_bytes());
    h
}

fn good_dns_frame(id: u16) -> Vec<u8> {
    eth(&[], ethertype::IPV4, &udp4(&dns_query(id), 40000 + id))
}

#[test]
fn record_longer_than_the_file_snaplen_is_read_as_captured() {
    // snaplen 64 in the global header, a 75-byte record: the header is advisory; the
    // record is decoded from what it holds.
    let frame = good_dns_frame(1);
    let mut f = PcapWriter::new(Vec::new(), LinkType::ETHERNET, TsResolution::Micro, 64)
        .unwrap()
        .into_inner();
    f.extend_from_slice(&record_header(
        1_795_341_600,
        0,
        frame.len() as u32,
        frame.len() as u32,
    ));
    f.extend_from_slice(&frame);
    let run = Case::new("over-snaplen.pcap", &f).replay();
    assert_skips(&run, &[]);
    assert_eq!(run.of_type("dns").len(), 1, "{}", run.eve_text);
}

/// A pcap with one good DNS query, then a record header claiming `caplen` bytes followed
/// by only `held` bytes.
fn good_then_record_claiming(caplen: u32, held: usize) -> Vec<u8> {
    let good = good_dns_frame(1);
    let mut f = pcap(LinkType::ETHERNET, &packets(LinkType::ETHERNET, vec![good]));
    f.extend_from_slice(&record_header(1_795_341_601, 0, caplen, caplen));
    f.extend_from_slice(&vec![0xab; held]);
    f
}

#[test]
fn record_length_beyond_the_end_of_the_file_stops_there_with_a_warning() {
    // A second record that claims 1000 bytes, of which the file holds 10.
    let run = Case::new("beyond-file.pcap", &good_then_record_claiming(1000, 10)).replay();
    assert!(run.stderr().contains("byte offset"), "{}", run.stderr());
    assert_eq!(run.counter("botsense.stats.capture.file_errors"), 1);
    assert_eq!(run.counter("stats.decoder.pkts"), 1);
    assert_eq!(run.of_type("dns").len(), 1, "the record before the cut");
}

#[test]
fn record_length_beyond_any_snaplen_is_counted_oversized() {
    // 0x7fff_ffff bytes claimed: corrupt, never buffered.
    let f = good_then_record_claiming(0x7fff_ffff, 4096);
    let run = Case::new("huge-record.pcap", &f).replay();
    assert_eq!(run.counter("botsense.stats.capture.oversized"), 1);
    assert_eq!(run.counter("botsense.stats.capture.file_errors"), 1);
    assert_eq!(run.counter("stats.decoder.pkts"), 1);
}

#[test]
fn original_length_below_the_captured_length_is_raised_to_it() {
    let frame = good_dns_frame(1);
    let mut f = pcap(LinkType::ETHERNET, &[]);
    f.extend_from_slice(&record_header(1_795_341_600, 0, frame.len() as u32, 10));
    f.extend_from_slice(&frame);
    let run = Case::new("origlen-lies.pcap", &f).replay();
    assert_skips(&run, &[]);
    assert_eq!(
        run.counter("stats.decoder.bytes"),
        frame.len() as u64,
        "wire length is at least what was captured"
    );
}

/// One Ethernet + 802.1Q + IPv4 + UDP + DNS frame cut at every layer boundary and inside
/// every header, each cut counted under the layer that ran out.
#[test]
fn headers_truncated_at_every_layer_are_counted_by_layer() {
    let full = eth(
        &[VlanTag::dot1q(10)],
        ethertype::IPV4,
        &udp4(&dns_query(7), 40007),
    );
    // 14 Ethernet + 4 VLAN + 20 IPv4 + 8 UDP + 33 DNS.
    let cuts: [(usize, &str); 6] = [
        (0, "ethernet.pkt_too_small"),
        (10, "ethernet.pkt_too_small"),
        (16, "vlan.header_too_small"),
        (18 + 12, "ipv4.pkt_too_small"),
        (18 + 20 + 5, "udp.pkt_too_small"),
        (18 + 20 + 8 + 20, "dns.truncated"),
    ];
    let frames: Vec<Packet> = cuts
        .iter()
        .enumerate()
        .map(|(i, &(cut, _))| {
            let mut p = Packet::new(
                Ts::BASE.plus_millis(i as u64),
                LinkType::ETHERNET,
                full[..cut].to_vec(),
            );
            // A snaplen cut: the wire length is the whole frame.
            p.orig_len = Some(full.len() as u32);
            p
        })
        .collect();
    let run = Case::new("cut-v4.pcap", &pcap(LinkType::ETHERNET, &frames)).replay();
    let mut expected: Vec<(&str, u64)> = Vec::new();
    for (_, reason) in cuts {
        match expected.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => expected.push((reason, 1)),
        }
    }
    assert_skips(&run, &expected);
    assert_eq!(run.counter("stats.decoder.pkts"), cuts.len() as u64);
}

#[test]
fn ipv6_headers_truncated_at_every_layer_are_counted_by_layer() {
    let tcp = build::tcp(
        CLIENT6.into(),
        SERVER6.into(),
        &build::TcpSpec {
            src_port: 40000,
            dst_port: 443,
            seq: 1,
            ack: 0,
            flags: build::tcp_flags::SYN,
            window: 1024,
            options: Vec::new(),
        },
        b"",
    )
    .unwrap();
    let ip = build::ipv6(
        CLIENT6,
        SERVER6,
        ipproto::TCP,
        64,
        &[Ipv6Ext::HopByHop(ipv6_option::ROUTER_ALERT.to_vec())],
        &tcp,
    )
    .unwrap();
    let full = eth(&[], ethertype::IPV6, &ip);
    // 14 Ethernet + 40 IPv6 + 8 hop-by-hop + 20 TCP.
    let cuts: [(usize, &str); 3] = [
        (14 + 30, "ipv6.pkt_too_small"),
        (14 + 40 + 4, "ipv6.trunc_exthdr"),
        (14 + 48 + 12, "tcp.pkt_too_small"),
    ];
    let frames = cuts.iter().map(|&(cut, _)| full[..cut].to_vec()).collect();
    let run = replay_ethernet("cut-v6.pcap", frames);
    let expected: Vec<(&str, u64)> = cuts.iter().map(|&(_, r)| (r, 1)).collect();
    assert_skips(&run, &expected);
}

fn set_ipv4_checksum(ip: &mut [u8]) {
    let hlen = usize::from(ip[0] & 0x0f) * 4;
    let hlen = hlen.clamp(20, ip.len());
    ip[10] = 0;
    ip[11] = 0;
    let c = build::internet_checksum(&ip[..hlen]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
}

#[test]
fn ipv4_with_bogus_ihl_or_total_length_is_counted() {
    let good = udp4(&dns_query(9), 40009);
    let bogus = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut ip = good.clone();
        f(&mut ip);
        set_ipv4_checksum(&mut ip);
        eth(&[], ethertype::IPV4, &ip)
    };
    let frames = vec![
        // IHL 15 (60 bytes of header) in a 61-byte packet whose total length says 61:
        // the options run into the UDP header, and the rest is too short for UDP.
        bogus(&|ip| {
            ip[0] = 0x4f;
            ip.truncate(61);
            ip[2..4].copy_from_slice(&61u16.to_be_bytes());
        }),
        // IHL 15 with only 28 bytes captured: the header itself is cut.
        bogus(&|ip| {
            ip[0] = 0x4f;
            ip.truncate(28);
        }),
        // Total length 12, below the 20-byte header.
        bogus(&|ip| ip[2..4].copy_from_slice(&12u16.to_be_bytes())),
        // IHL 0.
        bogus(&|ip| ip[0] = 0x40),
        // Version 6 behind an IPv4 ethertype.
        bogus(&|ip| ip[0] = 0x65),
    ];
    let run = replay_ethernet("bogus-ipv4.pcap", frames);
    assert_skips(
        &run,
        &[
            ("udp.pkt_too_small", 1),
            ("ipv4.trunc_pkt", 1),
            ("ipv4.iplen_smaller_than_hlen", 1),
            ("ipv4.hlen_too_small", 1),
            ("ipv4.wrong_ip_version", 1),
        ],
    );
    // A total length beyond the captured bytes is a snaplen cut, not an error: the flow
    // is kept.
    let mut long = good.clone();
    long[2..4].copy_from_slice(&1400u16.to_be_bytes());
    set_ipv4_checksum(&mut long);
    let run = replay_ethernet("long-ipv4.pcap", vec![eth(&[], ethertype::IPV4, &long)]);
    assert_eq!(run.of_type("flow").len(), 1, "{}", run.eve_text);
}

/// IPv6 with `n` destination-options headers of 8 bytes each, then UDP.
fn ipv6_with_dstopts(n: usize) -> Vec<u8> {
    let udp = build::udp(CLIENT6.into(), SERVER6.into(), 40000, 53, &dns_query(3)).unwrap();
    let exts: Vec<Ipv6Ext> = (0..n).map(|_| Ipv6Ext::DestOpts(Vec::new())).collect();
    build::ipv6(CLIENT6, SERVER6, ipproto::UDP, 64, &exts, &udp).unwrap()
}

#[test]
fn ipv6_extension_header_chains_long_looping_or_jumbo_are_bounded() {
    // 200 destination-options headers: longer than any real chain.
    let long = ipv6_with_dstopts(200);
    // One header whose length field (255: 2048 bytes) runs past the packet.
    let mut past_end = ipv6_with_dstopts(1);
    past_end[40 + 1] = 255;
    // A chain whose next-header fields point back at destination options forever, each
    // header 8 bytes, filling a 1400-byte payload.
    let mut looping = ipv6_with_dstopts(0);
    looping.truncate(40);
    looping[6] = ipproto::DSTOPTS;
    for _ in 0..170 {
        looping.extend_from_slice(&[ipproto::DSTOPTS, 0, 1, 4, 0, 0, 0, 0]);
    }
    let plen = (looping.len() - 40) as u16;
    looping[4..6].copy_from_slice(&plen.to_be_bytes());
    // A jumbogram: payload length 0 and a hop-by-hop Jumbo Payload option (RFC 2675).
    let udp = build::udp(CLIENT6.into(), SERVER6.into(), 40001, 53, &dns_query(4)).unwrap();
    let mut jumbo = build::ipv6(
        CLIENT6,
        SERVER6,
        ipproto::UDP,
        64,
        &[Ipv6Ext::HopByHop(vec![0xc2, 4, 0, 1, 0, 0])],
        &udp,
    )
    .unwrap();
    jumbo[4..6].copy_from_slice(&0u16.to_be_bytes());
    let frames = [long, past_end, looping, jumbo]
        .iter()
        .map(|ip| eth(&[], ethertype::IPV6, ip))
        .collect();
    let run = replay_ethernet("ipv6-chains.pcap", frames);
    assert_skips(
        &run,
        &[("ip.exthdr_chain_too_long", 2), ("ipv6.trunc_exthdr", 1)],
    );
    // The jumbogram's length is in its option: decoded from what was captured.
    let flows = run.of_type("flow");
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    assert_eq!(flows[0]["src_port"], 40001);
}

#[test]
fn dns_names_that_loop_point_forward_or_overflow_are_counted() {
    let long_label = {
        let mut n = vec![64u8];
        n.extend_from_slice(&[b'a'; 64]);
        n.push(0);
        n
    };
    let long_name = {
        // 5 labels of 60 bytes: 305 bytes on the wire.
        let mut n = Vec::new();
        for _ in 0..5 {
            n.push(60);
            n.extend_from_slice(&[b'b'; 60]);
        }
        n.push(0);
        n
    };
    // The question name starts at offset 12; a pointer to itself.
    let self_loop = vec![0xc0, 12];
    // A label, then a pointer back to the name's start: a loop through a label.
    let label_loop = vec![1, b'x', 0xc0, 12];
    // A pointer to an offset past itself.
    let forward = vec![0xc0, 40];
    let names: [(&[u8], &str); 5] = [
        (&long_label, "dns.label_too_long"),
        (&long_name, "dns.name_too_long"),
        (&self_loop, "dns.label_loop"),
        (&label_loop, "dns.label_loop"),
        (&forward, "dns.forward_pointer"),
    ];
    let frames = names
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let mut msg = dns_with_name(100 + i as u16, name);
            // Room behind the forward pointer's target, so only the direction is wrong.
            if msg.len() < 64 {
                msg.resize(64, 0);
            }
            eth(&[], ethertype::IPV4, &udp4(&msg, 41000 + i as u16))
        })
        .collect();
    let run = replay_ethernet("dns-names.pcap", frames);
    for reason in [
        "dns.label_too_long",
        "dns.name_too_long",
        "dns.forward_pointer",
    ] {
        assert_eq!(skipped(&run, reason), 1, "{reason}: {}", run.final_stats());
    }
    assert_eq!(skipped(&run, "dns.label_loop"), 2, "{}", run.final_stats());
    assert_eq!(run.counter("botsense.stats.dns.malformed"), 5);
    assert!(run.of_type("dns").is_empty(), "{}", run.eve_text);
    // The packets themselves are good UDP: five flows.
    assert_eq!(run.of_type("flow").len(), 5);
}

#[test]
fn zero_length_records_on_every_link_type_are_counted_per_link() {
    // pcapng, one interface per link type, one empty record each, then one good packet.
    let links = [
        (LinkType::ETHERNET, "ethernet.pkt_too_small"),
        (LinkType::RAW, "raw.invalid_ip_version"),
        (LinkType::NULL, "null.pkt_too_small"),
        (LinkType::LINUX_SLL, "sll.pkt_too_small"),
        (LinkType::LINUX_SLL2, "sll2.pkt_too_small"),
    ];
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    for (link, _) in links {
        w.add_interface(Interface::new(link)).unwrap();
    }
    for (i, _) in links.iter().enumerate() {
        w.write_record(i as u32, Ts::BASE.plus_millis(i as u64), &[], 0)
            .unwrap();
    }
    w.write_record(0, Ts::BASE.plus_secs(1), &good_dns_frame(5), 0)
        .unwrap();
    let run = Case::new("zero-length.pcapng", &w.into_inner()).replay();
    let expected: Vec<(&str, u64)> = links.iter().map(|&(_, r)| (r, 1)).collect();
    assert_skips(&run, &expected);
    assert_eq!(run.of_type("dns").len(), 1);
}

#[test]
fn pcapng_with_several_interfaces_link_types_and_resolutions_is_read_per_interface() {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    let eth_if = w.add_interface(Interface::new(LinkType::ETHERNET)).unwrap();
    let raw_if = w
        .add_interface(Interface {
            resolution: TsResolution::Nano,
            ..Interface::new(LinkType::RAW)
        })
        .unwrap();
    let sll_if = w
        .add_interface(Interface::new(LinkType::LINUX_SLL))
        .unwrap();
    let wifi_if = w
        .add_interface(Interface::new(LinkType::IEEE802_11))
        .unwrap();
    let t = Ts::BASE;
    w.write_record(eth_if, t, &good_dns_frame(1), 0).unwrap();
    w.write_record(
        raw_if,
        t.plus_nanos(1_500_123),
        &udp4(&dns_query(2), 40102),
        0,
    )
    .unwrap();
    let sll = build::linux_sll(
        0,
        build::ARPHRD_ETHER,
        &[2, 0, 0, 0, 0, 1],
        ethertype::IPV4,
        &udp4(&dns_query(3), 40103),
    );
    w.write_record(sll_if, t.plus_millis(3), &sll, 0).unwrap();
    w.write_record(wifi_if, t.plus_millis(4), &[0x80, 0, 0, 0], 0)
        .unwrap();
    let run = Case::new("multi-if.pcapng", &w.into_inner()).replay();
    assert_skips(&run, &[]);
    assert_eq!(run.counter("botsense.stats.capture.unsupported_link"), 1);
    assert_eq!(run.counter("stats.decoder.pkts"), 3);
    let dns = run.of_type("dns");
    assert_eq!(dns.len(), 3, "{}", run.eve_text);
    // The nanosecond interface's packet keeps its microseconds.
    assert!(
        dns.iter()
            .any(|d| d["timestamp"].as_str().unwrap().contains(":00.001500")),
        "{}",
        run.eve_text
    );
}

#[test]
fn timestamps_backwards_in_1970_and_past_2038_replay_without_loss() {
    let stamps = [
        Ts::BASE,
        // Backwards by an hour, then by 56 years to the epoch itself.
        Ts::from_secs(Ts::BASE.secs() - 3600),
        Ts::from_secs(0),
        // The last second classic pcap can hold (2106), and 2038 + 1 s.
        Ts::from_secs(u64::from(u32::MAX)),
        Ts::from_secs(2_147_483_648),
        Ts::BASE.plus_secs(1),
    ];
    let frames: Vec<Packet> = stamps
        .iter()
        .enumerate()
        .map(|(i, &ts)| Packet::new(ts, LinkType::ETHERNET, good_dns_frame(i as u16)))
        .collect();
    for (name, bytes) in [
        ("times.pcap", pcap(LinkType::ETHERNET, &frames)),
        (
            "times-ns.pcap",
            writer::write_pcap(
                Vec::new(),
                LinkType::ETHERNET,
                TsResolution::Nano,
                DEFAULT_SNAPLEN,
                &frames,
            )
            .unwrap(),
        ),
    ] {
        let run = Case::new(name, &bytes).replay();
        assert_skips(&run, &[]);
        assert_eq!(run.counter("stats.decoder.pkts"), stamps.len() as u64);
        // Every query is its own flow (distinct source ports) and is reported.
        assert_eq!(run.of_type("flow").len(), stamps.len(), "{name}");
        let years: Vec<&str> = run
            .of_type("flow")
            .iter()
            .map(|f| &f["flow"]["start"].as_str().unwrap()[..4])
            .collect();
        for year in ["1970", "2026", "2038", "2106"] {
            assert!(years.contains(&year), "{name}: {year} in {years:?}");
        }
    }
}

#[test]
fn a_gzip_compressed_capture_reads_like_the_plain_one() {
    let frames = packets(LinkType::ETHERNET, (0..20).map(good_dns_frame).collect());
    let plain = pcap(LinkType::ETHERNET, &frames);
    let mut gz = writer::gzip(Vec::new());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let a = Case::new("plain.pcap", &plain).replay();
    let b = Case::new("plain.pcap.gz", &gz).replay();
    assert_eq!(b.counter("stats.decoder.pkts"), 20);
    assert_eq!(a.eve_text, b.eve_text);
}

/// Was: the gzip decoder's "unexpected end of file" failed the whole open with "cannot
/// open: read error", losing every packet before the cut.
#[test]
fn gzip_capture_cut_mid_stream_keeps_the_packets_before_the_cut() {
    let frames = packets(LinkType::ETHERNET, (0..200).map(good_dns_frame).collect());
    let mut gz = writer::gzip(Vec::new());
    gz.write_all(&pcap(LinkType::ETHERNET, &frames)).unwrap();
    let gz = gz.finish().unwrap();
    let c = Case::new("cut.pcap.gz", &gz[..gz.len() / 2]).replay();
    assert_eq!(c.counter("botsense.stats.capture.file_errors"), 1);
    assert!(c.stderr().contains("byte offset"), "{}", c.stderr());
    let pkts = c.counter("stats.decoder.pkts");
    assert!(pkts > 0 && pkts < 200, "{pkts}");
    assert_eq!(c.of_type("dns").len() as u64, pkts);
}

#[test]
fn ipv4_options_running_past_the_header_do_not_hide_the_flow() {
    // A record-route option whose length byte claims 40 bytes in a 24-byte header.
    let spec = Ipv4Spec {
        options: vec![7, 40, 4, 0],
        ..Ipv4Spec::default()
    };
    let udp = build::udp(
        Ipv4Addr::from(CLIENT).into(),
        Ipv4Addr::from(SERVER).into(),
        40200,
        53,
        &dns_query(1),
    )
    .unwrap();
    let ip = build::ipv4(CLIENT.into(), SERVER.into(), ipproto::UDP, &spec, &udp).unwrap();
    let run = replay_ethernet("bad-option.pcap", vec![eth(&[], ethertype::IPV4, &ip)]);
    // Options are not parsed: the header length is what counts.
    assert_skips(&run, &[]);
    assert_eq!(run.of_type("dns").len(), 1, "{}", run.eve_text);
}

/// A pcapng block: type, length, body padded to 4 bytes, length again.
fn pcapng_block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    body.resize(body.len().next_multiple_of(4), 0);
    let total = (12 + body.len()) as u32;
    let mut b = block_type.to_le_bytes().to_vec();
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(&body);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

/// An Ethernet pcapng interface with one option (`code`, `value`), and records of the
/// good query at the raw timestamps `ticks`.
fn pcapng_with_clock(code: u16, value: &[u8], ticks: &[u64]) -> Vec<u8> {
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut f = pcapng_block(0x0a0d_0d0a, &shb);
    let mut idb = vec![1, 0, 0, 0];
    idb.extend_from_slice(&65_535u32.to_le_bytes());
    idb.extend_from_slice(&code.to_le_bytes());
    idb.extend_from_slice(&(value.len() as u16).to_le_bytes());
    idb.extend_from_slice(value);
    idb.resize(idb.len().next_multiple_of(4), 0);
    idb.extend_from_slice(&[0, 0, 0, 0]);
    f.extend(pcapng_block(1, &idb));
    for (i, &t) in ticks.iter().enumerate() {
        let frame = good_dns_frame(i as u16);
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((t >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(t as u32).to_le_bytes());
        epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        epb.extend_from_slice(&frame);
        f.extend(pcapng_block(6, &epb));
    }
    f
}

#[test]
fn pcapng_clocks_at_their_extremes_give_valid_timestamps() {
    const IF_TSRESOL: u16 = 9;
    const IF_TSOFFSET: u16 = 14;
    let ticks = [0, 1_795_341_600_000_000, u64::MAX];
    for (what, code, value) in [
        ("2^-127 s units", IF_TSRESOL, vec![0xff]),
        ("10^-19 s units", IF_TSRESOL, vec![19]),
        ("1 s units", IF_TSRESOL, vec![0]),
        (
            "offset i64::MAX",
            IF_TSOFFSET,
            i64::MAX.to_le_bytes().to_vec(),
        ),
        (
            "offset i64::MIN",
            IF_TSOFFSET,
            i64::MIN.to_le_bytes().to_vec(),
        ),
    ] {
        let run = Case::new("clock.pcapng", &pcapng_with_clock(code, &value, &ticks)).replay();
        assert_skips(&run, &[]);
        assert_eq!(run.of_type("dns").len(), ticks.len(), "{what}");
        // A clock past EVE's range reads as its last microsecond, not a 6-digit year.
        if what == "offset i64::MAX" {
            assert!(run
                .of_type("dns")
                .iter()
                .all(|d| d["timestamp"] == "9999-12-31T23:59:59.999999+0000"));
        }
    }
}
