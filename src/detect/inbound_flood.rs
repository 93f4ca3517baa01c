//! `inbound_flood`: many external sources hitting one internal address.
//!
//! Key: (internal destination, destination port) for the seeds' ports 80, 443, 8080,
//! 8443 ("HTTP Flood / Web Attack"), 22, 3389 ("Credential Stuffing / Brute Force"),
//! 25, 587 ("Spam Campaign"); every other port of one destination address is one more
//! key, "Volumetric Flood" (game-server ports, UDP amplification spraying random
//! destination ports, ICMP). The seeds' rule: within a 5-minute bin, more than 50
//! unique sources and more than 500 connections. Every connection start from an
//! external client counts, answered or not, UDP included, so spoofed SYN and UDP floods
//! count; TCP picked up mid-stream does not (a sensor starting on a busy server would
//! otherwise see a flood of old connections).
//!
//! A bin starts at the key's first connection after the previous bin ended rather than
//! on a wall-clock multiple of 5 minutes, so a burst is not cut in two by alignment.
//!
//! Unique sources are counted exactly up to [`EXACT_SOURCES`] and beyond that by a
//! HyperLogLog of 2^12 one-byte registers (4 KiB, standard error 1.6 %): a spoofed
//! flood from millions of addresses fires and never grows the state. Medium, High when
//! sources or connections reach `high_factor` times their threshold.

use super::alerting::{
    invalid, positive, AlertDedup, AlertingConfig, LruMap, MITRE_TACTICS,
    MITRE_TACTICS_BRUTE_FORCE, MITRE_TACTICS_FLOOD, MITRE_TECHNIQUES_BRUTE_FORCE,
    MITRE_TECHNIQUES_FLOOD, MITRE_TECHNIQUES_SPAM, SID_INBOUND_FLOOD_BRUTE_FORCE,
    SID_INBOUND_FLOOD_HTTP, SID_INBOUND_FLOOD_SPAM, SID_INBOUND_FLOOD_VOLUMETRIC,
};
use super::beacon::endpoint_text;
use super::{Alert, DetectContext, Detector, Severity};
use crate::config::ConfigError;
use crate::decode::{Proto, VlanIds};
use crate::flow::{Endpoint, FlowRecord, Outcome, Record};
use crate::time::{Micros, Timestamp, MICROS_PER_SEC};
use serde::Deserialize;
use serde_json::{json, Map};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// `[detect.inbound_flood]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundFloodConfig {
    pub enabled: bool,
    /// Bin length, seconds of packet time (seeds: 5 minutes).
    pub bin_s: u64,
    /// Fires on more than this many unique sources in a bin (seeds: > 50)...
    pub min_sources: u64,
    /// ...and more than this many connections (seeds: > 500).
    pub min_connections: u64,
    pub http_ports: Vec<u16>,
    pub brute_force_ports: Vec<u16>,
    pub spam_ports: Vec<u16>,
    /// Count every other port of a destination address as one "Volumetric Flood" key.
    pub volumetric: bool,
    /// High when sources or connections reach this multiple of their threshold.
    pub high_factor: u64,
    /// Keys tracked per worker (each about 5 KiB); the least recently hit goes first.
    pub max_keys: usize,
}

impl Default for InboundFloodConfig {
    fn default() -> Self {
        InboundFloodConfig {
            enabled: true,
            bin_s: 300,
            min_sources: 50,
            min_connections: 500,
            http_ports: vec![80, 443, 8080, 8443],
            brute_force_ports: vec![22, 3389],
            spam_ports: vec![25, 587],
            volumetric: true,
            high_factor: 10,
            max_keys: 4096,
        }
    }
}

impl InboundFloodConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("detect.inbound_flood.bin_s", self.bin_s)?;
        positive("detect.inbound_flood.min_sources", self.min_sources)?;
        if self.min_connections < self.min_sources {
            return Err(invalid(
                "detect.inbound_flood.min_connections",
                "must be at least min_sources",
            ));
        }
        if self.high_factor < 2 {
            return Err(invalid(
                "detect.inbound_flood.high_factor",
                "must be at least 2",
            ));
        }
        positive("detect.inbound_flood.max_keys", self.max_keys)?;
        Ok(())
    }
}

/// Sources counted exactly (and kept as samples) before the HyperLogLog takes over.
pub const EXACT_SOURCES: usize = 64;
const MAX_SAMPLES: usize = 10;
const HLL_BITS: u32 = 12;
const HLL_REGISTERS: usize = 1 << HLL_BITS;

