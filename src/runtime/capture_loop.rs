//! The `capture` thread: read, decode, shard, batch, and close epochs.

use super::output_loop::{CaptureStats, OutputMsg};
use super::summary::CaptureReport;
use super::{shard, RunOptions, Tick, WorkerMsg, TICK_PACKETS};
use crate::capture::file::{self, FileWarning};
use crate::capture::live::{Filter, LiveCapture};
use crate::capture::{CaptureCounters, CaptureError, Control, RawPacket};
use crate::config::{Config, HomeNet, Source};
use crate::decode::{decode_packet, DecodeCounters, PacketMeta};
use crate::time::{Timestamp, MICROS_PER_SEC};
use crossbeam_channel::Sender;
use std::path::PathBuf;

use std::time::{Duration, Instant};

/// An opened source.
pub(crate) enum Input {
    Files {
        files: Vec<PathBuf>,
        /// Files of a directory that are not captures, reported and skipped.
        skipped: Vec<CaptureError>,
        filter: Option<Filter>,
    },
    Live(Box<LiveCapture>),
}

impl Input {
    pub fn open(source: &Source, config: &Config) -> Result<Input, CaptureError> {
        match source {
            Source::Files(path) => {
                let (files, skipped) = file::list_inputs(path)?;
                if let [only] = files.as_slice() {
                    // A single file is checked now, so a non-capture fails before any
                    // thread starts or the log is touched.
                    file::first_packet_time(only)?;
                }
                let filter = config.bpf.as_deref().map(Filter::new).transpose()?;
                Ok(Input::Files {
                    files,
                    skipped,
                    filter,
                })
            }
            Source::Interface(iface) => Ok(Input::Live(Box::new(LiveCapture::open(
                iface,
                &config.capture,
                config.bpf.as_deref(),
            )?))),
        }
    }
}

pub(crate) struct CaptureLoop {
    home: HomeNet,
    workers: Vec<Sender<WorkerMsg>>,
    output: Sender<OutputMsg>,
    opts: RunOptions,
    batch_size: usize,
    stats_enabled: bool,
    stats_interval: u64,

    batches: Vec<Vec<PacketMeta>>,
    decode: DecodeCounters,
    counters: CaptureCounters,
    epoch: u64,
    now: Timestamp,
    first_ts: Option<Timestamp>,
    last_tick: Timestamp,
    last_stats: Option<Timestamp>,
    since_tick: u64,
    /// A worker or the output thread went away: stop reading.
    broken: bool,
    progress: Option<indicatif::ProgressBar>,
}

impl CaptureLoop {
    pub fn new(
        config: &Config,
        workers: Vec<Sender<WorkerMsg>>,
        output: Sender<OutputMsg>,
        opts: RunOptions,
    ) -> Self {
        let n = workers.len();
        CaptureLoop {
            home: config.home_net.clone(),
            workers,
            output,
            batch_size: config.runtime.batch_size,
            stats_enabled: config.eve.stats,
            stats_interval: config.eve.stats_interval_s.saturating_mul(MICROS_PER_SEC),
            batches: (0..n).map(|_| Vec::new()).collect(),
            decode: DecodeCounters::default(),
            counters: CaptureCounters::default(),
            epoch: 0,
            now: Timestamp::ZERO,
            first_ts: None,
            last_tick: Timestamp::ZERO,
            last_stats: None,
            since_tick: 0,
            broken: false,
            progress: None,
            opts,
        }
    }

    fn stop_requested(&self) -> bool {
        self.broken
            || self
                .opts
                .signals
                .as_ref()
                .is_some_and(|s| s.stop_requested())
    }

    pub fn run(mut self, input: Input) -> Result<CaptureReport, CaptureError> {
        let mut report = CaptureReport::default();
        match input {
            Input::Files {
                files,
                skipped,
                mut filter,
            } => {
                // A directory may hold other files (a README, a .sha256): warn, not fail.
                for e in skipped {
                    eprintln!("botsense: warning: {e}; skipped");
                }
                self.start_progress();
                for path in files {
                    if self.stop_requested() {
                        break;
                    }
                    match self.read_one(&path, filter.as_mut()) {
                        Ok(Some(w)) => {
                            eprintln!("botsense: warning: {w}");
                            report.warnings.push(w);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            eprintln!("botsense: error: {e}");
                            report.errors.push(e.to_string());
                        }
                    }
                    report.files += 1;
                }
                if let Some(p) = self.progress.take() {
                    p.finish_and_clear();
                }
            }
            Input::Live(mut live) => {
                let r = self.run_live(&mut live);
                if let Err(e) = r {
                    // Flush what we have before reporting the failure.
                    self.finish();
                    return Err(e);
                }
            }
        }
        self.finish();
        report.decode = self.decode.clone();
        report.capture = self.counters.clone();
        report.stopped_by_signal = self
            .opts
            .signals
            .as_ref()
            .is_some_and(|s| s.stop_requested());
        Ok(report)
    }

