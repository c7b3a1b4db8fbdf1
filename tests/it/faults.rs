//! End to end under faults moto cannot produce: the real `posture` binary scans a moto account
//! through `crate::support::fault_proxy`, which answers chosen requests with `AccessDenied`, throttling
//! or 500s. What must hold: a call that could not be made makes the rules that read it ERROR
//! (never PASS) with the reason, the rest of the scan is unaffected, throttling within the retry
//! budget leaves no trace, and exit code 3 says "not every check was decided".
//!
//! The account (an account of its own in the shared moto, seeded once) holds only buckets, every one with default
//! encryption, so `s3-bucket-default-encryption` alone passes everywhere unless a fault
//! intervenes. Each test puts its own proxy, with its own fault, in front of the shared moto.

use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use crate::support::fault_proxy::{Fault, FaultProxy, Request};
use crate::support::seed::{bucket, bucket_encryption};
use crate::support::{
    REGION, TestEnv, account_config, isolated, posture_command, scan_role, seed_once,
};
use serde_json::Value;

/// This area's own moto account: it holds only the buckets below.
const ACCOUNT: &str = "200000000002";

const POSTURE: &str = env!("CARGO_BIN_EXE_posture");
const BUCKETS: &[&str] = &["e2f-denied", "e2f-throttled", "e2f-broken", "e2f-fine"];
const DEFAULT_ENCRYPTION: &str = "rules/s3/s3-bucket-default-encryption.yaml";

static SEEDED: OnceLock<()> = OnceLock::new();

/// Seeds this area's account once per test binary.
fn seeded() {
    seed_once(&SEEDED, seed_body);
}

#[test]
fn seed_account() {
    seeded();
}

async fn seed_body(env: TestEnv) {
    let config = account_config(&env.moto, ACCOUNT).await;
    for name in BUCKETS {
        bucket(
            &config,
            name,
            false,
            &[("DataClassification", "confidential")],
        )
        .await;
        bucket_encryption(&config, name, None).await;
    }
}

/// `GetBucketEncryption` of `bucket` (S3 REST: `GET /<bucket>?encryption`).
fn get_encryption(bucket: &'static str) -> impl Fn(&Request) -> bool + Send + Sync {
    move |r: &Request| {
        r.method == "GET"
            && r.path().trim_end_matches('/') == format!("/{bucket}")
            && r.query()
                .split('&')
                .any(|p| p == "encryption" || p == "encryption=")
    }
}

fn status(status: u16, code: &str) -> Fault {
    Fault::Status {
        status,
        code: code.to_string(),
        message: format!("injected {code}"),
    }
}

/// `posture scan` through `endpoint`; returns (exit code, report, the process output).
fn scan(endpoint: &str, dir: &Path, extra: &[&str]) -> (i32, Value, Output) {
    let report = dir.join("report.json");
    let role = scan_role(ACCOUNT);
    let default_target = if extra.contains(&"--role-arn") {
        Vec::new()
    } else {
        vec!["--role-arn", role.as_str()]
    };
    let output = posture_command(POSTURE)
        .args([
            "scan",
            "--endpoint-url",
            endpoint,
            "--region",
            REGION,
            "--format",
            "json",
            "--output",
            report.to_str().expect("utf-8 path"),
            "--include-pass",
            "-q",
        ])
        .args(extra)
        .args(default_target)
        .output()
        .expect("run the posture binary");
    let code = output.status.code().expect("exit code");
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| {
        panic!(
            "no report ({e}); exit {code}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (
        code,
        serde_json::from_str(&text).expect("JSON report"),
        output,
    )
}

/// The finding of `rule` on the bucket `name`.
fn finding<'a>(report: &'a Value, rule: &str, name: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource"]["name"] == name)
        .unwrap_or_else(|| panic!("no {rule} finding for {name}"))
}

fn attempts(proxy: &FaultProxy, matcher: impl Fn(&Request) -> bool) -> usize {
    proxy.requests().iter().filter(|r| matcher(r)).count()
}

#[test]
fn access_denied_on_one_call_is_an_error_for_its_rules_only() {
    seeded();
    isolated(access_denied_body);
}

