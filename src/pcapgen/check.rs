//! Tests only: re-derives every scenario's expected flows, DNS transactions and decode
//! failures from its packets with etherparse (an independent parser), so the numbers
//! other tests assert can never drift from what the files hold.

use super::build::ip_addrs;
use super::scenario::{bundled, ExpectedDns, ExpectedFlow, Scenario};
use super::{LinkType, Packet};
use etherparse::{Ipv6ExtensionSlice, LinkExtSlice, NetSlice, SlicedPacket, TransportSlice};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[derive(Debug, PartialEq)]
struct Meta {
    proto: u8,
    src: SocketAddr,
    dst: SocketAddr,
    vlan: [u16; 2],
    flags: u8,
    payload: u64,
    wire: u64,
    app: Vec<u8>,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Meta(Meta),
    NonFirstFragment,
    Error(String),
}

fn slice(link: LinkType, frame: &[u8]) -> Result<SlicedPacket<'_>, String> {
    let r = match link {
        LinkType::ETHERNET => SlicedPacket::from_ethernet(frame),
        LinkType::LINUX_SLL => SlicedPacket::from_linux_sll(frame),
        LinkType::LINUX_SLL2 => {
            let proto = frame.get(0..2).ok_or("sll2 short")?;
            let et = u16::from_be_bytes([proto[0], proto[1]]);
            SlicedPacket::from_ether_type(et.into(), frame.get(20..).ok_or("sll2 short")?)
        }
        LinkType::RAW => SlicedPacket::from_ip(frame),
        LinkType::NULL => SlicedPacket::from_ip(frame.get(4..).ok_or("null short")?),
        other => return Err(format!("link {}", other.0)),
    };
    r.map_err(|e| format!("{e:?}"))
}

fn decode(p: &Packet) -> Outcome {
    match decode_frame(p.link, &p.frame, u64::from(p.wire_len())) {
        Ok(o) => o,
        Err(e) => Outcome::Error(e),
    }
}

