//! Configuration: the TOML file and the command-line flags become one checked [`Config`].
//!
//! This module alone reads the config file. [`RawConfig`] mirrors the file (every table
//! `deny_unknown_fields`, so a misspelt key is an error that names it); [`Config::load`]
//! applies the flags over it (the flag wins) and checks every value once, so the rest of
//! the program takes a `Config` and never re-validates. Defaults are the seeds' values and
//! are listed in the README.

use ipnet::IpNet;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A config problem; `key` is the dotted name of the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

pub(crate) fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        message: message.into(),
    }
}

/// The config file as written. Every field is optional; absent means the default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub home_net: Option<Vec<String>>,
    pub workers: Option<usize>,
    pub log_dir: Option<PathBuf>,
    pub bpf: Option<String>,
    #[serde(default)]
    pub capture: RawCapture,
    #[serde(default)]
    pub flow: RawFlow,
    #[serde(default)]
    pub dns: RawDns,
    #[serde(default)]
    pub eve: RawEve,
    #[serde(default)]
    pub runtime: RawRuntime,
    #[serde(default)]
    pub detect: RawDetect,
    #[serde(default)]
    pub syslog: crate::output::syslog::RawSyslogConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCapture {
    pub interface: Option<String>,
    pub read: Option<PathBuf>,
    pub snaplen: Option<u32>,
    pub buffer_size_mib: Option<u32>,
    pub promiscuous: Option<bool>,
    pub timeout_ms: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlow {
    pub max_flows: Option<usize>,
    pub tcp_new_timeout_s: Option<u64>,
    pub tcp_established_timeout_s: Option<u64>,
    pub tcp_closed_timeout_s: Option<u64>,
    pub udp_timeout_s: Option<u64>,
    pub icmp_timeout_s: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDns {
    pub max_pending: Option<usize>,
    pub transaction_timeout_s: Option<u64>,
    pub max_answers: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEve {
    pub filename: Option<String>,
    pub alert: Option<bool>,
    pub flow: Option<bool>,
    pub dns: Option<bool>,
    pub stats: Option<bool>,
    pub stats_interval_s: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRuntime {
    pub batch_size: Option<usize>,
    pub channel_batches: Option<usize>,
    pub output_queue: Option<usize>,
}

/// `[detect.*]`: one table per detector; each detector's file defines and checks its own.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDetect {
    #[serde(default)]
    pub alerting: Option<crate::detect::alerting::AlertingConfig>,
    #[serde(default)]
    pub beacon: Option<crate::detect::beacon::BeaconConfig>,
    #[serde(default)]
    pub c2_port: Option<crate::detect::c2_port::C2PortConfig>,
    #[serde(default)]
    pub dga: Option<crate::detect::dga::DgaConfig>,
    #[serde(default)]
    pub dns_tunnel: Option<crate::detect::dns_tunnel::DnsTunnelConfig>,
    #[serde(default)]
    pub scan: Option<crate::detect::scan::ScanConfig>,
    #[serde(default)]
    pub outbound_burst: Option<crate::detect::outbound_burst::OutboundBurstConfig>,
    #[serde(default)]
    pub relay: Option<crate::detect::relay::RelayConfig>,
    #[serde(default)]
    pub inbound_flood: Option<crate::detect::inbound_flood::InboundFloodConfig>,
}

/// The checked detector settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DetectSettings {
    pub alerting: crate::detect::alerting::AlertingConfig,
    pub beacon: crate::detect::beacon::BeaconConfig,
    pub c2_port: crate::detect::c2_port::C2PortConfig,
    pub dga: crate::detect::dga::DgaConfig,
    pub dns_tunnel: crate::detect::dns_tunnel::DnsTunnelConfig,
    pub scan: crate::detect::scan::ScanConfig,
    pub outbound_burst: crate::detect::outbound_burst::OutboundBurstConfig,
    pub relay: crate::detect::relay::RelayConfig,
    pub inbound_flood: crate::detect::inbound_flood::InboundFloodConfig,
}

impl DetectSettings {
    fn from_raw(raw: RawDetect) -> Result<Self, ConfigError> {
        let s = DetectSettings {
            alerting: raw.alerting.unwrap_or_default(),
            beacon: raw.beacon.unwrap_or_default(),
            c2_port: raw.c2_port.unwrap_or_default(),
            dga: raw.dga.unwrap_or_default(),
            dns_tunnel: raw.dns_tunnel.unwrap_or_default(),
            scan: raw.scan.unwrap_or_default(),
            outbound_burst: raw.outbound_burst.unwrap_or_default(),
            relay: raw.relay.unwrap_or_default(),
            inbound_flood: raw.inbound_flood.unwrap_or_default(),
        };
        s.alerting.validate()?;
        s.beacon.validate()?;
        s.c2_port.validate()?;
        s.dga.validate()?;
        s.dns_tunnel.validate()?;
        s.scan.validate()?;
        s.outbound_burst.validate()?;
        s.relay.validate()?;
        s.inbound_flood.validate()?;
        Ok(s)
    }
}

/// Where packets come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `-r`: a capture file, or every capture file in a directory, in time order.
    Files(PathBuf),
    /// `-i`: a live interface.
    Interface(String),
}

/// HOME_NET: the networks botsense protects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeNet {
    nets: Vec<IpNet>,
    /// The same networks as (network, mask) integers: the membership test runs twice
    /// per packet and in every detector, and a masked compare is a few instructions.
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

pub const DEFAULT_HOME_NET: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];

