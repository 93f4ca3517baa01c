//! Syslog forwarding to a SIEM: EVE lines as RFC 5424 messages over UDP, TCP (RFC 6587
//! octet counting) or TLS (RFC 5425).
//!
//! ```text
//!  output thread ──write eve.json──► try_send ──[bounded queue]──► syslog thread ──► SIEM
//!                                    (full: drop, count)            format, trim, send,
//!                                                                   reconnect with backoff
//! ```
//!
//! * [`message`] formats and trims a message: pure functions, no I/O.
//! * [`transport`] the UDP, TCP and TLS connections.
//! * [`sender`] the `syslog` thread's loop: queue, reconnect with backoff, drain at exit.
//!
//! This file holds the `[syslog]` config (raw and checked), the event handed from the
//! output thread to the sender, and the counters both sides publish.
//!
//! Delivery: a message leaves the queue only once its frame was written to the socket; a
//! receiver that is down keeps messages waiting (up to `queue_size`) and they go out once
//! it is back. A receiver that dies after accepting bytes into its socket can lose what
//! was in flight (TCP gives no application acknowledgement); a connection the receiver
//! closed while idle is noticed before the next write. UDP gives no guarantee at all.

pub mod message;
pub mod sender;
pub mod transport;

use crate::config::{invalid, positive, ConfigError};
use crate::detect::Severity;
use crate::time::Timestamp;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// `[syslog]` as written in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSyslogConfig {
    pub url: Option<String>,
    pub facility: Option<String>,
    pub hostname: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub queue_size: Option<usize>,
    pub max_message_bytes: Option<usize>,
    pub reconnect_min_ms: Option<u64>,
    pub reconnect_max_ms: Option<u64>,
    pub drain_timeout_s: Option<u64>,
    #[serde(default)]
    pub tls: RawSyslogTls,
}

/// `[syslog.tls]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSyslogTls {
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub server_name: Option<String>,
}

/// How messages travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// One datagram per message; no delivery guarantee.
    Udp,
    /// RFC 6587 octet counting: `LEN SP MSG`.
    Tcp,
    /// RFC 5425: octet counting inside TLS.
    Tls,
}

/// `udp://HOST:PORT`, `tcp://HOST:PORT` or `tls://HOST:PORT` (HOST may be `[v6]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogUrl {
    pub transport: Transport,
    pub host: String,
    pub port: u16,
}

impl SyslogUrl {
    /// Parses a URL; the port defaults to 514 (UDP, TCP) or 6514 (TLS, RFC 5425).
    pub fn parse(key: &str, url: &str) -> Result<Self, ConfigError> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            invalid(
                key,
                format!("`{url}` is not udp://, tcp:// or tls://HOST:PORT"),
            )
        })?;
        let (transport, default_port) = match scheme {
            "udp" => (Transport::Udp, 514),
            "tcp" => (Transport::Tcp, 514),
            "tls" => (Transport::Tls, 6514),
            _ => {
                return Err(invalid(
                    key,
                    format!("unknown scheme `{scheme}`: use udp, tcp or tls"),
                ))
            }
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| invalid(key, format!("`{url}`: unclosed [ in the host")))?;
            // After `]`: nothing, or `:PORT`.
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(|| {
                    invalid(key, format!("`{url}`: `{after}` after the ] is not :PORT"))
                })?),
            };
            (host, port)
        } else {
            match rest.rsplit_once(':') {
                // An IPv6 address needs brackets: `tcp://::1` is not host `:` port 1.
                Some((h, _)) if h.contains(':') => {
                    return Err(invalid(
                        key,
                        format!("`{url}`: an IPv6 host goes in brackets, [ADDR]:PORT"),
                    ))
                }
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err(invalid(key, format!("`{url}` has no valid host")));
        }
        let port = match port {
            None => default_port,
            Some(p) => match p.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => return Err(invalid(key, format!("`{url}`: bad port `{p}`"))),
            },
        };
        Ok(SyslogUrl {
            transport,
            host: host.to_string(),
            port,
        })
    }
}

/// Which EVE event types are forwarded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventTypes {
    pub alert: bool,
    pub flow: bool,
    pub dns: bool,
    pub stats: bool,
}

