//! `outbound_burst`: one internal host making a burst of connection attempts across many
//! destination ports.
//!
//! Key: the internal client. The seeds' T1584.005 test 3 makes 150 connections in rapid
//! succession to many ports; the floor is more than `min_attempts` (100) attempts within
//! the sliding `window_s` (15 min) touching at least `min_unique_ports` (20) distinct
//! destination ports. Targets may be internal or external (lateral spreading counts).
//! Every attempt counts, answered or not.
//!
//! The signature says which shape it is: a **port sweep** when the attempts hit at most
//! `sweep_max_targets` addresses (one target probed on many ports), a **connection
//! flood** otherwise (many targets, many ports). Medium, High from `high_attempts`
//! attempts in the window on.
//!
//! A client with many connections to the same few ports (a browser on 443, a mail
//! client) never reaches the port threshold; a host probing one port on many addresses
//! is `scan`'s case, not this one. Both fire only when both shapes hold.

use super::alerting::{
    invalid, positive, AlertDedup, AlertingConfig, LruMap, CATEGORY_NETWORK_SCAN,
    MITRE_TACTICS_SCAN, MITRE_TECHNIQUES_SCAN, SID_OUTBOUND_BURST_FLOOD, SID_OUTBOUND_BURST_SWEEP,
};
use super::beacon::endpoint_text;
use super::{Alert, DetectContext, Detector, Severity};
use crate::config::ConfigError;
use crate::decode::{Proto, VlanIds};
use crate::flow::{Endpoint, FlowRecord, Outcome, Record};
use crate::time::{Micros, Timestamp, MICROS_PER_SEC};
use serde::Deserialize;
use serde_json::{json, Map};
use std::collections::VecDeque;
use std::net::IpAddr;

/// `[detect.outbound_burst]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundBurstConfig {
    pub enabled: bool,
    /// Fires on more than this many attempts within the window (seed: > 100).
    pub min_attempts: usize,
    /// Distinct destination ports the attempts must reach.
    pub min_unique_ports: usize,
    /// Sliding window, seconds of packet time (seed: 15 minutes).
    pub window_s: u64,
    /// At most this many distinct targets: a port sweep; more: a connection flood.
    pub sweep_max_targets: usize,
    /// From this many attempts in the window on, the alert is High.
    pub high_attempts: usize,
    /// Attempts remembered per host (newest kept); counts saturate here and say so.
    pub max_attempts_per_host: usize,
    /// Hosts tracked per worker; the least recently active is forgotten first.
    pub max_hosts: usize,
}

impl Default for OutboundBurstConfig {
    fn default() -> Self {
        OutboundBurstConfig {
            enabled: true,
            min_attempts: 100,
            min_unique_ports: 20,
            window_s: 900,
            sweep_max_targets: 3,
            high_attempts: 500,
            max_attempts_per_host: 512,
            max_hosts: 4096,
        }
    }
}

impl OutboundBurstConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("detect.outbound_burst.min_attempts", self.min_attempts)?;
        if self.min_unique_ports < 2 {
            return Err(invalid(
                "detect.outbound_burst.min_unique_ports",
                "must be at least 2",
            ));
        }
        positive("detect.outbound_burst.window_s", self.window_s)?;
        positive(
            "detect.outbound_burst.sweep_max_targets",
            self.sweep_max_targets,
        )?;
        if self.high_attempts <= self.min_attempts {
            return Err(invalid(
                "detect.outbound_burst.high_attempts",
                "must be greater than min_attempts",
            ));
        }
        if self.max_attempts_per_host < self.high_attempts {
            return Err(invalid(
                "detect.outbound_burst.max_attempts_per_host",
                "must be at least high_attempts",
            ));
        }
        positive("detect.outbound_burst.max_hosts", self.max_hosts)?;
        Ok(())
    }
}

const MAX_SAMPLES: usize = 10;

#[derive(Clone, Copy, Debug)]
struct Attempt {
    at: Timestamp,
    target: IpAddr,
    port: u16,
}

