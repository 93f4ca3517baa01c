#!/usr/bin/env python3
"""End-to-end replay benchmark: botsense -r against a bare read loop, in one run.

Called by scripts/bench-replay.sh (which builds the binaries and the captures). Every
configuration is run REPS times, interleaved with the read loop so that machine noise
hits all of them alike; the report gives medians, ratios to the read loop's median wall
time, packets/s, Gbit/s (frame bytes) and peak RSS (the child's ru_maxrss).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def vm_hwm_kib(pid):
    """The process's peak resident set (VmHWM), or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run(cmd):
    """Runs cmd; returns (wall seconds, cpu seconds, peak RSS in KiB).

    Peak RSS is the child's VmHWM polled every 2 ms: ru_maxrss would include this
    Python parent's pages from before exec."""
    # eve.json is opened for appending: start every run with none, so the runs write the
    # same and the log directory does not grow with every repetition.
    if "-l" in cmd:
        eve = os.path.join(cmd[cmd.index("-l") + 1], "eve.json")
        if os.path.exists(eve):
            os.remove(eve)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        hwm = vm_hwm_kib(proc.pid)
        if hwm:
            peak = max(peak, hwm)
        time.sleep(0.002)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, peak


def main():
    botsense, read_loop, capture, summary_json, flows_capture, flows_n, reps, workers = sys.argv[1:9]
    reps = int(reps)
    summary = json.loads(summary_json)
    packets, wire_bytes = summary["packets"], summary["wire_bytes"]
    tmp = tempfile.mkdtemp(prefix="botsense-bench.")
    alerts_only = os.path.join(tmp, "alerts-only.toml")
    with open(alerts_only, "w") as f:
        f.write("[eve]\nflow = false\ndns = false\n")
    log = os.path.join(tmp, "log")
    os.mkdir(log)

    configs = [("read loop (pcap-parser)", [read_loop, capture])]
    for w in workers.split(","):
        configs.append((f"botsense alerts only, {w} worker(s)",
                        [botsense, "-q", "--workers", w, "-c", alerts_only, "-r", capture, "-l", log]))
        configs.append((f"botsense flow+dns+alerts, {w} worker(s)",
                        [botsense, "-q", "--workers", w, "-r", capture, "-l", log]))

    # Warm the page cache so every configuration reads from memory.
    with open(capture, "rb") as f:
        while f.read(1 << 24):
            pass
    results = {name: [] for name, _ in configs}
    for _ in range(reps):
        for name, cmd in configs:
            results[name].append(run(cmd))

    base = statistics.median(r[0] for r in results[configs[0][0]])
    print(f"capture: {capture}: {packets} packets, {wire_bytes / 1e6:.0f} MB of frames; "
          f"{reps} interleaved runs each, medians; {os.cpu_count()} CPUs")
    print(f"{'configuration':<40} {'wall s':>7} {'ratio':>6} {'cpu s':>6} {'Mpkt/s':>7} {'Gbit/s':>7} {'RSS MiB':>8}")
    for name, _ in configs:
        wall = statistics.median(r[0] for r in results[name])
        cpu = statistics.median(r[1] for r in results[name])
        rss = max(r[2] for r in results[name]) / 1024
        print(f"{name:<40} {wall:7.3f} {wall / base:6.2f} {cpu:6.2f} {packets / wall / 1e6:7.2f} "
              f"{wire_bytes * 8 / wall / 1e9:7.2f} {rss:8.1f}")

    # Memory per tracked flow: N one-packet flows alive at once, against an empty run.
    big = os.path.join(tmp, "flows.toml")
    with open(big, "w") as f:
        f.write(f"[flow]\nmax_flows = {int(flows_n) * 2}\n[eve]\nflow = false\ndns = false\n")
    empty_pcap = os.path.join(tmp, "one.pcap")
    subprocess.run([read_loop, flows_capture], check=True, stdout=subprocess.DEVNULL)
    _, _, rss_flows = run([botsense, "-q", "--workers", "1", "-c", big, "-r", flows_capture, "-l", log])
    # The baseline: the same binary and config on the first 1 000 flows of that capture.
    with open(flows_capture, "rb") as src, open(empty_pcap, "wb") as dst:
        dst.write(src.read(24 + 1000 * (16 + 46)))
    _, _, rss_base = run([botsense, "-q", "--workers", "1", "-c", big, "-r", empty_pcap, "-l", log])
    per_flow = (rss_flows - rss_base) * 1024 / int(flows_n)
    print(f"{flows_n} concurrent flows: peak RSS {rss_flows / 1024:.1f} MiB "
          f"({rss_base / 1024:.1f} MiB for 1 000): {per_flow:.0f} bytes per tracked flow")
    shutil.rmtree(tmp)


main()
