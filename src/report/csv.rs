//! CSV for spreadsheets and audit evidence folders: one row per finding.

use anyhow::Context;

use super::{Report, ReportFinding};
use crate::untrusted;

/// The CSV columns, in order.
pub const HEADER: [&str; 12] = [
    "rule_id",
    "rule_version",
    "severity",
    "status",
    "account",
    "region",
    "resource_type",
    "resource_arn",
    "resource_name",
    "reasons",
    "frameworks",
    "suppression_justification",
];

/// `soc2:CC6.1,CC6.3;fsbp:S3.15`
fn frameworks(report: &Report, finding: &ReportFinding) -> String {
    report
        .rule(&finding.rule_id)
        .map(|r| {
            r.frameworks
                .iter()
                .map(|(k, ids)| format!("{k}:{}", ids.join(",")))
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default()
}

/// Renders the findings as CSV, header first.
pub fn render(report: &Report) -> anyhow::Result<String> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).context("cannot write CSV")?;
    for f in &report.findings {
        let version = f.rule_version.to_string();
        let reasons = f.reasons.join("; ");
        let frameworks = frameworks(report, f);
        let justification = f
            .suppression
            .as_ref()
            .map(|s| s.justification.as_str())
            .unwrap_or_default();
        let record = [
            f.rule_id.as_str(),
            version.as_str(),
            f.severity.as_str(),
            f.status.as_str(),
            f.resource.account.as_str(),
            f.resource.region.as_str(),
            f.resource.resource_type.as_str(),
            f.resource.arn.as_str(),
            f.resource.name.as_str(),
            reasons.as_str(),
            frameworks.as_str(),
            justification,
        ];
        writer
            .write_record(
                record
                    .map(untrusted::spreadsheet_cell)
                    .iter()
                    .map(AsRef::<str>::as_ref),
            )
            .context("cannot write CSV")?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write CSV: {}", e.error()))?;
    String::from_utf8(bytes).context("CSV is not UTF-8")
}
