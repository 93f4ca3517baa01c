//! `dns_tunnel`: an internal host sending data out inside DNS names: many unique, long,
//! encoded-looking labels (hex, base32, base64, raw bytes) under one parent domain.
//!
//! Key: (internal host, registered domain). A lookup counts when a label left of the
//! registered domain is at least `min_label_len` characters and looks encoded: hex
//! (only 0–9a–f with both digits and letters), random under the benign model (base32 /
//! base64 text), or non-printable bytes (iodine's raw encoding). At least
//! `min_unique_names` such unique names within `window_s` alert. Allowlisted suffixes
//! (CDNs, and security products whose reputation lookups put hashes in names) are
//! skipped.

use super::alerting::{
    invalid, positive, round3, AlertDedup, AlertingConfig, LruMap, CATEGORY_BAD_TRAFFIC,
    MITRE_TACTICS, MITRE_TECHNIQUES_DNS_TUNNEL, SID_DNS_TUNNEL,
};
use super::dga::{default_allowlist, judged, name_text};
use super::dga_model::{label_score, registered_split, SuffixSet};
use super::{Alert, DetectContext, Detector, Severity};
use crate::config::ConfigError;
use crate::decode::{Proto, VlanIds};
use crate::flow::{DnsTransaction, Endpoint, Record};
use crate::hash::HashSet;
use crate::time::{Timestamp, MICROS_PER_SEC};
use serde::Deserialize;
use serde_json::{json, Map};
use std::collections::VecDeque;
use std::net::IpAddr;

const MAX_SAMPLES: usize = 10;

/// `[detect.dns_tunnel]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsTunnelConfig {
    pub enabled: bool,
    /// Suffixes never judged: the `dga` defaults plus reputation services that query
    /// hashes by design (Sophos, McAfee, Spamhaus, SURBL, URIBL).
    pub allowlist: Vec<String>,
    pub window_s: u64,
    /// 24 characters: base32 of 15 bytes, shorter than a hex MD5 (32).
    pub min_label_len: usize,
    pub min_unique_names: usize,
    /// Encoded lookups remembered per key.
    pub max_names_per_key: usize,
    /// (host, parent domain) keys tracked per worker.
    pub max_keys: usize,
}

impl Default for DnsTunnelConfig {
    fn default() -> Self {
        let mut allowlist = default_allowlist();
        allowlist.extend(
            [
                "sophosxl.net",
                "mcafee.com",
                "trendmicro.com",
                "spamhaus.org",
                "spamhaus.net",
                "surbl.org",
                "uribl.com",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        DnsTunnelConfig {
            enabled: true,
            allowlist,
            window_s: 600,
            min_label_len: 24,
            min_unique_names: 20,
            max_names_per_key: 256,
            max_keys: 65_536,
        }
    }
}

impl DnsTunnelConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("detect.dns_tunnel.window_s", self.window_s)?;
        if self.min_label_len < 8 || self.min_label_len > 63 {
            return Err(invalid(
                "detect.dns_tunnel.min_label_len",
                "must be between 8 and 63",
            ));
        }
        if self.min_unique_names < 2 {
            return Err(invalid(
                "detect.dns_tunnel.min_unique_names",
                "must be at least 2",
            ));
        }
        if self.max_names_per_key < self.min_unique_names {
            return Err(invalid(
                "detect.dns_tunnel.max_names_per_key",
                "must be at least min_unique_names",
            ));
        }
        positive("detect.dns_tunnel.max_keys", self.max_keys)?;
        Ok(())
    }
}

/// Whether a label (display form, lower case) looks like encoded data.
pub fn encoded_label(label: &str, min_len: usize) -> bool {
    if label.len() < min_len {
        return false;
    }
    if label.contains("\\x") {
        return true;
    }
    let b = label.as_bytes();
    let hex = b.iter().all(|c| c.is_ascii_hexdigit());
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if hex && digits > 0 && digits < b.len() {
        return true;
    }
    label_score(b).randomness >= 0.6
}

type Key = (IpAddr, String);

#[derive(Debug)]
struct TunnelState {
    names: VecDeque<(Timestamp, String)>,
    queries: u64,
    encoded_chars: u64,
    client: Endpoint,
    server: Endpoint,
    proto: Proto,
    vlan: VlanIds,
    flow_id: u64,
}

