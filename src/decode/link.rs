//! (in progress) link types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType { Ethernet }
