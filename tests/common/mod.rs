//! Helpers shared by the integration tests: the Suricata EVE schema validator.
//!
//! The schema is Suricata 8.0.6's `etc/schema.json` (tests/reference/, see its README),
//! JSON Schema draft 2020-12 with `additionalProperties: false` at the top. botsense adds
//! exactly one top-level property, `botsense` (an object), patched in by `eve_schema`;
//! everything else must be what Suricata itself would accept.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod eve_schema;

// Not every test binary validates EVE lines.
#[allow(unused_imports)]
pub use eve_schema::assert_valid_eve_line;

pub mod run;
