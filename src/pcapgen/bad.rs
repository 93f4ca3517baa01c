//! Bad inputs: files that are not (quite) captures and packets that are not (quite)
//! packets. Each says what botsense must do with it: count, warn, refuse, never panic.

use super::build::{self, ethertype, tcp_flags};
use super::scenario::{ExpectedFlow, Scenario};
use super::session::{tcp_session, Framing};
use super::writer::{self, TsResolution, DEFAULT_SNAPLEN};
use super::{LinkType, Packet, Ts};
use std::io;
use std::net::SocketAddr;

const T: Ts = Ts::BASE;

fn truncated_all() -> io::Result<Vec<Packet>> {
    let ips = tcp_session(
        SocketAddr::from(([10, 0, 11, 10], 49200)),
        SocketAddr::from(([198, 51, 100, 100], 443)),
        T,
        100,
        100,
    )?;
    Framing::ethernet().packets(&ips)
}

/// `bad/truncated.pcap`: a 10-record capture cut in the middle of record 9's data.
pub fn truncated() -> Scenario {
    Scenario::new("bad-truncated", "bad/truncated.pcap", || {
        let mut p = truncated_all()?;
        p.truncate(8);
        Ok(p)
    })
    .bytes(|| {
        let mut file = writer::write_pcap(
            Vec::new(),
            LinkType::ETHERNET,
            TsResolution::Micro,
            DEFAULT_SNAPLEN,
            &truncated_all()?,
        )?;
        let records = writer::pcap_record_offsets(&file);
        let cut = records
            .len()
            .checked_sub(2)
            .and_then(|i| records.get(i))
            .map_or(file.len(), |&(_, data, len)| data + len / 2);
        file.truncate(cut);
        Ok(file)
    })
    .describe(
        "Ethernet pcap of a 10-packet TCP session 10.0.11.10:49200→198.51.100.100:443 \
         (100/100 B), cut in the middle of record 9's data: 8 complete records, then a \
         partial one",
        "the 8 complete records are processed (one TCP flow, 5/3 pkts so far, ended at \
         end of input), then a truncated-file warning/counter; no crash, no error exit",
    )
    .flows(&[ExpectedFlow {
        proto: 6,
        client: "10.0.11.10:49200",
        server: "198.51.100.100:443",
        vlan: [0, 0],
        pkts_toserver: 5,
        pkts_toclient: 3,
        bytes_toserver: 5 * 54 + 100,
        bytes_toclient: 3 * 54 + 100,
        payload_toserver: 100,
        payload_toclient: 100,
        outcome: "accepted",
        end: "open",
    }])
}

/// `bad/empty.pcap`: zero bytes.
pub fn empty() -> Scenario {
    Scenario::new("bad-empty", "bad/empty.pcap", || Ok(Vec::new()))
        .bytes(|| Ok(Vec::new()))
        .describe(
            "0 bytes",
            "refused as not a capture (no global header) with a message naming the file; \
             no packets; no panic",
        )
}

/// `bad/not-a-capture.txt`: text.
pub fn not_a_capture() -> Scenario {
    Scenario::new("bad-not-a-capture", "bad/not-a-capture.txt", || {
        Ok(Vec::new())
    })
    .bytes(|| {
        Ok(b"This is not a packet capture.\n\
                 botsense must refuse it with a message that names the file,\n\
                 not read its bytes as records.\n"
            .to_vec())
    })
    .describe(
        "three lines of ASCII text",
        "refused as an unknown file format (bad magic) with a message naming the file; \
             no packets; no panic",
    )
}

/// An 802.11 beacon frame (no radio header) announcing SSID "botsense".
fn beacon(seq: u16) -> Vec<u8> {
    let bssid = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x01];
    let mut f = vec![0x80, 0x00, 0x00, 0x00];
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&bssid);
    f.extend_from_slice(&bssid);
    f.extend_from_slice(&(seq << 4).to_le_bytes());
    f.extend_from_slice(&(u64::from(seq) * 102_400).to_le_bytes());
    f.extend_from_slice(&100u16.to_le_bytes());
    f.extend_from_slice(&0x0401u16.to_le_bytes());
    f.extend_from_slice(&[0x00, 8]);
    f.extend_from_slice(b"botsense");
    f
}

/// `bad/unsupported-linktype.pcap`: IEEE 802.11 (105), which botsense does not decode.
pub fn unsupported_linktype() -> Scenario {
    Scenario::new(
        "bad-unsupported-linktype",
        "bad/unsupported-linktype.pcap",
        || {
            Ok((1..=3u16)
                .map(|seq| {
                    Packet::new(
                        T.plus_micros(102_400 * u64::from(seq)),
                        LinkType::IEEE802_11,
                        beacon(seq),
                    )
                })
                .collect())
        },
    )
    .describe(
        "LINKTYPE_IEEE802_11 (105), µs: 3 beacon frames (SSID \"botsense\"), 102.4 ms \
         apart",
        "either refused at open as an unsupported link type, or read with all 3 records \
         counted as unsupported link type; 0 flows; no panic",
    )
    .decode_errors(&[("link.unsupported", 3)])
}

/// `bad/header-only.pcap`: a valid global header and nothing else.
pub fn header_only() -> Scenario {
    Scenario::new("bad-header-only", "bad/header-only.pcap", || Ok(Vec::new())).describe(
        "a 24-byte Ethernet pcap global header, no records",
        "read without error: 0 packets, 0 flows, 0 decode errors",
    )
}