fn decode_frame(link: LinkType, frame: &[u8], wire: u64) -> Result<Outcome, String> {
    let s = slice(link, frame)?;
    let mut vlan = [0u16; 2];
    for (i, ext) in s.link_exts.iter().take(2).enumerate() {
        if let LinkExtSlice::Vlan(v) = ext {
            vlan[i] = v.vlan_identifier().value();
        }
    }
    let net = s.net.as_ref().ok_or("no ip")?;
    let (src, dst) = match net {
        NetSlice::Ipv4(ip) => (
            IpAddr::V4(ip.header().source_addr()),
            IpAddr::V4(ip.header().destination_addr()),
        ),
        NetSlice::Ipv6(ip) => (
            IpAddr::V6(ip.header().source_addr()),
            IpAddr::V6(ip.header().destination_addr()),
        ),
        _ => return Err("not ip".into()),
    };
    let payload = net.ip_payload_ref().ok_or("no ip payload")?;
    let proto = payload.ip_number.0;
    // Tunnels: GRE v0 carrying IPv4, VXLAN carrying Ethernet.
    if proto == 47 {
        return decode_frame(LinkType::RAW, payload.payload.get(4..).ok_or("gre")?, wire);
    }
    if let Some(TransportSlice::Udp(u)) = &s.transport {
        if u.destination_port() == 4789 {
            let inner = u.payload().get(8..).ok_or("vxlan")?;
            return decode_frame(LinkType::ETHERNET, inner, wire);
        }
    }
    if payload.fragmented {
        let offset = match net {
            NetSlice::Ipv4(ip) => ip.header().fragments_offset().value(),
            NetSlice::Ipv6(ip) => ip
                .extensions()
                .clone()
                .into_iter()
                .find_map(|e| match e {
                    // Read the field ourselves: etherparse 0.19's
                    // `Ipv6FragmentHeaderSlice::fragment_offset` and `more_fragments`
                    // read the wrong bits (fixed in 0.21).
                    Ipv6ExtensionSlice::Fragment(f) => {
                        Some(u16::from_be_bytes([f.slice()[2], f.slice()[3]]) >> 3)
                    }
                    _ => None,
                })
                .ok_or("no fragment header")?,
            _ => 0,
        };
        if offset != 0 {
            return Ok(Outcome::NonFirstFragment);
        }
        // First fragment: the UDP header is whole, the data is not.
        let b = payload.payload;
        let h = b.get(0..8).ok_or("first fragment short")?;
        return Ok(Outcome::Meta(Meta {
            proto,
            src: SocketAddr::new(src, u16::from_be_bytes([h[0], h[1]])),
            dst: SocketAddr::new(dst, u16::from_be_bytes([h[2], h[3]])),
            vlan,
            flags: 0,
            payload: u64::from(u16::from_be_bytes([h[4], h[5]])) - 8,
            wire,
            app: Vec::new(),
        }));
    }
    let (sp, dp, flags, len, app) = match &s.transport {
        Some(TransportSlice::Tcp(t)) => {
            let f = t.slice()[13];
            (
                t.source_port(),
                t.destination_port(),
                f,
                t.payload().len(),
                t.payload().to_vec(),
            )
        }
        Some(TransportSlice::Udp(u)) => (
            u.source_port(),
            u.destination_port(),
            0,
            usize::from(u.length()) - 8,
            u.payload().to_vec(),
        ),
        Some(TransportSlice::Icmpv4(i)) => {
            let b = i.slice();
            (
                u16::from(b[0]),
                u16::from(b[1]),
                0,
                i.payload().len(),
                Vec::new(),
            )
        }
        Some(TransportSlice::Icmpv6(i)) => {
            let b = i.slice();
            (
                u16::from(b[0]),
                u16::from(b[1]),
                0,
                i.payload().len(),
                Vec::new(),
            )
        }
        None => return Err("no transport".into()),
    };
    Ok(Outcome::Meta(Meta {
        proto,
        src: SocketAddr::new(src, sp),
        dst: SocketAddr::new(dst, dp),
        vlan,
        flags,
        payload: len as u64,
        wire,
        app,
    }))
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Flow {
    client: String,
    server: String,
    proto: u8,
    vlan: [u16; 2],
    pkts: [u64; 2],
    bytes: [u64; 2],
    payload: [u64; 2],
    outcome: String,
    end: String,
}

fn expected_flow(e: &ExpectedFlow) -> Flow {
    Flow {
        client: e.client_addr().unwrap().to_string(),
        server: e.server_addr().unwrap().to_string(),
        proto: e.proto,
        vlan: e.vlan,
        pkts: [e.pkts_toserver, e.pkts_toclient],
        bytes: [e.bytes_toserver, e.bytes_toclient],
        payload: [e.payload_toserver, e.payload_toclient],
        outcome: e.outcome.into(),
        end: e.end.into(),
    }
}

#[derive(Default)]
struct Acc {
    client: Option<(SocketAddr, SocketAddr)>,
    proto: u8,
    vlan: [u16; 2],
    pkts: [u64; 2],
    bytes: [u64; 2],
    payload: [u64; 2],
    flags: [u8; 2],
    synack: bool,
    rst_before_synack: bool,
}

/// Protocol, VLAN, then the two endpoints in sorted order.
type FlowKey = (u8, [u16; 2], IpAddr, IpAddr, u16, u16);

fn flows(metas: &[&Meta]) -> Vec<Flow> {
    let mut table: BTreeMap<FlowKey, Acc> = BTreeMap::new();
    for m in metas {
        let icmp = m.proto == 1 || m.proto == 58;
        let (sp, dp) = if icmp {
            (0, 0)
        } else {
            (m.src.port(), m.dst.port())
        };
        let (a, b) = ((m.src.ip(), sp), (m.dst.ip(), dp));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let acc = table
            .entry((m.proto, m.vlan, lo.0, hi.0, lo.1, hi.1))
            .or_default();
        let (c, _) = *acc.client.get_or_insert((m.src, m.dst));
        acc.proto = m.proto;
        acc.vlan = m.vlan;
        let d = usize::from(m.src.ip() != c.ip() || (!icmp && m.src.port() != c.port()));
        acc.pkts[d] += 1;
        acc.bytes[d] += m.wire;
        acc.payload[d] += m.payload;
        acc.flags[d] |= m.flags;
        if d == 1 && m.flags & 0x12 == 0x12 {
            acc.synack = true;
        }
        if d == 1 && m.flags & 0x04 != 0 && !acc.synack {
            acc.rst_before_synack = true;
        }
    }
    let mut out: Vec<Flow> = table
        .into_values()
        .map(|a| {
            let (c, s) = a.client.unwrap();
            let outcome = if a.proto == 6 {
                if a.synack {
                    "accepted"
                } else if a.rst_before_synack {
                    "refused"
                } else {
                    "unanswered"
                }
            } else if a.pkts[1] > 0 {
                "accepted"
            } else {
                "unanswered"
            };
            let any = a.flags[0] | a.flags[1];
            let end = if any & 0x04 != 0 {
                "rst"
            } else if a.flags[0] & 0x01 != 0 && a.flags[1] & 0x01 != 0 {
                "fin"
            } else {
                "open"
            };
            Flow {
                client: c.to_string(),
                server: s.to_string(),
                proto: a.proto,
                vlan: a.vlan,
                pkts: a.pkts,
                bytes: a.bytes,
                payload: a.payload,
                outcome: outcome.into(),
                end: end.into(),
            }
        })
        .collect();
    out.sort();
    out
}

// A minimal DNS reader, enough to read back what the builder wrote.

fn read_name(msg: &[u8], mut at: usize) -> (Vec<u8>, usize) {
    let mut labels: Vec<Vec<u8>> = Vec::new();
    let mut end = None;
    for _ in 0..64 {
        let len = msg[at];
        if len & 0xc0 == 0xc0 {
            end.get_or_insert(at + 2);
            at = usize::from(u16::from_be_bytes([len & 0x3f, msg[at + 1]]));
            continue;
        }
        if len == 0 {
            end.get_or_insert(at + 1);
            break;
        }
        labels.push(msg[at + 1..at + 1 + usize::from(len)].to_vec());
        at += 1 + usize::from(len);
    }
    (super::dns::join_labels(&labels), end.unwrap())
}

struct DnsRead {
    id: u16,
    response: bool,
    rcode: u8,
    qname: Vec<u8>,
    qtype: u16,
    answers: Vec<String>,
}

fn read_dns(msg: &[u8]) -> DnsRead {
    let u16_at = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
    let (qname, mut at) = read_name(msg, 12);
    let qtype = u16_at(at);
    at += 4;
    let mut answers = Vec::new();
    for _ in 0..u16_at(6) {
        let (_, a) = read_name(msg, at);
        let rtype = u16_at(a);
        let rdlen = usize::from(u16_at(a + 8));
        let rd = &msg[a + 10..a + 10 + rdlen];
        answers.push(match rtype {
            1 => format!("A {}", Ipv4Addr::from(<[u8; 4]>::try_from(rd).unwrap())),
            28 => format!("AAAA {}", Ipv6Addr::from(<[u8; 16]>::try_from(rd).unwrap())),
            5 => format!(
                "CNAME {}",
                String::from_utf8(read_name(msg, a + 10).0).unwrap()
            ),
            65 => format!("HTTPS len={rdlen}"),
            t => format!("TYPE{t} len={rdlen}"),
        });
        at = a + 10 + rdlen;
    }
    DnsRead {
        id: u16_at(0),
        response: msg[2] & 0x80 != 0,
        rcode: msg[3] & 0x0f,
        qname,
        qtype,
        answers,
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Txn {
    client: String,
    server: String,
    proto: u8,
    id: u16,
    qname: Vec<u8>,
    qtype: u16,
    rcode: Option<u8>,
    answers: Vec<String>,
}

fn expected_txn(e: &ExpectedDns) -> Txn {
    Txn {
        client: e.client.parse::<SocketAddr>().unwrap().to_string(),
        server: e.server.parse::<SocketAddr>().unwrap().to_string(),
        proto: e.proto,
        id: e.id,
        qname: e.qname.to_vec(),
        qtype: e.qtype,
        rcode: e.rcode,
        answers: e.answers.iter().map(|s| s.to_string()).collect(),
    }
}

fn transactions(metas: &[&Meta]) -> Vec<Txn> {
    let mut open: Vec<Txn> = Vec::new();
    for m in metas {
        if m.app.is_empty() || (m.src.port() != 53 && m.dst.port() != 53) {
            continue;
        }
        let msg = if m.proto == 6 {
            &m.app[2..]
        } else {
            &m.app[..]
        };
        let d = read_dns(msg);
        if !d.response {
            open.push(Txn {
                client: m.src.to_string(),
                server: m.dst.to_string(),
                proto: m.proto,
                id: d.id,
                qname: d.qname,
                qtype: d.qtype,
                rcode: None,
                answers: Vec::new(),
            });
        } else {
            let t = open
                .iter_mut()
                .find(|t| t.id == d.id && t.client == m.dst.to_string() && t.rcode.is_none())
                .expect("response without query");
            t.rcode = Some(d.rcode);
            t.answers = d.answers;
            assert_eq!(t.qname, d.qname);
        }
    }
    open.sort();
    open
}

fn packets_of(s: &Scenario) -> Vec<Packet> {
    let mut p = s.packets().unwrap();
    // multi/ is read as one directory: its expectations cover both files.
    if s.name == "multi-b-first" {
        p.extend(super::pipeline::multi_a_second().packets().unwrap());
    }
    p
}

#[test]
fn expected_flows_dns_and_decode_errors_match_the_packets() {
    for s in bundled() {
        let packets = packets_of(&s);
        let outcomes: Vec<Outcome> = packets.iter().map(decode).collect();
        let metas: Vec<&Meta> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Meta(m) => Some(m),
                _ => None,
            })
            .collect();
        if !s.flows.is_empty() {
            let mut want: Vec<Flow> = s.flows.iter().map(expected_flow).collect();
            want.sort();
            assert_eq!(flows(&metas), want, "flows of {}", s.name);
        }
        if !s.dns.is_empty() {
            let mut want: Vec<Txn> = s.dns.iter().map(expected_txn).collect();
            want.sort();
            assert_eq!(transactions(&metas), want, "dns of {}", s.name);
        }
        let frags = outcomes
            .iter()
            .filter(|o| **o == Outcome::NonFirstFragment)
            .count() as u64;
        let errors = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Error(_)))
            .count() as u64;
        let want_frags: u64 = s
            .decode_errors
            .iter()
            .filter(|(k, _)| k.ends_with("frag_ignored"))
            .map(|(_, n)| n)
            .sum();
        let want_errors: u64 = s
            .decode_errors
            .iter()
            .filter(|(k, _)| !k.ends_with("frag_ignored"))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(frags, want_frags, "fragments of {}", s.name);
        assert_eq!(
            errors, want_errors,
            "decode errors of {}: {outcomes:?}",
            s.name
        );
    }
}

