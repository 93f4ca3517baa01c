//! `relay`: an internal host acting as an ORB relay node, accepting connections from
//! external addresses and connecting out to other external addresses.
//!
//! Key: the internal host. A *relay event* is a pair (inbound, outbound) where
//! - the inbound connection came from an external address and the host **accepted** it
//!   (TCP handshake completed, or a UDP reply): a lone SYN is not inbound traffic;
//! - within `max_delay_s` (5 minutes, the seeds' `maxspan`) of the inbound connection's
//!   start, the host started an outbound connection to a **different external** address
//!   on a port not in `excluded_ports` (80, 443, 53 by default, as in every seed).
//!
//! The host alerts when it has at least `min_relay_events` (Sentinel: 3) events within
//! `event_window_s` (the seeds' 24 h lookback). The grading is LogScale's relay score on
//! the distinct inbound sources and outbound targets: Critical when both are above
//! `critical_min_peers` (10), High when either is above `high_min_peers` (5), else
//! Medium. Evidence: the sets of sources and targets (≤10 each, Sentinel), relay delays
//! (QRadar), port pairs, and the byte symmetry of the two legs once they ended: a relay
//! forwards what it receives, so the payload of the inbound and outbound legs match.
//!
//! A web server accepting HTTPS and talking to its internal database or to 443 APIs
//! stays silent: internal targets are not relay targets and 443 is excluded.
//!
//! The seeds' T1583.005 test 2 sends its outbound leg to 8.8.8.8:53, which the default
//! exclusions drop (as they do in the seeds' own queries); set `excluded_ports = []` to
//! see it fire.

use super::alerting::{
    invalid, median_sorted, positive, round3, sort_f64, AlertDedup, AlertingConfig, LruMap,
    CATEGORY_TROJAN, MITRE_TACTICS, MITRE_TECHNIQUES_RELAY, SID_RELAY,
};
use super::{Alert, DetectContext, Detector, Severity};
use crate::config::ConfigError;
use crate::decode::{Proto, VlanIds};
use crate::flow::{Endpoint, FlowRecord, Outcome, Record};
use crate::time::{Micros, Timestamp, MICROS_PER_SEC};
use serde::Deserialize;
use serde_json::{json, Map};
use std::collections::VecDeque;
use std::net::IpAddr;

/// `[detect.relay]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayConfig {
    pub enabled: bool,
    /// Outbound must start within this many seconds of the inbound (seeds: 5 minutes).
    pub max_delay_s: u64,
    /// Outbound destination ports that never make a relay leg (seeds: 80, 443, 53).
    pub excluded_ports: Vec<u16>,
    /// Relay events per host before it alerts (Sentinel: 3).
    pub min_relay_events: usize,
    /// Share of the host's accepted inbound connections (within the event window) that
    /// were relayed. A relay node forwards most of what it accepts; a server that takes
    /// many requests and now and then calls an outside service does not.
    pub min_relayed_fraction: f64,
    /// Events older than this are forgotten (the seeds' 24 h lookback).
    pub event_window_s: u64,
    /// High when distinct sources or targets exceed this (LogScale: 5).
    pub high_min_peers: usize,
    /// Critical when distinct sources and targets both exceed this (LogScale: 10).
    pub critical_min_peers: usize,
    /// Accepted inbound connections remembered per host, newest kept.
    pub max_inbound_per_host: usize,
    /// Relay events remembered per host, newest kept.
    pub max_events_per_host: usize,
    /// Hosts tracked per worker; the least recently active is forgotten first.
    pub max_hosts: usize,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            enabled: true,
            max_delay_s: 300,
            excluded_ports: vec![80, 443, 53],
            min_relay_events: 3,
            min_relayed_fraction: 0.5,
            event_window_s: 86_400,
            high_min_peers: 5,
            critical_min_peers: 10,
            max_inbound_per_host: 64,
            max_events_per_host: 256,
            max_hosts: 4096,
        }
    }
}

impl RelayConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("detect.relay.max_delay_s", self.max_delay_s)?;
        positive("detect.relay.min_relay_events", self.min_relay_events)?;
        if self.event_window_s < self.max_delay_s {
            return Err(invalid(
                "detect.relay.event_window_s",
                "must be at least max_delay_s",
            ));
        }
        if self.critical_min_peers < self.high_min_peers {
            return Err(invalid(
                "detect.relay.critical_min_peers",
                "must be at least high_min_peers",
            ));
        }
        positive(
            "detect.relay.max_inbound_per_host",
            self.max_inbound_per_host,
        )?;
        if !(0.0..=1.0).contains(&self.min_relayed_fraction) {
            return Err(invalid(
                "detect.relay.min_relayed_fraction",
                "must be between 0 and 1",
            ));
        }
        if self.max_events_per_host < self.min_relay_events {
            return Err(invalid(
                "detect.relay.max_events_per_host",
                "must be at least min_relay_events",
            ));
        }
        positive("detect.relay.max_hosts", self.max_hosts)?;
        Ok(())
    }
}

