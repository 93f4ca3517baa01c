//! Pairs DNS queries with their responses (by flow and transaction id).

use super::Endpoint;
use crate::decode::dns::{DnsAnswer, DnsMessage, DnsName};
use crate::decode::{DecodeCounters, Proto, VlanIds};
use crate::time::Timestamp;

/// A DNS query and its response; either may be missing (a response whose query we did
/// not see, or a query that timed out unanswered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsTransaction {
    pub flow_id: u64,
    /// The side that asked.
    pub client: Endpoint,
    pub server: Endpoint,
    pub proto: Proto,
    pub vlan: VlanIds,
    pub query_ts: Option<Timestamp>,
    pub response_ts: Option<Timestamp>,
    pub query: Option<DnsMessage>,
    pub response: Option<DnsMessage>,
}

impl DnsTransaction {
    /// When the transaction completed (response) or was given up (query time).
    pub fn ts(&self) -> Timestamp {
        self.response_ts.or(self.query_ts).unwrap_or_default()
    }

    fn message(&self) -> Option<&DnsMessage> {
        self.response.as_ref().or(self.query.as_ref())
    }

    pub fn id(&self) -> u16 {
        self.message().map(|m| m.id).unwrap_or_default()
    }

    pub fn qname(&self) -> Option<&DnsName> {
        self.message().and_then(|m| m.question()).map(|q| &q.name)
    }

    pub fn qtype(&self) -> Option<u16> {
        self.message().and_then(|m| m.question()).map(|q| q.qtype)
    }

    /// The response code; `None` when unanswered.
    pub fn rcode(&self) -> Option<u8> {
        self.response.as_ref().map(|m| m.rcode())
    }

    pub fn answers(&self) -> &[DnsAnswer] {
        self.response
            .as_ref()
            .map(|m| m.answers.as_slice())
            .unwrap_or(&[])
    }
}

/// Limits of one worker's tracker.
#[derive(Clone, Debug)]
pub struct DnsTrackerConfig {
    /// Queries waiting for their response; the oldest is given up (and logged as an
    /// unanswered request) when a new one would exceed it.
    pub max_pending: usize,
    /// A query unanswered this long (packet time, µs) is logged as unanswered.
    pub timeout: u64,
    pub limits: crate::decode::dns::DnsLimits,
}

/// Counters of one tracker; summed over workers for `stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsCounters {
    pub queries: u64,
    pub responses: u64,
    pub transactions: u64,
    pub unanswered: u64,
    pub unmatched_responses: u64,
    pub pending_evicted: u64,
    pub malformed: u64,
    /// `malformed` by reason, as the decode counters `dns.truncated`, `dns.label_loop`,
    /// ...: the output thread adds them to the capture thread's decode counters.
    pub errors: DecodeCounters,
    /// DNS over TCP segments that did not hold one whole length-prefixed message.
    pub tcp_unparsed: u64,
    pub pending: u64,
}

impl DnsCounters {
    pub fn merge(&mut self, o: &DnsCounters) {
        self.queries += o.queries;
        self.responses += o.responses;
        self.transactions += o.transactions;
        self.unanswered += o.unanswered;
        self.unmatched_responses += o.unmatched_responses;
        self.pending_evicted += o.pending_evicted;
        self.malformed += o.malformed;
        self.errors.merge(&o.errors);
        self.tcp_unparsed += o.tcp_unparsed;
        self.pending += o.pending;
    }
}

/// Pairs queries and responses of the flows one worker owns.
pub struct DnsTracker {
    cfg: DnsTrackerConfig,
    pending: crate::hash::HashMap<(u64, u16), DnsTransaction>,
    /// Insertion order of `pending`, for timeouts and eviction; entries whose key was
    /// already answered are skipped when they surface.
    order: std::collections::VecDeque<(Timestamp, u64, u16)>,
    counters: DnsCounters,
}

impl DnsTracker {
    pub fn new(cfg: DnsTrackerConfig) -> Self {
        DnsTracker {
            cfg,
            pending: crate::hash::HashMap::default(),
            order: std::collections::VecDeque::new(),
            counters: DnsCounters::default(),
        }
    }

