//! Detector tests through the real binary: each capture in pcaps/detect/ must raise the
//! alert its README line names (detector, source, destination) and the benign ones
//! none. Every alert line must also validate against the EVE schema.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run::{pcap, replay, Run};
use serde_json::Value;

fn run(file: &str) -> Run {
    let r = replay(&pcap(&format!("detect/{file}")), &["-q", "--workers", "2"]);
    assert_eq!(r.code(), Some(0), "{file}: {}", r.stderr());
    for line in r.eve_text.lines() {
        common::assert_valid_eve_line(line);
    }
    r
}

fn alerts<'a>(r: &'a Run, detector: &str) -> Vec<&'a Value> {
    r.of_type("alert")
        .into_iter()
        .filter(|a| a["botsense"]["detector"] == detector)
        .collect()
}

/// Exactly the detectors named fire (each at least once), with the given src and dest.
fn assert_fires(file: &str, detector: &str, src: &str, dest: Option<(&str, u16)>) -> Run {
    let r = run(file);
    let hits = alerts(&r, detector);
    assert!(
        !hits.is_empty(),
        "{file}: no {detector} alert\n{}",
        r.eve_text
    );
    for a in &hits {
        assert_eq!(a["src_ip"], src, "{file}: {a}");
        if let Some((ip, port)) = dest {
            assert_eq!(a["dest_ip"], ip, "{file}: {a}");
            assert_eq!(a["dest_port"], port, "{file}: {a}");
        }
        let sev = a["alert"]["severity"].as_u64().unwrap();
        assert!((1..=3).contains(&sev), "{file}: {a}");
        let score = a["botsense"]["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{file}: {a}");
        assert!(
            a["alert"]["metadata"]["mitre_technique_id"].is_array(),
            "{a}"
        );
    }
    r
}

fn assert_silent(file: &str) {
    let r = run(file);
    let alerts = r.of_type("alert");
    assert!(
        alerts.is_empty(),
        "{file}: benign capture raised {alerts:#?}"
    );
}

#[test]
fn seed_t1583_1_thirty_connections_ten_seconds_apart_beacon() {
    let r = assert_fires(
        "seed-t1583-1-beacon-8080.pcap",
        "beacon",
        "10.1.0.10",
        Some(("203.0.113.23", 8080)),
    );
    // One alert per key unless severity rises.
    assert!(alerts(&r, "beacon").len() <= 4, "{}", r.eve_text);
}

#[test]
fn seed_t1583_3_one_connection_to_irc_port_is_c2_port() {
    let r = assert_fires(
        "seed-t1583-3-irc-6667.pcap",
        "c2_port",
        "10.1.0.11",
        Some(("198.51.100.67", 6667)),
    );
    assert_eq!(alerts(&r, "c2_port").len(), 1);
}

#[test]
fn seed_t1584_1_thirty_connections_in_two_and_a_half_minutes_beacon() {
    assert_fires(
        "seed-t1584-1-beacon-9001.pcap",
        "beacon",
        "10.1.0.12",
        Some(("198.51.100.44", 9001)),
    );
}

#[test]
fn seed_t1584_2_irc_session_is_c2_port() {
    assert_fires(
        "seed-t1584-2-irc-6667.pcap",
        "c2_port",
        "10.1.0.13",
        Some(("203.0.113.66", 6667)),
    );
}

#[test]
fn jittered_beacon_fires_and_names_the_resolved_domain() {
    let r = assert_fires(
        "beacon-jitter-300s.pcap",
        "beacon",
        "10.1.0.15",
        Some(("198.51.100.23", 8443)),
    );
    let a = alerts(&r, "beacon")[0];
    let text = a.to_string();
    assert!(text.contains("update.cdn-telemetry-sync.com"), "{a}");
}

#[test]
fn slow_hourly_beacon_is_detected() {
    assert_fires(
        "beacon-hourly.pcap",
        "beacon",
        "10.1.0.16",
        Some(("203.0.113.99", 8088)),
    );
}

#[test]
fn refused_attempts_count_as_a_beacon() {
    assert_fires(
        "beacon-refused.pcap",
        "beacon",
        "10.1.0.17",
        Some(("198.51.100.77", 4443)),
    );
}

#[test]
fn ipv6_vlan_beacon_is_detected() {
    let r = assert_fires(
        "beacon-ipv6-vlan.pcap",
        "beacon",
        "fd00::17",
        Some(("2001:db8::23", 8443)),
    );
    assert_eq!(alerts(&r, "beacon")[0]["vlan"][0], 42);
}

