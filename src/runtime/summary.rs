//! What a run reports when it ends: the stderr summary of an offline replay.

use crate::capture::file::FileWarning;
use crate::capture::CaptureCounters;
use crate::decode::DecodeCounters;
use crate::output::stats::StatsSnapshot;
use crate::output::syslog::sender::SyslogReport;
use std::fmt;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct CaptureReport {
    pub files: u64,
    pub warnings: Vec<FileWarning>,
    /// Files that could not be read at all.
    pub errors: Vec<String>,
    pub decode: DecodeCounters,
    pub capture: CaptureCounters,
    pub stopped_by_signal: bool,
}

#[derive(Debug, Default)]
pub struct OutputReport {
    pub flow_events: u64,
    pub dns_events: u64,
    pub alert_events: u64,
    pub stats_events: u64,
    pub last_stats: Option<StatsSnapshot>,
}

/// The end-of-run summary.
#[derive(Debug)]
pub struct RunSummary {
    pub capture: CaptureReport,
    pub output: OutputReport,
    /// Syslog counters after the drain, when forwarding was on.
    pub syslog: Option<SyslogReport>,
    pub wall: Duration,
}

impl RunSummary {
    pub(crate) fn new(
        capture: CaptureReport,
        output: OutputReport,
        syslog: Option<SyslogReport>,
        wall: Duration,
    ) -> Self {
        RunSummary {
            capture,
            output,
            syslog,
            wall,
        }
    }

    /// Some input could not be read (the exit status says so).
    pub fn had_errors(&self) -> bool {
        !self.capture.errors.is_empty()
    }

    fn botsense_counter(&self, name: &str) -> u64 {
        self.output
            .last_stats
            .as_ref()
            .and_then(|s| s.botsense.get(name).copied())
            .unwrap_or(0)
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.capture.decode;
        let secs = self.wall.as_secs_f64().max(1e-9);
        writeln!(f, "botsense summary")?;
        writeln!(
            f,
            "  packets      {} ({} bytes) from {} file(s)",
            d.packets(),
            d.bytes(),
            self.capture.files
        )?;
        writeln!(
            f,
            "  flows        {} ({} evicted)",
            self.botsense_counter("flow.created"),
            self.botsense_counter("flow.evicted")
        )?;
        writeln!(
            f,
            "  dns          {} transactions, {} unanswered, {} malformed",
            self.botsense_counter("dns.transactions"),
            self.botsense_counter("dns.unanswered"),
            self.botsense_counter("dns.malformed")
        )?;
        let mut errors = Vec::new();
        d.for_each_error(|k, v| errors.push(format!("{k}={v}")));
        writeln!(
            f,
            "  decode skips {}{}",
            d.errors_total(),
            if errors.is_empty() {
                String::new()
            } else {
                format!(" ({})", errors.join(", "))
            }
        )?;
        let mut alerts = Vec::new();
        if let Some(s) = &self.output.last_stats {
            for (k, v) in &s.botsense {
                if let Some(name) = k.strip_prefix("alerts.") {
                    alerts.push(format!("{name}={v}"));
                }
            }
        }
        writeln!(
            f,
            "  alerts       {}{}",
            self.output.alert_events,
            if alerts.is_empty() {
                String::new()
            } else {
                format!(" ({})", alerts.join(", "))
            }
        )?;
        if let Some(r) = &self.syslog {
            let parts: Vec<String> = r
                .counters
                .iter()
                .map(|(k, v)| format!("{}={v}", k.trim_start_matches("output.syslog.")))
                .collect();
            writeln!(f, "  syslog       {}", parts.join(", "))?;
        }
        for w in &self.capture.warnings {
            writeln!(f, "  warning      {w}")?;
        }
        for e in &self.capture.errors {
            writeln!(f, "  error        {e}")?;
        }
        write!(
            f,
            "  wall time    {:.3} s, {:.0} packets/s",
            self.wall.as_secs_f64(),
            d.packets() as f64 / secs
        )
    }
}
