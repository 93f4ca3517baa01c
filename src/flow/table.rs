//! (in progress) flow table.
pub struct FlowConfig;
pub struct FlowCounters;
pub struct FlowTable;