#[test]
fn udp_beacon_is_detected() {
    assert_fires(
        "beacon-udp.pcap",
        "beacon",
        "10.1.0.18",
        Some(("198.51.100.88", 7777)),
    );
}

#[test]
fn long_periodic_series_on_443_is_detected() {
    assert_fires(
        "beacon-443-periodic.pcap",
        "beacon",
        "10.1.0.19",
        Some(("203.0.113.43", 443)),
    );
}

#[test]
fn ssh_use_at_random_times_stays_silent() {
    assert_silent("benign-ssh.pcap");
}

#[test]
fn ntp_clients_stay_silent() {
    assert_silent("benign-ntp.pcap");
}

#[test]
fn office_browsing_stays_silent() {
    assert_silent("benign-browsing.pcap");
}

#[test]
fn busy_server_stays_silent() {
    assert_silent("benign-server.pcap");
}

#[test]
fn seed_t1584_4_burst_of_random_nxdomain_names_is_dga() {
    let r = assert_fires("seed-t1584-4-dga.pcap", "dga", "10.1.0.14", None);
    let a = alerts(&r, "dga")[0];
    let samples = a["botsense"]["sample_names"]
        .as_array()
        .or_else(|| a["botsense"]["samples"].as_array())
        .unwrap_or_else(|| panic!("no sample names in {a}"));
    assert!(!samples.is_empty() && samples.len() <= 10, "{a}");
    assert!(r
        .of_type("alert")
        .iter()
        .all(|a| a["botsense"]["detector"] == "dga"));
}

#[test]
fn long_hex_labels_under_one_domain_are_a_dns_tunnel() {
    let r = assert_fires("dns-tunnel.pcap", "dns_tunnel", "10.1.0.20", None);
    let text = alerts(&r, "dns_tunnel")[0].to_string();
    assert!(text.contains("exfil-example.net"), "{text}");
    assert!(alerts(&r, "beacon").is_empty() && alerts(&r, "c2_port").is_empty());
}

#[test]
fn cdn_and_telemetry_names_stay_silent() {
    assert_silent("benign-cdn.pcap");
}

// ---- relay, scan, outbound_burst, inbound_flood (issue 4) ----

#[test]
fn seed_t1583_2_relay_is_silent_with_default_port_exclusions() {
    // The seed's outbound leg goes to 8.8.8.8:53, which the seeds' own exclusions drop.
    let r = run("seed-t1583-2-relay.pcap");
    assert!(alerts(&r, "relay").is_empty(), "{}", r.eve_text);
}

#[test]
fn seed_t1583_2_relay_fires_with_the_exclusions_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("relay.toml");
    std::fs::write(&cfg, "[detect.relay]\nexcluded_ports = []\n").unwrap();
    let r = replay(
        &pcap("detect/seed-t1583-2-relay.pcap"),
        &["-q", "-c", cfg.to_str().unwrap()],
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let hits = alerts(&r, "relay");
    assert!(!hits.is_empty(), "{}", r.eve_text);
    assert_eq!(hits[0]["src_ip"], "10.2.0.10", "{}", hits[0]);
    assert!(hits[0].to_string().contains("8.8.8.8"), "{}", hits[0]);
}

