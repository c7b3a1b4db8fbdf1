//! The rule pack compiled into the binary: posture works from a directory with no rules, an
//! exported and edited pack replaces the built-in rules it redefines, and the report says
//! where every rule came from.

use serde_json::Value;

fn example() -> String {
    super::root()
        .join("fixtures/example-account.json")
        .display()
        .to_string()
}

/// The binary run from an empty directory, far from the checkout's `rules/`.
fn elsewhere(dir: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = super::posture();
    cmd.current_dir(dir);
    cmd
}

fn json_report(dir: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let out = dir.join("report.json");
    let run = elsewhere(dir)
        .args([
            "scan",
            "--inventory",
            &example(),
            "--format",
            "json",
            "--output",
        ])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    let code = run.status.code().unwrap();
    assert!(
        out.exists(),
        "no report: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    (code, report)
}

#[test]
fn every_command_works_from_a_directory_without_rules() {
    let dir = tempfile::tempdir().unwrap();
    let listed = elsewhere(dir.path())
        .args(["rules", "list"])
        .output()
        .unwrap();
    assert!(listed.status.success());
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(listed.contains("s3-audit-bucket-object-lock"), "{listed}");
    let tested = elsewhere(dir.path())
        .args(["rules", "test"])
        .output()
        .unwrap();
    let tested = String::from_utf8(tested.stdout).unwrap();
    assert!(tested.contains(" 0 failed"), "{tested}");
    assert!(!tested.contains("warning"), "{tested}");
    let explained = elsewhere(dir.path())
        .args(["explain", "iam-principal-no-privilege-escalation"])
        .output()
        .unwrap();
    assert!(explained.status.success());
    let policy = elsewhere(dir.path()).arg("iam-policy").output().unwrap();
    assert!(
        String::from_utf8(policy.stdout)
            .unwrap()
            .contains("iam:GetAccountAuthorizationDetails")
    );
    let (code, report) = json_report(dir.path(), &[]);
    assert_eq!(code, 1, "the example account has failures");
    assert!(report["rules"].as_array().unwrap().len() >= 40);
    assert_eq!(report["builtin_pack"]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn an_exported_rule_edited_and_loaded_replaces_the_builtin_one() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    let exported = elsewhere(dir.path())
        .args(["rules", "export"])
        .arg(&pack)
        .output()
        .unwrap();
    assert!(exported.status.success());
    let again = elsewhere(dir.path())
        .args(["rules", "export"])
        .arg(&pack)
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(2),
        "an export never overwrites by default"
    );

    // Edit one rule in a directory of its own: a new version of the audit-lock rule.
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    let rule = std::fs::read_to_string(pack.join("s3/s3-audit-bucket-object-lock.yaml")).unwrap();
    let edited = rule.replacen(
        "id: s3-audit-bucket-object-lock\n",
        "id: s3-audit-bucket-object-lock\nversion: 99\n",
        1,
    );
    assert_ne!(edited, rule);
    std::fs::write(mine.join("lock.yaml"), edited).unwrap();

    let (_, report) = json_report(dir.path(), &["--rules", mine.to_str().unwrap()]);
    let rules = report["rules"].as_array().unwrap();
    let lock = rules
        .iter()
        .find(|r| r["id"] == "s3-audit-bucket-object-lock")
        .unwrap();
    assert_eq!(lock["version"], 99);
    assert_eq!(lock["origin"], "file");
    assert!(lock["file"].as_str().unwrap().ends_with("mine/lock.yaml"));
    assert_eq!(
        rules
            .iter()
            .filter(|r| r["id"] == "s3-audit-bucket-object-lock")
            .count(),
        1
    );
    assert!(
        rules
            .iter()
            .filter(|r| r["id"] != "s3-audit-bucket-object-lock")
            .all(|r| r["origin"] == "builtin")
    );
    assert_eq!(
        report["builtin_pack"]["replaced"],
        serde_json::json!(["s3-audit-bucket-object-lock"])
    );

    // Only the user's rules: one rule, no built-in pack in the report.
    let (_, only) = json_report(
        dir.path(),
        &["--no-builtin-rules", "--rules", mine.to_str().unwrap()],
    );
    assert_eq!(only["rules"].as_array().unwrap().len(), 1);
    assert!(only.get("builtin_pack").is_none());

    // The whole exported pack is the built-in pack, rule for rule.
    let (_, exported) = json_report(
        dir.path(),
        &["--no-builtin-rules", "--rules", pack.to_str().unwrap()],
    );
    let (_, builtin) = json_report(dir.path(), &[]);
    assert_eq!(exported["findings"], builtin["findings"]);
}

#[test]
fn no_builtin_rules_without_rule_files_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = elsewhere(dir.path())
        .args(["scan", "--inventory", &example(), "--no-builtin-rules"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--no-builtin-rules needs rule files"));
}
