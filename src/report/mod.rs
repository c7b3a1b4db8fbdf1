//! The report model (the JSON report is canonical) and its renderers. Renderers only render:
//! everything a view shows is in the model, so a saved report can be re-rendered later.

pub mod compliance;
pub mod coverage;
pub mod csv;
pub mod diff;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod schema;
pub mod suppress;
pub mod table;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::eval::{Evaluation, Finding, ResourceRef, RuleTally, Status};
use crate::inventory::AccountScope;
use crate::rules::{RuleFile, RuleSet, Severity};

/// Bumped when a change would make an older consumer misread a report.
pub const REPORT_VERSION: u32 = 1;

/// The git commit the binary was built from, when the build could tell (see build.rs).
pub const TOOL_COMMIT: &str = match option_env!("POSTURE_GIT_COMMIT") {
    Some(commit) => commit,
    None => "unknown",
};

/// The program that wrote the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// Always `posture`.
    pub name: String,
    /// Crate version of the build (semver).
    pub version: String,
    /// Git commit of the build, or `unknown` (e.g. built from a source tarball).
    #[serde(default = "unknown")]
    pub commit: String,
}

fn unknown() -> String {
    "unknown".into()
}

/// Where the resource documents came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    /// `inventory` (offline re-evaluation of a saved file) or `live`.
    pub kind: String,
    /// Path of the inventory file read; absent for a live scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_path: Option<String>,
    /// SHA-256 (hex) of the inventory file; absent for a live scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_sha256: Option<String>,
    /// When the resources were collected (RFC 3339), the clock for age rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// The endpoint the resources were read through when it was not AWS's (an emulator or a
    /// proxy, `--endpoint-url`); absent for AWS's own endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// The accounts and regions the resources were collected from.
    pub accounts: Vec<AccountScope>,
    /// Number of resource documents evaluated.
    pub resource_count: usize,
    /// The resources the verdicts are about, when `--resource-arn` or `--resource-tag` narrowed
    /// them; absent when every resource was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<crate::eval::FocusRecord>,
}

/// How a rule came out over all resources of its type.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleOutcome {
    /// Every resource the rule applies to passed.
    Pass,
    /// At least one resource failed.
    Fail,
    /// No resource failed, but at least one could not be decided.
    Error,
    /// Every FAIL and ERROR of the rule is covered by a suppression in force.
    Suppressed,
    /// No resource of the rule's type was found.
    NoResources,
    /// Resources exist, but the rule's `where` excluded all of them.
    NotApplicable,
}

impl RuleOutcome {
    /// The serialized form, e.g. `NOT_APPLICABLE`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOutcome::Pass => "PASS",
            RuleOutcome::Fail => "FAIL",
            RuleOutcome::Error => "ERROR",
            RuleOutcome::Suppressed => "SUPPRESSED",
            RuleOutcome::NoResources => "NO_RESOURCES",
            RuleOutcome::NotApplicable => "NOT_APPLICABLE",
        }
    }

    fn of(t: &RuleTally, suppressed: usize) -> Self {
        if t.fail > 0 {
            RuleOutcome::Fail
        } else if t.error > 0 {
            RuleOutcome::Error
        } else if suppressed > 0 {
            RuleOutcome::Suppressed
        } else if t.pass > 0 {
            RuleOutcome::Pass
        } else if t.resources_of_type == 0 {
            RuleOutcome::NoResources
        } else {
            RuleOutcome::NotApplicable
        }
    }
}

