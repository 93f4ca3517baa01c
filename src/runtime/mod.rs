//! Runtime: the only module that spawns threads. Wires capture → workers → output.
//!
//! ```text
//!  capture ──Packets(batch)/Tick──► worker-0..N ──WorkerEpoch──► output ──► eve.json
//!     └──────────────CaptureEpoch──────────────────────────────────┘
//! ```
//!
//! * The `capture` thread reads packets, decodes them, and sends each packet's meta to
//!   the worker that owns its host (see [`shard`]), in batches over bounded channels.
//! * Every 8192 packets or second of packet time it closes an *epoch*: it sends a
//!   [`Tick`] to every worker. A worker then expires flows and DNS queries, ticks its
//!   detectors, and sends the EVE lines of that epoch to `output`.
//! * `output` writes an epoch once every worker and the capture thread have reported
//!   it, sorted by (timestamp, line): the file is identical for any number of workers.
//! * Shutdown (end of input, SIGINT/SIGTERM) is a final tick with `finish` set: workers
//!   flush flows, DNS and detectors, output writes the last stats and flushes the file.
//! * With a syslog URL, `output` offers each forwarded line, once written, to a bounded
//!   queue read by the `syslog` thread ([`crate::output::syslog`]); it never waits for
//!   room. Once `output` is done, `syslog` drains the queue for at most
//!   `syslog.drain_timeout_s`.

mod capture_loop;
mod notify;
mod output_loop;
mod shard;
mod signals;
mod summary;
mod worker;

pub use notify::{notify, notify_systemd};
pub use shard::shard;
pub use signals::Signals;
pub use summary::RunSummary;

use crate::capture::CaptureError;
use crate::config::Config;
use crate::decode::PacketMeta;
use crate::output::syslog::sender::{self, SyslogReport, SyslogSender};
use crate::output::syslog::transport::Connector;
use crate::output::syslog::{SyslogConfig, SyslogCounters};
use crate::time::Timestamp;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Packets sent to one worker between ticks arrive in batches of this many at most.
pub(crate) const TICK_PACKETS: u64 = 8192;

/// Something that stopped the run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("no capture source: give -r FILE|DIR or -i IFACE")]
    NoSource,
    #[error("cannot open EVE log {path}: {error}")]
    EveOpen {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("writing EVE log {path}: {error}")]
    EveWrite {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("cannot start thread {name}: {error}")]
    Thread { name: String, error: std::io::Error },
    #[error("thread {0} ended abnormally")]
    ThreadPanicked(String),
    #[error(transparent)]
    SyslogTls(#[from] crate::output::syslog::transport::TlsSetupError),
}

/// How the run is driven from outside.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Show a progress line on stderr while replaying (only when it is a terminal).
    pub progress: bool,
    pub signals: Option<Arc<Signals>>,
    /// Called once the capture source is open (systemd's READY=1).
    pub on_ready: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// Closes an epoch in every worker.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tick {
    pub epoch: u64,
    pub now: Timestamp,
    /// Publish counters with this epoch (a `stats` event follows its lines).
    pub stats: bool,
    /// Last epoch: flush everything.
    pub finish: bool,
}

pub(crate) enum WorkerMsg {
    Packets(Vec<PacketMeta>),
    Tick(Tick),
}

/// Starts a named thread; failing to start one is a run error naming it.
fn spawn<T: Send + 'static>(
    name: String,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<std::thread::JoinHandle<T>, RunError> {
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(f)
        .map_err(|error| RunError::Thread { name, error })
}

/// Runs botsense until the input ends or a stop signal arrives.
pub fn run(config: Config, opts: RunOptions) -> Result<RunSummary, RunError> {
    let config = Arc::new(config);
    let started = std::time::Instant::now();
    let source = config.source.clone().ok_or(RunError::NoSource)?;
    // Open the input before any thread starts, so a bad file or interface fails fast
    // with nothing written.
    let input = capture_loop::Input::open(&source, &config)?;

    let eve_path = config.log_dir.join(&config.eve.filename);
    let eve = crate::output::file::EveFile::open(&eve_path).map_err(|error| RunError::EveOpen {
        path: eve_path.clone(),
        error,
    })?;

    let workers = config.workers;
    let (out_tx, out_rx) = crossbeam_channel::bounded(config.runtime.output_queue);
    let mut worker_txs = Vec::with_capacity(workers);
    let mut handles = Vec::new();
    for id in 0..workers {
        let (tx, rx) = crossbeam_channel::bounded(config.runtime.channel_batches);
        worker_txs.push(tx);
        let w = worker::Worker::new(id, &config, out_tx.clone());
        handles.push(spawn(format!("worker-{id}"), move || w.run(rx))?);
    }

    let syslog = match &config.syslog {
        Some(s) => Some(SyslogThread::start(s)?),
        None => None,
    };
    let tap = syslog.as_ref().map(|s| s.tap.clone());
    let output = output_loop::Output::new(&config, eve, workers, opts.signals.clone(), tap);
    let output_handle = spawn("output".into(), move || output.run(out_rx))?;

    if let Some(ready) = &opts.on_ready {
        ready();
    }
    let capture = capture_loop::CaptureLoop::new(&config, worker_txs, out_tx, opts.clone());
    let capture_handle = spawn("capture".into(), move || capture.run(input))?;

    // Join every thread before judging any: a panicked thread must not keep the output
    // thread from flushing what it has, or the syslog thread from draining.
    let capture_result = capture_handle
        .join()
        .map_err(|_| RunError::ThreadPanicked("capture".into()));
    let worker_panicked = handles
        .into_iter()
        .enumerate()
        .filter_map(|(i, h)| h.join().is_err().then_some(i))
        .collect::<Vec<_>>();
    let output_result = output_handle
        .join()
        .map_err(|_| RunError::ThreadPanicked("output".into()));
    let syslog_report = syslog.map(SyslogThread::finish).transpose();

    let capture_report = capture_result??;
    if let Some(i) = worker_panicked.first() {
        return Err(RunError::ThreadPanicked(format!("worker-{i}")));
    }
    let output_result = output_result?;
    let syslog_report = syslog_report?;
    let output_report = output_result.map_err(|error| RunError::EveWrite {
        path: eve_path,
        error,
    })?;
    Ok(RunSummary::new(
        capture_report,
        output_report,
        syslog_report,
        started.elapsed(),
    ))
}

/// The `syslog` thread and the output thread's end of its queue.
struct SyslogThread {
    tap: output_loop::SyslogTap,
    closing: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<SyslogReport>,
}

impl SyslogThread {
    fn start(config: &SyslogConfig) -> Result<Self, RunError> {
        let connector = Connector::new(config, sender::IO_TIMEOUT)?;
        let counters = Arc::new(SyslogCounters::default());
        let closing = Arc::new(AtomicBool::new(false));
        let (tx, rx) = crossbeam_channel::bounded(config.queue_size);
        let sender = SyslogSender::new(
            config,
            connector,
            Arc::clone(&counters),
            Arc::clone(&closing),
        );
        let handle = spawn("syslog".into(), move || sender.run(rx))?;
        Ok(SyslogThread {
            tap: output_loop::SyslogTap {
                tx,
                types: config.event_types,
                counters,
            },
            closing,
            handle,
        })
    }

    /// Called once `output` is done: closes the queue, lets the sender drain it within
    /// its timeout, and returns its report.
    fn finish(self) -> Result<SyslogReport, RunError> {
        drop(self.tap);
        self.closing.store(true, Ordering::Relaxed);
        self.handle
            .join()
            .map_err(|_| RunError::ThreadPanicked("syslog".into()))
    }
}
