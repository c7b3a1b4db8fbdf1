//! Files other people wrote: each malformed or hostile input is a clear error at a position
//! (exit 2) in bounded time and memory, and a UTF-8 byte-order mark is accepted everywhere.

use std::path::Path;
use std::time::Duration;

use super::{posture, root, write};

const RULE: &str = "id: hostile-example\ntitle: t\nseverity: low\nrationale: r\nremediation: r\nresource: aws.kms.key\nassert: { rotation.enabled: { equals: true } }\n";

/// Runs posture with a time bound, returning (exit code, stdout, stderr).
fn run(args: &[&str], cwd: &Path) -> (Option<i32>, String, String) {
    let out = posture()
        .current_dir(cwd)
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn validate(dir: &Path) -> (Option<i32>, String) {
    let (code, _, stderr) = run(&["rules", "validate", "rules"], dir);
    (code, stderr)
}

fn rules_dir(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join("rules").join(name), bytes).unwrap();
    }
    dir
}

#[test]
fn a_nul_byte_is_an_error_where_it_stands_and_loads_nothing() {
    let text = format!(
        "{RULE}---\n{}\0\n",
        RULE.replace("hostile-example", "second")
    );
    let dir = rules_dir(&[("a.yaml", text.as_bytes())]);
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("rules/a.yaml:16:1: error: control character U+0000"),
        "{stderr}"
    );
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let mut bomb =
        String::from("id: bomb\nlol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let refs = vec![format!("*l{}", level - 1); 9].join(", ");
        bomb.push_str(&format!("lol{level}: &l{level} [{refs}]\n"));
    }
    let dir = rules_dir(&[("bomb.yaml", bomb.as_bytes())]);
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("aliases expand to more than"), "{stderr}");
}

#[test]
fn deep_nesting_is_an_error_not_an_abort() {
    let deep = format!("id: deep\nassert:\n  {}x\n", "- ".repeat(50_000));
    let dir = rules_dir(&[("deep.yaml", deep.as_bytes())]);
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("rules/deep.yaml:3:"), "{stderr}");
    assert!(stderr.contains("nest deeper than 64 levels"), "{stderr}");
}

