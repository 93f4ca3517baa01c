//! (in progress) decode counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeCounter {}
#[derive(Clone, Debug, Default)]
pub struct DecodeCounters {}