impl HomeNet {
    pub fn parse<S: AsRef<str>>(key: &str, cidrs: &[S]) -> Result<Self, ConfigError> {
        let mut nets = Vec::with_capacity(cidrs.len());
        for c in cidrs {
            let c = c.as_ref().trim();
            if c.is_empty() {
                continue;
            }
            let net = IpNet::from_str(c)
                .or_else(|_| IpAddr::from_str(c).map(IpNet::from))
                .map_err(|_| invalid(key, format!("`{c}` is not a CIDR network or address")))?;
            nets.push(net.trunc());
        }
        Ok(HomeNet::from_nets(nets))
    }

    fn from_nets(nets: Vec<IpNet>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for n in &nets {
            match n {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.netmask()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.netmask()))),
            }
        }
        HomeNet { nets, v4, v6 }
    }

    pub fn default_nets() -> Self {
        // The defaults are literals that parse; a failure here is a programming error
        // caught by the unit test below, so fall back to no networks rather than panic.
        Self::parse("home_net", DEFAULT_HOME_NET).unwrap_or(HomeNet::from_nets(Vec::new()))
    }

    pub fn networks(&self) -> &[IpNet] {
        &self.nets
    }

    /// Inside HOME_NET.
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        match canonical(ip) {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().any(|&(net, mask)| a & mask == net)
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6.iter().any(|&(net, mask)| a & mask == net)
            }
        }
    }

    /// Outside HOME_NET and a real unicast address: not multicast, broadcast or
    /// unspecified. Documentation ranges count as external (the seeds' tests use them).
    pub fn is_external(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        !self.is_internal(ip) && is_unicast(ip)
    }
}

/// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn is_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_multicast() || v4.is_broadcast() || v4.is_unspecified()),
        IpAddr::V6(v6) => !(v6.is_multicast() || v6.is_unspecified()),
    }
}

