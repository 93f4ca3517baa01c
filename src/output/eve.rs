//! EVE JSON: one line per flow record, DNS transaction, alert or stats snapshot, with
//! Suricata 8's field names and shapes so that SIEM parsers written for Suricata read
//! botsense unchanged.
//!
//! Each `write_*` appends exactly one JSON object, without a trailing newline, to a
//! reusable buffer; the caller adds the line break (file) or the frame (syslog). The
//! header every event shares and the whole flow event are written field by field with
//! [`JsonObject`] (flow lines are the most frequent, and serde_json's per-key escaping
//! was most of their cost); dns and alert bodies and stats are small borrowed structs
//! serialized by serde_json. Nothing is copied from the records except rendered names and
//! addresses.
//!
//! Everything botsense knows beyond Suricata's schema goes into one top-level `botsense`
//! object, the only property the Suricata schema (`tests/reference/`) does not list.
//!
//! Bytes from the wire are always rendered with
//! [`DnsName::display`](crate::decode::dns::DnsName::display) (names) or
//! [`display_bytes`](crate::decode::dns::display_bytes) (TXT data): printable ASCII with
//! `\xNN` escapes, so any input gives valid JSON on a single line that cannot break a
//! syslog frame.

use crate::decode::dns::{rcode_name, rrtype_name, DnsAnswer, DnsMessage, DnsQuestion, RData};
use crate::decode::{tcp_flags, Proto, VlanIds};
use crate::detect::Alert;
use crate::flow::community_id::community_id;
use crate::flow::{DnsTransaction, EndReason, Endpoint, FlowRecord};
use crate::output::json::JsonObject;
use crate::output::stats::{Counters, StatsSnapshot};
use crate::time::{EveTimeText, Timestamp};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How EVE lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EveOptions {
    /// Community ID seed; 0 (the default) is what Suricata and Zeek use unless told.
    pub community_id_seed: u16,
}

/// Appends one `flow` event: src is the client, dest the server, `timestamp` the flow's
/// last packet.
pub fn write_flow(out: &mut Vec<u8>, f: &FlowRecord, o: &EveOptions) {
    let tuple = Tuple {
        src: f.client,
        dest: f.server,
        proto: f.proto,
        vlan: f.vlan,
    };
    // `timestamp` and `flow.end` are the same time: formatted once.
    let last = f.last.eve().text();
    let mut ev = header(out, &last, Some(f.flow_id), "flow", &tuple, o);
    let mut flow = ev.object("flow");
    flow.u64("pkts_toserver", f.pkts_toserver)
        .u64("pkts_toclient", f.pkts_toclient)
        .u64("bytes_toserver", f.bytes_toserver)
        .u64("bytes_toclient", f.bytes_toclient)
        .time("start", f.start)
        .time_text("end", &last)
        // Suricata: whole seconds between the start and end timestamps.
        .u64("age", f.last.secs().saturating_sub(f.start.secs()))
        .plain_str("state", flow_state(f))
        .plain_str("reason", f.end.eve_reason())
        .bool("alerted", false);
    flow.end();
    if f.proto == Proto::Tcp {
        write_tcp(&mut ev, f);
    }
    let mut extras = ev.object("botsense");
    // How the opening went (accepted, refused, unanswered, pending, midstream), and why
    // the flow ended, finer than Suricata's `flow.reason`.
    extras
        .plain_str("outcome", f.outcome.name())
        .plain_str("end_reason", end_reason_name(f.end))
        .u64("payload_toserver", f.payload_toserver)
        .u64("payload_toclient", f.payload_toclient);
    extras.end();
    ev.end();
}

/// Appends one `dns` event in Suricata 8's "version 3" shape.
///
/// A transaction with a response is written as `type: "response"` at the response time,
/// with the questions of the response (or of the query when the response repeats none)
/// and the answers. A query that was never answered is written as `type: "request"`.
///
/// Unlike Suricata, which swaps src and dest for responses, `src_ip` is always the
/// client that asked and `dest_ip` the server: a SIEM can then group every DNS event of
/// a host by `src_ip`, which is what the DGA and beacon triage needs.
pub fn write_dns(out: &mut Vec<u8>, d: &DnsTransaction, o: &EveOptions) {
    let tuple = Tuple {
        src: d.client,
        dest: d.server,
        proto: d.proto,
        vlan: d.vlan,
    };
    let empty = DnsMessage::default();
    let (kind, msg, queries, answers): (_, &DnsMessage, &[DnsQuestion], &[DnsAnswer]) =
        match (&d.response, &d.query) {
            (Some(r), q) => {
                let queries = if r.questions.is_empty() {
                    q.as_ref().map(|q| q.questions.as_slice()).unwrap_or(&[])
                } else {
                    &r.questions
                };
                ("response", r, queries, r.answers.as_slice())
            }
            (None, Some(q)) => ("request", q, q.questions.as_slice(), &[]),
            (None, None) => ("request", &empty, &[], &[]),
        };
    let dns = DnsObject {
        version: 3,
        kind,
        id: msg.id,
        flags: HexFlags(msg.flags),
        qr: msg.is_response(),
        aa: msg.aa(),
        tc: msg.tc(),
        rd: msg.rd(),
        ra: msg.ra(),
        z: msg.z(),
        opcode: msg.opcode(),
        rcode: rcode_name(msg.rcode()),
        queries: Queries(queries),
        answers: Answers(answers),
        grouped: Grouped(answers),
    };
    let mut ev = header(out, &d.ts().eve().text(), Some(d.flow_id), "dns", &tuple, o);
    ev.serde("dns", &dns);
    ev.end();
}

/// Appends one `alert` event: Suricata's `alert` object plus `botsense` with the
/// detector, score, severity name and the detector's evidence.
pub fn write_alert(out: &mut Vec<u8>, a: &Alert, o: &EveOptions) {
    let tuple = Tuple {
        src: a.src,
        dest: a.dest,
        proto: a.proto,
        vlan: a.vlan,
    };
    let alert = AlertObject {
        action: "allowed",
        gid: 1,
        signature_id: a.signature_id,
        rev: a.rev,
        signature: &a.signature,
        category: a.category,
        severity: a.severity.eve_severity(),
        metadata: AlertMetadata {
            mitre_technique_id: a.mitre_technique_ids,
            mitre_tactic_id: a.mitre_tactic_ids,
            signature_severity: [a.severity.name()],
        },
    };
    let mut ev = header(out, &a.ts.eve().text(), a.flow_id, "alert", &tuple, o);
    ev.serde("alert", &alert).serde("botsense", &AlertExtras(a));
    ev.end();
}

