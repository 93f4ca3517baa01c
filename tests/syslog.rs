//! Syslog forwarding against a real rsyslogd that each test starts on loopback with its
//! own config, work directory and port: UDP (imudp), TCP (imtcp, octet counting) and TLS
//! (imtcp with the gtls driver, client certificate required). rsyslog writes each
//! message it receives as `%rawmsg%`, one per line, so the tests check the RFC 5424
//! header and that the MSG is the EVE line. rsyslogd comes from the Debian packages
//! rsyslog and rsyslog-gnutls, certtool from gnutls-bin (`scripts/setup.sh --test`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run::{pcap, replay, Run, Sensor};
use serde_json::Value;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq)]
enum Listener {
    Udp,
    Tcp,
    Tls,
}

/// A free loopback port (the OS picks it; the socket is closed again at once).
fn free_port(kind: Listener) -> u16 {
    match kind {
        Listener::Udp => UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
        _ => TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
    }
}

/// Whether something listens on 127.0.0.1:`port`, from /proc/net (no probe connection,
/// which a TLS listener would log as a failed handshake).
fn listening(kind: Listener, port: u16) -> bool {
    let (file, state) = match kind {
        Listener::Udp => ("/proc/net/udp", "07"),
        _ => ("/proc/net/tcp", "0A"),
    };
    let want = format!("0100007F:{port:04X}");
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .skip(1)
        .any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[1] == want && f[3] == state
        })
}

/// CA, server and client certificates made with certtool in `dir`.
struct Certs {
    ca: PathBuf,
    server: PathBuf,
    server_key: PathBuf,
    client: PathBuf,
    client_key: PathBuf,
}