#[derive(Debug)]
struct HostAttempts {
    /// Attempts within the window, oldest first, at most `max_attempts_per_host`.
    attempts: VecDeque<Attempt>,
    /// Attempts dropped from a full deque while still inside the window.
    saturated: bool,
    proto: Proto,
    vlan: VlanIds,
    client_port: u16,
    flow_id: u64,
}

pub struct OutboundBurstDetector {
    cfg: OutboundBurstConfig,
    window: Micros,
    hosts: LruMap<IpAddr, HostAttempts>,
    dedup: AlertDedup<IpAddr>,
    /// Attempts pushed out of a host full at `max_attempts_per_host`.
    attempts_dropped: u64,
    /// Reused for counting distinct ports and targets without allocating per record.
    scratch_ports: Vec<u16>,
    scratch_targets: Vec<IpAddr>,
}

impl OutboundBurstDetector {
    pub fn new(cfg: OutboundBurstConfig, alerting: &AlertingConfig) -> Self {
        OutboundBurstDetector {
            window: cfg.window_s.saturating_mul(MICROS_PER_SEC),
            hosts: LruMap::new(cfg.max_hosts),
            dedup: AlertDedup::new(alerting),
            attempts_dropped: 0,
            scratch_ports: Vec::new(),
            scratch_targets: Vec::new(),
            cfg,
        }
    }

    fn on_attempt(&mut self, f: &FlowRecord, ctx: &mut DetectContext<'_>) {
        let host = f.client.ip;
        let now = f.start;
        let window = self.window;
        let cap = self.cfg.max_attempts_per_host;
        let s = self.hosts.entry(host, || HostAttempts {
            attempts: VecDeque::new(),
            saturated: false,
            proto: f.proto,
            vlan: f.vlan,
            client_port: f.client.port,
            flow_id: f.flow_id,
        });
        while s
            .attempts
            .front()
            .is_some_and(|a| now.since(a.at) >= window)
        {
            s.attempts.pop_front();
            s.saturated = false;
        }
        if s.attempts.len() >= cap {
            s.attempts.pop_front();
            s.saturated = true;
            self.attempts_dropped += 1;
        }
        s.attempts.push_back(Attempt {
            at: now,
            target: f.server.ip,
            port: f.server.port,
        });
        s.proto = f.proto;
        s.vlan = f.vlan;
        s.client_port = f.client.port;
        s.flow_id = f.flow_id;
        if s.attempts.len() > self.cfg.min_attempts
            && self.dedup.would_raise(&host, now, Severity::High)
        {
            self.evaluate(host, now, ctx);
        }
    }

