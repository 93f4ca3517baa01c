//! Output: EVE JSON formatting and delivery. Formats and delivers; never reads detector
//! state.
//!
//! * [`eve`] turns flow records, DNS transactions, alerts and stats into EVE lines.
//! * [`file`] appends lines to `eve.json` and reopens it on SIGHUP.
//! * [`stats`] the counters snapshot a `stats` event carries.
//! * [`syslog`] forwards EVE lines to a SIEM as RFC 5424 messages (UDP, TCP, TLS).

pub mod eve;
pub mod file;
pub mod json;
pub mod stats;
pub mod syslog;