/// HyperLogLog distinct counter with 2^12 one-byte registers (Flajolet et al. 2007).
///
/// Keeps the sum of 2^-register and the count of zero registers up to date on each
/// change, so an estimate costs O(1) however often it is asked for.
#[derive(Debug)]
pub struct HyperLogLog {
    registers: Box<[u8; HLL_REGISTERS]>,
    inv_sum: f64,
    zeros: u32,
}

impl Default for HyperLogLog {
    fn default() -> Self {
        HyperLogLog {
            registers: Box::new([0; HLL_REGISTERS]),
            inv_sum: HLL_REGISTERS as f64,
            zeros: HLL_REGISTERS as u32,
        }
    }
}

impl HyperLogLog {
    /// Adds one address. The hash is SipHash with fixed keys (`DefaultHasher::new`), so
    /// estimates are the same on every run and every worker.
    pub fn insert(&mut self, ip: &IpAddr) {
        let mut h = DefaultHasher::new();
        ip.hash(&mut h);
        let x = h.finish();
        let index = (x >> (64 - HLL_BITS)) as usize;
        let rest = x << HLL_BITS;
        let rank = (rest.leading_zeros() + 1).min(64 - HLL_BITS + 1) as u8;
        // `index` has HLL_BITS bits: always a register.
        let Some(reg) = self.registers.get_mut(index) else {
            return;
        };
        if rank > *reg {
            if *reg == 0 {
                self.zeros -= 1;
            }
            self.inv_sum += 2f64.powi(-i32::from(rank)) - 2f64.powi(-i32::from(*reg));
            *reg = rank;
        }
    }

    /// The distinct count, with linear counting for small cardinalities.
    pub fn estimate(&self) -> f64 {
        let m = HLL_REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / self.inv_sum;
        if raw <= 2.5 * m && self.zeros > 0 {
            m * (m / f64::from(self.zeros)).ln()
        } else {
            raw
        }
    }

    /// Bytes of register memory: fixed, whatever was inserted.
    pub const fn memory_bytes() -> usize {
        HLL_REGISTERS
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Category {
    Http,
    BruteForce,
    Spam,
    Volumetric,
}

impl Category {
    fn name(self) -> &'static str {
        match self {
            Category::Http => "HTTP Flood / Web Attack",
            Category::BruteForce => "Credential Stuffing / Brute Force",
            Category::Spam => "Spam Campaign",
            Category::Volumetric => "Volumetric Flood",
        }
    }

    fn sid(self) -> u32 {
        match self {
            Category::Http => SID_INBOUND_FLOOD_HTTP,
            Category::BruteForce => SID_INBOUND_FLOOD_BRUTE_FORCE,
            Category::Spam => SID_INBOUND_FLOOD_SPAM,
            Category::Volumetric => SID_INBOUND_FLOOD_VOLUMETRIC,
        }
    }

    fn mitre(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Category::Http | Category::Volumetric => (MITRE_TECHNIQUES_FLOOD, MITRE_TACTICS_FLOOD),
            Category::BruteForce => (MITRE_TECHNIQUES_BRUTE_FORCE, MITRE_TACTICS_BRUTE_FORCE),
            Category::Spam => (MITRE_TECHNIQUES_SPAM, MITRE_TACTICS),
        }
    }
}

/// (internal destination, port); `None` is the destination's volumetric key.
type Key = (IpAddr, Option<u16>);

#[derive(Debug)]
struct FloodBin {
    start: Timestamp,
    connections: u64,
    udp: u64,
    /// First distinct sources of the bin: exact count while not full, and the samples.
    exact: Vec<IpAddr>,
    /// Made once `exact` is full, from its sources: until then a key costs no 4 KiB.
    /// Registers depend only on the set of addresses inserted, so the estimate is the
    /// one a counter fed from the first connection would give.
    hll: Option<HyperLogLog>,
    second: u64,
    in_second: u64,
    peak_per_second: u64,
    /// Destination ports seen, for the volumetric key's evidence.
    sample_ports: Vec<u16>,
    last_src: Endpoint,
    last_port: u16,
    proto: Proto,
    vlan: VlanIds,
    flow_id: u64,
}