fn certtool(args: &[&str]) {
    let out = Command::new("certtool").args(args).output().expect(
        "certtool (Debian package gnutls-bin) is needed: scripts/setup.sh --test installs it",
    );
    assert!(
        out.status.success(),
        "certtool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_certs(dir: &Path) -> Certs {
    let p = |n: &str| dir.join(n);
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();
    let templates = [
        (
            "ca.tmpl",
            "cn = \"botsense test CA\"\nca\ncert_signing_key\nexpiration_days = 2\n",
        ),
        (
            "server.tmpl",
            "cn = \"localhost\"\ndns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n\
             tls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n",
        ),
        (
            "client.tmpl",
            "cn = \"botsense-sensor\"\ntls_www_client\nsigning_key\nexpiration_days = 2\n",
        ),
    ];
    for (name, text) in templates {
        std::fs::write(p(name), text).unwrap();
    }
    // RSA: certtool writes ECDSA scalars with a leading zero byte half the time, which
    // ring (rustls' provider here) refuses as a client key.
    for key in ["ca-key.pem", "server-key.pem", "client-key.pem"] {
        certtool(&[
            "--generate-privkey",
            "--key-type=rsa",
            "--bits=2048",
            "--no-text",
            "--outfile",
            &s(&p(key)),
        ]);
    }
    certtool(&[
        "--generate-self-signed",
        "--load-privkey",
        &s(&p("ca-key.pem")),
        "--template",
        &s(&p("ca.tmpl")),
        "--outfile",
        &s(&p("ca.pem")),
    ]);
    for who in ["server", "client"] {
        certtool(&[
            "--generate-certificate",
            "--load-privkey",
            &s(&p(&format!("{who}-key.pem"))),
            "--load-ca-certificate",
            &s(&p("ca.pem")),
            "--load-ca-privkey",
            &s(&p("ca-key.pem")),
            "--template",
            &s(&p(&format!("{who}.tmpl"))),
            "--outfile",
            &s(&p(&format!("{who}.pem"))),
        ]);
    }
    Certs {
        ca: p("ca.pem"),
        server: p("server.pem"),
        server_key: p("server-key.pem"),
        client: p("client.pem"),
        client_key: p("client-key.pem"),
    }
}

/// An rsyslogd of our own; killed when dropped.
struct Rsyslog {
    child: Child,
    out: PathBuf,
    dir: PathBuf,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Rsyslog {
    /// Starts rsyslogd listening on 127.0.0.1:`port` and waits until it listens.
    fn start(kind: Listener, port: u16, dir: &Path, certs: Option<&Certs>) -> Rsyslog {
        let work = dir.join("rsyslog-work");
        std::fs::create_dir_all(&work).unwrap();
        let out = dir.join("received.log");
        let input = match kind {
            Listener::Udp => format!(
                "module(load=\"imudp\")\ninput(type=\"imudp\" port=\"{port}\" address=\"127.0.0.1\")\n"
            ),
            Listener::Tcp => format!(
                "module(load=\"imtcp\")\ninput(type=\"imtcp\" port=\"{port}\" address=\"127.0.0.1\")\n"
            ),
            Listener::Tls => {
                let c = certs.expect("certificates for TLS");
                format!(
                    "global(DefaultNetstreamDriverCAFile=\"{}\" \
                     DefaultNetstreamDriverCertFile=\"{}\" DefaultNetstreamDriverKeyFile=\"{}\")\n\
                     module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" \
                     StreamDriver.AuthMode=\"x509/certvalid\")\n\
                     input(type=\"imtcp\" port=\"{port}\" address=\"127.0.0.1\")\n",
                    c.ca.display(),
                    c.server.display(),
                    c.server_key.display()
                )
            }
        };
        // Only botsense's messages go to the file; rsyslog's own go to its stderr log.
        let conf = format!(
            "global(workDirectory=\"{}\")\n{input}\
             template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n\
             if $app-name == \"botsense\" then {{\n\
               action(type=\"omfile\" file=\"{}\" template=\"raw\")\n\
             }}\n\
             stop\n",
            work.display(),
            out.display()
        );
        let conf_path = dir.join("rsyslog.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let log = std::fs::File::create(dir.join("rsyslogd.log")).unwrap();
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(&conf_path)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("rsyslogd (Debian packages rsyslog, rsyslog-gnutls) is needed: scripts/setup.sh --test installs it");
        let mut r = Rsyslog {
            child,
            out,
            dir: dir.to_path_buf(),
        };
        let t0 = Instant::now();
        while !listening(kind, port) {
            if let Ok(Some(status)) = r.child.try_wait() {
                panic!("rsyslogd exited ({status}): {}", r.log());
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "rsyslogd never listened on {port}: {}",
                r.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        r
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("rsyslogd.log")).unwrap_or_default()
    }

    fn received(&self) -> Vec<String> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Waits until `n` messages arrived (and a little longer, to see any extra one).
    fn wait_for(&self, n: usize) -> Vec<String> {
        let t0 = Instant::now();
        while self.received().len() < n && t0.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        self.received()
    }
}

/// An RFC 5424 message as received: the seven header fields and the MSG.
struct Frame {
    pri: u32,
    version: String,
    timestamp: String,
    hostname: String,
    app: String,
    procid: String,
    msgid: String,
    sd: String,
    msg: String,
}

fn parse_frame(raw: &str) -> Frame {
    let mut f = raw.splitn(8, ' ');
    let mut next = || {
        f.next()
            .unwrap_or_else(|| panic!("short frame {raw:?}"))
            .to_string()
    };
    let head = next();
    let (pri, version) = head
        .strip_prefix('<')
        .and_then(|h| h.split_once('>'))
        .unwrap_or_else(|| panic!("no PRI in {raw:?}"));
    let (pri, version) = (pri.parse().unwrap(), version.to_string());
    Frame {
        pri,
        version,
        timestamp: next(),
        hostname: next(),
        app: next(),
        procid: next(),
        msgid: next(),
        sd: next(),
        msg: next(),
    }
}

/// Syslog severity the README documents for an alert's grade.
fn severity_of(alert: &Value) -> u32 {
    match alert["botsense"]["severity_name"].as_str().unwrap() {
        "Critical" => 2,
        "High" => 3,
        "Medium" => 4,
        _ => 5,
    }
}

fn config(dir: &Path, text: &str) -> String {
    let path = dir.join("botsense.toml");
    std::fs::write(
        &path,
        format!("[syslog]\nhostname = \"sensor-test\"\n{text}"),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// A counter from the end-of-run summary's `syslog` line (`sent=3, dropped=0, ...`).
fn summary_counter(run_stderr: &str, name: &str) -> u64 {
    let line = run_stderr
        .lines()
        .find(|l| l.trim_start().starts_with("syslog "))
        .unwrap_or_else(|| panic!("no syslog line in the summary:\n{run_stderr}"));
    line.split([' ', ','])
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

/// Every alert of the run arrived exactly once, its MSG the EVE line byte for byte (or,
/// when trimmed, a marked version of it), with the documented header.
fn check_alerts_arrived_once(run: &Run, received: &[String]) -> u64 {
    let alerts: Vec<&str> = run
        .eve_text
        .lines()
        .filter(|l| l.contains("\"event_type\":\"alert\""))
        .collect();
    assert!(!alerts.is_empty(), "no alerts to forward");
    let frames: Vec<Frame> = received.iter().map(|r| parse_frame(r)).collect();
    assert_eq!(
        frames.len(),
        alerts.len(),
        "received {} messages for {} alerts:\n{}",
        frames.len(),
        alerts.len(),
        received.join("\n")
    );
    let mut unmatched: Vec<&str> = alerts.clone();
    let mut trimmed = 0;
    for f in &frames {
        assert_eq!(f.version, "1");
        assert_eq!(f.hostname, "sensor-test");
        assert_eq!(f.app, "botsense");
        assert!(f.procid.parse::<u32>().is_ok(), "procid {}", f.procid);
        assert_eq!(f.msgid, "alert");
        assert_eq!(f.sd, "-");
        let got: Value = serde_json::from_str(&f.msg)
            .unwrap_or_else(|e| panic!("MSG is not JSON ({e}): {}", f.msg));
        let pos = if got["botsense"]["truncated"] == true {
            trimmed += 1;
            assert!(f.msg.len() < got["botsense"]["original_bytes"].as_u64().unwrap() as usize);
            unmatched.iter().position(|a| {
                let want: Value = serde_json::from_str(a).unwrap();
                want["timestamp"] == got["timestamp"]
                    && want["alert"]["signature_id"] == got["alert"]["signature_id"]
                    && want["src_ip"] == got["src_ip"]
                    && want["dest_ip"] == got["dest_ip"]
            })
        } else {
            unmatched.iter().position(|a| *a == f.msg)
        };
        let pos = pos.unwrap_or_else(|| panic!("unexpected or duplicate message {}", f.msg));
        let want: Value = serde_json::from_str(unmatched.remove(pos)).unwrap();
        assert_eq!(f.pri, 21 * 8 + severity_of(&want), "{}", f.msg);
        assert_eq!(
            f.timestamp,
            want["timestamp"].as_str().unwrap().replace("+0000", "Z")
        );
    }
    assert!(unmatched.is_empty());
    assert_eq!(summary_counter(&run.stderr(), "trimmed"), trimmed);
    assert_eq!(summary_counter(&run.stderr(), "sent"), alerts.len() as u64);
    assert_eq!(summary_counter(&run.stderr(), "dropped"), 0);
    trimmed
}

/// The EVE lines other than `stats`, which carry the timing-dependent syslog counters.
fn without_stats(eve: &str) -> Vec<&str> {
    eve.lines()
        .filter(|l| !l.contains("\"event_type\":\"stats\""))
        .collect()
}

/// Replays `pcaps/detect/` forwarding to a fresh rsyslogd; returns how many arrived
/// trimmed.
fn forward_detect_captures(kind: Listener, extra: &str) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port(kind);
    let certs = (kind == Listener::Tls).then(|| make_certs(dir.path()));
    let rsyslog = Rsyslog::start(kind, port, dir.path(), certs.as_ref());
    let (scheme, tls) = match (kind, &certs) {
        (Listener::Udp, _) => ("udp", String::new()),
        (Listener::Tcp, _) => ("tcp", String::new()),
        (Listener::Tls, Some(c)) => (
            "tls",
            format!(
                "[syslog.tls]\nca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n",
                c.ca.display(),
                c.client.display(),
                c.client_key.display()
            ),
        ),
        (Listener::Tls, None) => unreachable!(),
    };
    let cfg = config(dir.path(), &format!("{extra}\n{tls}"));
    let url = format!("{scheme}://127.0.0.1:{port}");
    let run = replay(&pcap("detect"), &["--syslog", &url, "-c", &cfg]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let alerts = run.of_type("alert").len();
    let received = rsyslog.wait_for(alerts);
    let trimmed = check_alerts_arrived_once(&run, &received);
    // The file is the same with forwarding off, but for the stats counters.
    let plain = replay(&pcap("detect"), &["-q"]);
    assert_eq!(without_stats(&run.eve_text), without_stats(&plain.eve_text));
    trimmed
}

#[test]
fn every_alert_arrives_exactly_once_over_udp_trimmed_to_fit() {
    // A limit under the longest alert line: those arrive trimmed, still JSON, marked.
    let trimmed = forward_detect_captures(Listener::Udp, "max_message_bytes = 1300");
    assert!(trimmed > 0, "no alert line was long enough to be trimmed");
}

#[test]
fn every_alert_arrives_exactly_once_over_tcp_with_octet_counting() {
    assert_eq!(forward_detect_captures(Listener::Tcp, ""), 0);
}

#[test]
fn every_alert_arrives_exactly_once_over_tls_with_a_client_certificate() {
    assert_eq!(forward_detect_captures(Listener::Tls, ""), 0);
}

/// A beacon whose destination was resolved from a name holding a quote, a backslash, a
/// newline and a non-UTF-8 byte: the alert's evidence names it.
fn hostile_name_capture(dir: &Path) -> (PathBuf, Vec<u8>) {
    use botsense::pcapgen::dns::{DnsRecord, DomainName};
    use botsense::pcapgen::session::{dns_lookup, tcp_session, DnsReply};
    use botsense::pcapgen::writer::{write_pcap, TsResolution};
    use botsense::pcapgen::{Framing, LinkType, Ts};
    use std::net::{Ipv4Addr, SocketAddr};

    let label: &[u8] = b"c2\"q\\u\nx\xff";
    let name = DomainName::from_labels([label, b"bad", b"example"]);
    let client: SocketAddr = "10.1.0.99:40000".parse().unwrap();
    let resolver: SocketAddr = "10.0.0.53:53".parse().unwrap();
    let server: SocketAddr = "198.51.100.99:8080".parse().unwrap();
    let reply = DnsReply::Answers(vec![DnsRecord::a(&name, Ipv4Addr::new(198, 51, 100, 99))]);
    let mut ips = dns_lookup(client, resolver, Ts::BASE, 0x4242, &name, 1, reply).unwrap();
    for i in 0..30u64 {
        let c = SocketAddr::new(client.ip(), 41_000 + i as u16);
        let start = Ts::BASE.plus_millis(1_000 + i * 10_000 + (i * 37) % 400);
        ips.extend(tcp_session(c, server, start, 120, 80).unwrap());
    }
    let mut packets = Framing::ethernet().packets(&ips).unwrap();
    packets.sort_by_key(|p| p.ts);
    let file = write_pcap(
        Vec::new(),
        LinkType::ETHERNET,
        TsResolution::Micro,
        65_535,
        &packets,
    )
    .unwrap();
    let path = dir.join("hostile-name.pcap");
    std::fs::write(&path, file).unwrap();
    // DnsName's stored form: a `\` or `.` inside a label is escaped with `\`.
    let mut stored = Vec::new();
    for &b in label {
        if b == b'\\' || b == b'.' {
            stored.push(b'\\');
        }
        stored.push(b);
    }
    stored.extend_from_slice(b".bad.example");
    (path, stored)
}

#[test]
fn alerts_and_dns_events_with_hostile_names_arrive_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (capture, wire_name) = hostile_name_capture(dir.path());
    let port = free_port(Listener::Tcp);
    let rsyslog = Rsyslog::start(Listener::Tcp, port, dir.path(), None);
    let cfg = config(dir.path(), "event_types = [\"alert\", \"dns\"]\n");
    let url = format!("tcp://127.0.0.1:{port}");
    let run = replay(&capture, &["--syslog", &url, "-c", &cfg]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let shown = botsense::decode::dns::DnsName(wire_name).display();
    assert!(shown.contains('"') && shown.contains("\\x0a") && shown.contains("\\xff"));

    let alerts = run.of_type("alert");
    let dns = run.of_type("dns");
    assert_eq!(alerts.len(), 1, "{}", run.eve_text);
    assert_eq!(dns.len(), 1, "{}", run.eve_text);
    assert!(alerts[0]
        .to_string()
        .contains(&serde_json::to_string(&shown).unwrap()));
    let received = rsyslog.wait_for(2);
    assert_eq!(received.len(), 2, "{}", received.join("\n"));
    let eve_lines: Vec<&str> = without_stats(&run.eve_text)
        .into_iter()
        .filter(|l| !l.contains("\"event_type\":\"flow\""))
        .collect();
    for raw in &received {
        let f = parse_frame(raw);
        assert!(
            eve_lines.contains(&f.msg.as_str()),
            "{} is not an EVE line of\n{}",
            f.msg,
            run.eve_text
        );
        let v: Value = serde_json::from_str(&f.msg).unwrap();
        assert_eq!(f.msgid, v["event_type"].as_str().unwrap());
        let name = if f.msgid == "dns" {
            v["dns"]["queries"][0]["rrname"].clone()
        } else {
            v["botsense"]["domain"].clone()
        };
        assert_eq!(name, shown.as_str(), "{raw}");
        if f.msgid == "dns" {
            assert_eq!(f.pri, 21 * 8 + 6, "dns events are info");
        }
    }
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn alerts_wait_while_the_receiver_is_down_and_arrive_once_when_it_is_back() {
    let expected = replay(&pcap("detect"), &["-q"]).of_type("alert").len();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port(Listener::Tcp);
    let cfg = config(
        dir.path(),
        "drain_timeout_s = 60\nreconnect_min_ms = 50\nreconnect_max_ms = 400\n",
    );
    let log = dir.path().join("log");
    std::fs::create_dir(&log).unwrap();
    let mut sensor = Sensor(
        Command::new(env!("CARGO_BIN_EXE_botsense"))
            .arg("-r")
            .arg(pcap("detect"))
            .arg("-l")
            .arg(&log)
            .args(["--syslog", &format!("tcp://127.0.0.1:{port}"), "-c", &cfg])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The replay is over (the final stats line is written) while nothing listens: the
    // sensor is now draining its queue, retrying the connection.
    let eve = log.join("eve.json");
    wait_until("the end of the replay", Duration::from_secs(60), || {
        let text = std::fs::read_to_string(&eve).unwrap_or_default();
        text.lines()
            .last()
            .is_some_and(|l| l.contains("\"event_type\":\"stats\""))
            && text
                .lines()
                .filter(|l| l.contains("\"event_type\":\"alert\""))
                .count()
                == expected
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        sensor.0.try_wait().unwrap().is_none(),
        "the sensor must still be draining"
    );
    let rsyslog = Rsyslog::start(Listener::Tcp, port, dir.path(), None);
    let output = std::mem::replace(&mut sensor.0, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let run = Run::collect(output, dir, &log);
    let received = rsyslog.wait_for(expected);
    check_alerts_arrived_once(&run, &received);
    assert!(summary_counter(&stderr, "errors") > 0, "{stderr}");
    // The final stats event saw every alert queued (none dropped) and waiting.
    let stats = run.final_stats();
    let s = &stats["botsense"]["stats"]["output"]["syslog"];
    assert_eq!(s["dropped"], 0, "{stats}");
    assert!(
        s["queued_max"].as_u64().unwrap() >= expected as u64 - 1,
        "{stats}"
    );
    // Logged, but not per message.
    let warnings = stderr
        .lines()
        .filter(|l| l.contains("warning: syslog"))
        .count();
    assert!((1..=3).contains(&warnings), "{stderr}");
}

#[test]
fn a_full_queue_drops_and_counts_without_holding_up_the_eve_file() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there.
    let port = free_port(Listener::Tcp);
    let cfg = config(dir.path(), "queue_size = 2\ndrain_timeout_s = 1\n");
    let t0 = Instant::now();
    let run = replay(
        &pcap("detect"),
        &["--syslog", &format!("tcp://127.0.0.1:{port}"), "-c", &cfg],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(t0.elapsed() < Duration::from_secs(30));
    let alerts = run.of_type("alert").len() as u64;
    assert!(alerts > 3, "more alerts than the queue holds");
    // At most the queue and the one in hand wait; the rest are dropped as they come.
    let s = &run.final_stats()["botsense"]["stats"]["output"]["syslog"];
    assert!(s["dropped"].as_u64().unwrap() >= alerts - 3, "{s}");
    assert!(s["queued_max"].as_u64().unwrap() <= 2, "{s}");
    assert_eq!(s["sent"], 0, "{s}");
    // After the drain timed out, everything is accounted as dropped.
    let err = run.stderr();
    assert_eq!(summary_counter(&err, "dropped"), alerts, "{err}");
    assert_eq!(summary_counter(&err, "sent"), 0, "{err}");
    assert!(err.contains("dropped"), "{err}");
    let plain = replay(&pcap("detect"), &["-q"]);
    assert_eq!(without_stats(&run.eve_text), without_stats(&plain.eve_text));
}

#[test]
fn a_receiver_whose_certificate_does_not_match_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let certs = make_certs(dir.path());
    let port = free_port(Listener::Tls);
    let rsyslog = Rsyslog::start(Listener::Tls, port, dir.path(), Some(&certs));
    let cfg = config(
        dir.path(),
        &format!(
            "drain_timeout_s = 1\n[syslog.tls]\nca_file = \"{}\"\ncert_file = \"{}\"\n\
             key_file = \"{}\"\nserver_name = \"siem.example\"\n",
            certs.ca.display(),
            certs.client.display(),
            certs.client_key.display()
        ),
    );
    let run = replay(
        &pcap("detect/seed-t1583-3-irc-6667.pcap"),
        &["--syslog", &format!("tls://127.0.0.1:{port}"), "-c", &cfg],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let err = run.stderr();
    assert_eq!(summary_counter(&err, "sent"), 0, "{err}");
    assert!(summary_counter(&err, "errors") > 0, "{err}");
    assert!(
        err.contains("siem.example") || err.contains("NotValidForName"),
        "{err}"
    );
    assert!(rsyslog.received().is_empty());
}

#[test]
fn check_config_loads_the_tls_files_and_names_the_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let certs = make_certs(dir.path());
    let check = |tls: &str| {
        let cfg = config(
            dir.path(),
            &format!("url = \"tls://127.0.0.1:6514\"\n{tls}"),
        );
        Command::new(env!("CARGO_BIN_EXE_botsense"))
            .args(["--check-config", "-c", &cfg])
            .output()
            .unwrap()
    };
    let good = format!(
        "[syslog.tls]\nca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n",
        certs.ca.display(),
        certs.client.display(),
        certs.client_key.display()
    );
    let out = check(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (tls, key) in [
        (
            "[syslog.tls]\nca_file = \"/nonexistent/ca.pem\"\n",
            "syslog.tls.ca_file",
        ),
        (
            // A key file that holds a certificate, not a key.
            &format!(
                "[syslog.tls]\nca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n",
                certs.ca.display(),
                certs.client.display(),
                certs.server.display()
            ),
            "syslog.tls.key_file",
        ),
        ("", "syslog.tls.ca_file"),
    ] {
        let out = check(tls);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{tls}: {err}");
        assert!(err.contains(key), "{tls}: {err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_botsense"))
        .args(["--check-config", "--syslog", "ftp://siem:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--syslog"));
}

fn tcpreplay(capture: &str) {
    let out = Command::new("tcpreplay")
        .args(["-q", "-i", "lo", "--topspeed"])
        .arg(pcap(capture))
        .output()
        .expect(
            "tcpreplay (Debian package tcpreplay) is needed: scripts/setup.sh --test installs it",
        );
    assert!(
        out.status.success(),
        "tcpreplay {capture}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Live on `lo` (root or CAP_NET_RAW, as in CI): an alert goes out, the receiver is
/// killed and started again while the connection is idle, and the next alert still
/// arrives, once, over a new connection.
#[test]
fn a_receiver_restarted_while_idle_gets_the_next_alert_over_a_new_connection() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port(Listener::Tcp);
    let mut rsyslog = Rsyslog::start(Listener::Tcp, port, dir.path(), None);
    let cfg = config(
        dir.path(),
        "reconnect_min_ms = 50\nreconnect_max_ms = 200\n[eve]\nstats_interval_s = 1\n",
    );
    let log = dir.path().join("log");
    std::fs::create_dir(&log).unwrap();
    let mut sensor = Sensor(
        Command::new(env!("CARGO_BIN_EXE_botsense"))
            .args(["-i", "lo", "-q", "-c", &cfg])
            .arg("-l")
            .arg(&log)
            .args(["--syslog", &format!("tcp://127.0.0.1:{port}")])
            .args(["not", "port", &port.to_string()])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let eve = log.join("eve.json");
    let alerts_in_file = || {
        std::fs::read_to_string(&eve)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"event_type\":\"alert\""))
            .count()
    };
    wait_until("the capture to start", Duration::from_secs(20), || {
        if let Ok(Some(status)) = sensor.0.try_wait() {
            panic!("botsense -i lo exited ({status}); live capture needs root or CAP_NET_RAW");
        }
        std::fs::read_to_string(&eve).is_ok_and(|t| t.contains("\"event_type\":\"stats\""))
    });
    tcpreplay("detect/seed-t1583-3-irc-6667.pcap");
    wait_until("the first alert", Duration::from_secs(20), || {
        alerts_in_file() == 1
    });
    assert_eq!(rsyslog.wait_for(1).len(), 1);

    drop(rsyslog);
    rsyslog = Rsyslog::start(Listener::Tcp, port, dir.path(), None);
    std::thread::sleep(Duration::from_millis(500));
    tcpreplay("detect/seed-t1584-2-irc-6667.pcap");
    wait_until("the second alert", Duration::from_secs(20), || {
        alerts_in_file() == 2
    });
    let received = rsyslog.wait_for(2);

    let ok = Command::new("kill")
        .args(["-TERM", &sensor.0.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = sensor.0.wait().unwrap();
    assert!(status.success(), "{status}");
    let text = std::fs::read_to_string(&eve).unwrap();
    let alerts: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"event_type\":\"alert\""))
        .collect();
    let msgs: Vec<String> = received.iter().map(|r| parse_frame(r).msg).collect();
    assert_eq!(msgs, alerts, "each alert once, in order");
    // The last periodic stats event before the stop saw the reconnect.
    let last_stats: Value = text
        .lines()
        .rev()
        .find(|l| l.contains("\"event_type\":\"stats\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap();
    let s = &last_stats["botsense"]["stats"]["output"]["syslog"];
    assert!(s["reconnects"].as_u64().unwrap() >= 1, "{s}");
    assert_eq!(s["sent"], 2, "{s}");
}

/// A receiver that accepts the connection and never reads: once the socket buffers are
/// full every write blocks. The drain at exit caps each write at the time it has left,
/// so the run ends about `drain_timeout_s` after its input, not after the 5 s write
/// timeout (or a series of them).
#[test]
fn a_receiver_that_stops_reading_cannot_hold_the_exit_past_the_drain() {
    let dir = tempfile::tempdir().unwrap();
    // 40 000 one-packet flows: their flow events (about 25 MB) overfill the buffers.
    let capture = dir.path().join("flows.pcap");
    botsense::pcapgen::bench::write_concurrent_flows(
        std::io::BufWriter::new(std::fs::File::create(&capture).unwrap()),
        40_000,
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let cfg = config(
        dir.path(),
        "event_types = [\"flow\"]\nqueue_size = 100000\ndrain_timeout_s = 1\n",
    );
    // The same replay without forwarding, before and after: the slower of the two is the
    // baseline, so one slow moment on a busy machine does not tighten the limit.
    let timed = |args: &[&str]| {
        let t = Instant::now();
        let run = replay(&capture, args);
        (run, t.elapsed())
    };
    let (plain, before) = timed(&["-q"]);
    let target = format!("tcp://127.0.0.1:{port}");
    let (run, forwarding) = timed(&["--syslog", &target, "-c", &cfg]);
    let (_, after) = timed(&["-q"]);
    let baseline = before.max(after);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let err = run.stderr();
    let flows = run.of_type("flow").len() as u64;
    assert_eq!(flows, 40_000);
    let (sent, dropped) = (
        summary_counter(&err, "sent"),
        summary_counter(&err, "dropped"),
    );
    assert!(
        sent > 0 && dropped > 0,
        "the receiver took some, not all: {err}"
    );
    assert_eq!(sent + dropped, flows, "{err}");
    assert!(
        forwarding < baseline + Duration::from_secs(4),
        "the drain took {forwarding:?} against {baseline:?} without forwarding: {err}"
    );
    assert_eq!(without_stats(&run.eve_text), without_stats(&plain.eve_text));
}
