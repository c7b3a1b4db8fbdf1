//! The bundled rule pack validates, and every rule's tests file passes.

use std::path::PathBuf;

use posture::catalog::Catalog;

#[test]
fn every_rule_has_passing_tests() {
    let rules_dir = super::root().join("rules");
    let set = posture::rules::load(std::slice::from_ref(&rules_dir), Catalog::builtin())
        .expect("readable")
        .expect("valid rules");
    let run = posture::ruletest::run(&[rules_dir], &set).expect("tests files load");
    assert!(
        run.failures.is_empty(),
        "failing rule tests: {:#?}",
        run.failures
    );
    assert!(
        run.untested_rules.is_empty(),
        "rules without tests: {:?}",
        run.untested_rules
    );
    assert!(
        run.cases >= set.rules.len() * 3,
        "expected at least 3 cases per rule, got {}",
        run.cases
    );
}

#[test]
fn rules_test_command_reports_a_broken_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let rule =
        std::fs::read_to_string(super::root().join("rules/logs/logs-group-min-retention.yaml"))
            .unwrap();
    super::write(dir.path(), "logs-group-min-retention.yaml", &rule);
    super::write(
        dir.path(),
        "logs-group-min-retention.tests.yaml",
        "cases:\n  - name: wrong on purpose\n    expect: PASS\n    resource: { attributes: { retention: { never_expires: false, days: 1 } } }\n",
    );
    super::posture()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicates::str::contains("wrong on purpose"))
        .stdout(predicates::str::contains("expected PASS, got FAIL"));
    let _ = PathBuf::new();
}

/// A rule without tests is a warning, and with --strict a failure; a tested rule beside it
/// passes either way.
#[test]
fn strict_rule_tests_fail_an_untested_rule() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "logs-group-min-retention.yaml",
        "logs-group-min-retention.tests.yaml",
    ] {
        let text = std::fs::read_to_string(super::root().join("rules/logs").join(name)).unwrap();
        super::write(dir.path(), name, &text);
    }
    let untested =
        std::fs::read_to_string(super::root().join("rules/logs/logs-group-min-retention.yaml"))
            .unwrap()
            .replacen("id: logs-group-min-retention", "id: logs-untested-copy", 1);
    super::write(dir.path(), "logs-untested-copy.yaml", &untested);
    let run = |strict: bool| {
        let mut cmd = super::posture();
        cmd.args(["rules", "test", "--no-builtin-rules"])
            .arg(dir.path());
        if strict {
            cmd.arg("--strict");
        }
        cmd.output().unwrap()
    };
    let lenient = run(false);
    assert_eq!(lenient.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&lenient.stdout)
            .contains("warning: rule `logs-untested-copy` has no tests file")
    );
    let strict = run(true);
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&strict.stdout)
            .contains("error: rule `logs-untested-copy` has no tests file")
    );
}