impl FloodBin {
    fn reset(&mut self, start: Timestamp) {
        self.start = start;
        self.connections = 0;
        self.udp = 0;
        self.exact.clear();
        self.hll = None;
        self.second = start.secs();
        self.in_second = 0;
        self.peak_per_second = 0;
        self.sample_ports.clear();
    }

    fn unique_sources(&self) -> (u64, bool) {
        if self.exact.len() < EXACT_SOURCES {
            (self.exact.len() as u64, true)
        } else {
            let e = self
                .hll
                .as_ref()
                .map_or(self.exact.len() as f64, HyperLogLog::estimate)
                .round() as u64;
            (e.max(EXACT_SOURCES as u64), false)
        }
    }
}

pub struct InboundFloodDetector {
    cfg: InboundFloodConfig,
    bin: Micros,
    keys: LruMap<Key, FloodBin>,
    dedup: AlertDedup<Key>,
}

impl InboundFloodDetector {
    pub fn new(cfg: InboundFloodConfig, alerting: &AlertingConfig) -> Self {
        InboundFloodDetector {
            bin: cfg.bin_s.saturating_mul(MICROS_PER_SEC),
            keys: LruMap::new(cfg.max_keys),
            dedup: AlertDedup::new(alerting),
            cfg,
        }
    }

    fn category(&self, f: &FlowRecord) -> Option<Category> {
        let port = f.server.port;
        if matches!(f.proto, Proto::Tcp | Proto::Udp) {
            if self.cfg.http_ports.contains(&port) {
                return Some(Category::Http);
            }
            if self.cfg.brute_force_ports.contains(&port) {
                return Some(Category::BruteForce);
            }
            if self.cfg.spam_ports.contains(&port) {
                return Some(Category::Spam);
            }
        }
        self.cfg.volumetric.then_some(Category::Volumetric)
    }

    fn on_connection(&mut self, f: &FlowRecord, ctx: &mut DetectContext<'_>) {
        let Some(category) = self.category(f) else {
            return;
        };
        let key = (
            f.server.ip,
            (category != Category::Volumetric).then_some(f.server.port),
        );
        let now = f.start;
        let bin = self.bin;
        let s = self.keys.entry(key, || FloodBin {
            start: now,
            connections: 0,
            udp: 0,
            exact: Vec::new(),
            hll: None,
            second: now.secs(),
            in_second: 0,
            peak_per_second: 0,
            sample_ports: Vec::new(),
            last_src: f.client,
            last_port: f.server.port,
            proto: f.proto,
            vlan: f.vlan,
            flow_id: f.flow_id,
        });
        if now.since(s.start) >= bin {
            s.reset(now);
        }
        s.connections += 1;
        if f.proto == Proto::Udp {
            s.udp += 1;
        }
        if now.secs() == s.second {
            s.in_second += 1;
        } else if now.secs() > s.second {
            s.second = now.secs();
            s.in_second = 1;
        }
        s.peak_per_second = s.peak_per_second.max(s.in_second);
        if s.exact.len() < EXACT_SOURCES && !s.exact.contains(&f.client.ip) {
            s.exact.push(f.client.ip);
        }
        if s.exact.len() >= EXACT_SOURCES {
            let exact = &s.exact;
            s.hll
                .get_or_insert_with(|| {
                    let mut h = HyperLogLog::default();
                    exact.iter().for_each(|ip| h.insert(ip));
                    h
                })
                .insert(&f.client.ip);
        }
        if s.sample_ports.len() < MAX_SAMPLES && !s.sample_ports.contains(&f.server.port) {
            s.sample_ports.push(f.server.port);
        }
        s.last_src = f.client;
        s.last_port = f.server.port;
        s.proto = f.proto;
        s.vlan = f.vlan;
        s.flow_id = f.flow_id;
        if s.connections <= self.cfg.min_connections {
            return;
        }
        let (sources, exact) = s.unique_sources();
        if sources <= self.cfg.min_sources {
            return;
        }
        let high = sources >= self.cfg.min_sources.saturating_mul(self.cfg.high_factor)
            || s.connections
                >= self
                    .cfg
                    .min_connections
                    .saturating_mul(self.cfg.high_factor);
        let severity = if high {
            Severity::High
        } else {
            Severity::Medium
        };
        // Checked before raising so a flood of millions of connections builds one or two
        // alerts, not one suppressed alert per connection. A flood lasting longer than
        // `realert_after_s` alerts again then, which is a useful reminder.
        if !self.dedup.would_raise(&key, now, severity) {
            return;
        }
        self.dedup.should_raise(key, now, severity);
        let (dst, port) = key;
        let where_ = match port {
            Some(p) => endpoint_text(dst, p),
            None => format!("{dst} (any port)"),
        };
        let about = if exact { "" } else { "~" };
        let signature = format!(
            "{}: {about}{sources} external sources made {} connections to {where_} within {} s",
            category.name(),
            s.connections,
            self.cfg.bin_s,
        );
        let samples: Vec<String> = s
            .exact
            .iter()
            .take(MAX_SAMPLES)
            .map(|ip| ip.to_string())
            .collect();
        let mut ev = Map::new();
        ev.insert("category".into(), json!(category.name()));
        ev.insert("unique_sources".into(), json!(sources));
        ev.insert("unique_sources_exact".into(), json!(exact));
        ev.insert("connections".into(), json!(s.connections));
        ev.insert("udp_connections".into(), json!(s.udp));
        ev.insert("peak_per_second".into(), json!(s.peak_per_second));
        ev.insert("sample_sources".into(), json!(samples));
        ev.insert("bin_start".into(), json!(s.start.eve().to_string()));
        ev.insert("bin_s".into(), json!(self.cfg.bin_s));
        if port.is_none() {
            ev.insert("sample_ports".into(), json!(s.sample_ports));
        }
        let (techniques, tactics) = category.mitre();
        ctx.alerts.push(Alert {
            ts: now,
            detector: "inbound_flood",
            signature_id: category.sid(),
            rev: 1,
            signature,
            category: category.name(),
            severity,
            score: if high { 0.9 } else { 0.7 },
            mitre_technique_ids: techniques,
            mitre_tactic_ids: tactics,
            src: s.last_src,
            dest: Endpoint {
                ip: dst,
                port: s.last_port,
            },
            proto: s.proto,
            vlan: s.vlan,
            flow_id: Some(s.flow_id),
            evidence: ev,
        });
    }

