//! What every detector shares when it raises alerts: the signature-id range, the MITRE
//! ids, per-key alert deduplication, and a bounded least-recently-used map for state.
//!
//! # Signature ids
//!
//! botsense owns `9_100_000..9_200_000`. A signature id is
//! `9_100_000 + detector * 1000 + variant`:
//!
//! | sid | detector | variant |
//! |---|---|---|
//! | 9_101_001 | `beacon` | seed rate rule (≥12 connections, ≥30 min, 4–120/h) with periodicity gate |
//! | 9_101_002 | `beacon` | periodic series (any span, any rate) |
//! | 9_101_003 | `beacon` | periodic series on a web port (80/443), stricter thresholds |
//! | 9_102_001 | `c2_port` | connection to an IRC / common C2 port |
//! | 9_103_001 | `dga` | burst of random-looking names, mostly NXDOMAIN |
//! | 9_103_002 | `dga` | LogScale volume rule (long names, >20 unique, >50 queries) |
//! | 9_104_001 | `dns_tunnel` | many long encoded labels under one parent domain |
//! | 9_105_001 | `relay` | host accepts external inbound, then connects out to other external addresses (ORB relay) |
//! | 9_106_001 | `inbound_flood` | HTTP Flood / Web Attack (80, 443, 8080, 8443) |
//! | 9_106_002 | `inbound_flood` | Credential Stuffing / Brute Force (22, 3389) |
//! | 9_106_003 | `inbound_flood` | Spam Campaign (25, 587) |
//! | 9_106_004 | `inbound_flood` | Volumetric Flood (any other port, per destination address) |
//! | 9_107_001 | `scan` | one host to many external addresses on one port |
//! | 9_108_001 | `outbound_burst` | port sweep: many ports on one or a few targets |
//! | 9_108_002 | `outbound_burst` | connection flood: many ports across many targets |

use super::Severity;
use crate::hash::HashMap;
use crate::time::{Micros, Timestamp, MICROS_PER_SEC};
use serde::Deserialize;
use std::hash::Hash;

pub const SID_BEACON_SEED_RATE: u32 = 9_101_001;
pub const SID_BEACON_PERIODIC: u32 = 9_101_002;
pub const SID_BEACON_PERIODIC_WEB: u32 = 9_101_003;
pub const SID_C2_PORT: u32 = 9_102_001;
pub const SID_DGA_RANDOM_BURST: u32 = 9_103_001;
pub const SID_DGA_SEED_VOLUME: u32 = 9_103_002;
pub const SID_DNS_TUNNEL: u32 = 9_104_001;
pub const SID_RELAY: u32 = 9_105_001;
pub const SID_INBOUND_FLOOD_HTTP: u32 = 9_106_001;
pub const SID_INBOUND_FLOOD_BRUTE_FORCE: u32 = 9_106_002;
pub const SID_INBOUND_FLOOD_SPAM: u32 = 9_106_003;
pub const SID_INBOUND_FLOOD_VOLUMETRIC: u32 = 9_106_004;
pub const SID_SCAN: u32 = 9_107_001;
pub const SID_OUTBOUND_BURST_SWEEP: u32 = 9_108_001;
pub const SID_OUTBOUND_BURST_FLOOD: u32 = 9_108_002;

/// T1583.005 (botnet acquired), T1584.005 (botnet built), T1071 (application-layer C2).
pub const MITRE_TECHNIQUES_C2: &[&str] = &["T1583.005", "T1584.005", "T1071"];
/// Plus T1568.002 (domain generation algorithms).
pub const MITRE_TECHNIQUES_DGA: &[&str] = &["T1583.005", "T1584.005", "T1568.002"];
/// Plus T1071.004 (application-layer protocol: DNS).
pub const MITRE_TECHNIQUES_DNS_TUNNEL: &[&str] = &["T1583.005", "T1584.005", "T1071.004"];
/// Plus T1090 (proxy: an ORB relay node forwards other parties' traffic).
pub const MITRE_TECHNIQUES_RELAY: &[&str] = &["T1583.005", "T1584.005", "T1090"];
/// Plus T1498 (network denial of service): floods from a botnet.
pub const MITRE_TECHNIQUES_FLOOD: &[&str] = &["T1583.005", "T1498"];
/// Plus T1110 (brute force): credential stuffing from many sources.
pub const MITRE_TECHNIQUES_BRUTE_FORCE: &[&str] = &["T1583.005", "T1110"];
/// Spam relayed through a botnet: the acquisition itself is what is seen.
pub const MITRE_TECHNIQUES_SPAM: &[&str] = &["T1583.005", "T1584.005"];
/// Plus T1046 (network service discovery): a bot scanning to spread.
pub const MITRE_TECHNIQUES_SCAN: &[&str] = &["T1583.005", "T1584.005", "T1046"];
/// TA0042 Resource Development (where T1583/T1584 sit), TA0011 Command and Control.
pub const MITRE_TACTICS: &[&str] = &["TA0042", "TA0011"];
/// TA0042 Resource Development, TA0040 Impact (floods).
pub const MITRE_TACTICS_FLOOD: &[&str] = &["TA0042", "TA0040"];
/// TA0042 Resource Development, TA0006 Credential Access.
pub const MITRE_TACTICS_BRUTE_FORCE: &[&str] = &["TA0042", "TA0006"];
/// TA0042 Resource Development, TA0007 Discovery.
pub const MITRE_TACTICS_SCAN: &[&str] = &["TA0042", "TA0007"];