/// A rule as it was evaluated, with its result over all its resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RuleSummary {
    /// Rule id, e.g. `s3-bucket-public-access-blocked`.
    pub id: String,
    /// Rule version; bumped when the rule's meaning changes.
    pub version: u32,
    /// One-line statement of what the rule requires.
    pub title: String,
    /// How much a failure of the rule matters.
    pub severity: Severity,
    /// The resource type the rule is evaluated on, e.g. `aws.s3.bucket`; a rule over several
    /// types lists them, comma-separated (`aws.iam.user, aws.iam.role`).
    pub resource_type: String,
    /// The rule file the rule was loaded from (`builtin:rules/...` for the built-in pack).
    pub file: String,
    /// Where the rule came from: `builtin` (the pack compiled into the binary) or `file`.
    #[serde(default = "RuleOrigin::file")]
    pub origin: RuleOrigin,
    /// The parameter values in force for the rule (defaults merged with overrides).
    pub params: BTreeMap<String, Value>,
    /// framework -> control ids the rule provides evidence for.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Why the rule matters (SARIF help text and auditors read it from the report).
    #[serde(default)]
    pub rationale: String,
    /// What to do to make a failing resource pass.
    #[serde(default)]
    pub remediation: String,
    /// The rule's overall result.
    pub outcome: RuleOutcome,
    /// FAIL and ERROR verdicts covered by a suppression (not counted in `fail`/`error`).
    #[serde(default)]
    pub suppressed: usize,
    /// Resource and verdict counts of the rule (flattened into the rule object).
    #[serde(flatten)]
    pub counts: RuleTally,
}

/// Where a rule of the report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleOrigin {
    /// The rule pack compiled into the binary (see the report's `builtin_pack`).
    Builtin,
    /// A rule file on disk.
    File,
}

impl RuleOrigin {
    fn file() -> Self {
        RuleOrigin::File
    }
}

/// Finding counts by reported status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    /// Findings that passed.
    pub pass: usize,
    /// Findings that failed and are not suppressed.
    pub fail: usize,
    /// Findings that could not be decided and are not suppressed.
    pub error: usize,
    /// FAIL and ERROR findings covered by a suppression.
    #[serde(default)]
    pub suppressed: usize,
}

impl Counts {
    fn add(&mut self, status: FindingStatus, n: usize) {
        match status {
            FindingStatus::Pass => self.pass += n,
            FindingStatus::Fail => self.fail += n,
            FindingStatus::Error => self.error += n,
            FindingStatus::Suppressed => self.suppressed += n,
        }
    }

    fn sub(&mut self, status: FindingStatus) {
        let slot = match status {
            FindingStatus::Pass => &mut self.pass,
            FindingStatus::Fail => &mut self.fail,
            FindingStatus::Error => &mut self.error,
            FindingStatus::Suppressed => &mut self.suppressed,
        };
        *slot = slot.saturating_sub(1);
    }
}

/// Totals over the whole report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Number of rules evaluated.
    pub rules: usize,
    /// Finding counts over all rules.
    pub findings: Counts,
    /// Finding counts per rule severity.
    pub by_severity: BTreeMap<Severity, Counts>,
    /// framework -> control id -> verdict counts of the rules mapped to that control.
    #[serde(default)]
    pub by_framework: BTreeMap<String, BTreeMap<String, Counts>>,
    /// Checks decided and undecided by the collected data, per rule and per account and region.
    #[serde(default)]
    pub coverage: coverage::CoverageSummary,
}

/// A verdict as the report states it: the evaluator's, or SUPPRESSED when an accepted risk
/// covers a FAIL or ERROR. The evaluator never suppresses; only the report does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FindingStatus {
    /// The resource meets the rule.
    Pass,
    /// The resource does not meet the rule.
    Fail,
    /// The rule could not be decided (e.g. a value was not collected).
    Error,
    /// A FAIL or ERROR covered by an accepted risk in force.
    Suppressed,
}

impl FindingStatus {
    /// The serialized form, e.g. `SUPPRESSED`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Pass => "PASS",
            FindingStatus::Fail => "FAIL",
            FindingStatus::Error => "ERROR",
            FindingStatus::Suppressed => "SUPPRESSED",
        }
    }

    fn of(status: Status) -> Option<Self> {
        match status {
            Status::Pass => Some(FindingStatus::Pass),
            Status::Fail => Some(FindingStatus::Fail),
            Status::Error => Some(FindingStatus::Error),
            Status::NotApplicable => None,
        }
    }
}