const MAX_SAMPLES: usize = 10;
/// Inbound legs one outbound connection pairs with: the nearest unused one. Each leg
/// relays at most once, so a burst of inbound connections is not counted many times.
const MAX_PAIRS_PER_OUTBOUND: usize = 1;
/// Legs whose payload sizes are within this ratio of each other count as symmetric.
const SYMMETRIC_RATIO: f64 = 0.8;

#[derive(Clone, Copy, Debug)]
struct Inbound {
    at: Timestamp,
    src: Endpoint,
    local_port: u16,
    flow_id: u64,
    /// Payload both ways once the flow ended.
    bytes: Option<u64>,
    /// Already paired with an outbound leg.
    used: bool,
}

#[derive(Clone, Copy, Debug)]
struct RelayEvent {
    at: Timestamp,
    src: IpAddr,
    target: Endpoint,
    local_port: u16,
    delay: Micros,
    in_flow: u64,
    out_flow: u64,
    in_bytes: Option<u64>,
    out_bytes: Option<u64>,
    proto: Proto,
}

#[derive(Debug, Default)]
struct HostRelays {
    inbound: VecDeque<Inbound>,
    /// Start times of accepted inbound connections within the event window (bounded
    /// like `events`), for the relayed fraction.
    accepted: VecDeque<Timestamp>,
    events: VecDeque<RelayEvent>,
    vlan: VlanIds,
}

pub struct RelayDetector {
    cfg: RelayConfig,
    max_delay: Micros,
    event_window: Micros,
    hosts: LruMap<IpAddr, HostRelays>,
    dedup: AlertDedup<IpAddr>,
    /// Inbound connections or relay events pushed out of a host at `max_inbound_per_host` / `max_events_per_host`.
    events_dropped: u64,
}

impl RelayDetector {
    pub fn new(cfg: RelayConfig, alerting: &AlertingConfig) -> Self {
        RelayDetector {
            max_delay: cfg.max_delay_s.saturating_mul(MICROS_PER_SEC),
            event_window: cfg.event_window_s.saturating_mul(MICROS_PER_SEC),
            hosts: LruMap::new(cfg.max_hosts),
            dedup: AlertDedup::new(alerting),
            events_dropped: 0,
            cfg,
        }
    }

    fn on_inbound_accepted(&mut self, f: &FlowRecord) {
        let cap = self.cfg.max_inbound_per_host;
        let s = self.hosts.entry(f.server.ip, HostRelays::default);
        if s.inbound.iter().any(|i| i.flow_id == f.flow_id) {
            return;
        }
        if s.inbound.len() >= cap {
            s.inbound.pop_front();
            self.events_dropped += 1;
        }
        if s.accepted.len() >= self.cfg.max_events_per_host {
            s.accepted.pop_front();
            self.events_dropped += 1;
        }
        s.accepted.push_back(f.start);
        s.inbound.push_back(Inbound {
            at: f.start,
            src: f.client,
            local_port: f.server.port,
            flow_id: f.flow_id,
            bytes: None,
            used: false,
        });
        s.vlan = f.vlan;
    }

    fn on_outbound(&mut self, f: &FlowRecord, ctx: &mut DetectContext<'_>) {
        let host = f.client.ip;
        let now = f.start;
        let (max_delay, event_window) = (self.max_delay, self.event_window);
        let cap = self.cfg.max_events_per_host;
        // Only hosts that accepted an external connection have state.
        let Some(s) = self.hosts.get_mut(&host) else {
            return;
        };
        while s
            .inbound
            .front()
            .is_some_and(|i| now.since(i.at) > max_delay)
        {
            s.inbound.pop_front();
        }
        let mut added = 0;
        for i in s.inbound.iter_mut().rev() {
            if added >= MAX_PAIRS_PER_OUTBOUND {
                break;
            }
            if i.used || i.src.ip == f.server.ip || i.flow_id == f.flow_id || i.at > now {
                continue;
            }
            i.used = true;
            if s.events.len() >= cap {
                s.events.pop_front();
                self.events_dropped += 1;
            }
            s.events.push_back(RelayEvent {
                at: now,
                src: i.src.ip,
                target: f.server,
                local_port: i.local_port,
                delay: now.since(i.at),
                in_flow: i.flow_id,
                out_flow: f.flow_id,
                in_bytes: i.bytes,
                out_bytes: None,
                proto: f.proto,
            });
            added += 1;
        }
        while s
            .events
            .front()
            .is_some_and(|e| now.since(e.at) > event_window)
        {
            s.events.pop_front();
        }
        if added > 0 {
            // Mark the host used so an active relay is not the first to be evicted.
            self.hosts.entry(host, HostRelays::default);
            self.evaluate(host, now, Some(f), ctx);
        }
    }