/// Appends one `stats` event: Suricata-named counters nested by their dots under
/// `stats`, botsense's own under `botsense.stats`.
pub fn write_stats(out: &mut Vec<u8>, s: &StatsSnapshot) {
    let ev = StatsEvent {
        timestamp: EveTs(s.ts),
        event_type: "stats",
        stats: SuricataStats {
            uptime: s.uptime_s,
            counters: CounterTree::of(&s.suricata),
        },
        botsense: BotsenseStats {
            stats: CounterTree::of(&s.botsense),
        },
    };
    write_json(out, &ev);
}

/// Serializes `value` onto `out`; on an error (which these types cannot produce: all
/// keys are strings and every `Serialize` here is infallible) `out` is cut back so a
/// half-written object never reaches a file or a syslog frame.
fn write_json<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
    }
}

// ---- the common part -------------------------------------------------------------

/// The endpoints and protocol an event is about.
struct Tuple {
    src: Endpoint,
    dest: Endpoint,
    proto: Proto,
    vlan: VlanIds,
}

/// Opens an event and writes what every event but `stats` starts with, in Suricata's
/// order; the caller adds the body's keys and closes it.
fn header<'o>(
    out: &'o mut Vec<u8>,
    ts: &EveTimeText,
    flow_id: Option<u64>,
    event_type: &'static str,
    t: &Tuple,
    o: &EveOptions,
) -> JsonObject<'o> {
    let mut ev = JsonObject::begin(out);
    ev.time_text("timestamp", ts);
    if let Some(id) = flow_id {
        ev.u64("flow_id", id);
    }
    ev.plain_str("event_type", event_type);
    if !t.vlan.is_empty() {
        ev.serde("vlan", &Vlan(t.vlan));
    }
    // Suricata writes ports only for protocols that have them; for ICMP the decoder keeps
    // the type in the source "port" and the code in the destination "port".
    let ports = matches!(t.proto, Proto::Tcp | Proto::Udp | Proto::Other(PROTO_SCTP));
    ev.ip("src_ip", t.src.ip);
    if ports {
        ev.u64("src_port", u64::from(t.src.port));
    }
    ev.ip("dest_ip", t.dest.ip);
    if ports {
        ev.u64("dest_port", u64::from(t.dest.port));
    }
    // "TCP", "UDP", ... or a protocol number.
    ev.plain_str("proto", &t.proto.eve_name());
    if matches!(t.proto, Proto::Icmp | Proto::Icmpv6) {
        ev.u64("icmp_type", u64::from(t.src.port))
            .u64("icmp_code", u64::from(t.dest.port));
    }
    let id = community_id(
        o.community_id_seed,
        t.proto.number(),
        t.src.ip,
        t.src.port,
        t.dest.ip,
        t.dest.port,
    );
    // "1:" and base64: letters, digits, `+`, `/`, `=`.
    ev.plain_str("community_id", &id);
    ev
}

const PROTO_SCTP: u8 = 132;

/// A timestamp written as EVE's `2026-11-22T10:00:00.123456+0000`, without allocating.
struct EveTs(Timestamp);

impl Serialize for EveTs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.eve().text().as_str())
    }
}

/// EVE's `vlan` array, outer id first.
struct Vlan(VlanIds);

impl Serialize for Vlan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.ids())
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

// ---- flow ----------------------------------------------------------------------------

/// Suricata's `tcp` object of a flow event: flag unions as two hex digits and a boolean
/// for each flag seen (absent when not seen, as Suricata writes them).
fn write_tcp(ev: &mut JsonObject<'_>, f: &FlowRecord) {
    let all = f.tcp_flags_ts | f.tcp_flags_tc;
    let mut tcp = ev.object("tcp");
    tcp.plain_str("tcp_flags", hex_byte(all).as_str())
        .plain_str("tcp_flags_ts", hex_byte(f.tcp_flags_ts).as_str())
        .plain_str("tcp_flags_tc", hex_byte(f.tcp_flags_tc).as_str());
    for (name, bit) in [
        ("syn", tcp_flags::SYN),
        ("fin", tcp_flags::FIN),
        ("rst", tcp_flags::RST),
        ("psh", tcp_flags::PSH),
        ("ack", tcp_flags::ACK),
        ("urg", tcp_flags::URG),
        ("ecn", tcp_flags::ECE),
        ("cwr", tcp_flags::CWR),
    ] {
        if all & bit != 0 {
            tcp.bool(name, true);
        }
    }
    tcp.plain_str("state", tcp_state(f));
    tcp.end();
}

/// A byte as two lower-case hex digits (`"1b"`), as Suricata writes TCP flags.
fn hex_byte(b: u8) -> HexByteText {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |n: u8| DIGITS.get(usize::from(n & 0xf)).copied().unwrap_or(b'0');
    HexByteText([digit(b >> 4), digit(b)])
}

struct HexByteText([u8; 2]);

impl HexByteText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("00")
    }
}

/// Suricata's `flow.state`: "closed" after FIN or RST, "established" once both sides
/// spoke, "new" while only one did.
fn flow_state(f: &FlowRecord) -> &'static str {
    match f.end {
        EndReason::Fin | EndReason::Rst => "closed",
        _ if f.pkts_toserver > 0 && f.pkts_toclient > 0 => "established",
        _ => "new",
    }
}