impl std::fmt::Display for FindingStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The suppression that turned a FAIL or ERROR into SUPPRESSED.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppliedSuppression {
    /// The evaluator's verdict before suppression: FAIL or ERROR.
    pub original_status: FindingStatus,
    /// Why the risk was accepted, as written in the suppression file.
    pub justification: String,
    /// Who accepted the risk; absent when the entry names no owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Last day (YYYY-MM-DD) the suppression is in force.
    pub expires: String,
    /// `file:line` of the suppression entry.
    pub origin: String,
}

/// One finding of the report: the evaluator's verdict plus what the report decided about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportFinding {
    /// Id of the rule that produced the finding.
    pub rule_id: String,
    /// Version of that rule at evaluation time.
    pub rule_version: u32,
    /// Severity of the rule.
    pub severity: Severity,
    /// The resource the finding is about.
    pub resource: ResourceRef,
    /// The verdict as reported.
    pub status: FindingStatus,
    /// Every path the rule read and the value observed (null: absent or not collected).
    pub evidence: crate::eval::Evidence,
    /// Why it failed or could not be decided, in words.
    pub reasons: Vec<String>,
    /// The suppression in force; absent unless `status` is SUPPRESSED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<AppliedSuppression>,
}

impl ReportFinding {
    fn of(finding: Finding) -> Option<Self> {
        Some(ReportFinding {
            status: FindingStatus::of(finding.verdict.status)?,
            rule_id: finding.rule_id,
            rule_version: finding.rule_version,
            severity: finding.severity,
            resource: finding.resource,
            evidence: finding.verdict.evidence,
            reasons: finding.verdict.reasons,
            suppression: None,
        })
    }
}

/// Whether a suppression entry was in force at the report's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SuppressionState {
    /// In force: its expiry date has not passed.
    Active,
    /// Past its expiry date; it suppressed nothing.
    Expired,
}

/// A suppression entry as the report records it, in force or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SuppressionRecord {
    /// Rule id glob the entry applies to.
    pub rule: String,
    /// ARN glob the entry applies to; absent: any resource of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Tags a resource must all carry for the entry to apply; empty: no tag condition.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Why the risk was accepted.
    pub justification: String,
    /// Who accepted the risk; absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Last day (YYYY-MM-DD) the entry is in force.
    pub expires: String,
    /// `file:line` of the entry.
    pub origin: String,
    /// Whether the entry was in force at the report's clock.
    pub state: SuppressionState,
    /// How many FAIL or ERROR findings it suppressed.
    pub matched: usize,
}

/// The suppression file that was read, and every entry in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Suppressions {
    /// Path and SHA-256 of the suppression file.
    pub file: RuleFile,
    /// Every entry of the file, in file order.
    pub entries: Vec<SuppressionRecord>,
}

/// A posture evidence report: what was checked, when, against which rules, and every verdict
/// with the values it was decided on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Format version of the report (see `REPORT_VERSION`).
    pub report_version: u32,
    /// The program and build that wrote the report.
    pub tool: Tool,
    /// When the scan started (RFC 3339).
    pub started_at: String,
    /// When the scan finished (RFC 3339).
    pub finished_at: String,
    /// Where the resource documents came from.
    pub source: Source,
    /// Path and SHA-256 of every rule file loaded; built-in files are named `builtin:rules/...`.
    pub rule_files: Vec<RuleFile>,
    /// The built-in rule pack, when it was loaded: its digest and the rules a file replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin_pack: Option<crate::rules::BuiltinPack>,
    /// Every rule evaluated, with its outcome and counts.
    pub rules: Vec<RuleSummary>,
    /// Name and control titles of each framework the rules map to, from the packs' framework
    /// files (`frameworks/*.yaml`); only the controls the rules map to are listed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub frameworks: BTreeMap<String, crate::rules::FrameworkTitles>,
    /// FAIL, ERROR and SUPPRESSED findings; PASS findings too when the report includes passes.
    pub findings: Vec<ReportFinding>,
    /// Whether PASS findings are listed in `findings`.
    pub includes_passes: bool,
    /// The suppression file in force, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressions: Option<Suppressions>,
    /// Things a reader should know that did not stop the scan (expired or stale suppressions).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Totals by status, severity and framework control.
    pub summary: Summary,
}

