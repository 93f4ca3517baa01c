//! DNS messages: a pure, bounded parser from bytes to [`DnsMessage`].
//!
//! Suricata-rust style: the parser keeps what it can. Header and question section
//! must parse, or the message is an error ([`DnsError`], for the caller to count); once
//! they did, a garbled answer ends the answer list and the message is returned with the
//! answers parsed so far, so an NXDOMAIN or a query is never lost to a bad record.
//! Authority and additional sections are not read.
//!
//! Names: compression pointers must point below everything the name has visited so far
//! (which rules out forward pointers and loops by construction) and are followed at most
//! [`MAX_POINTER_HOPS`] times. A length byte 0x40..=0xBF (a label over 63 bytes, or an
//! obsolete extended label type) and a name over 255 bytes on the wire are errors, not
//! truncations: no resolver answers them, and keeping a cut name would make two names
//! one. Label bytes are kept verbatim, binary included; unknown types are kept.

use super::counters::DecodeCounter;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A domain name as it came off the wire: the labels joined with `.`, no trailing dot,
/// the root as the empty name. Label bytes are kept verbatim (DNS tunnels use binary
/// labels) except that a `.` or `\` inside a label is stored as `\.` or `\\`, as in the
/// zone-file presentation format (RFC 1035 §5.1), so the label `a.b` and the two labels
/// `a`, `b` stay two names. [`DnsName::display`] renders them safely for JSON and syslog.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(pub Vec<u8>);

impl DnsName {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Renders the name for EVE and syslog: labels joined by `.`; inside a label,
    /// printable ASCII other than `\` and `.` as is, every other byte as `\xNN`. The
    /// result is plain ASCII, so it is valid JSON once escaped and can never break a
    /// syslog frame, and distinct names stay distinct: splitting at `.` and decoding
    /// each `\xNN` gives back the wire labels.
    pub fn display(&self) -> String {
        let mut s = String::with_capacity(self.0.len());
        let mut bytes = self.0.iter();
        while let Some(&b) = bytes.next() {
            match b {
                // An escaped `.` or `\\` inside a label (or a lone trailing `\\`).
                b'\\' => push_hex(&mut s, bytes.next().copied().unwrap_or(b)),
                0x20..=0x7e => s.push(char::from(b)),
                _ => push_hex(&mut s, b),
            }
        }
        s
    }
}

fn push_hex(s: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    s.push_str("\\x");
    for nibble in [b >> 4, b & 0x0f] {
        s.push(char::from(
            HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
        ));
    }
}

/// Renders raw wire bytes that are not a name (TXT strings) like a label of
/// [`DnsName::display`]: printable ASCII other than `\` as is, every other byte as
/// `\xNN`.
pub fn display_bytes(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            s.push(char::from(b));
        } else {
            push_hex(&mut s, b);
        }
    }
    s
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsQuestion {
    pub name: DnsName,
    pub qtype: u16,
    pub qclass: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// CNAME, NS, PTR, DNAME: a name.
    Name(DnsName),
    Mx {
        preference: u16,
        exchange: DnsName,
    },
    /// TXT strings joined, bytes verbatim, bounded.
    Txt(Vec<u8>),
    /// Any other type: only its length is kept.
    Other {
        len: u16,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsAnswer {
    pub name: DnsName,
    pub rtype: u16,
    pub ttl: u32,
    pub data: RData,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    /// The header's flags word as on the wire.
    pub flags: u16,
    pub questions: Vec<DnsQuestion>,
    pub answers: Vec<DnsAnswer>,
}

impl DnsMessage {
    /// QR: this message is a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0f) as u8
    }
    pub fn aa(&self) -> bool {
        self.flags & 0x0400 != 0
    }
    pub fn tc(&self) -> bool {
        self.flags & 0x0200 != 0
    }
    pub fn rd(&self) -> bool {
        self.flags & 0x0100 != 0
    }
    pub fn ra(&self) -> bool {
        self.flags & 0x0080 != 0
    }
    pub fn z(&self) -> bool {
        self.flags & 0x0040 != 0
    }
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x000f) as u8
    }
    /// The first question, which is what every resolver in practice sends alone.
    pub fn question(&self) -> Option<&DnsQuestion> {
        self.questions.first()
    }
}

