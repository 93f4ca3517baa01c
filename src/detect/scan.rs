//! `scan`: one internal host reaching many external addresses on one destination port.
//!
//! Key: (internal client, destination port). The seeds' T1583.005 test 4 ("botnet
//! spreader") connects to 30 unique addresses in 203.0.113.0/24 on port 22; every
//! attempt counts, TCP or UDP, answered, refused or unanswered, because a scanner's
//! probes mostly go unanswered. A key fires when at least `min_targets` distinct
//! external addresses were reached within the sliding `window_s`: Medium, and High from
//! `high_targets` on (a spreader sweeping a range, not a tool touching a few dozen
//! hosts).
//!
//! Ports every client uses towards many servers (web, DNS: the seeds' own exclusion
//! list) are skipped by default, or every browser would be a scanner.
//!
//! `outbound_burst` looks at the other axis (many ports); a host that probes many
//! addresses on many ports may fire both, one that probes one port fires only this.

use super::alerting::{
    invalid, positive, AlertDedup, AlertingConfig, LruMap, CATEGORY_NETWORK_SCAN,
    MITRE_TACTICS_SCAN, MITRE_TECHNIQUES_SCAN, SID_SCAN,
};
use super::{Alert, DetectContext, Detector, Severity};
use crate::config::ConfigError;
use crate::decode::{Proto, VlanIds};
use crate::flow::{Endpoint, FlowRecord, Outcome, Record};
use crate::hash::HashMap;
use crate::time::{Micros, Timestamp, MICROS_PER_SEC};
use serde::Deserialize;
use serde_json::{json, Map};
use std::net::IpAddr;

/// `[detect.scan]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    pub enabled: bool,
    /// Distinct external addresses on one port within the window (seed: 30).
    pub min_targets: usize,
    /// From this many distinct addresses on, the alert is High.
    pub high_targets: usize,
    /// Sliding window, seconds of packet time.
    pub window_s: u64,
    /// Destination ports never counted: the seeds' 80/443/53.
    pub excluded_ports: Vec<u16>,
    /// Distinct addresses remembered per key; above it the count saturates (and says so).
    pub max_targets_per_key: usize,
    /// (host, port) keys tracked per worker; the least recently active is forgotten first.
    pub max_keys: usize,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            enabled: true,
            min_targets: 30,
            high_targets: 100,
            window_s: 600,
            excluded_ports: vec![80, 443, 53],
            max_targets_per_key: 256,
            max_keys: 4096,
        }
    }
}

impl ScanConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.min_targets < 2 {
            return Err(invalid("detect.scan.min_targets", "must be at least 2"));
        }
        if self.high_targets < self.min_targets {
            return Err(invalid(
                "detect.scan.high_targets",
                "must be at least min_targets",
            ));
        }
        positive("detect.scan.window_s", self.window_s)?;
        if self.max_targets_per_key < self.high_targets {
            return Err(invalid(
                "detect.scan.max_targets_per_key",
                "must be at least high_targets",
            ));
        }
        positive("detect.scan.max_keys", self.max_keys)?;
        Ok(())
    }
}

/// Sample targets written into the evidence.
const MAX_SAMPLES: usize = 10;

type Key = (IpAddr, u16);

#[derive(Debug)]
struct PortTargets {
    /// Target -> last time it was reached; at most `max_targets_per_key` entries.
    targets: HashMap<IpAddr, Timestamp>,
    /// New targets not remembered because the set was full of live entries.
    overflow: u64,
    first: Timestamp,
    attempts: u64,
    unanswered_or_refused: u64,
    proto: Proto,
    vlan: VlanIds,
    client_port: u16,
    flow_id: u64,
}

pub struct ScanDetector {
    cfg: ScanConfig,
    window: Micros,
    keys: LruMap<Key, PortTargets>,
    dedup: AlertDedup<Key>,
    /// New targets not kept because a key held `max_targets_per_key` (still counted in
    /// the key's total, not remembered).
    targets_dropped: u64,
}

impl ScanDetector {
    pub fn new(cfg: ScanConfig, alerting: &AlertingConfig) -> Self {
        ScanDetector {
            window: cfg.window_s.saturating_mul(MICROS_PER_SEC),
            keys: LruMap::new(cfg.max_keys),
            dedup: AlertDedup::new(alerting),
            targets_dropped: 0,
            cfg,
        }
    }

    fn applies(&self, f: &FlowRecord, ctx: &DetectContext<'_>) -> bool {
        matches!(f.proto, Proto::Tcp | Proto::Udp)
            && !(f.proto == Proto::Tcp && f.outcome == Outcome::Midstream)
            && !self.cfg.excluded_ports.contains(&f.server.port)
            && ctx.home.is_internal(f.client.ip)
            && ctx.home.is_external(f.server.ip)
    }