/// An approximation of Suricata's TCP session state from the flag unions we keep (we do
/// not follow sequence numbers): enough to tell a half-open from an established or a
/// torn-down session.
fn tcp_state(f: &FlowRecord) -> &'static str {
    let (ts, tc) = (f.tcp_flags_ts, f.tcp_flags_tc);
    let all = ts | tc;
    let syn_ack = tcp_flags::SYN | tcp_flags::ACK;
    let reset = all & tcp_flags::RST != 0 || f.end == EndReason::Rst;
    let both_fin = ts & tcp_flags::FIN != 0 && tc & tcp_flags::FIN != 0;
    if reset || both_fin {
        "closed"
    } else if all & tcp_flags::FIN != 0 {
        "fin_wait1"
    } else if tc & syn_ack == syn_ack {
        if ts & tcp_flags::ACK != 0 {
            "established"
        } else {
            "syn_recv"
        }
    } else if ts & tcp_flags::SYN != 0 {
        "syn_sent"
    } else if all & tcp_flags::ACK != 0 {
        // Picked up mid-stream: data flowing without a handshake we saw.
        "established"
    } else {
        "none"
    }
}

fn end_reason_name(e: EndReason) -> &'static str {
    match e {
        EndReason::Active => "active",
        EndReason::Fin => "fin",
        EndReason::Rst => "rst",
        EndReason::Timeout => "timeout",
        EndReason::Evicted => "evicted",
        EndReason::Shutdown => "shutdown",
    }
}

// ---- dns -----------------------------------------------------------------------------

#[derive(Serialize)]
struct DnsObject<'a> {
    version: u8,
    #[serde(rename = "type")]
    kind: &'static str,
    id: u16,
    flags: HexFlags,
    // Suricata writes each header bit only when it is set.
    #[serde(skip_serializing_if = "is_false")]
    qr: bool,
    #[serde(skip_serializing_if = "is_false")]
    aa: bool,
    #[serde(skip_serializing_if = "is_false")]
    tc: bool,
    #[serde(skip_serializing_if = "is_false")]
    rd: bool,
    #[serde(skip_serializing_if = "is_false")]
    ra: bool,
    #[serde(skip_serializing_if = "is_false")]
    z: bool,
    opcode: u8,
    rcode: Cow<'static, str>,
    #[serde(skip_serializing_if = "Queries::is_empty")]
    queries: Queries<'a>,
    #[serde(skip_serializing_if = "Answers::is_empty")]
    answers: Answers<'a>,
    #[serde(skip_serializing_if = "Grouped::is_empty")]
    grouped: Grouped<'a>,
}

/// The DNS flags word in lower-case hex without leading zeros, exactly as Suricata 8
/// writes it (`format!("{:x}")`): `"8180"` for a typical response, `"100"` for a query
/// with only RD set (see Suricata's doc/userguide/upgrade/8.0-dns-logging-changes.rst).
struct HexFlags(u16);

impl Serialize for HexFlags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:x}", self.0))
    }
}

struct Queries<'a>(&'a [DnsQuestion]);

impl Queries<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Queries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|q| QueryEntry {
            rrname: q.name.display(),
            rrtype: rrtype_name(q.qtype),
        }))
    }
}

#[derive(Serialize)]
struct QueryEntry {
    rrname: String,
    rrtype: Cow<'static, str>,
}

struct Answers<'a>(&'a [DnsAnswer]);

impl Answers<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Answers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|a| AnswerEntry {
            rrname: a.name.display(),
            rrtype: rrtype_name(a.rtype),
            ttl: a.ttl,
            rdata: rdata_text(&a.data),
        }))
    }
}

#[derive(Serialize)]
struct AnswerEntry {
    rrname: String,
    rrtype: Cow<'static, str>,
    ttl: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    rdata: Option<String>,
}

/// `rdata` as Suricata writes it: addresses as text, names (CNAME, NS, PTR, DNAME and
/// the MX exchange) and TXT bytes rendered safely; nothing for types we keep only the
/// length of (`RData::Other`, which [`Grouped::is_empty`] relies on).
fn rdata_text(d: &RData) -> Option<String> {
    match d {
        RData::A(ip) => Some(ip.to_string()),
        RData::Aaaa(ip) => Some(ip.to_string()),
        RData::Name(n) => Some(n.display()),
        RData::Mx { exchange, .. } => Some(exchange.display()),
        // TXT bytes go through the same escaping as names.
        RData::Txt(bytes) => Some(crate::decode::dns::display_bytes(bytes)),
        RData::Other { .. } => None,
    }
}

/// Suricata's `grouped` answers: the rdata strings by record type. Only the types whose
/// entries the EVE schema lists as strings are grouped.
struct Grouped<'a>(&'a [DnsAnswer]);

const GROUPED_TYPES: [(u16, &str); 7] = [
    (1, "A"),
    (28, "AAAA"),
    (5, "CNAME"),
    (15, "MX"),
    (2, "NS"),
    (12, "PTR"),
    (16, "TXT"),
];

impl Grouped<'_> {
    fn members(&self, rtype: u16) -> impl Iterator<Item = String> + '_ {
        self.0
            .iter()
            .filter(move |a| a.rtype == rtype)
            .filter_map(|a| rdata_text(&a.data))
    }

    /// Whether no answer would be listed; decided on the types, nothing rendered.
    fn is_empty(&self) -> bool {
        !self.0.iter().any(|a| {
            !matches!(a.data, RData::Other { .. })
                && GROUPED_TYPES.iter().any(|(t, _)| *t == a.rtype)
        })
    }
}

impl Serialize for Grouped<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (rtype, name) in GROUPED_TYPES {
            let members: Vec<String> = self.members(rtype).collect();
            if !members.is_empty() {
                map.serialize_entry(name, &members)?;
            }
        }
        map.end()
    }
}

// ---- alert ---------------------------------------------------------------------------

#[derive(Serialize)]
struct AlertObject<'a> {
    action: &'static str,
    gid: u32,
    signature_id: u32,
    rev: u32,
    signature: &'a str,
    category: &'static str,
    severity: u8,
    metadata: AlertMetadata<'a>,
}

/// Suricata's rule metadata: every value is an array of strings.
#[derive(Serialize)]
struct AlertMetadata<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    mitre_technique_id: &'a [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    mitre_tactic_id: &'a [&'static str],
    signature_severity: [&'static str; 1],
}

/// `botsense` of an alert: detector, score, severity name, then the evidence entries.
/// An evidence key equal to one of the first three is dropped rather than written twice.
struct AlertExtras<'a>(&'a Alert);