/// Suricata classtype texts.
pub const CATEGORY_TROJAN: &str = "A Network Trojan was detected";
pub const CATEGORY_BAD_TRAFFIC: &str = "Potentially Bad Traffic";
pub const CATEGORY_NETWORK_SCAN: &str = "Detection of a Network Scan";
pub const CATEGORY_DOS: &str = "Attempted Denial of Service";

/// `[detect.alerting]`: how often one key may alert.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertingConfig {
    /// A key that already alerted alerts again at the same severity only after this many
    /// seconds of packet time; a higher severity alerts at once.
    pub realert_after_s: u64,
    /// Keys remembered per detector and worker; the least recently raised is forgotten
    /// first (and may then alert again).
    pub max_keys: usize,
}

impl Default for AlertingConfig {
    fn default() -> Self {
        AlertingConfig {
            realert_after_s: 86_400,
            max_keys: 65_536,
        }
    }
}

impl AlertingConfig {
    pub fn validate(&self) -> Result<(), crate::config::ConfigError> {
        positive("detect.alerting.max_keys", self.max_keys)?;
        Ok(())
    }
}

/// A config error naming `key`, for the detectors' `validate`.
pub(crate) use crate::config::{invalid, positive};

/// A bounded map that forgets its least recently touched entry when full.
///
/// Every per-key table of a detector is one of these, so memory is bounded by config
/// whatever the traffic; evictions are counted for the `stats` event. Entries live in a
/// slab linked in recency order (least recent first), so a touch or an eviction is O(1)
/// and allocates nothing once the map is full: the evicted entry's node is reused.
#[derive(Debug)]
pub struct LruMap<K, V> {
    index: HashMap<K, u32>,
    nodes: Vec<LruNode<K, V>>,
    /// Least and most recently touched node (`NIL` when empty).
    head: u32,
    tail: u32,
    cap: usize,
    evicted: u64,
}

#[derive(Debug)]
struct LruNode<K, V> {
    key: K,
    value: V,
    prev: u32,
    next: u32,
}

const NIL: u32 = u32::MAX;

impl<K: Hash + Eq + Clone, V> LruMap<K, V> {
    pub fn new(cap: usize) -> Self {
        LruMap {
            index: HashMap::default(),
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            cap: cap.clamp(1, NIL as usize - 1),
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The most entries it holds.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Entries pushed out because the map was full.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        let i = *self.index.get(key)?;
        self.nodes.get(i as usize).map(|n| &n.value)
    }

    /// The entry for `key`, created with `make` when absent, marked most recently used.
    pub fn entry(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.index.get(&key) {
            Some(&i) => {
                self.unlink(i);
                i
            }
            None if self.nodes.len() >= self.cap && self.head != NIL => {
                // Full: the least recently touched entry gives up its node.
                let i = self.head;
                self.unlink(i);
                if let Some(n) = self.nodes.get_mut(i as usize) {
                    let old = std::mem::replace(&mut n.key, key.clone());
                    n.value = make();
                    self.index.remove(&old);
                }
                self.index.insert(key, i);
                self.evicted += 1;
                i
            }
            None => {
                let i = self.nodes.len() as u32;
                self.nodes.push(LruNode {
                    key: key.clone(),
                    value: make(),
                    prev: NIL,
                    next: NIL,
                });
                self.index.insert(key, i);
                i
            }
        };
        self.push_back(i);
        match self.nodes.get_mut(i as usize) {
            Some(n) => &mut n.value,
            // `i` was found in the index, reused or pushed just above: always a node.
            None => unreachable!("LruMap node {i} missing"),
        }
    }

    fn set_next(&mut self, i: u32, next: u32) {
        match self.nodes.get_mut(i as usize) {
            Some(n) => n.next = next,
            None => self.head = next,
        }
    }

    fn set_prev(&mut self, i: u32, prev: u32) {
        match self.nodes.get_mut(i as usize) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    fn unlink(&mut self, i: u32) {
        let Some(&LruNode { prev, next, .. }) = self.nodes.get(i as usize) else {
            return;
        };
        self.set_next(prev, next);
        self.set_prev(next, prev);
    }

    fn push_back(&mut self, i: u32) {
        let tail = self.tail;
        if let Some(n) = self.nodes.get_mut(i as usize) {
            n.prev = tail;
            n.next = NIL;
        }
        self.set_next(tail, i);
        self.tail = i;
    }

    /// Touches nothing.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = *self.index.get(key)?;
        self.nodes.get_mut(i as usize).map(|n| &mut n.value)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.nodes.iter_mut().map(|n| (&n.key, &mut n.value))
    }

    /// Keys in least-recently-used order, for deterministic iteration.
    pub fn keys_in_order(&self) -> Vec<K> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut i = self.head;
        while let Some(n) = self.nodes.get(i as usize) {
            out.push(n.key.clone());
            i = n.next;
        }
        out
    }
}

