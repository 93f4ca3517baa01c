//! The replay benchmark's baseline: read every packet of a capture with the same reader
//! library and buffer size as `botsense -r`, touch its bytes, and do nothing else.
//!
//! `scripts/bench-replay.sh` times this against `botsense -r` on the same file; the ratio
//! of the two wall times is botsense's cost over the read limit.
//!
//! ```text
//! cargo run --release --example pcap_read_loop -- FILE
//! ```

use pcap_parser::{PcapBlockOwned, PcapError};
use std::process::ExitCode;

/// The same buffer `botsense::capture::file` starts with.
const BUFFER: usize = 1 << 20;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: pcap_read_loop FILE");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pcap_read_loop: {}: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let mut reader = match pcap_parser::create_reader(BUFFER, file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pcap_read_loop: {}: {e:?}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let (mut packets, mut bytes, mut checksum) = (0u64, 0u64, 0u64);
    loop {
        match reader.next() {
            Ok((len, block)) => {
                let data = match block {
                    PcapBlockOwned::Legacy(b) => Some(b.data),
                    PcapBlockOwned::NG(pcap_parser::pcapng::Block::EnhancedPacket(b)) => {
                        Some(b.data)
                    }
                    _ => None,
                };
                if let Some(d) = data {
                    packets += 1;
                    bytes += d.len() as u64;
                    // Touch the frame, as a decoder's first read would.
                    checksum = checksum.wrapping_add(u64::from(d.first().copied().unwrap_or(0)));
                }
                reader.consume(len);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() || reader.refill().is_err() {
                    break;
                }
            }
            Err(e) => {
                eprintln!("pcap_read_loop: {}: {e:?}", path.to_string_lossy());
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{{\"packets\":{packets},\"bytes\":{bytes},\"checksum\":{checksum}}}");
    ExitCode::SUCCESS
}
