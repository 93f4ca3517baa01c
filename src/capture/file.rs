//! Offline capture: pcap and pcapng files (plain or gzip), and directories of them.
//!
//! pcap-parser streams each file through a bounded buffer; every record is handed to
//! the callback with its interface's link type and its timestamp at the interface's
//! resolution. A file that ends mid-record, or whose next record is corrupt, stops there:
//! the caller gets every packet before it, and a [`FileWarning`] naming the file and the
//! byte offset of the record that could not be read.

use super::{CaptureCounters, CaptureError, Control, RawPacket};
use crate::decode::LinkType;
use crate::time::Timestamp;
use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Reader buffer. A record that does not fit in it (over 1 MiB, four times libpcap's
/// largest snaplen) is corrupt: the file is read up to it and a warning names its offset.
const BUFFER: usize = 1 << 20;

/// A file that was read only up to some point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileWarning {
    pub path: PathBuf,
    /// Bytes of the (decompressed) file before the record that could not be read.
    pub offset: u64,
    pub message: String,
}

impl std::fmt::Display for FileWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} at byte offset {}; every packet before it was processed",
            self.path.display(),
            self.message,
            self.offset
        )
    }
}

/// How a file read ended, when it could be read at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileOutcome {
    pub packets: u64,
    pub warning: Option<FileWarning>,
    /// Set when the consumer asked to stop.
    pub stopped: bool,
}

/// The capture files `-r PATH` names: the file itself, or the regular files of a
/// directory (not recursive, hidden files skipped) ordered by their first packet's time,
/// then by name. Files in a directory that are not captures (or not readable) are
/// returned in `skipped` with the reason.
pub fn list_inputs(path: &Path) -> Result<(Vec<PathBuf>, Vec<CaptureError>), CaptureError> {
    let meta = std::fs::metadata(path).map_err(|error| CaptureError::Open {
        path: path.to_path_buf(),
        error,
    })?;
    if !meta.is_dir() {
        return Ok((vec![path.to_path_buf()], Vec::new()));
    }
    let entries = std::fs::read_dir(path).map_err(|error| CaptureError::Open {
        path: path.to_path_buf(),
        error,
    })?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries.flatten() {
        let p = entry.path();
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden || !p.is_file() {
            continue;
        }
        match first_packet_time(&p) {
            Ok(t) => files.push((t.unwrap_or(Timestamp::ZERO), p)),
            Err(e) => skipped.push(e),
        }
    }
    if files.is_empty() {
        return Err(CaptureError::EmptyDirectory {
            path: path.to_path_buf(),
        });
    }
    files.sort();
    Ok((files.into_iter().map(|(_, p)| p).collect(), skipped))
}

/// The timestamp of a file's first packet, `None` when it holds none.
pub fn first_packet_time(path: &Path) -> Result<Option<Timestamp>, CaptureError> {
    let mut first = None;
    read_file(
        path,
        None,
        &mut CaptureCounters::default(),
        &mut |p: RawPacket<'_>, _: &CaptureCounters| {
            first = Some(p.ts);
            Control::Stop
        },
    )?;
    Ok(first)
}

/// The first error of a compressed stream, kept by [`StreamEnd`] for the reader.
type StreamError = std::sync::Arc<std::sync::OnceLock<String>>;

/// A gzip stream that ends at its first error: a cut or corrupt `.gz` reads as a file
/// that ends there (so every packet before the cut is delivered, as for a plain file cut
/// short), and the error is kept for the warning.
struct StreamEnd<R> {
    inner: R,
    error: StreamError,
    failed: bool,
}

impl<R: Read> Read for StreamEnd<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.failed {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.failed = true;
                // Only the first error is kept: the stream ends at it.
                let _ = self.error.set(e.to_string());
                Ok(0)
            }
            ok => ok,
        }
    }
}

fn open_stream(path: &Path) -> Result<(Box<dyn Read + Send>, StreamError), CaptureError> {
    let open_err = |error| CaptureError::Open {
        path: path.to_path_buf(),
        error,
    };
    let mut f = File::open(path).map_err(open_err)?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic).map_err(open_err)?;
    let f = File::open(path).map_err(open_err)?;
    let error = StreamError::default();
    if n == 2 && magic == [0x1f, 0x8b] {
        let gz = flate2::read::MultiGzDecoder::new(BufReader::new(f));
        let stream = StreamEnd {
            inner: gz,
            error: error.clone(),
            failed: false,
        };
        Ok((Box::new(stream), error))
    } else {
        Ok((Box::new(f), error))
    }
}

fn stream_error(error: &StreamError) -> Option<String> {
    error.get().cloned()
}

