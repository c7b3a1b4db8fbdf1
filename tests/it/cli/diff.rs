//! `posture diff OLD NEW`: new failures, fixed findings, still failing; exit codes.

use serde_json::Value;

use super::{posture, write};

const DEBUG: &str = "arn:aws:logs:eu-west-1:111122223333:log-group:/acme/debug";
const ORDERS: &str = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/orders-api";
const STATES: &str =
    "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/vendedlogs/states/order-flow";

/// Two reports of the log rule: in the newer account /acme/debug keeps logs for 400 days
/// (fixed) and the Step Functions group for 100 (a new failure); orders-api still fails.
fn two_reports(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let old = dir.join("old.json");
    let new = dir.join("new.json");
    let fixture =
        std::fs::read_to_string(super::root().join("fixtures/example-account.json")).unwrap();
    let mut inventory: Value = serde_json::from_str(&fixture).unwrap();
    for r in inventory["resources"].as_array_mut().unwrap() {
        if r["arn"] == DEBUG {
            r["attributes"]["retention"]["days"] = 400.into();
        }
        if r["arn"] == STATES {
            r["attributes"]["retention"]["days"] = 100.into();
        }
    }
    let changed = write(dir, "inv.json", &inventory.to_string());
    for (inv, out) in [
        (super::root().join("fixtures/example-account.json"), &old),
        (changed, &new),
    ] {
        posture()
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
            .arg("--output")
            .arg(out)
            .assert()
            .code(1);
    }
    (old, new)
}

#[test]
fn lists_new_fixed_and_still_failing() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = two_reports(tmp.path());
    let out = posture()
        .args(["diff", "--format", "json"])
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a new medium failure, --fail-on low"
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arns = |key: &str| -> Vec<String> {
        d[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["arn"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(arns("new_failures"), [STATES]);
    assert_eq!(arns("fixed"), [DEBUG]);
    assert_eq!(arns("still_failing"), [ORDERS]);
    assert_eq!(d["fixed"][0]["after"], "ABSENT");
    assert_eq!(d["new_failures"][0]["before"], "ABSENT");
    assert_eq!(d["new_failures"][0]["severity"], "medium");

    let table = posture().arg("diff").arg(&old).arg(&new).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("New failures (1):"), "{text}");
    assert!(
        text.contains("1 new failures, 0 lost coverage, 1 fixed, 1 still failing"),
        "{text}"
    );
}

#[test]
fn fail_on_decides_the_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = two_reports(tmp.path());
    posture()
        .args(["diff", "--fail-on", "high"])
        .arg(&old)
        .arg(&new)
        .assert()
        .code(0);
    // In the reverse direction /acme/debug fails again: a new failure.
    posture().arg("diff").arg(&new).arg(&old).assert().code(1);
    // Same report twice: nothing new.
    posture().arg("diff").arg(&old).arg(&old).assert().code(0);
}

#[test]
fn unreadable_or_invalid_reports_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, _) = two_reports(tmp.path());
    let junk = write(tmp.path(), "junk.json", "{\"report_version\": 1}");
    posture()
        .arg("diff")
        .arg(&old)
        .arg(&junk)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a posture JSON report"));
    posture()
        .arg("diff")
        .arg(&old)
        .arg(tmp.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "missing.json: cannot read the file",
        ));
}

#[test]
fn a_suppressed_failure_is_no_longer_failing_but_not_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, _) = two_reports(tmp.path());
    let accepted = write(
        tmp.path(),
        "s.yaml",
        &format!(
            "- rule: logs-group-min-retention\n  resource: \"{ORDERS}\"\n  justification: j\n  expires: 2027-01-01\n"
        ),
    );
    let suppressed = tmp.path().join("suppressed.json");
    posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules/logs/logs-group-min-retention.yaml",
            "--format",
            "json",
        ])
        .args([
            "--inventory",
            "fixtures/example-account.json",
            "--suppressions",
        ])
        .arg(&accepted)
        .arg("--output")
        .arg(&suppressed)
        .assert()
        .code(1);
    let out = posture()
        .args(["diff", "--format", "json"])
        .arg(&old)
        .arg(&suppressed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["no_longer_failing"][0]["arn"], ORDERS);
    assert_eq!(d["no_longer_failing"][0]["after"], "SUPPRESSED");
    assert_eq!(d["fixed"].as_array().unwrap().len(), 0);
    assert_eq!(d["still_failing"][0]["arn"], DEBUG);
}

#[test]
fn reads_reports_written_before_the_auditor_fields() {
    // A baseline from an earlier posture (same report_version) lacks tool.commit, rule
    // rationale, suppressed counts, by_framework and warnings; it must still diff.
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = two_reports(tmp.path());
    let mut report: Value = serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for key in [
                    "commit",
                    "rationale",
                    "remediation",
                    "suppressed",
                    "by_framework",
                    "warnings",
                ] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut report);
    assert!(report["tool"].get("commit").is_none());
    let legacy = write(tmp.path(), "legacy.json", &report.to_string());
    let out = posture()
        .args(["diff", "--format", "json"])
        .arg(&legacy)
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["new_failures"][0]["arn"], STATES);
}

/// Scans `inventory` with the log retention rule into `out` (JSON, exit code not checked).
fn scan_logs(inventory: &std::path::Path, out: &std::path::Path, rules: &str) {
    let status = posture()
        .args([
            "scan",
            "--no-builtin-rules",
            "--rules",
            rules,
            "--format",
            "json",
            "--inventory",
        ])
        .arg(inventory)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap()
        .status;
    assert!(matches!(status.code(), Some(0 | 1 | 3)), "{status:?}");
}

