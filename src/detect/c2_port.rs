//! `c2_port`: an internal host calling an external address on an IRC or common C2 port.
//!
//! Key: (internal client, external server, port). The first attempt alerts at once
//! (Medium): the seeds' T1583.005 test 3 and T1584.005 test 2 are one connection to
//! 6667, answered or not. Repetition raises it to High the way Sumo's scoring does:
//! ≥20 connections over ≥3 distinct hourly buckets with few bytes per connection (a bot
//! idling on its channel), or Sumo's high-volume case (>200 connections over ≥6 hours).

use super::alerting::{
    invalid, positive, round3, AlertDedup, AlertingConfig, LruMap, CATEGORY_TROJAN, MITRE_TACTICS,
    MITRE_TECHNIQUES_C2, SID_C2_PORT,
};
use super::beacon::endpoint_text;
use super::{Alert, DetectContext, Detector, Severity};
use crate::config::ConfigError;
use crate::decode::{Proto, VlanIds};
use crate::flow::{Endpoint, FlowRecord, Outcome, Record};
use crate::time::Timestamp;
use serde::Deserialize;
use serde_json::{json, Map};
use std::net::IpAddr;

/// `[detect.c2_port]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct C2PortConfig {
    pub enabled: bool,
    /// IRC (6660–6669, 6697 TLS), SOCKS (1080), Metasploit's default (4444): Sumo's list.
    pub ports: Vec<u16>,
    pub repeat_min_connections: u64,
    pub repeat_min_hourly_buckets: usize,
    /// "Low bytes": average payload both ways per ended connection below this.
    pub low_bytes_per_connection: u64,
    /// Sumo's high-volume case.
    pub volume_min_connections: u64,
    pub volume_min_hourly_buckets: usize,
    /// Keys tracked per worker; the least recently active is forgotten first.
    pub max_keys: usize,
}

impl Default for C2PortConfig {
    fn default() -> Self {
        let mut ports: Vec<u16> = (6660..=6669).collect();
        ports.extend([6697, 1080, 4444]);
        C2PortConfig {
            enabled: true,
            ports,
            repeat_min_connections: 20,
            repeat_min_hourly_buckets: 3,
            low_bytes_per_connection: 500,
            volume_min_connections: 200,
            volume_min_hourly_buckets: 6,
            max_keys: 65_536,
        }
    }
}

impl C2PortConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.ports.is_empty() && self.enabled {
            return Err(invalid(
                "detect.c2_port.ports",
                "lists no port (set enabled = false instead)",
            ));
        }
        positive(
            "detect.c2_port.repeat_min_connections",
            self.repeat_min_connections,
        )?;
        if self.repeat_min_hourly_buckets == 0 || self.repeat_min_hourly_buckets > MAX_BUCKETS {
            return Err(invalid(
                "detect.c2_port.repeat_min_hourly_buckets",
                "must be between 1 and 24",
            ));
        }
        if self.volume_min_hourly_buckets == 0 || self.volume_min_hourly_buckets > MAX_BUCKETS {
            return Err(invalid(
                "detect.c2_port.volume_min_hourly_buckets",
                "must be between 1 and 24",
            ));
        }
        positive("detect.c2_port.max_keys", self.max_keys)?;
        Ok(())
    }
}

/// Distinct hourly buckets remembered per key: enough for every threshold (a day).
const MAX_BUCKETS: usize = 24;

type Key = (IpAddr, IpAddr, u16);

#[derive(Debug)]
struct PortState {
    first: Timestamp,
    last: Timestamp,
    connections: u64,
    ended: u64,
    refused: u64,
    bytes: u64,
    /// Distinct hour numbers seen, at most `MAX_BUCKETS`, oldest dropped first.
    hours: Vec<u64>,
    client_port: u16,
    proto: Proto,
    vlan: VlanIds,
    flow_id: u64,
}

pub struct C2PortDetector {
    cfg: C2PortConfig,
    keys: LruMap<Key, PortState>,
    dedup: AlertDedup<Key>,
}

impl C2PortDetector {
    pub fn new(cfg: C2PortConfig, alerting: &AlertingConfig) -> Self {
        C2PortDetector {
            keys: LruMap::new(cfg.max_keys),
            dedup: AlertDedup::new(alerting),
            cfg,
        }
    }

