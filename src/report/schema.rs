//! The published JSON Schema of the report, generated from the Rust types so it cannot drift
//! from what `posture scan --format json` writes (a test compares it with the committed file).

use anyhow::Context;

use super::Report;

/// Where the schema is committed, relative to the repository root.
pub const SCHEMA_PATH: &str = "schema/report.schema.json";

/// The JSON Schema of `Report`.
#[must_use]
pub fn report_schema() -> schemars::Schema {
    schemars::schema_for!(Report)
}

/// The schema as committed: pretty JSON, newline-terminated.
pub fn render() -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(&report_schema())
        .context("cannot serialize the report schema")?;
    text.push('\n');
    Ok(text)
}
