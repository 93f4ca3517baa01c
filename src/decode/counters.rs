//! Decode counters: what the decoder saw and why it skipped what it skipped.
//!
//! [`DecodeCounters`] is a fixed array indexed by [`DecodeCounter`]: bumping one is an
//! add, no allocation, no lookup. The capture thread owns one, bumps it per packet and
//! publishes a copy now and then (never per packet); copies from several sources add up
//! with [`DecodeCounters::merge`].
//!
//! Every counter has up to two names, kept side by side in one table below so they
//! cannot drift apart:
//!
//! * its Suricata EVE `stats.decoder` name ("decoder.ipv4",
//!   "decoder.event.ipv4.trunc_pkt"), for the `stats` event. Only names that exist in
//!   Suricata's EVE schema are used; counters Suricata has no name for have none.
//! * for error and skip reasons, botsense's own `layer.reason` name ("ipv4.trunc_pkt",
//!   "ipv4.frag_ignored", "tunnel.unsupported"): what was not turned into a flow and why,
//!   for stats and the end-of-replay summary. Layer counts ("decoder.tcp") have none.

use std::fmt;

macro_rules! decode_counters {
    ($( $(#[$doc:meta])* $variant:ident => $suricata:expr, $botsense:expr; )*) => {
        /// One counted thing: a layer seen, or a reason a packet was skipped or flagged.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum DecodeCounter {
            $( $(#[$doc])* $variant, )*
        }

        impl DecodeCounter {
            /// Every counter, in declaration (and array) order.
            pub const ALL: &'static [DecodeCounter] = &[ $( DecodeCounter::$variant, )* ];

            /// The name in Suricata's EVE `stats` object, if Suricata has this counter.
            pub const fn suricata_name(self) -> Option<&'static str> {
                match self {
                    $( DecodeCounter::$variant => $suricata, )*
                }
            }

            /// botsense's name for an error or skip reason; `None` for layer counts.
            pub const fn error_name(self) -> Option<&'static str> {
                match self {
                    $( DecodeCounter::$variant => $botsense, )*
                }
            }
        }
    };
}

decode_counters! {
    // ---- totals -------------------------------------------------------------------
    /// Every record handed to the decoder.
    Pkts => Some("decoder.pkts"), None;
    /// Sum of wire lengths; bumped through [`DecodeCounters::add_bytes`].
    Bytes => Some("decoder.bytes"), None;
    /// Packets that yielded nothing because they were malformed or truncated (each is
    /// also counted under its reason).
    Invalid => Some("decoder.invalid"), None;

    // ---- layers seen ----------------------------------------------------------------
    Ethernet => Some("decoder.ethernet"), None;
    /// First 802.1Q/802.1ad tag.
    Vlan => Some("decoder.vlan"), None;
    /// Second tag (QinQ).
    VlanQinq => Some("decoder.vlan_qinq"), None;
    /// Third tag.
    VlanQinqinq => Some("decoder.vlan_qinqinq"), None;
    Sll => Some("decoder.sll"), None;
    Sll2 => Some("decoder.sll2"), None;
    /// BSD NULL and LOOP link types.
    Null => Some("decoder.null"), None;
    /// Raw IP link types (RAW, IPV4, IPV6).
    Raw => Some("decoder.raw"), None;
    Ipv4 => Some("decoder.ipv4"), None;
    Ipv6 => Some("decoder.ipv6"), None;
    Tcp => Some("decoder.tcp"), None;
    Udp => Some("decoder.udp"), None;
    Sctp => Some("decoder.sctp"), None;
    Icmpv4 => Some("decoder.icmpv4"), None;
    Icmpv6 => Some("decoder.icmpv6"), None;
    Esp => Some("decoder.esp"), None;
    Gre => Some("decoder.gre"), None;
    Erspan => Some("decoder.erspan"), None;
    Vxlan => Some("decoder.vxlan"), None;
    Geneve => Some("decoder.geneve"), None;
    Mpls => Some("decoder.mpls"), None;
    Ipv4InIpv4 => Some("decoder.ipv4_in_ipv4"), None;
    Ipv6InIpv4 => Some("decoder.ipv6_in_ipv4"), None;
    Ipv4InIpv6 => Some("decoder.ipv4_in_ipv6"), None;
    Ipv6InIpv6 => Some("decoder.ipv6_in_ipv6"), None;

    // ---- skipped: well-formed, but no IP flow in it -----------------------------------
    /// ARP carries no IP flow.
    Arp => Some("decoder.arp"), Some("arp.ignored");
    /// An ethertype (after any VLAN tags) that is not IP, ARP or MPLS: LLDP, 802.1X...
    UnknownEthertype => Some("decoder.event.ethernet.unknown_ethertype"), Some("ethernet.unknown_ethertype");
    /// A link type botsense does not decode (the capture layer bumps it), or an SLL
    /// header type that carries no IP (netlink).
    LinkUnsupported => None, Some("link.unsupported");
    /// An IPv4 fragment other than the first: it carries no ports.
    Ipv4FragIgnored => Some("decoder.event.ipv4.frag_ignored"), Some("ipv4.frag_ignored");
    /// An IPv6 fragment other than the first.
    Ipv6FragIgnored => Some("decoder.event.ipv6.frag_ignored"), Some("ipv6.frag_ignored");
    /// A tunnel whose payload botsense does not decode (GRE version 1 / PPTP, GRE with
    /// routing, an unknown GRE protocol, an unknown ERSPAN version); the outer packet is
    /// returned instead.
    TunnelUnsupported => None, Some("tunnel.unsupported");
    /// Geneve with a protocol type that is not Ethernet or IP; the outer packet is
    /// returned instead.
    GeneveUnknownPayload => Some("decoder.event.geneve.unknown_payload_type"), Some("geneve.unknown_payload_type");
    /// GRE version above 1; the outer packet is returned instead.
    GreWrongVersion => Some("decoder.event.gre.wrong_version"), Some("gre.wrong_version");
    /// Tunnels nested deeper than the decoder follows; the outer packet is returned
    /// where there is one (IP tunnels), else nothing (MPLS pseudowires).
    TooManyLayers => Some("decoder.too_many_layers"), Some("tunnel.too_many_layers");

    // ---- anomalies that do not stop decoding ----------------------------------------
    /// More than two VLAN tags: the outer two are kept.
    VlanTooManyLayers => Some("decoder.event.vlan.too_many_layers"), Some("vlan.too_many_layers");
    /// ICMPv6 inside IPv4.
    Ipv4Icmpv6 => Some("decoder.event.ipv4.icmpv6"), Some("ipv4.icmpv6");
    /// ICMP (v4) inside IPv6.
    Ipv6Icmpv4 => Some("decoder.event.ipv6.icmpv4"), Some("ipv6.icmpv4");

    // ---- malformed or truncated: the packet yields nothing --------------------------
    EthernetPktTooSmall => Some("decoder.event.ethernet.pkt_too_small"), Some("ethernet.pkt_too_small");
    VlanHeaderTooSmall => Some("decoder.event.vlan.header_too_small"), Some("vlan.header_too_small");
    SllPktTooSmall => Some("decoder.event.sll.pkt_too_small"), Some("sll.pkt_too_small");
    Sll2PktTooSmall => Some("decoder.event.sll2.pkt_too_small"), Some("sll2.pkt_too_small");
    NullPktTooSmall => Some("decoder.event.ltnull.pkt_too_small"), Some("null.pkt_too_small");
    /// A NULL/LOOP address family that is not IPv4 or IPv6.
    NullUnsupportedType => Some("decoder.event.ltnull.unsupported_type"), Some("null.unsupported_type");
    /// Raw IP whose first nibble is not 4 or 6 (or an empty record).
    RawInvalidIpVersion => Some("decoder.event.ipraw.invalid_ip_version"), Some("raw.invalid_ip_version");
    /// Fewer than 20 bytes where an IPv4 header should be.
    Ipv4PktTooSmall => Some("decoder.event.ipv4.pkt_too_small"), Some("ipv4.pkt_too_small");
    Ipv4WrongIpVersion => Some("decoder.event.ipv4.wrong_ip_version"), Some("ipv4.wrong_ip_version");
    /// IHL below 5.
    Ipv4HlenTooSmall => Some("decoder.event.ipv4.hlen_too_small"), Some("ipv4.hlen_too_small");
    /// Total length below the header length.
    Ipv4IplenSmallerThanHlen => Some("decoder.event.ipv4.iplen_smaller_than_hlen"), Some("ipv4.iplen_smaller_than_hlen");
    /// The header (with its options) was not all captured.
    Ipv4TruncPkt => Some("decoder.event.ipv4.trunc_pkt"), Some("ipv4.trunc_pkt");
    /// Fewer than 40 bytes where an IPv6 header should be.
    Ipv6PktTooSmall => Some("decoder.event.ipv6.pkt_too_small"), Some("ipv6.pkt_too_small");
    Ipv6WrongIpVersion => Some("decoder.event.ipv6.wrong_ip_version"), Some("ipv6.wrong_ip_version");
    /// An extension header cut short.
    Ipv6TruncExthdr => Some("decoder.event.ipv6.trunc_exthdr"), Some("ipv6.trunc_exthdr");
    /// More IPv6 extension headers (or IPv4 AH headers) than any real packet has.
    ExthdrChainTooLong => None, Some("ip.exthdr_chain_too_long");
    /// IPv4 AH header cut short.
    AhTruncated => None, Some("ah.trunc_hdr");
    /// Fewer than 20 bytes where a TCP header should be.
    TcpPktTooSmall => Some("decoder.event.tcp.pkt_too_small"), Some("tcp.pkt_too_small");
    /// Data offset below 5.
    TcpHlenTooSmall => Some("decoder.event.tcp.hlen_too_small"), Some("tcp.hlen_too_small");
    /// Data offset beyond the segment length the IP header states.
    TcpHlenTooLarge => None, Some("tcp.hlen_too_large");
    /// Fewer than 8 bytes where a UDP header should be.
    UdpPktTooSmall => Some("decoder.event.udp.pkt_too_small"), Some("udp.pkt_too_small");
    /// UDP length field below 8.
    UdpHlenInvalid => Some("decoder.event.udp.hlen_invalid"), Some("udp.hlen_invalid");
    /// UDP length field beyond the IP payload.
    UdpLenInvalid => Some("decoder.event.udp.len_invalid"), Some("udp.len_invalid");
    SctpPktTooSmall => Some("decoder.event.sctp.pkt_too_small"), Some("sctp.pkt_too_small");
    Icmpv4PktTooSmall => Some("decoder.event.icmpv4.pkt_too_small"), Some("icmpv4.pkt_too_small");
    Icmpv6PktTooSmall => Some("decoder.event.icmpv6.pkt_too_small"), Some("icmpv6.pkt_too_small");
    GrePktTooSmall => Some("decoder.event.gre.pkt_too_small"), Some("gre.pkt_too_small");
    /// The GRE flags announce more optional fields than were captured.
    GreHdrTooBig => Some("decoder.event.gre.version0_hdr_too_big"), Some("gre.hdr_too_big");
    ErspanHeaderTooSmall => Some("decoder.event.erspan.header_too_small"), Some("erspan.header_too_small");
    /// VXLAN or Geneve header cut short.
    TunnelHeaderTooSmall => None, Some("tunnel.header_too_small");
    MplsHeaderTooSmall => Some("decoder.event.mpls.header_too_small"), Some("mpls.header_too_small");
    /// Nothing after the bottom-of-stack label, or a payload that is neither IP nor
    /// Ethernet behind a pseudowire control word.
    MplsUnknownPayload => Some("decoder.event.mpls.unknown_payload_type"), Some("mpls.unknown_payload_type");

    // ---- DNS: bumped by whoever parses DNS (the workers), see `dns::DnsError` ----------
    DnsTruncated => None, Some("dns.truncated");
    DnsLabelTooLong => None, Some("dns.label_too_long");
    DnsNameTooLong => None, Some("dns.name_too_long");
    DnsForwardPointer => None, Some("dns.forward_pointer");
    DnsLabelLoop => None, Some("dns.label_loop");
}

/// How many counters there are: the length of the array.
const COUNT: usize = DecodeCounter::ALL.len();

impl DecodeCounter {
    fn index(self) -> usize {
        self as usize
    }
}

/// Decoder counts, one `u64` per [`DecodeCounter`].
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeCounters {
    counts: [u64; COUNT],
}

impl Default for DecodeCounters {
    fn default() -> Self {
        DecodeCounters { counts: [0; COUNT] }
    }
}

impl fmt::Debug for DecodeCounters {
    /// Only the nonzero counters, by variant name: a full dump is mostly zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for &c in DecodeCounter::ALL {
            let v = self.get(c);
            if v != 0 {
                m.entry(&c, &v);
            }
        }
        m.finish()
    }
}

