//! DNS messages: a pure, bounded parser from bytes to [`DnsMessage`].
//!
//! (Types fixed by the pipeline; the decode work fills in the parser.)

use std::net::{Ipv4Addr, Ipv6Addr};

/// A domain name as it came off the wire: the labels' raw bytes joined with `.`, no
/// trailing dot, the root as the empty name. Bytes are kept verbatim (DNS tunnels use
/// binary labels); [`DnsName::display`] renders them safely for JSON and syslog.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(pub Vec<u8>);

impl DnsName {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Renders the name for EVE and syslog: printable ASCII other than `\\` as is, every
    /// other byte as `\\xNN`. The result is plain ASCII, so it is valid JSON once
    /// escaped and can never break a syslog frame, and distinct names stay distinct.
    pub fn display(&self) -> String {
        let mut s = String::with_capacity(self.0.len());
        for &b in &self.0 {
            if (0x20..0x7f).contains(&b) && b != b'\\' {
                s.push(char::from(b));
            } else {
                s.push_str(&format!("\\x{b:02x}"));
            }
        }
        s
    }
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
    Mx { preference: u16, exchange: DnsName },
    /// TXT strings joined, bytes verbatim, bounded.
    Txt(Vec<u8>),
    /// Any other type: only its length is kept.
    Other { len: u16 },
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
