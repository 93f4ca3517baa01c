//! `botsense-pcapgen`: writes the bundled captures (see `botsense::pcapgen`).
//!
//! ```text
//! botsense-pcapgen --out DIR [NAME...]   write every scenario (or the named ones) to DIR
//! botsense-pcapgen --list                print each scenario's name, file and description
//! botsense-pcapgen --out DIR --bench-mix PACKETS     the replay benchmark's office mix
//! botsense-pcapgen --out DIR --bench-flows FLOWS     that many flows alive at once
//! ```
//!
//! The bench captures are not bundled (see `botsense::pcapgen::bench`); each prints its
//! path and a JSON summary (packets, wire bytes, ...).
//!
//! Writing every scenario also writes `DIR/README.md`, one line per capture.

use anyhow::{bail, Context, Result};
use botsense::pcapgen::{bench, bundled, scenario, Scenario};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "botsense-pcapgen",
    about = "Writes botsense's bundled test captures, byte-identical on every run"
)]
struct Args {
    /// Directory to write the captures into (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present = "list")]
    out: Option<PathBuf>,
    /// Print the scenarios and exit.
    #[arg(long, conflicts_with = "out")]
    list: bool,
    /// Write the benchmark's office mix of at least PACKETS packets to
    /// DIR/bench-mix-PACKETS.pcap instead of the scenarios.
    #[arg(long, value_name = "PACKETS", conflicts_with = "names")]
    bench_mix: Option<u64>,
    /// Write FLOWS one-packet UDP flows alive at once to DIR/bench-flows-FLOWS.pcap.
    #[arg(long, value_name = "FLOWS", conflicts_with_all = ["names", "bench_mix"])]
    bench_flows: Option<u64>,
    /// Scenarios to write (default: all, plus README.md).
    #[arg(value_name = "NAME")]
    names: Vec<String>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("botsense-pcapgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let all = bundled();
    if args.list {
        for s in &all {
            println!("{:<26} {:<34} {}", s.name, s.file, s.description);
        }
        return Ok(());
    }
    let Some(out) = args.out else {
        bail!("--out DIR is required");
    };
    if let Some(n) = args.bench_mix {
        return write_bench(&out.join(format!("bench-mix-{n}.pcap")), |w| {
            bench::write_mix(w, n)
        });
    }
    if let Some(n) = args.bench_flows {
        return write_bench(&out.join(format!("bench-flows-{n}.pcap")), |w| {
            bench::write_concurrent_flows(w, n)
        });
    }
    let chosen: Vec<&Scenario> = if args.names.is_empty() {
        all.iter().collect()
    } else {
        let mut v = Vec::new();
        for n in &args.names {
            match all
                .iter()
                .find(|s| s.name == n.as_str() || s.file == n.as_str())
            {
                Some(s) => v.push(s),
                None => bail!("no scenario named {n:?} (see --list)"),
            }
        }
        v
    };
    for s in &chosen {
        let path = s
            .write_into(&out)
            .with_context(|| format!("writing scenario {}", s.name))?;
        println!("{}", path.display());
    }
    if args.names.is_empty() {
        let path = out.join("README.md");
        std::fs::write(&path, scenario::readme(&all))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

fn write_bench(
    path: &std::path::Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<bench::BenchSummary>,
) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let sum = write(&mut w).with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::flush(&mut w).with_context(|| format!("writing {}", path.display()))?;
    println!("{}", path.display());
    println!(
        "{{\"packets\":{},\"wire_bytes\":{},\"tcp_sessions\":{},\"dns_lookups\":{},\"flood_syns\":{}}}",
        sum.packets, sum.wire_bytes, sum.tcp_sessions, sum.dns_lookups, sum.flood_syns
    );
    Ok(())
}
