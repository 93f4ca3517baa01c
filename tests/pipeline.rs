//! Pipeline tests: every bundled capture through the real binary, checked against what
//! its scenario (src/pcapgen) says it must produce: flows with their counters and
//! handshake outcome, DNS transactions, decode skips; every line schema-valid; the same
//! file for 1 and 4 workers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use botsense::pcapgen::{bundled, ExpectedDns, ExpectedFlow, Scenario};
use common::run::{pcap, replay, Run};
use serde_json::Value;
use std::net::SocketAddr;

fn good_scenarios() -> Vec<Scenario> {
    bundled()
        .into_iter()
        .filter(|s| !s.file.starts_with("bad/") && !s.file.starts_with("multi/"))
        .collect()
}

/// The pipeline captures, whose flows and DNS transactions are listed exactly (the
/// detector captures under detect/ are checked by tests/detect.rs).
fn pipeline_scenarios() -> Vec<Scenario> {
    good_scenarios()
        .into_iter()
        .filter(|s| !s.file.starts_with("detect/"))
        .collect()
}

fn proto_name(n: u8) -> &'static str {
    match n {
        6 => "TCP",
        17 => "UDP",
        1 => "ICMP",
        58 => "IPv6-ICMP",
        _ => "other",
    }
}

fn vlan_of(e: &Value) -> [u16; 2] {
    let mut v = [0u16; 2];
    if let Some(a) = e["vlan"].as_array() {
        for (i, id) in a.iter().take(2).enumerate() {
            v[i] = id.as_u64().unwrap() as u16;
        }
    }
    v
}

fn flow_matches(e: &Value, f: &ExpectedFlow) -> bool {
    let c: SocketAddr = f.client.parse().unwrap();
    let s: SocketAddr = f.server.parse().unwrap();
    let ports_match = match f.proto {
        1 | 58 => true,
        _ => e["src_port"] == c.port() && e["dest_port"] == s.port(),
    };
    e["proto"] == proto_name(f.proto)
        && e["src_ip"] == c.ip().to_string()
        && e["dest_ip"] == s.ip().to_string()
        && ports_match
        && vlan_of(e) == f.vlan
}

fn check_flows(run: &Run, s: &Scenario) {
    let flows = run.of_type("flow");
    assert_eq!(
        flows.len(),
        s.flows.len(),
        "{}: flow events\n{}",
        s.file,
        run.eve_text
    );
    for f in s.flows {
        let hits: Vec<_> = flows.iter().filter(|e| flow_matches(e, f)).collect();
        assert_eq!(
            hits.len(),
            1,
            "{}: expected one flow like {f:?}\n{}",
            s.file,
            run.eve_text
        );
        let e = hits[0];
        let ctx = || format!("{}: {f:?} vs {e}", s.file);
        assert_eq!(e["flow"]["pkts_toserver"], f.pkts_toserver, "{}", ctx());
        assert_eq!(e["flow"]["pkts_toclient"], f.pkts_toclient, "{}", ctx());
        assert_eq!(e["flow"]["bytes_toserver"], f.bytes_toserver, "{}", ctx());
        assert_eq!(e["flow"]["bytes_toclient"], f.bytes_toclient, "{}", ctx());
        assert_eq!(
            e["botsense"]["payload_toserver"],
            f.payload_toserver,
            "{}",
            ctx()
        );
        assert_eq!(
            e["botsense"]["payload_toclient"],
            f.payload_toclient,
            "{}",
            ctx()
        );
        assert_eq!(e["botsense"]["outcome"], f.outcome, "{}", ctx());
        let end = e["botsense"]["end_reason"].as_str().unwrap();
        match f.end {
            "fin" | "rst" => assert_eq!(end, f.end, "{}", ctx()),
            _ => assert!(end == "timeout" || end == "shutdown", "{}", ctx()),
        }
    }
}

fn check_dns(run: &Run, s: &Scenario) {
    let dns = run.of_type("dns");
    assert_eq!(
        dns.len(),
        s.dns.len(),
        "{}: dns events\n{}",
        s.file,
        run.eve_text
    );
    for d in s.dns {
        check_one_dns(&dns, d, s.file);
    }
}