#[test]
fn a_file_with_a_hundred_thousand_bad_keys_is_reported_in_seconds() {
    let keys: String = (0..100_000).map(|i| format!("key{i}: {i}\n")).collect();
    let dir = rules_dir(&[("keys.yaml", format!("{RULE}{keys}").as_bytes())]);
    let started = std::time::Instant::now();
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("unknown rule key `key0`"), "{stderr}");
    assert!(stderr.contains("more errors not shown"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_rule_file_over_the_size_limit_is_refused_and_the_limit_is_configurable() {
    let padding = "# padding\n".repeat(500_000);
    let dir = rules_dir(&[("big.yaml", format!("{RULE}{padding}").as_bytes())]);
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("larger than 4 MiB, the limit for a rule file"),
        "{stderr}"
    );
    // `rules validate` reads no config; a scan does, and a raised limit admits the file.
    write(dir.path(), "posture.toml", "[limits]\nrule_file_mib = 8\n");
    let inventory = root().join("fixtures/example-account.json");
    let (code, _, stderr) = run(
        &[
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules",
            "--inventory",
            inventory.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_ne!(code, Some(2), "{stderr}");
}

#[cfg(unix)]
#[test]
fn endless_inputs_stop_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "posture.toml",
        "rules = [\"../rules\"]\n[limits]\ninventory_mib = 2\nreport_mib = 2\n",
    );
    let rules = root().join("rules");
    let rules = rules.to_str().unwrap();
    let (code, _, stderr) = run(
        &[
            "scan",
            "--no-builtin-rules",
            "--rules",
            rules,
            "--inventory",
            "/dev/zero",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("/dev/zero: larger than 2 MiB, the limit for an inventory"),
        "{stderr}"
    );

    let inventory = root().join("fixtures/example-account.json");
    let inventory = inventory.to_str().unwrap();
    let (code, _, stderr) = run(
        &[
            "scan",
            "--no-builtin-rules",
            "--rules",
            rules,
            "--inventory",
            inventory,
            "--suppressions",
            "/dev/zero",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("larger than 4 MiB, the limit for a suppression file"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["diff", "/dev/zero", "/dev/zero"], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("larger than 2 MiB, the limit for a report"),
        "{stderr}"
    );
}

#[test]
fn empty_and_comment_only_rule_files_point_at_line_one() {
    for text in ["", "# only a comment\n", "---\n"] {
        let dir = rules_dir(&[("empty.yaml", text.as_bytes())]);
        let (code, stderr) = validate(dir.path());
        assert_eq!(code, Some(2), "{text:?}: {stderr}");
        assert!(
            stderr.contains("rules/empty.yaml:1:1: error: the file holds no rule"),
            "{text:?}: {stderr}"
        );
    }
}

#[test]
fn text_that_is_not_utf8_is_placed_at_its_byte() {
    let mut latin1 = RULE.as_bytes().to_vec();
    latin1.extend_from_slice(b"# caf\xe9\n");
    let utf16: Vec<u8> = "\u{feff}id: x\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let dir = rules_dir(&[("latin1.yaml", &latin1), ("utf16.yaml", &utf16)]);
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("rules/latin1.yaml:8:6: error: not UTF-8 text: invalid byte 0xe9"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rules/utf16.yaml:1:1: error: UTF-16 text"),
        "{stderr}"
    );
}

#[test]
fn a_byte_order_mark_is_accepted_in_every_input() {
    let bom = |text: &str| [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    let failing = RULE.replace(
        "rotation.enabled: { equals: true }",
        "rotation.period_days: { gte: 100000 }",
    );
    let dir = rules_dir(&[("kms.yaml", &bom(&failing))]);
    let inventory = std::fs::read_to_string(root().join("fixtures/example-account.json")).unwrap();
    std::fs::write(dir.path().join("inventory.json"), bom(&inventory)).unwrap();
    let suppressions = "- rule: hostile-example\n  resource: \"*\"\n  justification: accepted for the test\n  expires: 2999-01-01\n";
    std::fs::write(dir.path().join("suppressions.yaml"), bom(suppressions)).unwrap();
    std::fs::write(
        dir.path().join("posture.toml"),
        bom("fail_on = \"critical\"\n"),
    )
    .unwrap();
    let (code, stdout, stderr) = run(
        &[
            "scan",
            "--no-builtin-rules",
            "--rules",
            "rules",
            "--inventory",
            "inventory.json",
            "--suppressions",
            "suppressions.yaml",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f["status"] == "SUPPRESSED"),
        "{findings:?}"
    );
}

#[test]
fn a_second_suppression_document_is_an_error_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "s.yaml",
        "- rule: a\n  resource: \"arn:aws:s3:::x\"\n  justification: j\n  expires: 2999-01-01\n---\n- rule: b\n  resource: \"arn:aws:s3:::y\"\n  justification: j\n  expires: 2999-01-01\n",
    );
    let (code, _, stderr) = run(
        &[
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--suppressions",
            file.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("s.yaml:6:1: error: a suppression file holds one YAML document"),
        "{stderr}"
    );
}

#[test]
fn parameter_overrides_keep_integers_and_their_declared_range() {
    let bounded = RULE.replace(
        "resource: aws.kms.key\n",
        "resource: aws.logs.log_group\nparams:\n  min_days: { default: 365, min: 1, max: 3653 }\n",
    ).replace("{ rotation.enabled: { equals: true } }", "{ retention.days: { gte: $params.min_days } }");
    let dir = rules_dir(&[("bounded.yaml", bounded.as_bytes())]);
    let inventory = root().join("fixtures/example-account.json");
    let inventory = inventory.to_str().unwrap();
    let scan = |param: &str| {
        run(
            &[
                "scan",
                "--no-builtin-rules",
                "--rules",
                "rules",
                "--inventory",
                inventory,
                "--param",
                param,
            ],
            dir.path(),
        )
    };
    let (code, _, stderr) = scan("hostile-example.min_days=1.5");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("must be an integer like its default 365, found 1.5"),
        "{stderr}"
    );
    let (code, _, stderr) = scan("hostile-example.min_days=-100");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("must be between 1 and 3653, found -100"),
        "{stderr}"
    );
    let (code, _, stderr) = scan("hostile-example.min_days=30.0");
    assert_ne!(code, Some(2), "a whole number is an integer: {stderr}");

    let out_of_range = bounded.replace("default: 365", "default: 9000");
    let dir = rules_dir(&[("bounded.yaml", out_of_range.as_bytes())]);
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("the default 9000 is not between 1 and 3653"),
        "{stderr}"
    );
}

#[test]
fn an_inventory_group_of_the_wrong_shape_is_error_not_pass() {
    let text = std::fs::read_to_string(root().join("fixtures/example-account.json")).unwrap();
    let mut inventory: serde_json::Value = serde_json::from_str(&text).unwrap();
    let orders_read = "arn:aws:iam::111122223333:policy/orders-read";
    let billing = "arn:aws:lambda:eu-west-1:111122223333:function:billing";
    let admin_role = "arn:aws:iam::111122223333:role/admin-role";
    for doc in inventory["resources"].as_array_mut().unwrap() {
        // An admin role whose policy list is unusable is not a role with no policies.
        if doc["arn"] == admin_role {
            doc["attributes"]["policies"] = "none, honestly".into();
        }
        if doc["arn"] == billing {
            doc["attributes"]["configuration"] = "garbage".into();
        }
        // A lying analysis is recomputed; a policy group of the wrong shape leaves nothing to
        // compute it from.
        if doc["arn"] == orders_read {
            doc["attributes"]["analysis"]["allows_admin"] = false.into();
            doc["attributes"]["policy"] = "safe, trust me".into();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.json", &inventory.to_string());
    let (code, stdout, stderr) = run(
        &[
            "scan",
            "--inventory",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--include-pass",
        ],
        &root(),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("group `configuration` is not usable"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let status = |rule: &str, arn: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule && f["resource"]["arn"] == arn)
            .map(|f| f["status"].clone())
    };
    assert_eq!(
        status("lambda-env-no-secret-names", billing),
        Some("ERROR".into())
    );
    assert_eq!(
        status("iam-policy-no-privilege-escalation", orders_read),
        Some("ERROR".into())
    );
    assert_eq!(
        status("iam-policy-no-admin", orders_read),
        Some("ERROR".into())
    );
    assert_eq!(
        status("iam-principal-no-admin", admin_role),
        Some("ERROR".into())
    );

    let mut duplicated = inventory.clone();
    let first = duplicated["resources"][0].clone();
    duplicated["resources"].as_array_mut().unwrap().push(first);
    let path = write(dir.path(), "dup.json", &duplicated.to_string());
    let (code, _, stderr) = run(&["scan", "--inventory", path.to_str().unwrap()], &root());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("repeats"), "{stderr}");
}

#[test]
fn a_suppression_that_silences_everything_must_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let everything =
        "- rule: \"*\"\n  resource: \"*\"\n  justification: j\n  expires: 2999-01-01\n";
    let file = write(dir.path(), "all.yaml", everything);
    let scan = |file: &Path| {
        run(
            &[
                "scan",
                "--inventory",
                "fixtures/example-account.json",
                "--suppressions",
                file.to_str().unwrap(),
            ],
            &root(),
        )
    };
    let (code, _, stderr) = scan(&file);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("all.yaml:1:3: error: this entry suppresses every finding of every rule"),
        "{stderr}"
    );

    let file = write(
        dir.path(),
        "tags.yaml",
        &everything.replace("resource: \"*\"", "tags: {}"),
    );
    let (code, _, stderr) = scan(&file);
    assert_eq!(code, Some(2), "empty tags select everything too: {stderr}");

    let file = write(
        dir.path(),
        "scoped.yaml",
        &format!("{everything}  scope: all\n"),
    );
    let (code, _, stderr) = scan(&file);
    assert_eq!(code, Some(0), "{stderr}");
    let share =
        regex::Regex::new(r"suppresses (\d+) of the (\d+) FAIL and ERROR findings, more than 50 %")
            .unwrap();
    let counts = share
        .captures(&stderr)
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(counts[1], counts[2], "{stderr}");
}

#[test]
fn an_empty_inventory_is_placed_at_line_one_column_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.json", "");
    let (code, _, stderr) = run(&["scan", "--inventory", path.to_str().unwrap()], &root());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("at line 1 column 1"), "{stderr}");
}
