//! Narrowing the loaded rules from the command line: `--rule`, `--exclude-rule`, `--service`,
//! `--severity`, `--framework [framework:control]`, the same on `scan` and `rules list`.

use serde_json::Value;

use super::{example_report, posture};

fn listed(args: &[&str]) -> (i32, Vec<Value>, String) {
    let run = posture()
        .args(["rules", "list", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    let rules = serde_json::from_slice::<Vec<Value>>(&run.stdout).unwrap_or_default();
    (run.status.code().unwrap(), rules, stderr)
}

fn ids(rules: &[Value]) -> Vec<&str> {
    rules.iter().map(|r| r["id"].as_str().unwrap()).collect()
}

#[test]
fn rules_list_takes_every_filter() {
    let (code, all, _) = listed(&[]);
    assert_eq!(code, 0);
    let (_, s3, _) = listed(&["--rule", "s3-*", "--exclude-rule", "s3-bucket-*"]);
    assert!(!s3.is_empty());
    assert!(
        ids(&s3)
            .iter()
            .all(|id| id.starts_with("s3-") && !id.starts_with("s3-bucket-"))
    );
    let (_, services, _) = listed(&["--service", "KMS,logs"]);
    assert!(!services.is_empty());
    assert!(services.iter().all(|r| {
        let t = r["resource_type"].as_str().unwrap();
        t.starts_with("aws.kms.") || t.starts_with("aws.logs.")
    }));
    let (_, severe, _) = listed(&["--severity", "CRITICAL"]);
    assert!(!severe.is_empty() && severe.len() < all.len());
    assert!(severe.iter().all(|r| r["severity"] == "critical"));
    let (_, control, _) = listed(&["--framework", "SOC2:cc6.1"]);
    assert!(!control.is_empty());
    assert!(control.iter().all(|r| {
        r["frameworks"]["soc2"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "CC6.1")
    }));
    let (_, either, _) = listed(&["--framework", "hipaa", "--framework", "gdpr"]);
    assert!(
        either.iter().all(
            |r| r["frameworks"].get("hipaa").is_some() || r["frameworks"].get("gdpr").is_some()
        )
    );
}

#[test]
fn a_filter_matching_nothing_is_an_error_not_an_empty_scan() {
    let (code, _, stderr) = listed(&["--rule", "s3-bucket-versionin"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("did you mean `s3-bucket-versioning-enabled`"),
        "{stderr}"
    );
    let scan = posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--service",
            "ec3",
        ])
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&scan.stderr);
    assert!(
        stderr.contains("--service `ec3`: no loaded rule reads it"),
        "{stderr}"
    );
}

#[test]
fn scan_evaluates_only_the_selected_rules() {
    let (_, report) = example_report(&["--service", "dynamodb", "--severity", "high,critical"]);
    let rules = report["rules"].as_array().unwrap();
    assert!(!rules.is_empty());
    for rule in rules {
        assert!(
            rule["resource_type"]
                .as_str()
                .unwrap()
                .starts_with("aws.dynamodb.")
        );
        assert!(rule["severity"] == "high" || rule["severity"] == "critical");
    }
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| rules.iter().any(|r| r["id"] == f["rule_id"]))
    );
}

#[test]
fn a_framework_of_ones_own_maps_selects_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let rule =
        std::fs::read_to_string(super::root().join("rules/s3/s3-bucket-versioning-enabled.yaml"))
            .unwrap()
            .replacen("frameworks:\n", "frameworks:\n  iso27001: [A.8.13]\n", 1);
    assert!(rule.contains("iso27001"));
    super::write(dir.path(), "versioning.yaml", &rule);
    let run = posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--format",
            "json",
            "--rules",
        ])
        .arg(dir.path())
        .args(["--framework", "ISO27001:a.8.13"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&run.stderr)));
    let rules = report["rules"].as_array().unwrap();
    assert_eq!(ids(rules), ["s3-bucket-versioning-enabled"]);
    assert!(report["summary"]["by_framework"]["iso27001"]["A.8.13"].is_object());
}

#[test]
fn resource_filters_judge_only_matching_resources_and_still_read_the_rest() {
    let (full_code, full) = example_report(&[]);
    let (code, report) = example_report(&["--resource-arn", "arn:aws:iam::*:role/admin-*"]);
    assert_eq!((full_code, code), (Some(1), Some(1)));
    let arns: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["arn"].as_str().unwrap())
        .collect();
    assert_eq!(
        arns.into_iter().collect::<Vec<_>>(),
        ["arn:aws:iam::111122223333:role/admin-role"],
        "only the focused role is judged"
    );
    // The role's verdict needs the policies attached to it: other documents are still read.
    let verdict = |r: &serde_json::Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["rule_id"] == "iam-principal-no-admin"
                    && f["resource"]["arn"] == "arn:aws:iam::111122223333:role/admin-role"
            })
            .map(|f| (f["status"].clone(), f["reasons"].clone()))
    };
    assert_eq!(verdict(&report), verdict(&full));
    assert_eq!(verdict(&report).unwrap().0, "FAIL");
    let focus = &report["source"]["focus"];
    assert_eq!(focus["arns"][0], "arn:aws:iam::*:role/admin-*");
    assert_eq!(focus["resources_in_focus"], 1);
    assert_eq!(
        report["source"]["resource_count"],
        full["source"]["resource_count"]
    );
    // A rule with nothing in focus says so rather than passing.
    let s3 = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "s3-bucket-versioning-enabled")
        .unwrap();
    assert_eq!(s3["outcome"], "NO_RESOURCES");
}

#[test]
fn resource_tags_must_all_match() {
    let (_, report) = example_report(&[
        "--resource-tag",
        "DataClassification=confidential",
        "--resource-tag",
        "RetentionClass",
    ]);
    let arns: std::collections::BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["arn"].as_str().unwrap().to_string())
        .collect();
    assert!(
        arns.contains("arn:aws:dynamodb:eu-west-1:111122223333:table/orders"),
        "{arns:?}"
    );
    assert!(
        !arns.iter().any(|a| a.contains("table/sessions")),
        "the other class is out of focus: {arns:?}"
    );
    let run = posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--resource-tag", "=prod"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("has no key"));
}