fn good_syn(i: u64) -> io::Result<Vec<u8>> {
    let ip = build::tcp_packet(
        SocketAddr::from(([10, 0, 12, 10], 49300)),
        SocketAddr::from(([198, 51, 100, 110], 443)),
        tcp_flags::SYN,
        0x1234_5678 + i as u32,
        0,
        b"",
    )?;
    Ok(eth(ethertype::IPV4, &ip))
}

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    build::ethernet(
        [0x02, 0, 0, 0, 0, 0x01],
        [0x02, 0, 0, 0, 0, 0x02],
        &[],
        ethertype,
        payload,
    )
}

fn fix_ipv4_checksum(ip: &mut [u8]) {
    build::put_be16(ip, 10, 0);
    let c = build::internet_checksum(ip.get(..20).unwrap_or(ip));
    build::put_be16(ip, 10, c);
}

/// The first `n` bytes of `frame`.
fn prefix(frame: &[u8], n: usize) -> Vec<u8> {
    frame.get(..n).unwrap_or(frame).to_vec()
}

fn malformed_records() -> io::Result<Vec<Packet>> {
    let syn = good_syn(0)?;
    // 1. Ethernet + only 10 bytes of IPv4 header.
    let short_ip = prefix(&syn, 14 + 10);
    // 2. IHL 3 (12 bytes), below the 20-byte minimum.
    let mut bad_ihl = syn.clone();
    if let Some(ip) = bad_ihl.get_mut(14..) {
        if let Some(version_ihl) = ip.first_mut() {
            *version_ihl = 0x43;
        }
        fix_ipv4_checksum(ip);
    }
    // 3. A consistent IPv4 header (total length 28) holding 8 of TCP's 20 header bytes.
    let mut tcp_cut = prefix(&syn, 14 + 28);
    build::put_be16(&mut tcp_cut, 16, 28);
    if let Some(ip) = tcp_cut.get_mut(14..) {
        fix_ipv4_checksum(ip);
    }
    // 4. An EtherType nobody decodes, minimum-size frame.
    let unknown = eth(ethertype::LOCAL_EXPERIMENTAL, &[0x5a; 46]);
    // 5. A record with no bytes at all.
    let empty = Vec::new();
    // 6. A good SYN.
    let frames = [short_ip, bad_ihl, tcp_cut, unknown, empty, syn];
    Ok(frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| Packet::new(T.plus_millis(i as u64), LinkType::ETHERNET, f))
        .collect())
}

/// `bad/malformed-packets.pcap`: one packet of each malformation, then one good SYN.
pub fn malformed_packets() -> Scenario {
    Scenario::new(
        "bad-malformed-packets",
        "bad/malformed-packets.pcap",
        malformed_records,
    )
    .describe(
        "Ethernet, µs, 6 records 1 ms apart: (1) IPv4 header cut after 10 bytes; (2) \
             IPv4 IHL 3; (3) IPv4 total length 28 holding 8 bytes of a TCP header; (4) \
             EtherType 0x88b5 (local experimental); (5) a zero-length record; (6) a good \
             TCP SYN 10.0.12.10:49300→198.51.100.110:443",
        "decode errors counted once each: ipv4.pkt_too_small (1), ipv4.hlen_too_small \
             (2), tcp.pkt_too_small (3), ethernet.unknown_ethertype (4), \
             ethernet.pkt_too_small (5); \
             then 1 TCP flow from the SYN (1/0 pkts 54 B, unanswered); no panic",
    )
    .decode_errors(&[
        ("ipv4.pkt_too_small", 1),
        ("ipv4.hlen_too_small", 1),
        ("tcp.pkt_too_small", 1),
        ("ethernet.unknown_ethertype", 1),
        ("ethernet.pkt_too_small", 1),
    ])
    .flows(&[ExpectedFlow {
        proto: 6,
        client: "10.0.12.10:49300",
        server: "198.51.100.110:443",
        vlan: [0, 0],
        pkts_toserver: 1,
        pkts_toclient: 0,
        bytes_toserver: 54,
        bytes_toclient: 0,
        payload_toserver: 0,
        payload_toclient: 0,
        outcome: "unanswered",
        end: "open",
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_capture_keeps_eight_whole_records_and_part_of_the_ninth() {
        let f = truncated().to_bytes().unwrap();
        let recs = writer::pcap_record_offsets(&f);
        assert_eq!(recs.len(), 8);
        let (_, data, len) = recs[7];
        let rest = f.len() - (data + len);
        // Record 9's header is complete, its data is not.
        assert!(rest > 16 && rest < 16 + 54 + 100, "{rest}");
    }

    #[test]
    fn empty_and_header_only_have_their_sizes() {
        assert_eq!(empty().to_bytes().unwrap().len(), 0);
        assert_eq!(header_only().to_bytes().unwrap().len(), 24);
        assert!(not_a_capture().to_bytes().unwrap().is_ascii());
    }

    #[test]
    fn malformed_records_have_the_intended_shapes() {
        let p = malformed_records().unwrap();
        let lens: Vec<usize> = p.iter().map(|p| p.frame.len()).collect();
        assert_eq!(lens, vec![24, 54, 42, 60, 0, 54]);
        assert_eq!(p[1].frame[14], 0x43);
        assert_eq!(build::internet_checksum(&p[2].frame[14..34]), 0);
        let f = unsupported_linktype().to_bytes().unwrap();
        assert_eq!(&f[20..24], &105u32.to_le_bytes());
        assert_eq!(writer::pcap_record_offsets(&f).len(), 3);
    }
}