impl DecodeCounters {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn bump(&mut self, c: DecodeCounter) {
        self.add(c, 1);
    }

    #[inline]
    pub fn add(&mut self, c: DecodeCounter, n: u64) {
        if let Some(v) = self.counts.get_mut(c.index()) {
            *v = v.wrapping_add(n);
        }
    }

    pub fn get(&self, c: DecodeCounter) -> u64 {
        self.counts.get(c.index()).copied().unwrap_or(0)
    }

    /// Adds a packet's wire length to `decoder.bytes`.
    #[inline]
    pub fn add_bytes(&mut self, n: u64) {
        self.add(DecodeCounter::Bytes, n);
    }

    pub fn merge(&mut self, other: &DecodeCounters) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a = a.wrapping_add(*b);
        }
    }

    /// Every nonzero counter that Suricata has, under its EVE stats name.
    pub fn for_each_suricata(&self, mut f: impl FnMut(&'static str, u64)) {
        for &c in DecodeCounter::ALL {
            if let (Some(name), v @ 1..) = (c.suricata_name(), self.get(c)) {
                f(name, v);
            }
        }
    }

    /// Every nonzero error, skip or anomaly reason under botsense's name.
    pub fn for_each_error(&self, mut f: impl FnMut(&'static str, u64)) {
        for &c in DecodeCounter::ALL {
            if let (Some(name), v @ 1..) = (c.error_name(), self.get(c)) {
                f(name, v);
            }
        }
    }

    pub fn packets(&self) -> u64 {
        self.get(DecodeCounter::Pkts)
    }

    pub fn bytes(&self) -> u64 {
        self.get(DecodeCounter::Bytes)
    }

    /// The sum of all reasons [`for_each_error`](Self::for_each_error) lists. A packet
    /// counts once per reason: one that yielded nothing has exactly one, a decoded one
    /// may carry an anomaly (`vlan.too_many_layers`).
    pub fn errors_total(&self) -> u64 {
        DecodeCounter::ALL
            .iter()
            .filter(|c| c.error_name().is_some())
            .fold(0u64, |sum, &c| sum.wrapping_add(self.get(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique() {
        let mut seen = HashSet::new();
        for &c in DecodeCounter::ALL {
            for name in [c.suricata_name(), c.error_name()].into_iter().flatten() {
                assert!(seen.insert(name), "{name} used twice");
            }
        }
    }

    #[test]
    fn error_names_are_layer_dot_reason() {
        for &c in DecodeCounter::ALL {
            if let Some(name) = c.error_name() {
                let (layer, reason) = name.split_once('.').unwrap();
                assert!(!layer.is_empty() && !reason.is_empty(), "{name}");
                assert!(name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._".contains(&b)));
            }
        }
    }

    /// Every Suricata name must exist in Suricata's EVE schema, or the stats event would
    /// not validate.
    #[test]
    fn suricata_names_exist_in_the_eve_schema() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/reference/suricata-eve-schema.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let decoder = &schema["properties"]["stats"]["properties"]["decoder"];
        for &c in DecodeCounter::ALL {
            let Some(name) = c.suricata_name() else {
                continue;
            };
            let mut node = decoder;
            for part in name.strip_prefix("decoder.").unwrap().split('.') {
                node = &node["properties"][part];
            }
            assert!(node.is_object(), "{name} is not in the EVE schema");
        }
    }

    #[test]
    fn bump_merge_and_listing() {
        let mut a = DecodeCounters::default();
        a.bump(DecodeCounter::Pkts);
        a.add_bytes(60);
        a.bump(DecodeCounter::Ipv4TruncPkt);
        a.bump(DecodeCounter::LinkUnsupported);
        let mut b = a.clone();
        b.merge(&a);
        assert_eq!(b.packets(), 2);
        assert_eq!(b.bytes(), 120);
        assert_eq!(b.errors_total(), 4);

        let mut suricata = Vec::new();
        b.for_each_suricata(|n, v| suricata.push((n, v)));
        assert_eq!(
            suricata,
            [
                ("decoder.pkts", 2),
                ("decoder.bytes", 120),
                ("decoder.event.ipv4.trunc_pkt", 2)
            ]
        );
        let mut errors = Vec::new();
        b.for_each_error(|n, v| errors.push((n, v)));
        assert_eq!(errors, [("link.unsupported", 2), ("ipv4.trunc_pkt", 2)]);
        assert_eq!(
            format!("{b:?}"),
            "{Pkts: 2, Bytes: 120, LinkUnsupported: 2, Ipv4TruncPkt: 2}"
        );
    }
}
