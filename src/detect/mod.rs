//! Detectors: judge flow and DNS records and raise [`Alert`]s.
//!
//! Each detector lives in its own file with its config, its bounded per-key state, its
//! logic and its tests, and does no I/O. A worker owns one [`DetectorSet`] and feeds it
//! every [`Record`] of the hosts sharded to it, plus a [`tick`](Detector::on_tick) with
//! the packet time at regular intervals (expiry, periodic evaluation) and a final
//! [`finish`](Detector::finish) at end of input. Adding a detector is one new file that
//! implements [`Detector`] and one line in [`DetectorSet::from_config`].

pub mod alerting;
pub mod beacon;
pub mod c2_port;
pub mod dga;
pub mod dga_model;
pub mod dns_tunnel;
pub mod inbound_flood;
pub mod outbound_burst;
pub mod relay;
pub mod scan;

use crate::config::{Config, HomeNet};
use crate::decode::{Proto, VlanIds};
use crate::flow::{Endpoint, Record};
use crate::time::Timestamp;

/// Seed severity grading (Low, Medium, High, Critical), mapped onto Suricata's 1–3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }

    /// Suricata's `alert.severity`: 1 is the most severe.
    pub fn eve_severity(self) -> u8 {
        match self {
            Severity::Critical | Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
        }
    }
}

/// One alert, as a detector raised it; the EVE writer turns it into an `alert` event.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// Packet time of the record that made it fire.
    pub ts: Timestamp,
    /// Exactly the detector's name: `beacon`, `c2_port`, `dga`, ...
    pub detector: &'static str,
    pub signature_id: u32,
    pub rev: u32,
    /// What was seen, in words a SOC analyst reads first.
    pub signature: String,
    pub category: &'static str,
    pub severity: Severity,
    /// 0–1.
    pub score: f64,
    pub mitre_technique_ids: &'static [&'static str],
    pub mitre_tactic_ids: &'static [&'static str],
    pub src: Endpoint,
    pub dest: Endpoint,
    pub proto: Proto,
    pub vlan: VlanIds,
    /// The flow that completed the evidence, when there is one.
    pub flow_id: Option<u64>,
    /// Detector-specific evidence, written under `botsense` in the EVE record.
    pub evidence: serde_json::Map<String, serde_json::Value>,
}

/// What a detector may touch while it runs: the networks and the alert output.
pub struct DetectContext<'a> {
    pub home: &'a HomeNet,
    pub alerts: &'a mut Vec<Alert>,
}

/// The interface every detector implements. All methods take packet time from their
/// arguments; none may read a clock, sleep or do I/O.
pub trait Detector: Send {
    /// The detector's name, as in `botsense.detector` and the config section.
    fn name(&self) -> &'static str;

    /// One record of a host this worker owns.
    fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>);

    /// Packet time advanced to `now` (about once a second of packet time, and on an idle
    /// live link): expire state, evaluate windows.
    fn on_tick(&mut self, _now: Timestamp, _ctx: &mut DetectContext<'_>) {}

    /// End of input or shutdown: evaluate what is still pending.
    fn finish(&mut self, _now: Timestamp, _ctx: &mut DetectContext<'_>) {}

    /// The detector's counters (keys tracked, keys evicted, ...), as `(name, value)`.
    fn counters(&self, _out: &mut dyn FnMut(&'static str, u64)) {}
}

/// The detectors of one worker, built from the config.
pub struct DetectorSet {
    detectors: Vec<Box<dyn Detector>>,
}

impl DetectorSet {
    /// Every detector the config enables.
    pub fn from_config(config: &Config) -> Self {
        let d = &config.detect;
        let mut detectors: Vec<Box<dyn Detector>> = Vec::new();
        if d.beacon.enabled {
            detectors.push(Box::new(beacon::BeaconDetector::new(
                d.beacon.clone(),
                &d.alerting,
            )));
        }
        if d.c2_port.enabled {
            detectors.push(Box::new(c2_port::C2PortDetector::new(
                d.c2_port.clone(),
                &d.alerting,
            )));
        }
        if d.dga.enabled {
            detectors.push(Box::new(dga::DgaDetector::new(d.dga.clone(), &d.alerting)));
        }
        if d.dns_tunnel.enabled {
            detectors.push(Box::new(dns_tunnel::DnsTunnelDetector::new(
                d.dns_tunnel.clone(),
                &d.alerting,
            )));
        }
        if d.scan.enabled {
            detectors.push(Box::new(scan::ScanDetector::new(
                d.scan.clone(),
                &d.alerting,
            )));
        }
        if d.outbound_burst.enabled {
            detectors.push(Box::new(outbound_burst::OutboundBurstDetector::new(
                d.outbound_burst.clone(),
                &d.alerting,
            )));
        }
        if d.relay.enabled {
            detectors.push(Box::new(relay::RelayDetector::new(
                d.relay.clone(),
                &d.alerting,
            )));
        }
        if d.inbound_flood.enabled {
            detectors.push(Box::new(inbound_flood::InboundFloodDetector::new(
                d.inbound_flood.clone(),
                &d.alerting,
            )));
        }
        DetectorSet { detectors }
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.detectors.iter().map(|d| d.name())
    }

    pub fn on_record(&mut self, record: &Record<'_>, ctx: &mut DetectContext<'_>) {
        for d in &mut self.detectors {
            d.on_record(record, ctx);
        }
    }

    pub fn on_tick(&mut self, now: Timestamp, ctx: &mut DetectContext<'_>) {
        for d in &mut self.detectors {
            d.on_tick(now, ctx);
        }
    }

    pub fn finish(&mut self, now: Timestamp, ctx: &mut DetectContext<'_>) {
        for d in &mut self.detectors {
            d.finish(now, ctx);
        }
    }

    /// Counters of every detector, prefixed with its name: `beacon.keys_evicted`.
    pub fn counters(&self, out: &mut dyn FnMut(String, u64)) {
        for d in &self.detectors {
            let name = d.name();
            d.counters(&mut |k, v| out(format!("{name}.{k}"), v));
        }
    }
}

/// Feeds records to one detector with the default HOME_NET; what detector tests share.
#[cfg(test)]
pub(crate) fn run_records(det: &mut dyn Detector, records: &[Record<'_>]) -> Vec<Alert> {
    let home = HomeNet::default_nets();
    let mut alerts = Vec::new();
    let mut ctx = DetectContext {
        home: &home,
        alerts: &mut alerts,
    };
    for r in records {
        det.on_record(r, &mut ctx);
    }
    alerts
}
