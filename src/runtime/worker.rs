//! A `worker-N` thread: the flows, DNS transactions and detector state of its hosts.

use super::output_loop::{EveLines, LineKind, OutputMsg, WorkerStats};
use super::{Tick, WorkerMsg};
use crate::config::{Config, HomeNet};
use crate::decode::dns::DnsLimits;
use crate::detect::{Alert, DetectContext, DetectorSet};
use crate::flow::{DnsTracker, DnsTrackerConfig, DnsTransaction, FlowConfig, FlowTable, Record};
use crate::output::eve::{self, EveOptions};
use crate::time::{Timestamp, MICROS_PER_SEC};
use crossbeam_channel::{Receiver, Sender};
use std::collections::BTreeMap;

/// What a worker writes as EVE, besides alerts.
#[derive(Clone, Copy)]
struct EveSwitches {
    alert: bool,
    flow: bool,
    dns: bool,
}

/// Everything a record passes through after the flow layer: detectors and EVE lines.
struct Sink {
    home: HomeNet,
    detectors: DetectorSet,
    eve: EveOptions,
    switches: EveSwitches,
    alerts: Vec<Alert>,
    alert_counts: BTreeMap<&'static str, u64>,
    lines: EveLines,
}

impl Sink {
    fn record(&mut self, r: Record<'_>) {
        let mut ctx = DetectContext {
            home: &self.home,
            alerts: &mut self.alerts,
        };
        self.detectors.on_record(&r, &mut ctx);
        match r {
            Record::FlowEnd(f) if self.switches.flow => {
                let eve = &self.eve;
                self.lines.push(f.last, LineKind::Flow, None, |out| {
                    eve::write_flow(out, f, eve)
                });
            }
            Record::Dns(d) if self.switches.dns => self.dns_line(d),
            _ => {}
        }
        self.drain_alerts();
    }

    fn dns_line(&mut self, d: &DnsTransaction) {
        let eve = &self.eve;
        self.lines.push(d.ts(), LineKind::Dns, None, |out| {
            eve::write_dns(out, d, eve)
        });
    }

    fn drain_alerts(&mut self) {
        for a in self.alerts.drain(..) {
            *self.alert_counts.entry(a.detector).or_default() += 1;
            if self.switches.alert {
                let eve = &self.eve;
                self.lines
                    .push(a.ts, LineKind::Alert, Some(a.severity), |out| {
                        eve::write_alert(out, &a, eve)
                    });
            }
        }
    }

    fn tick(&mut self, now: Timestamp, finish: bool) {
        let mut ctx = DetectContext {
            home: &self.home,
            alerts: &mut self.alerts,
        };
        if finish {
            self.detectors.finish(now, &mut ctx);
        } else {
            self.detectors.on_tick(now, &mut ctx);
        }
        self.drain_alerts();
    }
}

pub(crate) struct Worker {
    id: usize,
    flows: FlowTable,
    dns: DnsTracker,
    sink: Sink,
    output: Sender<OutputMsg>,
}

impl Worker {
    pub fn new(id: usize, config: &Config, output: Sender<OutputMsg>) -> Self {
        let dns = DnsTracker::new(DnsTrackerConfig {
            max_pending: (config.dns.max_pending / config.workers.max(1)).max(1),
            timeout: config
                .dns
                .transaction_timeout_s
                .saturating_mul(MICROS_PER_SEC),
            limits: DnsLimits {
                max_answers: config.dns.max_answers,
                ..DnsLimits::default()
            },
        });
        Worker {
            id,
            flows: FlowTable::new(FlowConfig::for_worker(&config.flow, config.workers)),
            dns,
            sink: Sink {
                home: config.home_net.clone(),
                detectors: DetectorSet::from_config(config),
                eve: EveOptions::default(),
                switches: EveSwitches {
                    alert: config.eve.alert,
                    flow: config.eve.flow,
                    dns: config.eve.dns,
                },
                alerts: Vec::new(),
                alert_counts: BTreeMap::new(),
                lines: EveLines::default(),
            },
            output,
        }
    }

    pub fn run(mut self, rx: Receiver<WorkerMsg>) {
        for msg in rx {
            match msg {
                WorkerMsg::Packets(batch) => {
                    for p in &batch {
                        let sink = &mut self.sink;
                        let flow = self.flows.process(p, &mut |r| sink.record(r));
                        if p.dns.is_some() {
                            self.dns
                                .on_packet(p, &flow, &mut |d| sink.record(Record::Dns(d)));
                        }
                    }
                }
                WorkerMsg::Tick(t) => {
                    self.tick(t);
                    if t.finish {
                        return;
                    }
                }
            }
        }
    }

    fn tick(&mut self, t: Tick) {
        let sink = &mut self.sink;
        if t.finish {
            self.dns.flush(&mut |d| sink.record(Record::Dns(d)));
            self.flows.flush(&mut |r| sink.record(r));
        } else {
            self.dns.expire(t.now, &mut |d| sink.record(Record::Dns(d)));
            self.flows.expire(t.now, &mut |r| sink.record(r));
        }
        sink.tick(t.now, t.finish);
        let stats = t.stats.then(|| {
            Box::new({
                let mut detector = Vec::new();
                self.sink
                    .detectors
                    .counters(&mut |k, v| detector.push((k, v)));
                WorkerStats {
                    flow: self.flows.counters(),
                    dns: self.dns.counters(),
                    alerts: self.sink.alert_counts.clone(),
                    detector,
                }
            })
        });
        let lines = std::mem::take(&mut self.sink.lines);
        // If the output thread is gone the run is ending; nothing more to do here.
        let _ = self.output.send(OutputMsg::Worker {
            worker: self.id,
            epoch: t.epoch,
            lines,
            stats,
        });
    }
}