#[test]
fn every_packet_of_a_good_capture_has_ip_addresses() {
    for s in bundled().iter().filter(|s| !s.name.starts_with("bad-")) {
        for p in s.packets().unwrap() {
            let skip = match p.link {
                LinkType::ETHERNET => 14,
                LinkType::LINUX_SLL => 16,
                LinkType::LINUX_SLL2 => 20,
                LinkType::NULL => 4,
                _ => 0,
            };
            // VLAN-tagged frames carry the IP header further in; slicing covers them.
            if p.frame.get(12..14) == Some(&[0x08, 0x00]) || skip != 14 {
                assert!(ip_addrs(&p.frame[skip..]).is_some(), "{}", s.name);
            }
        }
    }
}

/// Every capture reads back with pcap-parser (the reader `-r` uses): same records, same
/// bytes, same timestamps in the file's or interface's resolution, right link types.
#[test]
fn pcap_parser_reads_back_every_capture() {
    use super::scenario::Format;
    use pcap_parser::traits::PcapNGPacketBlock;
    use pcap_parser::{create_reader, Block, PcapBlockOwned, PcapError};

    for s in bundled() {
        if matches!(s.format, Format::Bytes(_)) {
            continue;
        }
        let bytes = s.to_bytes().unwrap();
        let want = s.packets().unwrap();
        let mut reader = create_reader(1 << 16, &bytes[..]).unwrap();
        // (link type, nanoseconds per unit) per interface; one for classic pcap.
        let mut ifaces: Vec<(u16, u64)> = Vec::new();
        let mut got: Vec<(u16, u64, Vec<u8>, u32)> = Vec::new();
        loop {
            match reader.next() {
                Ok((offset, block)) => {
                    match block {
                        PcapBlockOwned::LegacyHeader(h) => {
                            let ns = if h.is_nanosecond_precision() { 1 } else { 1000 };
                            ifaces.push((h.network.0 as u16, ns));
                        }
                        PcapBlockOwned::Legacy(b) => {
                            let (link, unit) = ifaces[0];
                            let ts =
                                u64::from(b.ts_sec) * 1_000_000_000 + u64::from(b.ts_usec) * unit;
                            got.push((link, ts, b.data.to_vec(), b.origlen));
                        }
                        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                            let res = idb.ts_resolution().unwrap();
                            ifaces.push((idb.linktype.0 as u16, 1_000_000_000 / res));
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                            let (link, unit) = ifaces[epb.if_id as usize];
                            let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                            got.push((link, units * unit, epb.packet_data().to_vec(), epb.origlen));
                        }
                        PcapBlockOwned::NG(_) => {}
                    }
                    reader.consume(offset);
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => reader.refill().unwrap(),
                Err(e) => panic!("{}: {e:?}", s.name),
            }
        }
        assert_eq!(got.len(), want.len(), "{}", s.name);
        for (g, w) in got.iter().zip(&want) {
            let precise = ifaces.iter().find(|i| i.0 == w.link.0).unwrap().1 == 1;
            let ts = if precise {
                w.ts.as_nanos()
            } else {
                w.ts.as_micros() * 1000
            };
            assert_eq!(g.0, w.link.0, "{}", s.name);
            assert_eq!(g.1, ts, "{}", s.name);
            assert_eq!(g.2, w.frame, "{}", s.name);
            assert_eq!(g.3, w.wire_len(), "{}", s.name);
        }
    }
}

/// What a reader sees at the cut of `bad/truncated.pcap`: 8 records, then pcap-parser
/// answers `UnexpectedEof` (after an `Incomplete` and a refill that brings nothing).
#[test]
fn truncated_capture_reads_eight_records_then_an_incomplete_tail() {
    use pcap_parser::{create_reader, PcapBlockOwned, PcapError};
    let bytes = super::bad::truncated().to_bytes().unwrap();
    let mut reader = create_reader(1 << 16, &bytes[..]).unwrap();
    let mut records = 0;
    let mut stalls = 0;
    let mut eof = false;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                if let PcapBlockOwned::Legacy(_) = block {
                    records += 1;
                }
                reader.consume(offset);
            }
            Err(PcapError::Incomplete(_)) => {
                stalls += 1;
                if stalls > 3 {
                    break;
                }
                reader.refill().unwrap();
            }
            Err(PcapError::UnexpectedEof) => {
                eof = true;
                break;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(records, 8);
    assert!(eof);
}
