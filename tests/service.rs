//! The service around the sensor: the systemd unit, readiness notification, the shipped
//! config, and signals (SIGHUP reopens the log, SIGTERM flushes and exits 0) on a live
//! capture of the loopback interface. Live capture needs root or CAP_NET_RAW; these tests
//! fail with that message otherwise (CI runs as root).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run::{pcap, root, Sensor};
use serde_json::Value;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_botsense")
}

#[test]
fn systemd_unit_is_hardened_and_verifies() {
    let unit = std::fs::read_to_string(root().join("systemd/botsense.service")).unwrap();
    for line in [
        "Type=notify",
        "User=botsense",
        "AmbientCapabilities=CAP_NET_RAW",
        "CapabilityBoundingSet=CAP_NET_RAW",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "LogsDirectory=botsense",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "ExecStartPre=/usr/local/bin/botsense --check-config -c /etc/botsense/botsense.toml",
    ] {
        assert!(unit.lines().any(|l| l == line), "unit lacks `{line}`");
    }
    assert!(unit.contains("RestrictAddressFamilies=AF_PACKET"));
    // systemd-analyze checks the executables exist: point them at the built binary.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("botsense.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/botsense", bin())).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian package systemd) is needed: scripts/setup.sh --test installs it");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("botsense.service:"), "{err}");
}

#[test]
fn shipped_config_and_logrotate_snippet_are_valid() {
    let out = Command::new(bin())
        .args(["--check-config", "-c"])
        .arg(root().join("systemd/botsense.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotate = std::fs::read_to_string(root().join("systemd/botsense.logrotate")).unwrap();
    assert!(rotate.contains("/var/log/botsense/eve.json"));
    assert!(rotate.contains("-s HUP botsense.service"));
}

#[test]
fn ready_is_notified_once_the_capture_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let out = Command::new(bin())
        .arg("-r")
        .arg(pcap("flows-basic.pcap"))
        .arg("-l")
        .arg(dir.path())
        .arg("-q")
        .env("NOTIFY_SOCKET", &sock_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut buf = [0u8; 64];
    let n = sock.recv(&mut buf).expect("no READY=1 notification");
    assert_eq!(&buf[..n], b"READY=1");
}

fn start_live(dir: &Path) -> Sensor {
    let cfg = dir.join("live.toml");
    std::fs::write(&cfg, "[eve]\nstats_interval_s = 1\n").unwrap();
    Command::new(bin())
        .args(["-i", "lo", "-q", "-c"])
        .arg(&cfg)
        .arg("-l")
        .arg(dir)
        .stderr(Stdio::piped())
        .spawn()
        .map(Sensor)
        .unwrap()
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

fn wait_for_lines(path: &Path, n: usize, child: &mut Child) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        let lines = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .count();
        if lines >= n {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            use std::io::Read;
            if let Some(mut e) = child.stderr.take() {
                e.read_to_string(&mut err).ok();
            }
            panic!(
                "botsense -i lo exited ({status}): {err} (live capture needs root or CAP_NET_RAW)"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{} never reached {n} lines", path.display());
}

#[test]
fn sighup_reopens_the_log_and_every_line_lands_in_exactly_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let eve = dir.path().join("eve.json");
    let mut sensor = start_live(dir.path());
    let child = &mut sensor.0;
    wait_for_lines(&eve, 2, child);
    let rotated = dir.path().join("eve.json.1");
    std::fs::rename(&eve, &rotated).unwrap();
    signal(child, "-HUP");
    wait_for_lines(&eve, 2, child);
    signal(child, "-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");

    let old = std::fs::read_to_string(&rotated).unwrap();
    let new = std::fs::read_to_string(&eve).unwrap();
    assert!(!old.is_empty() && !new.is_empty());
    assert!(old.ends_with('\n') && new.ends_with('\n'), "no torn line");
    // Every line parses (none is torn), no line is in both files, and the stats events'
    // timestamps increase through the old file and on into the new one (none is missing
    // or repeated across the reopen). Other events may share a timestamp with a stats
    // event: live traffic on `lo` from other tests is captured too.
    let mut stats_stamps = Vec::new();
    for text in [&old, &new] {
        for l in text.lines() {
            let e: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            if e["event_type"] == "stats" {
                stats_stamps.push(e["timestamp"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(stats_stamps.len() >= 4, "{old}\n---\n{new}");
    assert!(
        stats_stamps.windows(2).all(|w| w[0] < w[1]),
        "stats timestamps do not increase: {stats_stamps:?}"
    );
    let old_lines: std::collections::HashSet<&str> = old.lines().collect();
    let both: Vec<&str> = new.lines().filter(|l| old_lines.contains(l)).collect();
    assert!(both.is_empty(), "lines in both files: {both:?}");
}

#[test]
fn sigterm_flushes_pending_flows_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let eve = dir.path().join("eve.json");
    let mut sensor = start_live(dir.path());
    let child = &mut sensor.0;
    wait_for_lines(&eve, 1, child);
    // A UDP flow that is still open (udp_timeout_s is 120 s) when the signal arrives.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    for _ in 0..3 {
        sock.send_to(b"pending", "127.0.0.1:9").unwrap();
    }
    std::thread::sleep(Duration::from_millis(1500));
    signal(child, "-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let text = std::fs::read_to_string(&eve).unwrap();
    let flow = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["event_type"] == "flow" && e["src_port"] == port && e["dest_port"] == 9)
        .unwrap_or_else(|| panic!("pending flow not written at shutdown:\n{text}"));
    assert_eq!(flow["flow"]["reason"], "shutdown");
    assert_eq!(flow["flow"]["pkts_toserver"], 3);
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["event_type"], "stats", "final stats written last");
}