async fn access_denied_body(env: TestEnv) {
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        get_encryption("e2f-denied"),
        status(403, "AccessDenied"),
        None,
    );
    let dir = tempfile::tempdir().expect("temp dir");

    // The whole pack: the denied bucket's encryption rules are ERROR, everything else decided.
    let (code, report, _) = scan(&proxy.endpoint(), dir.path(), &[]);
    assert_eq!(code, 1, "other rules fail here (versioning, ...)");
    for rule in ["s3-bucket-default-encryption", "s3-bucket-kms-encryption"] {
        let f = finding(&report, rule, "e2f-denied");
        assert_eq!(f["status"], "ERROR", "{f}");
        let reasons = f["reasons"].to_string();
        assert!(reasons.contains("AccessDenied"), "{f}");
        assert!(reasons.contains("s3:GetEncryptionConfiguration"), "{f}");
    }
    for rule in [
        "s3-bucket-versioning-enabled",
        "s3-bucket-public-access-block",
        "tags-s3-bucket-classification",
    ] {
        let f = finding(&report, rule, "e2f-denied");
        assert_ne!(f["status"], "ERROR", "{f}");
    }
    assert_eq!(
        finding(&report, "tags-s3-bucket-classification", "e2f-denied")["status"],
        "PASS"
    );
    for name in ["e2f-fine", "e2f-throttled", "e2f-broken"] {
        let f = finding(&report, "s3-bucket-default-encryption", name);
        assert_eq!(f["status"], "PASS", "{f}");
    }
    let errors = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "ERROR")
        .count();
    assert_eq!(errors, 2, "only the two encryption rules of one bucket");
    // AccessDenied is final: one attempt per scan, no retries.
    assert_eq!(attempts(&proxy, get_encryption("e2f-denied")), 1);

    // Only a rule that otherwise passes: undecided, so exit 3, not 0.
    let (code, report, _) = scan(
        &proxy.endpoint(),
        dir.path(),
        &["--no-builtin-rules", "--rules", DEFAULT_ENCRYPTION],
    );
    assert_eq!(code, 3, "{}", report["summary"]);
    assert_eq!(report["summary"]["findings"]["error"], 1);
    assert_eq!(report["summary"]["findings"]["fail"], 0);
    assert_eq!(report["rules"][0]["outcome"], "ERROR");
}

#[test]
fn throttling_within_the_retry_budget_leaves_no_error() {
    seeded();
    isolated(throttling_body);
}

async fn throttling_body(env: TestEnv) {
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        get_encryption("e2f-throttled"),
        status(503, "SlowDown"),
        Some(2),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, report, output) = scan(
        &proxy.endpoint(),
        dir.path(),
        &["--no-builtin-rules", "--rules", DEFAULT_ENCRYPTION],
    );
    assert_eq!(
        code,
        0,
        "{}\n{}",
        report["summary"],
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(report["summary"]["findings"]["error"], 0);
    let f = finding(&report, "s3-bucket-default-encryption", "e2f-throttled");
    assert_eq!(f["status"], "PASS", "{f}");
    assert_eq!(
        attempts(&proxy, get_encryption("e2f-throttled")),
        3,
        "two throttled attempts, then the one that succeeded"
    );
}

#[test]
fn server_errors_past_the_retries_are_errors_and_exit_3() {
    seeded();
    isolated(server_errors_body);
}

async fn server_errors_body(env: TestEnv) {
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        get_encryption("e2f-broken"),
        status(500, "InternalError"),
        None,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, report, _) = scan(
        &proxy.endpoint(),
        dir.path(),
        &[
            "--no-builtin-rules",
            "--rules",
            DEFAULT_ENCRYPTION,
            "--max-attempts",
            "3",
        ],
    );
    assert_eq!(code, 3, "{}", report["summary"]);
    let f = finding(&report, "s3-bucket-default-encryption", "e2f-broken");
    assert_eq!(f["status"], "ERROR", "{f}");
    assert!(f["reasons"].to_string().contains("InternalError"), "{f}");
    for name in ["e2f-fine", "e2f-denied", "e2f-throttled"] {
        let f = finding(&report, "s3-bucket-default-encryption", name);
        assert_eq!(f["status"], "PASS", "{f}");
    }
    assert_eq!(
        attempts(&proxy, get_encryption("e2f-broken")),
        3,
        "500s are retried up to --max-attempts"
    );
}

#[test]
fn an_account_that_cannot_be_reached_is_an_error_not_a_stop() {
    seeded();
    isolated(unreachable_body);
}

async fn unreachable_body(env: TestEnv) {
    // The seeded account, and one whose role cannot be assumed.
    let reachable = &scan_role(ACCOUNT);
    let denied = "arn:aws:iam::555555555555:role/e2e-scanner";
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        |r: &Request| {
            r.operation().as_deref() == Some("AssumeRole")
                && String::from_utf8_lossy(&r.body).contains("555555555555")
        },
        status(403, "AccessDenied"),
        None,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, report, _) = scan(
        &proxy.endpoint(),
        dir.path(),
        &[
            "--no-builtin-rules",
            "--rules",
            DEFAULT_ENCRYPTION,
            "--role-arn",
            denied,
            "--role-arn",
            reachable,
        ],
    );
    assert_eq!(code, 3, "{}", report["summary"]);
    for name in BUCKETS {
        let f = finding(&report, "s3-bucket-default-encryption", name);
        assert_eq!(f["status"], "PASS", "{f}");
    }
    let lost = finding(
        &report,
        "s3-bucket-default-encryption",
        &format!("role {denied}"),
    );
    assert_eq!(lost["status"], "ERROR", "{lost}");
    assert_eq!(lost["resource"]["account"], "555555555555", "{lost}");
    let reasons = lost["reasons"].to_string();
    assert!(
        reasons.contains("AccessDenied") && reasons.contains("could not be listed"),
        "{reasons}"
    );
}
