//! The Suricata EVE schema (tests/reference/) with botsense's one extra top-level
//! property, compiled once per test binary. Shared by the integration tests
//! (`tests/common`) and the crate's unit tests (`output::eve::schema_check`, included
//! with `#[path]`), so there is one copy of the check.

use serde_json::Value;
use std::sync::OnceLock;

const SCHEMA_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/reference/suricata-eve-schema.json"
);

/// The schema with `botsense: {type: object}` added to its top-level `properties`,
/// compiled as draft 2020-12 (it has no `$schema` keyword and only local `#/$defs`
/// references, so no resolver features are needed). Compiled once: it is large.
pub fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let text =
            std::fs::read_to_string(SCHEMA_PATH).unwrap_or_else(|e| panic!("{SCHEMA_PATH}: {e}"));
        let mut schema: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{SCHEMA_PATH}: {e}"));
        schema
            .get_mut("properties")
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("{SCHEMA_PATH}: no top-level properties"))
            .insert("botsense".into(), serde_json::json!({ "type": "object" }));
        jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{SCHEMA_PATH}: {e}"))
    })
}

/// Panics, naming the line and every schema error, unless `line` is one single-line
/// JSON object that the EVE schema accepts.
pub fn assert_valid_eve_line(line: &str) {
    assert!(
        !line.contains('\n'),
        "EVE line holds a raw newline: {line:?}"
    );
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert!(value.is_object(), "not a JSON object: {line}");
    let errors: Vec<String> = validator()
        .iter_errors(&value)
        .map(|e| format!("  at {}: {e}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "EVE line fails the schema:\n{line}\n{}",
        errors.join("\n")
    );
}
