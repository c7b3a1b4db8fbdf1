//! Compares two JSON reports: which failures are new, which were fixed, which remain, and which
//! findings the newer scan no longer decided (lost coverage).
//!
//! Findings are keyed by (rule id, resource ARN, region): the region keeps apart the per-region
//! findings that a listing failure reports on the account. Only FAIL counts as failing; a finding
//! that was decided before and is ERROR or not evaluated now is *lost coverage*, never *fixed*,
//! because a scan that lost its permissions must not read as a scan that fixed everything.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::{FindingStatus, REPORT_VERSION, Report, ReportFinding};
use crate::eval::ACCOUNT_TYPE;
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
    /// Region of the finding (`global` for global resources and account-wide findings).
    pub region: String,
    /// Display name of the resource.
    pub name: String,
    /// The status in the old report (`ABSENT` when it had no such finding).
    pub before: String,
    /// The status in the new report (`ABSENT` when it has no such finding).
    pub after: String,
    /// Reasons from the newer report that has the finding.
    pub reasons: Vec<String>,
    /// For lost coverage: why the newer report has no verdict (its ERROR reasons, or what it
    /// did not evaluate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undecided_because: Option<String>,
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
    /// FAIL before; now SUPPRESSED: no longer failing, but not fixed either.
    pub no_longer_failing: Vec<DiffEntry>,
    /// Decided before (PASS or FAIL); now ERROR, or absent because the newer scan did not
    /// evaluate the rule, the account or the region. Fails the gate unless allowed.
    pub lost_coverage: Vec<DiffEntry>,
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

/// (rule id, resource ARN, region) of a finding.
type Key<'a> = (&'a str, &'a str, &'a str);

fn index(report: &Report) -> BTreeMap<Key<'_>, &ReportFinding> {
    report
        .findings
        .iter()
        .map(|f| {
            let key = (
                f.rule_id.as_str(),
                f.resource.arn.as_str(),
                f.resource.region.as_str(),
            );
            (key, f)
        })
        .collect()
}

/// What a report evaluated, to tell "absent because it passed" from "absent because it was not
/// looked at".
struct Evaluated<'a> {
    rules: BTreeSet<&'a str>,
    accounts: BTreeSet<&'a str>,
    includes_passes: bool,
    /// (rule, account, region) -> reasons of the ERROR the rule reported on the account itself
    /// (a listing failure in that region, or `global` for a type never collected there).
    account_errors: BTreeMap<(&'a str, &'a str, &'a str), &'a [String]>,
}

impl<'a> Evaluated<'a> {
    fn of(report: &'a Report) -> Self {
        let account_errors = report
            .findings
            .iter()
            .filter(|f| {
                f.status == FindingStatus::Error && f.resource.resource_type == ACCOUNT_TYPE
            })
            .map(|f| {
                let key = (
                    f.rule_id.as_str(),
                    f.resource.account.as_str(),
                    f.resource.region.as_str(),
                );
                (key, f.reasons.as_slice())
            })
            .collect();
        Evaluated {
            rules: report.rules.iter().map(|r| r.id.as_str()).collect(),
            accounts: report
                .source
                .accounts
                .iter()
                .map(|a| a.account.as_str())
                .collect(),
            includes_passes: report.includes_passes,
            account_errors,
        }
    }

    /// Why this report holds no verdict for a finding that the other report decided; `None`
    /// when the absence means the rule found nothing failing (a pass, a resource gone).
    fn not_decided(&self, old: &ReportFinding) -> Option<String> {
        let rule = old.rule_id.as_str();
        let (account, region) = (old.resource.account.as_str(), old.resource.region.as_str());
        if !self.rules.contains(rule) {
            return Some(format!("rule {rule} was not evaluated"));
        }
        if !self.accounts.is_empty() && !self.accounts.contains(account) {
            return Some(format!("account {account} was not scanned"));
        }
        for at in [region, "global"] {
            if let Some(reasons) = self.account_errors.get(&(rule, account, at)) {
                return Some(reasons.join("; "));
            }
        }
        // Evaluated there without an error: an absent finding passed, or its resource is gone
        // or out of the rule's scope. None of that is lost coverage.
        None
    }
}

fn status_text(f: Option<&&ReportFinding>) -> String {
    f.map_or("ABSENT", |f| f.status.as_str()).to_string()
}

fn entry(
    key: Key<'_>,
    old: Option<&&ReportFinding>,
    new: Option<&&ReportFinding>,
    undecided_because: Option<String>,
) -> Option<DiffEntry> {
    let latest = new.or(old)?;
    Some(DiffEntry {
        rule_id: key.0.to_string(),
        severity: latest.severity,
        arn: key.1.to_string(),
        region: key.2.to_string(),
        name: latest.resource.name.clone(),
        before: status_text(old),
        after: status_text(new),
        reasons: latest.reasons.clone(),
        undecided_because,
    })
}

