//! The canonical JSON report: sorted, pretty, newline-terminated, written atomically.

use std::path::Path;

use anyhow::Context;

use super::Report;

/// Renders the report as pretty, newline-terminated JSON.
pub fn render(report: &Report) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(report).context("cannot serialize the report")?;
    text.push('\n');
    Ok(text)
}

/// Writes the JSON report to `path`, atomically.
pub fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    let text = render(report)?;
    crate::atomic_write(path, text.as_bytes())
        .with_context(|| format!("cannot write report {}", path.display()))
}