pub struct DnsTunnelDetector {
    cfg: DnsTunnelConfig,
    allowlist: SuffixSet,
    keys: LruMap<Key, TunnelState>,
    dedup: AlertDedup<Key>,
    /// Names pushed out of a key full at `max_names_per_key`.
    names_dropped: u64,
}

impl DnsTunnelDetector {
    pub fn new(cfg: DnsTunnelConfig, alerting: &AlertingConfig) -> Self {
        DnsTunnelDetector {
            allowlist: SuffixSet::new(&cfg.allowlist),
            keys: LruMap::new(cfg.max_keys),
            dedup: AlertDedup::new(alerting),
            names_dropped: 0,
            cfg,
        }
    }

    fn on_dns(&mut self, d: &DnsTransaction, ctx: &mut DetectContext<'_>) {
        if !ctx.home.is_internal(d.client.ip) {
            return;
        }
        let Some(qname) = d.qname() else { return };
        let name = name_text(qname);
        if !judged(&name, &self.allowlist) {
            return;
        }
        let Some(parts) = registered_split(&name) else {
            return;
        };
        let encoded: usize = parts
            .subdomain
            .split('.')
            .filter(|l| encoded_label(l, self.cfg.min_label_len))
            .map(str::len)
            .sum();
        if encoded == 0 {
            return;
        }
        let now = d.ts();
        let key = (d.client.ip, parts.registered.to_string());
        let cap = self.cfg.max_names_per_key;
        let window = self.cfg.window_s.saturating_mul(MICROS_PER_SEC);
        let s = self.keys.entry(key.clone(), || TunnelState {
            names: VecDeque::new(),
            queries: 0,
            encoded_chars: 0,
            client: d.client,
            server: d.server,
            proto: d.proto,
            vlan: d.vlan,
            flow_id: d.flow_id,
        });
        s.queries += 1;
        s.encoded_chars = s.encoded_chars.saturating_add(encoded as u64);
        s.client = d.client;
        s.server = d.server;
        s.proto = d.proto;
        s.vlan = d.vlan;
        s.flow_id = d.flow_id;
        while s.names.front().is_some_and(|(t, _)| now.since(*t) > window) {
            s.names.pop_front();
        }
        if s.names.len() >= cap {
            s.names.pop_front();
            self.names_dropped += 1;
        }
        s.names.push_back((now, name));
        // Fewer names than the threshold cannot hold that many unique ones.
        if s.names.len() < self.cfg.min_unique_names {
            return;
        }
        let unique: HashSet<&str> = s.names.iter().map(|(_, n)| n.as_str()).collect();
        if unique.len() < self.cfg.min_unique_names {
            return;
        }
        if !self.dedup.should_raise(key.clone(), now, Severity::High) {
            return;
        }
        let mut samples: Vec<&str> = unique.iter().copied().collect();
        samples.sort_unstable();
        samples.truncate(MAX_SAMPLES);
        let avg_encoded = s.encoded_chars as f64 / s.queries.max(1) as f64;
        // More unique names and more data per name: more certain.
        let score = 0.6
            + 0.2 * (unique.len() as f64 / (3 * self.cfg.min_unique_names) as f64).min(1.0)
            + 0.2 * (avg_encoded / 120.0).min(1.0);
        let signature = format!(
            "Possible DNS tunnel: {} sent {} unique encoded names under {}",
            key.0,
            unique.len(),
            key.1
        );
        let mut ev = Map::new();
        ev.insert("parent_domain".into(), json!(key.1));
        ev.insert("unique_names".into(), json!(unique.len()));
        ev.insert("queries".into(), json!(s.queries));
        ev.insert("avg_encoded_chars".into(), json!(round3(avg_encoded)));
        ev.insert("window_s".into(), json!(self.cfg.window_s));
        ev.insert("sample_names".into(), json!(samples));
        ctx.alerts.push(Alert {
            ts: now,
            detector: "dns_tunnel",
            signature_id: SID_DNS_TUNNEL,
            rev: 1,
            signature,
            category: CATEGORY_BAD_TRAFFIC,
            severity: Severity::High,
            score: round3(score.clamp(0.0, 1.0)),
            mitre_technique_ids: MITRE_TECHNIQUES_DNS_TUNNEL,
            mitre_tactic_ids: MITRE_TACTICS,
            src: s.client,
            dest: s.server,
            proto: s.proto,
            vlan: s.vlan,
            flow_id: Some(s.flow_id),
            evidence: ev,
        });
    }
}