fn check_one_dns(events: &[&Value], d: &ExpectedDns, file: &str) {
    let c: SocketAddr = d.client.parse().unwrap();
    let hit = events
        .iter()
        .find(|e| e["dns"]["id"] == d.id && e["src_ip"] == c.ip().to_string())
        .unwrap_or_else(|| panic!("{file}: no dns event with id {:#x}", d.id));
    let name = botsense::decode::dns::DnsName(d.qname.to_vec()).display();
    assert_eq!(
        hit["dns"]["queries"][0]["rrname"],
        name.as_str(),
        "{file}: {hit}"
    );
    assert_eq!(
        hit["dns"]["queries"][0]["rrtype"],
        botsense::decode::dns::rrtype_name(d.qtype).as_ref(),
        "{file}: {hit}"
    );
    assert_eq!(hit["proto"], proto_name(d.proto), "{file}: {hit}");
    match d.rcode {
        None => assert_eq!(hit["dns"]["type"], "request", "{file}: {hit}"),
        Some(rc) => {
            assert_eq!(hit["dns"]["type"], "response", "{file}: {hit}");
            assert_eq!(
                hit["dns"]["rcode"],
                botsense::decode::dns::rcode_name(rc).as_ref(),
                "{file}: {hit}"
            );
            let empty = Vec::new();
            let answers = hit["dns"]["answers"].as_array().unwrap_or(&empty);
            assert_eq!(answers.len(), d.answers.len(), "{file}: {hit}");
            for (a, want) in answers.iter().zip(d.answers) {
                let (rrtype, value) = want.split_once(' ').unwrap();
                assert_eq!(a["rrtype"], rrtype, "{file}: {hit}");
                if matches!(rrtype, "A" | "AAAA" | "CNAME") {
                    assert_eq!(a["rdata"], value, "{file}: {hit}");
                }
            }
        }
    }
}

#[test]
fn every_bundled_capture_yields_its_flows_and_dns_transactions() {
    let scenarios = pipeline_scenarios();
    assert!(scenarios.len() >= 10, "bundled captures went missing");
    for s in &scenarios {
        let run = replay(&pcap(s.file), &["--workers", "2", "-q"]);
        assert_eq!(run.code(), Some(0), "{}: {}", s.file, run.stderr());
        // A scenario that lists no flows is about something else (DNS); its flow
        // counts are covered by the flow scenarios.
        if !s.flows.is_empty() {
            check_flows(&run, s);
        }
        check_dns(&run, s);
        let pkts = s.packets().unwrap().len() as u64;
        assert_eq!(run.counter("stats.decoder.pkts"), pkts, "{}", s.file);
        assert_eq!(
            run.counter("stats.flow.active"),
            0,
            "{}: flushed at end",
            s.file
        );
    }
}

#[test]
fn every_line_of_every_capture_validates_against_the_eve_schema() {
    let mut lines = 0;
    for s in bundled() {
        let run = replay(&pcap(s.file), &["-q"]);
        for line in run.eve_text.lines() {
            common::assert_valid_eve_line(line);
            lines += 1;
        }
    }
    assert!(
        lines > 1000,
        "only {lines} EVE lines over every bundled capture"
    );
}

#[test]
fn output_is_identical_for_one_and_four_workers() {
    for s in good_scenarios() {
        let one = replay(&pcap(s.file), &["--workers", "1", "-q"]);
        let four = replay(&pcap(s.file), &["--workers", "4", "-q"]);
        assert!(!one.eve_text.is_empty(), "{}", s.file);
        assert_eq!(one.eve_text, four.eve_text, "{}: 1 vs 4 workers", s.file);
    }
    // And over a directory replay of all of them together.
    let one = replay(&pcap(""), &["--workers", "1", "-q"]);
    let four = replay(&pcap(""), &["--workers", "4", "-q"]);
    assert_eq!(one.code(), Some(0), "{}", one.stderr());
    assert_eq!(one.eve_text, four.eve_text);
}

