//! DNS messages for test traffic: any label bytes, any qtype, optional compression.
//!
//! A [`DomainName`] is a list of labels kept as raw bytes, so a label may hold `.`, `"`,
//! `\`, a newline or 0xff, as DNS tunnels do. Encoding refuses only what cannot be put on
//! the wire at all (a label over 63 bytes); a name over 255 bytes is written as asked,
//! because decoders must be tested against it.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

pub mod qtype {
    pub const A: u16 = 1;
    pub const NS: u16 = 2;
    pub const CNAME: u16 = 5;
    pub const SOA: u16 = 6;
    pub const PTR: u16 = 12;
    pub const MX: u16 = 15;
    pub const TXT: u16 = 16;
    pub const AAAA: u16 = 28;
    pub const SRV: u16 = 33;
    pub const SVCB: u16 = 64;
    pub const HTTPS: u16 = 65;
    pub const ANY: u16 = 255;
}

pub mod rcode {
    pub const NOERROR: u8 = 0;
    pub const FORMERR: u8 = 1;
    pub const SERVFAIL: u8 = 2;
    pub const NXDOMAIN: u8 = 3;
    pub const NOTIMP: u8 = 4;
    pub const REFUSED: u8 = 5;
}

pub const CLASS_IN: u16 = 1;

/// A domain name as labels of raw bytes; the root is no labels.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DomainName {
    pub labels: Vec<Vec<u8>>,
}

impl DomainName {
    /// Splits `dotted` on `.` (no escapes; a trailing dot is ignored).
    pub fn parse(dotted: &str) -> Self {
        DomainName {
            labels: dotted
                .trim_end_matches('.')
                .split('.')
                .filter(|l| !l.is_empty())
                .map(|l| l.as_bytes().to_vec())
                .collect(),
        }
    }

    pub fn from_labels<I, L>(labels: I) -> Self
    where
        I: IntoIterator<Item = L>,
        L: AsRef<[u8]>,
    {
        DomainName {
            labels: labels.into_iter().map(|l| l.as_ref().to_vec()).collect(),
        }
    }

    pub fn root() -> Self {
        DomainName::default()
    }

    /// The labels joined with `.`, bytes verbatim but for a `.` or `\` inside a label,
    /// which is escaped with `\`: the form [`crate::decode::dns::DnsName`] keeps.
    pub fn to_bytes(&self) -> Vec<u8> {
        join_labels(&self.labels)
    }
}

/// Labels joined as [`DomainName::to_bytes`] joins them.
pub fn join_labels<L: AsRef<[u8]>>(labels: &[L]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        crate::decode::dns::push_label(&mut out, label.as_ref());
    }
    out
}

/// Record data the builder knows how to write; anything else is `Raw`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(DomainName),
    Soa {
        mname: DomainName,
        rname: DomainName,
        serial: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
        minimum: u32,
    },
    /// Any type, with its RDATA bytes as given (never compressed).
    Raw {
        rtype: u16,
        data: Vec<u8>,
    },
}

impl RData {
    pub fn rtype(&self) -> u16 {
        match self {
            RData::A(_) => qtype::A,
            RData::Aaaa(_) => qtype::AAAA,
            RData::Cname(_) => qtype::CNAME,
            RData::Soa { .. } => qtype::SOA,
            RData::Raw { rtype, .. } => *rtype,
        }
    }
}

/// A resource record in the IN class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsRecord {
    pub name: DomainName,
    pub ttl: u32,
    pub data: RData,
}

impl DnsRecord {
    pub fn new(name: &DomainName, ttl: u32, data: RData) -> Self {
        DnsRecord {
            name: name.clone(),
            ttl,
            data,
        }
    }
    pub fn a(name: &DomainName, addr: Ipv4Addr) -> Self {
        DnsRecord::new(name, 300, RData::A(addr))
    }
    pub fn aaaa(name: &DomainName, addr: Ipv6Addr) -> Self {
        DnsRecord::new(name, 300, RData::Aaaa(addr))
    }
    pub fn cname(name: &DomainName, target: &DomainName) -> Self {
        DnsRecord::new(name, 300, RData::Cname(target.clone()))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: DomainName,
    pub qtype: u16,
    pub qclass: u16,
}

/// A DNS message. `flags` is the 16-bit header word (QR, opcode, AA, TC, RD, RA, rcode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub flags: u16,
    pub questions: Vec<Question>,
    pub answers: Vec<DnsRecord>,
    pub authority: Vec<DnsRecord>,
    pub additional: Vec<DnsRecord>,
    /// Compress owner names and CNAME/SOA names against names already written.
    pub compress: bool,
}

