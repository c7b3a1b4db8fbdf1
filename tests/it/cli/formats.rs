//! Every renderer over the same findings (the example account with the example suppressions),
//! each checked by a snapshot and by a parser or schema of its own format.

use std::path::{Path, PathBuf};

use serde_json::Value;

pub const SUPPRESSIONS: &str = "tests/data/suppressions/example.yaml";

/// Scans the example account into `dir` in every file format; returns the directory.
fn all_formats(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = super::posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--suppressions",
            SUPPRESSIONS,
        ])
        .args(["--format", "json", "--format", "sarif", "--format", "junit"])
        .args(["--format", "csv", "--format", "markdown", "--output-dir"])
        .arg(dir)
        .args(extra)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "file formats stay off stdout");
    dir.to_path_buf()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

#[test]
fn output_dir_writes_one_file_per_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = all_formats(&tmp.path().join("out"), &[]);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "report.csv",
            "report.json",
            "report.junit.xml",
            "report.md",
            "report.sarif"
        ]
    );
}

#[test]
fn sarif_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = all_formats(tmp.path(), &[]);
    let sarif = json_file(&dir.join("report.sarif"));
    insta::assert_json_snapshot!(sarif, {
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
        ".runs[].tool.driver.properties.commit" => "[commit]",
    });
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = all_formats(tmp.path(), &[]);
    let sarif = json_file(&dir.join("report.sarif"));
    let schema = json_file(&super::root().join("tests/data/sarif-2.1.0.json"));
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // What GitHub code scanning needs beyond the schema: a physical location on every result,
    // and a rule for every ruleId.
    let run = &sarif["runs"][0];
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let loc = &r["locations"][0];
        assert!(
            loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("rules/") && u.ends_with(".yaml")),
            "{r}"
        );
        assert_eq!(loc["physicalLocation"]["region"]["startLine"], 1);
        assert!(
            loc["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .is_some_and(|a| a.starts_with("arn:aws:"))
        );
        assert!(rule_ids.contains(&r["ruleId"].as_str().unwrap()));
    }
    let suppressed = results
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .count();
    assert_eq!(
        suppressed, 2,
        "the two active suppressions are SARIF suppressions"
    );
}

#[test]
fn junit_snapshot_and_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = all_formats(tmp.path(), &[]);
    let xml = read(&dir, "report.junit.xml");
    insta::assert_snapshot!("junit", xml);
    let report = json_file(&dir.join("report.json"));
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
    let s = &report["summary"]["findings"];
    assert_eq!(count("failure") as u64, s["fail"].as_u64().unwrap());
    assert_eq!(count("error") as u64, s["error"].as_u64().unwrap());
    assert_eq!(count("skipped") as u64, s["suppressed"].as_u64().unwrap());
    assert_eq!(count("skipped"), 2);
    assert!(count("failure") > 0);
    assert_eq!(
        root.attribute("failures"),
        Some(count("failure").to_string().as_str())
    );
    let suites = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .count();
    assert_eq!(suites, report["rules"].as_array().unwrap().len());
    let skipped = doc
        .descendants()
        .find(|n| n.has_tag_name("skipped"))
        .unwrap();
    assert!(
        skipped
            .attribute("message")
            .is_some_and(|m| m.contains("until 2026-12-31") && m.contains("Debug logs")),
        "{:?}",
        skipped.attribute("message")
    );
}

#[test]
fn csv_snapshot_and_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = all_formats(tmp.path(), &["--include-pass"]);
    let text = read(&dir, "report.csv");
    let report = json_file(&dir.join("report.json"));
    let findings = report["findings"].as_array().unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "rule_id",
            "rule_version",
            "severity",
            "status",
            "account",
            "region",
            "resource_type",
            "resource_arn",
            "resource_name",
            "reasons",
            "frameworks",
            "suppression_justification"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(findings) {
        assert_eq!(&row[0], f["rule_id"].as_str().unwrap());
        assert_eq!(&row[3], f["status"].as_str().unwrap());
        assert_eq!(&row[7], f["resource"]["arn"].as_str().unwrap());
        let reasons: Vec<&str> = f["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(&row[9], reasons.join("; "));
        assert_eq!(
            &row[11],
            f["suppression"]["justification"].as_str().unwrap_or("")
        );
    }
    assert!(rows.iter().any(|r| &r[3] == "PASS"));
    // The snapshot holds the failing rows only, to stay readable.
    let failing: Vec<&str> = text.lines().filter(|l| !l.contains(",PASS,")).collect();
    insta::assert_snapshot!("csv", failing.join("\n"));
}

