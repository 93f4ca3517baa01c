//! The `output` thread: collects each epoch from every worker and the capture thread,
//! writes its lines in a deterministic order, and composes `stats` events.

use super::signals::Signals;
use super::summary::OutputReport;
use crate::capture::CaptureCounters;
use crate::config::Config;
use crate::decode::DecodeCounters;
use crate::detect::Severity;
use crate::flow::{DnsCounters, FlowCounters};
use crate::output::eve;
use crate::output::file::EveFile;
use crate::output::stats::StatsSnapshot;
use crate::output::syslog::{EventType, EventTypes, SyslogCounters, SyslogEvent};
use crate::time::Timestamp;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Event kinds, in the order lines of equal timestamp are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum LineKind {
    Flow,
    Dns,
    Alert,
}

impl LineKind {
    fn event_type(self) -> EventType {
        match self {
            LineKind::Flow => EventType::Flow,
            LineKind::Dns => EventType::Dns,
            LineKind::Alert => EventType::Alert,
        }
    }
}

/// One line of an [`EveLines`] batch: where its text is in the batch's buffer.
pub(crate) struct EveLine {
    pub ts: Timestamp,
    pub kind: LineKind,
    /// An alert's grade (its syslog severity); not part of the sort order.
    pub severity: Option<Severity>,
    start: usize,
    end: usize,
}

/// A worker's lines of one epoch, their text end to end in one buffer: one allocation
/// an epoch instead of one (and its regrowths) a line.
#[derive(Default)]
pub(crate) struct EveLines {
    text: Vec<u8>,
    lines: Vec<EveLine>,
}

