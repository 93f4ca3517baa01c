//! Every EVE writer, through the public API, against Suricata 8's EVE schema (with the one
//! `botsense` property botsense adds), using the shared helpers in tests/common.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use botsense::decode::dns::{DnsAnswer, DnsMessage, DnsName, DnsQuestion, RData};
use botsense::decode::{Proto, VlanIds};
use botsense::detect::{Alert, Severity};
use botsense::flow::{DnsTransaction, EndReason, Endpoint, FlowRecord, Outcome};
use botsense::output::eve::{write_alert, write_dns, write_flow, write_stats, EveOptions};
use botsense::output::stats::StatsSnapshot;
use botsense::time::Timestamp;
use common::assert_valid_eve_line;

fn ep(ip: &str, port: u16) -> Endpoint {
    Endpoint {
        ip: ip.parse().unwrap(),
        port,
    }
}

fn t(secs: u64) -> Timestamp {
    Timestamp::from_secs_micros(1_795_341_600 + secs, 250)
}

fn to_line(write: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    write(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn every_event_type_validates_against_the_suricata_schema() {
    let o = EveOptions::default();

    for proto in [
        Proto::Tcp,
        Proto::Udp,
        Proto::Icmp,
        Proto::Icmpv6,
        Proto::Other(47),
    ] {
        let f = FlowRecord {
            flow_id: u64::MAX,
            client: ep("10.1.2.3", 40_000),
            server: ep("198.51.100.9", 6667),
            proto,
            vlan: VlanIds([5, 6]),
            start: t(0),
            last: t(90),
            pkts_toserver: 3,
            pkts_toclient: 2,
            bytes_toserver: 180,
            bytes_toclient: 120,
            payload_toserver: 0,
            payload_toclient: 0,
            tcp_flags_ts: 0x02,
            tcp_flags_tc: 0x12,
            outcome: Outcome::Accepted,
            end: EndReason::Evicted,
        };
        assert_valid_eve_line(&to_line(|out| write_flow(out, &f, &o)));
    }

    let d = DnsTransaction {
        flow_id: 9,
        client: ep("fd00::5", 33_000),
        server: ep("fd00::53", 53),
        proto: Proto::Udp,
        vlan: VlanIds::default(),
        query_ts: Some(t(1)),
        response_ts: Some(t(2)),
        query: None,
        response: Some(DnsMessage {
            id: 1,
            flags: 0x8183,
            questions: vec![DnsQuestion {
                name: DnsName(b"\x00\xff\"\\\n.evil".to_vec()),
                qtype: 65,
                qclass: 1,
            }],
            answers: vec![DnsAnswer {
                name: DnsName(b"x".to_vec()),
                rtype: 99,
                ttl: 0,
                data: RData::Other { len: 4 },
            }],
        }),
    };
    assert_valid_eve_line(&to_line(|out| write_dns(out, &d, &o)));

    let a = Alert {
        ts: t(3),
        detector: "c2_port",
        signature_id: 9_000_003,
        rev: 2,
        signature: "BOTSENSE c2_port: IRC to 198.51.100.9:6667".into(),
        category: "A Network Trojan was detected",
        severity: Severity::Critical,
        score: 1.0,
        mitre_technique_ids: &["T1584.005"],
        mitre_tactic_ids: &[],
        src: ep("10.1.2.3", 40_000),
        dest: ep("198.51.100.9", 6667),
        proto: Proto::Tcp,
        vlan: VlanIds::default(),
        flow_id: Some(1),
        evidence: serde_json::Map::new(),
    };
    assert_valid_eve_line(&to_line(|out| write_alert(out, &a, &o)));

    let mut s = StatsSnapshot {
        ts: t(4),
        uptime_s: 4,
        ..StatsSnapshot::default()
    };
    s.suricata.insert("decoder.pkts".into(), 10);
    s.suricata.insert("capture.kernel_packets".into(), 10);
    s.botsense.insert("free.form.names".into(), 1);
    assert_valid_eve_line(&to_line(|out| write_stats(out, &s)));
}

#[test]
#[should_panic(expected = "fails the schema")]
fn a_field_suricata_does_not_know_fails_validation() {
    assert_valid_eve_line(
        r#"{"timestamp":"2026-11-22T10:00:00.000000+0000","event_type":"flow","ip_version":4}"#,
    );
}