/// The record type's mnemonic, as Suricata writes `rrtype`; `TYPE{n}` when unknown
/// (RFC 3597 notation).
pub fn rrtype_name(t: u16) -> std::borrow::Cow<'static, str> {
    let name = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        24 => "SIG",
        25 => "KEY",
        28 => "AAAA",
        29 => "LOC",
        33 => "SRV",
        35 => "NAPTR",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        44 => "SSHFP",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        10 => "NULL",
        _ => return format!("TYPE{t}").into(),
    };
    name.into()
}

/// The response code's name, as Suricata writes `rcode`.
pub fn rcode_name(rcode: u8) -> std::borrow::Cow<'static, str> {
    let name = match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => return format!("RCODE{rcode}").into(),
    };
    name.into()
}

/// An rcode of 3.
pub const RCODE_NXDOMAIN: u8 = 3;

/// How many compression pointers one name may follow. Real names need one or two; a
/// long chain is a crafted message, and the bound caps the work per name.
pub const MAX_POINTER_HOPS: usize = 32;

/// A name's longest wire form (RFC 1035 §2.3.4): label lengths, labels and the root.
pub const MAX_NAME_WIRE_LEN: usize = 255;

/// The longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// TXT strings are joined and kept up to this many bytes: enough to see what a TXT C2
/// channel carries, without one record holding 64 KiB.
pub const MAX_TXT_LEN: usize = 255;

/// How much one message may keep. The rest is skipped, not an error: a message is
/// bounded in memory whatever its counts say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DnsLimits {
    /// Questions kept. Resolvers send one; 8 leaves room for odd clients.
    pub max_questions: usize,
    /// Answers kept. A CNAME chain plus a CDN's address set fits in 32.
    pub max_answers: usize,
}

impl Default for DnsLimits {
    fn default() -> Self {
        DnsLimits {
            max_questions: 8,
            max_answers: 32,
        }
    }
}

/// Why a message's header or question section did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DnsError {
    /// The message ends inside the header, a name or a fixed field.
    Truncated,
    /// A length byte 0x40..=0xBF: a label over 63 bytes or an obsolete label type.
    LabelTooLong,
    /// A name over 255 bytes on the wire.
    NameTooLong,
    /// A compression pointer to an offset beyond its own.
    ForwardPointer,
    /// A compression pointer to itself or back into the name being read, or more than
    /// [`MAX_POINTER_HOPS`] pointers.
    LabelLoop,
}

impl DnsError {
    /// The name it is counted under.
    pub fn name(self) -> &'static str {
        match self {
            DnsError::Truncated => "dns.truncated",
            DnsError::LabelTooLong => "dns.label_too_long",
            DnsError::NameTooLong => "dns.name_too_long",
            DnsError::ForwardPointer => "dns.forward_pointer",
            DnsError::LabelLoop => "dns.label_loop",
        }
    }

    /// The decode counter for this error, for callers that count into
    /// [`DecodeCounters`](super::DecodeCounters).
    pub fn counter(self) -> DecodeCounter {
        match self {
            DnsError::Truncated => DecodeCounter::DnsTruncated,
            DnsError::LabelTooLong => DecodeCounter::DnsLabelTooLong,
            DnsError::NameTooLong => DecodeCounter::DnsNameTooLong,
            DnsError::ForwardPointer => DecodeCounter::DnsForwardPointer,
            DnsError::LabelLoop => DecodeCounter::DnsLabelLoop,
        }
    }
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for DnsError {}

/// DNS over TCP: the first message of a segment that starts with the 2-byte length
/// prefix and holds the whole message. `None` when the segment is shorter than the
/// prefix says (a message split over segments is not reassembled) or the length is 0.
pub fn tcp_message(payload: &[u8]) -> Option<&[u8]> {
    let len = usize::from(u16::from_be_bytes(*payload.first_chunk::<2>()?));
    if len == 0 {
        return None;
    }
    payload.get(2..2 + len)
}