impl EveLines {
    /// Appends one line: `write` puts its text at the end of the buffer it is given.
    pub fn push(
        &mut self,
        ts: Timestamp,
        kind: LineKind,
        severity: Option<Severity>,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        let start = self.text.len();
        write(&mut self.text);
        self.lines.push(EveLine {
            ts,
            kind,
            severity,
            start,
            end: self.text.len(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn text(&self, l: &EveLine) -> &[u8] {
        self.text.get(l.start..l.end).unwrap_or_default()
    }
}

/// The output thread's end of the syslog queue: lines of the forwarded event types are
/// offered after they are written to the file, never waiting for room.
#[derive(Clone)]
pub(crate) struct SyslogTap {
    pub tx: Sender<SyslogEvent>,
    pub types: EventTypes,
    pub counters: Arc<SyslogCounters>,
}

impl SyslogTap {
    fn offer(&self, ts: Timestamp, event_type: EventType, severity: Option<Severity>, line: &[u8]) {
        if !self.types.contains(event_type) {
            return;
        }
        let e = SyslogEvent {
            ts,
            event_type,
            severity,
            line: line.to_vec(),
        };
        match self.tx.try_send(e) {
            Ok(()) => {
                self.counters
                    .queued_max
                    .fetch_max(self.tx.len() as u64, Ordering::Relaxed);
            }
            // Full, or the sender is gone: either way the event is not forwarded.
            Err(_) => SyslogCounters::add(&self.counters.dropped, 1),
        }
    }
}

pub(crate) struct CaptureStats {
    pub decode: DecodeCounters,
    pub capture: CaptureCounters,
    pub first_ts: Timestamp,
}

pub(crate) struct WorkerStats {
    pub flow: FlowCounters,
    pub dns: DnsCounters,
    pub alerts: BTreeMap<&'static str, u64>,
    pub detector: Vec<(String, u64)>,
}

pub(crate) enum OutputMsg {
    Worker {
        worker: usize,
        epoch: u64,
        lines: EveLines,
        stats: Option<Box<WorkerStats>>,
    },
    Capture {
        epoch: u64,
        now: Timestamp,
        stats: Option<Box<CaptureStats>>,
        finish: bool,
    },
}

#[derive(Default)]
struct Epoch {
    reports: usize,
    lines: Vec<EveLines>,
    workers: Vec<(usize, Box<WorkerStats>)>,
    capture: Option<Box<CaptureStats>>,
    now: Timestamp,
    finish: bool,
}

pub(crate) struct Output {
    file: EveFile,
    workers: usize,
    max_flows: u64,
    signals: Option<Arc<Signals>>,
    syslog: Option<SyslogTap>,
    epochs: HashMap<u64, Epoch>,
    next_epoch: u64,
    report: OutputReport,
}

impl Output {
    pub fn new(
        config: &Config,
        file: EveFile,
        workers: usize,
        signals: Option<Arc<Signals>>,
        syslog: Option<SyslogTap>,
    ) -> Self {
        Output {
            file,
            workers,
            max_flows: config.flow.max_flows as u64,
            signals,
            syslog,
            epochs: HashMap::new(),
            next_epoch: 0,
            report: OutputReport::default(),
        }
    }

    /// Runs until the finishing epoch is written; returns the first write error.
    pub fn run(mut self, rx: Receiver<OutputMsg>) -> std::io::Result<OutputReport> {
        let mut write_error = None;
        // Lines reach the file (and whoever tails it) within a second, and at once when
        // the sensor is idle; in between they are buffered.
        let mut last_flush = std::time::Instant::now();
        loop {
            let msg = match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            if msg.is_none() || last_flush.elapsed() >= Duration::from_secs(1) {
                if let Err(e) = self.file.flush() {
                    if write_error.is_none() {
                        eprintln!(
                            "botsense: error: writing {}: {e}",
                            self.file.path().display()
                        );
                        write_error = Some(e);
                    }
                }
                last_flush = std::time::Instant::now();
            }
            if self.signals.as_ref().is_some_and(|s| s.take_reopen()) {
                if let Err(e) = self.file.reopen() {
                    eprintln!(
                        "botsense: error: reopening {}: {e}; still writing to the old file",
                        self.file.path().display()
                    );
                }
            }
            let Some(msg) = msg else {
                continue;
            };
            let (epoch, done) = self.accept(msg);
            if !done {
                continue;
            }
            // Epochs complete in order; write every complete one from the next expected.
            let _ = epoch;
            while let Some(e) = self.epochs.get(&self.next_epoch) {
                if e.reports < self.workers + 1 {
                    break;
                }
                let Some(e) = self.epochs.remove(&self.next_epoch) else {
                    break;
                };
                self.next_epoch += 1;
                let finish = e.finish;
                if let Err(err) = self.write_epoch(e) {
                    if write_error.is_none() {
                        eprintln!(
                            "botsense: error: writing {}: {err}",
                            self.file.path().display()
                        );
                        write_error = Some(err);
                    }
                }
                if finish {
                    if let Err(err) = self.file.flush() {
                        write_error.get_or_insert(err);
                    }
                    return match write_error {
                        Some(e) => Err(e),
                        None => Ok(self.report),
                    };
                }
            }
        }
        self.file.flush()?;
        match write_error {
            Some(e) => Err(e),
            None => Ok(self.report),
        }
    }

    fn accept(&mut self, msg: OutputMsg) -> (u64, bool) {
        match msg {
            OutputMsg::Worker {
                worker,
                epoch,
                lines,
                stats,
            } => {
                let e = self.epochs.entry(epoch).or_default();
                e.reports += 1;
                if !lines.is_empty() {
                    e.lines.push(lines);
                }
                if let Some(s) = stats {
                    e.workers.push((worker, s));
                }
                (epoch, true)
            }
            OutputMsg::Capture {
                epoch,
                now,
                stats,
                finish,
            } => {
                let e = self.epochs.entry(epoch).or_default();
                e.reports += 1;
                e.now = now;
                e.finish = finish;
                e.capture = stats;
                (epoch, true)
            }
        }
    }

    fn write_epoch(&mut self, mut e: Epoch) -> std::io::Result<()> {
        // Deterministic for any number of workers: by time, kind, then the line itself.
        let batches = std::mem::take(&mut e.lines);
        let mut order: Vec<(&EveLine, &[u8])> = batches
            .iter()
            .flat_map(|b| b.lines.iter().map(move |l| (l, b.text(l))))
            .collect();
        order.sort_unstable_by(|(a, at), (b, bt)| (a.ts, a.kind, at).cmp(&(b.ts, b.kind, bt)));
        for (l, text) in order {
            self.file.write_line(text)?;
            match l.kind {
                LineKind::Flow => self.report.flow_events += 1,
                LineKind::Dns => self.report.dns_events += 1,
                LineKind::Alert => self.report.alert_events += 1,
            }
            if let Some(tap) = &self.syslog {
                tap.offer(l.ts, l.kind.event_type(), l.severity, text);
            }
        }
        if let Some(capture) = e.capture.take() {
            e.workers.sort_by_key(|(w, _)| *w);
            let snap = self.snapshot(e.now, &capture, &e.workers);
            let mut line = Vec::with_capacity(2048);
            eve::write_stats(&mut line, &snap);
            self.file.write_line(&line)?;
            self.report.stats_events += 1;
            self.report.last_stats = Some(snap);
            if let Some(tap) = &self.syslog {
                tap.offer(e.now, EventType::Stats, None, &line);
            }
        }
        Ok(())
    }

    fn snapshot(
        &self,
        now: Timestamp,
        c: &CaptureStats,
        workers: &[(usize, Box<WorkerStats>)],
    ) -> StatsSnapshot {
        let mut flow = FlowCounters::default();
        let mut dns = DnsCounters::default();
        let mut alerts: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut detector: BTreeMap<String, u64> = BTreeMap::new();
        for (_, w) in workers {
            flow.merge(&w.flow);
            dns.merge(&w.dns);
            for (k, v) in &w.alerts {
                *alerts.entry(k).or_default() += v;
            }
            for (k, v) in &w.detector {
                let e = detector.entry(k.clone()).or_default();
                // `*_max` counters are per-worker bounds: the same for any number of
                // workers, so the file stays identical; everything else adds up.
                if k.ends_with("_max") {
                    *e = (*e).max(*v);
                } else {
                    *e += v;
                }
            }
        }
        // The capture thread's decoder and the workers' DNS parsing, one set of reasons.
        let mut decode = c.decode.clone();
        decode.merge(&dns.errors);
        let mut s = StatsSnapshot {
            ts: now,
            uptime_s: now.since(c.first_ts) / crate::time::MICROS_PER_SEC,
            ..StatsSnapshot::default()
        };
        let su = &mut s.suricata;
        decode.for_each_suricata(|k, v| {
            su.insert(k.to_string(), v);
        });
        let cap = &c.capture;
        for (k, v) in [
            ("capture.kernel_packets", cap.kernel_packets),
            ("capture.kernel_drops", cap.kernel_drops),
            ("capture.kernel_ifdrops", cap.kernel_ifdrops),
        ] {
            if let Some(v) = v {
                su.insert(k.into(), v);
            }
        }
        su.insert("capture.errors".into(), cap.file_errors);
        su.insert("flow.total".into(), flow.created);
        su.insert("flow.active".into(), flow.active);
        su.insert("flow.tcp".into(), flow.tcp);
        su.insert("flow.udp".into(), flow.udp);
        su.insert("flow.icmpv4".into(), flow.icmpv4);
        su.insert("flow.icmpv6".into(), flow.icmpv6);
        su.insert("flow.mgr.flows_timeout".into(), flow.ended_timeout);
        su.insert("detect.alert".into(), alerts.values().sum());

        let b = &mut s.botsense;
        for (k, v) in [
            ("capture.records", cap.records),
            ("capture.filtered", cap.filtered),
            ("capture.files_read", cap.files_read),
            ("capture.file_errors", cap.file_errors),
            ("capture.unsupported_link", cap.unsupported_link),
            ("capture.oversized", cap.oversized),
            ("decode.packets", decode.packets()),
            ("decode.bytes", decode.bytes()),
            ("decode.errors_total", decode.errors_total()),
            ("flow.created", flow.created),
            ("flow.active", flow.active),
            ("flow.limit", self.max_flows),
            ("flow.ended", flow.ended),
            ("flow.ended_fin", flow.ended_fin),
            ("flow.ended_rst", flow.ended_rst),
            ("flow.ended_timeout", flow.ended_timeout),
            ("flow.evicted", flow.evicted),
            ("flow.flushed", flow.flushed),
            ("dns.queries", dns.queries),
            ("dns.responses", dns.responses),
            ("dns.transactions", dns.transactions),
            ("dns.unanswered", dns.unanswered),
            ("dns.unmatched_responses", dns.unmatched_responses),
            ("dns.pending", dns.pending),
            ("dns.pending_evicted", dns.pending_evicted),
            ("dns.malformed", dns.malformed),
            ("dns.tcp_unparsed", dns.tcp_unparsed),
        ] {
            b.insert(k.into(), v);
        }
        decode.for_each_error(|k, v| {
            b.insert(format!("decode.errors.{k}"), v);
        });
        for (k, v) in &alerts {
            b.insert(format!("alerts.{k}"), *v);
        }
        for (k, v) in detector {
            b.insert(format!("detect.{k}"), v);
        }
        // Only with forwarding on: these depend on the receiver's timing, and the file
        // must not change when forwarding is off.
        if let Some(tap) = &self.syslog {
            for (k, v) in tap.counters.snapshot() {
                b.insert(k.into(), v);
            }
        }
        s
    }
}