#[test]
fn orb_relay_node_is_detected_as_high() {
    let r = assert_fires("relay-orb.pcap", "relay", "10.2.0.11", None);
    let top = alerts(&r, "relay")
        .iter()
        .map(|a| a["botsense"]["severity_name"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(top.iter().any(|s| s == "High"), "{top:?}");
}

#[test]
fn seed_t1583_4_thirty_targets_on_port_22_is_a_scan() {
    let r = assert_fires("seed-t1583-4-scan-22.pcap", "scan", "10.2.0.12", None);
    assert_eq!(alerts(&r, "scan")[0]["dest_port"], 22);
}

#[test]
fn seed_t1584_3_rapid_attempts_on_many_ports_is_an_outbound_burst() {
    let r = assert_fires(
        "seed-t1584-3-burst.pcap",
        "outbound_burst",
        "10.2.0.13",
        None,
    );
    let sig = alerts(&r, "outbound_burst")[0]["alert"]["signature"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(sig.contains("sweep"), "{sig}");
}

fn assert_flood(file: &str, dest: &str, category: &str) {
    let r = run(file);
    let hits = alerts(&r, "inbound_flood");
    assert!(!hits.is_empty(), "{file}: no inbound_flood\n{}", r.stderr());
    for a in &hits {
        assert_eq!(a["dest_ip"], dest, "{a}");
        assert_eq!(a["alert"]["category"], category, "{a}");
    }
}

#[test]
fn inbound_http_flood_is_detected() {
    assert_flood(
        "inbound-http-flood.pcap",
        "10.2.0.80",
        "HTTP Flood / Web Attack",
    );
}

#[test]
fn inbound_ssh_bruteforce_is_detected() {
    assert_flood(
        "inbound-ssh-bruteforce.pcap",
        "10.2.0.22",
        "Credential Stuffing / Brute Force",
    );
}

#[test]
fn udp_amplification_on_random_ports_is_a_volumetric_flood() {
    assert_flood("udp-amplification.pcap", "10.2.0.90", "Volumetric Flood");
}

#[test]
fn busy_server_under_the_thresholds_stays_silent() {
    assert_silent("benign-busy-server.pcap");
}

#[test]
fn web_server_with_database_and_api_is_not_a_relay() {
    assert_silent("benign-web-db.pcap");
}

#[test]
fn many_connections_to_443_are_not_a_burst_or_scan() {
    assert_silent("benign-many-443.pcap");
}

/// A SYN flood from 1 M distinct spoofed IPv6 sources (2001:db8::/32) to one web
/// server, written straight into a pcap in the test's temp dir.
fn write_spoofed_flood(path: &std::path::Path, sources: u32) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hdr = Vec::new();
    hdr.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    hdr.extend_from_slice(&2u16.to_le_bytes());
    hdr.extend_from_slice(&4u16.to_le_bytes());
    hdr.extend_from_slice(&[0; 8]);
    hdr.extend_from_slice(&65535u32.to_le_bytes());
    hdr.extend_from_slice(&1u32.to_le_bytes());
    f.write_all(&hdr).unwrap();
    let dst: [u8; 16] = "fd00::80".parse::<std::net::Ipv6Addr>().unwrap().octets();
    let base = 1_795_341_600u32;
    for i in 0..sources {
        let mut frame = Vec::with_capacity(74);
        frame.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xdd]);
        frame.extend_from_slice(&[0x60, 0, 0, 0, 0, 20, 6, 64]);
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        src[12..].copy_from_slice(&i.to_be_bytes());
        frame.extend_from_slice(&src);
        frame.extend_from_slice(&dst);
        let sport = 1024 + (i % 60000) as u16;
        frame.extend_from_slice(&sport.to_be_bytes());
        frame.extend_from_slice(&80u16.to_be_bytes());
        frame.extend_from_slice(&i.to_be_bytes()); // seq
        frame.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        // 1 M SYNs over 100 s: within one 5-minute bin.
        let us = i as u64 * 100;
        let rec = [
            base + (us / 1_000_000) as u32,
            (us % 1_000_000) as u32,
            frame.len() as u32,
            frame.len() as u32,
        ];
        for v in rec {
            f.write_all(&v.to_le_bytes()).unwrap();
        }
        f.write_all(&frame).unwrap();
    }
    f.flush().unwrap();
}

#[test]
fn spoofed_flood_from_a_million_sources_fires_within_the_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spoofed.pcap");
    let n = 1_000_000;
    write_spoofed_flood(&path, n);
    let cfg = dir.path().join("flood.toml");
    // The flow table is bounded far below the flood: evictions, not memory growth.
    std::fs::write(&cfg, "[flow]\nmax_flows = 100000\n[eve]\nflow = false\n").unwrap();
    // One worker: the `*_max` bounds in stats are per worker.
    let r = replay(
        &path,
        &["-q", "--workers", "1", "-c", cfg.to_str().unwrap()],
    );
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    let hits = alerts(&r, "inbound_flood");
    assert!(!hits.is_empty(), "no flood alert: {}", r.final_stats());
    // One alert when the thresholds are crossed, one more when it rises to High (10x);
    // the estimate's accuracy at 1 M is a unit test of the HyperLogLog.
    let high = hits
        .iter()
        .find(|a| a["botsense"]["severity_name"] == "High")
        .unwrap_or_else(|| panic!("no High flood alert: {hits:?}"));
    assert!(
        high["botsense"]["unique_sources"].as_f64().unwrap() >= 500.0,
        "{high}"
    );
    assert_eq!(high["dest_ip"], "fd00::80");
    let s = |k: &str| r.counter(&format!("botsense.stats.detect.inbound_flood.{k}"));
    assert!(s("keys_tracked") <= s("keys_max"), "{}", r.final_stats());
    assert!(
        s("state_bytes") <= s("state_bytes_max"),
        "{}",
        r.final_stats()
    );
    assert!(s("state_bytes_max") <= 64 << 20, "{}", r.final_stats());
    assert!(r.counter("botsense.stats.flow.evicted") > 0);
    assert_eq!(r.counter("stats.decoder.pkts"), u64::from(n));
}
