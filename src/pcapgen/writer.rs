//! Capture file writers: classic pcap (µs or ns magic), pcapng, and gzip around either.
//!
//! Both writers take any `impl Write` and write little-endian files, as an x86 capture
//! host would. A snaplen really cuts the stored bytes; the record keeps the original
//! length, exactly as libpcap does.

use super::{LinkType, Packet, Ts};
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use std::io::{self, Write};

/// The snaplen tcpdump uses by default.
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// Classic pcap magic for microsecond timestamps.
pub const PCAP_MAGIC_MICROS: u32 = 0xa1b2_c3d4;
/// Classic pcap magic for nanosecond timestamps.
pub const PCAP_MAGIC_NANOS: u32 = 0xa1b2_3c4d;

/// Timestamp resolution of a pcap file or a pcapng interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TsResolution {
    #[default]
    Micro,
    Nano,
}

impl TsResolution {
    fn fraction(self, ts: Ts) -> u32 {
        match self {
            TsResolution::Micro => ts.subsec_micros(),
            TsResolution::Nano => ts.subsec_nanos(),
        }
    }

    fn units(self, ts: Ts) -> u64 {
        match self {
            TsResolution::Micro => ts.as_micros(),
            TsResolution::Nano => ts.as_nanos(),
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn len_u32(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| invalid(format!("length {n} does not fit a capture record")))
}

/// A classic pcap file: a 24-byte global header, then records.
pub struct PcapWriter<W: Write> {
    w: W,
    linktype: LinkType,
    resolution: TsResolution,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header (version 2.4, thiszone 0, sigfigs 0).
    pub fn new(
        mut w: W,
        linktype: LinkType,
        resolution: TsResolution,
        snaplen: u32,
    ) -> io::Result<Self> {
        let magic = match resolution {
            TsResolution::Micro => PCAP_MAGIC_MICROS,
            TsResolution::Nano => PCAP_MAGIC_NANOS,
        };
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&magic.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&snaplen.to_le_bytes());
        h.extend_from_slice(&u32::from(linktype.0).to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter {
            w,
            linktype,
            resolution,
            snaplen,
        })
    }

    /// Writes one record: at most `snaplen` bytes of `data`; `orig_len` is raised to
    /// `data.len()` if it is smaller.
    pub fn write_record(&mut self, ts: Ts, data: &[u8], orig_len: u32) -> io::Result<()> {
        let secs = u32::try_from(ts.secs())
            .map_err(|_| invalid(format!("timestamp {} s does not fit pcap", ts.secs())))?;
        let stored = data.len().min(self.snaplen as usize);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&self.resolution.fraction(ts).to_le_bytes());
        h[8..12].copy_from_slice(&len_u32(stored)?.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.max(len_u32(data.len())?).to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(data.get(..stored).unwrap_or(data))
    }

    /// Writes a packet; its link type must be the file's.
    pub fn write_packet(&mut self, p: &Packet) -> io::Result<()> {
        if p.link != self.linktype {
            return Err(invalid(format!(
                "packet of link type {} in a pcap of link type {}",
                p.link.0, self.linktype.0
            )));
        }
        self.write_record(p.ts, &p.frame, p.wire_len())
    }

    pub fn into_inner(self) -> W {
        self.w
    }
}

/// One interface of a pcapng section, as [`write_pcapng`] declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interface {
    pub linktype: LinkType,
    pub snaplen: u32,
    /// `Micro` writes no `if_tsresol` option (the pcapng default, 10^-6); `Nano` writes
    /// `if_tsresol = 9`.
    pub resolution: TsResolution,
    /// Written as `if_name` when present.
    pub name: Option<&'static str>,
}

impl Interface {
    pub const fn new(linktype: LinkType) -> Self {
        Interface {
            linktype,
            snaplen: DEFAULT_SNAPLEN,
            resolution: TsResolution::Micro,
            name: None,
        }
    }
}

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
const OPT_ENDOFOPT: u16 = 0;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

fn push_option(body: &mut Vec<u8>, code: u16, value: &[u8]) -> io::Result<()> {
    let len = u16::try_from(value.len())
        .map_err(|_| invalid(format!("pcapng option of {} bytes", value.len())))?;
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&len.to_le_bytes());
    body.extend_from_slice(value);
    body.resize(body.len() + pad4(value.len()), 0);
    Ok(())
}

