//! The terminal view: failing and errored findings (most severe first), then a summary per
//! rule. It fits the width it is given: a wide grid, or below `GRID_MIN_WIDTH` columns one
//! record of a few lines per finding. Colour is the caller's choice (TTY, `NO_COLOR`,
//! `--color`); the text is the same without it.

use std::fmt::Write as _;

use console::Style as Paint;
use tabled::settings::Style;
use tabled::{Table, Tabled};

use super::Report;
use super::{FindingStatus, ReportFinding};
use crate::rules::Severity;
use crate::untrusted;

/// Below this width the findings grid cannot hold a readable WHY: records instead.
pub const GRID_MIN_WIDTH: usize = 100;

/// How the table is laid out for its reader.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Columns available (the terminal's, or `COLUMNS`).
    pub width: usize,
    /// Colour status and severity with ANSI escapes.
    pub color: bool,
    /// List PASS findings too.
    pub show_pass: bool,
    /// Show the compliance view (one line per framework control) instead of the findings.
    pub by_framework: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            width: 120,
            color: false,
            show_pass: false,
            by_framework: false,
        }
    }
}
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

/// Renders the report as text tables laid out for `layout`.
#[must_use]
pub fn render(report: &Report, layout: &Layout) -> String {
    if layout.by_framework {
        return render_controls(report, layout);
    }
    let mut findings: Vec<&ReportFinding> = report
        .findings
        .iter()
        .filter(|f| layout.show_pass || f.status != FindingStatus::Pass)
        .collect();
    // What to fix first comes first: severity, then rule, then resource.
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.resource.arn.cmp(&b.resource.arn))
    });
    let mut out = String::new();
    if findings.is_empty() {
        out.push_str("No failing or errored findings.\n\n");
    } else if let Some(why_width) = why_width(&findings, layout.width) {
        let resource_width = resource_width(&findings, layout.width);
        let rows: Vec<FindingRow> = findings
            .iter()
            .map(|f| FindingRow {
                status: paint_status(f.status, layout.color),
                severity: paint_severity(f.severity, layout.color),
                rule: untrusted::line(&f.rule_id).into_owned(),
                resource: wrap_arn(&untrusted::line(&f.resource.arn), resource_width),
                why: why(f)
                    .lines()
                    .flat_map(|l| wrap_words(l, why_width))
                    .collect::<Vec<_>>()
                    .join("\n"),
            })
            .collect();
        let mut table = Table::new(rows);
        table.with(Style::sharp());
        out.push_str(&table.to_string());
        out.push_str("\n\n");
    } else {
        for f in &findings {
            out.push_str(&record(f, layout));
        }
        out.push('\n');
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
    let mut table = Table::new(&rules);
    table.with(Style::sharp());
    let grid = table.to_string();
    if grid.lines().all(|l| l.chars().count() <= layout.width) {
        out.push_str(&grid);
        out.push('\n');
    } else {
        // Too wide for the grid: a line per rule, its counts on the next when needed.
        for r in &rules {
            let head = format!("{:<14} {:<8} {}", r.outcome, r.severity, r.rule);
            let counts = format!(
                "{} pass, {} fail, {} error, {} n/a",
                r.pass, r.fail, r.error, r.not_applicable
            );
            if head.chars().count() + 3 + counts.chars().count() <= layout.width {
                let _ = writeln!(out, "{head}   {counts}");
            } else {
                let _ = writeln!(out, "{head}\n    {counts}");
            }
        }
    }
    out.push('\n');
    out.push_str(&summary_lines(report, layout.width));
    out
}

