//! Live capture with libpcap, and BPF filters for both live and offline reading.
//!
//! The interface is opened promiscuous with an explicit kernel ring-buffer size and put
//! in non-blocking mode; [`LiveCapture::poll`] waits on its descriptor with a timeout
//! (libpcap's own read timeout does not fire on an idle TPACKET_V3 ring), so the caller
//! gets control back on an idle link to advance time, emit stats and see signals.

use super::{CaptureCounters, CaptureError, Control, RawPacket};
use crate::config::CaptureSettings;
use crate::decode::LinkType;
use crate::time::Timestamp;
use std::time::Duration;

/// A BPF expression, compiled per link type on first use (offline files may mix them).
pub struct Filter {
    expr: String,
    programs: Vec<(u32, Option<pcap::BpfProgram>)>,
}

fn compile(expr: &str, linktype: u32) -> Result<pcap::BpfProgram, String> {
    let dead = pcap::Capture::dead(pcap::Linktype(linktype as i32)).map_err(|e| e.to_string())?;
    dead.compile(expr, true).map_err(|e| e.to_string())
}

impl Filter {
    /// Checks the expression by compiling it for Ethernet.
    pub fn new(expr: &str) -> Result<Filter, CaptureError> {
        let program = compile(expr, 1).map_err(|message| CaptureError::Filter {
            filter: expr.to_string(),
            message,
        })?;
        Ok(Filter {
            expr: expr.to_string(),
            programs: vec![(1, Some(program))],
        })
    }

    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// Whether a record of `linktype` passes. An expression that cannot be compiled for
    /// some link type (e.g. `vlan` on raw IP) matches nothing of that type, with one
    /// warning.
    pub fn matches(&mut self, linktype: u32, data: &[u8]) -> bool {
        if let Some((_, p)) = self.programs.iter().find(|(l, _)| *l == linktype) {
            return p.as_ref().is_some_and(|p| p.filter(data));
        }
        let program = match compile(&self.expr, linktype) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!(
                    "botsense: warning: BPF filter `{}` does not apply to link type {linktype} ({e}); those packets are filtered out",
                    self.expr
                );
                None
            }
        };
        let hit = program.as_ref().is_some_and(|p| p.filter(data));
        self.programs.push((linktype, program));
        hit
    }
}

/// Whether this process may open a packet socket: `CAP_NET_RAW` in its effective set
/// (root has every capability there). `None` when the kernel does not say.
fn may_capture() -> Option<bool> {
    use rustix::thread::{capabilities, CapabilitySet};
    capabilities(None)
        .ok()
        .map(|c| c.effective.contains(CapabilitySet::NET_RAW))
}

/// An open interface.
pub struct LiveCapture {
    iface: String,
    cap: pcap::Capture<pcap::Active>,
    link: LinkType,
}

impl LiveCapture {
    pub fn open(
        iface: &str,
        settings: &CaptureSettings,
        bpf: Option<&str>,
    ) -> Result<LiveCapture, CaptureError> {
        let err = |message: String| CaptureError::Interface {
            iface: iface.to_string(),
            message,
        };
        let cap = pcap::Capture::from_device(iface)
            .map_err(|e| err(e.to_string()))?
            .promisc(settings.promiscuous)
            .snaplen(settings.snaplen as i32)
            .buffer_size(settings.buffer_size_mib.saturating_mul(1 << 20) as i32)
            .timeout(settings.timeout_ms as i32)
            .immediate_mode(false)
            .open()
            .map_err(|e| match may_capture() {
                Some(false) => CaptureError::CapturePermission {
                    iface: iface.to_string(),
                    message: e.to_string(),
                },
                _ => err(e.to_string()),
            })?;
        let mut cap = cap.setnonblock().map_err(|e| err(e.to_string()))?;
        let linktype = cap.get_datalink().0 as u32;
        let link = LinkType::from_linktype(linktype)
            .ok_or_else(|| err(format!("unsupported link type {linktype}")))?;
        if let Some(expr) = bpf {
            cap.filter(expr, true).map_err(|e| CaptureError::Filter {
                filter: expr.to_string(),
                message: e.to_string(),
            })?;
        }
        Ok(LiveCapture {
            iface: iface.to_string(),
            cap,
            link,
        })
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Waits up to `wait` for the interface to become readable, then delivers up to
    /// `budget` packets. Returns how many were delivered and whether the consumer asked
    /// to stop.
    pub fn poll(
        &mut self,
        wait: Duration,
        budget: usize,
        counters: &mut CaptureCounters,
        on_packet: &mut dyn FnMut(RawPacket<'_>, &CaptureCounters) -> Control,
    ) -> Result<(usize, Control), CaptureError> {
        use rustix::event::{poll, PollFd, PollFlags};
        let mut n = 0;
        for round in 0..2 {
            while n < budget {
                match self.cap.next_packet() {
                    Ok(p) => {
                        counters.records += 1;
                        n += 1;
                        let h = p.header;
                        let ts = Timestamp::from_secs_micros(
                            h.ts.tv_sec.max(0) as u64,
                            h.ts.tv_usec.clamp(0, 999_999) as u32,
                        );
                        let c = on_packet(
                            RawPacket {
                                ts,
                                data: p.data,
                                wire_len: h.len.max(h.caplen),
                                link: self.link,
                            },
                            counters,
                        );
                        if c == Control::Stop {
                            return Ok((n, Control::Stop));
                        }
                    }
                    Err(pcap::Error::TimeoutExpired) => break,
                    Err(e) => {
                        return Err(CaptureError::Interface {
                            iface: self.iface.clone(),
                            message: e.to_string(),
                        })
                    }
                }
            }
            if n > 0 || round == 1 {
                break;
            }
            let timeout = rustix::event::Timespec {
                tv_sec: wait.as_secs() as _,
                tv_nsec: wait.subsec_nanos() as _,
            };
            let mut fds = [PollFd::new(&self.cap, PollFlags::IN)];
            match poll(&mut fds, Some(&timeout)) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => {
                    return Err(CaptureError::Interface {
                        iface: self.iface.clone(),
                        message: format!("poll: {e}"),
                    })
                }
            }
        }
        Ok((n, Control::Continue))
    }

    /// Copies libpcap's kernel counters into `counters`.
    pub fn read_stats(&mut self, counters: &mut CaptureCounters) {
        if let Ok(s) = self.cap.stats() {
            counters.kernel_packets = Some(u64::from(s.received));
            counters.kernel_drops = Some(u64::from(s.dropped));
            counters.kernel_ifdrops = Some(u64::from(s.if_dropped));
        }
    }
}