    /// Upper bound of the per-key state in bytes: what `max_keys` bounds.
    fn bytes_per_key() -> usize {
        std::mem::size_of::<Key>()
            + std::mem::size_of::<FloodBin>()
            + HyperLogLog::memory_bytes()
            + EXACT_SOURCES * std::mem::size_of::<IpAddr>()
            + MAX_SAMPLES * std::mem::size_of::<u16>()
    }
}

impl Detector for InboundFloodDetector {
    fn name(&self) -> &'static str {
        "inbound_flood"
    }

    fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>) {
        if let Record::ConnStart(f) = record {
            if !(f.proto == Proto::Tcp && f.outcome == Outcome::Midstream)
                && ctx.home.is_external(f.client.ip)
                && ctx.home.is_internal(f.server.ip)
            {
                self.on_connection(f, ctx);
            }
        }
    }

    fn counters(&self, out: &mut dyn FnMut(&'static str, u64)) {
        out("keys_tracked", self.keys.len() as u64);
        out("keys_evicted", self.keys.evicted());
        out("keys_max", self.cfg.max_keys as u64);
        out(
            "state_bytes",
            (self.keys.len() * Self::bytes_per_key()) as u64,
        );
        out(
            "state_bytes_max",
            (self.cfg.max_keys * Self::bytes_per_key()) as u64,
        );
        out("alerts_suppressed", self.dedup.suppressed());
        out("alert_keys_evicted", self.dedup.evicted());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HomeNet;
    use crate::detect::beacon::tests::flow;

    const SERVER: &str = "10.0.0.80";

    fn detector() -> InboundFloodDetector {
        InboundFloodDetector::new(InboundFloodConfig::default(), &AlertingConfig::default())
    }

    fn run(det: &mut InboundFloodDetector, flows: &[FlowRecord]) -> Vec<Alert> {
        let records: Vec<Record<'_>> = flows.iter().map(Record::ConnStart).collect();
        crate::detect::run_records(det, &records)
    }

    fn source(i: u64) -> String {
        format!("198.51.{}.{}", 100 + i / 250, 1 + i % 250)
    }

    /// `n` connections from `sources` distinct addresses to SERVER:`port`, spread
    /// evenly over `span` seconds.
    fn flood(n: u64, sources: u64, port: u16, proto: Proto, span: f64) -> Vec<FlowRecord> {
        (0..n)
            .map(|i| {
                let at = span * i as f64 / n as f64;
                flow(&source(i % sources), SERVER, port, proto, at, i)
            })
            .collect()
    }

    #[test]
    fn seed_case_600_connections_from_60_sources_to_port_80_is_an_http_flood() {
        let alerts = run(&mut detector(), &flood(600, 60, 80, Proto::Tcp, 290.0));
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.detector, "inbound_flood");
        assert_eq!(a.signature_id, SID_INBOUND_FLOOD_HTTP);
        assert_eq!(a.category, "HTTP Flood / Web Attack");
        assert_eq!(a.evidence["category"], json!("HTTP Flood / Web Attack"));
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.dest.ip, SERVER.parse::<IpAddr>().unwrap());
        assert_eq!(a.dest.port, 80);
        assert_eq!(a.evidence["connections"], json!(501));
        assert_eq!(a.evidence["unique_sources"], json!(60));
        assert_eq!(a.evidence["sample_sources"].as_array().unwrap().len(), 10);
    }

    #[test]
    fn many_sources_on_ssh_is_brute_force_and_on_smtp_is_spam() {
        let alerts = run(&mut detector(), &flood(600, 60, 22, Proto::Tcp, 100.0));
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].category, "Credential Stuffing / Brute Force");
        assert_eq!(alerts[0].signature_id, SID_INBOUND_FLOOD_BRUTE_FORCE);
        let alerts = run(&mut detector(), &flood(600, 60, 587, Proto::Tcp, 100.0));
        assert_eq!(alerts[0].category, "Spam Campaign");
        assert_eq!(alerts[0].signature_id, SID_INBOUND_FLOOD_SPAM);
    }

    #[test]
    fn udp_flood_on_random_high_ports_is_volumetric_per_destination() {
        let flows: Vec<FlowRecord> = (0..2000u64)
            .map(|i| {
                let port = 10_000 + ((i * 7919) % 50_000) as u16;
                flow(
                    &source(i % 300),
                    SERVER,
                    port,
                    Proto::Udp,
                    i as f64 * 0.01,
                    i,
                )
            })
            .collect();
        let mut det = detector();
        let alerts = run(&mut det, &flows);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!(a.category, "Volumetric Flood");
        assert_eq!(a.signature_id, SID_INBOUND_FLOOD_VOLUMETRIC);
        assert_eq!(a.proto, Proto::Udp);
        assert!(a.evidence["sample_ports"].as_array().unwrap().len() > 1);
        assert_eq!(det.keys.len(), 1);
    }

    #[test]
    fn busy_server_under_thresholds_stays_silent() {
        // Many connections from 40 regular clients.
        assert!(run(&mut detector(), &flood(5000, 40, 443, Proto::Tcp, 290.0)).is_empty());
        // Many clients, few connections each: 400 sources, 450 connections.
        assert!(run(&mut detector(), &flood(450, 400, 443, Proto::Tcp, 290.0)).is_empty());
        // 600 connections from 60 sources, but spread over an hour.
        assert!(run(&mut detector(), &flood(600, 60, 80, Proto::Tcp, 3600.0)).is_empty());
    }

    #[test]
    fn outbound_and_midstream_connections_do_not_count() {
        let mut flows = flood(600, 60, 80, Proto::Tcp, 100.0);
        for f in &mut flows {
            f.outcome = Outcome::Midstream;
        }
        assert!(run(&mut detector(), &flows).is_empty());
        let out: Vec<FlowRecord> = (0..600u64)
            .map(|i| flow(SERVER, &source(i % 60), 80, Proto::Tcp, i as f64 * 0.1, i))
            .collect();
        assert!(run(&mut detector(), &out).is_empty());
    }

    #[test]
    fn hyperloglog_is_exact_enough_at_small_counts() {
        let mut h = HyperLogLog::default();
        for i in 0..60 {
            h.insert(&source(i).parse().unwrap());
        }
        assert!((h.estimate() - 60.0).abs() <= 1.0, "{}", h.estimate());
        assert_eq!(HyperLogLog::default().estimate(), 0.0);
    }

    /// The counter made when the exact list fills estimates what one fed every source
    /// from the first connection would.
    #[test]
    fn a_counter_made_at_the_exact_limit_matches_one_fed_from_the_start() {
        for distinct in [
            EXACT_SOURCES as u64 - 1,
            EXACT_SOURCES as u64,
            65,
            300,
            5_000,
        ] {
            let mut det = detector();
            let mut eager = HyperLogLog::default();
            let home = HomeNet::default_nets();
            let mut alerts = Vec::new();
            let mut ctx = DetectContext {
                home: &home,
                alerts: &mut alerts,
            };
            for i in 0..3 * distinct {
                let src = source(i % distinct);
                let f = flow(&src, SERVER, 80, Proto::Tcp, i as f64 * 0.001, i);
                eager.insert(&f.client.ip);
                det.on_record(&Record::ConnStart(&f), &mut ctx);
            }
            let s = det.keys.get(&(SERVER.parse().unwrap(), Some(80))).unwrap();
            let (est, exact) = s.unique_sources();
            if distinct < EXACT_SOURCES as u64 {
                assert!(exact && s.hll.is_none());
                assert_eq!(est, distinct);
            } else {
                assert!(!exact);
                let want = (eager.estimate().round() as u64).max(EXACT_SOURCES as u64);
                assert_eq!(est, want, "{distinct} sources");
            }
        }
    }

    #[test]
    fn spoofed_flood_of_a_million_sources_fires_within_bounded_memory() {
        let cfg = InboundFloodConfig {
            max_keys: 16,
            ..InboundFloodConfig::default()
        };
        let mut det = InboundFloodDetector::new(cfg, &AlertingConfig::default());
        let home = HomeNet::default_nets();
        let mut alerts = Vec::new();
        let mut ctx = DetectContext {
            home: &home,
            alerts: &mut alerts,
        };
        let n: u64 = 1_000_000;
        let mut f = flow("198.51.100.1", SERVER, 80, Proto::Tcp, 0.0, 0);
        for i in 0..n {
            // Distinct addresses from 1.0.0.0 up (about 1.0.0.0 to 4.163.x.x, all external).
            let v = 0x0100_0000u32 + (i as u32).wrapping_mul(61);
            f.client.ip = IpAddr::V4(v.into());
            f.flow_id = i;
            f.start = crate::detect::beacon::tests::ts(i as f64 * 0.0002);
            f.last = f.start;
            det.on_record(&Record::ConnStart(&f), &mut ctx);
        }
        // Past 500 connections the sources are past 10 × 50 already: High at once.
        assert!(!alerts.is_empty() && alerts.len() <= 2, "{alerts:?}");
        assert_eq!(alerts.last().unwrap().severity, Severity::High);
        assert_eq!(alerts[0].category, "HTTP Flood / Web Attack");
        let s = det.keys.get(&(SERVER.parse().unwrap(), Some(80))).unwrap();
        assert_eq!(s.connections, n);
        let (est, exact) = s.unique_sources();
        assert!(!exact);
        let err = (est as f64 - n as f64).abs() / n as f64;
        assert!(err <= 0.05, "estimate {est} is off by {:.2} %", err * 100.0);
        let mut c = Vec::new();
        det.counters(&mut |k, v| c.push((k, v)));
        let get = |k: &str| c.iter().find(|(n, _)| *n == k).unwrap().1;
        assert_eq!(get("keys_tracked"), 1);
        assert!(get("keys_tracked") <= get("keys_max"));
        assert!(get("state_bytes") <= get("state_bytes_max"));
        assert!(get("state_bytes") < 8 * 1024, "{}", get("state_bytes"));
    }

    #[test]
    fn keys_are_bounded_by_max_keys() {
        let cfg = InboundFloodConfig {
            max_keys: 4,
            ..InboundFloodConfig::default()
        };
        let mut det = InboundFloodDetector::new(cfg, &AlertingConfig::default());
        let flows: Vec<FlowRecord> = (0..100u64)
            .map(|i| {
                let dst = format!("10.0.1.{}", i + 1);
                flow("198.51.100.7", &dst, 443, Proto::Tcp, i as f64, i)
            })
            .collect();
        run(&mut det, &flows);
        assert_eq!(det.keys.len(), 4);
        assert_eq!(det.keys.evicted(), 96);
    }

    #[test]
    fn bad_config_names_the_key() {
        let cfg = InboundFloodConfig {
            bin_s: 0,
            ..InboundFloodConfig::default()
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("detect.inbound_flood.bin_s"), "{e}");
        assert!(toml::from_str::<InboundFloodConfig>("bins = 3").is_err());
    }
}
