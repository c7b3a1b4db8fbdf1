//! The terminal view: failing and errored findings, then a summary per rule.

use tabled::settings::object::Columns;
use tabled::settings::{Modify, Style, Width};
use tabled::{Table, Tabled};

use super::FindingStatus;
use super::Report;
use crate::untrusted;

#[derive(Tabled)]
struct FindingRow {
    #[tabled(rename = "STATUS")]
    status: String,
    #[tabled(rename = "SEVERITY")]
    severity: String,
    #[tabled(rename = "RULE")]
    rule: String,
    #[tabled(rename = "RESOURCE")]
    resource: String,
    #[tabled(rename = "WHY")]
    why: String,
}

#[derive(Tabled)]
struct RuleRow {
    #[tabled(rename = "RULE")]
    rule: String,
    #[tabled(rename = "SEVERITY")]
    severity: String,
    #[tabled(rename = "RESULT")]
    outcome: String,
    #[tabled(rename = "PASS")]
    pass: usize,
    #[tabled(rename = "FAIL")]
    fail: usize,
    #[tabled(rename = "ERROR")]
    error: usize,
    #[tabled(rename = "N/A")]
    not_applicable: usize,
}

/// Renders the report as text tables; PASS findings only when `show_pass`.
#[must_use]
pub fn render(report: &Report, show_pass: bool) -> String {
    let rows: Vec<FindingRow> = report
        .findings
        .iter()
        .filter(|f| show_pass || f.status != FindingStatus::Pass)
        .map(|f| FindingRow {
            status: f.status.to_string(),
            severity: f.severity.to_string(),
            rule: untrusted::line(&f.rule_id).into_owned(),
            resource: untrusted::line(&f.resource.arn).into_owned(),
            why: untrusted::lines(&match &f.suppression {
                Some(s) => format!("until {}: {}", s.expires, s.justification),
                None => f.reasons.join("\n"),
            })
            .into_owned(),
        })
        .collect();
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("No failing or errored findings.\n\n");
    } else {
        let mut table = Table::new(rows);
        table
            .with(Style::sharp())
            .with(Modify::new(Columns::new(3..4)).with(Width::wrap(60)))
            .with(Modify::new(Columns::new(4..5)).with(Width::wrap(70).keep_words(true)));
        out.push_str(&table.to_string());
        out.push_str("\n\n");
    }
    let rules: Vec<RuleRow> = report
        .rules
        .iter()
        .map(|r| RuleRow {
            rule: untrusted::line(&r.id).into_owned(),
            severity: r.severity.to_string(),
            outcome: r.outcome.as_str().to_string(),
            pass: r.counts.pass,
            fail: r.counts.fail,
            error: r.counts.error,
            not_applicable: r.counts.not_applicable,
        })
        .collect();
    let mut table = Table::new(rules);
    table.with(Style::sharp());
    out.push_str(&table.to_string());
    out.push('\n');
    let by_sev: Vec<String> = report
        .summary
        .by_severity
        .iter()
        .rev()
        .filter(|(_, c)| c.fail > 0)
        .map(|(s, c)| format!("{} {s}", c.fail))
        .collect();
    let s = &report.summary.findings;
    out.push_str(&format!(
        "\n{} rules over {} resources: {} passed, {} failed{}, {} errors{}.\n",
        report.summary.rules,
        report.source.resource_count,
        s.pass,
        s.fail,
        if by_sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_sev.join(", "))
        },
        s.error,
        if s.suppressed > 0 {
            format!(", {} suppressed", s.suppressed)
        } else {
            String::new()
        }
    ));
    out.push_str(&coverage_line(&report.summary.coverage));
    out
}

/// How much of the verdicts stand on data, and where they do not.
fn coverage_line(coverage: &super::coverage::CoverageSummary) -> String {
    let total = coverage.decided + coverage.undecided;
    if coverage.undecided == 0 {
        return format!("Coverage: all {total} checks decided.\n");
    }
    let undecided: Vec<String> = coverage
        .by_account
        .iter()
        .flat_map(|(account, regions)| {
            regions
                .iter()
                .filter(|(_, c)| c.undecided > 0)
                .map(move |(region, c)| format!("{account} {region}: {}", c.undecided))
        })
        .collect();
    format!(
        "Coverage: {} of {total} checks decided, {} undecided ({:.1} %): {}.\n",
        coverage.decided,
        coverage.undecided,
        coverage.undecided_percent(),
        undecided.join(", ")
    )
}