    fn on_flow_end(&mut self, f: &FlowRecord, ctx: &DetectContext<'_>) {
        let bytes = f.payload_toserver.saturating_add(f.payload_toclient);
        if ctx.home.is_internal(f.server.ip) && ctx.home.is_external(f.client.ip) {
            if let Some(s) = self.hosts.get_mut(&f.server.ip) {
                for i in s.inbound.iter_mut().filter(|i| i.flow_id == f.flow_id) {
                    i.bytes = Some(bytes);
                }
                for e in s.events.iter_mut().filter(|e| e.in_flow == f.flow_id) {
                    e.in_bytes = Some(bytes);
                }
            }
        } else if ctx.home.is_internal(f.client.ip) && ctx.home.is_external(f.server.ip) {
            if let Some(s) = self.hosts.get_mut(&f.client.ip) {
                for e in s.events.iter_mut().filter(|e| e.out_flow == f.flow_id) {
                    e.out_bytes = Some(bytes);
                }
            }
        }
    }

    fn evaluate(
        &mut self,
        host: IpAddr,
        now: Timestamp,
        out: Option<&FlowRecord>,
        ctx: &mut DetectContext<'_>,
    ) {
        let Some(s) = self.hosts.get(&host) else {
            return;
        };
        let events = s.events.len();
        if events < self.cfg.min_relay_events {
            return;
        }
        let accepted = s
            .accepted
            .iter()
            .filter(|t| now.since(**t) <= self.event_window)
            .count()
            .max(1);
        let relayed_fraction = events as f64 / accepted as f64;
        if relayed_fraction < self.cfg.min_relayed_fraction {
            return;
        }
        let mut sources: Vec<IpAddr> = s.events.iter().map(|e| e.src).collect();
        sources.sort_unstable();
        sources.dedup();
        let mut targets: Vec<IpAddr> = s.events.iter().map(|e| e.target.ip).collect();
        targets.sort_unstable();
        targets.dedup();
        let (n_src, n_dst) = (sources.len(), targets.len());
        let severity = if n_src > self.cfg.critical_min_peers && n_dst > self.cfg.critical_min_peers
        {
            Severity::Critical
        } else if n_src > self.cfg.high_min_peers || n_dst > self.cfg.high_min_peers {
            Severity::High
        } else {
            Severity::Medium
        };
        if !self.dedup.should_raise(host, now, severity) {
            return;
        }
        // Newest first for the samples.
        let mut sample_sources: Vec<String> = Vec::new();
        let mut sample_targets: Vec<String> = Vec::new();
        let mut port_pairs: Vec<String> = Vec::new();
        let mut delays: Vec<f64> = Vec::new();
        let mut symmetry: Vec<f64> = Vec::new();
        for e in s.events.iter().rev() {
            let src = e.src.to_string();
            if sample_sources.len() < MAX_SAMPLES && !sample_sources.contains(&src) {
                sample_sources.push(src);
            }
            let dst = e.target.ip.to_string();
            if sample_targets.len() < MAX_SAMPLES && !sample_targets.contains(&dst) {
                sample_targets.push(dst);
            }
            let pair = format!("{}->{}", e.local_port, e.target.port);
            if port_pairs.len() < MAX_SAMPLES && !port_pairs.contains(&pair) {
                port_pairs.push(pair);
            }
            delays.push(e.delay as f64 / MICROS_PER_SEC as f64);
            if let (Some(a), Some(b)) = (e.in_bytes, e.out_bytes) {
                let (lo, hi) = (a.min(b) as f64, a.max(b) as f64);
                symmetry.push(if hi == 0.0 { 1.0 } else { lo / hi });
            }
        }
        let recent_delays: Vec<f64> = delays
            .iter()
            .take(MAX_SAMPLES)
            .map(|d| round3(*d))
            .collect();
        sort_f64(&mut delays);
        sort_f64(&mut symmetry);
        let symmetric = symmetry.iter().filter(|r| **r >= SYMMETRIC_RATIO).count();
        let last = s.events.back().copied();
        let signature = format!(
            "ORB relay: {host} accepted connections from {n_src} external source(s) and relayed to {n_dst} other external target(s) ({events} relay events)"
        );
        let mut ev = Map::new();
        ev.insert("relay_events".into(), json!(events));
        ev.insert("unique_sources".into(), json!(n_src));
        ev.insert("unique_targets".into(), json!(n_dst));
        ev.insert("inbound_sources".into(), json!(sample_sources));
        ev.insert("outbound_targets".into(), json!(sample_targets));
        ev.insert("port_pairs".into(), json!(port_pairs));
        ev.insert("relay_delays_s".into(), json!(recent_delays));
        ev.insert(
            "median_relay_delay_s".into(),
            json!(round3(median_sorted(&delays))),
        );
        ev.insert("legs_with_bytes".into(), json!(symmetry.len()));
        ev.insert("symmetric_legs".into(), json!(symmetric));
        if !symmetry.is_empty() {
            ev.insert(
                "median_byte_symmetry".into(),
                json!(round3(median_sorted(&symmetry))),
            );
        }
        ev.insert("window_s".into(), json!(self.cfg.event_window_s));
        let (src, dest, proto, flow_id) = match (out, last) {
            (Some(f), _) => (f.client, f.server, f.proto, Some(f.flow_id)),
            (None, Some(e)) => (
                Endpoint { ip: host, port: 0 },
                e.target,
                e.proto,
                Some(e.out_flow),
            ),
            (None, None) => (
                Endpoint { ip: host, port: 0 },
                Endpoint { ip: host, port: 0 },
                Proto::Tcp,
                None,
            ),
        };
        ctx.alerts.push(Alert {
            ts: now,
            detector: "relay",
            signature_id: SID_RELAY,
            rev: 1,
            signature,
            category: CATEGORY_TROJAN,
            severity,
            score: match severity {
                Severity::Critical => 0.95,
                Severity::High => 0.85,
                _ => 0.65,
            },
            mitre_technique_ids: MITRE_TECHNIQUES_RELAY,
            mitre_tactic_ids: MITRE_TACTICS,
            src,
            dest,
            proto,
            vlan: s.vlan,
            flow_id,
            evidence: ev,
        });
    }
}

