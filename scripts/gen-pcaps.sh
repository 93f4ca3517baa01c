#!/usr/bin/env bash
# Regenerates the bundled captures in pcaps/ and pcaps/README.md from src/pcapgen/.
# Deterministic: running it twice gives byte-identical files (git diff stays empty).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet --bin botsense-pcapgen -- --out pcaps "$@"
