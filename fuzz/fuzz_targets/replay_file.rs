//! Arbitrary bytes as a capture file through the whole `-r` path: `runtime::run` (file
//! reading, decode, flows, DNS, detectors, EVE output) with one worker and small tables,
//! so the limits and their eviction are reached too and each run stays cheap. Every EVE
//! line written must be one JSON object.
#![no_main]

use botsense::config::{Config, Overrides, RawConfig};
use botsense::runtime::{run, RunOptions};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

const CONFIG: &str = "
[flow]
max_flows = 64
[dns]
max_pending = 16
[eve]
stats_interval_s = 1
";

/// One scratch directory per fuzzing process; each input overwrites the same files.
fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch().path();
    let input = dir.join("input.pcap");
    std::fs::write(&input, data).unwrap();
    // The EVE file is opened for appending; start each input with none.
    let eve_path = dir.join("eve.json");
    let _ = std::fs::remove_file(&eve_path);
    let raw = RawConfig::from_toml(Path::new("fuzz.toml"), CONFIG).unwrap();
    let config = Config::from_raw(
        raw,
        Overrides {
            read: Some(input),
            log_dir: Some(dir.to_path_buf()),
            workers: Some(1),
            ..Overrides::default()
        },
    )
    .unwrap();
    // Not a capture, empty, unsupported link type: an error, never a panic.
    if run(config, RunOptions::default()).is_ok() {
        let eve = std::fs::read_to_string(&eve_path).unwrap();
        for line in eve.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v.is_object(), "{line}");
        }
    }
});
