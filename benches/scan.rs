//! Scan benchmark: seeds moto with N resources of each type, runs the `posture` binary against
//! it once, and prints wall time, requests, requests per resource and the scan's peak memory.
//!
//!     cargo bench --bench scan                          # N=200, straight to moto
//!     POSTURE_BENCH_N=1000 cargo bench --bench scan
//!     POSTURE_BENCH_DELAY_MS=50 cargo bench --bench scan  # +50 ms per request, like real AWS
//!     POSTURE_BENCH_BIN=target/debug/posture cargo bench --bench scan   # another binary
//!
//! The estate follows /work/shared/peers/seed.py, so figures compare with the peers' table:
//! buckets (encryption none / SSE-S3 / SSE-KMS, versioning on odd, lifecycle on (i/2) odd,
//! bucket 0 with Object Lock), KMS keys (rotation on even), `DynamoDB` tables (default / aws-managed
//! KMS / customer KMS, PITR on even), log groups (retention 30 / 400 / never), IAM policies
//! (admin on even, scoped otherwise, attached on (i/2) odd), Lambda functions (nodejs16.x /
//! nodejs22.x), SQS queues (SSE-SQS on even, a public policy on every third) and SNS topics
//! (KMS on even), RDS instances (encrypted on even, a manual snapshot on every fourth),
//! ElastiCache replication groups and OpenSearch domains, and one multi-region trail. The
//! peers' seed has none of the queues, topics, databases, caches or domains.
//!
//! Requests are counted from moto's access log (one line per request it served); with a delay,
//! they also go through the fault proxy, which counts them too. Peak memory is the posture
//! process's `VmHWM`, sampled from /proc/<pid>/status while it runs (Linux only).
//!
//! moto is one Python process (about 4 ms a request with a scan's mix, whatever the concurrency):
//! the direct figure measures posture plus the emulator, and fewer requests is what wins there.
//! The delayed run is where posture's concurrency shows.

#[path = "common/peak.rs"]
mod peak;
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_s3::primitives::Blob;
use aws_sdk_s3::types::{BucketVersioningStatus, ObjectLockRetentionMode};
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::sdk_config::SharedCredentialsProvider;
use futures::StreamExt;
use support::fault_proxy::FaultProxy;
use support::moto::Moto;
use support::{REGION, posture_command, seed};

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text} is not a number")),
        Err(_) => default,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter or --list from libtest conventions means nothing
    // here, except that `--list` must not start a long run.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = env_number("POSTURE_BENCH_N", 200) as usize;
    let delay_ms = env_number("POSTURE_BENCH_DELAY_MS", 0);
    let binary =
        std::env::var("POSTURE_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_posture").into());

    let moto = Moto::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let seeding = Instant::now();
    let resources = runtime.block_on(seed_estate(&moto.endpoint, n));
    let seed_seconds = seeding.elapsed().as_secs_f64();

    let proxy = (delay_ms > 0).then(|| {
        let proxy = FaultProxy::start(&moto.endpoint);
        proxy.set_latency(Duration::from_millis(delay_ms));
        proxy
    });
    let endpoint = proxy
        .as_ref()
        .map_or_else(|| moto.endpoint.clone(), FaultProxy::endpoint);

    let dir = tempfile::tempdir().expect("temp dir");
    let report_path = dir.path().join("report.json");
    let served_before = moto.requests_served();
    let started = Instant::now();
    let mut child = posture_command(&binary)
        .args([
            "scan",
            "--endpoint-url",
            &endpoint,
            "--region",
            REGION,
            "--format",
            "json",
            "--output",
            report_path.to_str().expect("utf-8 path"),
            "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    let stderr_pipe = child.stderr.take();
    let cost = peak::wait_sampling(child, started);
    let (status, wall) = (cost.status, cost.wall_seconds);
    // moto writes its access-log line after answering; give the last ones a moment.
    std::thread::sleep(Duration::from_millis(300));
    let served = moto.requests_served() - served_before;
    let mut stderr = String::new();
    if let Some(mut pipe) = stderr_pipe {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut stderr);
    }
    let code = status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "posture exited with {code} (3 = some checks undecided):\n{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&report_path).expect("the scan wrote its report"),
    )
    .expect("JSON report");
    let scanned = report["source"]["resource_count"].as_u64().unwrap_or(0);
    let findings = &report["summary"]["findings"];

    println!();
    println!("posture scan benchmark ({binary})");
    println!(
        "seeded {resources} resources (N={n}) in {seed_seconds:.1} s; scan exit code {code}; \
         findings: {} fail, {} error (passes not kept)",
        findings["fail"], findings["error"]
    );
    println!();
    println!(
        "| N | delay ms | wall s | requests | requests/resource | peak RSS MiB | resources in report |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {n} | {delay_ms} | {wall:.2} | {served} | {:.2} | {:.1} | {scanned} |",
        served as f64 / resources as f64,
        cost.peak_mib
    );
    if let Some(proxy) = &proxy {
        println!();
        println!(
            "through the proxy: {} requests, at most {} in flight at once",
            proxy.requests().len(),
            proxy.max_in_flight()
        );
    }
}