#[test]
fn markdown_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = all_formats(tmp.path(), &[]);
    let md = read(&dir, "report.md");
    assert!(md.contains("| `s3-audit-bucket-object-lock` | critical |"));
    insta::assert_snapshot!("markdown", md);
}

#[test]
fn markdown_alone_goes_to_stdout_for_the_step_summary() {
    super::posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicates::str::starts_with("## posture: "));
}

#[test]
fn output_file_takes_exactly_one_file_format() {
    let tmp = tempfile::tempdir().unwrap();
    super::posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--format", "json", "--format", "sarif", "--output"])
        .arg(tmp.path().join("r.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--output-dir"));
    super::posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--format", "csv", "--format", "sarif"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("would all go to stdout"));
    // table with one file format: the table on stdout, the file where --output says.
    let file = tmp.path().join("r.sarif");
    super::posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--format", "table", "--format", "sarif", "--output"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("acme-audit-legacy"));
    assert_eq!(json_file(&file)["version"], "2.1.0");
}

#[test]
fn output_dir_refuses_a_file_name() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("report.json");
    super::posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--format", "json", "-o"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("use --output"));
    assert!(!path.exists());
}

#[test]
fn config_sets_formats_output_dir_and_suppressions() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("evidence");
    let config = super::write(
        tmp.path(),
        "posture.toml",
        &format!(
            "formats = [\"json\", \"junit\"]\noutput_dir = {:?}\nsuppressions = {:?}\n",
            out_dir.display().to_string(),
            super::root().join(SUPPRESSIONS).display().to_string()
        ),
    );
    super::posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--config",
        ])
        .arg(&config)
        .assert()
        .code(1);
    let report = json_file(&out_dir.join("report.json"));
    assert_eq!(report["summary"]["findings"]["suppressed"], 2);
    assert!(out_dir.join("report.junit.xml").is_file());
    assert!(!out_dir.join("report.sarif").exists());
    // A flag wins over the config: --format csv --output FILE writes only that file.
    let file = tmp.path().join("only.csv");
    super::posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--config",
        ])
        .arg(&config)
        .args(["--format", "csv", "--output"])
        .arg(&file)
        .assert()
        .code(1);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("rule_id,")
    );
}

#[test]
fn config_rejects_unknown_keys_with_a_line() {
    let tmp = tempfile::tempdir().unwrap();
    let config = super::write(
        tmp.path(),
        "posture.toml",
        "formats = [\"json\"]\noutput_directory = \"x\"\n",
    );
    super::posture()
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--config",
        ])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("output_directory"))
        .stderr(predicates::str::contains("line 2"));
}

/// When no table reaches the terminal, one line on stderr still says how the scan went and
/// where the reports are; -q silences it, and a table on stdout makes it redundant.
#[test]
fn a_scan_writing_only_files_says_how_it_went_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let run = |extra: &[&str]| {
        super::posture()
            .args(["scan", "--inventory", "fixtures/example-account.json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let quiet_file = run(&["--format", "json", "--output", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&quiet_file.stderr);
    let line = regex::Regex::new(
        r"(?m)^posture: \d+ rules over 79 resources: \d+ passed, \d+ failed, \d+ errors; wrote .*r\.json$",
    )
    .unwrap();
    assert!(line.is_match(&stderr), "{stderr}");
    let silenced = run(&["--format", "json", "--output", out.to_str().unwrap(), "-q"]);
    assert!(!String::from_utf8_lossy(&silenced.stderr).contains("posture:"));
    let table = run(&[]);
    assert!(!String::from_utf8_lossy(&table.stderr).contains("posture:"));
}

#[test]
fn output_dash_is_stdout() {
    let run = super::posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--format", "json", "--output", "-"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&run.stdout).expect("the JSON report on stdout");
    assert!(report["rules"].is_array());
    assert!(!std::path::Path::new("-").exists(), "no file named -");
}
