//! The report model (the JSON report is canonical) and its renderers. Renderers only render.

pub mod json;
pub mod table;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::eval::{Evaluation, Finding, RuleTally, Status};
use crate::inventory::AccountScope;
use crate::rules::{RuleFile, RuleSet, Severity};

/// Bumped when a change would make an older consumer misread a report.
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// Where the resource documents came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// `inventory` (offline re-evaluation of a saved file) or `live`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_sha256: Option<String>,
    /// When the resources were collected (RFC 3339), the clock for age rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    pub accounts: Vec<AccountScope>,
    pub resource_count: usize,
}

/// How a rule came out over all resources of its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleOutcome {
    Pass,
    Fail,
    Error,
    /// No resource of the rule's type was found.
    NoResources,
    /// Resources exist, but the rule's `where` excluded all of them.
    NotApplicable,
}

impl RuleOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOutcome::Pass => "PASS",
            RuleOutcome::Fail => "FAIL",
            RuleOutcome::Error => "ERROR",
            RuleOutcome::NoResources => "NO_RESOURCES",
            RuleOutcome::NotApplicable => "NOT_APPLICABLE",
        }
    }

    fn of(t: &RuleTally) -> Self {
        if t.fail > 0 {
            RuleOutcome::Fail
        } else if t.error > 0 {
            RuleOutcome::Error
        } else if t.pass > 0 {
            RuleOutcome::Pass
        } else if t.resources_of_type == 0 {
            RuleOutcome::NoResources
        } else {
            RuleOutcome::NotApplicable
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSummary {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub severity: Severity,
    pub resource_type: String,
    pub file: String,
    pub params: BTreeMap<String, Value>,
    pub frameworks: BTreeMap<String, Vec<String>>,
    pub outcome: RuleOutcome,
    #[serde(flatten)]
    pub counts: RuleTally,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub rules: usize,
    pub findings: Counts,
    pub by_severity: BTreeMap<Severity, Counts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub report_version: u32,
    pub tool: Tool,
    pub started_at: String,
    pub finished_at: String,
    pub source: Source,
    pub rule_files: Vec<RuleFile>,
    pub rules: Vec<RuleSummary>,
    /// FAIL and ERROR findings; PASS findings too when the report includes passes.
    pub findings: Vec<Finding>,
    pub includes_passes: bool,
    pub summary: Summary,
}

pub struct ReportInput<'a> {
    pub rules: &'a RuleSet,
    pub evaluation: Evaluation,
    pub source: Source,
    pub started_at: String,
    pub finished_at: String,
    pub include_passes: bool,
}

impl Report {
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
            ..Summary::default()
        };
        for finding in &evaluation.findings {
            let sev = summary.by_severity.entry(finding.severity).or_default();
            for counts in [&mut summary.findings, sev] {
                match finding.verdict.status {
                    Status::Pass => counts.pass += 1,
                    Status::Fail => counts.fail += 1,
                    Status::Error => counts.error += 1,
                    Status::NotApplicable => {}
                }
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
                    resource_type: rule.resource_type.clone(),
                    file: rule.file.display().to_string(),
                    params: rules.params_of(&rule.id),
                    frameworks: rule.frameworks.clone(),
                    outcome: RuleOutcome::of(&counts),
                    counts,
                }
            })
            .collect();
        let findings = evaluation
            .findings
            .into_iter()
            .filter(|f| include_passes || f.verdict.status != Status::Pass)
            .collect();
        Report {
            report_version: REPORT_VERSION,
            tool: Tool {
                name: "posture".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            started_at,
            finished_at,
            source,
            rule_files: rules.files.clone(),
            rules: rule_summaries,
            findings,
            includes_passes: include_passes,
            summary,
        }
    }

    /// The exit code contract: 1 when a FAIL is at or above `fail_on`, else 3 when any verdict
    /// is ERROR, else 0.
    pub fn exit_code(&self, fail_on: Severity) -> u8 {
        let failed = self
            .summary
            .by_severity
            .iter()
            .any(|(sev, c)| *sev >= fail_on && c.fail > 0);
        if failed {
            1
        } else if self.summary.findings.error > 0 {
            3
        } else {
            0
        }
    }
}