/// Per-interface facts from a pcapng IDB (or the pcap global header).
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: Option<LinkType>,
    linktype: u32,
    /// Timestamp units per second.
    resolution: u64,
    offset_s: i64,
}

fn ts_from_ticks(ticks: u64, resolution: u64, offset_s: i64) -> Timestamp {
    // The two common resolutions by constant (a multiply, not a division); any other
    // through 128 bits, as frac * 10^6 can overflow 64.
    let (secs, micros) = match resolution {
        1_000_000 => (ticks / 1_000_000, ticks % 1_000_000),
        1_000_000_000 => (ticks / 1_000_000_000, ticks % 1_000_000_000 / 1_000),
        _ => {
            let resolution = resolution.max(1);
            let frac = ticks % resolution;
            (
                ticks / resolution,
                (u128::from(frac) * 1_000_000 / u128::from(resolution)) as u64,
            )
        }
    };
    let micros = micros as u32;
    let secs = secs.saturating_add_signed(offset_s);
    Timestamp::from_secs_micros(secs, micros).min(Timestamp::LATEST)
}

/// Reads one capture file, calling `on_packet` for every record that passes the BPF
/// `filter` (when given). Counts records, filtered records and unsupported links.
pub fn read_file(
    path: &Path,
    mut filter: Option<&mut super::live::Filter>,
    counters: &mut CaptureCounters,
    on_packet: &mut dyn FnMut(RawPacket<'_>, &CaptureCounters) -> Control,
) -> Result<FileOutcome, CaptureError> {
    let (stream, stream_err) = open_stream(path)?;
    let mut reader = match pcap_parser::create_reader(BUFFER, stream) {
        Ok(r) => r,
        Err(PcapError::Eof | PcapError::Incomplete(_)) if stream_err.get().is_some() => {
            let message = stream_error(&stream_err).unwrap_or_default();
            return Err(CaptureError::Open {
                path: path.to_path_buf(),
                error: std::io::Error::other(format!("compressed stream: {message}")),
            });
        }
        Err(PcapError::Eof) => {
            return Err(CaptureError::Empty {
                path: path.to_path_buf(),
            })
        }
        Err(PcapError::ReadError) => {
            return Err(CaptureError::Open {
                path: path.to_path_buf(),
                error: std::io::Error::other("read error"),
            })
        }
        Err(_) => {
            return Err(CaptureError::NotACapture {
                path: path.to_path_buf(),
            })
        }
    };

    let mut outcome = FileOutcome::default();
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut offset: u64 = 0;
    let mut unsupported_warned = false;
    let warn = |offset: u64, message: String| FileWarning {
        path: path.to_path_buf(),
        offset,
        message,
    };

    loop {
        match reader.next() {
            Ok((len, block)) => {
                let mut stop = false;
                let mut fatal = None;
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let linktype = h.network.0 as u32;
                        let link = LinkType::from_linktype(linktype);
                        if link.is_none() {
                            fatal = Some(linktype);
                        }
                        interfaces.push(Interface {
                            link,
                            linktype,
                            resolution: if h.is_nanosecond_precision() {
                                1_000_000_000
                            } else {
                                1_000_000
                            },
                            offset_s: 0,
                        });
                    }
                    PcapBlockOwned::Legacy(b) => {
                        if let Some(ifc) = interfaces.first().copied() {
                            let ticks = u64::from(b.ts_sec) * ifc.resolution + u64::from(b.ts_usec);
                            let ts = ts_from_ticks(ticks, ifc.resolution, 0);
                            stop = deliver(
                                ifc,
                                ts,
                                b.data.get(..b.caplen as usize).unwrap_or(b.data),
                                b.origlen,
                                filter.as_deref_mut(),
                                counters,
                                on_packet,
                                &mut outcome,
                            );
                        }
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let linktype = idb.linktype.0 as u32;
                        interfaces.push(Interface {
                            link: LinkType::from_linktype(linktype),
                            linktype,
                            resolution: idb.ts_resolution().unwrap_or(1_000_000),
                            offset_s: idb.ts_offset(),
                        });
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let ifc = interfaces.get(epb.if_id as usize).copied();
                        match ifc {
                            Some(ifc) if ifc.link.is_some() => {
                                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                let ts = ts_from_ticks(ticks, ifc.resolution, ifc.offset_s);
                                stop = deliver(
                                    ifc,
                                    ts,
                                    // pcapng pads packet data to 4 bytes.
                                    epb.data.get(..epb.caplen as usize).unwrap_or(epb.data),
                                    epb.origlen,
                                    filter.as_deref_mut(),
                                    counters,
                                    on_packet,
                                    &mut outcome,
                                );
                            }
                            Some(ifc) => {
                                counters.unsupported_link += 1;
                                if !unsupported_warned {
                                    unsupported_warned = true;
                                    eprintln!(
                                        "botsense: warning: {}: interface {} has unsupported link type {}; its packets are skipped",
                                        path.display(),
                                        epb.if_id,
                                        ifc.linktype
                                    );
                                }
                            }
                            None => {
                                outcome.warning = Some(warn(
                                    offset,
                                    format!(
                                        "packet block names interface {} that was never described",
                                        epb.if_id
                                    ),
                                ));
                                stop = true;
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        if let Some(ifc) = interfaces.first().copied().filter(|i| i.link.is_some())
                        {
                            // Simple packet blocks carry no timestamp.
                            stop = deliver(
                                ifc,
                                Timestamp::ZERO,
                                // Like packet data in an EPB, padded to 4 bytes.
                                spb.data.get(..spb.origlen as usize).unwrap_or(spb.data),
                                spb.origlen,
                                filter.as_deref_mut(),
                                counters,
                                on_packet,
                                &mut outcome,
                            );
                        }
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                if let Some(linktype) = fatal {
                    return Err(CaptureError::UnsupportedLinkType {
                        path: path.to_path_buf(),
                        linktype,
                    });
                }
                offset += len as u64;
                reader.consume(len);
                if stop {
                    outcome.stopped = outcome.warning.is_none();
                    break;
                }
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    let have = reader.data().len();
                    outcome.warning = Some(warn(
                        offset,
                        format!("file truncated: last record incomplete ({have} bytes left over)"),
                    ));
                    break;
                }
                if reader.refill().is_err() {
                    outcome.warning = Some(warn(offset, "read error".to_string()));
                    break;
                }
            }
            Err(PcapError::BufferTooSmall) => {
                counters.oversized += 1;
                outcome.warning = Some(warn(
                    offset,
                    format!("record longer than the {BUFFER}-byte read buffer (corrupt length)"),
                ));
                break;
            }
            Err(PcapError::UnexpectedEof) => {
                outcome.warning = Some(warn(
                    offset,
                    "file truncated: unexpected end of file".into(),
                ));
                break;
            }
            Err(PcapError::ReadError) => {
                outcome.warning = Some(warn(offset, "read error".to_string()));
                break;
            }
            Err(e) => {
                let what = match e {
                    PcapError::HeaderNotRecognized => "unrecognized block".to_string(),
                    other => format!("corrupt record ({other:?})"),
                };
                let what: String = what.chars().take(120).collect();
                outcome.warning = Some(warn(offset, what));
                break;
            }
        }
    }
    if let (None, Some(message), false) =
        (&outcome.warning, stream_error(&stream_err), outcome.stopped)
    {
        // Cut or corrupt between two records: nothing was half-read, but the file did
        // not end where it should have.
        outcome.warning = Some(warn(
            offset,
            format!("compressed stream ends early: {message}"),
        ));
    }
    if outcome.warning.is_some() {
        counters.file_errors += 1;
    }
    counters.files_read += 1;
    Ok(outcome)
}

#[allow(clippy::too_many_arguments)]
fn deliver(
    ifc: Interface,
    ts: Timestamp,
    data: &[u8],
    origlen: u32,
    filter: Option<&mut super::live::Filter>,
    counters: &mut CaptureCounters,
    on_packet: &mut dyn FnMut(RawPacket<'_>, &CaptureCounters) -> Control,
    outcome: &mut FileOutcome,
) -> bool {
    let Some(link) = ifc.link else {
        return false;
    };
    counters.records += 1;
    if let Some(f) = filter {
        if !f.matches(ifc.linktype, data) {
            counters.filtered += 1;
            return false;
        }
    }
    outcome.packets += 1;
    let wire_len = origlen.max(data.len() as u32);
    on_packet(
        RawPacket {
            ts,
            data,
            wire_len,
            link,
        },
        counters,
    ) == Control::Stop
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The constant-divisor paths give what the general 128-bit path gives.
        #[test]
        fn common_resolutions_convert_like_the_general_path(ticks: u64, offset in -10i64..10) {
            for resolution in [1_000_000u64, 1_000_000_000] {
                let frac = ticks % resolution;
                let micros = (u128::from(frac) * 1_000_000 / u128::from(resolution)) as u32;
                let secs = (ticks / resolution).saturating_add_signed(offset);
                let want = Timestamp::from_secs_micros(secs, micros).min(Timestamp::LATEST);
                proptest::prop_assert_eq!(ts_from_ticks(ticks, resolution, offset), want);
            }
        }
    }
}