    fn on_attempt(&mut self, f: &FlowRecord, ctx: &mut DetectContext<'_>) {
        let key = (f.client.ip, f.server.port);
        let now = f.start;
        let window = self.window;
        let cap = self.cfg.max_targets_per_key;
        let s = self.keys.entry(key, || PortTargets {
            targets: HashMap::default(),
            overflow: 0,
            first: now,
            attempts: 0,
            unanswered_or_refused: 0,
            proto: f.proto,
            vlan: f.vlan,
            client_port: f.client.port,
            flow_id: f.flow_id,
        });
        s.attempts += 1;
        s.proto = f.proto;
        s.vlan = f.vlan;
        s.client_port = f.client.port;
        s.flow_id = f.flow_id;
        if let Some(last) = s.targets.get_mut(&f.server.ip) {
            // A target seen again adds nothing to the count: no evaluation needed.
            *last = (*last).max(now);
            return;
        }
        // Only a new target can raise the count; only then is it worth expiring.
        if s.targets.len() + 1 >= self.cfg.min_targets || s.targets.len() >= cap {
            s.targets.retain(|_, last| now.since(*last) < window);
            if s.targets.is_empty() {
                s.first = now;
                s.overflow = 0;
            }
        }
        if s.targets.len() < cap {
            s.targets.insert(f.server.ip, now);
        } else {
            s.overflow += 1;
            self.targets_dropped += 1;
        }
        if s.targets.len() >= self.cfg.min_targets {
            self.evaluate(key, now, ctx);
        }
    }

    fn evaluate(&mut self, key: Key, now: Timestamp, ctx: &mut DetectContext<'_>) {
        let Some(s) = self.keys.get(&key) else {
            return;
        };
        let unique = s.targets.len();
        let severity = if unique >= self.cfg.high_targets {
            Severity::High
        } else {
            Severity::Medium
        };
        if !self.dedup.should_raise(key, now, severity) {
            return;
        }
        let (client, port) = key;
        let mut samples: Vec<(Timestamp, IpAddr)> =
            s.targets.iter().map(|(ip, t)| (*t, *ip)).collect();
        samples.sort();
        let sample_targets: Vec<String> = samples
            .iter()
            .rev()
            .take(MAX_SAMPLES)
            .map(|(_, ip)| ip.to_string())
            .collect();
        let saturated = unique >= self.cfg.max_targets_per_key;
        let more = if saturated { "at least " } else { "" };
        let signature = format!(
            "Scan: {client} reached {more}{unique} external addresses on port {port}/{} within {} s",
            s.proto.short_name(),
            self.cfg.window_s,
        );
        let dest_ip = samples.last().map(|(_, ip)| *ip).unwrap_or(client);
        let mut ev = Map::new();
        ev.insert("port".into(), json!(port));
        ev.insert("unique_targets".into(), json!(unique));
        ev.insert("targets_saturated".into(), json!(saturated));
        ev.insert("window_s".into(), json!(self.cfg.window_s));
        ev.insert("attempts".into(), json!(s.attempts));
        ev.insert(
            "ended_unanswered_or_refused".into(),
            json!(s.unanswered_or_refused),
        );
        ev.insert("sample_targets".into(), json!(sample_targets));
        ev.insert("first_seen".into(), json!(s.first.eve().to_string()));
        ctx.alerts.push(Alert {
            ts: now,
            detector: "scan",
            signature_id: SID_SCAN,
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
                ip: client,
                port: s.client_port,
            },
            dest: Endpoint { ip: dest_ip, port },
            proto: s.proto,
            vlan: s.vlan,
            flow_id: Some(s.flow_id),
            evidence: ev,
        });
    }
}