fn end_options(body: &mut Vec<u8>) {
    body.extend_from_slice(&OPT_ENDOFOPT.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
}

/// A pcapng file: one section (SHB), interfaces (IDB) and enhanced packet blocks (EPB).
pub struct PcapngWriter<W: Write> {
    w: W,
    interfaces: Vec<Interface>,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header block (version 1.0, unknown section length,
    /// `shb_userappl` = "botsense-pcapgen").
    pub fn new(w: W) -> io::Result<Self> {
        let mut me = PcapngWriter {
            w,
            interfaces: Vec::new(),
        };
        let mut body = Vec::new();
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        push_option(&mut body, SHB_USERAPPL, b"botsense-pcapgen")?;
        end_options(&mut body);
        me.block(SHB, &body)?;
        Ok(me)
    }

    fn block(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        let total = len_u32(12 + body.len() + pad4(body.len()))?;
        self.w.write_all(&block_type.to_le_bytes())?;
        self.w.write_all(&total.to_le_bytes())?;
        self.w.write_all(body)?;
        self.w
            .write_all([0u8; 3].get(..pad4(body.len())).unwrap_or_default())?;
        self.w.write_all(&total.to_le_bytes())
    }

    /// Declares an interface and returns its id (0, 1, ... in order).
    pub fn add_interface(&mut self, iface: Interface) -> io::Result<u32> {
        let mut body = Vec::new();
        body.extend_from_slice(&iface.linktype.0.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&iface.snaplen.to_le_bytes());
        if let Some(name) = iface.name {
            push_option(&mut body, IF_NAME, name.as_bytes())?;
        }
        if iface.resolution == TsResolution::Nano {
            push_option(&mut body, IF_TSRESOL, &[9])?;
        }
        if iface.name.is_some() || iface.resolution == TsResolution::Nano {
            end_options(&mut body);
        }
        self.block(IDB, &body)?;
        self.interfaces.push(iface);
        len_u32(self.interfaces.len() - 1)
    }

    /// Writes an enhanced packet block on interface `if_id`, cut to its snaplen, with the
    /// timestamp in the interface's resolution.
    pub fn write_record(
        &mut self,
        if_id: u32,
        ts: Ts,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let iface = *self
            .interfaces
            .get(if_id as usize)
            .ok_or_else(|| invalid(format!("no pcapng interface {if_id}")))?;
        let stored = data.len().min(iface.snaplen as usize);
        let units = iface.resolution.units(ts);
        let mut body = Vec::with_capacity(20 + stored + 3);
        body.extend_from_slice(&if_id.to_le_bytes());
        body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(units as u32).to_le_bytes());
        body.extend_from_slice(&len_u32(stored)?.to_le_bytes());
        body.extend_from_slice(&orig_len.max(len_u32(data.len())?).to_le_bytes());
        body.extend_from_slice(data.get(..stored).unwrap_or(data));
        self.block(EPB, &body)
    }

    pub fn into_inner(self) -> W {
        self.w
    }
}

/// A gzip stream with a fixed header (mtime 0, no name), so the output is reproducible.
/// Call `finish()` on it to write the trailer.
pub fn gzip<W: Write>(w: W) -> GzEncoder<W> {
    GzBuilder::new().mtime(0).write(w, Compression::best())
}

/// Writes `packets` as a classic pcap; all must have `linktype`.
pub fn write_pcap<W: Write>(
    w: W,
    linktype: LinkType,
    resolution: TsResolution,
    snaplen: u32,
    packets: &[Packet],
) -> io::Result<W> {
    let mut pw = PcapWriter::new(w, linktype, resolution, snaplen)?;
    for p in packets {
        pw.write_packet(p)?;
    }
    Ok(pw.into_inner())
}

/// Writes `packets` as pcapng. `interfaces` are declared first, in order; a packet goes
/// to the first interface of its link type, and a link type with none gets a default
/// (µs) interface added when its first packet comes.
pub fn write_pcapng<W: Write>(w: W, interfaces: &[Interface], packets: &[Packet]) -> io::Result<W> {
    let mut pw = PcapngWriter::new(w)?;
    let mut ids: Vec<(LinkType, u32)> = Vec::new();
    for iface in interfaces {
        let id = pw.add_interface(*iface)?;
        if !ids.iter().any(|(l, _)| *l == iface.linktype) {
            ids.push((iface.linktype, id));
        }
    }
    for p in packets {
        let id = match ids.iter().find(|(l, _)| *l == p.link) {
            Some((_, id)) => *id,
            None => {
                let id = pw.add_interface(Interface::new(p.link))?;
                ids.push((p.link, id));
                id
            }
        };
        pw.write_record(id, p.ts, &p.frame, p.wire_len())?;
    }
    Ok(pw.into_inner())
}

/// Where each record of a little-endian classic pcap lies: `(header offset, data offset,
/// stored length)`. Stops at the first record that does not fit. For tests and for
/// building deliberately broken files.
pub fn pcap_record_offsets(file: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 24;
    while let Some(&[_, _, _, _, _, _, _, _, a, b, c, d, _, _, _, _]) = file.get(at..at + 16) {
        let incl = u32::from_le_bytes([a, b, c, d]) as usize;
        let data = at + 16;
        if data + incl > file.len() {
            break;
        }
        out.push((at, data, incl));
        at = data + incl;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn pcap_header_has_magic_version_snaplen_and_linktype() {
        let f = PcapWriter::new(Vec::new(), LinkType::LINUX_SLL2, TsResolution::Micro, 1500)
            .unwrap()
            .into_inner();
        assert_eq!(f.len(), 24);
        assert_eq!(&f[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(&f[4..8], &[2, 0, 4, 0]);
        assert_eq!(u32_at(&f, 16), 1500);
        assert_eq!(u32_at(&f, 20), 276);
        let n = PcapWriter::new(Vec::new(), LinkType::ETHERNET, TsResolution::Nano, 65535)
            .unwrap()
            .into_inner();
        assert_eq!(&n[0..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
    }

    #[test]
    fn snaplen_cuts_stored_bytes_and_keeps_orig_len() {
        let mut w =
            PcapWriter::new(Vec::new(), LinkType::ETHERNET, TsResolution::Micro, 64).unwrap();
        let ts = Ts::BASE.plus_micros(123_456);
        w.write_record(ts, &[0xab; 100], 100).unwrap();
        w.write_record(ts, &[0xcd; 10], 10).unwrap();
        let f = w.into_inner();
        let recs = pcap_record_offsets(&f);
        assert_eq!(recs, vec![(24, 40, 64), (104, 120, 10)]);
        assert_eq!(u32_at(&f, 24), 1_795_341_600);
        assert_eq!(u32_at(&f, 28), 123_456);
        assert_eq!(u32_at(&f, 36), 100, "orig_len kept");
        assert_eq!(f.len(), 24 + 16 + 64 + 16 + 10);
    }

    #[test]
    fn nanosecond_pcap_stores_nanoseconds() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, TsResolution::Nano, 65535).unwrap();
        w.write_record(Ts::BASE.plus_nanos(123_456_789), &[0x45], 1)
            .unwrap();
        let f = w.into_inner();
        assert_eq!(u32_at(&f, 28), 123_456_789);
    }

    #[test]
    fn packet_of_another_link_type_is_refused() {
        let mut w =
            PcapWriter::new(Vec::new(), LinkType::ETHERNET, TsResolution::Micro, 65535).unwrap();
        let p = Packet::new(Ts::BASE, LinkType::RAW, vec![0x45]);
        assert!(w.write_packet(&p).is_err());
    }

    #[test]
    fn pcapng_blocks_are_well_formed() {
        let packets = vec![
            Packet::new(Ts::BASE.plus_nanos(1_500), LinkType::ETHERNET, vec![1; 61]),
            Packet::new(Ts::BASE.plus_nanos(1_500), LinkType::RAW, vec![0x45; 20]),
        ];
        let ifaces = [
            Interface::new(LinkType::ETHERNET),
            Interface {
                resolution: TsResolution::Nano,
                name: Some("tun0"),
                ..Interface::new(LinkType::RAW)
            },
        ];
        let f = write_pcapng(Vec::new(), &ifaces, &packets).unwrap();
        // Walk the blocks: type, total length repeated at the end, 4-byte aligned.
        let mut at = 0;
        let mut types = Vec::new();
        while at < f.len() {
            let t = u32_at(&f, at);
            let len = u32_at(&f, at + 4) as usize;
            assert_eq!(len % 4, 0);
            assert_eq!(u32_at(&f, at + len - 4) as usize, len);
            types.push((t, at, len));
            at += len;
        }
        assert_eq!(at, f.len());
        let kinds: Vec<u32> = types.iter().map(|t| t.0).collect();
        assert_eq!(kinds, vec![SHB, IDB, IDB, EPB, EPB]);
        assert_eq!(u32_at(&f, 8), BYTE_ORDER_MAGIC);
        // IDB 0: Ethernet, no options; IDB 1: raw with if_name and if_tsresol 9.
        let (_, idb0, len0) = types[1];
        assert_eq!(len0, 20);
        assert_eq!(u16::from_le_bytes([f[idb0 + 8], f[idb0 + 9]]), 1);
        let (_, idb1, _) = types[2];
        assert_eq!(u16::from_le_bytes([f[idb1 + 8], f[idb1 + 9]]), 101);
        // EPB 0: µs units on interface 0, 61 bytes stored, padded to 64.
        let (_, epb0, elen0) = types[3];
        assert_eq!(u32_at(&f, epb0 + 8), 0);
        let us = (u64::from(u32_at(&f, epb0 + 12)) << 32) | u64::from(u32_at(&f, epb0 + 16));
        assert_eq!(us, Ts::BASE.as_micros() + 1);
        assert_eq!(u32_at(&f, epb0 + 20), 61);
        assert_eq!(elen0, 32 + 64);
        // EPB 1: ns units on interface 1.
        let (_, epb1, _) = types[4];
        assert_eq!(u32_at(&f, epb1 + 8), 1);
        let ns = (u64::from(u32_at(&f, epb1 + 12)) << 32) | u64::from(u32_at(&f, epb1 + 16));
        assert_eq!(ns, Ts::BASE.as_nanos() + 1_500);
    }

    #[test]
    fn gzip_output_is_reproducible_and_round_trips() {
        let write = || {
            let mut gz = gzip(Vec::new());
            write_pcap(&mut gz, LinkType::RAW, TsResolution::Micro, 65535, &[]).unwrap();
            gz.finish().unwrap()
        };
        let a = write();
        assert_eq!(a, write());
        assert_eq!(&a[0..2], &[0x1f, 0x8b]);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&a[..]), &mut out).unwrap();
        assert_eq!(out.len(), 24);
    }
}