    fn applies(&self, f: &FlowRecord, ctx: &DetectContext<'_>) -> bool {
        matches!(f.proto, Proto::Tcp | Proto::Udp)
            && self.cfg.ports.contains(&f.server.port)
            && ctx.home.is_internal(f.client.ip)
            && ctx.home.is_external(f.server.ip)
    }

    fn evaluate(&mut self, key: Key, now: Timestamp, ctx: &mut DetectContext<'_>) {
        let cfg = &self.cfg;
        let Some(s) = self.keys.get_mut(&key) else {
            return;
        };
        // Unknown sizes (no connection ended yet) count as low: refused and unanswered
        // attempts carry no payload either.
        let avg_bytes = if s.ended == 0 {
            0.0
        } else {
            s.bytes as f64 / s.ended as f64
        };
        let buckets = s.hours.len();
        let low_byte_repeat = s.connections >= cfg.repeat_min_connections
            && buckets >= cfg.repeat_min_hourly_buckets
            && avg_bytes < cfg.low_bytes_per_connection as f64;
        let volume =
            s.connections > cfg.volume_min_connections && buckets >= cfg.volume_min_hourly_buckets;
        let (severity, score) = if low_byte_repeat || volume {
            (Severity::High, 0.9)
        } else {
            (Severity::Medium, 0.6)
        };
        if !self.dedup.should_raise(key, now, severity) {
            return;
        }
        let (client, server, port) = key;
        let repeated = if severity == Severity::High {
            format!(", {} connections over {buckets} hours", s.connections)
        } else {
            String::new()
        };
        let signature = format!(
            "Connection to IRC/C2 port {client} -> {}/{}{repeated}",
            endpoint_text(server, port),
            s.proto.short_name(),
        );
        let mut ev = Map::new();
        ev.insert("connections".into(), json!(s.connections));
        ev.insert("refused".into(), json!(s.refused));
        ev.insert("hourly_buckets".into(), json!(buckets));
        ev.insert("avg_bytes_per_connection".into(), json!(round3(avg_bytes)));
        ev.insert("first_seen".into(), json!(s.first.eve().to_string()));
        ev.insert("last_seen".into(), json!(s.last.eve().to_string()));
        ev.insert(
            "reason".into(),
            json!(if low_byte_repeat {
                "repeated_low_bytes"
            } else if volume {
                "high_volume"
            } else {
                "c2_port"
            }),
        );
        ctx.alerts.push(Alert {
            ts: now,
            detector: "c2_port",
            signature_id: SID_C2_PORT,
            rev: 1,
            signature,
            category: CATEGORY_TROJAN,
            severity,
            score,
            mitre_technique_ids: MITRE_TECHNIQUES_C2,
            mitre_tactic_ids: MITRE_TACTICS,
            src: Endpoint {
                ip: client,
                port: s.client_port,
            },
            dest: Endpoint { ip: server, port },
            proto: s.proto,
            vlan: s.vlan,
            flow_id: Some(s.flow_id),
            evidence: ev,
        });
    }
}

