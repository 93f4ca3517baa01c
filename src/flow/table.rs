//! The bounded flow table of one worker.
//!
//! Flows are keyed by the symmetric 5-tuple plus VLAN ids. Every flow has one live
//! entry in an expiry heap, at a deadline no later than its real one (last packet + the
//! idle timeout of its state); the heap is checked lazily, so a packet only updates the
//! flow in place, and touches the heap only when a close shortens the timeout. When the table is full, the flow closest to its idle deadline is
//! evicted (counted in `flow.evicted`); a flow's records are emitted through the callback
//! given to [`FlowTable::process`], [`FlowTable::expire`] and [`FlowTable::flush`].

use super::{EndReason, Endpoint, FlowRecord, Outcome, Record};
use crate::config::FlowSettings;
use crate::decode::{tcp_flags, PacketMeta, Proto, VlanIds};
use crate::hash::HashMap;
use crate::time::{Timestamp, MICROS_PER_SEC};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// Limits and timeouts for one worker's table.
#[derive(Clone, Debug)]
pub struct FlowConfig {
    pub max_flows: usize,
    pub tcp_new_timeout: u64,
    pub tcp_established_timeout: u64,
    pub tcp_closed_timeout: u64,
    pub udp_timeout: u64,
    pub icmp_timeout: u64,
}

impl FlowConfig {
    /// This worker's share of the configured limits.
    pub fn for_worker(s: &FlowSettings, workers: usize) -> Self {
        let us = |secs: u64| secs.saturating_mul(MICROS_PER_SEC);
        FlowConfig {
            max_flows: (s.max_flows / workers.max(1)).max(1),
            tcp_new_timeout: us(s.tcp_new_timeout_s),
            tcp_established_timeout: us(s.tcp_established_timeout_s),
            tcp_closed_timeout: us(s.tcp_closed_timeout_s),
            udp_timeout: us(s.udp_timeout_s),
            icmp_timeout: us(s.icmp_timeout_s),
        }
    }
}

/// Counters of one table; summed over workers for `stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowCounters {
    pub created: u64,
    pub tcp: u64,
    pub udp: u64,
    pub icmpv4: u64,
    pub icmpv6: u64,
    pub other: u64,
    pub ended: u64,
    pub ended_timeout: u64,
    pub ended_fin: u64,
    pub ended_rst: u64,
    pub evicted: u64,
    pub flushed: u64,
    /// Flows still in the table when the counters were read.
    pub active: u64,
    /// Largest number of flows held at once.
    pub active_max: u64,
}

impl FlowCounters {
    pub fn merge(&mut self, o: &FlowCounters) {
        self.created += o.created;
        self.tcp += o.tcp;
        self.udp += o.udp;
        self.icmpv4 += o.icmpv4;
        self.icmpv6 += o.icmpv6;
        self.other += o.other;
        self.ended += o.ended;
        self.ended_timeout += o.ended_timeout;
        self.ended_fin += o.ended_fin;
        self.ended_rst += o.ended_rst;
        self.evicted += o.evicted;
        self.flushed += o.flushed;
        self.active += o.active;
        self.active_max += o.active_max;
    }
}

/// Symmetric flow key: the lower endpoint first, so both directions meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct FlowKey {
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
    proto: u8,
    vlan: VlanIds,
}

/// ICMP "ports" are type and code; a request and its reply differ in type. Both sides
/// of an ICMP flow are keyed by the request's type, so an echo and its reply (and the
/// other query/response pairs) are one flow.
fn icmp_flow_type(proto: Proto, icmp_type: u16) -> u16 {
    match (proto, icmp_type) {
        (Proto::Icmp, 0) => 8,
        (Proto::Icmp, 14) => 13,
        (Proto::Icmp, 16) => 15,
        (Proto::Icmp, 18) => 17,
        (Proto::Icmpv6, 129) => 128,
        (Proto::Icmpv6, 131) => 130,
        (Proto::Icmpv6, 136) => 135,
        (Proto::Icmpv6, 140) => 139,
        _ => icmp_type,
    }
}

