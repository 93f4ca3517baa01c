//! Helpers shared by the integration tests: the Suricata EVE schema validator.
//!
//! The schema is Suricata 8.0.6's `etc/schema.json` (tests/reference/, see its README),
//! JSON Schema draft 2020-12 with `additionalProperties: false` at the top. botsense adds
//! exactly one top-level property, `botsense` (an object), which is patched in here;
//! everything else must be what Suricata itself would accept.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;

pub use jsonschema::Validator;

/// Path of the EVE schema copy the tests validate against.
pub fn eve_schema_path() -> String {
    format!(
        "{}/tests/reference/suricata-eve-schema.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The Suricata schema with `botsense: {type: object}` added to its top-level
/// `properties`, compiled as draft 2020-12 (the schema has no `$schema` keyword and only
/// local `#/$defs` references, so no resolver features are needed).
pub fn eve_validator() -> Validator {
    let path = eve_schema_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let props = schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{path}: no top-level properties"));
    props.insert(
        "botsense".to_owned(),
        serde_json::json!({ "type": "object" }),
    );
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Panics, naming the line and every schema error, unless `line` is one JSON object that
/// the EVE schema accepts.
pub fn assert_valid_eve_line(v: &Validator, line: &str) {
    assert!(
        !line.contains('\n'),
        "EVE line holds a raw newline: {line:?}"
    );
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert!(value.is_object(), "not a JSON object: {line}");
    let errors: Vec<String> = v
        .iter_errors(&value)
        .map(|e| format!("  at {}: {e}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "EVE line fails the schema:\n{line}\n{}",
        errors.join("\n")
    );
}

pub mod run;