/// The example account after losing logs:DescribeLogGroups in eu-west-1: no log group was
/// listed, and the account document records the listing failure.
fn logs_unlisted(dir: &std::path::Path) -> std::path::PathBuf {
    let fixture =
        std::fs::read_to_string(super::root().join("fixtures/example-account.json")).unwrap();
    let mut inventory: Value = serde_json::from_str(&fixture).unwrap();
    let resources = inventory["resources"].as_array_mut().unwrap();
    resources.retain(|r| r["type"] != "aws.logs.log_group");
    for r in resources.iter_mut() {
        if r["type"] == "aws.account" {
            r["errors"] = serde_json::json!({
                "aws.logs.log_group@eu-west-1": "AccessDeniedException: not authorized to perform logs:DescribeLogGroups (logs:DescribeLogGroups)"
            });
        }
    }
    write(dir, "unlisted.json", &inventory.to_string())
}

#[test]
fn a_scan_that_lost_permissions_is_lost_coverage_not_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = "rules/logs/logs-group-min-retention.yaml";
    let old = tmp.path().join("old.json");
    let new = tmp.path().join("new.json");
    scan_logs(
        &super::root().join("fixtures/example-account.json"),
        &old,
        rules,
    );
    scan_logs(&logs_unlisted(tmp.path()), &new, rules);
    let out = posture()
        .args(["diff", "--format", "json"])
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "lost coverage fails the gate");
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["fixed"].as_array().unwrap().len(), 0, "{d:#}");
    let lost = d["lost_coverage"].as_array().unwrap();
    let arns: Vec<&str> = lost.iter().map(|e| e["arn"].as_str().unwrap()).collect();
    for failing in [DEBUG, ORDERS] {
        assert!(arns.contains(&failing), "{failing} missing from {arns:?}");
    }
    // The account-level ERROR stands for the log groups that passed before.
    assert!(arns.contains(&"arn:aws:iam::111122223333:root"), "{arns:?}");
    let orders = lost.iter().find(|e| e["arn"] == ORDERS).unwrap();
    assert_eq!(orders["before"], "FAIL");
    assert_eq!(orders["after"], "ABSENT");
    assert!(
        orders["undecided_because"]
            .as_str()
            .unwrap()
            .contains("logs:DescribeLogGroups"),
        "{orders:#}"
    );

    posture()
        .args(["diff", "--allow-lost-coverage"])
        .arg(&old)
        .arg(&new)
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "Lost coverage (decided before, not decided now)",
        ));
    // Regaining the permission is not a new failure, and lost nothing.
    let back = posture()
        .args(["diff", "--format", "json"])
        .arg(&new)
        .arg(&old)
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&back.stdout).unwrap();
    assert_eq!(d["lost_coverage"].as_array().unwrap().len(), 0, "{d:#}");
}

#[test]
fn a_rule_dropped_from_the_scan_is_lost_coverage() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = super::root().join("fixtures/example-account.json");
    let old = tmp.path().join("old.json");
    let new = tmp.path().join("new.json");
    scan_logs(&fixture, &old, "rules/logs/logs-group-min-retention.yaml");
    scan_logs(&fixture, &new, "rules/s3/s3-bucket-versioning-enabled.yaml");
    let out = posture()
        .args(["diff", "--format", "json"])
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["fixed"].as_array().unwrap().len(), 0, "{d:#}");
    let lost = d["lost_coverage"].as_array().unwrap();
    assert!(!lost.is_empty());
    assert!(
        lost.iter()
            .all(|e| e["undecided_because"] == "rule logs-group-min-retention was not evaluated")
    );
}

#[test]
fn listing_failures_in_two_regions_are_two_findings() {
    // The same account-level ERROR in two regions must not collapse into one key.
    let tmp = tempfile::tempdir().unwrap();
    let fixture =
        std::fs::read_to_string(super::root().join("fixtures/example-account.json")).unwrap();
    let mut inventory: Value = serde_json::from_str(&fixture).unwrap();
    inventory["accounts"][0]["regions"] = serde_json::json!(["eu-west-1", "us-east-1"]);
    for r in inventory["resources"].as_array_mut().unwrap() {
        if r["type"] == "aws.account" {
            r["errors"] = serde_json::json!({
                "aws.logs.log_group@eu-west-1": "AccessDeniedException: denied (logs:DescribeLogGroups)",
                "aws.logs.log_group@us-east-1": "AccessDeniedException: denied (logs:DescribeLogGroups)"
            });
        }
    }
    let both = write(tmp.path(), "both.json", &inventory.to_string());
    let report = tmp.path().join("both-report.json");
    scan_logs(&both, &report, "rules/logs/logs-group-min-retention.yaml");
    let old = tmp.path().join("old.json");
    scan_logs(
        &super::root().join("fixtures/example-account.json"),
        &old,
        "rules/logs/logs-group-min-retention.yaml",
    );
    let out = posture()
        .args(["diff", "--format", "json"])
        .arg(&old)
        .arg(&report)
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut regions: Vec<&str> = d["lost_coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["arn"] == "arn:aws:iam::111122223333:root")
        .map(|e| e["region"].as_str().unwrap())
        .collect();
    regions.sort_unstable();
    assert_eq!(regions, ["eu-west-1", "us-east-1"], "{d:#}");
}