    fn start_progress(&mut self) {
        use std::io::IsTerminal;
        if self.opts.progress && std::io::stderr().is_terminal() {
            let p = indicatif::ProgressBar::new_spinner();
            p.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            p.enable_steady_tick(Duration::from_millis(200));
            self.progress = Some(p);
        }
    }

    fn read_one(
        &mut self,
        path: &std::path::Path,
        filter: Option<&mut Filter>,
    ) -> Result<Option<FileWarning>, CaptureError> {
        if let Some(p) = &self.progress {
            p.set_message(format!("{}", path.display()));
        }
        let mut counters = std::mem::take(&mut self.counters);
        let outcome = file::read_file(path, filter, &mut counters, &mut |raw, counters| {
            self.on_packet(raw, counters);
            if self.decode.packets() % 4096 == 0 && self.stop_requested() {
                return Control::Stop;
            }
            if let Some(p) = &self.progress {
                if self.decode.packets() % 65_536 == 0 {
                    p.set_message(format!(
                        "{}: {} packets",
                        path.display(),
                        self.decode.packets()
                    ));
                }
            }
            Control::Continue
        });
        self.counters = counters;
        Ok(outcome?.warning)
    }

    fn run_live(&mut self, live: &mut LiveCapture) -> Result<(), CaptureError> {
        let wait = Duration::from_millis(100);
        // Live time starts now, so an idle link still gets its stats every interval.
        let start = Timestamp::now();
        self.now = start;
        self.last_tick = start;
        self.last_stats = Some(start);
        let mut last_stats_read = Instant::now();
        while !self.stop_requested() {
            let mut counters = std::mem::take(&mut self.counters);
            let r = live.poll(wait, 4096, &mut counters, &mut |raw, counters| {
                self.on_packet(raw, counters);
                Control::Continue
            });
            self.counters = counters;
            let (n, _) = r?;
            if last_stats_read.elapsed() >= Duration::from_secs(1) {
                live.read_stats(&mut self.counters);
                last_stats_read = Instant::now();
            }
            if n == 0 {
                // Idle link: packet time follows the wall clock, so flows expire and
                // stats are written.
                let wall = Timestamp::now();
                if wall > self.now {
                    self.now = wall;
                }
                if self.now.since(self.last_tick) >= MICROS_PER_SEC {
                    let counters = self.counters.clone();
                    self.tick(false, &counters);
                }
            }
        }
        live.read_stats(&mut self.counters);
        Ok(())
    }

    fn on_packet(&mut self, raw: RawPacket<'_>, counters: &CaptureCounters) {
        let Some(meta) = decode_packet(raw.link, raw.ts, raw.data, raw.wire_len, &mut self.decode)
        else {
            return;
        };
        if meta.ts > self.now {
            self.now = meta.ts;
        }
        if self.first_ts.is_none() {
            self.first_ts = Some(meta.ts);
            self.last_tick = meta.ts;
            self.last_stats = Some(meta.ts);
        }
        let w = shard(&meta, &self.home, self.workers.len());
        if let Some(batch) = self.batches.get_mut(w) {
            batch.push(meta);
            if batch.len() >= self.batch_size {
                self.send_batch(w);
            }
        }
        self.since_tick += 1;
        if self.since_tick >= TICK_PACKETS || self.now.since(self.last_tick) >= MICROS_PER_SEC {
            self.tick(false, counters);
        }
    }

    fn send_batch(&mut self, w: usize) {
        let Some(batch) = self.batches.get_mut(w) else {
            return;
        };
        if batch.is_empty() {
            return;
        }
        let full = std::mem::replace(batch, Vec::with_capacity(self.batch_size));
        if let Some(tx) = self.workers.get(w) {
            if tx.send(WorkerMsg::Packets(full)).is_err() {
                self.broken = true;
            }
        }
    }

    /// Closes the current epoch in every worker and tells the output thread.
    fn tick(&mut self, finish: bool, counters: &CaptureCounters) {
        for w in 0..self.batches.len() {
            self.send_batch(w);
        }
        let stats = self.stats_enabled
            && (finish
                || match self.last_stats {
                    None => false,
                    Some(t) => self.now.since(t) >= self.stats_interval,
                });
        if stats {
            self.last_stats = Some(self.now);
        }
        let tick = Tick {
            epoch: self.epoch,
            now: self.now,
            stats,
            finish,
        };
        for tx in &self.workers {
            if tx.send(WorkerMsg::Tick(tick)).is_err() {
                self.broken = true;
            }
        }
        let capture = stats.then(|| {
            Box::new(CaptureStats {
                decode: self.decode.clone(),
                capture: counters.clone(),
                first_ts: self.first_ts.unwrap_or(self.now),
            })
        });
        if self
            .output
            .send(OutputMsg::Capture {
                epoch: self.epoch,
                now: self.now,
                stats: capture,
                finish,
            })
            .is_err()
        {
            self.broken = true;
        }
        self.epoch += 1;
        self.since_tick = 0;
        self.last_tick = self.now;
    }

    fn finish(&mut self) {
        let counters = self.counters.clone();
        self.tick(true, &counters);
    }
}
