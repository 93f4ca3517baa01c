//! The bounded flow table of one worker.
//!
//! Flows are keyed by the symmetric 5-tuple plus VLAN ids. Storage is laid out for
//! memory per flow (at most 256 bytes, everything included):
//!
//! * `slots`: every flow's `FlowEntry` in a slab (a freed slot is reused);
//! * `index`: a hash table of slot numbers whose key is recomputed from the entry's
//!   record, so the tuple is stored once;
//! * `expiry`: a min-heap of (deadline, slot, serial) by deadline, then serial
//!   ([`super::expiry`]). A flow's earliest entry is never later than its real deadline:
//!   a packet updates the flow in place and pushes an entry only when its new phase
//!   has a shorter timeout (a close); an entry found early at the top is pushed again at
//!   the flow's real deadline. An ended flow's entries stay behind until they surface (or a compaction
//!   drops them), recognised by a serial that no longer matches their slot. Serials are
//!   32 bits: a left-behind entry could name a new flow only after 2^32 flows started
//!   while it waited, and then it only has that flow's deadline checked once more.
//!   Flows that expire at the same deadline end in key order, so the order is the same
//!   for any number of workers; among flows equally close to their deadline, eviction
//!   takes the oldest.
//!
//! When the table is full, the flow closest to its idle deadline is evicted (counted in
//! `flow.evicted`); a flow's records are emitted through the callback given to
//! [`FlowTable::process`], [`FlowTable::expire`] and [`FlowTable::flush`].

use super::expiry::{Due, ExpiryQueue};
use super::{EndReason, Endpoint, FlowRecord, Outcome, Record};
use crate::config::FlowSettings;
use crate::decode::{tcp_flags, PacketMeta, Proto, VlanIds};
use crate::time::{Timestamp, MICROS_PER_SEC};
use hashbrown::HashTable;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::IpAddr;

/// Limits and timeouts for one worker's table.
#[derive(Clone, Copy, Debug)]
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

/// The two endpoints as keyed: ICMP "ports" are the request type on both sides (see
/// [`icmp_flow_type`]), every other protocol's are its ports.
#[inline]
fn keyed_endpoints(
    proto: Proto,
    a: (IpAddr, u16),
    b: (IpAddr, u16),
) -> ((IpAddr, u16), (IpAddr, u16)) {
    match proto {
        Proto::Icmp | Proto::Icmpv6 => {
            let t = icmp_flow_type(proto, a.1);
            ((a.0, t), (b.0, t))
        }
        _ => (a, b),
    }
}

/// An address as (is IPv6, its bits): ordered as the derived `Ord` of `IpAddr` orders.
#[inline]
fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

/// `a <= b` as the derived `Ord` of `(IpAddr, u16)` has it (IPv4 before IPv6, then the
/// address bytes, then the port), on integers instead of a chain of enum comparisons.
#[inline]
fn endpoint_le(a: (IpAddr, u16), b: (IpAddr, u16)) -> bool {
    (ip_bits(a.0), a.1) <= (ip_bits(b.0), b.1)
}

impl FlowKey {
    /// The key of a flow between `a` and `b`, the lower endpoint first.
    #[inline]
    fn new(proto: Proto, vlan: VlanIds, a: (IpAddr, u16), b: (IpAddr, u16)) -> Self {
        let (a, b) = keyed_endpoints(proto, a, b);
        let (lo, hi) = if endpoint_le(a, b) { (a, b) } else { (b, a) };
        FlowKey {
            lo,
            hi,
            proto: proto.number(),
            vlan,
        }
    }

    /// The key of a flow's record: its first packet's key (see [`FlowKey::of`]).
    fn of_record(r: &FlowRecord) -> Self {
        FlowKey::new(
            r.proto,
            r.vlan,
            (r.client.ip, r.client.port),
            (r.server.ip, r.server.port),
        )
    }

    /// The index's hash: the same fields as integers, a few multiplies with foldhash
    /// (the derived `Hash`, which [`flow_id`] keeps using so ids stay stable, feeds the
    /// enum tags and address bytes one write at a time).
    fn index_hash(&self, h: &foldhash::fast::RandomState) -> u64 {
        let ports = u64::from(self.lo.1)
            | u64::from(self.hi.1) << 16
            | u64::from(self.proto) << 32
            | u64::from(self.vlan.0[0]) << 40;
        h.hash_one((
            ip_bits(self.lo.0).1,
            ip_bits(self.hi.0).1,
            ports,
            self.vlan.0[1],
        ))
    }

