//! The counters a `stats` event carries.

use crate::time::Timestamp;
use std::collections::BTreeMap;

/// Counters by dotted name (`decoder.pkts`, `flow.active`). Each component publishes its
/// own counters into one of these; a `stats` event nests them by the dots.
pub type Counters = BTreeMap<String, u64>;

/// One `stats` event's worth of counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub ts: Timestamp,
    pub uptime_s: u64,
    /// Counters under Suricata's names, written in `stats` (every name must exist in
    /// Suricata's EVE schema: `decoder.pkts`, `capture.kernel_drops`, `flow.active`, ...).
    pub suricata: Counters,
    /// botsense's own counters (decode errors by reason, DNS, alerts by detector,
    /// evictions per bound), written in `botsense.stats`.
    pub botsense: Counters,
}