    fn evaluate(&mut self, host: IpAddr, now: Timestamp, ctx: &mut DetectContext<'_>) {
        let Some(s) = self.hosts.get(&host) else {
            return;
        };
        let ports = &mut self.scratch_ports;
        ports.clear();
        ports.extend(s.attempts.iter().map(|a| a.port));
        ports.sort_unstable();
        ports.dedup();
        let unique_ports = ports.len();
        if unique_ports < self.cfg.min_unique_ports {
            return;
        }
        let targets = &mut self.scratch_targets;
        targets.clear();
        targets.extend(s.attempts.iter().map(|a| a.target));
        targets.sort_unstable();
        targets.dedup();
        let unique_targets = targets.len();
        let attempts = s.attempts.len();
        let severity = if attempts >= self.cfg.high_attempts {
            Severity::High
        } else {
            Severity::Medium
        };
        if !self.dedup.should_raise(host, now, severity) {
            return;
        }
        let sweep = unique_targets <= self.cfg.sweep_max_targets;
        let more = if s.saturated { "at least " } else { "" };
        let last = s.attempts.back().copied();
        let (sid, signature, shape) = if sweep {
            let target = last.map(|a| a.target).unwrap_or(host);
            (
                SID_OUTBOUND_BURST_SWEEP,
                format!(
                    "Outbound port sweep: {host} made {more}{attempts} attempts to {unique_ports} ports on {unique_targets} target(s) ({target}) within {} s",
                    self.cfg.window_s
                ),
                "port_sweep",
            )
        } else {
            (
                SID_OUTBOUND_BURST_FLOOD,
                format!(
                    "Outbound connection flood: {host} made {more}{attempts} attempts to {unique_ports} ports across {unique_targets} targets within {} s",
                    self.cfg.window_s
                ),
                "connection_flood",
            )
        };
        let mut sample_targets: Vec<String> = Vec::new();
        let mut sample_ports: Vec<u16> = Vec::new();
        let mut sample_endpoints: Vec<String> = Vec::new();
        for a in s.attempts.iter().rev() {
            let t = a.target.to_string();
            if sample_targets.len() < MAX_SAMPLES && !sample_targets.contains(&t) {
                sample_targets.push(t);
            }
            if sample_ports.len() < MAX_SAMPLES && !sample_ports.contains(&a.port) {
                sample_ports.push(a.port);
            }
            if sample_endpoints.len() < MAX_SAMPLES {
                sample_endpoints.push(endpoint_text(a.target, a.port));
            }
        }
        let first = s.attempts.front().map(|a| a.at).unwrap_or(now);
        let mut ev = Map::new();
        ev.insert("shape".into(), json!(shape));
        ev.insert("attempts".into(), json!(attempts));
        ev.insert("attempts_saturated".into(), json!(s.saturated));
        ev.insert("unique_ports".into(), json!(unique_ports));
        ev.insert("unique_targets".into(), json!(unique_targets));
        ev.insert("window_s".into(), json!(self.cfg.window_s));
        ev.insert(
            "span_s".into(),
            json!(now.since(first) as f64 / MICROS_PER_SEC as f64),
        );
        ev.insert("sample_targets".into(), json!(sample_targets));
        ev.insert("sample_ports".into(), json!(sample_ports));
        ev.insert("sample_attempts".into(), json!(sample_endpoints));
        let dest = last.map_or(Endpoint { ip: host, port: 0 }, |a| Endpoint {
            ip: a.target,
            port: a.port,
        });
        ctx.alerts.push(Alert {
            ts: now,
            detector: "outbound_burst",
            signature_id: sid,
            rev: 1,
            signature,
            category: CATEGORY_NETWORK_SCAN,
            severity,
            score: if severity == Severity::High {
                0.85
            } else {
                0.6
            },
            mitre_technique_ids: MITRE_TECHNIQUES_SCAN,
            mitre_tactic_ids: MITRE_TACTICS_SCAN,
            src: Endpoint {
                ip: host,
                port: s.client_port,
            },
            dest,
            proto: s.proto,
            vlan: s.vlan,
            flow_id: Some(s.flow_id),
            evidence: ev,
        });
    }
}