impl Detector for RelayDetector {
    fn name(&self) -> &'static str {
        "relay"
    }

    fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>) {
        match record {
            Record::Handshake(f)
                if f.outcome == Outcome::Accepted
                    && ctx.home.is_external(f.client.ip)
                    && ctx.home.is_internal(f.server.ip) =>
            {
                self.on_inbound_accepted(f);
            }
            Record::ConnStart(f)
                if matches!(f.proto, Proto::Tcp | Proto::Udp)
                    && f.outcome != Outcome::Midstream
                    && !self.cfg.excluded_ports.contains(&f.server.port)
                    && ctx.home.is_internal(f.client.ip)
                    && ctx.home.is_external(f.server.ip) =>
            {
                self.on_outbound(f, ctx);
            }
            Record::FlowEnd(f) => self.on_flow_end(f, ctx),
            _ => {}
        }
    }

    fn counters(&self, out: &mut dyn FnMut(&'static str, u64)) {
        out("keys_max", self.hosts.capacity() as u64);
        out("events_dropped", self.events_dropped);
        out("keys_tracked", self.hosts.len() as u64);
        out("keys_evicted", self.hosts.evicted());
        out("alerts_suppressed", self.dedup.suppressed());
        out("alert_keys_evicted", self.dedup.evicted());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::beacon::tests::flow;

    const HOST: &str = "10.1.2.3";

    fn run(det: &mut RelayDetector, records: &[Record<'_>]) -> Vec<Alert> {
        crate::detect::run_records(det, records)
    }

    fn cleared() -> RelayDetector {
        RelayDetector::new(
            RelayConfig {
                excluded_ports: vec![],
                ..RelayConfig::default()
            },
            &AlertingConfig::default(),
        )
    }

    fn defaults() -> RelayDetector {
        RelayDetector::new(RelayConfig::default(), &AlertingConfig::default())
    }

    fn accepted(src: &str, port: u16, at: f64, n: u64) -> FlowRecord {
        let mut f = flow(src, HOST, port, Proto::Tcp, at, n);
        f.outcome = Outcome::Accepted;
        f
    }

    /// `n` relay pairs 400 s apart (so each outbound pairs with its own inbound only):
    /// inbound to 19876 from 198.51.100.(10+i), accepted, then an outbound connection
    /// `delay` seconds later to `target`:`port`.
    fn relay_flows(
        n: u64,
        target: impl Fn(u64) -> String,
        port: u16,
        delay: f64,
    ) -> Vec<FlowRecord> {
        let mut flows = Vec::new();
        for i in 0..n {
            let at = i as f64 * 400.0;
            flows.push(accepted(
                &format!("198.51.100.{}", 10 + i),
                19876,
                at,
                2 * i,
            ));
            flows.push(flow(
                HOST,
                &target(i),
                port,
                Proto::Tcp,
                at + delay,
                2 * i + 1,
            ));
        }
        flows
    }

    /// Records in the order the flow layer emits them: inbound ConnStart + Handshake,
    /// then the outbound ConnStart.
    fn records(flows: &[FlowRecord]) -> Vec<Record<'_>> {
        let mut r = Vec::new();
        for f in flows {
            r.push(Record::ConnStart(f));
            if f.outcome == Outcome::Accepted {
                r.push(Record::Handshake(f));
            }
        }
        r
    }

    #[test]
    fn seed_test_relay_to_8_8_8_8_53_fires_only_with_exclusions_cleared() {
        let flows = relay_flows(3, |_| "8.8.8.8".into(), 53, 20.0);
        assert!(run(&mut defaults(), &records(&flows)).is_empty());
        let alerts = run(&mut cleared(), &records(&flows));
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.detector, "relay");
        assert_eq!(a.signature_id, SID_RELAY);
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.src.ip, HOST.parse::<IpAddr>().unwrap());
        assert_eq!(a.dest.ip, "8.8.8.8".parse::<IpAddr>().unwrap());
        assert_eq!(a.dest.port, 53);
        assert_eq!(a.evidence["unique_targets"], json!(1));
        assert_eq!(a.evidence["port_pairs"], json!(["19876->53"]));
        assert_eq!(a.evidence["relay_events"].as_u64().unwrap(), 3);
    }

    #[test]
    fn fewer_than_three_relay_events_stay_silent() {
        let flows = relay_flows(1, |_| "8.8.8.8".into(), 53, 20.0);
        assert!(run(&mut cleared(), &records(&flows)).is_empty());
    }

    #[test]
    fn outbound_after_five_minutes_is_not_a_relay() {
        let mut flows = Vec::new();
        for i in 0..5u64 {
            let at = i as f64 * 1000.0;
            flows.push(accepted(
                &format!("198.51.100.{}", 10 + i),
                19876,
                at,
                2 * i,
            ));
            flows.push(flow(
                HOST,
                "203.0.113.9",
                9001,
                Proto::Tcp,
                at + 301.0,
                2 * i + 1,
            ));
        }
        assert!(run(&mut defaults(), &records(&flows)).is_empty());
    }

    #[test]
    fn unanswered_inbound_syns_are_not_inbound_connections() {
        let mut flows = relay_flows(5, |i| format!("203.0.113.{}", i + 1), 9001, 5.0);
        for f in flows.iter_mut().filter(|f| f.outcome == Outcome::Accepted) {
            f.outcome = Outcome::Pending;
        }
        assert!(run(&mut defaults(), &records(&flows)).is_empty());
    }

    #[test]
    fn relay_back_to_the_inbound_source_does_not_count() {
        let mut flows = Vec::new();
        for i in 0..5u64 {
            let src = format!("198.51.100.{}", 10 + i);
            flows.push(accepted(&src, 19876, i as f64 * 600.0, 2 * i));
            flows.push(flow(
                HOST,
                &src,
                9001,
                Proto::Tcp,
                i as f64 * 600.0 + 1.0,
                2 * i + 1,
            ));
        }
        assert!(run(&mut defaults(), &records(&flows)).is_empty());
    }

    #[test]
    fn many_sources_and_targets_grade_up_to_critical_with_symmetric_bytes() {
        let mut flows = relay_flows(12, |i| format!("203.0.113.{}", i + 1), 9001, 2.5);
        for f in &mut flows {
            f.payload_toserver = 1000;
            f.payload_toclient = 5000;
        }
        // The legs end (with their payloads) before the next pair starts.
        let mut ordered = Vec::new();
        for pair in flows.chunks(2) {
            ordered.push(Record::ConnStart(&pair[0]));
            ordered.push(Record::Handshake(&pair[0]));
            ordered.push(Record::ConnStart(&pair[1]));
            ordered.push(Record::FlowEnd(&pair[0]));
            ordered.push(Record::FlowEnd(&pair[1]));
        }
        let alerts = run(&mut defaults(), &ordered);
        let sev: Vec<Severity> = alerts.iter().map(|a| a.severity).collect();
        assert_eq!(
            sev,
            vec![Severity::Medium, Severity::High, Severity::Critical]
        );
        let a = alerts.last().unwrap();
        assert_eq!(a.evidence["inbound_sources"].as_array().unwrap().len(), 10);
        assert_eq!(a.evidence["outbound_targets"].as_array().unwrap().len(), 10);
        assert_eq!(a.evidence["median_relay_delay_s"], json!(2.5));
        assert_eq!(a.evidence["median_byte_symmetry"], json!(1.0));
        assert_eq!(a.evidence["port_pairs"], json!(["19876->9001"]));
    }

    #[test]
    fn web_server_talking_to_internal_db_and_443_apis_stays_silent() {
        let mut flows = Vec::new();
        let mut n = 0;
        for i in 0..200u64 {
            let at = i as f64 * 3.0;
            flows.push(accepted(&format!("198.51.100.{}", 1 + i % 200), 443, at, n));
            n += 1;
            flows.push(flow(HOST, "10.0.5.5", 5432, Proto::Tcp, at + 0.1, n));
            n += 1;
            flows.push(flow(
                HOST,
                &format!("203.0.113.{}", 1 + i % 20),
                443,
                Proto::Tcp,
                at + 0.2,
                n,
            ));
            n += 1;
            flows.push(flow(HOST, "8.8.8.8", 53, Proto::Udp, at + 0.3, n));
            n += 1;
        }
        let mut det = defaults();
        assert!(run(&mut det, &records(&flows)).is_empty());
        let mut c = Vec::new();
        det.counters(&mut |k, v| c.push((k, v)));
        assert!(c.contains(&("keys_tracked", 1)), "{c:?}");
        let s = det.hosts.get(&HOST.parse().unwrap()).unwrap();
        assert!(s.inbound.len() <= 64);
    }

    #[test]
    fn bad_config_names_the_key_and_exclusions_can_be_cleared() {
        let cfg = RelayConfig {
            critical_min_peers: 2,
            ..RelayConfig::default()
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("detect.relay.critical_min_peers"), "{e}");
        assert!(toml::from_str::<RelayConfig>("exclude = [1]").is_err());
        let c: RelayConfig = toml::from_str("excluded_ports = []").unwrap();
        assert!(c.excluded_ports.is_empty());
        assert!(c.validate().is_ok());
    }
}

