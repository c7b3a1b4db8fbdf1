//! A short Markdown summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`: counts by
//! severity, the failing rules, and the first findings (capped so the comment stays readable).

use std::fmt::Write as _;

use super::{FindingStatus, Report};

/// Findings listed before the summary says "and N more".
pub const TOP_FINDINGS: usize = 20;

/// Table cells: a pipe or newline would break the row.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

/// Renders the report as Markdown: summary counts, then failing rules and findings.
#[must_use]
pub fn render(report: &Report) -> String {
    let s = &report.summary.findings;
    let mut out = String::new();
    let verdict = if s.fail > 0 {
        "❌ failing"
    } else if s.error > 0 {
        "⚠️ undecided checks"
    } else {
        "✅ passing"
    };
    let _ = writeln!(out, "## posture: {verdict}\n");
    let _ = writeln!(
        out,
        "{} rules over {} resources: **{} failed**, {} undecided (ERROR), {} suppressed, {} passed.\n",
        report.summary.rules, report.source.resource_count, s.fail, s.error, s.suppressed, s.pass
    );
    out.push_str(
        "| severity | failed | errors | suppressed | passed |\n|---|---:|---:|---:|---:|\n",
    );
    for (severity, c) in report.summary.by_severity.iter().rev() {
        let _ = writeln!(
            out,
            "| {severity} | {} | {} | {} | {} |",
            c.fail, c.error, c.suppressed, c.pass
        );
    }
    let failing: Vec<_> = report
        .rules
        .iter()
        .filter(|r| r.counts.fail > 0 || r.counts.error > 0)
        .collect();
    if !failing.is_empty() {
        out.push_str("\n### Failing rules\n\n| rule | severity | failed | errors | title |\n|---|---|---:|---:|---|\n");
        let mut failing = failing;
        failing.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
        for r in failing {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                r.id,
                r.severity,
                r.counts.fail,
                r.counts.error,
                cell(&r.title)
            );
        }
    }
    let mut findings: Vec<_> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, FindingStatus::Fail | FindingStatus::Error))
        .collect();
    findings.sort_by(|a, b| {
        (b.severity, a.status, &a.rule_id, &a.resource.arn).cmp(&(
            a.severity,
            b.status,
            &b.rule_id,
            &b.resource.arn,
        ))
    });
    if !findings.is_empty() {
        let shown = findings.len().min(TOP_FINDINGS);
        let _ = writeln!(
            out,
            "\n### Top findings ({shown} of {})\n\n| status | severity | rule | resource | why |\n|---|---|---|---|---|",
            findings.len()
        );
        for f in findings.iter().take(TOP_FINDINGS) {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | `{}` | {} |",
                f.status,
                f.severity,
                f.rule_id,
                cell(&f.resource.arn),
                cell(&f.reasons.join("; "))
            );
        }
        if findings.len() > TOP_FINDINGS {
            let _ = writeln!(
                out,
                "\n…and {} more; see the full report.",
                findings.len() - TOP_FINDINGS
            );
        }
    }
    if !report.warnings.is_empty() {
        out.push_str("\n### Warnings\n\n");
        for w in &report.warnings {
            let _ = writeln!(out, "- {}", cell(w));
        }
    }
    out
}
