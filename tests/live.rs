//! Live capture through the real binary, on a veth pair inside a network namespace each
//! test owns: `pcaps/live/beacon-fast.pcap` replayed onto one end with tcpreplay at its
//! own timing gives the same alerts as the offline replay of the file, and the final
//! stats carry the kernel's counters. Least privilege: capture works as `nobody` with
//! only CAP_NET_RAW and fails with a message naming what is missing without it, and an
//! offline run as `nobody` writes nothing outside its log directory (seen with strace).
//!
//! Namespaces, setpriv and strace need root: these tests fail saying so otherwise (CI
//! runs as root). The tools come from `scripts/setup.sh --test`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run::{pcap, replay, Run};
use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A beacon every 1.5 s for ~23 s plus one IRC connection (see pcaps/README.md).
const BEACON_FAST: &str = "live/beacon-fast.pcap";

/// The live tests' config: a 1.5 s beacon is under the default 2 s burst floor, and a
/// slower one would not replay in real time within a test. The offline replay the live
/// run is compared with uses the same file.
const LIVE_CONFIG: &str = "[detect.beacon]\nmin_median_interval_s = 1.0\n";

/// How long the sensor gets to open the interface, and a stopped one to exit.
const PATIENCE: Duration = Duration::from_secs(20);

/// Time for the kernel ring to drain into the sensor after the last packet is sent.
const DRAIN: Duration = Duration::from_millis(1500);

/// setpriv arguments that switch to `nobody` keeping CAP_NET_RAW and nothing else.
const NOBODY_NET_RAW: &[&str] = &[
    "--reuid=nobody",
    "--regid=nogroup",
    "--clear-groups",
    "--inh-caps=+net_raw",
    "--ambient-caps=+net_raw",
    "--bounding-set=-all,+net_raw",
];

/// setpriv arguments that switch to `nobody` with no capability at all.
const NOBODY_NO_CAPS: &[&str] = &[
    "--reuid=nobody",
    "--regid=nogroup",
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
];

fn require_root() {
    let out = Command::new("id").arg("-u").output().expect("id");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "0",
        "tests/live.rs creates network namespaces and switches users: run it as root (CI does)"
    );
}