impl FlowKey {
    fn of(p: &PacketMeta) -> Self {
        let (sp, dp) = match p.proto {
            Proto::Icmp | Proto::Icmpv6 => {
                let t = icmp_flow_type(p.proto, p.src_port);
                (t, t)
            }
            _ => (p.src_port, p.dst_port),
        };
        let a = (p.src, sp);
        let b = (p.dst, dp);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        FlowKey {
            lo,
            hi,
            proto: p.proto.number(),
            vlan: p.vlan,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TcpPhase {
    /// SYN seen (or a first datagram), no answer yet.
    Opening,
    Established,
    /// FIN from one side.
    Closing,
    /// FIN from both sides, or RST.
    Closed,
}

struct FlowEntry {
    record: FlowRecord,
    /// The deadline of this flow's one live entry in the expiry heap; any other heap
    /// entry for the key is stale and skipped.
    queued: Timestamp,
    phase: TcpPhase,
    fin_from_client: bool,
    fin_from_server: bool,
}

/// The flows of one worker.
pub struct FlowTable {
    cfg: FlowConfig,
    flows: HashMap<FlowKey, FlowEntry>,
    /// One entry per flow: (deadline as known when pushed, key). Stale entries are
    /// re-pushed with the current deadline when they surface.
    expiry: BinaryHeap<Reverse<(Timestamp, FlowKey)>>,
    counters: FlowCounters,
}

/// What the DNS tracker needs to know about the flow a packet belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowRef {
    pub flow_id: u64,
    pub client: Endpoint,
    pub server: Endpoint,
    pub from_client: bool,
}

fn flow_id(key: &FlowKey, start: Timestamp) -> u64 {
    // DefaultHasher::new() has fixed keys: the id must be the same on every run and for
    // any number of workers. It names flows in output; it does not index a table.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    start.hash(&mut h);
    // Keep ids within JSON's exact integer range (2^53) for SIEMs that parse as double.
    h.finish() & ((1 << 52) - 1)
}

impl FlowTable {
    pub fn new(cfg: FlowConfig) -> Self {
        FlowTable {
            flows: crate::hash::map_with_capacity(cfg.max_flows.min(1 << 16)),
            expiry: BinaryHeap::new(),
            counters: FlowCounters::default(),
            cfg,
        }
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    fn timeout(&self, e: &FlowEntry) -> u64 {
        match e.record.proto {
            Proto::Tcp => match e.phase {
                TcpPhase::Opening => self.cfg.tcp_new_timeout,
                TcpPhase::Established | TcpPhase::Closing => self.cfg.tcp_established_timeout,
                TcpPhase::Closed => self.cfg.tcp_closed_timeout,
            },
            Proto::Icmp | Proto::Icmpv6 => self.cfg.icmp_timeout,
            Proto::Udp | Proto::Other(_) => self.cfg.udp_timeout,
        }
    }

    fn deadline(&self, e: &FlowEntry) -> Timestamp {
        e.record.last.saturating_add(self.timeout(e))
    }

    /// Accounts one packet to its flow, creating the flow if needed, and emits the
    /// records that packet causes (an ended flow on port reuse, ConnStart, Handshake).
    pub fn process(&mut self, p: &PacketMeta, emit: &mut dyn FnMut(Record<'_>)) -> FlowRef {
        let key = FlowKey::of(p);
        let is_syn = p.proto == Proto::Tcp
            && p.tcp_flags & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN;

        // A new SYN on a closed flow is a new connection reusing the tuple.
        if is_syn {
            if let Some(e) = self.flows.get(&key) {
                if e.phase == TcpPhase::Closed {
                    self.end(&key, EndReason::Active, emit);
                }
            }
        }

        if !self.flows.contains_key(&key) {
            if self.flows.len() >= self.cfg.max_flows {
                self.evict_one(emit);
            }
            let mut entry = self.new_entry(&key, p);
            entry.queued = self.deadline(&entry);
            self.expiry.push(Reverse((entry.queued, key)));
            emit(Record::ConnStart(&entry.record));
            self.flows.insert(key, entry);
            self.compact_expiry();
            self.counters.active_max = self.counters.active_max.max(self.flows.len() as u64);
        }

        let Some(e) = self.flows.get_mut(&key) else {
            // Unreachable: inserted above. Return a reference that names nothing.
            return FlowRef {
                flow_id: 0,
                client: Endpoint {
                    ip: p.src,
                    port: p.src_port,
                },
                server: Endpoint {
                    ip: p.dst,
                    port: p.dst_port,
                },
                from_client: true,
            };
        };
        let from_client = match p.proto {
            // An ICMP reply carries another type than the request: judge by address.
            Proto::Icmp | Proto::Icmpv6 if e.record.client.ip != e.record.server.ip => {
                e.record.client.ip == p.src
            }
            _ => e.record.client.ip == p.src && e.record.client.port == p.src_port,
        };
        let r = &mut e.record;
        if p.ts > r.last {
            r.last = p.ts;
        }
        if from_client {
            r.pkts_toserver += 1;
            r.bytes_toserver += u64::from(p.wire_len);
            r.payload_toserver += u64::from(p.payload_len);
            r.tcp_flags_ts |= p.tcp_flags;
        } else {
            r.pkts_toclient += 1;
            r.bytes_toclient += u64::from(p.wire_len);
            r.payload_toclient += u64::from(p.payload_len);
            r.tcp_flags_tc |= p.tcp_flags;
        }

        let mut decided = false;
        if p.proto == Proto::Tcp {
            let f = p.tcp_flags;
            if f & tcp_flags::RST != 0 {
                if e.phase == TcpPhase::Opening && !from_client {
                    r.outcome = Outcome::Refused;
                    decided = true;
                }
                e.phase = TcpPhase::Closed;
                r.end = EndReason::Rst;
            } else {
                if !from_client
                    && f & (tcp_flags::SYN | tcp_flags::ACK) == (tcp_flags::SYN | tcp_flags::ACK)
                    && r.outcome == Outcome::Pending
                {
                    r.outcome = Outcome::Accepted;
                    decided = true;
                    if e.phase == TcpPhase::Opening {
                        e.phase = TcpPhase::Established;
                    }
                }
                if f & tcp_flags::FIN != 0 {
                    if from_client {
                        e.fin_from_client = true;
                    } else {
                        e.fin_from_server = true;
                    }
                    if e.phase != TcpPhase::Closed {
                        e.phase = if e.fin_from_client && e.fin_from_server {
                            r.end = EndReason::Fin;
                            TcpPhase::Closed
                        } else {
                            TcpPhase::Closing
                        };
                    }
                } else if e.phase == TcpPhase::Opening && r.outcome == Outcome::Midstream {
                    e.phase = TcpPhase::Established;
                }
            }
        } else if !from_client && r.outcome == Outcome::Pending {
            r.outcome = Outcome::Accepted;
            decided = true;
        }

        // A close shortens the timeout: queue the earlier deadline.
        let deadline = e
            .record
            .last
            .saturating_add(match (e.record.proto, e.phase) {
                (Proto::Tcp, TcpPhase::Closed) => self.cfg.tcp_closed_timeout,
                _ => u64::MAX,
            });
        if deadline < e.queued {
            e.queued = deadline;
            self.expiry.push(Reverse((deadline, key)));
        }
        let r = &e.record;
        let flow = FlowRef {
            flow_id: r.flow_id,
            client: r.client,
            server: r.server,
            from_client,
        };
        if decided {
            emit(Record::Handshake(&e.record));
        }
        flow
    }

    fn new_entry(&mut self, key: &FlowKey, p: &PacketMeta) -> FlowEntry {
        let src = Endpoint {
            ip: p.src,
            port: p.src_port,
        };
        let dst = Endpoint {
            ip: p.dst,
            port: p.dst_port,
        };
        let f = p.tcp_flags;
        let syn = f & tcp_flags::SYN != 0;
        let ack = f & tcp_flags::ACK != 0;
        // The SYN's sender is the client; a first SYN-ACK means we missed the SYN.
        let (client, server, outcome, phase) = match p.proto {
            Proto::Tcp if syn && !ack => (src, dst, Outcome::Pending, TcpPhase::Opening),
            Proto::Tcp if syn && ack => (dst, src, Outcome::Midstream, TcpPhase::Established),
            Proto::Tcp => (src, dst, Outcome::Midstream, TcpPhase::Opening),
            _ => (src, dst, Outcome::Pending, TcpPhase::Opening),
        };
        self.counters.created += 1;
        match p.proto {
            Proto::Tcp => self.counters.tcp += 1,
            Proto::Udp => self.counters.udp += 1,
            Proto::Icmp => self.counters.icmpv4 += 1,
            Proto::Icmpv6 => self.counters.icmpv6 += 1,
            Proto::Other(_) => self.counters.other += 1,
        }
        FlowEntry {
            record: FlowRecord {
                flow_id: flow_id(key, p.ts),
                client,
                server,
                proto: p.proto,
                vlan: p.vlan,
                start: p.ts,
                last: p.ts,
                pkts_toserver: 0,
                pkts_toclient: 0,
                bytes_toserver: 0,
                bytes_toclient: 0,
                payload_toserver: 0,
                payload_toclient: 0,
                tcp_flags_ts: 0,
                tcp_flags_tc: 0,
                outcome,
                end: EndReason::Active,
            },
            queued: Timestamp::ZERO,
            phase,
            fin_from_client: false,
            fin_from_server: false,
        }
    }

    /// Removes a flow and emits its FlowEnd. `reason` overrides the recorded one unless it
    /// is `Active` (which keeps what FIN/RST set, or `Timeout`).
    fn end(&mut self, key: &FlowKey, reason: EndReason, emit: &mut dyn FnMut(Record<'_>)) {
        let Some(mut e) = self.flows.remove(key) else {
            return;
        };
        let r = &mut e.record;
        if r.outcome == Outcome::Pending {
            r.outcome = Outcome::Unanswered;
        }
        match reason {
            EndReason::Active => {
                if r.end == EndReason::Active {
                    r.end = EndReason::Timeout;
                }
            }
            other => r.end = other,
        }
        let c = &mut self.counters;
        c.ended += 1;
        match r.end {
            EndReason::Fin => c.ended_fin += 1,
            EndReason::Rst => c.ended_rst += 1,
            EndReason::Evicted => c.evicted += 1,
            EndReason::Shutdown => c.flushed += 1,
            EndReason::Timeout | EndReason::Active => c.ended_timeout += 1,
        }
        emit(Record::FlowEnd(&e.record));
    }

    /// A reused tuple leaves its old heap entry behind; rebuild the heap if such stale
    /// entries ever outnumber the flows, so the heap stays bounded by the table.
    fn compact_expiry(&mut self) {
        if self.expiry.len() > 2 * self.flows.len() + 64 {
            let entries: Vec<_> = self
                .flows
                .iter()
                .map(|(k, e)| Reverse((e.queued, *k)))
                .collect();
            self.expiry = BinaryHeap::from(entries);
        }
    }

    /// A popped heap entry: `None` if stale (no flow, or not the flow's live entry);
    /// otherwise the flow's real deadline, re-queued when later than the entry's.
    fn requeue_if_early(&mut self, pushed: Timestamp, key: &FlowKey) -> Option<Timestamp> {
        let timeout = {
            let e = self.flows.get(key)?;
            if e.queued != pushed {
                return None;
            }
            self.timeout(e)
        };
        let e = self.flows.get_mut(key)?;
        let actual = e.record.last.saturating_add(timeout);
        if actual > pushed {
            e.queued = actual;
            self.expiry.push(Reverse((actual, *key)));
        }
        Some(actual)
    }

    /// Evicts the flow closest to its idle deadline. Every flow has one heap entry whose
    /// deadline is at most its current one, so the first entry that is current is the
    /// true minimum.
    fn evict_one(&mut self, emit: &mut dyn FnMut(Record<'_>)) {
        while let Some(Reverse((pushed, key))) = self.expiry.pop() {
            let Some(actual) = self.requeue_if_early(pushed, &key) else {
                continue;
            };
            if actual > pushed {
                continue;
            }
            self.end(&key, EndReason::Evicted, emit);
            return;
        }
    }

    /// Ends every flow idle past its timeout at packet time `now`.
    pub fn expire(&mut self, now: Timestamp, emit: &mut dyn FnMut(Record<'_>)) {
        while let Some(Reverse((pushed, key))) = self.expiry.peek().copied() {
            if pushed > now {
                break;
            }
            self.expiry.pop();
            let Some(actual) = self.requeue_if_early(pushed, &key) else {
                continue;
            };
            if actual <= now {
                self.end(&key, EndReason::Active, emit);
            }
        }
    }

    /// End of input or shutdown: ends every flow, in deadline order.
    pub fn flush(&mut self, emit: &mut dyn FnMut(Record<'_>)) {
        let mut keys: Vec<(Timestamp, FlowKey)> = self
            .flows
            .iter()
            .map(|(k, e)| (e.record.start, *k))
            .collect();
        keys.sort_unstable();
        for (_, k) in keys {
            // A flow already closed by FIN/RST keeps that reason.
            let closed = self
                .flows
                .get(&k)
                .is_some_and(|e| e.phase == TcpPhase::Closed);
            self.end(
                &k,
                if closed {
                    EndReason::Active
                } else {
                    EndReason::Shutdown
                },
                emit,
            );
        }
        self.expiry.clear();
    }

    pub fn counters(&self) -> FlowCounters {
        let mut c = self.counters.clone();
        c.active = self.flows.len() as u64;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::VlanIds;

    fn cfg(max: usize) -> FlowConfig {
        FlowConfig {
            max_flows: max,
            tcp_new_timeout: 60 * MICROS_PER_SEC,
            tcp_established_timeout: 600 * MICROS_PER_SEC,
            tcp_closed_timeout: 10 * MICROS_PER_SEC,
            udp_timeout: 120 * MICROS_PER_SEC,
            icmp_timeout: 30 * MICROS_PER_SEC,
        }
    }

    fn pkt(t: u64, src: &str, sp: u16, dst: &str, dp: u16, proto: Proto, flags: u8) -> PacketMeta {
        PacketMeta {
            ts: Timestamp::from_secs_micros(t, 0),
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            src_port: sp,
            dst_port: dp,
            proto,
            tcp_flags: flags,
            vlan: VlanIds::default(),
            wire_len: 60,
            payload_len: 0,
            dns: None,
        }
    }

    #[derive(Debug, PartialEq)]
    enum Ev {
        Start,
        Hs(Outcome),
        End(Outcome, EndReason, u64, u64),
    }

    fn run(t: &mut FlowTable, pkts: &[PacketMeta]) -> Vec<Ev> {
        let mut evs = Vec::new();
        for p in pkts {
            t.process(p, &mut |r| evs.push(conv(r)));
        }
        evs
    }

    fn conv(r: Record<'_>) -> Ev {
        match r {
            Record::ConnStart(_) => Ev::Start,
            Record::Handshake(f) => Ev::Hs(f.outcome),
            Record::FlowEnd(f) => Ev::End(f.outcome, f.end, f.pkts_toserver, f.pkts_toclient),
            Record::Dns(_) => unreachable!(),
        }
    }

    const C: &str = "10.0.0.5";
    const S: &str = "198.51.100.23";
    use tcp_flags::{ACK, FIN, RST, SYN};

    #[test]
    fn accepted_session_ends_with_fin_and_counts_both_ways() {
        let mut t = FlowTable::new(cfg(10));
        let evs = run(
            &mut t,
            &[
                pkt(0, C, 40000, S, 8080, Proto::Tcp, SYN),
                pkt(0, S, 8080, C, 40000, Proto::Tcp, SYN | ACK),
                pkt(0, C, 40000, S, 8080, Proto::Tcp, ACK),
                pkt(1, C, 40000, S, 8080, Proto::Tcp, FIN | ACK),
                pkt(1, S, 8080, C, 40000, Proto::Tcp, FIN | ACK),
                pkt(1, C, 40000, S, 8080, Proto::Tcp, ACK),
            ],
        );
        assert_eq!(evs, vec![Ev::Start, Ev::Hs(Outcome::Accepted)]);
        let mut ends = Vec::new();
        t.expire(Timestamp::from_secs_micros(5, 0), &mut |r| {
            ends.push(conv(r))
        });
        assert!(
            ends.is_empty(),
            "closed flows linger for the closed timeout"
        );
        t.expire(Timestamp::from_secs_micros(12, 0), &mut |r| {
            ends.push(conv(r))
        });
        assert_eq!(ends, vec![Ev::End(Outcome::Accepted, EndReason::Fin, 4, 2)]);
        assert!(t.is_empty());
    }

    #[test]
    fn syn_answered_by_rst_is_refused() {
        let mut t = FlowTable::new(cfg(10));
        let evs = run(
            &mut t,
            &[
                pkt(0, C, 40001, S, 4444, Proto::Tcp, SYN),
                pkt(0, S, 4444, C, 40001, Proto::Tcp, RST | ACK),
            ],
        );
        assert_eq!(evs, vec![Ev::Start, Ev::Hs(Outcome::Refused)]);
        let mut ends = Vec::new();
        t.flush(&mut |r| ends.push(conv(r)));
        assert_eq!(ends, vec![Ev::End(Outcome::Refused, EndReason::Rst, 1, 1)]);
    }

    #[test]
    fn unanswered_syn_times_out_as_unanswered() {
        let mut t = FlowTable::new(cfg(10));
        run(
            &mut t,
            &[
                pkt(0, C, 40002, S, 22, Proto::Tcp, SYN),
                pkt(1, C, 40002, S, 22, Proto::Tcp, SYN),
                pkt(3, C, 40002, S, 22, Proto::Tcp, SYN),
            ],
        );
        let mut ends = Vec::new();
        t.expire(Timestamp::from_secs_micros(62, 0), &mut |r| {
            ends.push(conv(r))
        });
        assert!(ends.is_empty(), "deadline counts from the last packet");
        t.expire(Timestamp::from_secs_micros(64, 0), &mut |r| {
            ends.push(conv(r))
        });
        assert_eq!(
            ends,
            vec![Ev::End(Outcome::Unanswered, EndReason::Timeout, 3, 0)]
        );
    }

    #[test]
    fn udp_reply_accepts_and_idle_timeout_ends() {
        let mut t = FlowTable::new(cfg(10));
        let evs = run(
            &mut t,
            &[
                pkt(0, C, 5000, S, 123, Proto::Udp, 0),
                pkt(0, S, 123, C, 5000, Proto::Udp, 0),
            ],
        );
        assert_eq!(evs, vec![Ev::Start, Ev::Hs(Outcome::Accepted)]);
        let mut ends = Vec::new();
        t.expire(Timestamp::from_secs_micros(121, 0), &mut |r| {
            ends.push(conv(r))
        });
        assert_eq!(
            ends,
            vec![Ev::End(Outcome::Accepted, EndReason::Timeout, 1, 1)]
        );
    }

    #[test]
    fn full_table_evicts_the_flow_nearest_its_deadline_and_counts_it() {
        let mut t = FlowTable::new(cfg(2));
        let mut evs = run(
            &mut t,
            &[
                pkt(0, C, 1, S, 53, Proto::Udp, 0),
                pkt(5, C, 2, S, 53, Proto::Udp, 0),
                pkt(6, C, 1, S, 53, Proto::Udp, 0), // flow 1 refreshed: flow 2 is now oldest
                pkt(7, C, 3, S, 53, Proto::Udp, 0),
            ],
        );
        evs.retain(|e| matches!(e, Ev::End(..)));
        assert_eq!(
            evs,
            vec![Ev::End(Outcome::Unanswered, EndReason::Evicted, 1, 0)]
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t.counters().evicted, 1);
        let mut left = 0;
        t.flush(&mut |r| {
            if let Record::FlowEnd(f) = r {
                assert_ne!(f.client.port, 2, "flow 2 was the one evicted");
                left += 1;
            }
        });
        assert_eq!(left, 2);
    }

    #[test]
    fn syn_after_close_starts_a_new_flow() {
        let mut t = FlowTable::new(cfg(10));
        let evs = run(
            &mut t,
            &[
                pkt(0, C, 40003, S, 6667, Proto::Tcp, SYN),
                pkt(0, S, 6667, C, 40003, Proto::Tcp, RST | ACK),
                pkt(1, C, 40003, S, 6667, Proto::Tcp, SYN),
            ],
        );
        assert_eq!(
            evs,
            vec![
                Ev::Start,
                Ev::Hs(Outcome::Refused),
                Ev::End(Outcome::Refused, EndReason::Rst, 1, 1),
                Ev::Start
            ]
        );
    }

    #[test]
    fn icmp_echo_and_reply_are_one_flow() {
        let mut t = FlowTable::new(cfg(10));
        let evs = run(
            &mut t,
            &[
                pkt(0, C, 8, S, 0, Proto::Icmp, 0),
                pkt(0, S, 0, C, 0, Proto::Icmp, 0),
                pkt(1, "fd00::1", 128, "2001:db8::1", 0, Proto::Icmpv6, 0),
                pkt(1, "2001:db8::1", 129, "fd00::1", 0, Proto::Icmpv6, 0),
            ],
        );
        assert_eq!(
            evs,
            vec![
                Ev::Start,
                Ev::Hs(Outcome::Accepted),
                Ev::Start,
                Ev::Hs(Outcome::Accepted)
            ]
        );
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn flow_ids_are_stable_and_distinct() {
        let k = FlowKey::of(&pkt(0, C, 1, S, 2, Proto::Tcp, SYN));
        let k2 = FlowKey::of(&pkt(0, S, 2, C, 1, Proto::Tcp, SYN | ACK));
        assert_eq!(k, k2);
        let t0 = Timestamp::from_micros(1);
        assert_eq!(flow_id(&k, t0), flow_id(&k2, t0));
        assert_ne!(flow_id(&k, t0), flow_id(&k, Timestamp::from_micros(2)));
        assert!(flow_id(&k, t0) < 1 << 53);
    }
}
