//! What the benches share: the generated office mix, decoded.

use botsense::decode::{decode_packet, DecodeCounters, LinkType, PacketMeta};
use botsense::time::Timestamp;

/// The packets of a `write_mix` office mix of about `packets` packets, decoded as the
/// capture thread decodes them (those that decode to nothing are left out).
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub fn decoded_mix(packets: u64) -> Vec<PacketMeta> {
    let mut file = Vec::new();
    botsense::pcapgen::bench::write_mix(&mut file, packets).unwrap();
    let mut counters = DecodeCounters::default();
    botsense::pcapgen::writer::pcap_record_offsets(&file)
        .into_iter()
        .filter_map(|(hdr, data, len)| {
            let h = &file[hdr..hdr + 16];
            let secs = u32::from_le_bytes(h[0..4].try_into().unwrap());
            let micros = u32::from_le_bytes(h[4..8].try_into().unwrap());
            let ts = Timestamp::from_secs_micros(u64::from(secs), micros);
            let frame = &file[data..data + len];
            decode_packet(LinkType::Ethernet, ts, frame, len as u32, &mut counters)
        })
        .collect()
}