/// The framework titles of the frameworks and controls that `rules` map to.
fn mapped_framework_titles(
    rules: &[RuleSummary],
    titles: &BTreeMap<String, crate::rules::FrameworkTitles>,
) -> BTreeMap<String, crate::rules::FrameworkTitles> {
    let mut out: BTreeMap<String, crate::rules::FrameworkTitles> = BTreeMap::new();
    for rule in rules {
        for (framework, controls) in &rule.frameworks {
            let Some(known) = titles.get(framework) else {
                continue;
            };
            let entry = out.entry(framework.clone()).or_default();
            entry.title.clone_from(&known.title);
            for control in controls {
                if let Some(title) = known.controls.get(control) {
                    entry.controls.insert(control.clone(), title.clone());
                }
            }
        }
    }
    out
}

/// What `Report::build` needs: the rules, their evaluation and the scan's metadata.
pub struct ReportInput<'a> {
    /// The rules that were evaluated.
    pub rules: &'a RuleSet,
    /// The evaluator's findings and per-rule tallies.
    pub evaluation: Evaluation,
    /// Where the resource documents came from.
    pub source: Source,
    /// When the scan started (RFC 3339).
    pub started_at: String,
    /// When the scan finished (RFC 3339).
    pub finished_at: String,
    /// Whether PASS findings are kept in the report.
    pub include_passes: bool,
}

impl Report {
    /// Builds an unsuppressed report; suppressions are applied afterwards.
    pub fn build(input: ReportInput) -> Report {
        let ReportInput {
            rules,
            evaluation,
            source,
            started_at,
            finished_at,
            include_passes,
        } = input;
        let mut summary = Summary {
            rules: rules.rules.len(),
            coverage: coverage::CoverageSummary::of(&evaluation.checks),
            ..Summary::default()
        };
        // From the tallies, which count every verdict, including passes the evaluation did
        // not keep as findings.
        for rule in &rules.rules {
            let Some(tally) = evaluation.tallies.get(&rule.id) else {
                continue;
            };
            if tally.pass + tally.fail + tally.error == 0 {
                continue;
            }
            let sev = summary.by_severity.entry(rule.severity).or_default();
            for counts in [&mut summary.findings, sev] {
                counts.add(FindingStatus::Pass, tally.pass);
                counts.add(FindingStatus::Fail, tally.fail);
                counts.add(FindingStatus::Error, tally.error);
            }
        }
        let rule_summaries = rules
            .rules
            .iter()
            .map(|rule| {
                let counts = evaluation
                    .tallies
                    .get(&rule.id)
                    .cloned()
                    .unwrap_or_default();
                RuleSummary {
                    id: rule.id.clone(),
                    version: rule.version,
                    title: rule.title.clone(),
                    severity: rule.severity,
                    resource_type: rule.resource_label(),
                    file: rule.file.display().to_string(),
                    origin: if crate::rules::pack::is_builtin(&rule.file) {
                        RuleOrigin::Builtin
                    } else {
                        RuleOrigin::File
                    },
                    params: rules.params_of(&rule.id),
                    frameworks: rule.frameworks.clone(),
                    rationale: rule.rationale.trim().to_string(),
                    remediation: rule.remediation.trim().to_string(),
                    outcome: RuleOutcome::of(&counts, 0),
                    suppressed: 0,
                    counts,
                }
            })
            .collect::<Vec<_>>();
        for rule in &rule_summaries {
            for (framework, controls) in &rule.frameworks {
                for control in controls {
                    let counts = summary
                        .by_framework
                        .entry(framework.clone())
                        .or_default()
                        .entry(control.clone())
                        .or_default();
                    counts.add(FindingStatus::Pass, rule.counts.pass);
                    counts.add(FindingStatus::Fail, rule.counts.fail);
                    counts.add(FindingStatus::Error, rule.counts.error);
                }
            }
        }
        let frameworks = mapped_framework_titles(&rule_summaries, &rules.frameworks);
        let findings = evaluation
            .findings
            .into_iter()
            .filter(|f| include_passes || f.verdict.status != Status::Pass)
            .filter_map(ReportFinding::of)
            .collect();
        Report {
            report_version: REPORT_VERSION,
            tool: Tool {
                name: "posture".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                commit: TOOL_COMMIT.into(),
            },
            started_at,
            finished_at,
            source,
            rule_files: rules.files.clone(),
            builtin_pack: rules.builtin_pack.clone(),
            rules: rule_summaries,
            frameworks,
            findings,
            includes_passes: include_passes,
            suppressions: None,
            warnings: Vec::new(),
            summary,
        }
    }