#[test]
fn a_directory_is_replayed_in_first_packet_order() {
    let run = replay(&pcap("multi"), &["-q"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let flows = run.of_type("flow");
    let tcp: Vec<_> = flows.iter().filter(|e| e["proto"] == "TCP").collect();
    assert_eq!(tcp.len(), 1, "{}", run.eve_text);
    assert_eq!(tcp[0]["botsense"]["outcome"], "accepted");
    assert_eq!(tcp[0]["flow"]["pkts_toserver"], 6);
    assert_eq!(tcp[0]["flow"]["pkts_toclient"], 5);
    assert_eq!(run.of_type("dns").len(), 1);
}

#[test]
fn truncated_capture_is_processed_up_to_the_cut_and_names_file_and_offset() {
    let run = replay(&pcap("bad/truncated.pcap"), &[]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let err = run.stderr();
    assert!(err.contains("bad/truncated.pcap"), "{err}");
    let offset = err
        .split("byte offset ")
        .nth(1)
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no byte offset in {err}"));
    // The offset is where the 9th record starts: after the global header and 8 records.
    let bytes = std::fs::read(pcap("bad/truncated.pcap")).unwrap();
    assert!(offset > 24 && (offset as usize) < bytes.len(), "{offset}");
    let flows = run.of_type("flow");
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    assert_eq!(
        flows[0]["flow"]["pkts_toserver"].as_u64().unwrap()
            + flows[0]["flow"]["pkts_toclient"].as_u64().unwrap(),
        8
    );
    assert_eq!(run.counter("botsense.stats.capture.file_errors"), 1);
}

#[test]
fn empty_text_and_unsupported_link_type_files_are_refused_naming_the_file() {
    for (file, what) in [
        ("bad/empty.pcap", "empty"),
        ("bad/not-a-capture.txt", "not a pcap or pcapng"),
        ("bad/unsupported-linktype.pcap", "unsupported link type 105"),
    ] {
        let run = replay(&pcap(file), &[]);
        assert_eq!(run.code(), Some(1), "{file}: {}", run.stderr());
        assert!(run.stderr().contains(file), "{file}: {}", run.stderr());
        assert!(run.stderr().contains(what), "{file}: {}", run.stderr());
        assert!(run.events.is_empty(), "{file}: nothing written");
    }
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let run = replay(&pcap("no-such-file.pcap"), &[]);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr().contains("no-such-file.pcap"),
        "{}",
        run.stderr()
    );
}

#[test]
fn header_only_capture_is_an_empty_replay() {
    let run = replay(&pcap("bad/header-only.pcap"), &["-q"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(run.of_type("flow").is_empty());
    // botsense's own packet counter is always written; Suricata's names only once non-zero.
    assert_eq!(run.counter("botsense.stats.decode.packets"), 0);
    assert_eq!(run.counter_or_absent("stats.decoder.pkts"), None);
}

#[test]
fn malformed_packets_are_counted_by_reason_and_skipped() {
    let run = replay(&pcap("bad/malformed-packets.pcap"), &["-q"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    for reason in [
        "ipv4.pkt_too_small",
        "ipv4.hlen_too_small",
        "tcp.pkt_too_small",
        "ethernet.unknown_ethertype",
        "ethernet.pkt_too_small",
    ] {
        let path = format!("botsense.stats.decode.errors.{reason}");
        assert_eq!(run.counter(&path), 1, "{reason}: {}", run.final_stats());
    }
    assert_eq!(run.counter("stats.decoder.pkts"), 6);
    let flows = run.of_type("flow");
    assert_eq!(flows.len(), 1, "the good SYN after the bad packets");
    assert_eq!(flows[0]["botsense"]["outcome"], "unanswered");
}

#[test]
fn bpf_expression_filters_packets() {
    let run = replay(&pcap("flows-basic.pcap"), &["-q", "udp"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let flows = run.of_type("flow");
    assert_eq!(flows.len(), 2, "{}", run.eve_text);
    assert!(flows.iter().all(|f| f["proto"] == "UDP"));
    assert!(run.counter("botsense.stats.capture.filtered") > 0);
}

#[test]
fn bad_bpf_expression_is_a_usage_error() {
    let run = replay(&pcap("flows-basic.pcap"), &["-q", "port", "and"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert!(run.stderr().contains("BPF"), "{}", run.stderr());
}

#[test]
fn event_types_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("b.toml");
    std::fs::write(&cfg, "[eve]\nflow = false\nstats = false\n").unwrap();
    let run = replay(
        &pcap("dns-basic.pcap"),
        &["-q", "-c", cfg.to_str().unwrap()],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(run.of_type("flow").is_empty());
    assert!(run.of_type("stats").is_empty());
    assert_eq!(run.of_type("dns").len(), 10);
}

#[test]
fn unknown_config_key_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("b.toml");
    std::fs::write(&cfg, "[flow]\nmax_flowz = 10\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_botsense"))
        .args(["--check-config", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_flowz"));
    std::fs::write(&cfg, "[flow]\nmax_flows = 10\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_botsense"))
        .args(["--check-config", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_full_flow_table_evicts_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("b.toml");
    std::fs::write(&cfg, "workers = 1\n[flow]\nmax_flows = 2\n").unwrap();
    let run = replay(
        &pcap("flows-basic.pcap"),
        &["-q", "-c", cfg.to_str().unwrap()],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let evicted = run.counter("botsense.stats.flow.evicted");
    assert!(evicted > 0, "{}", run.final_stats());
    let forced = run
        .of_type("flow")
        .iter()
        .filter(|f| f["flow"]["reason"] == "forced")
        .count() as u64;
    assert_eq!(forced, evicted);
}

#[test]
fn the_readme_config_block_is_a_valid_config() {
    let readme = std::fs::read_to_string(common::run::root().join("README.md")).unwrap();
    let block = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a ```toml block in the README");
    assert!(block.contains("[detect.beacon]"), "{block}");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("readme.toml");
    std::fs::write(&cfg, block).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_botsense"))
        .args(["--check-config", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