    /// `FlowKey::of_record(r) == *self`, without ordering the endpoints: this runs on
    /// every index probe, so once a packet.
    fn matches(&self, r: &FlowRecord) -> bool {
        if self.proto != r.proto.number() || self.vlan != r.vlan {
            return false;
        }
        let (a, b) = keyed_endpoints(
            r.proto,
            (r.client.ip, r.client.port),
            (r.server.ip, r.server.port),
        );
        (a == self.lo && b == self.hi) || (a == self.hi && b == self.lo)
    }

    fn of(p: &PacketMeta) -> Self {
        FlowKey::new(p.proto, p.vlan, (p.src, p.src_port), (p.dst, p.dst_port))
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
    /// Which flow this is, for the expiry entries that name its slot.
    serial: u32,
    phase: TcpPhase,
    fin_from_client: bool,
    fin_from_server: bool,
}

/// The flows of one worker.
pub struct FlowTable {
    cfg: FlowConfig,
    slots: Vec<Option<FlowEntry>>,
    free: Vec<u32>,
    /// Slot numbers, hashed by the key of the slot's record.
    index: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    /// When flows may be due; see the module doc.
    expiry: ExpiryQueue,
    next_serial: u32,
    /// Scratch for the entries due at one deadline.
    group: Vec<Due>,
    len: usize,
    counters: FlowCounters,
}

/// An empty vector with room for `n`, or for fewer when that much cannot be reserved.
pub(super) fn reserved<T>(n: usize) -> Vec<T> {
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        v.reserve(n.min(1 << 16));
    }
    v
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
    //
    // The bytes are those `#[derive(Hash)]` of (key, start) fed it field by field (an
    // enum's discriminant as 8 bytes, addresses in network order, integers little-endian,
    // the vlan array after its length), written at once: SipHash streams, so the id is
    // the same, for a fifth of the work of eleven writes.
    let mut buf = [0u8; 2 * (8 + 16 + 2) + 1 + 8 + 4 + 8];
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        if let Some(dst) = buf.get_mut(n..n + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        n += bytes.len();
    };
    for (ip, port) in [key.lo, key.hi] {
        match ip {
            IpAddr::V4(a) => {
                put(&0u64.to_le_bytes());
                put(&a.octets());
            }
            IpAddr::V6(a) => {
                put(&1u64.to_le_bytes());
                put(&a.octets());
            }
        }
        put(&port.to_le_bytes());
    }
    put(&[key.proto]);
    put(&(key.vlan.0.len() as u64).to_le_bytes());
    for id in key.vlan.0 {
        put(&id.to_le_bytes());
    }
    put(&start.as_micros().to_le_bytes());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(buf.get(..n).unwrap_or_default());
    // Keep ids within JSON's exact integer range (2^53) for SIEMs that parse as double.
    h.finish() & ((1 << 52) - 1)
}

impl FlowConfig {
    /// The idle timeout of a flow of `proto` in `phase`.
    fn timeout(&self, proto: Proto, phase: TcpPhase) -> u64 {
        match proto {
            Proto::Tcp => match phase {
                TcpPhase::Opening => self.tcp_new_timeout,
                TcpPhase::Established | TcpPhase::Closing => self.tcp_established_timeout,
                TcpPhase::Closed => self.tcp_closed_timeout,
            },
            Proto::Icmp | Proto::Icmpv6 => self.icmp_timeout,
            Proto::Udp | Proto::Other(_) => self.udp_timeout,
        }
    }
}

