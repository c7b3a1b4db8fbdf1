//! The report's JSON Schema: generated from the types, committed, and obeyed by real reports.

use serde_json::Value;

fn schema_from_binary() -> String {
    let out = super::posture().arg("schema").output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn committed_schema_matches_the_generated_one() {
    let committed = std::fs::read_to_string(super::root().join("schema/report.schema.json"))
        .expect("schema/report.schema.json is committed");
    assert!(
        committed == schema_from_binary(),
        "schema/report.schema.json is stale: run `cargo run -- schema > schema/report.schema.json`"
    );
}

fn validate(report: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(&schema_from_binary()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the report schema compiles");
    validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
fn reports_validate_against_the_schema() {
    let variants: [&[&str]; 3] = [
        &[],
        &["--include-pass"],
        &["--suppressions", super::formats::SUPPRESSIONS],
    ];
    for extra in variants {
        let out = super::posture()
            .args(["scan", "--inventory", "fixtures/example-account.json"])
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        let errors = validate(&report);
        assert!(errors.is_empty(), "{extra:?}: {errors:#?}");
    }
}

#[test]
fn the_schema_rejects_what_is_not_a_report() {
    let mut report: Value = serde_json::from_slice(
        &super::posture()
            .args(["scan", "--inventory", "fixtures/example-account.json"])
            .args(["--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    report["findings"][0]["status"] = "MAYBE".into();
    report["summary"]
        .as_object_mut()
        .unwrap()
        .remove("findings");
    let errors = validate(&report);
    assert!(errors.len() >= 2, "{errors:#?}");
}

#[test]
fn report_names_the_tool_commit() {
    let out = super::posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let commit = report["tool"]["commit"].as_str().unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
}

#[test]
fn version_names_the_commit_and_build_date() {
    let out = super::posture().arg("--version").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let shape = regex::Regex::new(
        r"^posture \d+\.\d+\.\d+ \(commit ([0-9a-f]{40}|unknown), built (\d{4}-\d{2}-\d{2}|on an unknown date)\)\n$",
    )
    .unwrap();
    assert!(shape.is_match(&text), "{text:?}");
    // The same commit the reports record.
    let (_, report) = super::example_report(&[]);
    assert!(text.contains(report["tool"]["commit"].as_str().unwrap()));
}

#[test]
fn completions_and_the_man_page_cover_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = super::posture()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["scan", "no-builtin-rules", "exclude-rule"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let bad = super::posture()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let man = super::posture().arg("man").output().unwrap();
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH posture"),
        "{page:.200}"
    );
    assert!(page.contains("scan"));
    // One page per subcommand, nested ones too, with that command's own flags.
    let scan = super::posture().args(["man", "scan"]).output().unwrap();
    let scan = String::from_utf8(scan.stdout).unwrap();
    assert!(scan.contains(".TH posture-scan"), "{scan:.200}");
    assert!(scan.contains("group\\-by"), "scan's flags are on its page");
    let test = super::posture()
        .args(["man", "rules", "test"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(test.stdout)
            .unwrap()
            .contains(".TH posture-rules-test")
    );
    let bad = super::posture().args(["man", "scna"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("has no subcommand `scna`"));
}
