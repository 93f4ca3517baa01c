//! Link types: which first header a capture record starts with.
//!
//! The numbers are tcpdump.org's LINKTYPE_ values as pcap and pcapng files carry them;
//! libpcap's live DLT_ values are the same except for raw IP, which is also accepted
//! under its DLT numbers (12 on most systems, 14 on OpenBSD). The header layouts
//! themselves are decoded in [`super::packet`].

/// The link layers botsense decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// LINKTYPE_NULL (0): BSD loopback, a 4-byte address family in the capturing host's
    /// byte order.
    Null,
    /// LINKTYPE_ETHERNET (1), libpcap's EN10MB.
    Ethernet,
    /// LINKTYPE_RAW (101; DLT_RAW 12, or 14 on OpenBSD): an IP header first, the
    /// version nibble says which.
    Raw,
    /// LINKTYPE_LOOP (108): OpenBSD loopback, the address family in network order.
    Loop,
    /// LINKTYPE_LINUX_SLL (113): Linux cooked capture v1 (`-i any`, older libpcap).
    LinuxSll,
    /// LINKTYPE_IPV4 (228): raw IPv4 only.
    Ipv4,
    /// LINKTYPE_IPV6 (229): raw IPv6 only.
    Ipv6,
    /// LINKTYPE_LINUX_SLL2 (276): Linux cooked capture v2 (`-i any`, libpcap ≥ 1.10).
    LinuxSll2,
}

impl LinkType {
    /// The link type for a pcap/pcapng LINKTYPE_ value (or a live DLT_ value); `None` for
    /// link types botsense does not decode.
    pub fn from_linktype(n: u32) -> Option<LinkType> {
        Some(match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            _ => return None,
        })
    }

    /// The canonical LINKTYPE_ value, as a pcap file would carry it.
    pub fn linktype(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll2 => 276,
        }
    }

    /// libpcap's name for the link type (`pcap_datalink_val_to_name`).
    pub fn name(self) -> &'static str {
        match self {
            LinkType::Null => "NULL",
            LinkType::Ethernet => "EN10MB",
            LinkType::Raw => "RAW",
            LinkType::Loop => "LOOP",
            LinkType::LinuxSll => "LINUX_SLL",
            LinkType::Ipv4 => "IPV4",
            LinkType::Ipv6 => "IPV6",
            LinkType::LinuxSll2 => "LINUX_SLL2",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [LinkType; 8] = [
        LinkType::Null,
        LinkType::Ethernet,
        LinkType::Raw,
        LinkType::Loop,
        LinkType::LinuxSll,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::LinuxSll2,
    ];

    #[test]
    fn linktype_round_trips() {
        for l in ALL {
            assert_eq!(
                LinkType::from_linktype(l.linktype()),
                Some(l),
                "{}",
                l.name()
            );
        }
    }

    #[test]
    fn raw_is_known_under_its_dlt_numbers_too() {
        for n in [12, 14, 101] {
            assert_eq!(LinkType::from_linktype(n), Some(LinkType::Raw));
        }
        assert_eq!(LinkType::Raw.linktype(), 101);
    }

    #[test]
    fn unsupported_link_types_are_none() {
        for n in [2, 9, 105, 127, 147, 192, 220, 65535, u32::MAX] {
            assert_eq!(LinkType::from_linktype(n), None, "{n}");
        }
    }

    #[test]
    fn names_follow_libpcap() {
        assert_eq!(LinkType::Ethernet.name(), "EN10MB");
        assert_eq!(LinkType::LinuxSll2.name(), "LINUX_SLL2");
        assert_eq!(LinkType::LinuxSll.name(), "LINUX_SLL");
    }
}
