use predicates::prelude::*;
use serde_json::json;

use super::{posture, write};

fn inventory(resources: serde_json::Value) -> String {
    json!({"format_version": 1, "collected_at": "2026-06-01T00:00:00Z", "accounts": [], "resources": resources}).to_string()
}

#[test]
fn example_account_fails_with_exit_1() {
    posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("acme-audit-legacy"))
        .stdout(predicate::str::contains(
            "object_lock.default_retention.mode is GOVERNANCE, expected COMPLIANCE",
        ));
}

#[test]
fn fail_on_raises_the_bar() {
    // The example account has critical failures, so even --fail-on critical exits 1 ...
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--fail-on",
            "critical",
        ])
        .assert()
        .code(1);
    // ... but with only the medium log rule, --fail-on high ignores its failures.
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--fail-on",
            "high",
        ])
        .assert()
        .code(0);
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--fail-on",
            "medium",
        ])
        .assert()
        .code(1);
}

#[test]
fn compliant_inventory_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv.json",
        &inventory(json!([
            {"type": "aws.logs.log_group", "arn": "arn:aws:logs:us-east-1:1:log-group:a", "attributes": {"retention": {"never_expires": true}}}
        ])),
    );
    posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--inventory",
        ])
        .arg(&inv)
        .assert()
        .code(0);
}

#[test]
fn only_errors_exit_3_and_are_never_counted_as_pass() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv.json",
        &inventory(json!([
            {"type": "aws.logs.log_group", "arn": "arn:aws:logs:us-east-1:1:log-group:a", "errors": {"retention": "AccessDenied: logs:DescribeLogGroups"}},
            {"type": "aws.logs.log_group", "arn": "arn:aws:logs:us-east-1:1:log-group:b", "attributes": {"retention": {"never_expires": false, "days": 400}}}
        ])),
    );
    let report = dir.path().join("report.json");
    posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--format",
            "json",
            "--output",
        ])
        .arg(&report)
        .arg("--inventory")
        .arg(&inv)
        .assert()
        .code(3);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["summary"]["findings"],
        json!({"pass": 1, "fail": 0, "error": 1, "suppressed": 0})
    );
    assert_eq!(report["rules"][0]["outcome"], "ERROR");
    assert_eq!(report["findings"][0]["status"], "ERROR");
    assert_eq!(
        report["findings"][0]["reasons"][0],
        "`retention` could not be collected: AccessDenied: logs:DescribeLogGroups"
    );
}

#[test]
fn bad_rule_file_exits_2() {
    posture()
        .args(["rules", "validate", "tests/data/bad-rules"])
        .assert()
        .code(2);
    posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            "tests/data/bad-rules",
            "--inventory",
            "fixtures/example-account.json",
        ])
        .assert()
        .code(2);
}

#[test]
fn malformed_inventory_exits_2_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv.json",
        "{\"format_version\": 1,\n \"resources\": [ {\"type\": ",
    );
    posture()
        .args(["scan", "--inventory"])
        .arg(&inv)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid inventory"))
        .stderr(predicate::str::contains("line 2"));
    let wrong = write(
        dir.path(),
        "wrong.json",
        &inventory(json!([{"type": "aws.s3.buckt", "arn": "x"}])),
    );
    posture()
        .args(["scan", "--inventory"])
        .arg(&wrong)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown type `aws.s3.buckt`; did you mean `aws.s3.bucket`?",
        ));
    let unknown_field = write(
        dir.path(),
        "field.json",
        &inventory(json!([{"type": "aws.s3.bucket", "arn": "x", "atributes": {}}])),
    );
    posture()
        .args(["scan", "--inventory"])
        .arg(&unknown_field)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("atributes"));
}

#[test]
fn bad_invocations_exit_2() {
    posture()
        .args(["scan", "--fail-on", "severe"])
        .assert()
        .code(2);
    posture().args(["no-such-command"]).assert().code(2);
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--param",
            "no-such-rule.x=1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no loaded rule has id `no-such-rule`",
        ));
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--param",
            "logs-group-min-retention.min_days=long",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must be a number"));
    posture()
        .args(["scan", "--inventory", "does-not-exist.json"])
        .assert()
        .code(2);
}

#[test]
fn param_override_changes_the_verdict() {
    posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--inventory",
            "fixtures/example-account.json",
        ])
        .args(["--param", "logs-group-min-retention.min_days=7"])
        .assert()
        .code(0);
}

#[test]
fn config_file_sets_params_and_unknown_keys_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "posture.toml",
        "fail_on = \"low\"\n[params.logs-group-min-retention]\nmin_days = 7\n",
    );
    posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--inventory",
            "fixtures/example-account.json",
            "--config",
        ])
        .arg(&config)
        .assert()
        .code(0);
    let bad = write(dir.path(), "bad.toml", "fail_on = \"low\"\nfial_on = 1\n");
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--config",
        ])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `fial_on`"))
        .stderr(predicate::str::contains("line 2"));
}

#[test]
fn help_documents_exit_codes() {
    posture()
        .args(["scan", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "3  no such FAIL, but more checks of rules at or above --fail-on could not be decided",
        ))
        .stdout(predicate::str::contains("always 0 with --exit-zero"));
}

