//! SARIF 2.1.0, the format GitHub code scanning ingests. One SARIF rule per loaded rule (help
//! text from its rationale and remediation), one result per FAIL, ERROR or SUPPRESSED finding.
//! Resources are not files, so each result names the resource ARN as a logical location and the
//! rule file as its physical location (GitHub rejects results without one).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{FindingStatus, Report, ReportFinding, RuleSummary};
use crate::rules::Severity;

/// The SARIF 2.1.0 schema the output declares.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub orders security alerts by this CVSS-like score.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn rule_descriptor(rule: &RuleSummary) -> Value {
    // A rule over several types lists them as "aws.iam.user, aws.iam.role": one tag each.
    let mut tags: Vec<String> = std::iter::once("compliance".to_string())
        .chain(rule.resource_type.split(", ").map(str::to_string))
        .collect();
    for (framework, controls) in &rule.frameworks {
        tags.extend(controls.iter().map(|c| format!("{framework}:{c}")));
    }
    let help_text = format!(
        "{}\n\nRemediation: {}",
        rule.rationale.trim(),
        rule.remediation.trim()
    );
    let help_markdown = format!(
        "**Why it matters**\n\n{}\n\n**How to fix it**\n\n{}\n\nResource type: `{}`. Rule file: `{}` (version {}).",
        rule.rationale.trim(),
        rule.remediation.trim(),
        rule.resource_type,
        rule.file,
        rule.version
    );
    json!({
        "id": rule.id,
        "name": rule.id,
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": if rule.rationale.trim().is_empty() { rule.title.trim() } else { rule.rationale.trim() } },
        "help": { "text": help_text, "markdown": help_markdown },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "problem.severity": level(rule.severity).replace("note", "recommendation"),
            "security-severity": security_severity(rule.severity),
            "severity": rule.severity.as_str(),
            "version": rule.version,
        }
    })
}

fn result(finding: &ReportFinding, rule_index: Option<usize>, rule_file: &str) -> Value {
    let why = if finding.reasons.is_empty() {
        String::new()
    } else {
        format!(": {}", finding.reasons.join("; "))
    };
    let original = finding
        .suppression
        .as_ref()
        .map_or(finding.status, |s| s.original_status);
    let status_word = if original == FindingStatus::Error {
        "could not be decided"
    } else {
        "fails"
    };
    let text = format!(
        "{} {} {status_word}{why}",
        finding.resource.resource_type, finding.resource.arn
    );
    let fingerprint = hex::encode(Sha256::digest(
        format!("{}\n{}", finding.rule_id, finding.resource.arn).as_bytes(),
    ));
    let mut result = json!({
        "ruleId": finding.rule_id,
        "level": level(finding.severity),
        "message": { "text": crate::untrusted::lines(&text) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": rule_file },
                "region": { "startLine": 1 }
            },
            "logicalLocations": [{
                "name": finding.resource.name,
                "fullyQualifiedName": finding.resource.arn,
                "kind": "resource"
            }]
        }],
        "partialFingerprints": { "postureFinding/v1": fingerprint },
        "properties": {
            "status": finding.status.as_str(),
            "account": finding.resource.account,
            "region": finding.resource.region,
            "resourceType": finding.resource.resource_type,
            "evidence": finding.evidence,
            "ruleVersion": finding.rule_version,
        }
    });
    if let (Some(index), Some(obj)) = (rule_index, result.as_object_mut()) {
        obj.insert("ruleIndex".into(), json!(index));
    }
    if let (Some(s), Some(obj)) = (&finding.suppression, result.as_object_mut()) {
        obj.insert(
            "suppressions".into(),
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": s.justification,
                "properties": { "owner": s.owner, "expires": s.expires, "origin": s.origin }
            }]),
        );
    }
    result
}

/// GitHub resolves relative URIs against the repository root; an absolute rule path (rules
/// loaded from outside the checkout) has to be a `file://` URI to be a valid SARIF location.
fn artifact_uri(path: &str) -> String {
    // A built-in rule has no file in the scanned repository; `rules/...` is where it lives in
    // posture's sources and in a pack written by `rules export`.
    let path = path.strip_prefix("builtin:").unwrap_or(path);
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(path, KEEP).to_string();
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

/// Builds the SARIF 2.1.0 log of the report as a JSON value.
pub fn render_value(report: &Report) -> Value {
    let rules: Vec<Value> = report.rules.iter().map(rule_descriptor).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| f.status != FindingStatus::Pass)
        .map(|f| {
            let index = report.rules.iter().position(|r| r.id == f.rule_id);
            let file = index
                .and_then(|i| report.rules.get(i))
                .map_or(String::new(), |r| artifact_uri(&r.file));
            result(f, index, &file)
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "rules": rules,
                    "properties": { "commit": report.tool.commit }
                }
            },
            "automationDetails": { "id": "posture/" },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "reportVersion": report.report_version,
                "collectedAt": report.source.collected_at,
                "accounts": report.source.accounts.iter().map(|a| a.account.clone()).collect::<Vec<_>>(),
                "warnings": report.warnings,
            }
        }]
    })
}

/// Renders the SARIF log as pretty, newline-terminated JSON.
pub fn render(report: &Report) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(&render_value(report))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rule_files_become_uris() {
        assert_eq!(
            super::artifact_uri("builtin:rules/s3/a-b_c.yaml"),
            "rules/s3/a-b_c.yaml"
        );
        assert_eq!(
            super::artifact_uri("rules/s3/a-b_c.yaml"),
            "rules/s3/a-b_c.yaml"
        );
        assert_eq!(
            super::artifact_uri("/opt/my rules/x.yaml"),
            "file:///opt/my%20rules/x.yaml"
        );
    }
}