impl Detector for OutboundBurstDetector {
    fn name(&self) -> &'static str {
        "outbound_burst"
    }

    fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>) {
        if let Record::ConnStart(f) = record {
            if matches!(f.proto, Proto::Tcp | Proto::Udp)
                && !(f.proto == Proto::Tcp && f.outcome == Outcome::Midstream)
                && ctx.home.is_internal(f.client.ip)
                && (ctx.home.is_internal(f.server.ip) || ctx.home.is_external(f.server.ip))
            {
                self.on_attempt(f, ctx);
            }
        }
    }

    fn counters(&self, out: &mut dyn FnMut(&'static str, u64)) {
        out("keys_max", self.hosts.capacity() as u64);
        out("attempts_dropped", self.attempts_dropped);
        out("keys_tracked", self.hosts.len() as u64);
        out("keys_evicted", self.hosts.evicted());
        out("alerts_suppressed", self.dedup.suppressed());
        out("alert_keys_evicted", self.dedup.evicted());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::beacon::tests::{flow, C2, HOST};

    fn run(det: &mut OutboundBurstDetector, flows: &[FlowRecord]) -> Vec<Alert> {
        let records: Vec<Record<'_>> = flows.iter().map(Record::ConnStart).collect();
        crate::detect::run_records(det, &records)
    }

    fn detector() -> OutboundBurstDetector {
        OutboundBurstDetector::new(OutboundBurstConfig::default(), &AlertingConfig::default())
    }

    #[test]
    fn seed_test_150_rapid_connections_to_many_ports_of_one_target_is_a_sweep() {
        let flows: Vec<FlowRecord> = (0..150u64)
            .map(|i| flow(HOST, C2, 1000 + i as u16, Proto::Tcp, i as f64 * 0.05, i))
            .collect();
        let alerts = run(&mut detector(), &flows);
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.detector, "outbound_burst");
        assert_eq!(a.signature_id, SID_OUTBOUND_BURST_SWEEP);
        assert!(a.signature.contains("port sweep"), "{}", a.signature);
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.evidence["attempts"], json!(101));
        assert_eq!(a.evidence["unique_targets"], json!(1));
        assert_eq!(a.evidence["unique_ports"], json!(101));
        assert_eq!(a.evidence["shape"], json!("port_sweep"));
        assert_eq!(a.dest.ip, C2.parse::<IpAddr>().unwrap());
    }

    #[test]
    fn rapid_connections_to_many_hosts_and_ports_is_a_flood() {
        let flows: Vec<FlowRecord> = (0..150u64)
            .map(|i| {
                let dst = format!("10.0.{}.{}", i % 7, 1 + i % 50);
                flow(
                    HOST,
                    &dst,
                    1 + (i % 40) as u16,
                    Proto::Tcp,
                    i as f64 * 0.05,
                    i,
                )
            })
            .collect();
        let alerts = run(&mut detector(), &flows);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].signature_id, SID_OUTBOUND_BURST_FLOOD);
        assert!(alerts[0].signature.contains("flood"));
        assert_eq!(alerts[0].evidence["unique_ports"], json!(40));
    }

    #[test]
    fn a_client_with_many_connections_all_to_443_stays_silent() {
        let flows: Vec<FlowRecord> = (0..1000u64)
            .map(|i| {
                let dst = format!("198.51.100.{}", 1 + i % 4);
                flow(HOST, &dst, 443, Proto::Tcp, i as f64 * 0.5, i)
            })
            .collect();
        assert!(run(&mut detector(), &flows).is_empty());
    }

    #[test]
    fn a_hundred_attempts_are_not_more_than_a_hundred() {
        let flows: Vec<FlowRecord> = (0..100u64)
            .map(|i| flow(HOST, C2, 1000 + i as u16, Proto::Tcp, i as f64, i))
            .collect();
        assert!(run(&mut detector(), &flows).is_empty());
    }

    #[test]
    fn attempts_spread_beyond_the_window_stay_silent() {
        // 300 attempts, one every 10 s: at most 90 in any 15 minutes.
        let flows: Vec<FlowRecord> = (0..300u64)
            .map(|i| flow(HOST, C2, 1000 + i as u16, Proto::Tcp, i as f64 * 10.0, i))
            .collect();
        assert!(run(&mut detector(), &flows).is_empty());
    }

    #[test]
    fn a_long_sweep_rises_to_high_and_stays_bounded() {
        let flows: Vec<FlowRecord> = (0..5000u64)
            .map(|i| flow(HOST, C2, 1 + i as u16, Proto::Udp, i as f64 * 0.01, i))
            .collect();
        let mut det = detector();
        let alerts = run(&mut det, &flows);
        let sev: Vec<Severity> = alerts.iter().map(|a| a.severity).collect();
        assert_eq!(sev, vec![Severity::Medium, Severity::High]);
        let s = det.hosts.get(&HOST.parse().unwrap()).unwrap();
        assert_eq!(s.attempts.len(), 512);
        assert!(s.saturated);
    }

    #[test]
    fn bad_config_names_the_key() {
        let cfg = OutboundBurstConfig {
            max_attempts_per_host: 50,
            ..OutboundBurstConfig::default()
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(
            e.contains("detect.outbound_burst.max_attempts_per_host"),
            "{e}"
        );
        assert!(toml::from_str::<OutboundBurstConfig>("attempts = 3").is_err());
    }
}