/// SDK config for seeding, built without reading the environment or any profile file, so the
/// benchmark needs no AWS settings of its own (moto accepts any signature).
fn seed_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(posture::collect::https_client())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "bench"),
        ))
        .build()
}

const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const SCOPED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::example-bucket/*"}]}"#;

/// Seeds the estate; returns how many resources it created.
async fn seed_estate(endpoint: &str, n: usize) -> usize {
    let config = seed_config(endpoint);
    let kms = aws_sdk_kms::Client::new(&config);
    let data_key = kms
        .create_key()
        .description("bench-data-key")
        .send()
        .await
        .expect("data key")
        .key_metadata()
        .expect("metadata")
        .clone();
    kms.enable_key_rotation()
        .key_id(data_key.key_id())
        .send()
        .await
        .expect("rotation");
    let data_key = data_key.arn().expect("arn").to_string();
    // moto creates the aws/dynamodb key on first use without a lock; create it up front.
    kms.describe_key()
        .key_id("alias/aws/dynamodb")
        .send()
        .await
        .expect("aws/dynamodb key");
    let lambda_role = support::create_lambda_role(&config, "bench-lambda-role").await;
    support::create_lambda_role(&config, "bench-attach-role").await;

    let jobs: Vec<(usize, usize)> = (0..n).flat_map(|i| (0..11).map(move |k| (k, i))).collect();
    // Besides the jobs: the data key, moto's aws/dynamodb key, two roles, the trail and its bucket.
    let count = jobs.len() + 6;
    futures::stream::iter(jobs)
        .map(|(kind, i)| {
            let (config, data_key, lambda_role) = (&config, &data_key, &lambda_role);
            async move {
                match kind {
                    0 => seed_bucket(config, i, data_key).await,
                    1 => seed_key(config, i).await,
                    2 => seed_table(config, i, data_key).await,
                    3 => seed_log_group(config, i).await,
                    4 => seed_policy(config, i).await,
                    5 => seed_function(config, i, lambda_role).await,
                    6 => seed_queue(config, i).await,
                    7 => seed_topic(config, i).await,
                    8 => seed_db_instance(config, i).await,
                    9 => seed_replication_group(config, i).await,
                    _ => seed_domain(config, i).await,
                }
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;

    seed::bucket(&config, "bench-trail-bucket", false, &[]).await;
    seed::bucket_encryption(&config, "bench-trail-bucket", None).await;
    let trail = aws_sdk_cloudtrail::Client::new(&config);
    trail
        .create_trail()
        .name("bench-trail")
        .s3_bucket_name("bench-trail-bucket")
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .send()
        .await
        .expect("trail");
    trail
        .start_logging()
        .name("bench-trail")
        .send()
        .await
        .expect("start logging");
    count
}

async fn seed_bucket(config: &SdkConfig, i: usize, data_key: &str) {
    let name = format!("bench-b{i:05}");
    let lock = i == 0;
    seed::bucket(config, &name, lock, &[]).await;
    if lock {
        seed::bucket_object_lock(config, &name, ObjectLockRetentionMode::Compliance, 7).await;
    }
    match i % 3 {
        1 => seed::bucket_encryption(config, &name, None).await,
        2 => seed::bucket_encryption(config, &name, Some(data_key)).await,
        _ => {}
    }
    if i % 2 == 1 && !lock {
        seed::bucket_versioning(config, &name, BucketVersioningStatus::Enabled).await;
    }
    if (i / 2) % 2 == 1 {
        seed::bucket_lifecycle(config, &name, &[], 365).await;
    }
}

async fn seed_key(config: &SdkConfig, i: usize) {
    let kms = aws_sdk_kms::Client::new(config);
    let key = kms
        .create_key()
        .description(format!("bench-k{i:05}"))
        .send()
        .await
        .expect("key");
    if i.is_multiple_of(2) {
        kms.enable_key_rotation()
            .key_id(key.key_metadata().expect("metadata").key_id())
            .send()
            .await
            .expect("rotation");
    }
}

async fn seed_table(config: &SdkConfig, i: usize, data_key: &str) {
    use aws_sdk_dynamodb::types::{SseSpecification, SseType};
    let ddb = aws_sdk_dynamodb::Client::new(config);
    let name = format!("bench-t{i:05}");
    let mut request = seed::table_request(&ddb, &name);
    match i % 3 {
        1 => {
            request = request.sse_specification(
                SseSpecification::builder()
                    .enabled(true)
                    .sse_type(SseType::Kms)
                    .build(),
            );
        }
        2 => {
            request = request.sse_specification(
                SseSpecification::builder()
                    .enabled(true)
                    .sse_type(SseType::Kms)
                    .kms_master_key_id(data_key)
                    .build(),
            );
        }
        _ => {}
    }
    request.send().await.expect("table");
    if i.is_multiple_of(2) {
        support::seed::table_pitr(&ddb, &name).await;
    }
}

/// Queues: SSE-SQS (moto's default) on even, none on odd; a public policy on every third.
async fn seed_queue(config: &SdkConfig, i: usize) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let sqs = aws_sdk_sqs::Client::new(config);
    let mut request = sqs.create_queue().queue_name(format!("bench-q{i:05}"));
    if !i.is_multiple_of(2) {
        request = request.attributes(QueueAttributeName::SqsManagedSseEnabled, "false");
    }
    if i.is_multiple_of(3) {
        request = request.attributes(QueueAttributeName::Policy, PUBLIC_SEND);
    }
    request.send().await.expect("queue");
}

/// Topics: the AWS-managed key on even, none on odd.
async fn seed_topic(config: &SdkConfig, i: usize) {
    let sns = aws_sdk_sns::Client::new(config);
    let mut request = sns.create_topic().name(format!("bench-t{i:05}"));
    if i.is_multiple_of(2) {
        request = request.attributes("KmsMasterKeyId", "alias/aws/sns");
    }
    request.send().await.expect("topic");
}

/// DB instances: encrypted on even, with a manual snapshot on every fourth.
async fn seed_db_instance(config: &SdkConfig, i: usize) {
    let rds = aws_sdk_rds::Client::new(config);
    let name = format!("bench-db{i:05}");
    rds.create_db_instance()
        .db_instance_identifier(&name)
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("bench_admin")
        .master_user_password("bench-password-1")
        .storage_encrypted(i.is_multiple_of(2))
        .send()
        .await
        .expect("db instance");
    if i.is_multiple_of(4) {
        rds.create_db_snapshot()
            .db_instance_identifier(&name)
            .db_snapshot_identifier(format!("bench-snap{i:05}"))
            .send()
            .await
            .expect("db snapshot");
    }
}

/// Replication groups: at-rest encryption on even.
async fn seed_replication_group(config: &SdkConfig, i: usize) {
    aws_sdk_elasticache::Client::new(config)
        .create_replication_group()
        .replication_group_id(format!("bench-rg{i:05}"))
        .replication_group_description("bench")
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .at_rest_encryption_enabled(i.is_multiple_of(2))
        .send()
        .await
        .expect("replication group");
}

/// OpenSearch domains with moto's defaults (public, no encryption).
async fn seed_domain(config: &SdkConfig, i: usize) {
    aws_sdk_opensearch::Client::new(config)
        .create_domain()
        .domain_name(format!("bench-d{i:05}"))
        .send()
        .await
        .expect("domain");
}

const PUBLIC_SEND: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}"#;

async fn seed_log_group(config: &SdkConfig, i: usize) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let name = format!("/bench/lg{i:05}");
    logs.create_log_group()
        .log_group_name(&name)
        .send()
        .await
        .expect("log group");
    if let Some(days) = [Some(30), Some(400), None][i % 3] {
        logs.put_retention_policy()
            .log_group_name(&name)
            .retention_in_days(days)
            .send()
            .await
            .expect("retention");
    }
}

async fn seed_policy(config: &SdkConfig, i: usize) {
    let document = if i.is_multiple_of(2) { ADMIN } else { SCOPED };
    let arn = seed::iam_policy(
        config,
        &format!("bench-p{i:05}"),
        serde_json::from_str(document).expect("policy JSON"),
    )
    .await;
    if (i / 2) % 2 == 1 {
        aws_sdk_iam::Client::new(config)
            .attach_role_policy()
            .role_name("bench-attach-role")
            .policy_arn(arn)
            .send()
            .await
            .expect("attach");
    }
}

async fn seed_function(config: &SdkConfig, i: usize, role: &str) {
    use aws_sdk_lambda::types::{FunctionCode, Runtime};
    let runtime = if i.is_multiple_of(2) {
        Runtime::Nodejs16x
    } else {
        Runtime::Nodejs22x
    };
    aws_sdk_lambda::Client::new(config)
        .create_function()
        .function_name(format!("bench-f{i:05}"))
        .runtime(runtime)
        .role(role)
        .handler("index.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(support::empty_zip()))
                .build(),
        )
        .send()
        .await
        .expect("function");
}