    /// Parses the DNS payload of one packet of `flow` and emits a transaction when a
    /// response completes one (or arrives without its query).
    pub fn on_packet(
        &mut self,
        pkt: &crate::decode::PacketMeta,
        flow: &super::table::FlowRef,
        emit: &mut dyn FnMut(&DnsTransaction),
    ) {
        use crate::decode::dns;
        let Some(payload) = pkt.dns.as_deref() else {
            return;
        };
        let bytes = if pkt.proto == Proto::Tcp {
            match dns::tcp_message(payload) {
                Some(m) => m,
                None => {
                    self.counters.tcp_unparsed += 1;
                    return;
                }
            }
        } else {
            payload
        };
        let msg = match dns::parse_message(bytes, &self.cfg.limits) {
            Ok(m) => m,
            Err(e) => {
                self.counters.malformed += 1;
                self.counters.errors.bump(e.counter());
                return;
            }
        };
        let key = (flow.flow_id, msg.id);
        if !msg.is_response() {
            self.counters.queries += 1;
            // A retransmitted query keeps the first one's time, and takes no room: it
            // must not push out another pending query.
            if self.pending.contains_key(&key) {
                return;
            }
            if self.pending.len() >= self.cfg.max_pending {
                self.evict_oldest(emit);
            }
            let tx = DnsTransaction {
                flow_id: flow.flow_id,
                client: Endpoint {
                    ip: pkt.src,
                    port: pkt.src_port,
                },
                server: Endpoint {
                    ip: pkt.dst,
                    port: pkt.dst_port,
                },
                proto: pkt.proto,
                vlan: pkt.vlan,
                query_ts: Some(pkt.ts),
                response_ts: None,
                query: Some(msg),
                response: None,
            };
            self.order.push_back((pkt.ts, key.0, key.1));
            self.pending.insert(key, tx);
            return;
        }
        self.counters.responses += 1;
        let mut tx = match self.pending.remove(&key) {
            Some(tx) => tx,
            None => {
                self.counters.unmatched_responses += 1;
                DnsTransaction {
                    flow_id: flow.flow_id,
                    client: Endpoint {
                        ip: pkt.dst,
                        port: pkt.dst_port,
                    },
                    server: Endpoint {
                        ip: pkt.src,
                        port: pkt.src_port,
                    },
                    proto: pkt.proto,
                    vlan: pkt.vlan,
                    query_ts: None,
                    response_ts: None,
                    query: None,
                    response: None,
                }
            }
        };
        tx.response_ts = Some(pkt.ts);
        tx.response = Some(msg);
        self.counters.transactions += 1;
        emit(&tx);
    }

    fn evict_oldest(&mut self, emit: &mut dyn FnMut(&DnsTransaction)) {
        while let Some((_, fid, id)) = self.order.pop_front() {
            if let Some(tx) = self.pending.remove(&(fid, id)) {
                self.counters.pending_evicted += 1;
                self.counters.unanswered += 1;
                emit(&tx);
                return;
            }
        }
    }

    /// Gives up on queries older than the timeout at packet time `now`.
    pub fn expire(&mut self, now: Timestamp, emit: &mut dyn FnMut(&DnsTransaction)) {
        while let Some(&(ts, fid, id)) = self.order.front() {
            if now.since(ts) < self.cfg.timeout {
                break;
            }
            self.order.pop_front();
            if let Some(tx) = self.pending.remove(&(fid, id)) {
                self.counters.unanswered += 1;
                emit(&tx);
            }
        }
        // Answered queries leave their order entry behind; keep the queue bounded.
        if self.order.len() > 2 * self.pending.len() + 64 {
            let pending = &self.pending;
            self.order
                .retain(|(_, f, i)| pending.contains_key(&(*f, *i)));
        }
    }

    /// End of input: every query still waiting is logged as unanswered, oldest first.
    pub fn flush(&mut self, emit: &mut dyn FnMut(&DnsTransaction)) {
        while let Some((_, fid, id)) = self.order.pop_front() {
            if let Some(tx) = self.pending.remove(&(fid, id)) {
                self.counters.unanswered += 1;
                emit(&tx);
            }
        }
    }

    pub fn counters(&self) -> DnsCounters {
        let mut c = self.counters.clone();
        c.pending = self.pending.len() as u64;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{PacketMeta, VlanIds};
    use crate::flow::FlowRef;
    use crate::pcapgen::dns::{DnsMessage, DomainName};

    fn query(flow_id: u64, id: u16, at: u64) -> (PacketMeta, FlowRef) {
        let msg = DnsMessage::query(id, &DomainName::parse("example.com"), 1)
            .encode()
            .unwrap();
        let client = Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port: 40_000 + flow_id as u16,
        };
        let server = Endpoint {
            ip: "10.0.0.53".parse().unwrap(),
            port: 53,
        };
        let p = PacketMeta {
            ts: Timestamp::from_secs_micros(at, 0),
            src: client.ip,
            dst: server.ip,
            src_port: client.port,
            dst_port: server.port,
            proto: Proto::Udp,
            tcp_flags: 0,
            vlan: VlanIds::default(),
            wire_len: 100,
            payload_len: msg.len() as u32,
            dns: Some(msg.into_boxed_slice()),
        };
        let f = FlowRef {
            flow_id,
            client,
            server,
            from_client: true,
        };
        (p, f)
    }

    #[test]
    fn a_retransmitted_query_does_not_push_out_another_pending_query() {
        let mut t = DnsTracker::new(DnsTrackerConfig {
            max_pending: 2,
            timeout: 30 * crate::time::MICROS_PER_SEC,
            limits: Default::default(),
        });
        let mut emitted = Vec::new();
        for (flow, at) in [(1, 0), (2, 1), (2, 2)] {
            let (p, f) = query(flow, 7, at);
            t.on_packet(&p, &f, &mut |d| emitted.push(d.flow_id));
        }
        assert!(emitted.is_empty(), "{emitted:?}");
        assert_eq!(t.counters().pending_evicted, 0);
        assert_eq!(t.counters().queries, 3);
        assert_eq!(t.counters().pending, 2);
    }
}