pub const FLAG_QR: u16 = 0x8000;
pub const FLAG_AA: u16 = 0x0400;
pub const FLAG_TC: u16 = 0x0200;
pub const FLAG_RD: u16 = 0x0100;
pub const FLAG_RA: u16 = 0x0080;

impl DnsMessage {
    /// A recursive query (RD set) for one name, uncompressed.
    pub fn query(id: u16, name: &DomainName, qtype: u16) -> Self {
        DnsMessage {
            id,
            flags: FLAG_RD,
            questions: vec![Question {
                name: name.clone(),
                qtype,
                qclass: CLASS_IN,
            }],
            answers: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
            compress: false,
        }
    }

    /// The response a recursive resolver gives: same id and question, QR, RD copied, RA,
    /// `rcode`, `answers`; compressed.
    pub fn response_to(query: &DnsMessage, rcode: u8, answers: Vec<DnsRecord>) -> Self {
        DnsMessage {
            id: query.id,
            flags: FLAG_QR | (query.flags & FLAG_RD) | FLAG_RA | u16::from(rcode & 0x0f),
            questions: query.questions.clone(),
            answers,
            authority: Vec::new(),
            additional: Vec::new(),
            compress: true,
        }
    }

    pub fn with_authority(mut self, records: Vec<DnsRecord>) -> Self {
        self.authority = records;
        self
    }

