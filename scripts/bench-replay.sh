#!/usr/bin/env bash
# End-to-end replay benchmark (issue 6): botsense -r against a bare pcap-parser read
# loop over the same generated capture, in the same run, plus memory per tracked flow.
# Usage: scripts/bench-replay.sh [PACKETS (500000)] [REPS (5)] [WORKERS (1,2)] [FLOWS (1000000)]
# Captures are generated into target/bench/ (not bundled: ~440 MB for 500 k packets).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
packets=${1:-500000}
reps=${2:-5}
workers=${3:-1,2}
flows=${4:-1000000}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin botsense --bin botsense-pcapgen --example pcap_read_loop
dir=$target/bench
mkdir -p "$dir"
capture=$dir/bench-mix-$packets.pcap
summary=$dir/bench-mix-$packets.json
if [ ! -s "$capture" ] || [ ! -s "$summary" ]; then
  "$target/release/botsense-pcapgen" --out "$dir" --bench-mix "$packets" | tail -1 > "$summary"
fi
flows_capture=$dir/bench-flows-$flows.pcap
[ -s "$flows_capture" ] || "$target/release/botsense-pcapgen" --out "$dir" --bench-flows "$flows" >/dev/null
# Replay from tmpfs when it has room: the page cache of a large file on disk can be
# reclaimed between runs (DAMON proactive reclaim does so on the development machine),
# and then both the read loop and botsense time the disk instead of themselves.
shm=/dev/shm/botsense-bench
size_kb=$(( ($(stat -c %s "$capture") + $(stat -c %s "$flows_capture")) / 1024 ))
if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt $(( size_kb * 2 )) ]; then
  mkdir -p "$shm"
  cp "$capture" "$shm/mix.pcap"
  cp "$flows_capture" "$shm/flows.pcap"
  capture=$shm/mix.pcap
  flows_capture=$shm/flows.pcap
  trap 'rm -rf "$shm"' EXIT
fi
python3 scripts/bench-replay.py "$target/release/botsense" "$target/release/examples/pcap_read_loop" \
  "$capture" "$(cat "$summary")" "$flows_capture" "$flows" "$reps" "$workers"
