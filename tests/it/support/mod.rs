//! Shared test harness: moto, the fault proxy, and process isolation for AWS settings.
//!
//! The AWS SDK reads credentials and config files from the environment, and Rust 2024 makes
//! `std::env::set_var` unsafe (forbidden by this crate's lints). So each test re-runs itself in
//! a child process of this test binary with a clean, fixed AWS environment: static test
//! credentials, no config files, and the instance metadata service disabled, so nothing outside
//! this machine's loopback is ever contacted. All children share one moto server started by
//! the parent; tests keep apart by using resource names of their own.

#![allow(dead_code)]

pub mod fault_proxy;
pub mod moto;
pub mod seed;

use std::collections::BTreeSet;
use std::future::Future;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_types::SdkConfig;
use aws_types::region::Region;
use posture::collect::{CollectOptions, RegionSelection};
use posture::inventory::{Inventory, ResourceDoc};
use posture::plan::Plan;

const CHILD_MARKER: &str = "POSTURE_TEST_CHILD";

/// True in the child process that `isolated` starts (where the test AWS environment is set).
pub fn in_child() -> bool {
    std::env::var_os(CHILD_MARKER).is_some()
}
const ENDPOINT_VAR: &str = "POSTURE_TEST_MOTO_ENDPOINT";
pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

/// The environment every child runs with; anything else AWS-related is removed.
const AWS_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_SESSION_TOKEN", "testing"),
    ("AWS_REGION", REGION),
    ("AWS_DEFAULT_REGION", REGION),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
];

static MOTO: OnceLock<moto::Moto> = OnceLock::new();

pub struct TestEnv {
    /// moto's endpoint (seed here, or point a `FaultProxy` at it).
    pub moto: String,
}

/// The running test's path in this binary (`collect::s3::buckets`): libtest names each test's
/// thread after it, in the parent and in the child alike.
fn current_test() -> String {
    let name = std::thread::current().name().map(str::to_string);
    name.filter(|n| n != "main")
        .expect("isolated() runs on a libtest test thread")
}

/// The path of test `name` in the same module as the running test (for a shared seeding step).
pub fn sibling_test(name: &str) -> String {
    let current = current_test();
    match current.rsplit_once("::") {
        Some((module, _)) => format!("{module}::{name}"),
        None => name.to_string(),
    }
}

/// Seeds an area's account once per binary: `seed` runs as the area's own `seed_account` test
/// (a sibling of the calling test) the first time any test of the area asks. In a child process
/// it does nothing: the parent seeded before starting it. `seed_account` itself calls this too,
/// so a filter that selects only it still seeds, in its own child.
pub fn seed_once<F, Fut>(done: &OnceLock<()>, seed: F)
where
    F: FnOnce(TestEnv) -> Fut,
    Fut: Future<Output = ()>,
{
    let name = sibling_test("seed_account");
    if in_child() {
        if current_test() == name {
            isolated(seed);
        }
        return;
    }
    done.get_or_init(|| isolated_as(&name, &[], seed));
}

/// Runs `body` in a child process with the test AWS environment; in the parent, starts moto
/// (once) and the child, and fails with the child's output when the child fails.
pub fn isolated<F, Fut>(body: F)
where
    F: FnOnce(TestEnv) -> Fut,
    Fut: Future<Output = ()>,
{
    isolated_as(&current_test(), &[], body);
}

/// Like `isolated`, with changes to the child's AWS environment: `Some` sets, `None` removes.
pub fn isolated_with<F, Fut>(changes: &[(&str, Option<&str>)], body: F)
where
    F: FnOnce(TestEnv) -> Fut,
    Fut: Future<Output = ()>,
{
    isolated_as(&current_test(), changes, body);
}

