//! Pairs DNS queries with their responses (by flow and transaction id).

use super::Endpoint;
use crate::decode::dns::{DnsAnswer, DnsMessage, DnsName};
use crate::decode::{Proto, VlanIds};
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
        self.response.as_ref().map(|m| m.answers.as_slice()).unwrap_or(&[])
    }
}
