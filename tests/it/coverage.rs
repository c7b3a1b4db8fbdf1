//! Missing data never decides a verdict: the real binary scans (or re-evaluates snapshots of) an
//! account of its own, and every check whose data was not collected, or whose listing failed,
//! comes out ERROR with the reason, never PASS, FAIL, `NOT_APPLICABLE` or `NO_RESOURCES`.
//!
//! The account holds an audit-tagged bucket without Object Lock, a good multi-region trail, and
//! a function whose role holds the AWS-managed `PowerUserAccess` (every action but IAM's on `*`).

use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::fault_proxy::{Fault, FaultProxy, Request};
use crate::support::seed::bucket;
use crate::support::{
    REGION, TestEnv, account_config, create_lambda_role, isolated, posture_command, scan_role,
    seed_once,
};

/// This area's own moto account.
const ACCOUNT: &str = "200000000003";
const POSTURE: &str = env!("CARGO_BIN_EXE_posture");
const AUDIT_BUCKET: &str = "cov-audit";
const TRAIL: &str = "cov-trail";
const FUNCTION: &str = "cov-fn";
const POWER_USER: &str = "arn:aws:iam::aws:policy/PowerUserAccess";
const TRAIL_RULE: &str = "rules/cloudtrail/cloudtrail-multi-region-logging.yaml";
const LAMBDA_ROLE_RULE: &str = "rules/lambda/lambda-execution-role-not-admin.yaml";

static SEEDED: OnceLock<()> = OnceLock::new();

fn seeded() {
    seed_once(&SEEDED, seed_body);
}

#[test]
fn seed_account() {
    seeded();
}

async fn seed_body(env: TestEnv) {
    let config = account_config(&env.moto, ACCOUNT).await;
    bucket(
        &config,
        AUDIT_BUCKET,
        false,
        &[("DataClassification", "audit")],
    )
    .await;
    let trail = aws_sdk_cloudtrail::Client::new(&config);
    trail
        .create_trail()
        .name(TRAIL)
        .s3_bucket_name(AUDIT_BUCKET)
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .send()
        .await
        .expect("trail");
    trail
        .start_logging()
        .name(TRAIL)
        .send()
        .await
        .expect("start logging");
    let role = create_lambda_role(&config, "cov-fn-role").await;
    aws_sdk_iam::Client::new(&config)
        .attach_role_policy()
        .role_name("cov-fn-role")
        .policy_arn(POWER_USER)
        .send()
        .await
        .expect("attach PowerUserAccess (moto loads AWS-managed policies)");
    use aws_sdk_lambda::primitives::Blob;
    use aws_sdk_lambda::types::{FunctionCode, Runtime};
    aws_sdk_lambda::Client::new(&config)
        .create_function()
        .function_name(FUNCTION)
        .runtime(Runtime::Python312)
        .role(role)
        .handler("app.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(crate::support::empty_zip()))
                .build(),
        )
        .send()
        .await
        .expect("function");
}

fn run(args: &[&str]) -> Output {
    posture_command(POSTURE)
        .args(args)
        .output()
        .expect("run the posture binary")
}