/// Without a path, `rules test` runs the bundled pack's tests, as `rules validate` checks its rules.
#[test]
fn rules_test_without_a_path_tests_the_bundled_pack() {
    let out = super::posture().args(["rules", "test"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let cases: usize = stdout
        .split(" cases in ")
        .next()
        .and_then(|n| n.rsplit('\n').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no case count: {stdout}"));
    assert!(cases > 100, "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(!stderr.contains("has no tests file"), "{stderr}");
}

/// A test run that found no case at all is a failure, not "0 passed, 0 failed".
#[test]
fn rules_test_with_no_case_fails() {
    let dir = tempfile::tempdir().unwrap();
    let rule =
        std::fs::read_to_string(super::root().join("rules/logs/logs-group-min-retention.yaml"))
            .unwrap();
    super::write(dir.path(), "logs-group-min-retention.yaml", &rule);
    super::posture()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no test case found"));
}

#[test]
fn explain_prints_rule_documentation() {
    super::posture()
        .args(["explain", "s3-audit-bucket-object-lock"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("min_retention_days = 2555"))
        .stdout(predicates::str::contains("fsbp: S3.15"))
        .stdout(predicates::str::contains("Remediation:"));
    super::posture()
        .args(["explain", "s3-audit-bucket-objectlock"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean"));
}

#[test]
fn catalog_command_lists_types_and_attributes() {
    super::posture()
        .args(["catalog", "aws.s3.bucket"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "object_lock.default_retention.days: integer (days)",
        ))
        .stdout(predicates::str::contains(
            "s3:GetBucketObjectLockConfiguration",
        ));
    super::posture()
        .arg("catalog")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("aws.secretsmanager.secret"));
}

#[test]
fn readme_rule_list_matches_the_rule_files() {
    let readme = std::fs::read_to_string(super::root().join("README.md")).unwrap();
    let start = readme.find("<!-- rules:begin -->\n").expect("begin marker")
        + "<!-- rules:begin -->\n".len();
    let end = readme.find("<!-- rules:end -->").expect("end marker");
    let out = super::posture()
        .args(["rules", "list", "--markdown"])
        .output()
        .unwrap();
    assert_eq!(
        readme[start..end].trim(),
        String::from_utf8(out.stdout).unwrap().trim(),
        "README rule list is stale: paste `posture rules list --markdown` between the markers"
    );
}

/// The example account's IAM facts are what the analyzer derives from its statements, so the
/// fixture does not show a reader facts posture would never produce (posture recomputes them
/// on load in any case).
#[test]
fn example_account_iam_facts_match_the_analyzer() {
    let text =
        std::fs::read_to_string(super::root().join("fixtures/example-account.json")).unwrap();
    let inventory = posture::inventory::Inventory::from_json(&text).unwrap();
    let mut checked = 0;
    for doc in inventory
        .resources
        .iter()
        .filter(|d| d.resource_type == "aws.iam.policy")
    {
        let statements = doc.attributes["policy"]["statements"].as_array().unwrap();
        assert_eq!(
            posture::derived::iam::policy_analysis(
                statements,
                time::macros::datetime!(2026-06-01 08:00 UTC)
            ),
            doc.attributes["analysis"],
            "{}",
            doc.arn
        );
        checked += 1;
    }
    assert!(checked >= 4);
}

#[test]
fn iam_policy_follows_the_loaded_rules() {
    let out = super::posture()
        .args(["iam-policy", "--no-builtin-rules", "--rules", "rules/iam"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"iam:GetAccountAuthorizationDetails")
            && actions.contains(&"sts:GetCallerIdentity")
    );
    assert!(
        actions
            .iter()
            .all(|a| a.starts_with("iam:") || a.starts_with("sts:")),
        "{actions:?}"
    );
    let full = super::posture().arg("iam-policy").output().unwrap();
    let policy: serde_json::Value = serde_json::from_slice(&full.stdout).unwrap();
    let actions = policy["Statement"][0]["Action"].as_array().unwrap();
    let read = regex::Regex::new(r"^[a-z0-9]+:(List|Get|Describe)[A-Za-z]+$").unwrap();
    for action in actions {
        let action = action.as_str().unwrap();
        assert!(read.is_match(action), "{action} is not a read action");
        assert!(
            ![
                "secretsmanager:GetSecretValue",
                "ssm:GetParameter",
                "ssm:GetParameters"
            ]
            .contains(&action)
        );
    }
}

#[test]
fn live_flags_are_validated_before_any_call() {
    super::posture()
        .args([
            "scan",
            "--regions",
            "all,eu-west-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--regions all cannot be combined",
        ));
    super::posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--profile",
            "prod",
        ])
        .assert()
        .code(2);
    // A malformed region is one error before any request (port 9 would refuse every call),
    // not one ERROR per rule.
    let run = super::posture()
        .args([
            "scan",
            "--regions",
            "eu-west-1,euwest-2",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("`euwest-2` is not an AWS region name")
            && stderr.contains("did you mean `eu-west-2`?"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("eu-west-1`"),
        "only the bad one is named: {stderr}"
    );
}

#[test]
fn iam_policy_adds_list_regions_only_for_all_regions() {
    let actions = |args: &[&str]| -> Vec<String> {
        let out = super::posture().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let policy: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        policy["Statement"][0]["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    let default = actions(&["iam-policy"]);
    let all = actions(&["iam-policy", "--all-regions"]);
    assert!(!default.iter().any(|a| a == "account:ListRegions"));
    assert!(all.iter().any(|a| a == "account:ListRegions"));
    assert_eq!(all.len(), default.len() + 1);
}

/// A rule pack carries its own escalation catalog: adding a path is one YAML entry, no rebuild.
/// The pack's catalog replaces the built-in one, is listed with the rule files, and a broken
/// one is an error at its entry.
#[test]
fn a_rule_pack_brings_its_own_escalation_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let rule = std::fs::read_to_string(
        super::root().join("rules/iam/iam-principal-no-privilege-escalation.yaml"),
    )
    .unwrap();
    super::write(
        dir.path(),
        "iam-principal-no-privilege-escalation.yaml",
        &rule,
    );
    let catalog = super::write(
        dir.path(),
        "escalation-paths.data.yaml",
        "- id: custom-delete-buckets\n  actions: [s3:DeleteBucket]\n  target: any\n  source: https://example.com/our-threat-model\n",
    );
    let scan = |dir: &std::path::Path| {
        let out = super::posture()
            .args([
                "scan",
                "--inventory",
                "fixtures/example-account.json",
                "--format",
                "json",
                "--no-builtin-rules",
                "--rules",
            ])
            .arg(dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, stdout, stderr) = scan(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let failing: Vec<(String, serde_json::Value)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .map(|f| {
            (
                f["resource"]["arn"].as_str().unwrap().to_string(),
                f["evidence"]["permissions.privilege_escalation_paths"].clone(),
            )
        })
        .collect();
    // The admin role can delete buckets; the CI role's PassRole + Lambda path is not in this
    // pack's catalog, so it is not reported.
    assert!(
        failing
            .iter()
            .any(|(arn, paths)| arn.ends_with(":role/admin-role")
                && *paths == serde_json::json!(["custom-delete-buckets"])),
        "{failing:?}"
    );
    assert!(
        !failing
            .iter()
            .any(|(arn, _)| arn.ends_with(":role/ci-deployer")),
        "{failing:?}"
    );
    assert!(
        report["rule_files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"]
                .as_str()
                .unwrap()
                .ends_with("escalation-paths.data.yaml")),
        "the catalog's digest is in the report"
    );

    std::fs::write(
        &catalog,
        "- id: ok\n  actions: [s3:DeleteBucket]\n  target: any\n  source: s\n- id: broken\n  actions: [s3:*]\n  target: any\n  source: s\n",
    )
    .unwrap();
    let (code, _, stderr) = scan(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("escalation-paths.data.yaml:5"), "{stderr}");
    assert!(stderr.contains("not an action name"), "{stderr}");
}

/// The two credential mistakes people make first get a hint saying what was tried and what to
/// do, not only the SDK's words.
#[test]
fn credential_failures_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let config = super::write(dir.path(), "config", "[profile real]\nregion = us-east-1\n");
    let scan = |extra: &[&str]| {
        let run = super::posture()
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_CONFIG_FILE", &config)
            .args([
                "scan",
                "--region",
                "us-east-1",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "no account reachable");
        String::from_utf8_lossy(&run.stderr).into_owned()
    };
    // Checked before any request: one error naming the defined profiles, with a did-you-mean.
    let unknown = scan(&["--profile", "reel"]);
    assert!(
        unknown.contains("profile `reel` is not defined in the AWS config or credentials files (defined: real); did you mean `real`?"),
        "{unknown}"
    );
    assert!(unknown.contains("aws configure list-profiles"), "{unknown}");
    assert!(
        !unknown.contains("collecting"),
        "no banner: nothing was attempted: {unknown}"
    );
    let none = scan(&[]);
    assert!(none.contains("no credentials were found"), "{none}");
    assert!(none.contains("--inventory FILE"), "{none}");
    // With credentials, a refused endpoint says what to check.
    let refused = super::posture()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["scan", "--region", "us-east-1", "--max-attempts", "1"])
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let refused = String::from_utf8_lossy(&refused.stderr);
    assert!(
        refused.contains("hint: the endpoint could not be reached"),
        "{refused}"
    );
}