/// `isolated_with` for the test named `test_name` (its full path), from any test thread.
pub fn isolated_as<F, Fut>(test_name: &str, changes: &[(&str, Option<&str>)], body: F)
where
    F: FnOnce(TestEnv) -> Fut,
    Fut: Future<Output = ()>,
{
    if std::env::var_os(CHILD_MARKER).is_some() {
        let moto = std::env::var(ENDPOINT_VAR).expect("the parent passes moto's endpoint");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        runtime.block_on(body(TestEnv { moto }));
        return;
    }
    let moto = MOTO.get_or_init(moto::Moto::start);
    let mut command = Command::new(std::env::current_exe().expect("test binary path"));
    command.args([test_name, "--exact", "--nocapture", "--test-threads=1"]);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .envs(AWS_ENV.iter().copied())
        // Failures are reported through the parent; a backtrace per child is only noise.
        .env("RUST_BACKTRACE", "0")
        .env(CHILD_MARKER, "1")
        .env(ENDPOINT_VAR, &moto.endpoint);
    for (name, value) in changes {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().expect("run the test in a child process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{test_name} failed in its child process:\n{stdout}\n{stderr}"
    );
    // Guards against a name filter that matched nothing (which libtest counts as success).
    assert!(
        stdout.contains("1 passed"),
        "{test_name} did not run in its child process:\n{stdout}\n{stderr}"
    );
}

/// The role a test area assumes to work in moto account `account`: areas that share the binary's
/// one moto but judge whole accounts (e2e verdicts, fault counts) each keep an account of their
/// own. moto needs no such role to exist.
pub fn scan_role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/posture-tests")
}

/// SDK config acting in moto account `account` (see `scan_role`).
pub async fn account_config(endpoint: &str, account: &str) -> SdkConfig {
    assumed_config(endpoint, &scan_role(account)).await
}

/// The endpoint of the binary's one moto server, started on first use (for tests that run the
/// binary without a child process of their own).
pub fn moto_endpoint() -> String {
    MOTO.get_or_init(moto::Moto::start).endpoint.clone()
}

/// SDK config whose credentials come from assuming `role_arn` (moto keeps each account's
/// resources apart by the account of the role the credentials were issued for).
pub async fn assumed_config(endpoint: &str, role_arn: &str) -> SdkConfig {
    let base = seed_config(endpoint, REGION).await;
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name("seed")
        .configure(&base)
        .build()
        .await;
    base.to_builder()
        .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
            provider,
        ))
        .build()
}

/// SDK config for seeding moto directly.
pub async fn seed_config(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(posture::collect::https_client())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .load()
        .await
}

pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// Collection options against an endpoint, with small retry and timeout budgets for tests.
pub fn options(endpoint: &str) -> CollectOptions {
    CollectOptions {
        regions: RegionSelection::List(vec![REGION.to_string()]),
        endpoint_url: Some(endpoint.to_string()),
        concurrency: 16,
        max_attempts: 3,
        timeout: Duration::from_secs(10),
        ..CollectOptions::default()
    }
}

