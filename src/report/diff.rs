//! Compares two JSON reports: which failures are new, which were fixed, which remain.
//! Findings are keyed by (rule id, resource ARN); only FAIL counts as failing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::{FindingStatus, REPORT_VERSION, Report, ReportFinding};
use crate::rules::Severity;

/// One finding in a diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffEntry {
    /// Id of the rule.
    pub rule_id: String,
    /// Severity of the rule.
    pub severity: Severity,
    /// ARN of the resource.
    pub arn: String,
    /// Display name of the resource.
    pub name: String,
    /// The status in the old report (`ABSENT` when it had no such finding).
    pub before: String,
    /// The status in the new report (`ABSENT` when it has no such finding).
    pub after: String,
    /// Reasons from the newer report that has the finding.
    pub reasons: Vec<String>,
}

/// Where a report came from, so a diff says what it compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRef {
    /// Path the report was read from.
    pub path: String,
    /// When that scan started (RFC 3339).
    pub started_at: String,
    /// When its resources were collected (RFC 3339); absent when the report does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
}

/// The comparison of an old and a new report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportDiff {
    /// The older report.
    pub old: ReportRef,
    /// The newer report.
    pub new: ReportRef,
    /// FAIL now, not FAIL before.
    pub new_failures: Vec<DiffEntry>,
    /// FAIL before; now PASS, or absent (a report without passes omits passing findings).
    pub fixed: Vec<DiffEntry>,
    /// FAIL before and now.
    pub still_failing: Vec<DiffEntry>,
    /// FAIL before; now SUPPRESSED or ERROR: no longer failing, but not shown fixed either.
    pub no_longer_failing: Vec<DiffEntry>,
}

/// Reads a JSON report; any problem is an error with the path (the CLI exits 2).
pub fn load(path: &Path) -> anyhow::Result<Report> {
    let text = crate::input::read_text(path, crate::input::FileKind::Report)?.text;
    let report: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a posture JSON report", path.display()))?;
    anyhow::ensure!(
        report.report_version == REPORT_VERSION,
        "{}: report_version {} is not supported (this posture reads version {REPORT_VERSION})",
        path.display(),
        report.report_version
    );
    Ok(report)
}

fn index(report: &Report) -> BTreeMap<(&str, &str), &ReportFinding> {
    report
        .findings
        .iter()
        .map(|f| ((f.rule_id.as_str(), f.resource.arn.as_str()), f))
        .collect()
}

fn status_text(f: Option<&&ReportFinding>) -> String {
    f.map_or("ABSENT", |f| f.status.as_str()).to_string()
}

fn entry(
    key: (&str, &str),
    old: Option<&&ReportFinding>,
    new: Option<&&ReportFinding>,
) -> Option<DiffEntry> {
    let latest = new.or(old)?;
    Some(DiffEntry {
        rule_id: key.0.to_string(),
        severity: latest.severity,
        arn: key.1.to_string(),
        name: latest.resource.name.clone(),
        before: status_text(old),
        after: status_text(new),
        reasons: latest.reasons.clone(),
    })
}

/// Compares two reports; findings are matched by rule id and resource ARN.
#[must_use]
pub fn diff(old: &Report, old_path: &Path, new: &Report, new_path: &Path) -> ReportDiff {
    let (old_idx, new_idx) = (index(old), index(new));
    let mut keys: Vec<(&str, &str)> = old_idx.keys().chain(new_idx.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let reference = |r: &Report, p: &Path| ReportRef {
        path: p.display().to_string(),
        started_at: r.started_at.clone(),
        collected_at: r.source.collected_at.clone(),
    };
    let mut d = ReportDiff {
        old: reference(old, old_path),
        new: reference(new, new_path),
        new_failures: Vec::new(),
        fixed: Vec::new(),
        still_failing: Vec::new(),
        no_longer_failing: Vec::new(),
    };
    for key in keys {
        let (o, n) = (old_idx.get(&key), new_idx.get(&key));
        let failing =
            |f: Option<&&ReportFinding>| f.is_some_and(|f| f.status == FindingStatus::Fail);
        let list = match (failing(o), failing(n)) {
            (false, true) => &mut d.new_failures,
            (true, true) => &mut d.still_failing,
            (true, false) => match n.map(|f| f.status) {
                None | Some(FindingStatus::Pass) => &mut d.fixed,
                Some(_) => &mut d.no_longer_failing,
            },
            (false, false) => continue,
        };
        list.extend(entry(key, o, n));
    }
    d
}

impl ReportDiff {
    /// 1 when a new failure is at or above `fail_on`, else 0.
    #[must_use]
    pub fn exit_code(&self, fail_on: Severity) -> u8 {
        u8::from(self.new_failures.iter().any(|e| e.severity >= fail_on))
    }

    /// Renders the diff as pretty, newline-terminated JSON.
    pub fn render_json(&self) -> anyhow::Result<String> {
        let mut text = serde_json::to_string_pretty(self).context("cannot serialize the diff")?;
        text.push('\n');
        Ok(text)
    }

    /// Renders the diff as text tables, one per section.
    #[must_use]
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        let sections = [
            ("New failures", &self.new_failures),
            ("Fixed", &self.fixed),
            (
                "No longer failing (now suppressed or undecided)",
                &self.no_longer_failing,
            ),
            ("Still failing", &self.still_failing),
        ];
        for (title, entries) in sections {
            if entries.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title} ({}):", entries.len());
            for e in entries {
                let _ = writeln!(
                    out,
                    "  {:<8} {:<40} {}  [{} -> {}]",
                    e.severity, e.rule_id, e.arn, e.before, e.after
                );
                if e.after == "FAIL" {
                    for r in &e.reasons {
                        let _ = writeln!(out, "           {r}");
                    }
                }
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} new failures, {} fixed, {} still failing, {} no longer failing but not fixed ({} -> {}).",
            self.new_failures.len(),
            self.fixed.len(),
            self.still_failing.len(),
            self.no_longer_failing.len(),
            self.old.path,
            self.new.path
        );
        out
    }
}
