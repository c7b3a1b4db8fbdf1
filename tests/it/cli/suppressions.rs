//! Suppressions: active entries (by ARN glob and by tags), expired ones, ones that match
//! nothing, and malformed files reported at <file:line:col>.

use predicates::prelude::*;
use serde_json::Value;

use super::formats::SUPPRESSIONS;
use super::{posture, write};

fn scan_json(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn finding<'r>(report: &'r Value, rule: &str, arn_end: &str) -> &'r Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource"]["arn"].as_str().unwrap().ends_with(arn_end))
        .unwrap_or_else(|| panic!("no finding {rule} {arn_end}"))
}

#[test]
fn active_entries_suppress_and_carry_their_justification() {
    let (code, report, _) = scan_json(&["--suppressions", SUPPRESSIONS]);
    assert_eq!(code, Some(1), "other failures remain");
    let debug = finding(&report, "logs-group-min-retention", "log-group:/acme/debug");
    assert_eq!(debug["status"], "SUPPRESSED");
    assert_eq!(debug["suppression"]["original_status"], "FAIL");
    assert_eq!(debug["suppression"]["owner"], "platform-team");
    assert_eq!(debug["suppression"]["expires"], "2026-12-31");
    assert_eq!(
        debug["suppression"]["origin"],
        "tests/data/suppressions/example.yaml:3"
    );
    let public = finding(&report, "s3-bucket-kms-encryption", ":::acme-public-assets");
    assert_eq!(public["status"], "SUPPRESSED", "matched by tags");
    assert_eq!(report["summary"]["findings"]["suppressed"], 2);
    let rule = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "logs-group-min-retention")
        .unwrap();
    assert_eq!(rule["suppressed"], 1);
    assert_eq!(rule["fail"], 1);
    let soc2 = &report["summary"]["by_framework"]["soc2"]["CC7.2"];
    assert!(soc2["suppressed"].as_u64().unwrap() >= 1, "{soc2}");
    let entries = report["suppressions"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["matched"], 1);
    assert_eq!(entries[0]["state"], "ACTIVE");
}

#[test]
fn suppressed_failures_do_not_fail_ci() {
    // Only the log rule: its two failures are /acme/debug (suppressed) and orders-api.
    let tmp = tempfile::tempdir().unwrap();
    let file = write(
        tmp.path(),
        "s.yaml",
        "suppressions:\n  - rule: logs-*\n    resource: arn:aws:logs:*:log-group:*\n    justification: accepted for the test\n    expires: 2027-01-01\n",
    );
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
        ])
        .assert()
        .code(1);
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
        ])
        .arg("--suppressions")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("SUPPRESSED"))
        .stdout(predicate::str::contains("2 suppressed"));
}

#[test]
fn expired_entries_no_longer_suppress_and_warn() {
    let (_, report, stderr) = scan_json(&["--suppressions", SUPPRESSIONS]);
    let legacy = finding(
        &report,
        "s3-audit-bucket-object-lock",
        ":::acme-audit-legacy",
    );
    assert_eq!(legacy["status"], "FAIL");
    assert!(legacy.get("suppression").is_none());
    let expected = "suppression at tests/data/suppressions/example.yaml:13 (rule `s3-audit-bucket-object-lock`) expired on 2026-01-31";
    assert!(stderr.contains(expected), "{stderr}");
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains(expected))
    );
    assert_eq!(report["suppressions"]["entries"][2]["state"], "EXPIRED");
}

#[test]
fn expiry_follows_the_report_clock_not_the_wall_clock() {
    // At --now 2026-01-15 the legacy entry is still in force; in 2027 every entry has expired.
    let (_, report, _) = scan_json(&[
        "--suppressions",
        SUPPRESSIONS,
        "--now",
        "2026-01-15T00:00:00Z",
    ]);
    let legacy = finding(
        &report,
        "s3-audit-bucket-object-lock",
        ":::acme-audit-legacy",
    );
    assert_eq!(legacy["status"], "SUPPRESSED");
    let (_, report, stderr) = scan_json(&[
        "--suppressions",
        SUPPRESSIONS,
        "--now",
        "2027-03-01T00:00:00Z",
    ]);
    assert_eq!(report["summary"]["findings"]["suppressed"], 0);
    assert_eq!(stderr.matches("expired on").count(), 4, "{stderr}");
}

#[test]
fn entries_matching_nothing_warn() {
    let (_, report, stderr) = scan_json(&["--suppressions", SUPPRESSIONS]);
    let expected = "suppression at tests/data/suppressions/example.yaml:18 (rule `iam-*`) matched no FAIL or ERROR finding";
    assert!(stderr.contains(expected), "{stderr}");
    assert_eq!(report["suppressions"]["entries"][3]["matched"], 0);
    assert_eq!(report["warnings"].as_array().unwrap().len(), 2);
}

#[test]
fn malformed_entries_are_errors_with_positions() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(
        tmp.path(),
        "bad.yaml",
        "- rule: logs-*\n  resource: arn:aws:logs:*\n  owner: me\n  expires: 2026-12-31\n- rule: s3-*\n  resource: \"arn:aws:s3:::x\"\n  justification: ok\n  expires: 2026-02-30\n- rule: s3-*\n  tags: {Env: dev}\n  justification: no expiry\n  expirse: 2026-01-01\n",
    );
    let out = posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--suppressions",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let path = file.display();
    for expected in [
        format!("{path}:1:3: error: suppression entry has no `justification`"),
        format!("{path}:8:12: error: `expires` must be a date YYYY-MM-DD, found `2026-02-30`"),
        format!("{path}:12:3: error: unknown key `expirse`"),
        format!("{path}:9:3: error: suppression entry has no `expires`"),
    ] {
        assert!(stderr.contains(&expected), "missing {expected}\n{stderr}");
    }
}

#[test]
fn a_missing_suppressions_file_is_exit_2() {
    posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--suppressions", "tests/data/suppressions/nope.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read suppressions"));
}