impl Detector for DnsTunnelDetector {
    fn name(&self) -> &'static str {
        "dns_tunnel"
    }

    fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>) {
        if let Record::Dns(d) = record {
            self.on_dns(d, ctx);
        }
    }

    fn counters(&self, out: &mut dyn FnMut(&'static str, u64)) {
        out("keys_max", self.keys.capacity() as u64);
        out("names_dropped", self.names_dropped);
        out("keys_tracked", self.keys.len() as u64);
        out("keys_evicted", self.keys.evicted());
        out("alerts_suppressed", self.dedup.suppressed());
        out("alert_keys_evicted", self.dedup.evicted());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::beacon::tests::{Rng, HOST};
    use crate::detect::dga::tests::lookup;

    fn run(det: &mut DnsTunnelDetector, lookups: &[DnsTransaction]) -> Vec<Alert> {
        let records: Vec<Record<'_>> = lookups.iter().map(Record::Dns).collect();
        crate::detect::run_records(det, &records)
    }

    fn detector() -> DnsTunnelDetector {
        DnsTunnelDetector::new(DnsTunnelConfig::default(), &AlertingConfig::default())
    }

    fn hex(rng: &mut Rng, len: usize) -> String {
        const H: &[u8] = b"0123456789abcdef";
        (0..len)
            .map(|_| char::from(H[(rng.next_f64() * 16.0) as usize % 16]))
            .collect()
    }

    #[test]
    fn hex_tunnel_under_one_domain_fires_once() {
        let mut rng = Rng::new(17);
        let lookups: Vec<DnsTransaction> = (0..100)
            .map(|i| {
                let name = format!(
                    "{}.{}.t.tunnel-example.net",
                    hex(&mut rng, 60),
                    hex(&mut rng, 40)
                );
                lookup(HOST, &name, i as f64 * 0.2, 0)
            })
            .collect();
        let alerts = run(&mut detector(), &lookups);
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.detector, "dns_tunnel");
        assert_eq!(a.signature_id, SID_DNS_TUNNEL);
        assert_eq!(a.evidence["parent_domain"], json!("tunnel-example.net"));
        assert_eq!(a.evidence["unique_names"], json!(20));
        assert!(a.evidence["sample_names"].as_array().unwrap().len() <= MAX_SAMPLES);
    }

    #[test]
    fn base32_labels_count_as_encoded() {
        assert!(encoded_label(
            "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpi",
            24
        ));
        assert!(encoded_label("3f9a0c1e7b2d4f6a8c0e1b3d5f7a9c2e", 24));
        assert!(!encoded_label(
            "this-is-a-very-long-marketing-subdomain",
            24
        ));
        assert!(!encoded_label("deadbeefcafe", 24));
    }

    #[test]
    fn long_ordinary_subdomains_do_not_fire() {
        let lookups: Vec<DnsTransaction> = (0..50)
            .map(|i| {
                let name = format!("customer-portal-region-{i}-production-frontend.example.com");
                lookup(HOST, &name, i as f64, 0)
            })
            .collect();
        assert!(run(&mut detector(), &lookups).is_empty());
    }

    #[test]
    fn few_encoded_names_do_not_fire() {
        let mut rng = Rng::new(2);
        let lookups: Vec<DnsTransaction> = (0..10)
            .map(|i| {
                lookup(
                    HOST,
                    &format!("{}.example.org", hex(&mut rng, 32)),
                    i as f64,
                    0,
                )
            })
            .collect();
        assert!(run(&mut detector(), &lookups).is_empty());
    }

    #[test]
    fn bad_config_names_the_key() {
        let cfg = DnsTunnelConfig {
            min_label_len: 2,
            ..DnsTunnelConfig::default()
        };
        assert!(cfg
            .validate()
            .unwrap_err()
            .to_string()
            .contains("detect.dns_tunnel.min_label_len"));
    }
}
