#!/usr/bin/env bash
# Builds botsense and replays a bundled capture, then shows what it found.
# Usage: scripts/demo.sh [CAPTURE-OR-DIR]   (default: the detector captures in pcaps/detect/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
command -v cargo >/dev/null || { echo "demo: cargo not found; install the Rust toolchain (rustup)" >&2; exit 1; }

cargo build --release --quiet --bin botsense
input=${1:-pcaps/detect}
out=$(mktemp -d /tmp/botsense-demo.XXXXXX)
echo "== botsense -r $input -l $out"
./target/release/botsense -r "$input" -l "$out" || status=$?
echo
echo "== $out/eve.json: $(wc -l < "$out/eve.json") EVE lines"
for t in alert flow dns stats; do
  printf '   %-6s %s\n' "$t" "$(grep -c "\"event_type\":\"$t\"" "$out/eve.json" || true)"
done
echo
echo "== alerts (signature)"
grep '"event_type":"alert"' "$out/eve.json" | sed -E 's/.*"signature":"([^"]*)".*/   \1/' | sort | uniq -c || echo "   none"
exit "${status:-0}"
