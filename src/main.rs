//! The `botsense` command: flags in, `botsense::runtime::run`, exit status out.

use anyhow::Context;
use botsense::config::{Config, Overrides};
use botsense::runtime::{self, RunOptions, Signals};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Passive network sensor: reports hosts working for a botnet as Suricata EVE alerts.
///
/// Reads a capture file or directory (-r) or a live interface (-i), tracks flows and DNS,
/// runs the botnet detectors, and writes EVE JSON lines to LOGDIR/eve.json. Every flag
/// also has a config-file key; the flag wins.
#[derive(Debug, Parser)]
#[command(name = "botsense", version, max_term_width = 100)]
struct Cli {
    /// Read packets from a pcap/pcapng file (plain or gzip), or from every capture file
    /// in a directory, in time order [config: capture.read].
    #[arg(
        short = 'r',
        long = "read",
        value_name = "FILE|DIR",
        conflicts_with = "interface"
    )]
    read: Option<PathBuf>,

    /// Capture live from a network interface (promiscuous) [config: capture.interface].
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<PathBuf>,

    /// Directory for eve.json [default: .] [config: log_dir].
    #[arg(short = 'l', long = "log-dir", value_name = "DIR")]
    log_dir: Option<PathBuf>,

    /// TOML configuration file; unknown keys are errors.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Read the BPF filter expression from FILE [config: bpf].
    #[arg(short = 'F', value_name = "FILE", conflicts_with = "bpf")]
    bpf_file: Option<PathBuf>,

    /// HOME_NET, the networks to protect, as a comma-separated CIDR list
    /// [default: RFC 1918, 127/8, 169.254/16, fc00::/7, fe80::/10, ::1] [config: home_net].
    #[arg(long = "home-net", value_name = "CIDR,...")]
    home_net: Option<String>,

    /// Worker threads [default: cores - 1, at least 1] [config: workers].
    #[arg(long = "workers", value_name = "N")]
    workers: Option<usize>,

    /// Forward EVE events (alerts by default) to a SIEM as RFC 5424 syslog messages:
    /// udp://HOST:PORT, tcp://HOST:PORT (octet counting) or tls://HOST:PORT
    /// [config: syslog.url].
    #[arg(long = "syslog", value_name = "URL")]
    syslog: Option<String>,

    /// Check the configuration file given with -c and exit: 0 when valid, 2 with the
    /// offending key otherwise.
    #[arg(long = "check-config")]
    check_config: bool,

    /// No end-of-replay summary and no progress line on stderr.
    #[arg(short = 'q', long = "quiet")]
    quiet: bool,

    /// BPF filter expression, as for tcpdump (e.g. `not port 22`).
    #[arg(value_name = "BPF EXPRESSION", trailing_var_arg = true)]
    bpf: Vec<String>,
}

/// Exit statuses: 0 done; 1 an input or output could not be read or written; 2 bad
/// usage or configuration.
const EXIT_INPUT: u8 = 1;
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(Failure { code, error }) => {
            eprintln!("botsense: error: {error:#}");
            ExitCode::from(code)
        }
    }
}

struct Failure {
    code: u8,
    error: anyhow::Error,
}

fn fail(code: u8) -> impl FnOnce(anyhow::Error) -> Failure {
    move |error| Failure { code, error }
}

fn real_main(cli: Cli) -> Result<ExitCode, Failure> {
    let bpf = match &cli.bpf_file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read BPF file {}", f.display()))
                .map_err(fail(EXIT_CONFIG))?,
        ),
        None if !cli.bpf.is_empty() => Some(cli.bpf.join(" ")),
        None => None,
    };
    let overrides = Overrides {
        read: cli.read.clone(),
        interface: cli
            .interface
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
        log_dir: cli.log_dir.clone(),
        home_net: cli.home_net.clone(),
        workers: cli.workers,
        bpf,
        syslog_url: cli.syslog.clone(),
    };
    let config = Config::load(cli.config.as_deref(), overrides)
        .map_err(anyhow::Error::from)
        .map_err(fail(EXIT_CONFIG))?;
    // Load the TLS files now, so a bad one is a config error (and --check-config sees it).
    if let Some(tls) = config.syslog.as_ref().and_then(|s| s.tls.as_ref()) {
        botsense::output::syslog::transport::tls_client_config(tls)
            .map_err(anyhow::Error::from)
            .map_err(fail(EXIT_CONFIG))?;
    }
    if cli.check_config {
        match &cli.config {
            Some(p) => println!("botsense: {}: configuration OK", p.display()),
            None => println!("botsense: configuration OK (defaults, no -c file)"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    if config.source.is_none() {
        return Err(Failure {
            code: EXIT_CONFIG,
            error: anyhow::anyhow!("no capture source: give -r FILE|DIR or -i IFACE (see --help)"),
        });
    }
    let offline = matches!(config.source, Some(botsense::config::Source::Files(_)));
    let signals = Signals::install()
        .context("cannot install signal handlers")
        .map_err(fail(EXIT_INPUT))?;
    let opts = RunOptions {
        progress: offline && !cli.quiet,
        signals: Some(signals),
        on_ready: Some(std::sync::Arc::new(|| runtime::notify_systemd("READY=1"))),
    };
    let summary = runtime::run(config, opts)
        .map_err(anyhow::Error::from)
        .map_err(fail(EXIT_INPUT))?;
    runtime::notify_systemd("STOPPING=1");
    if offline && !cli.quiet {
        eprintln!("{summary}");
    }
    Ok(if summary.had_errors() {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