impl EventTypes {
    pub fn contains(self, t: EventType) -> bool {
        match t {
            EventType::Alert => self.alert,
            EventType::Flow => self.flow,
            EventType::Dns => self.dns,
            EventType::Stats => self.stats,
        }
    }
}

/// An EVE event type; its name is the syslog MSGID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Alert,
    Flow,
    Dns,
    Stats,
}

impl EventType {
    pub fn name(self) -> &'static str {
        match self {
            EventType::Alert => "alert",
            EventType::Flow => "flow",
            EventType::Dns => "dns",
            EventType::Stats => "stats",
        }
    }
}

/// TLS settings: the CA that signs the receiver's certificate, an optional client
/// certificate, and the name the receiver's certificate must carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    pub ca_file: PathBuf,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// Default: the URL's host (an IP address is checked against the IP SANs).
    pub server_name: String,
}

/// RFC 5424 facilities by name (section 6.2.1).
const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// The checked `[syslog]` settings; present only when a URL is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogConfig {
    pub url: SyslogUrl,
    /// 0–23; default local5 (21), Suricata's default for its syslog outputs.
    pub facility: u8,
    /// RFC 5424 HOSTNAME: printable ASCII without spaces, 1–255 characters.
    pub hostname: String,
    pub event_types: EventTypes,
    /// Messages waiting for the sender; the output thread drops (and counts) when full.
    pub queue_size: usize,
    /// Largest syslog message (header and MSG, without the TCP octet count).
    pub max_message_bytes: usize,
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
    /// How long the sender keeps trying to deliver what is queued once the run ends.
    pub drain_timeout_s: u64,
    /// Set exactly when the URL is `tls://`.
    pub tls: Option<TlsSettings>,
}

/// The smallest `max_message_bytes`: RFC 5424 receivers must take 480 octets; with a
/// header of up to ~340 bytes (a 255-character hostname) this leaves room for a trimmed
/// MSG that still names the event.
pub const MIN_MESSAGE_BYTES: usize = 1024;
/// Default `max_message_bytes`: under rsyslog's default maxMessageSize of 8 KiB.
pub const DEFAULT_MESSAGE_BYTES: usize = 8000;

impl SyslogConfig {
    /// Checks `[syslog]`; `url_flag` is `--syslog`, which wins over `syslog.url`. `None`
    /// when no URL is set (forwarding off).
    pub fn from_raw(
        raw: RawSyslogConfig,
        url_flag: Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let (key, url) = match url_flag {
            Some(u) => ("--syslog", u),
            None => ("syslog.url", raw.url.unwrap_or_default()),
        };
        if url.trim().is_empty() {
            return Ok(None);
        }
        let url = SyslogUrl::parse(key, url.trim())?;

        let facility = match raw.facility {
            None => 21,
            Some(f) => FACILITIES
                .iter()
                .position(|n| *n == f)
                .map(|i| i as u8)
                .ok_or_else(|| {
                    invalid(
                        "syslog.facility",
                        format!("unknown facility `{f}` (kern, user, ..., local0-local7)"),
                    )
                })?,
        };
        let hostname = match raw.hostname {
            Some(h) => {
                if h.is_empty() || h.len() > 255 || !h.bytes().all(|b| (33..=126).contains(&b)) {
                    return Err(invalid(
                        "syslog.hostname",
                        "must be 1-255 printable ASCII characters without spaces",
                    ));
                }
                h
            }
            None => machine_hostname(),
        };
        let event_types = match raw.event_types {
            None => EventTypes {
                alert: true,
                ..EventTypes::default()
            },
            Some(list) => {
                let mut t = EventTypes::default();
                for name in &list {
                    match name.as_str() {
                        "alert" => t.alert = true,
                        "flow" => t.flow = true,
                        "dns" => t.dns = true,
                        "stats" => t.stats = true,
                        other => {
                            return Err(invalid(
                                "syslog.event_types",
                                format!("unknown event type `{other}` (alert, flow, dns, stats)"),
                            ))
                        }
                    }
                }
                t
            }
        };
        let queue_size = positive("syslog.queue_size", raw.queue_size.unwrap_or(10_000))?;
        let max_message_bytes = raw.max_message_bytes.unwrap_or(DEFAULT_MESSAGE_BYTES);
        if !(MIN_MESSAGE_BYTES..=65_000).contains(&max_message_bytes) {
            return Err(invalid(
                "syslog.max_message_bytes",
                format!("must be between {MIN_MESSAGE_BYTES} and 65000"),
            ));
        }
        let reconnect_min_ms = positive(
            "syslog.reconnect_min_ms",
            raw.reconnect_min_ms.unwrap_or(100),
        )?;
        let reconnect_max_ms = raw.reconnect_max_ms.unwrap_or(30_000);
        if reconnect_max_ms < reconnect_min_ms {
            return Err(invalid(
                "syslog.reconnect_max_ms",
                "must be at least syslog.reconnect_min_ms",
            ));
        }
        let drain_timeout_s = raw.drain_timeout_s.unwrap_or(10);

        let t = raw.tls;
        let tls = match url.transport {
            Transport::Tls => {
                let ca_file = t
                    .ca_file
                    .filter(|p| !p.as_os_str().is_empty())
                    .ok_or_else(|| {
                        invalid(
                            "syslog.tls.ca_file",
                            "a tls:// URL needs the receiver's CA file",
                        )
                    })?;
                let cert_file = t.cert_file.filter(|p| !p.as_os_str().is_empty());
                let key_file = t.key_file.filter(|p| !p.as_os_str().is_empty());
                if cert_file.is_some() != key_file.is_some() {
                    return Err(invalid(
                        "syslog.tls.key_file",
                        "a client certificate needs both syslog.tls.cert_file and syslog.tls.key_file",
                    ));
                }
                let server_name = t
                    .server_name
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| url.host.clone());
                Some(TlsSettings {
                    ca_file,
                    cert_file,
                    key_file,
                    server_name,
                })
            }
            _ => None,
        };
        Ok(Some(SyslogConfig {
            url,
            facility,
            hostname,
            event_types,
            queue_size,
            max_message_bytes,
            reconnect_min_ms,
            reconnect_max_ms,
            drain_timeout_s,
            tls,
        }))
    }
}

