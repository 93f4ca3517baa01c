//! Captures for the live-capture tests (`pcaps/live/`): short enough to replay onto an
//! interface at their own timing (`tcpreplay --multiplier=1`) within a test, so the
//! live sensor sees the same intervals the offline replay reads from the file.
//!
//! tcpreplay gives every packet the time it is sent, so a capture spanning hours would
//! either take hours or, sped up, show the detectors different intervals than the file
//! holds; these captures last seconds and are replayed in real time instead.

use super::detect_cases::{frames, ip4, irc_session, jittered, tcp_series, v4};
use super::scenario::Scenario;
use super::session::Framing;
use super::{Packet, Rng};
use std::io;

const BEACON_FAST: &str = "live-beacon-fast";

/// A beacon every 1.5 s for ~23 s, and one IRC connection.
pub fn beacon_fast() -> Scenario {
    Scenario::new(BEACON_FAST, "live/beacon-fast.pcap", beacon_fast_packets).describe(
        "16 TCP sessions (120 B up, 80 B down, FIN) 10.1.0.21 → 198.51.100.45:8081, one \
         every 1.5 s ± 5 % (uniform) over ~23 s; at +2 s one TCP session 10.1.0.22 → \
         203.0.113.67:6667 (IRC NICK/USER/JOIN up, welcome and topic down, FIN); made to be \
         replayed live at its own timing (`tcpreplay --multiplier=1`, tests/live.rs)",
        "with `detect.beacon.min_median_interval_s = 1` (the live tests' config): `beacon` \
         alert src 10.1.0.21, dest 198.51.100.45:8081/tcp (16 connections, median interval \
         ≈ 1.5 s) and `c2_port` alert src 10.1.0.22, dest 203.0.113.67:6667/tcp; with the \
         default config only the `c2_port` alert (a 1.5 s median is under the default 2 s \
         burst floor); the same alerts live as offline",
    )
}

fn beacon_fast_packets() -> io::Result<Vec<Packet>> {
    let mut rng = Rng::for_scenario(BEACON_FAST);
    let starts = jittered(&mut rng, 16, 0, 1_500, 5);
    let mut ips = tcp_series(
        &mut rng,
        ip4([10, 1, 0, 21]),
        v4([198, 51, 100, 45], 8081),
        &starts,
        120,
        80,
    )?;
    ips.extend(irc_session(
        &mut rng,
        ip4([10, 1, 0, 22]),
        v4([203, 0, 113, 67], 6667),
        2_000,
    )?);
    frames(&Framing::ethernet(), &ips)
}
