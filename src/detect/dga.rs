//! `dga`: an internal host looking up many random-looking names that mostly do not exist,
//! as a bot running a domain generation algorithm does while it hunts for its C2.
//!
//! Key: the internal host (the DNS client). Each host keeps its recent lookups (bounded,
//! `max_names_per_host`, oldest dropped and counted) over `seed_window_s`. Names under the
//! allowlist (big CDN, cloud and telemetry suffixes), single-label names and reverse
//! lookups are skipped. Each remaining name is scored on the label left of its public
//! suffix by [`dga_model`](super::dga_model) (bigram surprise against a built-in benign
//! model, entropy, digits, consonant runs). Two variants:
//!
//! - **random burst** (ours, 9_103_001): within `burst_window_s`, at least
//!   `burst_min_names` unique names whose label is `min_label_len` or longer and scores
//!   `name_min_score` or more, of which at least `burst_min_nxdomain_ratio` got NXDOMAIN.
//!   Short names and few queries are enough; the NXDOMAIN share is what a DGA cannot hide
//!   (most generated names are not registered), and what a random-looking CDN name that
//!   resolves does not have.
//! - **seed volume** (LogScale, 9_103_002): over `seed_window_s`, more than
//!   `seed_min_unique_names` unique names longer than `seed_min_name_length` and more
//!   than `seed_min_queries` queries for them. LogScale counts every long name; botsense
//!   counts only those that look random or got NXDOMAIN, because ordinary browsing
//!   easily looks up twenty long tracker and API names an hour.

use super::alerting::{
    invalid, positive, round3, AlertDedup, AlertingConfig, LruMap, CATEGORY_TROJAN, MITRE_TACTICS,
    MITRE_TECHNIQUES_DGA, SID_DGA_RANDOM_BURST, SID_DGA_SEED_VOLUME,
};
use super::dga_model::{label_score, registered_split, SuffixSet};
use super::{Alert, DetectContext, Detector, Severity};
use crate::config::ConfigError;
use crate::decode::{Proto, VlanIds};
use crate::flow::{DnsTransaction, Endpoint, Record};
use crate::hash::HashSet;
use crate::time::{Micros, Timestamp, MICROS_PER_SEC};
use serde::Deserialize;
use serde_json::{json, Map};
use std::collections::VecDeque;
use std::net::IpAddr;

/// NXDOMAIN's rcode.
const NXDOMAIN: u8 = 3;
/// Sample names in the evidence (the alert must fit a syslog message).
const MAX_SAMPLES: usize = 10;
/// Longest name kept, in characters (a DNS name is at most 253; escapes can grow it).
const MAX_NAME_CHARS: usize = 255;