/// Parses one DNS message (UDP payload, or what [`tcp_message`] returned).
pub fn parse_message(buf: &[u8], limits: &DnsLimits) -> Result<DnsMessage, DnsError> {
    let &[i0, i1, f0, f1, q0, q1, a0, a1, ..] =
        buf.first_chunk::<12>().ok_or(DnsError::Truncated)?;
    let qdcount = u16::from_be_bytes([q0, q1]);
    let ancount = u16::from_be_bytes([a0, a1]);
    let mut msg = DnsMessage {
        id: u16::from_be_bytes([i0, i1]),
        flags: u16::from_be_bytes([f0, f1]),
        ..DnsMessage::default()
    };
    let mut pos = 12;
    for i in 0..qdcount {
        let keep = msg.questions.len() < limits.max_questions;
        match question(buf, pos, keep) {
            Ok((q, next)) => {
                msg.questions.extend(q);
                pos = next;
            }
            Err(e) if i == 0 => return Err(e),
            // A later question is garbled: keep the ones before it; the answers cannot
            // be found without it.
            Err(_) => return Ok(msg),
        }
    }
    let mut left = limits.max_answers;
    for _ in 0..ancount {
        if left == 0 {
            break;
        }
        match answer(buf, pos) {
            Ok((a, next)) => {
                msg.answers.push(a);
                pos = next;
                left -= 1;
            }
            Err(_) => break,
        }
    }
    Ok(msg)
}

fn be16_at(buf: &[u8], at: usize) -> Result<u16, DnsError> {
    let b = buf
        .get(at..)
        .and_then(|r| r.first_chunk::<2>())
        .ok_or(DnsError::Truncated)?;
    Ok(u16::from_be_bytes(*b))
}

/// One question at `pos`; the name is only built when `keep`.
fn question(buf: &[u8], pos: usize, keep: bool) -> Result<(Option<DnsQuestion>, usize), DnsError> {
    let mut name = Vec::new();
    let next = read_name(buf, pos, keep.then_some(&mut name))?;
    let qtype = be16_at(buf, next)?;
    let qclass = be16_at(buf, next + 2)?;
    let q = keep.then_some(DnsQuestion {
        name: DnsName(name),
        qtype,
        qclass,
    });
    Ok((q, next + 4))
}

/// One resource record at `pos`.
fn answer(buf: &[u8], pos: usize) -> Result<(DnsAnswer, usize), DnsError> {
    let mut name = Vec::new();
    let at = read_name(buf, pos, Some(&mut name))?;
    let rtype = be16_at(buf, at)?;
    let ttl_hi = be16_at(buf, at + 4)?;
    let ttl_lo = be16_at(buf, at + 6)?;
    let rdlen = be16_at(buf, at + 8)?;
    let start = at + 10;
    let end = start + usize::from(rdlen);
    let rdata = buf.get(start..end).ok_or(DnsError::Truncated)?;
    // A name in rdata may point anywhere earlier, but its own bytes stay in the rdata.
    let name_in_rdata = |at: usize| -> Result<DnsName, DnsError> {
        let mut n = Vec::new();
        let next = read_name(buf, at, Some(&mut n))?;
        if next > end {
            return Err(DnsError::Truncated);
        }
        Ok(DnsName(n))
    };
    let data = match (rtype, rdata) {
        (1, &[a, b, c, d]) => RData::A(Ipv4Addr::new(a, b, c, d)),
        (28, _) if rdata.len() == 16 => {
            let octets = *rdata.first_chunk::<16>().ok_or(DnsError::Truncated)?;
            RData::Aaaa(Ipv6Addr::from(octets))
        }
        (2 | 5 | 12 | 39, _) => RData::Name(name_in_rdata(start)?),
        (15, _) => RData::Mx {
            preference: be16_at(rdata, 0)?,
            exchange: name_in_rdata(start + 2)?,
        },
        (16, _) => RData::Txt(join_txt(rdata)),
        _ => RData::Other { len: rdlen },
    };
    let answer = DnsAnswer {
        name: DnsName(name),
        rtype,
        ttl: u32::from(ttl_hi) << 16 | u32::from(ttl_lo),
        data,
    };
    Ok((answer, end))
}

/// TXT character-strings joined without separator (as SPF and DKIM read them), at most
/// [`MAX_TXT_LEN`] bytes; a string whose length overruns the rdata keeps what is there.
fn join_txt(mut rdata: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = rdata.split_first() {
        let take = usize::from(len).min(rest.len());
        let room = MAX_TXT_LEN - out.len();
        out.extend_from_slice(rest.get(..take.min(room)).unwrap_or_default());
        if out.len() >= MAX_TXT_LEN {
            break;
        }
        rdata = rest.get(take..).unwrap_or_default();
    }
    out
}