/// The machine's host name (uname's nodename) made a valid RFC 5424 HOSTNAME; `-` (the
/// NILVALUE) when it has none.
fn machine_hostname() -> String {
    let uts = rustix::system::uname();
    let name: String = uts
        .nodename()
        .to_bytes()
        .iter()
        .take(255)
        .filter(|b| (33..=126).contains(*b))
        .map(|&b| char::from(b))
        .collect();
    if name.is_empty() {
        "-".into()
    } else {
        name
    }
}

/// One EVE line handed from the output thread to the sender.
#[derive(Clone, Debug)]
pub struct SyslogEvent {
    pub ts: Timestamp,
    pub event_type: EventType,
    /// An alert's severity; other events are informational.
    pub severity: Option<Severity>,
    pub line: Vec<u8>,
}

/// Counters shared by the output thread (`dropped`, `queued_max`) and the sender (the
/// rest). They depend on the receiver's timing, so `stats` events carry them only when
/// forwarding is on, and the identical-output guarantee does not cover them.
#[derive(Debug, Default)]
pub struct SyslogCounters {
    /// Frames written to the socket.
    pub sent: AtomicU64,
    /// Events lost: queue full, or still queued when the drain at exit timed out.
    pub dropped: AtomicU64,
    /// The most events that waited in the queue at once.
    pub queued_max: AtomicU64,
    /// Connections re-established after a failure.
    pub reconnects: AtomicU64,
    /// Messages whose JSON was trimmed to fit `max_message_bytes`.
    pub trimmed: AtomicU64,
    /// Failed connects and writes.
    pub errors: AtomicU64,
}

