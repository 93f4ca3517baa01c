//! One captured record through the decoder: the first byte picks the link type (every
//! one botsense decodes), the rest is the frame. DNS payloads the decoder keeps are
//! parsed too, as a worker would.
#![no_main]

use botsense::decode::dns::{parse_message, DnsLimits};
use botsense::decode::{decode_packet, DecodeCounters, LinkType};
use botsense::time::Timestamp;
use libfuzzer_sys::fuzz_target;

/// Every supported link type, under every number it is known by.
const LINKTYPES: [u32; 10] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let n = LINKTYPES[usize::from(selector) % LINKTYPES.len()];
    let Some(link) = LinkType::from_linktype(n) else {
        return;
    };
    // The wire length the record header claims: sometimes the captured length, sometimes
    // more (a snaplen cut), taken from the selector's high bits.
    let wire_len = frame.len() as u32 + u32::from(selector >> 4) * 100;
    let mut counters = DecodeCounters::default();
    let ts = Timestamp::from_secs_micros(1_700_000_000, 0);
    if let Some(meta) = decode_packet(link, ts, frame, wire_len, &mut counters) {
        assert!(meta.payload_len <= wire_len.max(65_535 + 65_535));
        if let Some(dns) = &meta.dns {
            let _ = parse_message(dns, &DnsLimits::default());
        }
    } else {
        // A packet that yields nothing was counted under a reason.
        assert!(counters.errors_total() >= 1, "{counters:?}");
    }
    assert_eq!(counters.packets(), 1);
});
