#!/usr/bin/env bash
# Installs the Debian packages botsense needs to build and test, only those missing.
# Idempotent; safe to run on every invocation of the two README commands.
set -euo pipefail

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# Build: libpcap headers for the pcap crate, pkg-config to find them.
pkgs=(libpcap-dev pkg-config)
# Tests: rsyslog receivers, tcpreplay and iproute2 for live capture, util-linux for setpriv,
# strace to see what a non-root run writes, GNU time for the peak memory of a replay under
# attack (tests/bounded_state.rs).
if [ "${1:-}" = "--test" ]; then
  pkgs+=(rsyslog rsyslog-gnutls tcpreplay iproute2 util-linux systemd gnutls-bin python3 strace time)
fi
for p in "${pkgs[@]}"; do have "$p" || need+=("$p"); done

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${need[*]}; run this script as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
