//! A short Markdown summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`: counts by
//! severity, the failing rules, and the first findings (capped so the comment stays readable).

use std::fmt::Write as _;

use super::{FindingStatus, Report};
use crate::untrusted;

/// Findings listed before the summary says "and N more".
pub const TOP_FINDINGS: usize = 20;

/// Table cells: a pipe or newline would break the row, and markup in a resource name must
/// show as text, not render.
fn cell(text: &str) -> String {
    let shown = untrusted::lines(text).replace('&', "&amp;");
    // A `<` that could open a tag (`<b>`, `</`, `<!--`) is escaped; `<= 0` stays readable.
    let mut safe = String::with_capacity(shown.len());
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        let opens_tag = chars
            .peek()
            .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'));
        if c == '<' && opens_tag {
            safe.push_str("&lt;");
        } else {
            safe.push(c);
        }
    }
    safe.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

/// A code span in a table cell: one line, pipes escaped (GFM reads them inside code spans
/// too), fenced with more backticks than the text holds in a row so a name cannot close it.
fn code(text: &str) -> String {
    let shown = untrusted::line(text).replace('|', "\\|");
    let longest_run = shown.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    if longest_run == 0 {
        format!("{fence}{shown}{fence}")
    } else {
        format!("{fence} {shown} {fence}")
    }
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
                "| {} | {} | {} | {} | {} |",
                code(&r.id),
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
                "| {} | {} | {} | {} | {} |",
                f.status,
                f.severity,
                code(&f.rule_id),
                code(&f.resource.arn),
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
