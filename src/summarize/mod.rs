//! What `posture summarize` sends to a language model: an aggregate of the report. By default
//! only rule ids, titles, severities, counts and framework controls leave the machine; resource
//! names and ARNs only when the caller asks for them. `bedrock` sends it.

pub mod bedrock;

use std::fmt::Write;

use crate::report::{FindingStatus, Report, RuleOutcome};

/// How many resources per rule are named when resources are included.
const RESOURCES_PER_RULE: usize = 20;

/// System text sent with the summary: audience, format and a ban on inventing facts.
pub const SYSTEM_PROMPT: &str = "You write for auditors and engineering managers who have never \
heard of the scanning tool. From the compliance scan summary you are given, write a short plain-\
language summary in Markdown: the overall state in two sentences; what failed and why it matters \
(group by theme, most severe first, cite the framework controls given); and a numbered list of \
what to do first. Do not invent findings, resources or numbers that are not in the summary.";

/// The user message: the report's aggregates, as plain text.
#[must_use]
pub fn prompt(report: &Report, include_resources: bool) -> String {
    let s = &report.summary;
    let mut t = String::new();
    let accounts = report.source.accounts.len().max(1);
    let _ = writeln!(
        t,
        "Compliance scan of {accounts} AWS account(s), {} resources, {} rules ({}).",
        report.source.resource_count, s.rules, report.finished_at
    );
    let _ = writeln!(
        t,
        "Findings: {} passed, {} failed, {} could not be decided (ERROR).",
        s.findings.pass, s.findings.fail, s.findings.error
    );
    let _ = writeln!(
        t,
        "\nRules that failed or could not be decided (most severe first):"
    );
    let mut rules: Vec<_> = report
        .rules
        .iter()
        .filter(|r| matches!(r.outcome, RuleOutcome::Fail | RuleOutcome::Error))
        .collect();
    rules.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    if rules.is_empty() {
        let _ = writeln!(t, "- none");
    }
    for rule in rules {
        let frameworks: Vec<String> = rule
            .frameworks
            .iter()
            .map(|(f, ids)| format!("{f} {}", ids.join("/")))
            .collect();
        let _ = writeln!(
            t,
            "- [{}] {} ({}): {} failed, {} undecided, {} passed. Controls: {}.",
            rule.severity,
            rule.title,
            rule.id,
            rule.counts.fail,
            rule.counts.error,
            rule.counts.pass,
            if frameworks.is_empty() {
                "none".to_string()
            } else {
                frameworks.join("; ")
            }
        );
        if include_resources {
            let names: Vec<&str> = report
                .findings
                .iter()
                .filter(|f| {
                    f.rule_id == rule.id
                        && matches!(f.status, FindingStatus::Fail | FindingStatus::Error)
                })
                .map(|f| f.resource.arn.as_str())
                .take(RESOURCES_PER_RULE)
                .collect();
            let _ = writeln!(t, "  Resources: {}", names.join(", "));
        }
    }
    t
}