/// Suffixes whose names are never judged: CDNs, clouds and telemetry endpoints that
/// generate long or random-looking names by design, plus LogScale's own list
/// (microsoft, windows, office, google, apple, amazon, akamai, cloudflare, fastly .com).
pub fn default_allowlist() -> Vec<String> {
    [
        "microsoft.com",
        "windows.com",
        "office.com",
        "google.com",
        "apple.com",
        "amazon.com",
        "akamai.com",
        "cloudflare.com",
        "fastly.com",
        "akamaiedge.net",
        "akamai.net",
        "akamaihd.net",
        "akamaized.net",
        "edgekey.net",
        "edgesuite.net",
        "cloudfront.net",
        "amazonaws.com",
        "azureedge.net",
        "azurefd.net",
        "azure.com",
        "trafficmanager.net",
        "windows.net",
        "windowsupdate.com",
        "office.net",
        "office365.com",
        "live.com",
        "msn.com",
        "msftncsi.com",
        "msedge.net",
        "googleapis.com",
        "gstatic.com",
        "googlevideo.com",
        "googleusercontent.com",
        "1e100.net",
        "doubleclick.net",
        "icloud.com",
        "mzstatic.com",
        "aaplimg.com",
        "cloudflare.net",
        "fastly.net",
        "fastlylb.net",
        "in-addr.arpa",
        "ip6.arpa",
        "local",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `[detect.dga]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DgaConfig {
    pub enabled: bool,
    /// Domain suffixes never judged (a name equal to or under one).
    pub allowlist: Vec<String>,
    pub burst_window_s: u64,
    pub burst_min_names: usize,
    pub burst_min_nxdomain_ratio: f64,
    /// A label scoring this or more (0–1) looks random.
    pub name_min_score: f64,
    /// Shorter labels carry too little evidence to call random.
    pub min_label_len: usize,
    pub seed_window_s: u64,
    pub seed_min_name_length: usize,
    pub seed_min_unique_names: usize,
    pub seed_min_queries: usize,
    /// Lookups remembered per host (the oldest is dropped first and counted).
    pub max_names_per_host: usize,
    /// Hosts tracked per worker; the least recently active is forgotten first.
    pub max_hosts: usize,
}

impl Default for DgaConfig {
    fn default() -> Self {
        DgaConfig {
            enabled: true,
            allowlist: default_allowlist(),
            burst_window_s: 600,
            burst_min_names: 10,
            burst_min_nxdomain_ratio: 0.5,
            name_min_score: 0.6,
            min_label_len: 6,
            seed_window_s: 3600,
            seed_min_name_length: 20,
            seed_min_unique_names: 20,
            seed_min_queries: 50,
            max_names_per_host: 1024,
            max_hosts: 65_536,
        }
    }
}

impl DgaConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("detect.dga.burst_window_s", self.burst_window_s)?;
        if self.seed_window_s < self.burst_window_s {
            return Err(invalid(
                "detect.dga.seed_window_s",
                "must be at least burst_window_s",
            ));
        }
        if self.burst_min_names < 2 {
            return Err(invalid("detect.dga.burst_min_names", "must be at least 2"));
        }
        if !(0.0..=1.0).contains(&self.burst_min_nxdomain_ratio) {
            return Err(invalid(
                "detect.dga.burst_min_nxdomain_ratio",
                "must be between 0 and 1",
            ));
        }
        if !(0.0..=1.0).contains(&self.name_min_score) {
            return Err(invalid(
                "detect.dga.name_min_score",
                "must be between 0 and 1",
            ));
        }
        if self.max_names_per_host < self.burst_min_names.max(self.seed_min_queries) {
            return Err(invalid(
                "detect.dga.max_names_per_host",
                "must be at least burst_min_names and seed_min_queries",
            ));
        }
        positive("detect.dga.max_hosts", self.max_hosts)?;
        if self
            .allowlist
            .iter()
            .any(|s| s.trim_matches('.').is_empty())
        {
            return Err(invalid("detect.dga.allowlist", "holds an empty suffix"));
        }
        Ok(())
    }
}

/// Lower-case display form of a name without the trailing dot.
pub fn name_text(name: &crate::decode::dns::DnsName) -> String {
    let mut s = name.display();
    if let Some((cut, _)) = s.char_indices().nth(MAX_NAME_CHARS) {
        s.truncate(cut);
    }
    s.make_ascii_lowercase();
    while s.ends_with('.') {
        s.pop();
    }
    s
}

/// Whether `name` is one the DNS detectors judge: not allowlisted, more than one label.
pub fn judged(name: &str, allowlist: &SuffixSet) -> bool {
    !name.is_empty() && name.contains('.') && !allowlist.covers(name)
}

#[derive(Debug)]
struct Lookup {
    ts: Timestamp,
    name: String,
    randomness: f64,
    random: bool,
    nx: bool,
    answered: bool,
}

#[derive(Debug)]
struct HostState {
    lookups: VecDeque<Lookup>,
    client: Endpoint,
    server: Endpoint,
    proto: Proto,
    vlan: VlanIds,
    flow_id: u64,
}

pub struct DgaDetector {
    cfg: DgaConfig,
    allowlist: SuffixSet,
    hosts: LruMap<IpAddr, HostState>,
    dedup: AlertDedup<IpAddr>,
    lookups_dropped: u64,
}

impl DgaDetector {
    pub fn new(cfg: DgaConfig, alerting: &AlertingConfig) -> Self {
        DgaDetector {
            allowlist: SuffixSet::new(&cfg.allowlist),
            hosts: LruMap::new(cfg.max_hosts),
            dedup: AlertDedup::new(alerting),
            lookups_dropped: 0,
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
        let label = parts.label.as_bytes();
        let randomness = label_score(label).randomness;
        let random = label.len() >= self.cfg.min_label_len && randomness >= self.cfg.name_min_score;
        let nx = d.rcode() == Some(NXDOMAIN);
        let now = d.ts();
        let long = name.len() > self.cfg.seed_min_name_length;
        let horizon: Micros = self.cfg.seed_window_s.saturating_mul(MICROS_PER_SEC);
        let cap = self.cfg.max_names_per_host;
        let h = self.hosts.entry(d.client.ip, || HostState {
            lookups: VecDeque::new(),
            client: d.client,
            server: d.server,
            proto: d.proto,
            vlan: d.vlan,
            flow_id: d.flow_id,
        });
        h.client = d.client;
        h.server = d.server;
        h.proto = d.proto;
        h.vlan = d.vlan;
        h.flow_id = d.flow_id;
        while h.lookups.front().is_some_and(|l| now.since(l.ts) > horizon) {
            h.lookups.pop_front();
        }
        if h.lookups.len() >= cap {
            h.lookups.pop_front();
            self.lookups_dropped += 1;
        }
        h.lookups.push_back(Lookup {
            ts: now,
            name,
            randomness,
            random,
            nx,
            answered: d.rcode().is_some(),
        });
        if random || nx || long {
            self.evaluate(d.client.ip, now, ctx);
        }
    }

    fn evaluate(&mut self, host: IpAddr, now: Timestamp, ctx: &mut DetectContext<'_>) {
        let cfg = &self.cfg;
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        let burst_from = now
            .as_micros()
            .saturating_sub(cfg.burst_window_s.saturating_mul(MICROS_PER_SEC));
        // Without allocating first: a count of lookups bounds the count of unique names,
        // so when neither rule can reach its threshold there is nothing to judge. Most
        // calls end here (any name over seed_min_name_length gets this far).
        let (mut random_in_window, mut long_lookups) = (0usize, 0usize);
        for l in &h.lookups {
            if l.name.len() > cfg.seed_min_name_length && (l.random || l.nx) {
                long_lookups += 1;
            }
            if l.random && l.ts.as_micros() >= burst_from {
                random_in_window += 1;
            }
        }
        if random_in_window < cfg.burst_min_names && long_lookups <= cfg.seed_min_queries {
            return;
        }
        // Burst: unique random names in the short window, and how many got NXDOMAIN.
        // Sized from the counts above (which bound the distinct names): growing a set
        // rehashes every name already in it.
        let sized =
            |n: usize| HashSet::<&str>::with_capacity_and_hasher(n.min(1024), Default::default());
        let mut random_names = sized(random_in_window);
        let mut random_nx = sized(random_in_window);
        let mut randomness_sum = 0.0;
        // Host-level NXDOMAIN ratio over the burst window.
        let (mut answered, mut nx_all, mut queries_burst) = (0usize, 0usize, 0usize);
        // Seed volume: long names that look random or failed, over the long window.
        let mut long_names = sized(long_lookups);
        let mut long_queries = 0usize;
        for l in &h.lookups {
            if l.name.len() > cfg.seed_min_name_length && (l.random || l.nx) {
                long_names.insert(&l.name);
                long_queries += 1;
            }
            if l.ts.as_micros() < burst_from {
                continue;
            }
            queries_burst += 1;
            if l.answered {
                answered += 1;
            }
            if l.nx {
                nx_all += 1;
            }
            if l.random {
                if random_names.insert(&l.name) {
                    randomness_sum += l.randomness;
                }
                if l.nx {
                    random_nx.insert(&l.name);
                }
            }
        }
        let unique_random = random_names.len();
        let random_nx_ratio = if unique_random == 0 {
            0.0
        } else {
            random_nx.len() as f64 / unique_random as f64
        };
        let nx_ratio = if answered == 0 {
            0.0
        } else {
            nx_all as f64 / answered as f64
        };
        let burst =
            unique_random >= cfg.burst_min_names && random_nx_ratio >= cfg.burst_min_nxdomain_ratio;
        let volume =
            long_names.len() > cfg.seed_min_unique_names && long_queries > cfg.seed_min_queries;
        if !burst && !volume {
            return;
        }
        let mean_randomness = if unique_random == 0 {
            0.0
        } else {
            randomness_sum / unique_random as f64
        };
        let (sid, variant, severity, score) = if burst {
            let strong = unique_random >= 2 * cfg.burst_min_names && random_nx_ratio >= 0.8;
            let score = 0.5 * mean_randomness
                + 0.3 * random_nx_ratio
                + 0.2 * (unique_random as f64 / (2 * cfg.burst_min_names) as f64).min(1.0);
            let severity = if strong {
                Severity::High
            } else {
                Severity::Medium
            };
            (SID_DGA_RANDOM_BURST, "random_burst", severity, score)
        } else {
            (SID_DGA_SEED_VOLUME, "seed_volume", Severity::Medium, 0.6)
        };
        // A host that keeps firing is suppressed on most calls: sort nothing before this.
        if !self.dedup.should_raise(host, now, severity) {
            return;
        }
        let mut samples: Vec<&str> = if burst { &random_names } else { &long_names }
            .iter()
            .copied()
            .collect();
        samples.sort_unstable();
        samples.truncate(MAX_SAMPLES);
        let all_names: HashSet<&str> = h.lookups.iter().map(|l| l.name.as_str()).collect();
        let signature = format!(
            "Possible DGA: {host} looked up {} random-looking names ({:.0}% NXDOMAIN)",
            if burst {
                unique_random
            } else {
                long_names.len()
            },
            random_nx_ratio * 100.0
        );
        let mut ev = Map::new();
        ev.insert("variant".into(), json!(variant));
        ev.insert("queries".into(), json!(queries_burst));
        ev.insert("unique_names".into(), json!(all_names.len()));
        ev.insert("random_names".into(), json!(unique_random));
        ev.insert("nxdomain_ratio".into(), json!(round3(nx_ratio)));
        ev.insert(
            "random_nxdomain_ratio".into(),
            json!(round3(random_nx_ratio)),
        );
        ev.insert("mean_randomness".into(), json!(round3(mean_randomness)));
        ev.insert("long_names".into(), json!(long_names.len()));
        ev.insert("long_name_queries".into(), json!(long_queries));
        ev.insert("window_s".into(), json!(cfg.burst_window_s));
        ev.insert("sample_names".into(), json!(samples));
        ctx.alerts.push(Alert {
            ts: now,
            detector: "dga",
            signature_id: sid,
            rev: 1,
            signature,
            category: CATEGORY_TROJAN,
            severity,
            score: round3(score.clamp(0.0, 1.0)),
            mitre_technique_ids: MITRE_TECHNIQUES_DGA,
            mitre_tactic_ids: MITRE_TACTICS,
            src: h.client,
            dest: h.server,
            proto: h.proto,
            vlan: h.vlan,
            flow_id: Some(h.flow_id),
            evidence: ev,
        });
    }
}

impl Detector for DgaDetector {
    fn name(&self) -> &'static str {
        "dga"
    }

    fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>) {
        if let Record::Dns(d) = record {
            self.on_dns(d, ctx);
        }
    }

    fn counters(&self, out: &mut dyn FnMut(&'static str, u64)) {
        out("keys_max", self.hosts.capacity() as u64);
        out("keys_tracked", self.hosts.len() as u64);
        out("keys_evicted", self.hosts.evicted());
        out("lookups_dropped", self.lookups_dropped);
        out("alerts_suppressed", self.dedup.suppressed());
        out("alert_keys_evicted", self.dedup.evicted());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::decode::dns::{DnsAnswer, DnsMessage, DnsName, DnsQuestion, RData};
    use crate::detect::beacon::tests::{ts, Rng, HOST};

    /// A lookup of `name` by `client` at `at` seconds, answered with `rcode`.
    pub(crate) fn lookup(client: &str, name: &str, at: f64, rcode: u8) -> DnsTransaction {
        let q = DnsQuestion {
            name: DnsName(name.as_bytes().to_vec()),
            qtype: 1,
            qclass: 1,
        };
        let answers = if rcode == 0 {
            vec![DnsAnswer {
                name: q.name.clone(),
                rtype: 1,
                ttl: 60,
                data: RData::A("203.0.113.80".parse().unwrap()),
            }]
        } else {
            Vec::new()
        };
        DnsTransaction {
            flow_id: 7,
            client: Endpoint {
                ip: client.parse().unwrap(),
                port: 53_000,
            },
            server: Endpoint {
                ip: "10.0.0.53".parse().unwrap(),
                port: 53,
            },
            proto: Proto::Udp,
            vlan: VlanIds::default(),
            query_ts: Some(ts(at)),
            response_ts: Some(ts(at + 0.01)),
            query: None,
            response: Some(DnsMessage {
                id: 1,
                flags: 0x8180 | u16::from(rcode),
                questions: vec![q],
                answers,
            }),
        }
    }

    pub(crate) fn random_label(rng: &mut Rng, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| char::from(CHARS[(rng.next_f64() * 36.0) as usize % 36]))
            .collect()
    }

    fn run(det: &mut DgaDetector, lookups: &[DnsTransaction]) -> Vec<Alert> {
        let records: Vec<Record<'_>> = lookups.iter().map(Record::Dns).collect();
        crate::detect::run_records(det, &records)
    }

    fn detector() -> DgaDetector {
        DgaDetector::new(DgaConfig::default(), &AlertingConfig::default())
    }

    #[test]
    fn seed_test_sixty_random_nxdomain_names_fire() {
        let mut rng = Rng::new(5);
        let tlds = ["com", "net", "org", "info", "biz"];
        let lookups: Vec<DnsTransaction> = (0..60)
            .map(|i| {
                let len = 8 + (rng.next_f64() * 8.0) as usize;
                let name = format!("{}.{}", random_label(&mut rng, len), tlds[i % 5]);
                // "The vast majority" NXDOMAIN: one in six resolves.
                lookup(HOST, &name, i as f64 * 0.5, if i % 6 == 0 { 0 } else { 3 })
            })
            .collect();
        let alerts = run(&mut detector(), &lookups);
        assert!(!alerts.is_empty());
        let a = &alerts[0];
        assert_eq!(a.detector, "dga");
        assert_eq!(a.signature_id, SID_DGA_RANDOM_BURST);
        assert_eq!(a.src.ip, HOST.parse::<IpAddr>().unwrap());
        let samples = a.evidence["sample_names"].as_array().unwrap();
        assert!(!samples.is_empty() && samples.len() <= MAX_SAMPLES);
        // It rises to High as the burst grows, once; no other repeats.
        let last = alerts.last().unwrap();
        assert_eq!(last.severity, Severity::High);
        assert!(alerts.len() <= 2);
    }

    #[test]
    fn a_short_burst_of_short_random_names_fires() {
        let mut rng = Rng::new(9);
        let lookups: Vec<DnsTransaction> = (0..12)
            .map(|i| {
                let name = format!("{}.net", random_label(&mut rng, 9));
                lookup(HOST, &name, i as f64, 3)
            })
            .collect();
        let alerts = run(&mut detector(), &lookups);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Medium);
    }

    #[test]
    fn cdn_and_telemetry_names_do_not_fire() {
        let mut rng = Rng::new(13);
        let mut lookups = Vec::new();
        for i in 0..200 {
            let r = random_label(&mut rng, 12);
            let name = match i % 5 {
                0 => format!("d{r}.cloudfront.net"),
                1 => format!("e{}.dscb.akamaiedge.net", i),
                2 => format!("v10.{r}.events.data.microsoft.com"),
                3 => format!("{r}-{i}.s3.us-east-1.amazonaws.com"),
                _ => format!("safebrowsing-{r}.googleapis.com"),
            };
            lookups.push(lookup(
                HOST,
                &name,
                i as f64,
                if i % 3 == 0 { 3 } else { 0 },
            ));
        }
        assert!(run(&mut detector(), &lookups).is_empty());
    }

    #[test]
    fn ordinary_browsing_with_some_nxdomain_does_not_fire() {
        let names = [
            "www.wikipedia.org",
            "en.wikipedia.org",
            "upload.wikimedia.org",
            "www.nytimes.com",
            "static01.nyt.com",
            "pagead2.googlesyndication.com",
            "securepubads.g.doubleclick.net",
            "cdn.taboola.com",
            "widgets.outbrain.com",
            "sb.scorecardresearch.com",
            "www.theguardian.com",
            "assets.guim.co.uk",
            "api.github.com",
            "avatars.githubusercontent.com",
            "stackoverflow.com",
            "cdn.sstatic.net",
            "www.bbc.co.uk",
            "static.files.bbci.co.uk",
            "connect.facebook.net",
            "static.xx.fbcdn.net",
            "wpad.corp.example.com",
            "printer.corp.example.com",
            "tracking-pixel.analytics-partner.com",
            "metrics.shopping-cart-service.com",
        ];
        let mut lookups = Vec::new();
        for round in 0..5 {
            for (i, n) in names.iter().enumerate() {
                let rcode = if n.starts_with("wpad") { 3 } else { 0 };
                lookups.push(lookup(HOST, n, (round * 100 + i) as f64, rcode));
            }
        }
        assert!(run(&mut detector(), &lookups).is_empty());
    }

    #[test]
    fn random_names_that_resolve_do_not_fire_the_burst() {
        let mut rng = Rng::new(21);
        let lookups: Vec<DnsTransaction> = (0..15)
            .map(|i| {
                lookup(
                    HOST,
                    &format!("{}.com", random_label(&mut rng, 10)),
                    i as f64,
                    0,
                )
            })
            .collect();
        assert!(run(&mut detector(), &lookups).is_empty());
    }

    #[test]
    fn seed_volume_rule_fires_on_many_long_failing_names() {
        let cfg = DgaConfig {
            // Isolate LogScale's rule.
            burst_min_names: 1000,
            max_names_per_host: 1024,
            ..DgaConfig::default()
        };
        let mut det = DgaDetector::new(cfg, &AlertingConfig::default());
        let lookups: Vec<DnsTransaction> = (0..60)
            .map(|i| {
                let name = format!("service-{}.internal-{}.example-corp.com", i % 25, i);
                lookup(HOST, &name, i as f64 * 10.0, 3)
            })
            .collect();
        let alerts = run(&mut det, &lookups);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].signature_id, SID_DGA_SEED_VOLUME);
    }

    #[test]
    fn host_state_is_bounded_and_counted() {
        let cfg = DgaConfig {
            max_hosts: 2,
            ..DgaConfig::default()
        };
        let mut det = DgaDetector::new(cfg, &AlertingConfig::default());
        let lookups: Vec<DnsTransaction> = (0..5)
            .map(|i| lookup(&format!("10.0.0.{}", i + 1), "www.example.com", i as f64, 0))
            .collect();
        run(&mut det, &lookups);
        let mut c = Vec::new();
        det.counters(&mut |k, v| c.push((k, v)));
        assert!(c.contains(&("keys_tracked", 2)));
        assert!(c.contains(&("keys_evicted", 3)));
    }

    #[test]
    fn bad_config_names_the_key() {
        let cfg = DgaConfig {
            name_min_score: 1.5,
            ..DgaConfig::default()
        };
        assert!(cfg
            .validate()
            .unwrap_err()
            .to_string()
            .contains("detect.dga.name_min_score"));
        assert!(toml::from_str::<DgaConfig>("allow_list = []").is_err());
    }
}