impl SyslogCounters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// `(name, value)` under `output.syslog.`, for `stats` events and the summary.
    pub fn snapshot(&self) -> [(&'static str, u64); 6] {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("output.syslog.sent", get(&self.sent)),
            ("output.syslog.dropped", get(&self.dropped)),
            ("output.syslog.queued_max", get(&self.queued_max)),
            ("output.syslog.reconnects", get(&self.reconnects)),
            ("output.syslog.trimmed", get(&self.trimmed)),
            ("output.syslog.errors", get(&self.errors)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, extra: &str) -> Result<Option<SyslogConfig>, ConfigError> {
        let text = format!("url = \"{url}\"\n{extra}");
        let raw: RawSyslogConfig = toml::from_str(&text).unwrap();
        SyslogConfig::from_raw(raw, None)
    }

    #[test]
    fn urls_parse_with_default_ports_and_ipv6_hosts() {
        let u = SyslogUrl::parse("k", "udp://siem.example:5514").unwrap();
        assert_eq!(
            (u.transport, u.host.as_str(), u.port),
            (Transport::Udp, "siem.example", 5514)
        );
        let u = SyslogUrl::parse("k", "tls://[2001:db8::1]").unwrap();
        assert_eq!(
            (u.transport, u.host.as_str(), u.port),
            (Transport::Tls, "2001:db8::1", 6514)
        );
        let u = SyslogUrl::parse("k", "tcp://10.0.0.1").unwrap();
        assert_eq!(u.port, 514);
        for bad in [
            "siem:514",
            "http://x:1",
            "tcp://:514",
            "tcp://x:0",
            "tcp://x:99999",
            "tcp://[::1",
            "tcp://[::1]junk",
            "tcp://::1",
        ] {
            let e = SyslogUrl::parse("syslog.url", bad).unwrap_err().to_string();
            assert!(e.contains("syslog.url"), "{bad}: {e}");
        }
    }

    #[test]
    fn no_url_means_forwarding_is_off() {
        let raw: RawSyslogConfig = toml::from_str("url = \"\"\nqueue_size = 5\n").unwrap();
        assert_eq!(SyslogConfig::from_raw(raw, None).unwrap(), None);
    }

    #[test]
    fn the_flag_wins_over_the_file() {
        let raw: RawSyslogConfig = toml::from_str("url = \"udp://a:1\"\n").unwrap();
        let c = SyslogConfig::from_raw(raw, Some("tcp://b:2".into()))
            .unwrap()
            .unwrap();
        assert_eq!(c.url.host, "b");
        assert_eq!(c.url.transport, Transport::Tcp);
    }

    #[test]
    fn defaults_forward_alerts_as_local5() {
        let c = check("tcp://siem:514", "").unwrap().unwrap();
        assert_eq!(c.facility, 21);
        assert_eq!(
            c.event_types,
            EventTypes {
                alert: true,
                ..EventTypes::default()
            }
        );
        assert_eq!(c.max_message_bytes, DEFAULT_MESSAGE_BYTES);
        assert!(!c.hostname.is_empty() && !c.hostname.contains(' '));
        assert!(c.tls.is_none());
    }

    #[test]
    fn bad_values_name_their_key() {
        for (extra, key) in [
            ("facility = \"local9\"", "syslog.facility"),
            ("hostname = \"a b\"", "syslog.hostname"),
            ("event_types = [\"alerts\"]", "syslog.event_types"),
            ("queue_size = 0", "syslog.queue_size"),
            ("max_message_bytes = 100", "syslog.max_message_bytes"),
            ("reconnect_min_ms = 0", "syslog.reconnect_min_ms"),
            (
                "reconnect_min_ms = 500\nreconnect_max_ms = 100",
                "syslog.reconnect_max_ms",
            ),
        ] {
            let e = check("udp://x:1", extra).unwrap_err().to_string();
            assert!(e.contains(key), "{extra}: {e}");
        }
        let e = check("tls://x:1", "").unwrap_err().to_string();
        assert!(e.contains("syslog.tls.ca_file"), "{e}");
        let e = check(
            "tls://x:1",
            "[tls]\nca_file = \"ca.pem\"\ncert_file = \"c.pem\"",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("syslog.tls.key_file"), "{e}");
    }

    #[test]
    fn tls_server_name_defaults_to_the_url_host() {
        let c = check("tls://siem.example:6514", "[tls]\nca_file = \"ca.pem\"")
            .unwrap()
            .unwrap();
        assert_eq!(c.tls.unwrap().server_name, "siem.example");
        let c = check(
            "tls://10.0.0.9",
            "[tls]\nca_file = \"ca.pem\"\nserver_name = \"siem.example\"",
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.tls.unwrap().server_name, "siem.example");
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let e = toml::from_str::<RawSyslogConfig>("urll = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("urll"), "{e}");
        let e = toml::from_str::<RawSyslogConfig>("[tls]\ncafile = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cafile"), "{e}");
    }
}