const ALERT_EXTRA_KEYS: [&str; 3] = ["detector", "score", "severity_name"];

impl Serialize for AlertExtras<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("detector", a.detector)?;
        map.serialize_entry("score", &round3(a.score))?;
        map.serialize_entry("severity_name", a.severity.name())?;
        for (k, v) in &a.evidence {
            if !ALERT_EXTRA_KEYS.contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// A score to three decimals; a non-finite score (a detector bug) becomes 0 rather than
/// JSON `null`.
fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

// ---- stats ---------------------------------------------------------------------------

#[derive(Serialize)]
struct StatsEvent<'a> {
    timestamp: EveTs,
    event_type: &'static str,
    stats: SuricataStats<'a>,
    botsense: BotsenseStats<'a>,
}

struct SuricataStats<'a> {
    uptime: u64,
    counters: CounterTree<'a>,
}

impl Serialize for SuricataStats<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("uptime", &self.uptime)?;
        // A counter named "uptime" (or "uptime.x") would repeat the key: ours wins.
        for (k, v) in self.counters.0.iter().filter(|(k, _)| **k != "uptime") {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct BotsenseStats<'a> {
    stats: CounterTree<'a>,
}

/// Dotted counter names nested into objects: `decoder.event.ipv4.trunc_pkt` becomes
/// `{"decoder":{"event":{"ipv4":{"trunc_pkt":N}}}}`.
///
/// A name that is also the prefix of another (`flow` and `flow.active`) cannot be both a
/// number and an object: the object wins and the plain counter is left out, so the line
/// stays valid JSON with unique keys.
#[derive(Serialize)]
#[serde(transparent)]
struct CounterTree<'a>(BTreeMap<&'a str, CounterNode<'a>>);

#[derive(Serialize)]
#[serde(untagged)]
enum CounterNode<'a> {
    Value(u64),
    Group(CounterTree<'a>),
}

impl<'a> CounterTree<'a> {
    fn of(counters: &'a Counters) -> CounterTree<'a> {
        let mut root = BTreeMap::new();
        for (name, value) in counters {
            insert_counter(&mut root, name, *value);
        }
        CounterTree(root)
    }
}

fn insert_counter<'a>(root: &mut BTreeMap<&'a str, CounterNode<'a>>, name: &'a str, value: u64) {
    let mut level = root;
    let mut parts = name.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            // A group already here means the name is also a prefix: the leaf loses.
            level.entry(part).or_insert(CounterNode::Value(value));
            return;
        }
        let node = level
            .entry(part)
            .or_insert_with(|| CounterNode::Group(CounterTree(BTreeMap::new())));
        if matches!(node, CounterNode::Value(_)) {
            // A plain counter here is a prefix of this name: the group wins.
            *node = CounterNode::Group(CounterTree(BTreeMap::new()));
        }
        level = match node {
            CounterNode::Group(CounterTree(m)) => m,
            CounterNode::Value(_) => return,
        };
    }
}

// ---- schema check for unit tests -------------------------------------------------------

/// The Suricata EVE schema check, for unit tests anywhere in the crate:
/// `crate::output::eve::schema_check::assert_valid_eve_line(line)`. The same file the
/// integration tests use.
#[cfg(test)]
#[path = "../../tests/common/eve_schema.rs"]
pub(crate) mod schema_check;

#[cfg(test)]
mod tests {
    use super::schema_check::assert_valid_eve_line;
    use super::*;
    use crate::decode::dns::DnsName;
    use crate::detect::Severity;
    use crate::flow::Outcome;
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use std::net::IpAddr;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const T0: u64 = 1_795_341_600; // 2026-11-22T10:00:00Z

    fn ts(secs: u64, micros: u32) -> Timestamp {
        Timestamp::from_secs_micros(T0 + secs, micros)
    }