#[derive(Clone, Copy, Debug)]
struct Raised {
    /// Last time the key's alert condition held (raised or suppressed).
    last_seen: Timestamp,
    severity: Severity,
}

/// One alert per key: raised again only when its severity rises, or when the key went
/// quiet (its alert condition did not hold) for `realert_after_s` of packet time and
/// then fired again, which is a new episode. A key that keeps firing stays one alert.
/// (A beacon slower than `realert_after_s` is quiet between call-backs by this measure,
/// so it alerts on each one; raise `realert_after_s` above the slowest period that
/// should count as one episode.)
#[derive(Debug)]
pub struct AlertDedup<K> {
    raised: LruMap<K, Option<Raised>>,
    realert_after: Micros,
    suppressed: u64,
}

impl<K: Hash + Eq + Clone> AlertDedup<K> {
    pub fn new(cfg: &AlertingConfig) -> Self {
        AlertDedup {
            raised: LruMap::new(cfg.max_keys),
            realert_after: cfg.realert_after_s.saturating_mul(MICROS_PER_SEC),
            suppressed: 0,
        }
    }

    /// Whether an alert for `key` at `severity` should go out now; remembers it if so,
    /// counts a suppression if not.
    pub fn should_raise(&mut self, key: K, now: Timestamp, severity: Severity) -> bool {
        let slot = self.raised.entry(key, || None);
        let raise = match *slot {
            None => true,
            Some(prev) => {
                severity > prev.severity || now.since(prev.last_seen) >= self.realert_after
            }
        };
        match slot {
            Some(prev) if !raise => {
                prev.last_seen = prev.last_seen.max(now);
                self.suppressed += 1;
            }
            _ => {
                *slot = Some(Raised {
                    last_seen: now,
                    severity,
                })
            }
        }
        raise
    }

    /// Whether `key` would alert at `severity` now, without recording anything: lets a
    /// detector skip building the alert text.
    pub fn would_raise(&self, key: &K, now: Timestamp, severity: Severity) -> bool {
        match self.raised.get(key) {
            None | Some(None) => true,
            Some(Some(prev)) => {
                severity > prev.severity || now.since(prev.last_seen) >= self.realert_after
            }
        }
    }

    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    pub fn keys(&self) -> usize {
        self.raised.len()
    }

    pub fn evicted(&self) -> u64 {
        self.raised.evicted()
    }
}

/// Median of a sorted slice (0 when empty).
pub fn median_sorted(v: &[f64]) -> f64 {
    quantile_sorted(v, 0.5)
}

/// Linear-interpolated quantile of a sorted slice (0 when empty).
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    let at = |i: usize| v.get(i).copied().unwrap_or(0.0);
    at(lo) + (at(hi) - at(lo)) * frac
}

/// Sorts floats that are never NaN (times and sizes).
pub fn sort_f64(v: &mut [f64]) {
    v.sort_by(|a, b| a.total_cmp(b));
}