/// Compares two reports; findings are matched by rule id, resource ARN and region.
#[must_use]
pub fn diff(old: &Report, old_path: &Path, new: &Report, new_path: &Path) -> ReportDiff {
    let (old_idx, new_idx) = (index(old), index(new));
    let mut keys: Vec<Key<'_>> = old_idx.keys().chain(new_idx.keys()).copied().collect();
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
        lost_coverage: Vec::new(),
    };
    let (old_scope, new_scope) = (Evaluated::of(old), Evaluated::of(new));
    for key in keys {
        let (o, n) = (old_idx.get(&key), new_idx.get(&key));
        let status = |f: Option<&&ReportFinding>| f.map(|f| f.status);
        let decided =
            |s: Option<FindingStatus>| matches!(s, Some(FindingStatus::Pass | FindingStatus::Fail));
        let (before, after) = (status(o), status(n));
        let mut because = None;
        let list = match (before, after) {
            (Some(FindingStatus::Fail), Some(FindingStatus::Fail)) => &mut d.still_failing,
            (_, Some(FindingStatus::Fail)) => &mut d.new_failures,
            (Some(FindingStatus::Fail), Some(FindingStatus::Pass)) => &mut d.fixed,
            (Some(FindingStatus::Fail), Some(FindingStatus::Suppressed)) => {
                &mut d.no_longer_failing
            }
            (b, Some(FindingStatus::Error)) if decided(b) => {
                because = n.map(|f| f.reasons.join("; "));
                &mut d.lost_coverage
            }
            // An ERROR where the old report has no finding: lost coverage when the old scan
            // evaluated the rule in that account and region without an error, so the finding
            // was a pass there. A report with its passes shows that a resource without one was
            // not there yet; its new ERROR is undecided but was never decided.
            (None, Some(FindingStatus::Error)) => {
                let Some(new_finding) = n else { continue };
                let on_account = new_finding.resource.resource_type == ACCOUNT_TYPE;
                if old_scope.not_decided(new_finding).is_some()
                    || (old_scope.includes_passes && !on_account)
                {
                    continue;
                }
                because = Some(new_finding.reasons.join("; "));
                &mut d.lost_coverage
            }
            // Absent now: fixed (a FAIL) or still fine (a PASS) when the new scan evaluated the
            // rule there without error; otherwise no longer decided.
            (Some(was @ (FindingStatus::Fail | FindingStatus::Pass)), None) => {
                let Some(old_finding) = o else { continue };
                match new_scope.not_decided(old_finding) {
                    Some(reason) => {
                        because = Some(reason);
                        &mut d.lost_coverage
                    }
                    None if was == FindingStatus::Fail => &mut d.fixed,
                    None => continue,
                }
            }
            _ => continue,
        };
        list.extend(entry(key, o, n, because));
    }
    d
}

impl ReportDiff {
    /// 1 when a new failure, or (unless `allow_lost_coverage`) a finding no longer decided, is
    /// at or above `fail_on`; else 0.
    #[must_use]
    pub fn exit_code(&self, fail_on: Severity, allow_lost_coverage: bool) -> u8 {
        let gate = |entries: &[DiffEntry]| entries.iter().any(|e| e.severity >= fail_on);
        u8::from(gate(&self.new_failures) || (!allow_lost_coverage && gate(&self.lost_coverage)))
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
            (
                "Lost coverage (decided before, not decided now)",
                &self.lost_coverage,
            ),
            ("Fixed", &self.fixed),
            (
                "No longer failing (now suppressed)",
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
                // Account-wide findings repeat one ARN per region: name the region there.
                let region = if e.region == "global" || e.arn.contains(&format!(":{}:", e.region)) {
                    String::new()
                } else {
                    format!(" ({})", e.region)
                };
                let _ = writeln!(
                    out,
                    "  {:<8} {:<40} {}{region}  [{} -> {}]",
                    e.severity, e.rule_id, e.arn, e.before, e.after
                );
                if e.after == "FAIL" {
                    for r in &e.reasons {
                        let _ = writeln!(out, "           {r}");
                    }
                }
                if let Some(because) = &e.undecided_because {
                    let _ = writeln!(out, "           {because}");
                }
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} new failures, {} lost coverage, {} fixed, {} still failing, {} suppressed now ({} -> {}).",
            self.new_failures.len(),
            self.lost_coverage.len(),
            self.fixed.len(),
            self.still_failing.len(),
            self.no_longer_failing.len(),
            self.old.path,
            self.new.path
        );
        out
    }
}
