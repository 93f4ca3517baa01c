//! Runs the real `botsense` binary on a capture and reads back its EVE lines.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn pcap(name: &str) -> PathBuf {
    root().join("pcaps").join(name)
}

/// One run: its exit, stderr and EVE lines.
pub struct Run {
    pub output: Output,
    pub eve_text: String,
    pub events: Vec<Value>,
    pub dir: tempfile::TempDir,
}

impl Run {
    /// A finished run whose EVE file is `log_dir/eve.json` (missing reads as empty).
    pub fn collect(output: Output, dir: tempfile::TempDir, log_dir: &Path) -> Run {
        let eve_text = std::fs::read_to_string(log_dir.join("eve.json")).unwrap_or_default();
        let events = eve_text
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON line {l:?}: {e}"))
            })
            .collect();
        Run {
            output,
            eve_text,
            events,
            dir,
        }
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn of_type(&self, t: &str) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| e["event_type"] == t)
            .collect()
    }

    /// The last `stats` event.
    pub fn final_stats(&self) -> &Value {
        self.of_type("stats")
            .last()
            .copied()
            .unwrap_or_else(|| panic!("no stats event in {}", self.eve_text))
    }

    /// A counter of the last stats event by dotted path, e.g. `stats.decoder.pkts`.
    /// A counter that is not there fails the test: a renamed counter must not read as 0.
    pub fn counter(&self, path: &str) -> u64 {
        self.counter_or_absent(path)
            .unwrap_or_else(|| panic!("no counter {path} in {}", self.final_stats()))
    }

    /// A counter of the last stats event, `None` when it is not written (counters such
    /// as `decode.errors.REASON` appear only once they are non-zero).
    pub fn counter_or_absent(&self, path: &str) -> Option<u64> {
        let mut v = self.final_stats();
        for part in path.split('.') {
            v = &v[part];
        }
        v.as_u64()
    }
}

/// `botsense -r INPUT -l TMPDIR ARGS...`
pub fn replay(input: &Path, args: &[&str]) -> Run {
    replay_under(&[], input, args)
}

/// [`replay`] under GNU time: the run and the child's peak resident set (KiB), as the
/// kernel reports it in `ru_maxrss` when the child is reaped.
pub fn replay_measured(input: &Path, args: &[&str]) -> (Run, u64) {
    const TIME: &str = "/usr/bin/time";
    assert!(
        Path::new(TIME).exists(),
        "{TIME} is missing: install the Debian package `time` (scripts/setup.sh --test does)"
    );
    let run = replay_under(&[TIME, "-f", "botsense-peak-rss-kib %M"], input, args);
    let err = run.stderr();
    let kib = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("botsense-peak-rss-kib "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS from {TIME} in: {err}"));
    (run, kib)
}

/// Runs `WRAPPER... botsense -r INPUT -l TMPDIR ARGS...`.
fn replay_under(wrapper: &[&str], input: &Path, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_botsense");
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let output = cmd
        .arg("-r")
        .arg(input)
        .arg("-l")
        .arg(dir.path())
        .args(args)
        .output()
        .expect("run botsense");
    let log = dir.path().to_path_buf();
    Run::collect(output, dir, &log)
}

/// A running sensor (`.0`), killed and reaped if a test fails before it ended.
pub struct Sensor(pub std::process::Child);

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