/// Flow table limits and idle timeouts, in packet-time seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSettings {
    /// Flows tracked at once over all workers; each worker gets an equal share.
    pub max_flows: usize,
    pub tcp_new_timeout_s: u64,
    pub tcp_established_timeout_s: u64,
    pub tcp_closed_timeout_s: u64,
    pub udp_timeout_s: u64,
    pub icmp_timeout_s: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsSettings {
    /// Queries waiting for a response, per worker.
    pub max_pending: usize,
    pub transaction_timeout_s: u64,
    /// Answer records kept per response.
    pub max_answers: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EveSettings {
    pub filename: String,
    pub alert: bool,
    pub flow: bool,
    pub dns: bool,
    pub stats: bool,
    pub stats_interval_s: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureSettings {
    pub snaplen: u32,
    pub buffer_size_mib: u32,
    pub promiscuous: bool,
    pub timeout_ms: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// Packets per batch sent to a worker.
    pub batch_size: usize,
    /// Batches that may wait in each worker's channel (the capture thread blocks, and
    /// in live mode the kernel ring buffers, when a worker falls behind).
    pub channel_batches: usize,
    /// Worker result batches that may wait for the output thread.
    pub output_queue: usize,
}

/// The checked configuration everything downstream takes.
#[derive(Clone, Debug)]
pub struct Config {
    pub source: Option<Source>,
    pub home_net: HomeNet,
    pub workers: usize,
    pub log_dir: PathBuf,
    pub bpf: Option<String>,
    pub capture: CaptureSettings,
    pub flow: FlowSettings,
    pub dns: DnsSettings,
    pub eve: EveSettings,
    pub runtime: RuntimeSettings,
    pub detect: DetectSettings,
    /// Forwarding to a SIEM; `None` when no syslog URL is set.
    pub syslog: Option<crate::output::syslog::SyslogConfig>,
}

/// What the command line says, before it meets the config file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub read: Option<PathBuf>,
    pub interface: Option<String>,
    pub log_dir: Option<PathBuf>,
    pub home_net: Option<String>,
    pub workers: Option<usize>,
    pub bpf: Option<String>,
    /// `--syslog URL`.
    pub syslog_url: Option<String>,
}

impl RawConfig {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::from_toml(path, &text)
    }

    pub fn from_toml(path: &Path, text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })
    }
}

/// Default worker count: one core for capture, the rest for workers, at least one.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .saturating_sub(1)
        .max(1)
}

/// The most workers botsense starts; more only adds channel and memory overhead.
pub const MAX_WORKERS: usize = 256;

/// `v` unless it is zero (a count, limit or timeout that must be set): an error naming
/// `key` otherwise.
pub(crate) fn positive<T: PartialEq + Default>(key: &str, v: T) -> Result<T, ConfigError> {
    if v == T::default() {
        Err(invalid(key, "must be greater than 0"))
    } else {
        Ok(v)
    }
}

impl Config {
    /// Reads the config file (if any), applies the flags, checks every value.
    pub fn load(config_file: Option<&Path>, flags: Overrides) -> Result<Self, ConfigError> {
        let raw = match config_file {
            Some(p) => RawConfig::from_file(p)?,
            None => RawConfig::default(),
        };
        Self::from_raw(raw, flags)
    }

