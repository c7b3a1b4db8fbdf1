//! The compliance view (`--group-by framework`) and framework files: control titles from the
//! built-in pack and from a team's own, verdicts that follow the rules', errors at a position.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{example_report, posture, write};

/// Control verdicts as the JSON report's rules imply them: the worst rule outcome wins.
fn expected_verdicts(report: &Value) -> BTreeMap<(String, String), String> {
    let rank = |o: &str| {
        [
            "FAIL",
            "ERROR",
            "SUPPRESSED",
            "PASS",
            "NOT_APPLICABLE",
            "NO_RESOURCES",
        ]
        .iter()
        .position(|x| *x == o)
        .unwrap()
    };
    let mut out: BTreeMap<(String, String), String> = BTreeMap::new();
    for rule in report["rules"].as_array().unwrap() {
        let outcome = rule["outcome"].as_str().unwrap();
        for (framework, controls) in rule["frameworks"].as_object().unwrap() {
            for control in controls.as_array().unwrap() {
                let key = (framework.clone(), control.as_str().unwrap().to_string());
                let slot = out.entry(key).or_insert_with(|| outcome.to_string());
                if rank(outcome) < rank(slot) {
                    *slot = outcome.to_string();
                }
            }
        }
    }
    out
}

#[test]
fn the_framework_view_gives_each_control_its_worst_rule_outcome_and_title() {
    let (_, report) = example_report(&[]);
    let expected = expected_verdicts(&report);
    assert!(expected.values().any(|v| v == "FAIL"), "{expected:?}");
    assert!(expected.values().any(|v| v == "PASS"), "{expected:?}");
    let run = posture()
        .env("COLUMNS", "80")
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--group-by", "framework"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let text = String::from_utf8(run.stdout).unwrap();
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line}");
    }
    assert!(
        text.contains("SOC 2 Trust Services Criteria"),
        "framework names come from the built-in framework files: {text}"
    );
    assert!(
        text.contains("Logical access controls protect information assets"),
        "{text}"
    );
    // Every control line: two spaces, the verdict padded to 13, a space, the control id.
    // A heading ends `[id]: N controls (...)`, wrapped anywhere before or after the id.
    let heading = regex::Regex::new(r"\[([a-z0-9-]+)\]:").unwrap();
    let mut framework = String::new();
    let mut seen = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") {
            let verdict = line[2..15].trim().to_string();
            let control = line[16..].trim().to_string();
            seen.insert((framework.clone(), control), verdict);
        } else if let Some(id) = (!line.starts_with(' '))
            .then(|| heading.captures(line))
            .flatten()
        {
            framework = id[1].to_string();
        }
    }
    let differ: Vec<_> = seen
        .iter()
        .filter(|(k, v)| expected.get(*k) != Some(*v))
        .chain(expected.iter().filter(|(k, _)| !seen.contains_key(*k)))
        .collect();
    assert!(differ.is_empty(), "{differ:?}\n{text}");
}

#[test]
fn the_report_carries_the_titles_of_the_mapped_controls_only() {
    let (_, report) = example_report(&[]);
    let soc2 = &report["frameworks"]["soc2"];
    assert!(
        soc2["title"].as_str().unwrap().starts_with("SOC 2"),
        "{soc2}"
    );
    let mapped = expected_verdicts(&report);
    for control in soc2["controls"].as_object().unwrap().keys() {
        assert!(
            mapped.contains_key(&("soc2".to_string(), control.clone())),
            "{control} is not mapped by any rule but is listed"
        );
    }
    assert!(soc2["controls"]["CC6.1"].is_string(), "{soc2}");
}

const OWN_RULE: &str = r#"
id: own-bucket-versioning
title: Buckets keep versions
severity: medium
resource: aws.s3.bucket
assert:
  versioning.status: { equals: Enabled }
frameworks:
  acme-policy: ["POL-7"]
rationale: Recovery.
remediation: Enable versioning.
"#;

#[test]
fn a_teams_framework_file_names_its_framework_and_controls() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("frameworks")).unwrap();
    write(dir.path(), "own.yaml", OWN_RULE);
    write(
        &dir.path().join("frameworks"),
        "acme.yaml",
        "framework: acme-policy\ntitle: ACME data policy\ncontrols:\n  POL-7: Data can be recovered\n",
    );
    let rules = dir.path().to_str().unwrap().to_string();
    let (_, report) = example_report(&["--rules", &rules, "--no-builtin-rules"]);
    assert_eq!(
        report["frameworks"]["acme-policy"]["title"],
        "ACME data policy"
    );
    assert_eq!(
        report["frameworks"]["acme-policy"]["controls"]["POL-7"],
        "Data can be recovered"
    );
    assert!(
        report["rule_files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"]
                .as_str()
                .unwrap()
                .ends_with("frameworks/acme.yaml")),
        "the framework file's digest is recorded: {}",
        report["rule_files"]
    );
    let run = posture()
        .env("COLUMNS", "100")
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args([
            "--rules",
            &rules,
            "--no-builtin-rules",
            "--group-by",
            "framework",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(text.contains("ACME data policy [acme-policy]"), "{text}");
    assert!(text.contains("Data can be recovered"), "{text}");
}

#[test]
fn a_bad_framework_file_is_an_error_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("frameworks")).unwrap();
    write(dir.path(), "own.yaml", OWN_RULE);
    write(
        &dir.path().join("frameworks"),
        "soc2.yaml",
        "framework: soc2\ncontrols:\n  CC6.1: Access\n  6.1: Not an id\n",
    );
    let run = posture()
        .args(["rules", "validate", "--no-builtin-rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.contains("soc2.yaml:4:3: error: `6.1` is not a well-formed soc2 control id"),
        "{stderr}"
    );
}

#[test]
fn a_framework_filter_scopes_the_compliance_views_to_its_controls() {
    let (_, report) = example_report(&["--framework", "HIPAA", "--framework", "gdpr:art.32"]);
    let by_framework = report["summary"]["by_framework"].as_object().unwrap();
    assert_eq!(
        by_framework.keys().collect::<Vec<_>>(),
        ["gdpr", "hipaa"],
        "{by_framework:?}"
    );
    assert_eq!(
        by_framework["gdpr"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["Art.32"]
    );
    assert!(report["frameworks"].get("soc2").is_none());
    // The rules keep every mapping they have: the report still says what else they cover.
    assert!(
        report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["frameworks"].get("soc2").is_some())
    );
}
