//! `botsense-pcapgen`: writes the bundled captures (see `botsense::pcapgen`).
//!
//! ```text
//! botsense-pcapgen --out DIR [NAME...]   write every scenario (or the named ones) to DIR
//! botsense-pcapgen --list                print each scenario's name, file and description
//! ```
//!
//! Writing every scenario also writes `DIR/README.md`, one line per capture.

use anyhow::{bail, Context, Result};
use botsense::pcapgen::{bundled, scenario, Scenario};
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
