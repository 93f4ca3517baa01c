//! Detector tests through the real binary: each capture in pcaps/detect/ must raise the
//! alert its README line names (detector, source, destination) and the benign ones
//! none. Every alert line must also validate against the EVE schema.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::run::{pcap, replay, Run};
use serde_json::Value;

fn run(file: &str) -> Run {
    let r = replay(&pcap(&format!("detect/{file}")), &["-q", "--workers", "2"]);
    assert_eq!(r.code(), Some(0), "{file}: {}", r.stderr());
    let v = common::eve_validator();
    for line in r.eve_text.lines() {
        common::assert_valid_eve_line(&v, line);
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
