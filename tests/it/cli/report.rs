//! The JSON report: its content on the example account, and reproducibility.

use serde_json::Value;

fn json_report(extra: &[&str]) -> Value {
    let (code, report) = super::example_report(extra);
    assert_eq!(code, Some(1), "the example account has failures");
    report
}

#[test]
fn report_on_the_example_account() {
    let report = json_report(&[]);
    insta::assert_json_snapshot!(report, {
        ".started_at" => "[time]",
        ".finished_at" => "[time]",
        ".tool.version" => "[version]",
        ".tool.commit" => "[commit]",
    });
}

#[test]
fn report_is_byte_identical_across_runs_apart_from_times() {
    let dir = tempfile::tempdir().unwrap();
    let mut texts = Vec::new();
    for name in ["a.json", "b.json"] {
        let path = dir.path().join(name);
        super::posture()
            .args([
                "scan",
                "--inventory",
                "fixtures/example-account.json",
                "--format",
                "json",
                "--include-pass",
                "--output",
            ])
            .arg(&path)
            .assert()
            .code(1);
        let text = std::fs::read_to_string(&path).unwrap();
        let strip = |t: &str| {
            t.lines()
                .filter(|l| !l.contains("\"started_at\"") && !l.contains("\"finished_at\""))
                .collect::<Vec<_>>()
                .join("\n")
        };
        texts.push(strip(&text));
    }
    assert_eq!(texts[0], texts[1]);
    assert!(
        texts[0].contains("\"status\": \"PASS\""),
        "--include-pass carries passing findings"
    );
}

#[test]
fn report_records_rule_digests_and_evidence() {
    let report = json_report(&[]);
    let files = report["rule_files"].as_array().unwrap();
    assert!(files.len() >= 38, "every rule file and data file is listed");
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "builtin:rules/lambda/runtimes.data.yaml"),
        "data files are digested too"
    );
    use sha2::Digest;
    for f in files {
        // The built-in pack is the rules/ directory the binary was built from.
        let path = f["path"]
            .as_str()
            .unwrap()
            .replace("builtin:rules/", "rules/");
        let bytes = std::fs::read(super::root().join(path)).unwrap();
        assert_eq!(f["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    }
    // The pack digest, recomputed from the files on disk: each path and its digest, in order.
    let rules_dir = super::root().join("rules");
    let mut on_disk: Vec<String> = walkdir::WalkDir::new(&rules_dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(&rules_dir)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    on_disk.sort();
    let mut pack = sha2::Sha256::new();
    for rel in &on_disk {
        let bytes = std::fs::read(rules_dir.join(rel)).unwrap();
        pack.update(format!(
            "{rel}\0{}\n",
            hex::encode(sha2::Sha256::digest(&bytes))
        ));
    }
    assert_eq!(
        report["builtin_pack"]["sha256"],
        hex::encode(pack.finalize())
    );
    assert!(
        report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["origin"] == "builtin"
                && r["file"].as_str().unwrap().starts_with("builtin:rules/"))
    );
    let legacy = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule_id"] == "s3-audit-bucket-object-lock"
                && f["resource"]["name"] == "acme-audit-legacy"
        })
        .expect("legacy audit bucket fails");
    assert_eq!(
        legacy["evidence"]["object_lock.default_retention.mode"],
        "GOVERNANCE"
    );
    assert_eq!(legacy["evidence"]["tags.DataClassification"], "audit");
    assert_eq!(legacy["rule_version"], 1);
}

/// Reports get the mode any tool's output gets (0666 less the umask), not 0600: the CI job and
/// the auditor read them, not only the user who ran the scan.
#[cfg(unix)]
#[test]
fn reports_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("posture");
    for (umask, expected) in [("022", 0o644), ("077", 0o600)] {
        let out_dir = dir.path().join(format!("out-{umask}"));
        let status = std::process::Command::new("sh")
            .current_dir(super::root())
            .arg("-c")
            .arg(format!(
                "umask {umask}; exec \"$0\" scan --inventory fixtures/example-account.json --format json --format sarif --output-dir \"$1\" -q",
            ))
            .arg(&binary)
            .arg(&out_dir)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1));
        let written: Vec<_> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!written.is_empty());
        for path in written {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, expected, "{} under umask {umask}", path.display());
        }
    }
}
