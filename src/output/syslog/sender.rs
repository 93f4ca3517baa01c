//! The `syslog` thread's loop: takes events from the bounded queue, formats them, and
//! writes them to the receiver; reconnects with exponential backoff; at the end of the
//! run drains the queue for at most `drain_timeout_s`.
//!
//! An event is taken off the queue and held until its frame is written; while the
//! receiver is down it is retried and everything behind it waits in the queue (so the
//! queue holds `queue_size` events plus the one in hand).

use super::message::Header;
use super::transport::{Connection, Connector};
use super::{SyslogConfig, SyslogCounters, SyslogEvent};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Problems are logged at most this often; counters count every one.
const LOG_INTERVAL: Duration = Duration::from_secs(60);
/// A connect or write that takes longer fails (and is retried after the backoff).
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Exponential backoff between reconnects: `min`, doubling up to `max`, back to `min`
/// after a success. Time is passed in.
#[derive(Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            next: min,
        }
    }

    /// The wait before the next attempt; each failure doubles the one after.
    pub fn failed(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    pub fn succeeded(&mut self) {
        self.next = self.min;
    }
}

/// What the sender did, for the end-of-run summary.
#[derive(Debug, Default, Clone)]
pub struct SyslogReport {
    pub counters: Vec<(&'static str, u64)>,
    /// Events still queued when the drain timed out (also counted as dropped).
    pub abandoned: u64,
}

/// The `syslog` thread's state.
pub struct SyslogSender {
    header: Header,
    connector: Connector,
    counters: Arc<SyslogCounters>,
    /// Set by the runtime once the output thread is done: start the drain clock.
    closing: Arc<AtomicBool>,
    drain_timeout: Duration,
    backoff: Backoff,
    target: String,
}

impl SyslogSender {
    pub fn new(
        config: &SyslogConfig,
        connector: Connector,
        counters: Arc<SyslogCounters>,
        closing: Arc<AtomicBool>,
    ) -> Self {
        SyslogSender {
            header: Header {
                facility: config.facility,
                hostname: config.hostname.clone(),
                procid: std::process::id(),
                max_message_bytes: config.max_message_bytes,
            },
            connector,
            counters,
            closing,
            drain_timeout: Duration::from_secs(config.drain_timeout_s),
            backoff: Backoff::new(
                Duration::from_millis(config.reconnect_min_ms),
                Duration::from_millis(config.reconnect_max_ms),
            ),
            target: format!("{}:{}", config.url.host, config.url.port),
        }
    }

