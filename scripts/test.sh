#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need, then format, lint and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
command -v cargo >/dev/null || { echo "test: cargo not found; install the Rust toolchain (rustup)" >&2; exit 1; }

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast
  cargo test --doc --quiet
else
  cargo test --no-fail-fast
fi