    /// Marks finding `index` (a FAIL or ERROR) suppressed and moves it between the counts.
    fn suppress_finding(&mut self, index: usize, applied: AppliedSuppression) {
        let Some(finding) = self.findings.get_mut(index) else {
            return;
        };
        let from = finding.status;
        if !matches!(from, FindingStatus::Fail | FindingStatus::Error) {
            return;
        }
        finding.status = FindingStatus::Suppressed;
        finding.suppression = Some(applied);
        let (rule_id, severity) = (finding.rule_id.clone(), finding.severity);
        let mut all = vec![&mut self.summary.findings];
        all.push(self.summary.by_severity.entry(severity).or_default());
        for counts in all {
            counts.sub(from);
            counts.add(FindingStatus::Suppressed, 1);
        }
        if let Some(rule) = self.rules.iter_mut().find(|r| r.id == rule_id) {
            match from {
                FindingStatus::Fail => rule.counts.fail = rule.counts.fail.saturating_sub(1),
                _ => rule.counts.error = rule.counts.error.saturating_sub(1),
            }
            rule.suppressed += 1;
            rule.outcome = RuleOutcome::of(&rule.counts, rule.suppressed);
            for (framework, controls) in &rule.frameworks {
                for control in controls {
                    if let Some(counts) = self
                        .summary
                        .by_framework
                        .get_mut(framework)
                        .and_then(|c| c.get_mut(control))
                    {
                        counts.sub(from);
                        counts.add(FindingStatus::Suppressed, 1);
                    }
                }
            }
        }
    }

    /// Keeps in the framework views (`summary.by_framework`, `frameworks`) only the controls
    /// `keep` accepts; the rules keep their full mappings.
    pub fn restrict_frameworks(&mut self, keep: impl Fn(&str, &str) -> bool) {
        for (framework, controls) in &mut self.summary.by_framework {
            controls.retain(|control, _| keep(framework, control));
        }
        self.summary
            .by_framework
            .retain(|_, controls| !controls.is_empty());
        for (framework, titles) in &mut self.frameworks {
            titles
                .controls
                .retain(|control, _| keep(framework, control));
        }
        let mapped = &self.summary.by_framework;
        self.frameworks
            .retain(|framework, _| mapped.contains_key(framework));
    }

    /// The rule summary of a finding's rule.
    #[must_use]
    pub fn rule(&self, id: &str) -> Option<&RuleSummary> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The exit code contract: 1 when a FAIL is at or above `fail_on`, else 3 when the
    /// unsuppressed ERROR verdicts at or above `fail_on` exceed `max_undecided` (by default:
    /// any), else 0.
    #[must_use]
    pub fn exit_code(&self, fail_on: Severity, max_undecided: coverage::UndecidedLimit) -> u8 {
        let at_or_above = |count: fn(&Counts) -> usize| -> usize {
            self.summary
                .by_severity
                .iter()
                .filter(|(sev, _)| **sev >= fail_on)
                .map(|(_, c)| count(c))
                .sum()
        };
        // The same bar for both: a FAIL or an ERROR of a rule below --fail-on does not fail
        // the build.
        if at_or_above(|c| c.fail) > 0 {
            1
        } else if max_undecided.exceeded(at_or_above(|c| c.error), &self.summary.coverage) {
            3
        } else {
            0
        }
    }
}