/// The compliance view: per framework a heading with its controls' verdicts, then per control
/// its verdict, id and title, and the rules that give evidence for it with their outcomes.
fn render_controls(report: &Report, layout: &Layout) -> String {
    let mut out = String::new();
    let frameworks = super::compliance::frameworks(report);
    if frameworks.is_empty() {
        out.push_str("No loaded rule maps to a framework.\n\n");
    }
    let indent = " ".repeat(16);
    let inner = layout.width.saturating_sub(indent.len()).max(20);
    for framework in &frameworks {
        let tally: Vec<String> = framework
            .tally()
            .iter()
            .map(|(o, n)| format!("{n} {}", o.as_str()))
            .collect();
        let head = match framework.title {
            Some(title) => format!("{} [{}]", untrusted::line(title), framework.framework),
            None => framework.framework.to_string(),
        };
        let head = format!(
            "{head}: {} control{} ({})",
            framework.controls.len(),
            if framework.controls.len() == 1 {
                ""
            } else {
                "s"
            },
            tally.join(", ")
        );
        for line in wrap_words(&head, layout.width.max(20)) {
            let _ = writeln!(out, "{}", paint_heading(&line, layout.color));
        }
        for control in &framework.controls {
            // Padded so the id starts where the title and rules lines are indented.
            let verdict = format!("{:<13}", control.outcome.as_str());
            let id = untrusted::line(control.control);
            let title = control.title.map(untrusted::line).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {id}",
                paint_outcome(&verdict, control.outcome, layout.color)
            );
            for line in wrap_words(&title, inner)
                .into_iter()
                .filter(|l| !l.is_empty())
            {
                let _ = writeln!(out, "{indent}{line}");
            }
            let rules: Vec<String> = control
                .rules
                .iter()
                .map(|r| format!("{} {}", r.outcome.as_str(), untrusted::line(&r.id)))
                .collect();
            for line in wrap_words(&rules.join(", "), inner) {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
        out.push('\n');
    }
    out.push_str(&summary_lines(report, layout.width));
    out
}

/// The closing lines of every table view: verdict totals, then coverage.
fn summary_lines(report: &Report, width: usize) -> String {
    let mut out = String::new();
    let by_sev: Vec<String> = report
        .summary
        .by_severity
        .iter()
        .rev()
        .filter(|(_, c)| c.fail > 0)
        .map(|(s, c)| format!("{} {s}", c.fail))
        .collect();
    let s = &report.summary.findings;
    let summary = format!(
        "{} rules over {} resources: {} passed, {} failed{}, {} errors{}.\n",
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
    );
    let mut lines = vec![summary, coverage_line(&report.summary.coverage)];
    if let Some(focus) = &report.source.focus {
        let mut given: Vec<String> = focus
            .arns
            .iter()
            .map(|a| format!("--resource-arn {}", untrusted::line(a)))
            .collect();
        given.extend(
            focus
                .tags
                .iter()
                .map(|t| format!("--resource-tag {}", untrusted::line(t))),
        );
        lines.push(format!(
            "Focus ({}): {} of {} resources judged.\n",
            given.join(" "),
            focus.resources_in_focus,
            report.source.resource_count
        ));
    }
    if let Some(url) = &report.source.endpoint_url {
        lines.push(format!(
            "Collected through {}, not AWS's endpoints: an emulator or a proxy.\n",
            untrusted::line(url)
        ));
    }
    for line in lines {
        for wrapped in wrap_words(line.trim_end(), width.max(20)) {
            out.push_str(&wrapped);
            out.push('\n');
        }
    }
    out
}

/// How much of the verdicts stand on data, and where they do not.
pub(super) fn coverage_line(coverage: &super::coverage::CoverageSummary) -> String {
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

/// The reasons, or the suppression in force, as one cell's text.
fn why(f: &ReportFinding) -> String {
    let text = match &f.suppression {
        Some(s) => format!("until {}: {}", s.expires, s.justification),
        // A PASS has no reason: what it was decided on is its evidence.
        None if f.reasons.is_empty() => f
            .evidence
            .iter()
            .map(|(path, value)| format!("{path} = {value}"))
            .collect::<Vec<_>>()
            .join("\n"),
        None => f.reasons.join("\n"),
    };
    untrusted::lines(&text).into_owned()
}

/// The RESOURCE column's content width: the longest ARN, at most a third of the terminal.
fn resource_width(findings: &[&ReportFinding], width: usize) -> usize {
    findings
        .iter()
        .map(|f| f.resource.arn.chars().count())
        .max()
        .unwrap_or(0)
        .min(arn_width(width))
        .max(8)
}

/// What is left for WHY once the other columns take their widest entry or header and the
/// borders and padding their 16; None when that is too little to read (records instead).
fn why_width(findings: &[&ReportFinding], width: usize) -> Option<usize> {
    if width < GRID_MIN_WIDTH {
        return None;
    }
    let widest = |header: usize, cell: &dyn Fn(&ReportFinding) -> usize| {
        findings
            .iter()
            .map(|f| cell(f))
            .max()
            .unwrap_or(0)
            .max(header)
    };
    let fixed = 16
        + widest(6, &|f| f.status.to_string().len())
        + widest(8, &|f| f.severity.as_str().len())
        + widest(4, &|f| f.rule_id.chars().count())
        + resource_width(findings, width);
    width.checked_sub(fixed).filter(|w| *w >= 24)
}

/// The RESOURCE column's width: a third of the terminal, within reason.
fn arn_width(width: usize) -> usize {
    (width / 3).clamp(24, 60)
}

/// One finding as a few lines, for narrow terminals: status, severity and rule, then the
/// resource and each reason indented, wrapped to the width.
fn record(f: &ReportFinding, layout: &Layout) -> String {
    let indent = "    ";
    let inner = layout.width.saturating_sub(indent.len()).max(20);
    let mut out = format!(
        "{} {} {}\n",
        paint_status(f.status, layout.color),
        paint_severity(f.severity, layout.color),
        untrusted::line(&f.rule_id)
    );
    for line in wrap_arn(&untrusted::line(&f.resource.arn), inner).lines() {
        let _ = writeln!(out, "{indent}{line}");
    }
    for reason in why(f).lines() {
        for line in wrap_words(reason, inner) {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    out
}

/// Breaks an ARN into lines of at most `width`, after a `:` or `/` where one falls in the line,
/// mid-segment only when a segment alone is longer than the line.
fn wrap_arn(arn: &str, width: usize) -> String {
    let width = width.max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut rest: &str = arn;
    while rest.chars().count() > width {
        let head: String = rest.chars().take(width).collect();
        let cut = head.rfind([':', '/']).map_or(head.len(), |i| i + 1);
        lines.push(rest[..cut].to_string());
        rest = &rest[cut..];
    }
    lines.push(rest.to_string());
    lines.join("\n")
}

/// Breaks text into lines of at most `width` at spaces; a word longer than a line is split.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(width).collect();
            word = word[head.len()..].to_string();
            lines.push(head);
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn paint_status(status: FindingStatus, color: bool) -> String {
    let text = status.to_string();
    if !color {
        return text;
    }
    let paint = match status {
        FindingStatus::Fail => Paint::new().red().bold(),
        FindingStatus::Error => Paint::new().yellow().bold(),
        FindingStatus::Pass => Paint::new().green(),
        FindingStatus::Suppressed => Paint::new().dim(),
    };
    paint.force_styling(true).apply_to(text).to_string()
}

fn paint_outcome(text: &str, outcome: super::RuleOutcome, color: bool) -> String {
    use super::RuleOutcome;
    if !color {
        return text.to_string();
    }
    let paint = match outcome {
        RuleOutcome::Fail => Paint::new().red().bold(),
        RuleOutcome::Error => Paint::new().yellow().bold(),
        RuleOutcome::Pass => Paint::new().green(),
        RuleOutcome::Suppressed | RuleOutcome::NotApplicable | RuleOutcome::NoResources => {
            Paint::new().dim()
        }
    };
    paint.force_styling(true).apply_to(text).to_string()
}

fn paint_heading(text: &str, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    Paint::new()
        .bold()
        .force_styling(true)
        .apply_to(text)
        .to_string()
}

fn paint_severity(severity: Severity, color: bool) -> String {
    let text = severity.to_string();
    if !color {
        return text;
    }
    let paint = match severity {
        Severity::Critical => Paint::new().red().bold(),
        Severity::High => Paint::new().red(),
        Severity::Medium => Paint::new().yellow(),
        Severity::Low => Paint::new().cyan(),
        Severity::Info => Paint::new().dim(),
    };
    paint.force_styling(true).apply_to(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_break_after_a_separator_and_words_at_spaces() {
        let arn = "arn:aws:iam::111122223333:role/service-role/very-long-role-name-for-tests";
        let wrapped = wrap_arn(arn, 30);
        for line in wrapped.lines() {
            assert!(line.chars().count() <= 30, "{line}");
        }
        assert_eq!(wrapped.replace('\n', ""), arn);
        assert!(wrapped.lines().next().unwrap().ends_with(':'), "{wrapped}");
        let words = wrap_words("the only enabled rule applies to prefix logs/", 16);
        assert_eq!(
            words,
            ["the only enabled", "rule applies to", "prefix logs/"]
        );
        assert_eq!(wrap_words("aaaaaaaaaa", 4), ["aaaa", "aaaa", "aa"]);
    }

    #[test]
    fn colour_is_added_only_when_asked() {
        assert_eq!(paint_status(FindingStatus::Fail, false), "FAIL");
        let painted = paint_status(FindingStatus::Fail, true);
        assert!(
            painted.contains("\u{1b}[") && painted.contains("FAIL"),
            "{painted:?}"
        );
    }
}