    /// Runs until the queue is closed and empty, or the drain at exit timed out.
    pub fn run(mut self, rx: Receiver<SyslogEvent>) -> SyslogReport {
        let c = Arc::clone(&self.counters);
        let mut conn: Option<Connection> = None;
        let mut ever_connected = false;
        let mut pending: Option<Vec<u8>> = None;
        let mut next_attempt = Instant::now();
        let mut deadline: Option<Instant> = None;
        let mut scratch = Vec::with_capacity(9000);
        let mut log = ProblemLog::new(Arc::clone(&c));
        loop {
            let now = Instant::now();
            if deadline.is_none() && self.closing.load(Ordering::Relaxed) {
                deadline = Some(now + self.drain_timeout);
            }
            if deadline.is_some_and(|d| now >= d) {
                break;
            }
            log.maybe_log(&self.target, now, false);
            let msg = match pending.take() {
                Some(m) => m,
                None => match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(e) => match self.header.format(&e) {
                        Some(m) => {
                            if m.trimmed {
                                SyslogCounters::add(&c.trimmed, 1);
                            }
                            m.bytes
                        }
                        None => {
                            SyslogCounters::add(&c.errors, 1);
                            log.problem("an event that cannot be formatted was skipped");
                            continue;
                        }
                    },
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                },
            };
            if conn.as_mut().is_some_and(|k| k.peer_closed()) {
                conn = None;
                next_attempt = now;
            }
            if conn.is_none() {
                if now < next_attempt {
                    pending = Some(msg);
                    let wait = next_attempt - now;
                    std::thread::sleep(wait.min(Duration::from_millis(50)));
                    continue;
                }
                match self.connector.connect(deadline) {
                    Ok(k) => {
                        if ever_connected {
                            SyslogCounters::add(&c.reconnects, 1);
                        }
                        ever_connected = true;
                        conn = Some(k);
                    }
                    Err(e) => {
                        SyslogCounters::add(&c.errors, 1);
                        log.problem(&format!("cannot connect: {e}"));
                        next_attempt = Instant::now() + self.backoff.failed();
                        pending = Some(msg);
                        continue;
                    }
                }
            }
            let Some(k) = conn.as_mut() else {
                pending = Some(msg);
                continue;
            };
            // A receiver that stopped reading must not hold the exit past the drain, even
            // with a write already waiting when the run ends: the drain clock starts the
            // moment the write sees the run is closing.
            let drain_end = std::cell::Cell::new(deadline);
            let drain_over = || {
                if drain_end.get().is_none() && self.closing.load(Ordering::Relaxed) {
                    drain_end.set(Some(Instant::now() + self.drain_timeout));
                }
                drain_end.get().is_some_and(|d| Instant::now() >= d)
            };
            let sent = k.send(&msg, &mut scratch, &drain_over);
            deadline = drain_end.get();
            match sent {
                Ok(()) => {
                    SyslogCounters::add(&c.sent, 1);
                    self.backoff.succeeded();
                }
                Err(e) => {
                    SyslogCounters::add(&c.errors, 1);
                    log.problem(&format!("cannot send: {e}"));
                    conn = None;
                    next_attempt = Instant::now() + self.backoff.failed();
                    pending = Some(msg);
                }
            }
        }
        let abandoned = u64::from(pending.is_some()) + rx.len() as u64;
        SyslogCounters::add(&c.dropped, abandoned);
        if abandoned > 0 {
            log.problem(&format!(
                "{abandoned} events still queued after the {} s drain were dropped",
                self.drain_timeout.as_secs()
            ));
        }
        log.maybe_log(&self.target, Instant::now(), true);
        SyslogReport {
            counters: c.snapshot().to_vec(),
            abandoned,
        }
    }
}

/// Logs problems and drops at most once per [`LOG_INTERVAL`], with what happened since.
struct ProblemLog {
    counters: Arc<SyslogCounters>,
    last: Option<Instant>,
    first_problem: Option<String>,
    problems: u64,
    dropped_logged: u64,
}

impl ProblemLog {
    fn new(counters: Arc<SyslogCounters>) -> Self {
        ProblemLog {
            counters,
            last: None,
            first_problem: None,
            problems: 0,
            dropped_logged: 0,
        }
    }

    fn problem(&mut self, what: &str) {
        self.problems += 1;
        if self.first_problem.is_none() {
            self.first_problem = Some(what.to_string());
        }
    }

    fn maybe_log(&mut self, target: &str, now: Instant, force: bool) {
        if !force
            && self
                .last
                .is_some_and(|l| now.duration_since(l) < LOG_INTERVAL)
        {
            return;
        }
        let dropped = self.counters.dropped.load(Ordering::Relaxed);
        let new_drops = dropped - self.dropped_logged.min(dropped);
        if self.problems == 0 && new_drops == 0 {
            return;
        }
        let mut parts = Vec::new();
        if let Some(p) = self.first_problem.take() {
            parts.push(match self.problems {
                1 => p,
                n => format!("{n} failures since the last report, the first: {p}"),
            });
        }
        if new_drops > 0 {
            parts.push(format!("{new_drops} events dropped"));
        }
        let line = format!("botsense: warning: syslog {target}: {}", parts.join("; "));
        eprintln!("{line}");
        self.problems = 0;
        self.dropped_logged = dropped;
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_max_and_resets_on_success() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(100), ms(1000));
        let waits: Vec<_> = (0..6).map(|_| b.failed()).collect();
        assert_eq!(
            waits,
            [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]
        );
        b.succeeded();
        assert_eq!(b.failed(), ms(100));
    }
}