#[test]
fn framework_filter_keeps_mapped_rules_only() {
    let out = posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--framework",
            "cis-aws-v3",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = report["rules"].as_array().unwrap();
    assert!(rules.len() >= 5, "the pack maps several rules to CIS");
    for rule in rules {
        assert!(
            rule["frameworks"]["cis-aws-v3"].is_array(),
            "{} is not mapped to CIS",
            rule["id"]
        );
    }
    assert!(rules.iter().any(|r| r["id"] == "kms-key-rotation-enabled"));
    assert!(!rules.iter().any(|r| r["id"] == "logs-group-min-retention"));
}

/// Three log groups that keep logs long enough, and one whose retention could not be read.
fn one_undecided_of_four(dir: &std::path::Path) -> std::path::PathBuf {
    let group = |name: &str, region: &str| {
        json!({
            "type": "aws.logs.log_group",
            "arn": format!("arn:aws:logs:{region}:111122223333:log-group:{name}"),
            "account": "111122223333", "region": region, "name": name, "tags": {},
            "attributes": {"retention": {"never_expires": false, "days": 400}}
        })
    };
    let mut unreadable = group("/unreadable", "us-east-1");
    unreadable["attributes"] = json!({});
    unreadable["errors"] =
        json!({"retention": "AccessDeniedException: denied (logs:DescribeLogGroups)"});
    write(
        dir,
        "inv.json",
        &inventory(json!([
            group("/a", "eu-west-1"),
            group("/b", "eu-west-1"),
            group("/c", "us-east-1"),
            unreadable
        ])),
    )
}

/// `posture scan` of `inventory` with the one medium rule `logs-group-min-retention`.
fn scan_min_retention(inventory: &std::path::Path, extra: &[&str]) -> std::process::Output {
    posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--inventory",
        ])
        .arg(inventory)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn max_undecided_sets_how_many_errors_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = one_undecided_of_four(tmp.path());
    let scan = |extra: &[&str]| scan_min_retention(&inv, extra);
    let default = scan(&[]);
    assert_eq!(
        default.status.code(),
        Some(3),
        "any ERROR exits 3 by default"
    );
    let table = String::from_utf8_lossy(&default.stdout);
    assert!(
        table.contains(
            "Coverage: 3 of 4 checks decided, 1 undecided (25.0 %): 111122223333 us-east-1: 1."
        ),
        "{table}"
    );
    for (limit, code) in [("1", 0), ("0", 3), ("25%", 0), ("24.9%", 3), ("100%", 0)] {
        assert_eq!(
            scan(&["--max-undecided", limit]).status.code(),
            Some(code),
            "--max-undecided {limit}"
        );
    }
    let bad = scan(&["--max-undecided", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("max_undecided: `lots` is neither a count")
    );

    // The config file sets it too; the flag wins.
    let config = write(tmp.path(), "posture.toml", "max_undecided = \"1\"\n");
    let with_config = |extra: &[&str]| {
        let mut args = vec!["--config", config.to_str().unwrap()];
        args.extend_from_slice(extra);
        scan(&args).status.code()
    };
    assert_eq!(with_config(&[]), Some(0));
    assert_eq!(with_config(&["--max-undecided", "0"]), Some(3));
}

#[test]
fn the_report_says_where_checks_were_decided() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = one_undecided_of_four(tmp.path());
    let out = posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--format",
            "json",
            "--inventory",
        ])
        .arg(&inv)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let coverage = &report["summary"]["coverage"];
    assert_eq!(coverage["decided"], 3);
    assert_eq!(coverage["undecided"], 1);
    assert_eq!(
        coverage["by_rule"]["logs-group-min-retention"],
        json!({"decided": 3, "undecided": 1})
    );
    assert_eq!(
        coverage["by_account"]["111122223333"],
        json!({
            "eu-west-1": {"decided": 2, "undecided": 0},
            "us-east-1": {"decided": 1, "undecided": 1}
        })
    );
}

/// `--fail-on` is one bar for exit 1 and exit 3: an ERROR of a rule below it does not fail the
/// build. `--exit-zero` reports without gating; bad input still exits 2.
#[test]
fn fail_on_governs_undecided_checks_and_exit_zero_reports_only() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = one_undecided_of_four(tmp.path());
    // logs-group-min-retention is a medium rule: its one ERROR exits 3 at the default bar.
    let scan = |extra: &[&str]| scan_min_retention(&inv, extra).status.code();
    assert_eq!(scan(&[]), Some(3));
    assert_eq!(scan(&["--fail-on", "medium"]), Some(3));
    assert_eq!(
        scan(&["--fail-on", "high"]),
        Some(0),
        "a medium ERROR is below the bar"
    );
    assert_eq!(scan(&["--exit-zero"]), Some(0));
    // The example account fails, and still exits 0 for a report-only job, report written.
    let report = tmp.path().join("report.json");
    posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--exit-zero",
            "--format",
            "json",
            "--output",
        ])
        .arg(&report)
        .assert()
        .code(0);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(written["summary"]["findings"]["fail"].as_u64().unwrap() > 0);
    // Bad input is not a verdict: --exit-zero does not hide it.
    assert_eq!(scan(&["--exit-zero", "--fail-on", "extreme"]), Some(2));
    posture()
        .args([
            "scan",
            "--inventory",
            "/nonexistent/inv.json",
            "--exit-zero",
        ])
        .assert()
        .code(2);
}