/// Every type and group of the catalog.
pub fn full_plan() -> Plan {
    let catalog: &[(&str, &[&str])] = &[
        ("aws.account", &["identity"]),
        (
            "aws.s3.bucket",
            &[
                "tags",
                "encryption",
                "versioning",
                "object_lock",
                "lifecycle",
                "logging",
                "public_access_block",
                "policy",
            ],
        ),
        ("aws.kms.key", &["metadata", "rotation", "aliases", "tags"]),
        (
            "aws.dynamodb.table",
            &["sse", "table", "point_in_time_recovery", "ttl", "tags"],
        ),
        (
            "aws.logs.log_group",
            &["retention", "encryption", "storage", "tags"],
        ),
        (
            "aws.lambda.function",
            &["configuration", "event_sources", "tags"],
        ),
        ("aws.iam.policy", &["policy", "analysis", "tags"]),
        ("aws.iam.role", &["trust", "policies", "tags"]),
        ("aws.ssm.parameter", &["metadata", "tags"]),
        ("aws.events.bus", &["bus", "tags"]),
        ("aws.events.rule", &["definition", "targets", "tags"]),
        (
            "aws.sfn.state_machine",
            &["definition", "logging", "tracing", "tags"],
        ),
        (
            "aws.cloudtrail.trail",
            &["configuration", "status", "event_selectors", "tags"],
        ),
        ("aws.kinesis.stream", &["encryption", "retention", "tags"]),
        (
            "aws.secretsmanager.secret",
            &["rotation", "encryption", "tags"],
        ),
        (
            "aws.sqs.queue",
            &["encryption", "redrive", "policy", "tags"],
        ),
        ("aws.sns.topic", &["encryption", "policy", "tags"]),
        (
            "aws.rds.instance",
            &[
                "configuration",
                "encryption",
                "backup",
                "protection",
                "logging",
                "access",
                "authentication",
                "availability",
                "tags",
            ],
        ),
        (
            "aws.rds.cluster",
            &[
                "configuration",
                "encryption",
                "backup",
                "protection",
                "logging",
                "authentication",
                "availability",
                "tags",
            ],
        ),
        (
            "aws.docdb.cluster",
            &[
                "configuration",
                "encryption",
                "backup",
                "protection",
                "logging",
                "tags",
            ],
        ),
        (
            "aws.rds.snapshot",
            &["configuration", "encryption", "sharing", "tags"],
        ),
        (
            "aws.elasticache.replication_group",
            &[
                "configuration",
                "encryption",
                "authentication",
                "availability",
                "backup",
                "tags",
            ],
        ),
        ("aws.glacier.vault", &["lock", "tags"]),
        ("aws.bedrock.account", &["invocation_logging"]),
        (
            "aws.opensearch.domain",
            &[
                "configuration",
                "encryption",
                "endpoint",
                "logging",
                "access",
                "tags",
            ],
        ),
    ];
    plan_of(catalog)
}

pub fn plan_of(types: &[(&str, &[&str])]) -> Plan {
    let mut plan = Plan::default();
    for (resource_type, groups) in types {
        plan.add(resource_type, None);
        for group in *groups {
            plan.add(resource_type, Some(group));
        }
    }
    plan
}

/// The one document of `resource_type` named `name`; panics with the names present otherwise.
pub fn doc<'a>(inventory: &'a Inventory, resource_type: &str, name: &str) -> &'a ResourceDoc {
    let matches: Vec<&ResourceDoc> = inventory
        .resources
        .iter()
        .filter(|d| d.resource_type == resource_type && d.name == name)
        .collect();
    if matches.len() != 1 {
        let names: BTreeSet<&str> = inventory
            .resources
            .iter()
            .filter(|d| d.resource_type == resource_type)
            .map(|d| d.name.as_str())
            .collect();
        panic!(
            "expected one {resource_type} named {name}, found {}; names present: {names:?}",
            matches.len()
        );
    }
    matches[0]
}

/// A ZIP archive with no entries: enough for moto's `CreateFunction` (only Invoke runs code).
pub fn empty_zip() -> Vec<u8> {
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend([0u8; 18]);
    zip
}

/// Creates an IAM role that Lambda may assume; returns its ARN.
pub async fn create_lambda_role(config: &aws_types::SdkConfig, name: &str) -> String {
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    });
    let iam = aws_sdk_iam::Client::new(config);
    let out = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("role");
    out.role().expect("role").arn().to_string()
}

/// The environment the real binary runs with: static test keys, no config files, no instance
/// metadata; every other AWS_* variable of this process is removed.
pub const BINARY_AWS_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
];

/// A command for the `posture` binary at `binary`, run from the crate root (so `./rules` is the
/// bundled rule pack) in the hermetic AWS environment of `BINARY_AWS_ENV`.
pub fn posture_command(binary: &str) -> Command {
    let mut command = Command::new(binary);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .envs(BINARY_AWS_ENV.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}