#[cfg(test)]
mod config_tests {
    use crate::config::{Config, Overrides, RawConfig};
    use crate::detect::DetectorSet;

    fn config(text: &str) -> Result<Config, crate::config::ConfigError> {
        let raw = RawConfig::from_toml(std::path::Path::new("t.toml"), text)?;
        Config::from_raw(raw, Overrides::default())
    }

    #[test]
    fn relay_flood_scan_and_burst_are_built_and_configurable() {
        let c = config("[detect.relay]\nexcluded_ports = []\n").unwrap();
        assert!(c.detect.relay.excluded_ports.is_empty());
        let names: Vec<&str> = DetectorSet::from_config(&c).names().collect();
        for n in ["relay", "inbound_flood", "scan", "outbound_burst"] {
            assert!(names.contains(&n), "{names:?}");
        }
        let c = config(
            "[detect.scan]\nenabled = false\n[detect.inbound_flood]\nenabled = false\n\
             [detect.outbound_burst]\nenabled = false\n[detect.relay]\nenabled = false\n",
        )
        .unwrap();
        let names: Vec<&str> = DetectorSet::from_config(&c).names().collect();
        for n in ["relay", "inbound_flood", "scan", "outbound_burst"] {
            assert!(!names.contains(&n), "{names:?}");
        }
        let e = config("[detect.inbound_flood]\nmin_sources = 0\n").unwrap_err();
        assert!(
            e.to_string().contains("detect.inbound_flood.min_sources"),
            "{e}"
        );
        let e = config("[detect.scan]\nwindow = 3\n").unwrap_err();
        assert!(e.to_string().contains("window"), "{e}");
    }
}
