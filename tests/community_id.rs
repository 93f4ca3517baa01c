//! Community ID v1 against the spec's own baseline (tests/reference/, see its README for
//! provenance): every tuple of both files, seed 0 and seed 1, plus the hand-checkable
//! vectors of the spec's baseline README.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use botsense::flow::community_id::community_id;
use serde::Deserialize;
use std::net::IpAddr;

#[derive(Deserialize)]
struct Vector {
    proto: u8,
    saddr: IpAddr,
    daddr: IpAddr,
    /// `null` for port-less protocols; for ICMP the (already mapped) type.
    sport: Option<u16>,
    dport: Option<u16>,
    communityid: String,
}

fn load(name: &str) -> Vec<Vector> {
    let path = format!("{}/tests/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn check_baseline(name: &str, seed: u16) {
    let vectors = load(name);
    assert!(!vectors.is_empty(), "{name} holds no vectors");
    let mut failures = Vec::new();
    for v in &vectors {
        let got = community_id(
            seed,
            v.proto,
            v.saddr,
            v.sport.unwrap_or(0),
            v.daddr,
            v.dport.unwrap_or(0),
        );
        if got != v.communityid {
            failures.push(format!(
                "proto {} {}:{:?} -> {}:{:?}: got {got}, want {}",
                v.proto, v.saddr, v.sport, v.daddr, v.dport, v.communityid
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{name} (seed {seed}): {} of {} differ:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn every_default_seed_baseline_vector_reproduces() {
    check_baseline("community-id-baseline-default.json", 0);
}

#[test]
fn every_seed1_baseline_vector_reproduces() {
    check_baseline("community-id-baseline-seed1.json", 1);
}

#[test]
fn baselines_cover_every_protocol_family_the_spec_names() {
    let protos: std::collections::BTreeSet<u8> = load("community-id-baseline-default.json")
        .iter()
        .map(|v| v.proto)
        .collect();
    // ICMP, TCP, UDP, RSVP (port-less), ICMPv6, SCTP.
    for p in [1, 6, 17, 46, 58, 132] {
        assert!(protos.contains(&p), "baseline lacks proto {p}");
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn readme_tcp_vector_seed0_both_directions() {
    let want = "1:wCb3OG7yAFWelaUydu0D+125CLM=";
    assert_eq!(
        community_id(0, 6, ip("1.2.3.4"), 1122, ip("5.6.7.8"), 3344),
        want
    );
    assert_eq!(
        community_id(0, 6, ip("5.6.7.8"), 3344, ip("1.2.3.4"), 1122),
        want
    );
}

#[test]
fn readme_tcp_vector_seed1() {
    assert_eq!(
        community_id(1, 6, ip("1.2.3.4"), 1122, ip("5.6.7.8"), 3344),
        "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="
    );
}

#[test]
fn readme_udp_vector_seed0() {
    assert_eq!(
        community_id(0, 17, ip("1.2.3.4"), 1122, ip("5.6.7.8"), 3344),
        "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="
    );
}

/// The README's remark: Suricata 8 hashes a one-way ICMPv6 dest-unreachable (type 1,
/// code 4) as (1, 0); the spec and its baseline hash (1, 4). botsense follows the spec.
#[test]
fn one_way_icmpv6_type1_code4_follows_the_spec_not_suricata() {
    let s = ip("3ffe:501:410:0:2c0:dfff:fe47:33e");
    let d = ip("3ffe:507:0:1:200:86ff:fe05:80da");
    let id = community_id(0, 58, s, 1, d, 4);
    assert_eq!(id, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=");
    assert_ne!(id, "1:7/YRyYf9jZVYvUQRzcfGLnbP7JE=");
}

#[test]
fn icmp_echo_request_and_reply_map_to_one_id() {
    // Echo request (type 8, code 0) and its reply (type 0, code 0) from the baseline.
    let req = community_id(0, 1, ip("192.168.0.89"), 8, ip("192.168.0.1"), 0);
    let rep = community_id(0, 1, ip("192.168.0.1"), 0, ip("192.168.0.89"), 0);
    assert_eq!(req, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    assert_eq!(req, rep);
}

#[test]
fn one_way_icmp_keeps_its_direction() {
    // Time exceeded (type 11) has no counterpart: the reverse tuple is another flow.
    let fwd = community_id(0, 1, ip("10.0.0.1"), 11, ip("10.0.0.2"), 0);
    assert_eq!(fwd, "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
    assert_ne!(
        fwd,
        community_id(0, 1, ip("10.0.0.2"), 11, ip("10.0.0.1"), 0)
    );
}