    pub fn from_raw(raw: RawConfig, flags: Overrides) -> Result<Self, ConfigError> {
        let home_net = match (&flags.home_net, &raw.home_net) {
            (Some(s), _) => {
                let parts: Vec<&str> = s.split(',').collect();
                HomeNet::parse("--home-net", &parts)?
            }
            (None, Some(list)) => HomeNet::parse("home_net", list)?,
            (None, None) => HomeNet::default_nets(),
        };
        if home_net.networks().is_empty() {
            return Err(invalid("home_net", "lists no network"));
        }

        let workers = match flags.workers.or(raw.workers) {
            None | Some(0) => default_workers(),
            Some(n) if n > MAX_WORKERS => {
                return Err(invalid(
                    "workers",
                    format!("{n} is more than {MAX_WORKERS}"),
                ))
            }
            Some(n) => n,
        };

        let c = raw.capture;
        // An empty string in the file means "not set", as the README's defaults show.
        let read = flags.read.or(c.read).filter(|p| !p.as_os_str().is_empty());
        let interface = flags.interface.or(c.interface).filter(|i| !i.is_empty());
        let source = match (read, interface) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "capture.read",
                    "give either a file to read (-r) or an interface (-i), not both",
                ))
            }
            (Some(r), None) => Some(Source::Files(r)),
            (None, Some(i)) => Some(Source::Interface(i)),
            (None, None) => None,
        };

        let bpf = flags
            .bpf
            .or(raw.bpf)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());

        let snaplen = c.snaplen.unwrap_or(65_535);
        if !(64..=262_144).contains(&snaplen) {
            return Err(invalid("capture.snaplen", "must be between 64 and 262144"));
        }
        // libpcap takes both as a C int and ignores values that do not fit.
        let buffer_size_mib = c.buffer_size_mib.unwrap_or(64);
        if !(1..=2047).contains(&buffer_size_mib) {
            return Err(invalid(
                "capture.buffer_size_mib",
                "must be between 1 and 2047",
            ));
        }
        let timeout_ms = c.timeout_ms.unwrap_or(100);
        if !(1..=60_000).contains(&timeout_ms) {
            return Err(invalid("capture.timeout_ms", "must be between 1 and 60000"));
        }
        let capture = CaptureSettings {
            snaplen,
            buffer_size_mib,
            promiscuous: c.promiscuous.unwrap_or(true),
            timeout_ms,
        };

        let f = raw.flow;
        let flow = FlowSettings {
            max_flows: positive("flow.max_flows", f.max_flows.unwrap_or(1_000_000))?,
            tcp_new_timeout_s: positive(
                "flow.tcp_new_timeout_s",
                f.tcp_new_timeout_s.unwrap_or(60),
            )?,
            tcp_established_timeout_s: positive(
                "flow.tcp_established_timeout_s",
                f.tcp_established_timeout_s.unwrap_or(600),
            )?,
            tcp_closed_timeout_s: positive(
                "flow.tcp_closed_timeout_s",
                f.tcp_closed_timeout_s.unwrap_or(10),
            )?,
            udp_timeout_s: positive("flow.udp_timeout_s", f.udp_timeout_s.unwrap_or(120))?,
            icmp_timeout_s: positive("flow.icmp_timeout_s", f.icmp_timeout_s.unwrap_or(30))?,
        };
        if flow.max_flows < workers {
            return Err(invalid(
                "flow.max_flows",
                "must be at least the number of workers",
            ));
        }
        // Flows are numbered with 32 bits in the table.
        if flow.max_flows > u32::MAX as usize {
            return Err(invalid("flow.max_flows", "must be at most 4294967295"));
        }

        let d = raw.dns;
        let dns = DnsSettings {
            max_pending: positive("dns.max_pending", d.max_pending.unwrap_or(65_536))?,
            transaction_timeout_s: positive(
                "dns.transaction_timeout_s",
                d.transaction_timeout_s.unwrap_or(10),
            )?,
            max_answers: positive("dns.max_answers", d.max_answers.unwrap_or(32))?,
        };

        let e = raw.eve;
        let filename = e.filename.unwrap_or_else(|| "eve.json".to_string());
        if filename.is_empty() || filename.contains('/') {
            return Err(invalid(
                "eve.filename",
                "must be a plain file name inside log_dir",
            ));
        }
        let eve = EveSettings {
            filename,
            alert: e.alert.unwrap_or(true),
            flow: e.flow.unwrap_or(true),
            dns: e.dns.unwrap_or(true),
            stats: e.stats.unwrap_or(true),
            stats_interval_s: positive("eve.stats_interval_s", e.stats_interval_s.unwrap_or(60))?,
        };

        let r = raw.runtime;
        let runtime = RuntimeSettings {
            batch_size: positive("runtime.batch_size", r.batch_size.unwrap_or(256))?,
            channel_batches: positive("runtime.channel_batches", r.channel_batches.unwrap_or(64))?,
            output_queue: positive("runtime.output_queue", r.output_queue.unwrap_or(1024))?,
        };

        let detect = DetectSettings::from_raw(raw.detect)?;
        let syslog = crate::output::syslog::SyslogConfig::from_raw(raw.syslog, flags.syslog_url)?;

        Ok(Config {
            source,
            home_net,
            workers,
            log_dir: flags
                .log_dir
                .or(raw.log_dir)
                .unwrap_or_else(|| PathBuf::from(".")),
            bpf,
            capture,
            flow,
            dns,
            eve,
            runtime,
            detect,
            syslog,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw = RawConfig::from_toml(Path::new("test.toml"), text)?;
        Config::from_raw(raw, Overrides::default())
    }

    #[test]
    fn default_home_net_parses() {
        assert_eq!(
            HomeNet::default_nets().networks().len(),
            DEFAULT_HOME_NET.len()
        );
    }

    proptest::proptest! {
        /// The masked-integer membership test agrees with ipnet's `contains` (after the
        /// IPv4-mapped canonicalisation) for any address and any network.
        #[test]
        fn is_internal_agrees_with_ipnet(
            a4 in proptest::prelude::any::<u32>(),
            a6 in proptest::prelude::any::<u128>(),
            n4 in proptest::prelude::any::<u32>(),
            n6 in proptest::prelude::any::<u128>(),
            p4 in 0u8..=32,
            p6 in 0u8..=128,
        ) {
            let net4 = format!("{}/{p4}", std::net::Ipv4Addr::from(n4));
            let net6 = format!("{}/{p6}", std::net::Ipv6Addr::from(n6));
            let home = HomeNet::parse("home_net", &[net4, net6]).unwrap();
            for ip in [
                IpAddr::from(std::net::Ipv4Addr::from(a4)),
                IpAddr::from(std::net::Ipv6Addr::from(a6)),
                IpAddr::from(std::net::Ipv4Addr::from(a4).to_ipv6_mapped()),
                IpAddr::from(std::net::Ipv4Addr::from(n4)),
                IpAddr::from(std::net::Ipv6Addr::from(n6)),
            ] {
                let want = home.networks().iter().any(|n| n.contains(&canonical(ip)));
                proptest::prop_assert_eq!(home.is_internal(ip), want, "{}", ip);
            }
        }
    }

    #[test]
    fn capture_sizes_libpcap_cannot_take_are_errors_naming_the_key() {
        for (text, key) in [
            (
                "[capture]\nbuffer_size_mib = 4096\n",
                "capture.buffer_size_mib",
            ),
            ("[capture]\ntimeout_ms = 0\n", "capture.timeout_ms"),
        ] {
            let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = parse("[flow]\nmax_flowz = 3\n")
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("max_flowz"), "{err}");
    }

    #[test]
    fn unknown_top_level_key_is_an_error_naming_it() {
        let err = parse("homenet = [\"10.0.0.0/8\"]\n")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("homenet"));
    }

    #[test]
    fn bad_value_names_the_key() {
        let err = parse("[flow]\nmax_flows = 0\n")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("flow.max_flows"));
        let err = parse("[flow]\nmax_flows = 100000000000\n")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("flow.max_flows"));
        let err = parse("home_net = [\"10.0.0.0/33\"]\n")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("home_net"));
    }

    #[test]
    fn flags_win_over_the_file() {
        let raw =
            RawConfig::from_toml(Path::new("t"), "workers = 3\nhome_net = [\"10.0.0.0/8\"]\n")
                .unwrap();
        let flags = Overrides {
            workers: Some(2),
            home_net: Some("192.0.2.0/24".into()),
            ..Overrides::default()
        };
        let c = Config::from_raw(raw, flags).unwrap();
        assert_eq!(c.workers, 2);
        assert!(c.home_net.is_internal("192.0.2.7".parse().unwrap()));
        assert!(!c.home_net.is_internal("10.1.1.1".parse().unwrap()));
    }

    #[test]
    fn documentation_ranges_are_external_multicast_is_not() {
        let h = HomeNet::default_nets();
        for ip in ["198.51.100.7", "203.0.113.9", "2001:db8::1", "8.8.8.8"] {
            assert!(h.is_external(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "10.0.0.1",
            "224.0.0.251",
            "255.255.255.255",
            "0.0.0.0",
            "ff02::1",
            "fe80::1",
        ] {
            assert!(!h.is_external(ip.parse().unwrap()), "{ip}");
        }
        assert!(h.is_internal("::ffff:10.1.2.3".parse().unwrap()));
    }
}