impl Detector for C2PortDetector {
    fn name(&self) -> &'static str {
        "c2_port"
    }

    fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>) {
        match record {
            Record::ConnStart(f) if self.applies(f, ctx) => {
                if f.outcome == Outcome::Midstream && f.proto == Proto::Tcp {
                    return;
                }
                let key = (f.client.ip, f.server.ip, f.server.port);
                let s = self.keys.entry(key, || PortState {
                    first: f.start,
                    last: f.start,
                    connections: 0,
                    ended: 0,
                    refused: 0,
                    bytes: 0,
                    hours: Vec::new(),
                    client_port: f.client.port,
                    proto: f.proto,
                    vlan: f.vlan,
                    flow_id: f.flow_id,
                });
                s.connections += 1;
                s.last = s.last.max(f.start);
                s.client_port = f.client.port;
                s.proto = f.proto;
                s.vlan = f.vlan;
                s.flow_id = f.flow_id;
                let hour = f.start.secs() / 3600;
                if !s.hours.contains(&hour) {
                    if s.hours.len() >= MAX_BUCKETS {
                        s.hours.remove(0);
                    }
                    s.hours.push(hour);
                }
                self.evaluate(key, f.start, ctx);
            }
            Record::FlowEnd(f) if self.applies(f, ctx) => {
                let key = (f.client.ip, f.server.ip, f.server.port);
                if let Some(s) = self.keys.get_mut(&key) {
                    s.ended += 1;
                    s.bytes = s
                        .bytes
                        .saturating_add(f.payload_toserver)
                        .saturating_add(f.payload_toclient);
                    if f.outcome == Outcome::Refused {
                        s.refused += 1;
                    }
                }
            }
            _ => {}
        }
    }

    fn counters(&self, out: &mut dyn FnMut(&'static str, u64)) {
        out("keys_max", self.keys.capacity() as u64);
        out("keys_tracked", self.keys.len() as u64);
        out("keys_evicted", self.keys.evicted());
        out("alerts_suppressed", self.dedup.suppressed());
        out("alert_keys_evicted", self.dedup.evicted());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::beacon::tests::{flow, C2, HOST};

    fn run(det: &mut C2PortDetector, records: &[Record<'_>]) -> Vec<Alert> {
        crate::detect::run_records(det, records)
    }

    fn detector() -> C2PortDetector {
        C2PortDetector::new(C2PortConfig::default(), &AlertingConfig::default())
    }

    #[test]
    fn seed_test_one_connection_to_6667_alerts() {
        let f = flow(HOST, C2, 6667, Proto::Tcp, 0.0, 1);
        let alerts = run(&mut detector(), &[Record::ConnStart(&f)]);
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.detector, "c2_port");
        assert_eq!(a.signature_id, SID_C2_PORT);
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.dest.port, 6667);
        assert!(
            a.signature.contains("198.51.100.23:6667/tcp"),
            "{}",
            a.signature
        );
    }

    #[test]
    fn internal_destinations_and_other_ports_do_not_alert() {
        let a = flow(HOST, "10.9.9.9", 6667, Proto::Tcp, 0.0, 1);
        let b = flow(HOST, C2, 6670, Proto::Tcp, 0.0, 2);
        assert!(run(
            &mut detector(),
            &[Record::ConnStart(&a), Record::ConnStart(&b)]
        )
        .is_empty());
    }

    #[test]
    fn low_byte_repetition_over_three_hours_raises_to_high_once() {
        let flows: Vec<FlowRecord> = (0..30u64)
            .map(|i| {
                let mut f = flow(HOST, C2, 4444, Proto::Tcp, i as f64 * 600.0, i);
                f.payload_toserver = 40;
                f.payload_toclient = 60;
                f.outcome = Outcome::Accepted;
                f
            })
            .collect();
        let mut records = Vec::new();
        for f in &flows {
            records.push(Record::ConnStart(f));
            records.push(Record::FlowEnd(f));
        }
        let mut det = detector();
        let alerts = run(&mut det, &records);
        let sev: Vec<Severity> = alerts.iter().map(|a| a.severity).collect();
        assert_eq!(sev, vec![Severity::Medium, Severity::High]);
        assert_eq!(alerts[1].evidence["connections"], json!(20));
        let mut c = Vec::new();
        det.counters(&mut |k, v| c.push((k, v)));
        assert!(c.contains(&("alerts_suppressed", 28)), "{c:?}");
    }

    #[test]
    fn heavy_transfers_repeated_stay_medium() {
        let flows: Vec<FlowRecord> = (0..30u64)
            .map(|i| {
                let mut f = flow(HOST, C2, 1080, Proto::Tcp, i as f64 * 600.0, i);
                f.payload_toclient = 100_000;
                f
            })
            .collect();
        let mut records = Vec::new();
        for f in &flows {
            records.push(Record::ConnStart(f));
            records.push(Record::FlowEnd(f));
        }
        let alerts = run(&mut detector(), &records);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Medium);
    }

    #[test]
    fn ipv6_destination_is_its_own_key() {
        let a = flow("fd00::7", "2001:db8::66", 6697, Proto::Tcp, 0.0, 1);
        let b = flow("fd00::7", "2001:db8::67", 6697, Proto::Tcp, 1.0, 2);
        let alerts = run(
            &mut detector(),
            &[Record::ConnStart(&a), Record::ConnStart(&b)],
        );
        assert_eq!(alerts.len(), 2);
        assert!(alerts[0].signature.contains("[2001:db8::66]:6697"));
    }

    #[test]
    fn bad_config_names_the_key() {
        let cfg = C2PortConfig {
            repeat_min_hourly_buckets: 0,
            ..C2PortConfig::default()
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("detect.c2_port.repeat_min_hourly_buckets"));
        assert!(toml::from_str::<C2PortConfig>("portz = [1]").is_err());
    }
}