/// `posture snapshot` of this account with `rules` (a file or directory) into `out`.
fn snapshot(endpoint: &str, rules: &str, out: &Path) {
    let role = scan_role(ACCOUNT);
    let output = run(&[
        "snapshot",
        "--endpoint-url",
        endpoint,
        "--region",
        REGION,
        "--role-arn",
        &role,
        "--rules",
        rules,
        "--output",
        out.to_str().expect("utf-8 path"),
        "-q",
    ]);
    assert!(
        output.status.success(),
        "snapshot failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Reads the JSON report that `args` (a `scan` invocation writing to `report`) wrote.
fn report_of(args: &[&str], report: &Path) -> (i32, Value) {
    let output = run(args);
    let code = output.status.code().expect("exit code");
    let text = std::fs::read_to_string(report).unwrap_or_else(|e| {
        panic!(
            "no report ({e}); exit {code}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, serde_json::from_str(&text).expect("JSON report"))
}

/// `posture scan --inventory inventory --rules rules`.
fn scan_offline(inventory: &Path, rules: &str, dir: &Path) -> (i32, Value) {
    let report = dir.join("offline.json");
    report_of(
        &[
            "scan",
            "--inventory",
            inventory.to_str().expect("utf-8 path"),
            "--no-builtin-rules",
            "--rules",
            rules,
            "--format",
            "json",
            "--output",
            report.to_str().expect("utf-8 path"),
            "--include-pass",
            "-q",
        ],
        &report,
    )
}

/// A live scan of this account through `endpoint` with `rules`.
fn scan_live(endpoint: &str, rules: &str, dir: &Path) -> (i32, Value) {
    let report = dir.join("live.json");
    let role = scan_role(ACCOUNT);
    report_of(
        &[
            "scan",
            "--endpoint-url",
            endpoint,
            "--region",
            REGION,
            "--role-arn",
            &role,
            "--no-builtin-rules",
            "--rules",
            rules,
            "--format",
            "json",
            "--output",
            report.to_str().expect("utf-8 path"),
            "--include-pass",
            "-q",
        ],
        &report,
    )
}

fn findings_of<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

fn only_finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    let findings = findings_of(report, rule);
    assert_eq!(findings.len(), 1, "{rule}: {findings:#?}");
    findings[0]
}

fn deny(operation: &'static str) -> (impl Fn(&Request) -> bool + Send + Sync, Fault) {
    (
        move |r: &Request| r.operation().as_deref() == Some(operation),
        Fault::Status {
            status: 400,
            code: "AccessDeniedException".to_string(),
            message: format!("injected: not authorized to perform {operation}"),
        },
    )
}

#[test]
fn a_snapshot_of_iam_rules_vouches_for_nothing_else() {
    seeded();
    isolated(iam_snapshot_body);
}

async fn iam_snapshot_body(env: TestEnv) {
    let dir = tempfile::tempdir().expect("temp dir");
    let inventory = dir.path().join("iam-only.json");
    snapshot(&env.moto, "rules/iam", &inventory);
    let (code, report) = scan_offline(&inventory, "rules", dir.path());
    // The principal rules decide (the seeded Lambda admin role fails them); everything
    // outside IAM is undecided, never NO_RESOURCES.
    assert_eq!(code, 1, "{}", report["summary"]);
    for rule in [
        "iam-principal-no-admin",
        "iam-principal-no-privilege-escalation",
    ] {
        assert!(
            findings_of(&report, rule)
                .iter()
                .any(|f| f["status"] == "FAIL"),
            "{rule}: {}",
            report["summary"]
        );
    }
    for rule in report["rules"].as_array().expect("rules") {
        let id = rule["id"].as_str().expect("id");
        assert_ne!(rule["outcome"], "NO_RESOURCES", "{id}: {rule}");
        if rule["resource_type"] == "aws.s3.bucket" {
            assert_eq!(rule["outcome"], "ERROR", "{id}: {rule}");
            let finding = only_finding(&report, id);
            assert_eq!(finding["resource"]["account"], ACCOUNT, "{finding}");
            assert!(
                finding["reasons"]
                    .to_string()
                    .contains("aws.s3.bucket was not collected in this inventory"),
                "{finding}"
            );
        }
    }
    // The same rules over a snapshot that collected them decide: the audit bucket fails.
    let full = dir.path().join("full.json");
    snapshot(&env.moto, "rules", &full);
    let (_, report) = scan_offline(&full, "rules", dir.path());
    let lock = findings_of(&report, "s3-audit-bucket-object-lock");
    assert!(
        lock.iter()
            .any(|f| f["resource"]["name"] == AUDIT_BUCKET && f["status"] == "FAIL"),
        "{lock:#?}"
    );
}

#[test]
fn tags_not_collected_keep_an_audit_bucket_in_scope() {
    seeded();
    isolated(tags_body);
}

async fn tags_body(env: TestEnv) {
    let dir = tempfile::tempdir().expect("temp dir");
    let inventory = dir.path().join("no-tags.json");
    // Default encryption reads no tags, so this snapshot never asked for them.
    snapshot(
        &env.moto,
        "rules/s3/s3-bucket-default-encryption.yaml",
        &inventory,
    );
    let (code, report) = scan_offline(
        &inventory,
        "rules/s3/s3-audit-bucket-object-lock.yaml",
        dir.path(),
    );
    assert_eq!(code, 3, "{}", report["summary"]);
    let finding = findings_of(&report, "s3-audit-bucket-object-lock")
        .into_iter()
        .find(|f| f["resource"]["name"] == AUDIT_BUCKET)
        .unwrap_or_else(|| panic!("no finding for {AUDIT_BUCKET}: {report:#}"));
    assert_eq!(finding["status"], "ERROR", "{finding}");
    assert!(
        finding["reasons"]
            .to_string()
            .contains("`tags` of aws.s3.bucket was not collected in this inventory"),
        "{finding}"
    );
}

#[test]
fn a_denied_trail_listing_is_error_not_fail() {
    seeded();
    isolated(trail_body);
}

async fn trail_body(env: TestEnv) {
    let dir = tempfile::tempdir().expect("temp dir");
    // Without the fault the account has its trail.
    let (code, report) = scan_live(&env.moto, TRAIL_RULE, dir.path());
    assert_eq!(code, 0, "{}", report["summary"]);
    assert_eq!(
        only_finding(&report, "cloudtrail-multi-region-logging")["status"],
        "PASS"
    );

    let proxy = FaultProxy::start(&env.moto);
    let (matcher, fault) = deny("DescribeTrails");
    proxy.inject(matcher, fault, None);
    let (code, report) = scan_live(&proxy.endpoint(), TRAIL_RULE, dir.path());
    assert_eq!(code, 3, "{}", report["summary"]);
    let findings = findings_of(&report, "cloudtrail-multi-region-logging");
    assert!(!findings.is_empty());
    for finding in findings {
        assert_eq!(finding["status"], "ERROR", "{finding}");
        assert!(
            finding["reasons"].to_string().contains("AccessDenied"),
            "{finding}"
        );
    }
}

#[test]
fn unreadable_iam_makes_the_function_role_rule_error() {
    seeded();
    isolated(iam_denied_body);
}

async fn iam_denied_body(env: TestEnv) {
    let dir = tempfile::tempdir().expect("temp dir");
    let proxy = FaultProxy::start(&env.moto);
    let (matcher, fault) = deny("GetAccountAuthorizationDetails");
    proxy.inject(matcher, fault, None);
    let (code, report) = scan_live(&proxy.endpoint(), LAMBDA_ROLE_RULE, dir.path());
    assert_eq!(code, 3, "{}", report["summary"]);
    let function = findings_of(&report, "lambda-execution-role-not-admin")
        .into_iter()
        .find(|f| f["resource"]["name"] == FUNCTION)
        .unwrap_or_else(|| panic!("no finding for {FUNCTION}: {report:#}"));
    assert_eq!(function["status"], "ERROR", "{function}");
    assert!(
        function["reasons"]
            .to_string()
            .contains("could not be listed"),
        "{function}"
    );
}

#[test]
fn an_attached_aws_managed_policy_is_read_and_judged() {
    seeded();
    isolated(aws_managed_body);
}

async fn aws_managed_body(env: TestEnv) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, report) = scan_live(&env.moto, LAMBDA_ROLE_RULE, dir.path());
    assert_eq!(code, 1, "{}", report["summary"]);
    let function = only_finding(&report, "lambda-execution-role-not-admin");
    assert_eq!(function["resource"]["name"], FUNCTION);
    assert_eq!(function["status"], "FAIL", "{function}");

    let inventory = dir.path().join("inventory.json");
    snapshot(&env.moto, "rules", &inventory);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&inventory).expect("read")).expect("json");
    let policy = saved["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|d| d["arn"] == POWER_USER)
        .unwrap_or_else(|| panic!("{POWER_USER} was not collected"));
    assert_eq!(
        policy["attributes"]["policy"]["kind"], "aws-managed",
        "{policy}"
    );
    assert_eq!(
        policy["attributes"]["analysis"]["allows_admin"], true,
        "{policy}"
    );
    let collected = &saved["accounts"][0]["collected"];
    assert!(
        collected["aws.iam.policy"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == "analysis")),
        "{collected}"
    );
}