impl Detector for ScanDetector {
    fn name(&self) -> &'static str {
        "scan"
    }

    fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>) {
        match record {
            Record::ConnStart(f) if self.applies(f, ctx) => self.on_attempt(f, ctx),
            Record::FlowEnd(f) if f.outcome != Outcome::Accepted && self.applies(f, ctx) => {
                if let Some(s) = self.keys.get_mut(&(f.client.ip, f.server.port)) {
                    s.unanswered_or_refused += 1;
                }
            }
            _ => {}
        }
    }

    fn counters(&self, out: &mut dyn FnMut(&'static str, u64)) {
        out("keys_max", self.keys.capacity() as u64);
        out("targets_dropped", self.targets_dropped);
        out("keys_tracked", self.keys.len() as u64);
        out("keys_evicted", self.keys.evicted());
        out("alerts_suppressed", self.dedup.suppressed());
        out("alert_keys_evicted", self.dedup.evicted());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::beacon::tests::{flow, HOST};

    fn run(det: &mut ScanDetector, records: &[Record<'_>]) -> Vec<Alert> {
        crate::detect::run_records(det, records)
    }

    fn detector() -> ScanDetector {
        ScanDetector::new(ScanConfig::default(), &AlertingConfig::default())
    }

    /// `n` attempts from HOST to distinct addresses on `port`, `gap` seconds apart.
    fn sweep(n: u32, port: u16, proto: Proto, gap: f64) -> Vec<FlowRecord> {
        (0..n)
            .map(|i| {
                let dst = format!("203.0.{}.{}", 113 + i / 250, 1 + i % 250);
                flow(HOST, &dst, port, proto, i as f64 * gap, i as u64)
            })
            .collect()
    }

    fn starts(flows: &[FlowRecord]) -> Vec<Record<'_>> {
        flows.iter().map(Record::ConnStart).collect()
    }

    #[test]
    fn seed_test_thirty_addresses_on_port_22_is_a_scan() {
        let flows = sweep(30, 22, Proto::Tcp, 0.5);
        let alerts = run(&mut detector(), &starts(&flows));
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.detector, "scan");
        assert_eq!(a.signature_id, SID_SCAN);
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.src.ip, HOST.parse::<IpAddr>().unwrap());
        assert_eq!(a.dest.port, 22);
        assert_eq!(a.evidence["unique_targets"], json!(30));
        assert_eq!(a.evidence["port"], json!(22));
        assert_eq!(a.evidence["window_s"], json!(600));
        assert_eq!(a.evidence["sample_targets"].as_array().unwrap().len(), 10);
    }

    #[test]
    fn twenty_nine_addresses_stay_silent() {
        let flows = sweep(29, 22, Proto::Tcp, 0.5);
        assert!(run(&mut detector(), &starts(&flows)).is_empty());
    }

    #[test]
    fn udp_scan_of_a_hundred_addresses_rises_to_high_once() {
        let flows = sweep(150, 5060, Proto::Udp, 0.1);
        let mut det = detector();
        let alerts = run(&mut det, &starts(&flows));
        let sev: Vec<Severity> = alerts.iter().map(|a| a.severity).collect();
        assert_eq!(sev, vec![Severity::Medium, Severity::High]);
        assert_eq!(alerts[1].evidence["unique_targets"], json!(100));
        let mut c = Vec::new();
        det.counters(&mut |k, v| c.push((k, v)));
        assert!(c.contains(&("keys_tracked", 1)), "{c:?}");
        assert!(c.contains(&("alerts_suppressed", 119)), "{c:?}");
    }

    #[test]
    fn targets_spread_over_more_than_the_window_stay_silent() {
        // 40 addresses, one every 30 s: never more than 20 within 10 minutes.
        let flows = sweep(40, 22, Proto::Tcp, 30.0);
        assert!(run(&mut detector(), &starts(&flows)).is_empty());
    }

    #[test]
    fn repeated_connections_to_few_hosts_and_web_ports_stay_silent() {
        let mut flows = Vec::new();
        for i in 0..200u64 {
            let dst = format!("198.51.100.{}", 1 + i % 5);
            flows.push(flow(HOST, &dst, 8443, Proto::Tcp, i as f64, i));
        }
        // A browser reaching many sites on 443 is not a scan (excluded port).
        flows.extend(sweep(80, 443, Proto::Tcp, 1.0));
        assert!(run(&mut detector(), &starts(&flows)).is_empty());
    }

    #[test]
    fn internal_targets_do_not_count() {
        let flows: Vec<FlowRecord> = (0..50u64)
            .map(|i| flow(HOST, &format!("10.0.1.{}", i + 1), 22, Proto::Tcp, 0.0, i))
            .collect();
        assert!(run(&mut detector(), &starts(&flows)).is_empty());
    }

    #[test]
    fn target_set_is_bounded_per_key() {
        let mut det = detector();
        let flows = sweep(1000, 23, Proto::Tcp, 0.01);
        let alerts = run(&mut det, &starts(&flows));
        assert_eq!(alerts.len(), 2);
        let s = det.keys.get(&(HOST.parse().unwrap(), 23)).unwrap();
        assert_eq!(s.targets.len(), 256);
        assert_eq!(s.overflow, 744);
    }

    #[test]
    fn bad_config_names_the_key() {
        let cfg = ScanConfig {
            high_targets: 10,
            ..ScanConfig::default()
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("detect.scan.high_targets"), "{e}");
        assert!(toml::from_str::<ScanConfig>("min_target = 3").is_err());
        let c: ScanConfig = toml::from_str("excluded_ports = []").unwrap();
        assert!(c.excluded_ports.is_empty());
    }
}