impl FlowTable {
    pub fn new(cfg: FlowConfig) -> Self {
        // Reserved, not touched: pages become resident only as flows arrive, and the
        // vectors never reallocate (which would double them at the worst moment). Where
        // the address space will not have it, they start small and grow.
        let cap = cfg.max_flows.min(u32::MAX as usize);
        FlowTable {
            slots: reserved(cap),
            free: Vec::new(),
            index: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            // At most three entries a flow before a compaction (see compact_if_stale).
            expiry: ExpiryQueue::with_capacity(cap.saturating_mul(3).saturating_add(1025)),
            next_serial: 0,
            group: Vec::new(),
            len: 0,
            counters: FlowCounters::default(),
            cfg,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    // ---- storage: slab, index and heap ----------------------------------------------

    fn entry(&self, slot: u32) -> Option<&FlowEntry> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    fn entry_mut(&mut self, slot: u32) -> Option<&mut FlowEntry> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    fn key_of(&self, slot: u32) -> Option<FlowKey> {
        self.entry(slot).map(|e| FlowKey::of_record(&e.record))
    }

    fn find(&self, key: &FlowKey) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(key.index_hash(&self.hasher), |&s| {
                slots
                    .get(s as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|e| key.matches(&e.record))
            })
            .copied()
    }

    /// Stores a new flow and its heap entry at `deadline`.
    fn insert(&mut self, key: &FlowKey, mut entry: FlowEntry, deadline: Timestamp) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        let serial = self.next_serial;
        self.next_serial = serial.wrapping_add(1);
        entry.serial = serial;
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = Some(entry);
        }
        let (hasher, slots) = (&self.hasher, &self.slots);
        self.index
            .insert_unique(key.index_hash(hasher), slot, |&s| {
                slots
                    .get(s as usize)
                    .and_then(Option::as_ref)
                    .map_or(0, |e| FlowKey::of_record(&e.record).index_hash(hasher))
            });
        self.expiry.push(Due {
            at: deadline,
            slot,
            serial,
        });
        self.len += 1;
        self.compact_if_stale();
        slot
    }

    /// Whether `d` still names the flow in its slot.
    fn is_current(&self, d: &Due) -> bool {
        self.entry(d.slot).is_some_and(|e| e.serial == d.serial)
    }

    /// Drops left-behind entries once the queue holds more than three a live flow (a live
    /// flow has at most two current ones: its first, and one from a close or a
    /// re-queue), so a compaction frees at least a third of the queue: amortised
    /// constant cost, and at most 48 bytes of queue a flow.
    fn compact_if_stale(&mut self) {
        if self.expiry.len() > 3 * self.len + 1024 {
            let slots = &self.slots;
            self.expiry.compact(|d| {
                slots
                    .get(d.slot as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|e| e.serial == d.serial)
            });
        }
    }

    /// Takes a flow out of the slab, the index and the heap.
    fn remove(&mut self, slot: u32) -> Option<FlowEntry> {
        let key = self.key_of(slot)?;
        if let Ok(found) = self
            .index
            .find_entry(key.index_hash(&self.hasher), |&s| s == slot)
        {
            found.remove();
        }
        let e = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        self.len -= 1;
        Some(e)
    }

    // ---- flow logic ------------------------------------------------------------------

    fn timeout(&self, e: &FlowEntry) -> u64 {
        self.cfg.timeout(e.record.proto, e.phase)
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
        let mut slot = self.find(&key);
        // The flow this packet would join is over when a new SYN reuses a closed tuple,
        // or when it sat idle past its timeout (expiry runs on ticks, and in a replay the
        // tick that ends a gap comes after the packet that ends it): end it first, so a
        // replay splits flows exactly where a live capture would.
        if let Some(s) = slot {
            let over = self.entry(s).is_some_and(|e| {
                (is_syn && e.phase == TcpPhase::Closed) || p.ts > self.deadline(e)
            });
            if over {
                self.end(s, EndReason::Active, emit);
                slot = None;
            }
        }

        let slot = match slot {
            Some(s) => s,
            None => {
                if self.len >= self.cfg.max_flows {
                    self.evict_one(emit);
                }
                let entry = self.new_entry(&key, p);
                let deadline = self.deadline(&entry);
                emit(Record::ConnStart(&entry.record));
                let s = self.insert(&key, entry, deadline);
                self.counters.active_max = self.counters.active_max.max(self.len as u64);
                s
            }
        };

        let cfg = self.cfg;
        let Some(e) = self.entry_mut(slot) else {
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
        let phase_before = e.phase;
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

        // A phase with a shorter timeout (a close; or any step, with timeouts configured
        // that way) may bring the deadline forward: queue it. (When it is not earlier than
        // the flow's queued one, the entry is spare and surfaces after it.)
        let closed = if e.phase == phase_before {
            None
        } else {
            let timeout = cfg.timeout(e.record.proto, e.phase);
            (timeout < cfg.timeout(e.record.proto, phase_before)).then(|| Due {
                at: e.record.last.saturating_add(timeout),
                slot,
                serial: e.serial,
            })
        };
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
        if let Some(d) = closed {
            self.expiry.push(d);
            self.compact_if_stale();
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
            serial: 0,
            phase,
            fin_from_client: false,
            fin_from_server: false,
        }
    }

    /// Removes a flow and emits its FlowEnd. `reason` overrides the recorded one unless it
    /// is `Active` (which keeps what FIN/RST set, or `Timeout`).
    fn end(&mut self, slot: u32, reason: EndReason, emit: &mut dyn FnMut(Record<'_>)) {
        let Some(mut e) = self.remove(slot) else {
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

    /// Pops every entry due at the top's deadline `at` and returns it; the current ones
    /// are left in `self.group`, one per flow, in key order.
    fn take_group(&mut self) -> Option<Timestamp> {
        let at = self.expiry.peek()?.at;
        let mut group = std::mem::take(&mut self.group);
        group.clear();
        while let Some(d) = self.expiry.peek().filter(|d| d.at == at) {
            self.expiry.pop();
            if self.is_current(&d) {
                group.push(d);
            }
        }
        group.sort_unstable_by_key(|d| self.key_of(d.slot));
        group.dedup_by_key(|d| d.slot);
        self.group = group;
        Some(at)
    }

    /// A flow's entry surfaced at `at`: whether the flow is idle past its deadline by
    /// then; if not, its entry goes back at the real deadline.
    fn due_or_requeue(&mut self, d: Due, at: Timestamp) -> bool {
        let Some(actual) = self.entry(d.slot).map(|e| self.deadline(e)) else {
            return false;
        };
        if actual <= at {
            return true;
        }
        self.expiry.push(Due { at: actual, ..d });
        false
    }

    /// Evicts the flow closest to its idle deadline; among equals, the oldest. (Not by
    /// key as `expire` orders them: with coarse timestamps thousands of flows share a
    /// deadline, and sorting them on every eviction would be quadratic.)
    fn evict_one(&mut self, emit: &mut dyn FnMut(Record<'_>)) {
        while let Some(d) = self.expiry.pop() {
            if self.is_current(&d) && self.due_or_requeue(d, d.at) {
                self.end(d.slot, EndReason::Evicted, emit);
                return;
            }
        }
    }

    /// Ends every flow idle past its timeout at packet time `now`, in (deadline, key)
    /// order.
    pub fn expire(&mut self, now: Timestamp, emit: &mut dyn FnMut(Record<'_>)) {
        while self.expiry.peek().is_some_and(|d| d.at <= now) {
            let Some(at) = self.take_group() else {
                break;
            };
            let group = std::mem::take(&mut self.group);
            for &d in &group {
                if self.due_or_requeue(d, at) {
                    self.end(d.slot, EndReason::Active, emit);
                }
            }
            self.group = group;
        }
        self.compact_if_stale();
    }

    /// End of input or shutdown: ends every flow, in start order.
    pub fn flush(&mut self, emit: &mut dyn FnMut(Record<'_>)) {
        // Slot numbers only (4 bytes a flow), sorted by (start, key): this runs with the
        // table at its fullest, so a vector of keys here would be the run's peak memory.
        let mut order: Vec<u32> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|_| i as u32))
            .collect();
        let record = |slot: &u32| {
            self.slots
                .get(*slot as usize)
                .and_then(Option::as_ref)
                .map(|e| &e.record)
        };
        // The key is built only to break a tie on the start time.
        order.sort_unstable_by(|a, b| match (record(a), record(b)) {
            (Some(a), Some(b)) => a
                .start
                .cmp(&b.start)
                .then_with(|| FlowKey::of_record(a).cmp(&FlowKey::of_record(b))),
            _ => std::cmp::Ordering::Equal,
        });
        for slot in order {
            // A flow already closed by FIN/RST keeps that reason.
            let closed = self
                .entry(slot)
                .is_some_and(|e| e.phase == TcpPhase::Closed);
            self.end(
                slot,
                if closed {
                    EndReason::Active
                } else {
                    EndReason::Shutdown
                },
                emit,
            );
        }
        // Every entry left names an ended flow.
        self.expiry.clear();
    }

    pub fn counters(&self) -> FlowCounters {
        let mut c = self.counters.clone();
        c.active = self.len as u64;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::VlanIds;

    #[test]
    fn a_packet_after_the_idle_timeout_starts_a_new_flow() {
        let mut t = FlowTable::new(cfg(100));
        let mut ends = Vec::new();
        let mut starts = 0;
        for at in [0, 200] {
            let p = pkt(at, "10.0.0.1", 5000, "8.8.8.8", 9000, Proto::Udp, 0);
            t.process(&p, &mut |r| match r {
                Record::ConnStart(_) => starts += 1,
                Record::FlowEnd(f) => ends.push((f.end, f.pkts_toserver)),
                _ => {}
            });
        }
        // udp_timeout is 120 s: the first flow timed out before the second packet.
        assert_eq!(starts, 2);
        assert_eq!(ends, vec![(EndReason::Timeout, 1)]);
        assert_eq!(t.len(), 1);
    }

    /// The table's own cost per flow: the slab entry, the heap entry and the index's
    /// slot number with its control byte at the worst load (just over half full after a
    /// doubling). The replay benchmark measures the whole process (README).
    #[test]
    fn a_tracked_flow_costs_the_table_under_256_bytes() {
        let slab = std::mem::size_of::<Option<FlowEntry>>();
        // At most three expiry entries a flow before a compaction.
        let heap = 3 * std::mem::size_of::<Due>();
        let index = (std::mem::size_of::<u32>() + 1) * 8 / 7 * 2;
        assert!(slab + heap + index <= 256, "{slab} + {heap} + {index}");
    }

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

    proptest::proptest! {
        /// The index probe's equality is exactly equality of the normalized keys.
        #[test]
        fn key_matches_record_iff_keys_are_equal(
            a in (0usize..4, 0usize..3, 0usize..4, 0usize..3, 0usize..4, 0u16..2),
            b in (0usize..4, 0usize..3, 0usize..4, 0usize..3, 0usize..4, 0u16..2),
            mode in 0u8..3,
        ) {
            const IPS: [&str; 4] = ["10.0.0.1", "10.0.0.2", "fd00::1", "::ffff:10.0.0.1"];
            const PORTS: [u16; 3] = [0, 8, 53];
            const PROTOS: [Proto; 4] = [Proto::Tcp, Proto::Udp, Proto::Icmp, Proto::Icmpv6];
            let make = |(s, sp, d, dp, pr, v): (usize, usize, usize, usize, usize, u16)| {
                let mut p = pkt(0, IPS[s], PORTS[sp], IPS[d], PORTS[dp], PROTOS[pr], SYN);
                p.vlan = VlanIds([v, 0]);
                p
            };
            // Equal keys are rare among random pairs: a third of the cases probe with the
            // record's own packet, a third with the reply to it.
            let (s, sp, d, dp, pr, v) = a;
            let pb = match mode {
                0 => make(b),
                1 => make(a),
                _ => make((d, dp, s, sp, pr, v)),
            };
            let pa = make(a);
            let mut t = FlowTable::new(cfg(10));
            t.process(&pa, &mut |_| {});
            let record = &t.slots[0].as_ref().unwrap().record;
            let kb = FlowKey::of(&pb);
            proptest::prop_assert_eq!(kb.matches(record), FlowKey::of_record(record) == kb);
        }
    }

    proptest::proptest! {
        #[test]
        fn endpoint_order_is_the_derived_order(
            a: (u128, u16), b: (u128, u16), v4: (bool, bool), same_ip: bool,
        ) {
            let ip = |bits: u128, v4: bool| if v4 {
                IpAddr::from((bits as u32).to_be_bytes())
            } else {
                IpAddr::from(bits.to_be_bytes())
            };
            let ea = (ip(a.0, v4.0), a.1);
            let eb = (if same_ip { ea.0 } else { ip(b.0, v4.1) }, b.1);
            proptest::prop_assert_eq!(endpoint_le(ea, eb), ea <= eb);
            proptest::prop_assert_eq!(endpoint_le(eb, ea), eb <= ea);
        }

        /// The one-write id is the id hashing the derived `Hash` of (key, start) gives.
        #[test]
        fn flow_id_is_the_derived_hash_of_key_and_start(
            lo: (u128, u16), hi: (u128, u16), v4: (bool, bool), proto: u8, vlan: [u16; 2], start: u64,
        ) {
            let ip = |bits: u128, v4: bool| if v4 {
                IpAddr::from((bits as u32).to_be_bytes())
            } else {
                IpAddr::from(bits.to_be_bytes())
            };
            let key = FlowKey {
                lo: (ip(lo.0, v4.0), lo.1),
                hi: (ip(hi.0, v4.1), hi.1),
                proto,
                vlan: VlanIds(vlan),
            };
            let start = Timestamp::from_micros(start);
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            start.hash(&mut h);
            proptest::prop_assert_eq!(flow_id(&key, start), h.finish() & ((1 << 52) - 1));
        }
    }

    /// Closed flows leave their first (new-timeout) entry behind when they end at the
    /// shorter closed timeout; compaction keeps the queue within three entries a flow.
    #[test]
    fn left_behind_expiry_entries_stay_bounded_under_churn() {
        // 200 connections a second, each closed within a second: about 2 000 live flows
        // (ten seconds closed), and 12 000 left-behind entries (sixty seconds) without
        // compaction.
        const N: u64 = 40_000;
        let mut t = FlowTable::new(cfg(100_000));
        let (mut ends, mut most) = (0, 0);
        for i in 0..N {
            let sp = 1024 + (i % 60_000) as u16;
            let at = |k: u64| Timestamp::from_micros(i * 5_000 + k);
            for (k, (flags, from_client)) in [
                (SYN, true),
                (SYN | ACK, false),
                (ACK | FIN, true),
                (ACK | FIN, false),
            ]
            .into_iter()
            .enumerate()
            {
                let mut p = if from_client {
                    pkt(0, C, sp, S, 443, Proto::Tcp, flags)
                } else {
                    pkt(0, S, 443, C, sp, Proto::Tcp, flags)
                };
                p.ts = at(k as u64);
                t.process(&p, &mut |_| {});
            }
            if i % 200 == 0 {
                t.expire(at(4), &mut |r| {
                    if matches!(r, Record::FlowEnd(_)) {
                        ends += 1;
                    }
                });
            }
            most = most.max(t.expiry.len());
            assert!(
                t.expiry.len() <= 3 * t.len() + 1024 + 1,
                "{} entries for {} flows",
                t.expiry.len(),
                t.len()
            );
        }
        assert!(most > 4_000, "no entries were left behind: {most}");
        // Every flow ended exactly once or is still in the table.
        t.flush(&mut |r| {
            if matches!(r, Record::FlowEnd(_)) {
                ends += 1;
            }
        });
        assert_eq!(ends, N);
    }

    proptest::proptest! {
        /// Any packet sequence (few endpoints, so tuples are reused; every TCP flag
        /// combination; times that jump forward by up to a minute or step back), with
        /// expiry runs in between and a small table: every flow that starts ends exactly
        /// once, after its start, with its packets counted; the table and the expiry
        /// queue stay within their bounds.
        #[test]
        fn every_flow_ends_exactly_once_and_the_state_stays_bounded(
            steps in proptest::collection::vec(
                (0usize..3, 0usize..3, 0u8..64, 0u64..60_000_000, proptest::bool::ANY, 0u8..10),
                1..400,
            ),
            max in 1usize..8,
        ) {
            let mut t = FlowTable::new(cfg(max));
            let mut now = 1_000_000_000u64;
            let mut live: std::collections::HashMap<u64, u64> = Default::default();
            let mut packets = 0u64;
            let mut counted = 0u64;
            // `expiring`: the time of the expiry run that emits `r`, if one does.
            let mut check = |r: Record<'_>,
                             live: &mut std::collections::HashMap<u64, u64>,
                             expiring: Option<u64>| {
                match r {
                    Record::ConnStart(f) => {
                        // A new flow: its id is not live yet.
                        proptest::prop_assert!(live.insert(f.flow_id, f.start.as_micros()).is_none());
                    }
                    Record::FlowEnd(f) => {
                        let start = live.remove(&f.flow_id);
                        proptest::prop_assert!(start.is_some(), "ended twice or never started");
                        proptest::prop_assert!(f.last >= f.start);
                        counted += f.pkts_toserver + f.pkts_toclient;
                        // Expiry ends only flows idle past at least the shortest timeout.
                        if let Some(now) = expiring {
                            proptest::prop_assert!(
                                now >= f.last.as_micros() + 10 * MICROS_PER_SEC,
                                "ended at {now} though last seen at {}", f.last.as_micros()
                            );
                        }
                    }
                    _ => {}
                }
                Ok(())
            };
            for (c, sp, flags, dt, back, tick) in steps {
                now = if back { now.saturating_sub(dt / 10) } else { now + dt };
                let proto = if flags & 32 == 0 { Proto::Tcp } else { Proto::Udp };
                let mut p = if flags & 16 == 0 {
                    pkt(0, ["10.0.0.5", "10.0.0.6", "fd00::5"][c], [1000, 2000, 53][sp], S, 443, proto, flags & 0x17)
                } else {
                    pkt(0, S, 443, ["10.0.0.5", "10.0.0.6", "fd00::5"][c], [1000, 2000, 53][sp], proto, flags & 0x17)
                };
                p.ts = Timestamp::from_micros(now);
                packets += 1;
                let mut err = Ok(());
                t.process(&p, &mut |r| {
                    if err.is_ok() {
                        err = check(r, &mut live, None);
                    }
                });
                err?;
                if tick == 0 {
                    let mut err = Ok(());
                    t.expire(Timestamp::from_micros(now), &mut |r| {
                        if err.is_ok() {
                            err = check(r, &mut live, Some(now));
                        }
                    });
                    err?;
                }
                proptest::prop_assert!(t.len() <= max);
                proptest::prop_assert_eq!(t.len(), live.len());
                proptest::prop_assert!(t.expiry.len() <= 3 * t.len() + 1025);
            }
            let mut err = Ok(());
            t.flush(&mut |r| {
                if err.is_ok() {
                    err = check(r, &mut live, None);
                }
            });
            err?;
            proptest::prop_assert!(live.is_empty(), "flows never ended: {live:?}");
            proptest::prop_assert_eq!(counted, packets);
        }
    }

    /// Flows equally close to their deadline are evicted oldest first, and a new flow
    /// with that same deadline does not jump the queue.
    #[test]
    fn eviction_among_equal_deadlines_takes_the_oldest() {
        let mut t = FlowTable::new(cfg(3));
        let mut ended = Vec::new();
        // Every flow's first packet at the same time: all share one deadline. Ports in
        // descending order, so key order would pick the newest first.
        for sp in [5000u16, 4000, 3000, 2000, 1000] {
            t.process(&pkt(7, C, sp, S, 53, Proto::Udp, 0), &mut |r| {
                if let Record::FlowEnd(f) = r {
                    ended.push((f.client.port, f.end));
                }
            });
        }
        assert_eq!(
            ended,
            [(5000, EndReason::Evicted), (4000, EndReason::Evicted)]
        );
        assert_eq!(t.len(), 3);
    }

    /// With a half-open timeout longer than the established one, the handshake brings
    /// the deadline forward, and expiry ends the flow at it, not at the half-open one.
    #[test]
    fn a_phase_with_a_shorter_timeout_brings_the_deadline_forward() {
        let mut t = FlowTable::new(FlowConfig {
            tcp_new_timeout: 600 * MICROS_PER_SEC,
            tcp_established_timeout: 60 * MICROS_PER_SEC,
            ..cfg(10)
        });
        run(
            &mut t,
            &[
                pkt(0, C, 40000, S, 443, Proto::Tcp, SYN),
                pkt(0, S, 443, C, 40000, Proto::Tcp, SYN | ACK),
            ],
        );
        let mut ended = 0;
        t.expire(Timestamp::from_secs_micros(61, 0), &mut |r| {
            if matches!(r, Record::FlowEnd(_)) {
                ended += 1;
            }
        });
        assert_eq!(ended, 1);
        assert!(t.is_empty());
    }

    /// A limit far beyond memory is a limit, not an allocation: the table starts small.
    #[test]
    fn a_huge_flow_limit_does_not_reserve_it_all() {
        let mut t = FlowTable::new(cfg(u32::MAX as usize));
        assert_eq!(
            run(&mut t, &[pkt(1, C, 40000, S, 53, Proto::Udp, 0)]),
            [Ev::Start]
        );
        assert_eq!(t.len(), 1);
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