/// Appends one label as names keep it: its bytes verbatim but for a `.` or `\` inside
/// it, escaped with `\` so the dots that remain are label separators.
pub fn push_label(out: &mut Vec<u8>, label: &[u8]) {
    for &b in label {
        if b == b'.' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
}

/// Reads the name at `start`, appending its labels joined by `.` to `out` if given.
/// Returns the offset after the name where it started: after the root label or after
/// the first compression pointer.
fn read_name(buf: &[u8], start: usize, mut out: Option<&mut Vec<u8>>) -> Result<usize, DnsError> {
    let mut pos = start;
    // Every pointer must go below this: it only ever decreases, so no loop is possible.
    let mut lowest = start;
    let mut resume = None;
    let mut hops = 0;
    let mut wire_len = 1; // the root label
    let mut first = true;
    loop {
        let len = *buf.get(pos).ok_or(DnsError::Truncated)?;
        match len {
            0 => return Ok(resume.unwrap_or(pos + 1)),
            1..=0x3f => {
                let len = usize::from(len);
                wire_len += len + 1;
                if wire_len > MAX_NAME_WIRE_LEN {
                    return Err(DnsError::NameTooLong);
                }
                let label = buf.get(pos + 1..pos + 1 + len).ok_or(DnsError::Truncated)?;
                if let Some(out) = out.as_deref_mut() {
                    if !first {
                        out.push(b'.');
                    }
                    push_label(out, label);
                }
                first = false;
                pos += 1 + len;
            }
            0xc0..=0xff => {
                let low = *buf.get(pos + 1).ok_or(DnsError::Truncated)?;
                let target = usize::from(len & 0x3f) << 8 | usize::from(low);
                if target > pos {
                    return Err(DnsError::ForwardPointer);
                }
                hops += 1;
                if target >= lowest || hops > MAX_POINTER_HOPS {
                    return Err(DnsError::LabelLoop);
                }
                resume.get_or_insert(pos + 2);
                lowest = target;
                pos = target;
            }
            _ => return Err(DnsError::LabelTooLong),
        }
    }
}

/// The wire labels of a name rendered by [`DnsName::display`]: split at `.`, each
/// `\xNN` decoded. `None` when `shown` is not something `display` writes.
#[cfg(test)]
pub(crate) fn labels_from_display(shown: &str) -> Option<Vec<Vec<u8>>> {
    if shown.is_empty() {
        return Some(Vec::new());
    }
    shown
        .split('.')
        .map(|label| {
            let mut out = Vec::new();
            let mut rest = label.as_bytes();
            while let Some((&b, tail)) = rest.split_first() {
                if b == b'\\' {
                    let hex = std::str::from_utf8(tail.get(1..3)?).ok()?;
                    if tail.first() != Some(&b'x') {
                        return None;
                    }
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    rest = tail.get(3..)?;
                } else {
                    out.push(b);
                    rest = tail;
                }
            }
            Some(out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `www.example.com` in wire form.
    fn wire(name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for label in name.split('.').filter(|l| !l.is_empty()) {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
        out
    }

    fn header(id: u16, flags: u16, qd: u16, an: u16) -> Vec<u8> {
        [id, flags, qd, an, 0, 0]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect()
    }

    fn question(name: &[u8], qtype: u16) -> Vec<u8> {
        [name, &qtype.to_be_bytes(), &1u16.to_be_bytes()].concat()
    }

    fn rr(name: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
        [
            name,
            &rtype.to_be_bytes(),
            &1u16.to_be_bytes(),
            &300u32.to_be_bytes(),
            &(rdata.len() as u16).to_be_bytes(),
            rdata,
        ]
        .concat()
    }

    /// A pointer to the question name, which always starts at offset 12.
    const QNAME: [u8; 2] = [0xc0, 12];

    fn parse(buf: &[u8]) -> Result<DnsMessage, DnsError> {
        parse_message(buf, &DnsLimits::default())
    }

    fn dotted(n: &str) -> DnsName {
        DnsName(n.as_bytes().to_vec())
    }

    #[test]
    fn query_header_and_question_are_read() {
        let msg = [
            header(0xbeef, 0x0100, 1, 0),
            question(&wire("www.example.com"), 1),
        ]
        .concat();
        let m = parse(&msg).unwrap();
        assert_eq!(m.id, 0xbeef);
        assert!(!m.is_response() && m.rd() && !m.tc());
        assert_eq!(m.opcode(), 0);
        let q = m.question().unwrap();
        assert_eq!(
            (q.name.display(), q.qtype, q.qclass),
            ("www.example.com".into(), 1, 1)
        );
        assert!(m.answers.is_empty());
    }

    #[test]
    fn a_aaaa_and_cname_answers_are_read_through_compression() {
        let cname_target = [&[3][..], b"cdn", &QNAME].concat();
        let cname = rr(&QNAME, 5, &cname_target);
        // The CNAME target starts 12 bytes into the CNAME record: after the 2-byte
        // owner pointer and the 10 fixed bytes.
        let question_end = 12 + wire("www.example.com").len() + 4;
        let target_ptr = [0xc0, (question_end + 12) as u8];
        let msg = [
            header(1, 0x8180, 1, 3),
            question(&wire("www.example.com"), 1),
            cname,
            rr(&target_ptr, 1, &[192, 0, 2, 1]),
            rr(
                &target_ptr,
                28,
                &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            ),
        ]
        .concat();
        let m = parse(&msg).unwrap();
        assert!(m.is_response() && m.ra());
        assert_eq!(m.rcode(), 0);
        let cdn = dotted("cdn.www.example.com");
        assert_eq!(
            m.answers,
            [
                DnsAnswer {
                    name: dotted("www.example.com"),
                    rtype: 5,
                    ttl: 300,
                    data: RData::Name(cdn.clone())
                },
                DnsAnswer {
                    name: cdn.clone(),
                    rtype: 1,
                    ttl: 300,
                    data: RData::A(Ipv4Addr::new(192, 0, 2, 1))
                },
                DnsAnswer {
                    name: cdn,
                    rtype: 28,
                    ttl: 300,
                    data: RData::Aaaa("2001:db8::1".parse().unwrap())
                },
            ]
        );
    }

    #[test]
    fn mx_txt_and_unknown_records_are_kept() {
        let mx = [&[0, 10][..], &wire("mail.example.com")].concat();
        let txt = [&[5][..], b"v=spf", &[3], b"1 a"].concat();
        let long_txt: Vec<u8> = [[255u8].as_slice(), &[b'x'; 255], &[255], &[b'y'; 255]].concat();
        let msg = [
            header(2, 0x8180, 1, 4),
            question(&wire("example.com"), 255),
            rr(&QNAME, 15, &mx),
            rr(&QNAME, 16, &txt),
            rr(&QNAME, 16, &long_txt),
            rr(&QNAME, 0xff00, &[1, 2, 3]),
        ]
        .concat();
        let m = parse(&msg).unwrap();
        let data: Vec<_> = m.answers.iter().map(|a| a.data.clone()).collect();
        assert_eq!(
            data[..2],
            [
                RData::Mx {
                    preference: 10,
                    exchange: dotted("mail.example.com")
                },
                RData::Txt(b"v=spf1 a".to_vec()),
            ]
        );
        assert_eq!(data[2], RData::Txt(vec![b'x'; MAX_TXT_LEN]));
        assert_eq!(data[3], RData::Other { len: 3 });
        assert_eq!(rrtype_name(m.answers[3].rtype), "TYPE65280");
    }

    #[test]
    fn https_and_svcb_questions_are_kept() {
        for qtype in [65, 64, 0xfff0] {
            let msg = [
                header(3, 0x0100, 1, 0),
                question(&wire("example.net"), qtype),
            ]
            .concat();
            assert_eq!(parse(&msg).unwrap().question().unwrap().qtype, qtype);
        }
        assert_eq!(rrtype_name(65), "HTTPS");
    }

    #[test]
    fn binary_labels_are_kept_verbatim_and_displayed_escaped() {
        let name = [&[4][..], &[0x00, 0xff, b'.', b'\\'], &wire("t.example")].concat();
        let msg = [header(4, 0x0100, 1, 0), question(&name, 16)].concat();
        let m = parse(&msg).unwrap();
        let q = m.question().unwrap();
        // The `.` and `\` inside the first label are kept escaped: one label, not two.
        assert_eq!(q.name.as_bytes(), b"\x00\xff\\.\\\\.t.example");
        assert_eq!(q.name.display(), "\\x00\\xff\\x2e\\x5c.t.example");
    }

    #[test]
    fn nxdomain_with_garbled_answers_keeps_the_question() {
        let msg = [
            header(5, 0x8183, 1, 2),
            question(&wire("qxzvkpl.example"), 1),
            vec![0xc0, 0xff, 0, 1],
        ]
        .concat();
        let m = parse(&msg).unwrap();
        assert_eq!(m.rcode(), RCODE_NXDOMAIN);
        assert_eq!(m.question().unwrap().name, dotted("qxzvkpl.example"));
        assert!(m.answers.is_empty());
    }

    #[test]
    fn a_garbled_second_answer_keeps_the_first() {
        let msg = [
            header(6, 0x8180, 1, 2),
            question(&wire("a.example"), 1),
            rr(&QNAME, 1, &[192, 0, 2, 7]),
            rr(&QNAME, 1, &[192, 0, 2, 8])[..8].to_vec(),
        ]
        .concat();
        assert_eq!(parse(&msg).unwrap().answers.len(), 1);
    }

    #[test]
    fn limits_bound_what_a_message_keeps() {
        let limits = DnsLimits {
            max_questions: 1,
            max_answers: 2,
        };
        let answers: Vec<u8> = (0..5)
            .flat_map(|i| rr(&QNAME, 1, &[192, 0, 2, i]))
            .collect();
        let msg = [
            header(7, 0x8180, 2, 5),
            question(&wire("one.example"), 1),
            question(&wire("two.example"), 1),
            answers,
        ]
        .concat();
        let m = parse_message(&msg, &limits).unwrap();
        assert_eq!(m.questions.len(), 1);
        assert_eq!(m.answers.len(), 2);
        assert_eq!(m.answers[1].data, RData::A(Ipv4Addr::new(192, 0, 2, 1)));
    }

    #[test]
    fn compression_pointer_loops_are_errors() {
        // The name points at itself.
        let msg = [header(8, 0x0100, 1, 0), question(&QNAME, 1)].concat();
        assert_eq!(parse(&msg), Err(DnsError::LabelLoop));
        // A label, then a pointer back to that label.
        let msg = [header(8, 0x0100, 1, 0), question(&[1, b'a', 0xc0, 12], 1)].concat();
        assert_eq!(parse(&msg), Err(DnsError::LabelLoop));
    }

    #[test]
    fn forward_pointers_are_errors() {
        let msg = [
            header(9, 0x0100, 1, 0),
            question(&[0xc0, 40], 1),
            vec![0; 40],
        ]
        .concat();
        assert_eq!(parse(&msg), Err(DnsError::ForwardPointer));
    }

    #[test]
    fn pointer_chains_stop_at_the_hop_limit() {
        // Offset 0 is the root; every pointer at 2k points to 2(k-1).
        let mut buf = vec![0, 0];
        for k in 1..=40u8 {
            buf.extend_from_slice(&[0xc0, 2 * (k - 1)]);
        }
        let at = |hops: usize| 2 * hops;
        assert_eq!(
            read_name(&buf, at(MAX_POINTER_HOPS), None),
            Ok(at(MAX_POINTER_HOPS) + 2)
        );
        assert_eq!(
            read_name(&buf, at(MAX_POINTER_HOPS + 1), None),
            Err(DnsError::LabelLoop)
        );
    }

    #[test]
    fn labels_over_63_bytes_are_errors() {
        let name = [&[64][..], &[b'a'; 64], &[0]].concat();
        let msg = [header(10, 0x0100, 1, 0), question(&name, 1)].concat();
        assert_eq!(parse(&msg), Err(DnsError::LabelTooLong));
        let name = [&[63][..], &[b'a'; 63], &[0]].concat();
        let msg = [header(10, 0x0100, 1, 0), question(&name, 1)].concat();
        assert_eq!(parse(&msg).unwrap().questions[0].name.0.len(), 63);
    }

    #[test]
    fn names_over_255_bytes_are_errors() {
        let label = |n: usize| [&[n as u8][..], &vec![b'b'; n]].concat();
        // 3 * 64 + 62 + 1 = 255 bytes on the wire: the longest legal name.
        let longest = [label(63), label(63), label(63), label(61), vec![0]].concat();
        let msg = [header(11, 0x0100, 1, 0), question(&longest, 1)].concat();
        assert_eq!(parse(&msg).unwrap().questions[0].name.0.len(), 253);
        let too_long = [label(63), label(63), label(63), label(62), vec![0]].concat();
        let msg = [header(11, 0x0100, 1, 0), question(&too_long, 1)].concat();
        assert_eq!(parse(&msg), Err(DnsError::NameTooLong));
    }

    #[test]
    fn truncated_messages_are_errors() {
        let msg = [header(12, 0x0100, 1, 0), question(&wire("example.org"), 1)].concat();
        assert_eq!(parse(&msg[..11]), Err(DnsError::Truncated));
        assert_eq!(parse(&msg[..20]), Err(DnsError::Truncated));
        assert_eq!(parse(&msg[..msg.len() - 1]), Err(DnsError::Truncated));
        // A header that announces no question is a (useless) message.
        assert!(parse(&header(12, 0, 0, 0)).unwrap().questions.is_empty());
    }

    #[test]
    fn tcp_length_prefix_frames_one_message() {
        let msg = [header(13, 0x0100, 1, 0), question(&wire("example.org"), 1)].concat();
        let framed = [&(msg.len() as u16).to_be_bytes()[..], &msg, b"next"].concat();
        assert_eq!(tcp_message(&framed), Some(&msg[..]));
        assert_eq!(parse(tcp_message(&framed).unwrap()).unwrap().id, 13);
        assert_eq!(tcp_message(&framed[..msg.len()]), None);
        assert_eq!(tcp_message(&[0, 0, 1]), None);
        assert_eq!(tcp_message(&[0]), None);
    }

    #[test]
    fn error_names_match_their_counters() {
        for e in [
            DnsError::Truncated,
            DnsError::LabelTooLong,
            DnsError::NameTooLong,
            DnsError::ForwardPointer,
            DnsError::LabelLoop,
        ] {
            assert_eq!(e.counter().error_name(), Some(e.name()));
            assert_eq!(e.to_string(), e.name());
        }
    }

    fn printable(s: &str) -> bool {
        s.bytes().all(|b| (0x20..0x7f).contains(&b))
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            buf in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
        ) {
            let _ = parse_message(&buf, &DnsLimits::default());
            let _ = tcp_message(&buf);
        }

        #[test]
        fn valid_headers_with_arbitrary_bodies_never_panic(
            qd in 0u16..4,
            an in proptest::num::u16::ANY,
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
        ) {
            let msg = [header(1, 0x8180, qd, an), body].concat();
            if let Ok(m) = parse_message(&msg, &DnsLimits::default()) {
                proptest::prop_assert!(m.questions.len() <= 8 && m.answers.len() <= 32);
                for q in &m.questions {
                    // Within the wire limit, plus one escape per `.` or `\\` in a label.
                    proptest::prop_assert!(q.name.0.len() <= 2 * MAX_NAME_WIRE_LEN);
                    proptest::prop_assert!(printable(&q.name.display()));
                }
            }
        }

        /// The documented escaping is lossless: any labels, binary, dots and backslashes
        /// included, come back from the displayed name; so distinct names never display
        /// alike.
        #[test]
        fn wire_labels_round_trip_through_display(
            labels in proptest::collection::vec(
                proptest::collection::vec(proptest::num::u8::ANY, 1..24), 0..8),
        ) {
            let mut name = Vec::new();
            for l in &labels {
                name.push(l.len() as u8);
                name.extend_from_slice(l);
            }
            name.push(0);
            let msg = [header(1, 0x0100, 1, 0), name, vec![0, 1, 0, 1]].concat();
            let m = parse_message(&msg, &DnsLimits::default()).unwrap();
            let shown = m.questions[0].name.display();
            proptest::prop_assert!(printable(&shown));
            proptest::prop_assert_eq!(labels_from_display(&shown), Some(labels));
        }
    }

    #[test]
    fn a_dot_or_backslash_inside_a_label_is_not_a_separator() {
        // Was: the label `a.b` displayed as the two labels `a` and `b`.
        let one = [
            header(1, 0x0100, 1, 0),
            b"\x03a.b\x00\x00\x01\x00\x01".to_vec(),
        ]
        .concat();
        let two = [header(1, 0x0100, 1, 0), wire("a.b"), vec![0, 1, 0, 1]].concat();
        let name = |m: &[u8]| {
            parse_message(m, &DnsLimits::default()).unwrap().questions[0]
                .name
                .display()
        };
        assert_eq!(name(&one), "a\\x2eb");
        assert_eq!(name(&two), "a.b");
        let slash = [
            header(1, 0x0100, 1, 0),
            b"\x02\\.\x00\x00\x01\x00\x01".to_vec(),
        ]
        .concat();
        assert_eq!(name(&slash), "\\x5c\\x2e");
    }
}