/// Rounds for evidence: three decimals are plenty and keep EVE lines short.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> Timestamp {
        Timestamp::from_secs_micros(s, 0)
    }

    #[test]
    fn same_key_alerts_once_until_quiet_period_passes() {
        let mut d = AlertDedup::new(&AlertingConfig {
            realert_after_s: 3600,
            ..AlertingConfig::default()
        });
        assert!(d.should_raise(1, t(0), Severity::Medium));
        assert!(!d.should_raise(1, t(10), Severity::Medium));
        assert!(!d.should_raise(1, t(20), Severity::Low));
        assert_eq!(d.suppressed(), 2);
        // Still firing an hour after the first alert, but never quiet: no repeat.
        assert!(!d.should_raise(1, t(3000), Severity::Medium));
        assert!(!d.should_raise(1, t(3700), Severity::Medium));
        // Quiet for an hour, then firing again: a new episode.
        assert!(d.should_raise(1, t(7300), Severity::Medium));
    }

    #[test]
    fn rising_severity_alerts_again() {
        let mut d = AlertDedup::new(&AlertingConfig::default());
        assert!(d.should_raise("k", t(0), Severity::Low));
        assert!(d.would_raise(&"k", t(1), Severity::High));
        assert!(d.should_raise("k", t(1), Severity::High));
        assert!(!d.should_raise("k", t(2), Severity::High));
    }

    proptest::proptest! {
        /// The linked slab behaves like the obvious model: a list in recency order that
        /// drops its front when a new key arrives at capacity.
        #[test]
        fn lru_map_matches_a_recency_list_model(
            cap in 1usize..6,
            keys in proptest::collection::vec(0u8..10, 0..200),
        ) {
            let mut m = LruMap::new(cap);
            let mut model: Vec<u8> = Vec::new();
            let mut evicted = 0;
            for k in keys {
                *m.entry(k, || 0u32) += 1;
                if let Some(pos) = model.iter().position(|&x| x == k) {
                    model.remove(pos);
                } else if model.len() == cap {
                    model.remove(0);
                    evicted += 1;
                }
                model.push(k);
                proptest::prop_assert_eq!(m.keys_in_order(), model.clone());
                proptest::prop_assert_eq!(m.evicted(), evicted);
                proptest::prop_assert_eq!(m.len(), model.len());
            }
        }
    }

    #[test]
    fn lru_map_evicts_least_recently_used_and_counts() {
        let mut m = LruMap::new(2);
        *m.entry(1, || 0) += 1;
        *m.entry(2, || 0) += 1;
        *m.entry(1, || 0) += 1; // 2 is now the oldest
        *m.entry(3, || 0) += 1;
        assert_eq!(m.len(), 2);
        assert_eq!(m.evicted(), 1);
        assert!(m.get(&2).is_none());
        assert_eq!(m.get(&1), Some(&2));
        assert_eq!(m.keys_in_order(), vec![1, 3]);
    }

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(median_sorted(&v), 2.5);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        assert_eq!(median_sorted(&[]), 0.0);
    }

    fn config(text: &str) -> Result<crate::config::Config, crate::config::ConfigError> {
        use crate::config::{Config, Overrides, RawConfig};
        let raw = RawConfig::from_toml(std::path::Path::new("t.toml"), text)?;
        Config::from_raw(raw, Overrides::default())
    }

    #[test]
    fn detect_tables_reject_unknown_keys_and_name_bad_values() {
        let e = config("[detect.beacon]\nmin_connections = 3\n").unwrap_err();
        assert!(e.to_string().contains("min_connections"), "{e}");
        let e = config("[detect.beacon]\nperiodic_min_score = 2.0\n").unwrap_err();
        assert!(
            e.to_string().contains("detect.beacon.periodic_min_score"),
            "{e}"
        );
        let e = config("[detect.alerting]\nmax_keys = 0\n").unwrap_err();
        assert!(e.to_string().contains("detect.alerting.max_keys"), "{e}");
        let e = config("[detect.nope]\n").unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn every_detector_is_built_unless_disabled() {
        use crate::detect::DetectorSet;
        let c = config("[detect.dga]\nburst_min_names = 8\n").unwrap();
        assert_eq!(c.detect.dga.burst_min_names, 8);
        assert_eq!(
            c.detect.beacon,
            crate::detect::beacon::BeaconConfig::default()
        );
        let names: Vec<&str> = DetectorSet::from_config(&c).names().collect();
        for n in ["beacon", "c2_port", "dga", "dns_tunnel"] {
            assert!(names.contains(&n), "{names:?}");
        }
        let c = config("[detect.c2_port]\nenabled = false\n").unwrap();
        let names: Vec<&str> = DetectorSet::from_config(&c).names().collect();
        assert!(!names.contains(&"c2_port"));
    }
}
