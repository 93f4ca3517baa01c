#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/: scripts/fuzz.sh [TARGET|all] [SECONDS]
#
#   TARGET   decode_packet, dns_message, replay_file, or all (the default: one after
#            another, SECONDS each)
#   SECONDS  how long each target runs (default 600)
#
# Needs the nightly toolchain and cargo-fuzz (installed here when missing). Each target
# starts from its committed seeds (fuzz/seeds/TARGET, frames and captures cut from
# pcaps/) plus whatever it found before (fuzz/corpus/TARGET, not committed). A crash,
# timeout or OOM stops the target and leaves its input in fuzz/artifacts/TARGET/; pin it
# as a regression test named after the bug (tests/fuzz_regressions/) once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-all}
seconds=${2:-600}
all=(decode_packet dns_message replay_file)

command -v rustup >/dev/null || { echo "fuzz: rustup not found; install the Rust toolchain" >&2; exit 1; }
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install --locked cargo-fuzz

run_one() {
  local t=$1
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  echo "== fuzz $t for ${seconds}s" >&2
  # -rss_limit_mb / -timeout: a bounded sensor must stay well inside both for any input.
  cargo +nightly fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 -print_final_stats=1
}

if [ "$target" = all ]; then
  for t in "${all[@]}"; do run_one "$t"; done
else
  case " ${all[*]} " in
    *" $target "*) run_one "$target" ;;
    *) echo "fuzz: unknown target $target (one of: ${all[*]}, all)" >&2; exit 2 ;;
  esac
fi