    pub fn with_compression(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    pub fn rcode(&self) -> u8 {
        (self.flags & 0x0f) as u8
    }

    /// The message in wire format.
    pub fn encode(&self) -> io::Result<Vec<u8>> {
        let mut e = Encoder {
            buf: Vec::with_capacity(512),
            names: Vec::new(),
            compress: self.compress,
        };
        e.buf.extend_from_slice(&self.id.to_be_bytes());
        e.buf.extend_from_slice(&self.flags.to_be_bytes());
        for n in [
            self.questions.len(),
            self.answers.len(),
            self.authority.len(),
            self.additional.len(),
        ] {
            let n = u16::try_from(n).map_err(|_| invalid(format!("{n} records")))?;
            e.buf.extend_from_slice(&n.to_be_bytes());
        }
        for q in &self.questions {
            e.name(&q.name)?;
            e.buf.extend_from_slice(&q.qtype.to_be_bytes());
            e.buf.extend_from_slice(&q.qclass.to_be_bytes());
        }
        for r in self
            .answers
            .iter()
            .chain(&self.authority)
            .chain(&self.additional)
        {
            e.record(r)?;
        }
        Ok(e.buf)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

struct Encoder {
    buf: Vec<u8>,
    /// Suffixes already written, with their offsets, for compression.
    names: Vec<(Vec<Vec<u8>>, u16)>,
    compress: bool,
}

impl Encoder {
    fn name(&mut self, name: &DomainName) -> io::Result<()> {
        let labels = &name.labels;
        for (i, label) in labels.iter().enumerate() {
            let suffix = labels.get(i..).unwrap_or_default();
            if self.compress {
                let hit = self.names.iter().find(|(s, _)| {
                    s.len() == suffix.len()
                        && s.iter().zip(suffix).all(|(a, b)| a.eq_ignore_ascii_case(b))
                });
                if let Some((_, off)) = hit {
                    self.buf.extend_from_slice(&(0xc000 | off).to_be_bytes());
                    return Ok(());
                }
                if let Ok(off) = u16::try_from(self.buf.len()) {
                    if off < 0x4000 {
                        self.names.push((suffix.to_vec(), off));
                    }
                }
            }
            let len = u8::try_from(label.len())
                .ok()
                .filter(|l| *l <= 63)
                .ok_or_else(|| invalid(format!("DNS label of {} bytes", label.len())))?;
            self.buf.push(len);
            self.buf.extend_from_slice(label);
        }
        self.buf.push(0);
        Ok(())
    }

    fn record(&mut self, r: &DnsRecord) -> io::Result<()> {
        self.name(&r.name)?;
        self.buf.extend_from_slice(&r.data.rtype().to_be_bytes());
        self.buf.extend_from_slice(&CLASS_IN.to_be_bytes());
        self.buf.extend_from_slice(&r.ttl.to_be_bytes());
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        match &r.data {
            RData::A(a) => self.buf.extend_from_slice(&a.octets()),
            RData::Aaaa(a) => self.buf.extend_from_slice(&a.octets()),
            RData::Cname(n) => self.name(n)?,
            RData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => {
                self.name(mname)?;
                self.name(rname)?;
                for v in [serial, refresh, retry, expire, minimum] {
                    self.buf.extend_from_slice(&v.to_be_bytes());
                }
            }
            RData::Raw { data, .. } => self.buf.extend_from_slice(data),
        }
        let rdlen = self.buf.len() - len_at - 2;
        let rdlen = u16::try_from(rdlen).map_err(|_| invalid(format!("RDATA of {rdlen} bytes")))?;
        super::build::put_be16(&mut self.buf, len_at, rdlen);
        Ok(())
    }
}

/// HTTPS/SVCB RDATA: priority, target name (uncompressed), and an `alpn` parameter.
pub fn svcb_rdata(priority: u16, target: &DomainName, alpn: &[&str]) -> Vec<u8> {
    let mut d = priority.to_be_bytes().to_vec();
    for l in &target.labels {
        d.push(l.len().min(63) as u8);
        d.extend_from_slice(l.get(..63).unwrap_or(l));
    }
    d.push(0);
    let mut value = Vec::new();
    for id in alpn {
        value.push(id.len().min(255) as u8);
        value.extend_from_slice(id.as_bytes().get(..255).unwrap_or(id.as_bytes()));
    }
    d.extend_from_slice(&1u16.to_be_bytes()); // SvcParamKey alpn
    d.extend_from_slice(&(value.len().min(0xffff) as u16).to_be_bytes());
    d.extend_from_slice(&value);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_encodes_header_and_question() {
        let q = DnsMessage::query(0x1234, &DomainName::parse("www.example.com"), qtype::HTTPS);
        let b = q.encode().unwrap();
        assert_eq!(&b[0..4], &[0x12, 0x34, 0x01, 0x00]);
        assert_eq!(&b[4..12], &[0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[12..29], b"\x03www\x07example\x03com\x00");
        assert_eq!(&b[29..33], &[0, 65, 0, 1]);
        assert_eq!(b.len(), 33);
    }

    #[test]
    fn response_compresses_owner_names_and_cname_targets() {
        let name = DomainName::parse("cdn.example.org");
        let edge = DomainName::parse("edge.example.org");
        let q = DnsMessage::query(7, &name, qtype::A);
        let r = DnsMessage::response_to(
            &q,
            rcode::NOERROR,
            vec![
                DnsRecord::cname(&name, &edge),
                DnsRecord::a(&edge, Ipv4Addr::new(203, 0, 113, 7)),
            ],
        );
        let b = r.encode().unwrap();
        assert_eq!(&b[2..4], &[0x81, 0x80]);
        // Question name at 12; the answer's owner is a pointer to it.
        let ans = 12 + 17 + 4;
        assert_eq!(&b[ans..ans + 2], &[0xc0, 12]);
        // CNAME target: "edge" then a pointer to "example.org" (offset 16).
        let rdata = ans + 12;
        assert_eq!(&b[rdata..rdata + 7], b"\x04edge\xc0\x10");
        let plain = r.clone().with_compression(false).encode().unwrap();
        assert!(plain.len() > b.len());
    }

    #[test]
    fn binary_labels_are_written_verbatim() {
        let name = DomainName::from_labels([&b"a.b\"c\\d\ne\xff"[..], b"\x00\x01", b"com"]);
        let b = DnsMessage::query(1, &name, qtype::TXT).encode().unwrap();
        assert_eq!(
            &b[12..],
            b"\x0aa.b\"c\\d\ne\xff\x02\x00\x01\x03com\x00\x00\x10\x00\x01"
        );
        // The `.` and `\` inside the first label escaped, as `DnsName` keeps them.
        assert_eq!(name.to_bytes(), b"a\\.b\"c\\\\d\ne\xff.\x00\x01.com");
    }

    #[test]
    fn label_over_63_bytes_is_refused() {
        let name = DomainName::from_labels([vec![b'a'; 64]]);
        assert!(DnsMessage::query(1, &name, qtype::A).encode().is_err());
    }

    #[test]
    fn svcb_rdata_has_alpn() {
        let d = svcb_rdata(1, &DomainName::root(), &["h2", "h3"]);
        assert_eq!(d, b"\x00\x01\x00\x00\x01\x00\x06\x02h2\x02h3");
    }
}