/// Runs `cmd`, panicking with its stderr unless it succeeds.
fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/setup.sh --test installs the tools)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn uid_of(user: &str) -> u32 {
    let out = run_ok(Command::new("id").args(["-u", user]));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// A network namespace holding a veth pair `veth-tx` ↔ `veth-rx`, both up. Dropping it
/// deletes the namespace and the pair with it, also when the test failed.
struct VethNamespace {
    name: String,
}

impl VethNamespace {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "botsense-live-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run_ok(Command::new("ip").args(["netns", "add", &name]));
        let ns = VethNamespace { name };
        ns.ip(&[
            "link", "add", "veth-tx", "type", "veth", "peer", "name", "veth-rx",
        ]);
        for dev in ["veth-tx", "veth-rx"] {
            // No IPv6 link-local address, so the kernel sends no router solicitations
            // or MLD reports of its own: the link carries only what tcpreplay sends.
            ns.ip(&["link", "set", dev, "addrgenmode", "none"]);
            ns.ip(&["link", "set", dev, "up"]);
        }
        ns
    }

    fn ip(&self, args: &[&str]) -> Output {
        run_ok(Command::new("ip").arg("-n").arg(&self.name).args(args))
    }

    /// `ip netns exec NS`, the program to follow: `ip` execs it (and setpriv the
    /// sensor), so the child's pid is the sensor's.
    fn exec(&self) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]);
        c
    }

    /// Replays `capture` onto `veth-tx` at its own timing (tcpreplay stamps nothing: the
    /// receiving kernel does, so only real timing keeps the file's intervals) and
    /// returns how many packets tcpreplay sent.
    fn tcpreplay(&self, capture: &Path) -> u64 {
        let out = run_ok(
            self.exec()
                .args(["tcpreplay", "-i", "veth-tx", "--multiplier=1"])
                .arg(capture),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find_map(|l| l.trim().strip_prefix("Successful packets:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no packet count in tcpreplay's output:\n{text}"))
    }

    fn promiscuity(&self, dev: &str) -> u64 {
        let out = self.ip(&["-d", "link", "show", dev]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut words = text.split_whitespace();
        words
            .find(|w| *w == "promiscuity")
            .and_then(|_| words.next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no promiscuity in {text}"))
    }
}

impl Drop for VethNamespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A directory `nobody` can read (the checkout may sit under root's home): the binary,
/// the config, the readiness socket, and `log/`, owned by `nobody`.
struct Workdir {
    dir: tempfile::TempDir,
    bin: PathBuf,
    config: PathBuf,
    log: PathBuf,
}

impl Workdir {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        let bin = dir.path().join("botsense");
        std::fs::copy(env!("CARGO_BIN_EXE_botsense"), &bin).unwrap();
        chmod(&bin, 0o755);
        let config = dir.path().join("live.toml");
        std::fs::write(&config, LIVE_CONFIG).unwrap();
        chmod(&config, 0o644);
        let log = dir.path().join("log");
        std::fs::create_dir(&log).unwrap();
        run_ok(Command::new("chown").arg("nobody:nogroup").arg(&log));
        Workdir {
            dir,
            bin,
            config,
            log,
        }
    }

    /// A copy of a bundled capture that `nobody` can read.
    fn capture(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name.replace('/', "-"));
        std::fs::copy(pcap(name), &path).unwrap();
        chmod(&path, 0o644);
        path
    }

    /// `botsense -i IFACE -q -c CONFIG -l LOG` appended to `cmd`.
    fn sensor_args(&self, cmd: &mut Command, iface: &str) {
        cmd.arg(&self.bin)
            .args(["-i", iface, "-q", "-c"])
            .arg(&self.config)
            .arg("-l")
            .arg(&self.log);
    }

    /// The finished run with its EVE lines, each checked against the schema.
    fn into_run(self, output: Output) -> Run {
        let log = self.log.clone();
        let run = Run::collect(output, self.dir, &log);
        for line in run.eve_text.lines() {
            common::assert_valid_eve_line(line);
        }
        run
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A running `botsense -i`, started with `$NOTIFY_SOCKET`; killed on drop unless the
/// test stopped it.
struct Sensor {
    child: Option<Child>,
}

impl Sensor {
    /// Starts `cmd` and waits for READY=1, which the sensor sends once the capture is
    /// open. The socket is a path, so it reaches the host from inside the namespace.
    fn start(mut cmd: Command, work: &Workdir) -> Sensor {
        let path = work.dir.path().join("notify");
        let sock = UnixDatagram::bind(&path).unwrap();
        chmod(&path, 0o777);
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let child = cmd
            .env("NOTIFY_SOCKET", &path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        let mut sensor = Sensor { child: Some(child) };
        let t0 = Instant::now();
        let mut buf = [0u8; 64];
        while t0.elapsed() < PATIENCE {
            if let Ok(n) = sock.recv(&mut buf) {
                if buf.get(..n) == Some(b"READY=1".as_slice()) {
                    return sensor;
                }
            }
            if let Some(out) = sensor.exited() {
                panic!(
                    "botsense exited before READY=1 ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        panic!("botsense sent no READY=1 within {PATIENCE:?}");
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The output, if the process has exited.
    fn exited(&mut self) -> Option<Output> {
        let child = self.child.as_mut()?;
        child.try_wait().ok()??;
        self.child.take()?.wait_with_output().ok()
    }

    /// SIGTERM, then the output once it exited (within [`PATIENCE`]).
    fn stop(mut self) -> Output {
        run_ok(Command::new("kill").args(["-TERM", &self.pid().to_string()]));
        let t0 = Instant::now();
        while t0.elapsed() < PATIENCE {
            if let Some(out) = self.exited() {
                return out;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("botsense did not exit within {PATIENCE:?} of SIGTERM");
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What identifies an alert across a live and an offline run (not timestamps, which
/// live are capture times): signature, endpoints, protocol.
type AlertKey = (u64, String, u64, String, u64, String);

fn alert_keys(run: &Run) -> Vec<AlertKey> {
    let mut keys: Vec<AlertKey> = run
        .of_type("alert")
        .into_iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            (
                a["alert"]["signature_id"].as_u64().unwrap(),
                s("src_ip"),
                a["src_port"].as_u64().unwrap_or(0),
                s("dest_ip"),
                a["dest_port"].as_u64().unwrap_or(0),
                s("proto"),
            )
        })
        .collect();
    keys.sort();
    keys
}

/// (detector, src_ip, dest_ip, dest_port) of every alert.
fn alert_summary(run: &Run) -> BTreeSet<(String, String, String, u64)> {
    run.of_type("alert")
        .into_iter()
        .map(|a| {
            (
                a["botsense"]["detector"].as_str().unwrap().to_string(),
                a["src_ip"].as_str().unwrap().to_string(),
                a["dest_ip"].as_str().unwrap().to_string(),
                a["dest_port"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn summary(items: &[(&str, &str, &str, u64)]) -> BTreeSet<(String, String, String, u64)> {
    items
        .iter()
        .map(|(d, s, ip, port)| (d.to_string(), s.to_string(), ip.to_string(), *port))
        .collect()
}

/// A counter of the final stats event that must be present.
fn kernel_counter(run: &Run, name: &str) -> u64 {
    run.final_stats()["stats"]["capture"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no stats.capture.{name} in {}", run.final_stats()))
}

fn packets_in(name: &str) -> u64 {
    let s = botsense::pcapgen::bundled()
        .into_iter()
        .find(|s| s.file == name)
        .unwrap();
    s.packets().unwrap().len() as u64
}

/// Replays the bundled `capture` onto `veth-tx`, lets the ring drain, stops the sensor
/// and checks it exited 0. Returns the packets sent and the sensor's output.
fn feed_and_stop(ns: &VethNamespace, sensor: Sensor, capture: &str) -> (u64, Output) {
    let sent = ns.tcpreplay(&pcap(capture));
    std::thread::sleep(DRAIN);
    let out = sensor.stop();
    assert!(
        out.status.success(),
        "{}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (sent, out)
}

#[test]
fn fast_beacon_stays_a_burst_under_the_default_config() {
    // The live config lowers one key; the defaults still call a 1.5 s series a burst.
    let r = replay(&pcap(BEACON_FAST), &["-q"]);
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(
        alert_summary(&r),
        summary(&[("c2_port", "10.1.0.22", "203.0.113.67", 6667)]),
        "{}",
        r.eve_text
    );
}

#[test]
fn beacon_capture_replayed_onto_a_veth_gives_the_offline_alerts_and_kernel_counters() {
    require_root();
    let work = Workdir::new();
    let offline = replay(
        &pcap(BEACON_FAST),
        &["-q", "-c", work.config.to_str().unwrap()],
    );
    assert_eq!(offline.code(), Some(0), "{}", offline.stderr());
    // The comparison means something only if the capture alerts (pcaps/README.md).
    assert_eq!(
        alert_summary(&offline),
        summary(&[
            ("beacon", "10.1.0.21", "198.51.100.45", 8081),
            ("c2_port", "10.1.0.22", "203.0.113.67", 6667),
        ]),
        "{}",
        offline.eve_text
    );

    let ns = VethNamespace::new();
    let mut cmd = ns.exec();
    work.sensor_args(&mut cmd, "veth-rx");
    let sensor = Sensor::start(cmd, &work);
    let (sent, out) = feed_and_stop(&ns, sensor, BEACON_FAST);
    assert_eq!(sent, packets_in(BEACON_FAST));
    let live = work.into_run(out);

    assert_eq!(
        alert_keys(&live),
        alert_keys(&offline),
        "live alerts differ from offline:\n{}\n--- offline:\n{}",
        live.eve_text,
        offline.eve_text
    );
    // libpcap's pcap_stats: every packet tcpreplay sent reached the socket, none was
    // dropped at this rate (~10 packets a second into a 64 MiB ring).
    let received = kernel_counter(&live, "kernel_packets");
    assert!(received >= sent, "kernel_packets {received} < {sent} sent");
    assert_eq!(kernel_counter(&live, "kernel_drops"), 0);
    kernel_counter(&live, "kernel_ifdrops");
    assert!(live.counter("stats.decoder.pkts") >= sent);
}

#[test]
fn capture_as_nobody_with_only_cap_net_raw_writes_alerts_to_its_log_dir() {
    require_root();
    let work = Workdir::new();
    let ns = VethNamespace::new();
    let mut cmd = ns.exec();
    cmd.arg("setpriv").args(NOBODY_NET_RAW);
    work.sensor_args(&mut cmd, "veth-rx");
    let sensor = Sensor::start(cmd, &work);

    // The capture runs as nobody with CAP_NET_RAW alone (bit 13) effective, and that
    // was enough to put the interface in promiscuous mode.
    let status = std::fs::read_to_string(format!("/proc/{}/status", sensor.pid())).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    let nobody = uid_of("nobody");
    // Real, effective, saved and filesystem uid.
    let uids: Vec<String> = field("Uid:").split_whitespace().map(String::from).collect();
    assert_eq!(uids, vec![nobody.to_string(); 4], "{status}");
    assert_eq!(field("CapEff:"), format!("{:016x}", 1u64 << 13), "{status}");
    assert_eq!(ns.promiscuity("veth-rx"), 1);

    let (sent, out) = feed_and_stop(&ns, sensor, "detect/seed-t1583-3-irc-6667.pcap");
    assert!(sent > 0);
    let eve = work.log.join("eve.json");
    assert_eq!(std::fs::metadata(&eve).unwrap().uid(), nobody);
    let run = work.into_run(out);
    assert_eq!(
        alert_summary(&run),
        summary(&[("c2_port", "10.1.0.11", "198.51.100.67", 6667)]),
        "{}",
        run.eve_text
    );
    assert!(kernel_counter(&run, "kernel_packets") >= sent);
}

#[test]
fn capture_without_cap_net_raw_fails_naming_the_interface_and_the_capability() {
    require_root();
    let work = Workdir::new();
    let mut cmd = Command::new("setpriv");
    cmd.args(NOBODY_NO_CAPS);
    work.sensor_args(&mut cmd, "lo");
    // Started like a service, so a sensor that wrongly keeps running is stopped.
    let mut sensor = Sensor {
        child: Some(cmd.stderr(Stdio::piped()).spawn().unwrap()),
    };
    let t0 = Instant::now();
    let out = loop {
        if let Some(out) = sensor.exited() {
            break out;
        }
        assert!(
            t0.elapsed() < PATIENCE,
            "botsense -i lo kept running without CAP_NET_RAW"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}: {err}", out.status);
    for needle in ["interface lo", "no permission to capture", "CAP_NET_RAW"] {
        assert!(err.contains(needle), "stderr lacks `{needle}`: {err}");
    }
    assert!(
        !work.log.join("eve.json").exists(),
        "a failed start wrote eve.json"
    );
}

/// Syscalls that create, remove, rename or change a file by path (strace's `%file`
/// class, less those that only look).
const MUTATING: &[&str] = &[
    "creat",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "truncate",
    "chmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "lchown",
    "fchownat",
    "utime",
    "utimes",
    "futimesat",
    "utimensat",
    "setxattr",
    "lsetxattr",
    "removexattr",
    "lremovexattr",
];

const WRITE_FLAGS: &[&str] = &[
    "O_WRONLY",
    "O_RDWR",
    "O_CREAT",
    "O_TRUNC",
    "O_APPEND",
    "O_TMPFILE",
];

/// Every path a `strace -f -y -s 4096 -e trace=%file` log shows written, created,
/// removed or changed, attempted or done, resolved against its directory descriptor
/// (`-y` prints `AT_FDCWD</cwd>` and `3</dir>`) or `cwd`.
fn written_paths(trace: &str, cwd: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for line in trace.lines() {
        // `PID name(args) = ret`; a call split by another thread shows its arguments in
        // the `<unfinished ...>` half, and its `<... name resumed>` half is skipped.
        let call = line
            .split_once(' ')
            .filter(|(pid, _)| pid.bytes().all(|b| b.is_ascii_digit()))
            .map_or(line, |(_, rest)| rest)
            .trim_start();
        let Some((name, args)) = call.split_once('(') else {
            continue;
        };
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let args = args.rsplit_once(") = ").map_or(args, |(a, _)| a);
        let opens_for_writing =
            name.starts_with("open") && WRITE_FLAGS.iter().any(|f| args.contains(f));
        if !opens_for_writing && !MUTATING.contains(&name) {
            continue;
        }
        let mut base = cwd.to_path_buf();
        let mut rest = args;
        loop {
            let next_dir = rest.find('<');
            let next_str = rest.find('"');
            match (next_dir, next_str) {
                (Some(d), s) if s.is_none_or(|s| d < s) => {
                    let after = &rest[d + 1..];
                    let end = after.find('>').unwrap_or(after.len());
                    base = PathBuf::from(&after[..end]);
                    rest = &after[end..];
                }
                (_, Some(s)) => {
                    let after = &rest[s + 1..];
                    let end = after.find('"').unwrap_or(after.len());
                    found.push((name.to_string(), normalize(&base.join(&after[..end]))));
                    rest = after.get(end + 1..).unwrap_or_default();
                }
                _ => break,
            }
        }
    }
    found
}

/// `..` and `.` resolved by name (the paths need not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn trace_reader_sees_writes_outside_and_ignores_reads() {
    let trace = r#"7 openat(AT_FDCWD</>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>
7  openat(AT_FDCWD</>, "/tmp/l/eve.json", O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0666) = 3</tmp/l/eve.json>
8  openat(5</tmp/l>, "../escape", O_RDWR <unfinished ...>
8 <... openat resumed>) = -1 EACCES (Permission denied)
7 renameat(AT_FDCWD</tmp>, "l/eve.json", AT_FDCWD</tmp>, "l/eve.json.1") = 0
7 unlink("stray") = -1 ENOENT (No such file or directory)
7 newfstatat(AT_FDCWD</>, "/var/x", {st_mode=S_IFREG|0644}, 0) = 0"#;
    let got: Vec<(String, PathBuf)> = written_paths(trace, Path::new("/"));
    let want = [
        ("openat", "/tmp/l/eve.json"),
        ("openat", "/tmp/escape"),
        ("renameat", "/tmp/l/eve.json"),
        ("renameat", "/tmp/l/eve.json.1"),
        ("unlink", "/stray"),
    ];
    let want: Vec<(String, PathBuf)> = want
        .iter()
        .map(|(n, p)| (n.to_string(), PathBuf::from(p)))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn offline_run_as_nobody_writes_only_in_its_log_directory() {
    require_root();
    let work = Workdir::new();
    let capture = work.capture(BEACON_FAST);
    let trace = work.dir.path().join("trace");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-y", "-s", "4096", "-e", "trace=%file", "-o"])
        .arg(&trace)
        .arg("setpriv")
        .args(NOBODY_NO_CAPS)
        .arg(&work.bin)
        .arg("-r")
        .arg(&capture)
        .args(["-q", "-c"])
        .arg(&work.config)
        .arg("-l")
        .arg(&work.log)
        .current_dir("/")
        .output()
        .expect("strace (Debian package strace) is needed: scripts/setup.sh --test installs it");
    assert!(
        out.status.success(),
        "{}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    let log = work.log.canonicalize().unwrap();
    let writes = written_paths(&text, Path::new("/"));
    // The run did write, through the paths the trace shows: the check is not vacuous.
    assert!(
        writes.iter().any(|(_, p)| *p == log.join("eve.json")),
        "no write of eve.json in the trace:\n{text}"
    );
    let outside: Vec<_> = writes
        .iter()
        .filter(|(_, p)| !p.starts_with(&log))
        .collect();
    assert!(
        outside.is_empty(),
        "written outside {}: {outside:?}\n{text}",
        log.display()
    );
    let eve = work.log.join("eve.json");
    assert_eq!(std::fs::metadata(&eve).unwrap().uid(), uid_of("nobody"));
    let run = work.into_run(out);
    assert_eq!(alert_summary(&run).len(), 2, "{}", run.eve_text);
}
