//! (in progress) packet decode.
use super::{DecodeCounters, LinkType, PacketMeta};
use crate::time::Timestamp;
pub fn decode_packet(_link: LinkType, _ts: Timestamp, _data: &[u8], _wire_len: u32, _c: &mut DecodeCounters) -> Option<PacketMeta> { None }