    fn ep(ip: &str, port: u16) -> Endpoint {
        Endpoint {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    /// Runs a writer on a fresh buffer, checks it wrote one schema-valid line, and
    /// returns the parsed object.
    fn line(write: impl FnOnce(&mut Vec<u8>)) -> Value {
        let mut out = Vec::new();
        write(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.ends_with('\n'));
        assert_valid_eve_line(&text);
        serde_json::from_str(&text).unwrap()
    }

    fn tcp_flow() -> FlowRecord {
        use tcp_flags::*;
        FlowRecord {
            flow_id: 1_234_567_890_123,
            client: ep("10.0.0.5", 49_152),
            server: ep("203.0.113.7", 8080),
            proto: Proto::Tcp,
            vlan: VlanIds([100, 0]),
            start: ts(0, 123_456),
            last: ts(12, 500_000),
            pkts_toserver: 6,
            pkts_toclient: 5,
            bytes_toserver: 700,
            bytes_toclient: 1_900,
            payload_toserver: 320,
            payload_toclient: 1_500,
            tcp_flags_ts: SYN | ACK | PSH | FIN,
            tcp_flags_tc: SYN | ACK | PSH | FIN,
            outcome: Outcome::Accepted,
            end: EndReason::Fin,
        }
    }

    #[test]
    fn tcp_flow_event_has_suricata_names_and_shapes() {
        let f = tcp_flow();
        let v = line(|o| write_flow(o, &f, &EveOptions::default()));
        assert_eq!(v["timestamp"], "2026-11-22T10:00:12.500000+0000");
        assert_eq!(v["flow_id"], 1_234_567_890_123u64);
        assert_eq!(v["event_type"], "flow");
        assert_eq!(v["vlan"], json!([100]));
        assert_eq!(v["src_ip"], "10.0.0.5");
        assert_eq!(v["src_port"], 49_152);
        assert_eq!(v["dest_ip"], "203.0.113.7");
        assert_eq!(v["dest_port"], 8080);
        assert_eq!(v["proto"], "TCP");
        assert_eq!(
            v["community_id"],
            community_id(0, 6, f.client.ip, 49_152, f.server.ip, 8080)
        );
        assert_eq!(
            v["flow"],
            json!({
                "pkts_toserver": 6, "pkts_toclient": 5,
                "bytes_toserver": 700, "bytes_toclient": 1900,
                "start": "2026-11-22T10:00:00.123456+0000",
                "end": "2026-11-22T10:00:12.500000+0000",
                "age": 12, "state": "closed", "reason": "timeout", "alerted": false,
            })
        );
        assert_eq!(
            v["tcp"],
            json!({
                "tcp_flags": "1b", "tcp_flags_ts": "1b", "tcp_flags_tc": "1b",
                "syn": true, "fin": true, "psh": true, "ack": true, "state": "closed",
            })
        );
        assert_eq!(
            v["botsense"],
            json!({
                "outcome": "accepted", "end_reason": "fin",
                "payload_toserver": 320, "payload_toclient": 1500,
            })
        );
        assert!(v.get("icmp_type").is_none());
    }

    #[test]
    fn refused_connection_shows_rst_and_refused_outcome() {
        let mut f = tcp_flow();
        f.vlan = VlanIds::default();
        f.tcp_flags_ts = tcp_flags::SYN;
        f.tcp_flags_tc = tcp_flags::RST | tcp_flags::ACK;
        f.pkts_toserver = 1;
        f.pkts_toclient = 1;
        f.outcome = Outcome::Refused;
        f.end = EndReason::Rst;
        let v = line(|o| write_flow(o, &f, &EveOptions::default()));
        assert!(v.get("vlan").is_none());
        assert_eq!(v["tcp"]["tcp_flags"], "16");
        assert_eq!(v["tcp"]["tcp_flags_ts"], "02");
        assert_eq!(v["tcp"]["tcp_flags_tc"], "14");
        assert_eq!(v["tcp"]["rst"], true);
        assert!(v["tcp"].get("fin").is_none());
        assert_eq!(v["tcp"]["state"], "closed");
        assert_eq!(v["flow"]["state"], "closed");
        assert_eq!(v["botsense"]["outcome"], "refused");
        assert_eq!(v["botsense"]["end_reason"], "rst");
    }

    #[test]
    fn unanswered_syn_is_new_and_syn_sent() {
        let mut f = tcp_flow();
        f.tcp_flags_ts = tcp_flags::SYN;
        f.tcp_flags_tc = 0;
        f.pkts_toclient = 0;
        f.bytes_toclient = 0;
        f.outcome = Outcome::Unanswered;
        f.end = EndReason::Timeout;
        let v = line(|o| write_flow(o, &f, &EveOptions::default()));
        assert_eq!(v["flow"]["state"], "new");
        assert_eq!(v["tcp"]["state"], "syn_sent");
        assert_eq!(v["tcp"]["tcp_flags_tc"], "00");
        assert_eq!(v["botsense"]["outcome"], "unanswered");
    }

    #[test]
    fn icmp_flow_writes_type_and_code_instead_of_ports() {
        let f = FlowRecord {
            proto: Proto::Icmp,
            client: ep("10.0.0.5", 8),
            server: ep("198.51.100.1", 0),
            tcp_flags_ts: 0,
            tcp_flags_tc: 0,
            end: EndReason::Timeout,
            ..tcp_flow()
        };
        let v = line(|o| write_flow(o, &f, &EveOptions::default()));
        assert_eq!(v["proto"], "ICMP");
        assert_eq!(v["icmp_type"], 8);
        assert_eq!(v["icmp_code"], 0);
        assert!(v.get("src_port").is_none() && v.get("dest_port").is_none());
        assert!(v.get("tcp").is_none());
        assert_eq!(v["flow"]["state"], "established");
        // The echo reply direction hashes alike.
        let reply = community_id(0, 1, f.server.ip, 0, f.client.ip, 0);
        assert_eq!(v["community_id"], reply);
    }

    #[test]
    fn icmpv6_and_portless_protocols_validate() {
        let f = FlowRecord {
            proto: Proto::Icmpv6,
            client: ep("2001:db8::1", 128),
            server: ep("2001:db8::2", 0),
            ..tcp_flow()
        };
        let v = line(|o| write_flow(o, &f, &EveOptions::default()));
        assert_eq!(v["proto"], "IPv6-ICMP");
        assert_eq!(v["icmp_type"], 128);

        let g = FlowRecord {
            proto: Proto::Other(47),
            client: ep("10.0.0.5", 0),
            server: ep("198.51.100.1", 0),
            ..tcp_flow()
        };
        let v = line(|o| write_flow(o, &g, &EveOptions::default()));
        assert_eq!(v["proto"], "47");
        assert!(v.get("src_port").is_none() && v.get("icmp_type").is_none());
    }

    #[test]
    fn community_id_seed_is_applied() {
        let f = tcp_flow();
        let o = EveOptions {
            community_id_seed: 1,
        };
        let v = line(|out| write_flow(out, &f, &o));
        assert_eq!(
            v["community_id"],
            community_id(1, 6, f.client.ip, 49_152, f.server.ip, 8080)
        );
    }

    #[test]
    fn writers_append_to_what_the_buffer_holds() {
        let f = tcp_flow();
        let mut out = b"prefix".to_vec();
        write_flow(&mut out, &f, &EveOptions::default());
        assert!(out.starts_with(b"prefix{\"timestamp\""));
        assert!(out.ends_with(b"}"));
    }

    fn name(s: &str) -> DnsName {
        DnsName(s.as_bytes().to_vec())
    }

    fn question(n: &str, qtype: u16) -> DnsQuestion {
        DnsQuestion {
            name: name(n),
            qtype,
            qclass: 1,
        }
    }

    fn answer(n: &str, rtype: u16, ttl: u32, data: RData) -> DnsAnswer {
        DnsAnswer {
            name: name(n),
            rtype,
            ttl,
            data,
        }
    }

    fn dns_txn() -> DnsTransaction {
        DnsTransaction {
            flow_id: 77,
            client: ep("192.168.1.52", 54_585),
            server: ep("8.8.8.8", 53),
            proto: Proto::Udp,
            vlan: VlanIds::default(),
            query_ts: Some(ts(1, 0)),
            response_ts: Some(ts(1, 25_000)),
            query: Some(DnsMessage {
                id: 0x1a2b,
                flags: 0x0100,
                questions: vec![question("www.example.com", 1)],
                answers: vec![],
            }),
            response: Some(DnsMessage {
                id: 0x1a2b,
                flags: 0x8180,
                questions: vec![question("www.example.com", 1)],
                answers: vec![
                    answer("www.example.com", 5, 3597, RData::Name(name("example.com"))),
                    answer(
                        "example.com",
                        1,
                        597,
                        RData::A(Ipv4Addr::new(93, 184, 215, 14)),
                    ),
                    answer(
                        "example.com",
                        28,
                        597,
                        RData::Aaaa("2606:2800:21f:cb07:6820:80da:af6b:8b2c".parse().unwrap()),
                    ),
                ],
            }),
        }
    }

    #[test]
    fn dns_response_is_version_3_with_queries_answers_and_grouped() {
        let d = dns_txn();
        let v = line(|o| write_dns(o, &d, &EveOptions::default()));
        assert_eq!(v["timestamp"], "2026-11-22T10:00:01.025000+0000");
        assert_eq!(v["event_type"], "dns");
        assert_eq!(v["flow_id"], 77);
        // The client is src even for a response.
        assert_eq!(v["src_ip"], "192.168.1.52");
        assert_eq!(v["src_port"], 54_585);
        assert_eq!(v["dest_ip"], "8.8.8.8");
        assert_eq!(v["dest_port"], 53);
        assert_eq!(v["proto"], "UDP");
        assert_eq!(v["community_id"], "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
        assert_eq!(
            v["dns"],
            json!({
                "version": 3, "type": "response", "id": 0x1a2b, "flags": "8180",
                "qr": true, "rd": true, "ra": true, "opcode": 0, "rcode": "NOERROR",
                "queries": [{"rrname": "www.example.com", "rrtype": "A"}],
                "answers": [
                    {"rrname": "www.example.com", "rrtype": "CNAME", "ttl": 3597,
                     "rdata": "example.com"},
                    {"rrname": "example.com", "rrtype": "A", "ttl": 597,
                     "rdata": "93.184.215.14"},
                    {"rrname": "example.com", "rrtype": "AAAA", "ttl": 597,
                     "rdata": "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
                ],
                "grouped": {
                    "A": ["93.184.215.14"],
                    "AAAA": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
                    "CNAME": ["example.com"],
                },
            })
        );
        assert!(v.get("botsense").is_none());
    }

    #[test]
    fn unanswered_query_is_a_request_with_queries_only() {
        let mut d = dns_txn();
        d.response = None;
        d.response_ts = None;
        let v = line(|o| write_dns(o, &d, &EveOptions::default()));
        assert_eq!(v["timestamp"], "2026-11-22T10:00:01.000000+0000");
        assert_eq!(
            v["dns"],
            json!({
                "version": 3, "type": "request", "id": 0x1a2b, "flags": "100",
                "rd": true, "opcode": 0, "rcode": "NOERROR",
                "queries": [{"rrname": "www.example.com", "rrtype": "A"}],
            })
        );
    }

    #[test]
    fn nxdomain_response_without_question_falls_back_to_the_query() {
        let mut d = dns_txn();
        if let Some(r) = d.response.as_mut() {
            r.flags = 0x8183;
            r.questions.clear();
            r.answers.clear();
        }
        let v = line(|o| write_dns(o, &d, &EveOptions::default()));
        assert_eq!(v["dns"]["type"], "response");
        assert_eq!(v["dns"]["rcode"], "NXDOMAIN");
        assert_eq!(v["dns"]["flags"], "8183");
        assert_eq!(v["dns"]["queries"][0]["rrname"], "www.example.com");
        assert!(v["dns"].get("answers").is_none());
        assert!(v["dns"].get("grouped").is_none());
    }

    #[test]
    fn mx_txt_and_unknown_rdata_follow_suricata() {
        let mut d = dns_txn();
        d.proto = Proto::Tcp;
        if let Some(r) = d.response.as_mut() {
            r.flags = 0x8580; // AA set
            r.questions = vec![question("example.com", 15)];
            r.answers = vec![
                answer(
                    "example.com",
                    15,
                    300,
                    RData::Mx {
                        preference: 10,
                        exchange: name("mail.example.com"),
                    },
                ),
                answer(
                    "example.com",
                    16,
                    300,
                    RData::Txt(b"v=spf1 -all\"\n".to_vec()),
                ),
                answer("example.com", 46, 300, RData::Other { len: 128 }),
            ];
        }
        let v = line(|o| write_dns(o, &d, &EveOptions::default()));
        assert_eq!(v["proto"], "TCP");
        assert_eq!(v["dns"]["aa"], true);
        let answers = v["dns"]["answers"].as_array().unwrap();
        assert_eq!(answers[0]["rdata"], "mail.example.com");
        assert_eq!(answers[1]["rdata"], "v=spf1 -all\"\\x0a");
        assert_eq!(answers[2]["rrtype"], "RRSIG");
        assert!(answers[2].get("rdata").is_none());
        assert_eq!(
            v["dns"]["grouped"],
            json!({"MX": ["mail.example.com"], "TXT": ["v=spf1 -all\"\\x0a"]})
        );
    }

    #[test]
    fn hostile_dns_name_is_valid_json_on_one_line_and_round_trips() {
        // As the parser stores it: the label's `\\` escaped.
        let raw = b"a\"b\\\\c\nd\xff\x00e.example".to_vec();
        let hostile = DnsName(raw.clone());
        let mut d = dns_txn();
        d.response = None;
        if let Some(q) = d.query.as_mut() {
            q.questions = vec![DnsQuestion {
                name: hostile.clone(),
                qtype: 16,
                qclass: 1,
            }];
        }
        let mut out = Vec::new();
        write_dns(&mut out, &d, &EveOptions::default());
        let text = std::str::from_utf8(&out).unwrap();
        assert!(!text.contains('\n') && !text.contains('\0'));
        assert!(text.is_ascii());
        let v = line(|o| o.extend_from_slice(&out));
        let rrname = v["dns"]["queries"][0]["rrname"].as_str().unwrap();
        assert_eq!(rrname, hostile.display());
        assert_eq!(rrname, "a\"b\\x5cc\\x0ad\\xff\\x00e.example");
    }

    #[test]
    fn dns_over_vlan_lists_both_ids() {
        let mut d = dns_txn();
        d.vlan = VlanIds([10, 20]);
        let v = line(|o| write_dns(o, &d, &EveOptions::default()));
        assert_eq!(v["vlan"], json!([10, 20]));
    }

    fn alert() -> Alert {
        let mut evidence = serde_json::Map::new();
        evidence.insert("connections".into(), json!(30));
        evidence.insert("interval_s".into(), json!(10.02));
        evidence.insert("jitter_pct".into(), json!(1.5));
        evidence.insert("domain".into(), json!("c2.bad\\x0aexample"));
        // Must not be written twice.
        evidence.insert("detector".into(), json!("spoofed"));
        Alert {
            ts: ts(300, 42),
            detector: "beacon",
            signature_id: 9_000_001,
            rev: 1,
            signature: "BOTSENSE beacon: periodic connections to 203.0.113.7:8080".into(),
            category: "A Network Trojan was detected",
            severity: Severity::High,
            score: 0.876_54,
            mitre_technique_ids: &["T1583.005", "T1584.005"],
            mitre_tactic_ids: &["TA0042"],
            src: ep("10.0.0.5", 49_152),
            dest: ep("203.0.113.7", 8080),
            proto: Proto::Tcp,
            vlan: VlanIds::default(),
            flow_id: Some(42),
            evidence,
        }
    }

    #[test]
    fn alert_event_has_suricata_alert_and_botsense_evidence() {
        let a = alert();
        let v = line(|o| write_alert(o, &a, &EveOptions::default()));
        assert_eq!(v["timestamp"], "2026-11-22T10:05:00.000042+0000");
        assert_eq!(v["event_type"], "alert");
        assert_eq!(v["flow_id"], 42);
        assert_eq!(v["src_ip"], "10.0.0.5");
        assert_eq!(v["dest_port"], 8080);
        assert_eq!(
            v["community_id"],
            community_id(0, 6, a.src.ip, 49_152, a.dest.ip, 8080)
        );
        assert_eq!(
            v["alert"],
            json!({
                "action": "allowed", "gid": 1, "signature_id": 9_000_001, "rev": 1,
                "signature": "BOTSENSE beacon: periodic connections to 203.0.113.7:8080",
                "category": "A Network Trojan was detected", "severity": 1,
                "metadata": {
                    "mitre_technique_id": ["T1583.005", "T1584.005"],
                    "mitre_tactic_id": ["TA0042"],
                    "signature_severity": ["High"],
                },
            })
        );
        assert_eq!(
            v["botsense"],
            json!({
                "detector": "beacon", "score": 0.877, "severity_name": "High",
                "connections": 30, "interval_s": 10.02, "jitter_pct": 1.5,
                "domain": "c2.bad\\x0aexample",
            })
        );
        // One "detector" key only, the real one.
        let mut out = Vec::new();
        write_alert(&mut out, &a, &EveOptions::default());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("\"detector\"").count(), 1);
    }

    #[test]
    fn alert_without_flow_or_mitre_ids_omits_them() {
        let mut a = alert();
        a.flow_id = None;
        a.mitre_tactic_ids = &[];
        a.severity = Severity::Low;
        a.score = f64::NAN;
        a.proto = Proto::Udp;
        a.vlan = VlanIds([7, 0]);
        let v = line(|o| write_alert(o, &a, &EveOptions::default()));
        assert!(v.get("flow_id").is_none());
        assert!(v["alert"]["metadata"].get("mitre_tactic_id").is_none());
        assert_eq!(v["alert"]["severity"], 3);
        assert_eq!(v["alert"]["metadata"]["signature_severity"], json!(["Low"]));
        assert_eq!(v["botsense"]["score"], 0.0);
        assert_eq!(v["vlan"], json!([7]));
    }

    fn counters(pairs: &[(&str, u64)]) -> Counters {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn stats_nest_dotted_names() {
        let s = StatsSnapshot {
            ts: ts(60, 0),
            uptime_s: 60,
            suricata: counters(&[
                ("decoder.pkts", 1000),
                ("decoder.bytes", 640_000),
                ("decoder.event.ipv4.trunc_pkt", 3),
                ("capture.kernel_drops", 0),
                ("flow.active", 12),
                ("detect.alert", 2),
            ]),
            botsense: counters(&[
                ("decode.dns.name_too_long", 1),
                ("alerts.beacon", 2),
                ("output.syslog.dropped", 0),
            ]),
        };
        let v = line(|o| write_stats(o, &s));
        assert_eq!(
            v,
            json!({
                "timestamp": "2026-11-22T10:01:00.000000+0000",
                "event_type": "stats",
                "stats": {
                    "uptime": 60,
                    "capture": {"kernel_drops": 0},
                    "decoder": {"bytes": 640000, "event": {"ipv4": {"trunc_pkt": 3}},
                                "pkts": 1000},
                    "detect": {"alert": 2},
                    "flow": {"active": 12},
                },
                "botsense": {"stats": {
                    "alerts": {"beacon": 2},
                    "decode": {"dns": {"name_too_long": 1}},
                    "output": {"syslog": {"dropped": 0}},
                }},
            })
        );
    }

    #[test]
    fn stats_name_that_is_also_a_prefix_loses_its_leaf() {
        let s = StatsSnapshot {
            ts: ts(0, 0),
            uptime_s: 5,
            suricata: counters(&[("flow", 1), ("flow.active", 2), ("uptime", 99)]),
            botsense: counters(&[("a", 1), ("a.b", 2), ("a.b.c", 3), ("x.y.z", 4), ("x.y", 5)]),
        };
        let mut out = Vec::new();
        write_stats(&mut out, &s);
        let text = String::from_utf8(out).unwrap();
        assert_valid_eve_line(&text);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["stats"], json!({"uptime": 5, "flow": {"active": 2}}));
        assert_eq!(
            v["botsense"]["stats"],
            json!({"a": {"b": {"c": 3}}, "x": {"y": {"z": 4}}})
        );
        // Keys are unique: a duplicate would have been silently merged by the parser.
        assert_eq!(text.matches("\"uptime\"").count(), 1);
        assert_eq!(text.matches("\"flow\"").count(), 1);
    }

    #[test]
    fn empty_stats_still_carry_uptime_and_botsense() {
        let s = StatsSnapshot::default();
        let v = line(|o| write_stats(o, &s));
        assert_eq!(v["stats"], json!({"uptime": 0}));
        assert_eq!(v["botsense"], json!({"stats": {}}));
    }

    #[test]
    fn ipv6_endpoints_are_written_compressed() {
        let d = DnsTransaction {
            client: Endpoint {
                ip: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
                port: 5353,
            },
            server: ep("2001:db8::53", 53),
            ..dns_txn()
        };
        let v = line(|o| write_dns(o, &d, &EveOptions::default()));
        assert_eq!(v["src_ip"], "2001:db8::1");
        assert_eq!(v["dest_ip"], "2001:db8::53");
    }

    #[test]
    fn schema_check_rejects_what_suricata_would_not_write() {
        let v = super::schema_check::validator();
        let ok = json!({"timestamp": "2026-11-22T10:00:00.000000+0000", "event_type": "flow",
                        "botsense": {"anything": 1}});
        assert!(v.is_valid(&ok));
        let unknown_top = json!({"timestamp": "2026-11-22T10:00:00.000000+0000",
                                 "event_type": "flow", "bogus": 1});
        assert!(!v.is_valid(&unknown_top));
        let unknown_nested = json!({"timestamp": "2026-11-22T10:00:00.000000+0000",
                                    "event_type": "flow", "flow": {"bogus": 1}});
        assert!(!v.is_valid(&unknown_nested));
        let bad_type = json!({"timestamp": "2026-11-22T10:00:00.000000+0000",
                              "event_type": "flow", "src_port": "80"});
        assert!(!v.is_valid(&bad_type));
        let bad_time = json!({"timestamp": "yesterday", "event_type": "flow"});
        assert!(!v.is_valid(&bad_time));
        let unknown_counter = json!({"timestamp": "2026-11-22T10:00:00.000000+0000",
                                     "event_type": "stats", "stats": {"flow": {"bogus": 1}}});
        assert!(!v.is_valid(&unknown_counter));
        let botsense_not_object = json!({"timestamp": "2026-11-22T10:00:00.000000+0000",
                                         "event_type": "flow", "botsense": 1});
        assert!(!v.is_valid(&botsense_not_object));
    }

    /// A response off the wire: the question `labels`, a CNAME answer pointing back at
    /// it, and a TXT answer holding `txt`.
    fn wire_response(labels: &[Vec<u8>], txt: &[u8]) -> Vec<u8> {
        let mut m = vec![0x1a, 0x2b, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        for l in labels {
            m.push(l.len() as u8);
            m.extend_from_slice(l);
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        m.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12]);
        m.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, txt.len() as u8 + 1]);
        m.push(txt.len() as u8);
        m.extend_from_slice(txt);
        m
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_wire_name_gives_one_valid_line(
            qname in proptest::collection::vec(any::<u8>(), 0..80),
            aname in proptest::collection::vec(any::<u8>(), 0..80),
            txt in proptest::collection::vec(any::<u8>(), 0..80),
            flags: u16,
        ) {
            let mut d = dns_txn();
            if let Some(r) = d.response.as_mut() {
                r.flags = flags;
                r.questions = vec![DnsQuestion { name: DnsName(qname.clone()), qtype: 1, qclass: 1 }];
                r.answers = vec![
                    DnsAnswer { name: DnsName(aname.clone()), rtype: 5, ttl: 1,
                                data: RData::Name(DnsName(aname.clone())) },
                    DnsAnswer { name: DnsName(qname.clone()), rtype: 16, ttl: 1,
                                data: RData::Txt(txt.clone()) },
                ];
            }
            let mut out = Vec::new();
            write_dns(&mut out, &d, &EveOptions::default());
            let text = std::str::from_utf8(&out).unwrap();
            prop_assert!(!text.contains('\n'));
            prop_assert!(text.is_ascii());
            assert_valid_eve_line(text);
            let v: Value = serde_json::from_str(text).unwrap();
            prop_assert_eq!(
                v["dns"]["queries"][0]["rrname"].as_str().unwrap(),
                DnsName(qname).display()
            );
            prop_assert_eq!(
                v["dns"]["answers"][1]["rdata"].as_str().unwrap(),
                crate::decode::dns::display_bytes(&txt)
            );
        }

        /// Any wire name and TXT string, parsed as a worker parses it, gives one valid
        /// EVE line from which the escaping documented at `DnsName::display` recovers the
        /// exact wire labels and TXT bytes.
        #[test]
        fn any_wire_name_round_trips_through_the_eve_line(
            labels in proptest::collection::vec(
                proptest::collection::vec(any::<u8>(), 1..30), 0..6),
            txt in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let wire = wire_response(&labels, &txt);
            let msg = crate::decode::dns::parse_message(&wire, &Default::default()).unwrap();
            let mut d = dns_txn();
            d.response = Some(msg);
            let mut out = Vec::new();
            write_dns(&mut out, &d, &EveOptions::default());
            let text = std::str::from_utf8(&out).unwrap();
            prop_assert!(text.is_ascii() && !text.contains('\n'));
            assert_valid_eve_line(text);
            let v: Value = serde_json::from_str(text).unwrap();
            let from = |k: &Value| crate::decode::dns::labels_from_display(k.as_str().unwrap());
            prop_assert_eq!(from(&v["dns"]["queries"][0]["rrname"]), Some(labels.clone()));
            prop_assert_eq!(from(&v["dns"]["answers"][0]["rdata"]), Some(labels.clone()));
            let shown_txt = v["dns"]["answers"][1]["rdata"].as_str().unwrap();
            // TXT is one run of bytes, dots and all: decode it as a single label.
            let txt_back = crate::decode::dns::labels_from_display(&shown_txt.replace('.', "\\x2e"))
                .map(|l| l.concat());
            prop_assert_eq!(txt_back, Some(txt));
        }
    }
}
