//! End to end: the real `posture` binary scans one moto account that holds, for every rule of
//! the bundled pack, a compliant and a non-compliant resource, and the JSON report must give
//! each of them the expected verdict.
//!
//! The account is seeded once per test binary (`seeded()`), in a child process like every test
//! here (see `support`); the tests only read it. Names start with `e2e-`.
//!
//! What moto 5.2.5 cannot put in a state the rules judge, and so is not covered here:
//! - moto's `DescribeKey` returns no `KeyUsage` for a key created without one, so the
//!   `key_usage not_in [...]` selector of `kms-key-rotation-enabled` sees an absent value for
//!   the symmetric keys; the asymmetric signing key is excluded by its `key_spec` first.
//! - The key moto creates behind `alias/aws/dynamodb` is CUSTOMER-managed (AWS-managed in real
//!   AWS), so it fails the rotation rule; it is an emulator artifact and not asserted on.
//! - An AWS-managed `AdministratorAccess` attachment is not seeded: the Lambda admin role gets a
//!   customer-managed admin policy instead (the rule's other branch).
//! - The account-level `cloudtrail-multi-region-logging` has one verdict per account; its FAIL
//!   comes from a second, empty moto account reached through `--role-arn`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use crate::support::fault_proxy::FaultProxy;
use crate::support::seed::*;
use crate::support::{
    REGION, TestEnv, account_config, create_lambda_role, isolated, posture_command, scan_role,
    seed_once,
};
use aws_sdk_s3::primitives::Blob;
use aws_sdk_s3::types::{BucketVersioningStatus, ObjectLockRetentionMode, TransitionStorageClass};
use serde_json::{Value, json};

/// This area's own moto account (the binary's other areas work in others).
const ACCOUNT: &str = "200000000001";

const POSTURE: &str = env!("CARGO_BIN_EXE_posture");

// ---------------------------------------------------------------- the seeded account

static SEEDED: OnceLock<()> = OnceLock::new();

/// Seeds this area's account once per test binary.
fn seeded() {
    seed_once(&SEEDED, seed_body);
}

#[test]
fn seed_account() {
    seeded();
}

const KEY_GOOD_ALIAS: &str = "alias/e2e-key-good";
const KEY_BAD_ALIAS: &str = "alias/e2e-key-bad";
const KEY_SIGNING_ALIAS: &str = "alias/e2e-key-signing";

async fn seed_body(env: TestEnv) {
    let config = account_config(&env.moto, ACCOUNT).await;
    let fn_arn = |name: &str| format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}");

    // KMS: one key that rotates, one that does not, one asymmetric (never judged).
    let kms = aws_sdk_kms::Client::new(&config);
    let mut key_arns = BTreeMap::new();
    for (alias, rotate) in [(KEY_GOOD_ALIAS, true), (KEY_BAD_ALIAS, false)] {
        let key = kms
            .create_key()
            .description(alias)
            .send()
            .await
            .expect("key");
        let key = key.key_metadata().expect("metadata");
        if rotate {
            kms.enable_key_rotation()
                .key_id(key.key_id())
                .send()
                .await
                .expect("rotation");
        }
        kms.create_alias()
            .alias_name(alias)
            .target_key_id(key.key_id())
            .send()
            .await
            .expect("alias");
        key_arns.insert(alias, key.arn().expect("arn").to_string());
    }
    let signing = kms
        .create_key()
        .description("e2e-key-signing")
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .expect("asymmetric key");
    kms.create_alias()
        .alias_name(KEY_SIGNING_ALIAS)
        .target_key_id(signing.key_metadata().expect("metadata").key_id())
        .send()
        .await
        .expect("alias");
    let key = key_arns[KEY_GOOD_ALIAS].as_str();

    // S3. The log target is exempt from the access-logging rule by its Purpose tag.
    let classified = [("DataClassification", "confidential")];
    bucket(
        &config,
        "e2e-logs-target",
        false,
        &[
            ("Purpose", "access-logs"),
            ("DataClassification", "confidential"),
        ],
    )
    .await;
    bucket_log_target_policy(&config, "e2e-logs-target").await;
    bucket(&config, "e2e-s3-good", false, &classified).await;
    bucket_encryption(&config, "e2e-s3-good", Some(key)).await;
    bucket_versioning(&config, "e2e-s3-good", BucketVersioningStatus::Enabled).await;
    bucket_public_access_block(&config, "e2e-s3-good").await;
    bucket_tls_only_policy(&config, "e2e-s3-good").await;
    bucket_logging(&config, "e2e-s3-good", "e2e-logs-target").await;
    // Nothing configured: new buckets in moto have no default encryption.
    bucket(&config, "e2e-s3-bad", false, &[]).await;
    // SSE-S3 is default encryption but not KMS; suspended versioning is not enabled.
    bucket(&config, "e2e-s3-aes", false, &classified).await;
    bucket_encryption(&config, "e2e-s3-aes", None).await;
    bucket_versioning(&config, "e2e-s3-aes", BucketVersioningStatus::Suspended).await;

    let audit = [("DataClassification", "audit")];
    bucket(&config, "e2e-audit-good", true, &audit).await;
    bucket_object_lock(
        &config,
        "e2e-audit-good",
        ObjectLockRetentionMode::Compliance,
        7,
    )
    .await;
    bucket(&config, "e2e-audit-bad", true, &audit).await;
    bucket_object_lock(
        &config,
        "e2e-audit-bad",
        ObjectLockRetentionMode::Governance,
        7,
    )
    .await;

    let archive = [("DataClassification", "archive")];
    bucket(&config, "e2e-archive-good", false, &archive).await;
    bucket_lifecycle(
        &config,
        "e2e-archive-good",
        &[
            (30, TransitionStorageClass::StandardIa),
            (90, TransitionStorageClass::Glacier),
            (365, TransitionStorageClass::DeepArchive),
        ],
        2555,
    )
    .await;
    bucket(&config, "e2e-archive-bad", false, &archive).await;
    bucket_lifecycle(
        &config,
        "e2e-archive-bad",
        &[(90, TransitionStorageClass::Glacier)],
        365,
    )
    .await;

    // CloudTrail: a multi-region, validated, logging, KMS-encrypted trail and a bare one.
    bucket(&config, "e2e-trail-bucket", false, &classified).await;
    let trail = aws_sdk_cloudtrail::Client::new(&config);
    trail
        .create_trail()
        .name("e2e-trail-good")
        .s3_bucket_name("e2e-trail-bucket")
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .kms_key_id(key)
        .send()
        .await
        .expect("trail");
    trail
        .start_logging()
        .name("e2e-trail-good")
        .send()
        .await
        .expect("start logging");
    trail
        .create_trail()
        .name("e2e-trail-bad")
        .s3_bucket_name("e2e-trail-bucket")
        .send()
        .await
        .expect("trail");

    // DynamoDB.
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    use aws_sdk_dynamodb::types as ddbt;
    let ddb_tag = |k: &str, v: &str| ddbt::Tag::builder().key(k).value(v).build().expect("tag");
    table_request(&ddb, "e2e-table-good")
        .sse_specification(
            ddbt::SseSpecification::builder()
                .enabled(true)
                .sse_type(ddbt::SseType::Kms)
                .kms_master_key_id(key)
                .build(),
        )
        .deletion_protection_enabled(true)
        .tags(ddb_tag("DataClassification", "confidential"))
        .tags(ddb_tag("RetentionClass", "short"))
        .send()
        .await
        .expect("table");
    crate::support::seed::table_pitr(&ddb, "e2e-table-good").await;
    ddb.update_time_to_live()
        .table_name("e2e-table-good")
        .time_to_live_specification(
            ddbt::TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .expect("ttl");
    // Has a retention class but no TTL, no classification, default encryption, no PITR.
    table_request(&ddb, "e2e-table-bad")
        .tags(ddb_tag("RetentionClass", "short"))
        .send()
        .await
        .expect("table");

    // CloudWatch Logs.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups: [(&str, Option<&str>, Option<i32>, bool); 5] = [
        ("e2e-logs-audit-good", Some("audit"), Some(2557), true),
        ("e2e-logs-audit-bad", Some("audit"), Some(365), false),
        ("e2e-logs-app-good", Some("application"), Some(30), false),
        ("e2e-logs-app-bad", Some("application"), None, false),
        ("e2e-logs-untagged", None, Some(7), false),
    ];
    for (name, class, days, encrypted) in groups {
        let mut request = logs.create_log_group().log_group_name(name);
        if let Some(class) = class {
            request = request.tags("DataClassification", class);
        }
        if encrypted {
            request = request.kms_key_id(key);
        }
        request.send().await.expect("log group");
        if let Some(days) = days {
            logs.put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .await
                .expect("retention");
        }
    }

    // IAM: one scoped policy and one failing each IAM rule on its own.
    let scoped = iam_policy(
        &config,
        "e2e-policy-good",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::e2e-s3-good/*"}
        ]}),
    )
    .await;
    let admin = iam_policy(
        &config,
        "e2e-policy-admin",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    .await;
    iam_policy(
        &config,
        "e2e-policy-escalate",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": format!("arn:aws:iam::{ACCOUNT}:policy/e2e-*")}
        ]}),
    )
    .await;
    iam_policy(
        &config,
        "e2e-policy-s3-star",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    )
    .await;
    iam_policy(
        &config,
        "e2e-policy-write-all",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}),
    )
    .await;
    let iam = aws_sdk_iam::Client::new(&config);
    let app_role = create_lambda_role(&config, "e2e-role-app").await;
    iam.attach_role_policy()
        .role_name("e2e-role-app")
        .policy_arn(&scoped)
        .send()
        .await
        .expect("attach");
    let admin_role = create_lambda_role(&config, "e2e-role-admin").await;
    iam.attach_role_policy()
        .role_name("e2e-role-admin")
        .policy_arn(&admin)
        .send()
        .await
        .expect("attach");

    // Lambda.
    use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
    let lambda = aws_sdk_lambda::Client::new(&config);
    let functions = [
        ("e2e-fn-good", Runtime::Python312, "MODE", &app_role),
        // python3.9 was deprecated on 2025-12-15.
        ("e2e-fn-bad", Runtime::Python39, "DB_PASSWORD", &admin_role),
    ];
    for (name, runtime, variable, role) in functions {
        lambda
            .create_function()
            .function_name(name)
            .runtime(runtime)
            .role(role)
            .handler("app.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(crate::support::empty_zip()))
                    .build(),
            )
            .environment(Environment::builder().variables(variable, "x").build())
            .send()
            .await
            .expect("function");
    }

    // SQS and SNS: the DLQ the good EventBridge target names, a queue with SSE-KMS and a
    // redrive policy, an unencrypted public one; an encrypted topic and a public one.
    use aws_sdk_sqs::types::QueueAttributeName as QueueAttr;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_arn = |name: &str| format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}");
    sqs.create_queue()
        .queue_name("e2e-dlq")
        .send()
        .await
        .expect("dlq");
    sqs.create_queue()
        .queue_name("e2e-queue-good")
        .attributes(QueueAttr::KmsMasterKeyId, "alias/aws/sqs")
        .attributes(
            QueueAttr::RedrivePolicy,
            json!({"deadLetterTargetArn": queue_arn("e2e-dlq"), "maxReceiveCount": 5}).to_string(),
        )
        .send()
        .await
        .expect("queue");
    let public_send = json!({"Version": "2012-10-17", "Statement": [{"Sid": "anyone",
        "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]});
    sqs.create_queue()
        .queue_name("e2e-queue-bad")
        .attributes(QueueAttr::SqsManagedSseEnabled, "false")
        .attributes(QueueAttr::Policy, public_send.to_string())
        .send()
        .await
        .expect("queue");
    // Each function polls a queue: the good one a queue with a dead-letter queue.
    let lambda = aws_sdk_lambda::Client::new(&config);
    for (function, queue) in [
        ("e2e-fn-good", "e2e-queue-good"),
        ("e2e-fn-bad", "e2e-queue-bad"),
    ] {
        lambda
            .create_event_source_mapping()
            .function_name(function)
            .event_source_arn(queue_arn(queue))
            .send()
            .await
            .expect("event source mapping");
    }
    let sns = aws_sdk_sns::Client::new(&config);
    sns.create_topic()
        .name("e2e-topic-good")
        .attributes("KmsMasterKeyId", "alias/aws/sns")
        .send()
        .await
        .expect("topic");
    let public_subscribe = json!({"Version": "2012-10-17", "Statement": [{"Sid": "anyone",
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Subscribe", "Resource": "*"}]});
    sns.create_topic()
        .name("e2e-topic-bad")
        .attributes("Policy", public_subscribe.to_string())
        .send()
        .await
        .expect("topic");

    // RDS: two production PostgreSQL instances holding PHI, one compliant on the customer key
    // and one that is everything the RDS rules refuse; a private snapshot of the first and a
    // public one of the second. (moto also takes an automated snapshot of each.)
    use aws_sdk_rds::types::Tag as RdsTag;
    let rds = aws_sdk_rds::Client::new(&config);
    let rds_tags = || {
        vec![
            RdsTag::builder()
                .key("Environment")
                .value("production")
                .build(),
            RdsTag::builder()
                .key("DataClassification")
                .value("phi")
                .build(),
        ]
    };
    for good in [true, false] {
        let name = if good { "e2e-db-good" } else { "e2e-db-bad" };
        let mut request = rds
            .create_db_instance()
            .db_instance_identifier(name)
            .engine("postgres")
            .db_instance_class("db.t3.micro")
            .allocated_storage(20)
            .master_username("e2e_admin")
            .master_user_password("e2e-password-1")
            .storage_encrypted(good)
            .backup_retention_period(if good { 7 } else { 0 })
            .deletion_protection(good)
            .publicly_accessible(!good)
            .enable_iam_database_authentication(good)
            .multi_az(good)
            .set_tags(Some(rds_tags()));
        if good {
            request = request
                .kms_key_id(key)
                .enable_cloudwatch_logs_exports("postgresql");
        }
        request.send().await.expect("db instance");
        rds.create_db_snapshot()
            .db_instance_identifier(name)
            .db_snapshot_identifier(if good {
                "e2e-snap-good"
            } else {
                "e2e-snap-bad"
            })
            .send()
            .await
            .expect("db snapshot");
    }
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier("e2e-snap-bad")
        .attribute_name("restore")
        .values_to_add("all")
        .send()
        .await
        .expect("public snapshot");

    // ElastiCache: a TLS-only, authenticated, Multi-AZ group with snapshots, and one with
    // none of it.
    crate::support::seed::compliant_replication_group(&config, "e2e-cache-good", &[]).await;
    let cache = aws_sdk_elasticache::Client::new(&config);
    cache
        .create_replication_group()
        .replication_group_id("e2e-cache-bad")
        .replication_group_description("open")
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .send()
        .await
        .expect("replication group");

    // OpenSearch: a VPC domain with encryption, TLS 1.2, fine-grained access and logs; and
    // moto's defaults (public, HTTP allowed, TLS 1.0, no encryption).
    crate::support::seed::compliant_search_domain(&config, "e2e-search-good").await;
    aws_sdk_opensearch::Client::new(&config)
        .create_domain()
        .domain_name("e2e-search-bad")
        .send()
        .await
        .expect("domain");

    // Bedrock: invocation logging of text to an existing log group (one document per region,
    // so its FAIL is the collector test's, in a region without a configuration).
    aws_sdk_cloudwatchlogs::Client::new(&config)
        .create_log_group()
        .log_group_name("/e2e/bedrock")
        .send()
        .await
        .expect("bedrock log group");
    aws_sdk_bedrock::Client::new(&config)
        .put_model_invocation_logging_configuration()
        .logging_config(
            aws_sdk_bedrock::types::LoggingConfig::builder()
                .cloud_watch_config(
                    aws_sdk_bedrock::types::CloudWatchConfig::builder()
                        .log_group_name("/e2e/bedrock")
                        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/e2e-bedrock-logs"))
                        .build()
                        .expect("cloudwatch config"),
                )
                .text_data_delivery_enabled(true)
                .build(),
        )
        .send()
        .await
        .expect("bedrock logging");

    // EventBridge: rules on a custom bus, one with an existing target and a DLQ.
    let events = aws_sdk_eventbridge::Client::new(&config);
    events
        .create_event_bus()
        .name("e2e-bus")
        .send()
        .await
        .expect("bus");
    use aws_sdk_eventbridge::types::{DeadLetterConfig, Target};
    let targets = [
        (
            "e2e-rule-good",
            fn_arn("e2e-fn-good"),
            Some(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:e2e-dlq")),
        ),
        ("e2e-rule-bad", fn_arn("e2e-fn-missing"), None),
    ];
    for (name, target, dlq) in targets {
        events
            .put_rule()
            .name(name)
            .event_bus_name("e2e-bus")
            .event_pattern(r#"{"source":["e2e.app"]}"#)
            .send()
            .await
            .expect("rule");
        let mut target = Target::builder().id("t1").arn(target);
        if let Some(dlq) = dlq {
            target = target.dead_letter_config(DeadLetterConfig::builder().arn(dlq).build());
        }
        events
            .put_targets()
            .rule(name)
            .event_bus_name("e2e-bus")
            .targets(target.build().expect("target"))
            .send()
            .await
            .expect("targets");
    }

    // Rules on the default bus that deliver to a queue: the custom-bus rules above do not
    // judge them, the queue-DLQ rule does.
    for (name, queue) in [
        ("e2e-rule-queue-good", "e2e-queue-good"),
        ("e2e-rule-queue-bad", "e2e-queue-bad"),
    ] {
        events
            .put_rule()
            .name(name)
            .event_pattern(r#"{"source":["e2e.queue"]}"#)
            .send()
            .await
            .expect("rule");
        events
            .put_targets()
            .rule(name)
            .targets(
                Target::builder()
                    .id("q")
                    .arn(queue_arn(queue))
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("targets");
    }

    // Step Functions.
    use aws_sdk_sfn::types::*;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let task = |function: String| {
        json!({"StartAt": "Run", "States": {"Run": {"Type": "Task", "Resource": function, "End": true}}})
            .to_string()
    };
    // The workflows' role may invoke e2e-fn-good only, so e2e-sm-bad's task is not allowed.
    let sm_role = create_lambda_role(&config, "e2e-sm-role").await;
    let invoke = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "lambda:InvokeFunction", "Resource": fn_arn("e2e-fn-good")}]});
    aws_sdk_iam::Client::new(&config)
        .put_role_policy()
        .role_name("e2e-sm-role")
        .policy_name("invoke-tasks")
        .policy_document(invoke.to_string())
        .send()
        .await
        .expect("role policy");
    sfn.create_state_machine()
        .name("e2e-sm-good")
        .definition(task(fn_arn("e2e-fn-good")))
        .role_arn(&sm_role)
        .logging_configuration(
            LoggingConfiguration::builder()
                .level(LogLevel::Error)
                .destinations(
                    LogDestination::builder()
                        .cloud_watch_logs_log_group(
                            CloudWatchLogsLogGroup::builder()
                                .log_group_arn(format!(
                                    "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:e2e-logs-audit-good:*"
                                ))
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("state machine");
    sfn.create_state_machine()
        .name("e2e-sm-bad")
        .definition(task(fn_arn("e2e-fn-missing")))
        .role_arn(&sm_role)
        .send()
        .await
        .expect("state machine");

    // Kinesis.
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    for name in ["e2e-stream-good", "e2e-stream-bad", "e2e-stream-untagged"] {
        kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(1)
            .send()
            .await
            .expect("stream");
    }
    for name in ["e2e-stream-good", "e2e-stream-bad"] {
        kinesis
            .add_tags_to_stream()
            .stream_name(name)
            .tags("DataClassification", "audit")
            .send()
            .await
            .expect("stream tags");
    }
    kinesis
        .increase_stream_retention_period()
        .stream_name("e2e-stream-good")
        .retention_period_hours(168)
        .send()
        .await
        .expect("retention");
    kinesis
        .start_stream_encryption()
        .stream_name("e2e-stream-good")
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id(key)
        .send()
        .await
        .expect("stream encryption");

    // Secrets Manager: rotation without a Lambda is enough for moto's metadata.
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    for name in ["e2e-secret-good", "e2e-secret-bad"] {
        sm.create_secret()
            .name(name)
            .secret_string("e2e-secret-value")
            .send()
            .await
            .expect("secret");
    }
    sm.rotate_secret()
        .secret_id("e2e-secret-good")
        .rotation_rules(
            aws_sdk_secretsmanager::types::RotationRulesType::builder()
                .automatically_after_days(30)
                .build(),
        )
        .rotate_immediately(false)
        .send()
        .await
        .expect("rotate");

    // SSM: names that look like secrets.
    use aws_sdk_ssm::types::ParameterType;
    let ssm = aws_sdk_ssm::Client::new(&config);
    for (name, kind) in [
        ("/e2e/db_password", ParameterType::SecureString),
        ("/e2e/api_token", ParameterType::String),
        ("/e2e/plain", ParameterType::String),
    ] {
        ssm.put_parameter()
            .name(name)
            .value("e2e-parameter-value")
            .r#type(kind)
            .send()
            .await
            .expect("parameter");
    }
}

// ---------------------------------------------------------------- running the binary

/// Runs `posture` with `args` in the hermetic environment; panics when it cannot start.
fn posture(args: &[&str]) -> Output {
    posture_command(POSTURE)
        .args(args)
        .output()
        .expect("run the posture binary")
}

/// `posture scan` against `endpoint` writing a JSON report with passes; returns (exit code,
/// report).
fn scan(endpoint: &str, dir: &Path, extra: &[&str]) -> (i32, Value) {
    let report = dir.join("report.json");
    let mut args = vec![
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
    ];
    args.extend(extra);
    let role = scan_role(ACCOUNT);
    if !extra.contains(&"--role-arn") {
        args.extend(["--role-arn", role.as_str()]);
    }
    let output = posture(&args);
    let code = output.status.code().expect("posture exited by a signal");
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| {
        panic!(
            "no report at {} ({e}); exit {code}, stderr:\n{}",
            report.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, serde_json::from_str(&text).expect("report is JSON"))
}

/// Status of each (rule id, resource name) in the report's findings.
fn verdicts(report: &Value) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for finding in report["findings"].as_array().expect("findings") {
        let key = (
            finding["rule_id"].as_str().expect("rule_id").to_string(),
            finding["resource"]["name"]
                .as_str()
                .expect("name")
                .to_string(),
        );
        let status = finding["status"].as_str().expect("status").to_string();
        let previous = out.insert(key.clone(), status);
        assert!(previous.is_none(), "two findings for {key:?}");
    }
    out
}

/// The key id behind a KMS alias (findings name keys by id).
async fn key_id(config: &aws_types::SdkConfig, alias: &str) -> String {
    aws_sdk_kms::Client::new(config)
        .describe_key()
        .key_id(alias)
        .send()
        .await
        .expect("describe key")
        .key_metadata()
        .expect("metadata")
        .key_id()
        .to_string()
}

// ---------------------------------------------------------------- verdicts

/// (rule id, resource name, expected status): a compliant and a non-compliant resource of
/// every rule. `{key-good}` / `{key-bad}` / `{account}` are filled in at run time.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("lambda-queue-sources-have-dlq", "e2e-fn-good", "PASS"),
    ("lambda-queue-sources-have-dlq", "e2e-fn-bad", "FAIL"),
    ("bedrock-invocation-logging", "{account-region}", "PASS"),
    ("elasticache-authentication", "e2e-cache-good", "PASS"),
    ("elasticache-authentication", "e2e-cache-bad", "FAIL"),
    ("elasticache-automatic-failover", "e2e-cache-good", "PASS"),
    ("elasticache-automatic-failover", "e2e-cache-bad", "FAIL"),
    ("elasticache-encrypted-at-rest", "e2e-cache-good", "PASS"),
    ("elasticache-encrypted-at-rest", "e2e-cache-bad", "FAIL"),
    ("elasticache-encrypted-in-transit", "e2e-cache-good", "PASS"),
    ("elasticache-encrypted-in-transit", "e2e-cache-bad", "FAIL"),
    ("elasticache-snapshot-retention", "e2e-cache-good", "PASS"),
    ("elasticache-snapshot-retention", "e2e-cache-bad", "FAIL"),
    ("opensearch-encrypted", "e2e-search-good", "PASS"),
    ("opensearch-encrypted", "e2e-search-bad", "FAIL"),
    ("opensearch-fine-grained-access", "e2e-search-good", "PASS"),
    ("opensearch-fine-grained-access", "e2e-search-bad", "FAIL"),
    ("opensearch-https-tls12", "e2e-search-good", "PASS"),
    ("opensearch-https-tls12", "e2e-search-bad", "FAIL"),
    ("opensearch-in-vpc", "e2e-search-good", "PASS"),
    ("opensearch-in-vpc", "e2e-search-bad", "FAIL"),
    ("opensearch-logging", "e2e-search-good", "PASS"),
    ("opensearch-logging", "e2e-search-bad", "FAIL"),
    ("cloudtrail-multi-region-logging", "{account}", "PASS"),
    // Its FAIL is in `an_account_without_a_trail_fails` (one verdict per account).
    ("cloudtrail-trail-kms-encryption", "e2e-trail-good", "PASS"),
    ("cloudtrail-trail-kms-encryption", "e2e-trail-bad", "FAIL"),
    (
        "dynamodb-table-deletion-protection",
        "e2e-table-good",
        "PASS",
    ),
    (
        "dynamodb-table-deletion-protection",
        "e2e-table-bad",
        "FAIL",
    ),
    ("dynamodb-table-kms-encryption", "e2e-table-good", "PASS"),
    ("dynamodb-table-kms-encryption", "e2e-table-bad", "FAIL"),
    ("dynamodb-table-pitr", "e2e-table-good", "PASS"),
    ("dynamodb-table-pitr", "e2e-table-bad", "FAIL"),
    (
        "dynamodb-table-ttl-for-retention-class",
        "e2e-table-good",
        "PASS",
    ),
    (
        "dynamodb-table-ttl-for-retention-class",
        "e2e-table-bad",
        "FAIL",
    ),
    (
        "events-rule-queue-targets-have-dlq",
        "e2e-rule-queue-good",
        "PASS",
    ),
    (
        "events-rule-queue-targets-have-dlq",
        "e2e-rule-queue-bad",
        "FAIL",
    ),
    ("events-rule-targets-dlq", "e2e-rule-good", "PASS"),
    ("events-rule-targets-dlq", "e2e-rule-bad", "FAIL"),
    ("events-rule-targets-exist", "e2e-rule-good", "PASS"),
    ("events-rule-targets-exist", "e2e-rule-bad", "FAIL"),
    ("iam-principal-no-admin", "e2e-role-app", "PASS"),
    ("iam-principal-no-admin", "e2e-role-admin", "FAIL"),
    (
        "iam-principal-no-privilege-escalation",
        "e2e-role-app",
        "PASS",
    ),
    (
        "iam-principal-no-privilege-escalation",
        "e2e-sm-role",
        "PASS",
    ),
    (
        "iam-principal-no-privilege-escalation",
        "e2e-role-admin",
        "FAIL",
    ),
    ("iam-policy-no-admin", "e2e-policy-good", "PASS"),
    ("iam-policy-no-admin", "e2e-policy-admin", "FAIL"),
    ("iam-policy-no-admin", "e2e-policy-s3-star", "PASS"),
    (
        "iam-policy-no-privilege-escalation",
        "e2e-policy-good",
        "PASS",
    ),
    (
        "iam-policy-no-privilege-escalation",
        "e2e-policy-escalate",
        "FAIL",
    ),
    (
        "iam-policy-no-privilege-escalation",
        "e2e-policy-write-all",
        "PASS",
    ),
    ("iam-policy-no-service-wildcard", "e2e-policy-good", "PASS"),
    (
        "iam-policy-no-service-wildcard",
        "e2e-policy-s3-star",
        "FAIL",
    ),
    (
        "iam-policy-no-service-wildcard",
        "e2e-policy-escalate",
        "PASS",
    ),
    (
        "iam-policy-no-write-on-all-resources",
        "e2e-policy-good",
        "PASS",
    ),
    (
        "iam-policy-no-write-on-all-resources",
        "e2e-policy-write-all",
        "FAIL",
    ),
    (
        "iam-policy-no-write-on-all-resources",
        "e2e-policy-escalate",
        "PASS",
    ),
    ("kinesis-audit-stream-retention", "e2e-stream-good", "PASS"),
    ("kinesis-audit-stream-retention", "e2e-stream-bad", "FAIL"),
    ("kinesis-stream-kms-encryption", "e2e-stream-good", "PASS"),
    ("kinesis-stream-kms-encryption", "e2e-stream-bad", "FAIL"),
    ("kms-key-rotation-enabled", "{key-good}", "PASS"),
    ("kms-key-rotation-enabled", "{key-bad}", "FAIL"),
    ("lambda-env-no-secret-names", "e2e-fn-good", "PASS"),
    ("lambda-env-no-secret-names", "e2e-fn-bad", "FAIL"),
    ("lambda-execution-role-not-admin", "e2e-fn-good", "PASS"),
    ("lambda-execution-role-not-admin", "e2e-fn-bad", "FAIL"),
    ("lambda-runtime-supported", "e2e-fn-good", "PASS"),
    ("lambda-runtime-supported", "e2e-fn-bad", "FAIL"),
    (
        "logs-application-max-retention",
        "e2e-logs-app-good",
        "PASS",
    ),
    ("logs-application-max-retention", "e2e-logs-app-bad", "FAIL"),
    ("logs-audit-retention", "e2e-logs-audit-good", "PASS"),
    ("logs-audit-retention", "e2e-logs-audit-bad", "FAIL"),
    ("logs-group-min-retention", "e2e-logs-audit-good", "PASS"),
    ("logs-group-min-retention", "e2e-logs-app-bad", "PASS"),
    ("logs-group-min-retention", "e2e-logs-untagged", "FAIL"),
    (
        "logs-sensitive-kms-encryption",
        "e2e-logs-audit-good",
        "PASS",
    ),
    (
        "logs-sensitive-kms-encryption",
        "e2e-logs-audit-bad",
        "FAIL",
    ),
    (
        "s3-archive-bucket-lifecycle-tiers",
        "e2e-archive-good",
        "PASS",
    ),
    (
        "s3-archive-bucket-lifecycle-tiers",
        "e2e-archive-bad",
        "FAIL",
    ),
    ("rds-backup-retention", "e2e-db-good", "PASS"),
    ("rds-backup-retention", "e2e-db-bad", "FAIL"),
    ("rds-deletion-protection", "e2e-db-good", "PASS"),
    ("rds-deletion-protection", "e2e-db-bad", "FAIL"),
    ("rds-iam-authentication", "e2e-db-good", "PASS"),
    ("rds-iam-authentication", "e2e-db-bad", "FAIL"),
    ("rds-instance-not-public", "e2e-db-good", "PASS"),
    ("rds-instance-not-public", "e2e-db-bad", "FAIL"),
    ("rds-log-exports", "e2e-db-good", "PASS"),
    ("rds-log-exports", "e2e-db-bad", "FAIL"),
    ("rds-production-multi-az", "e2e-db-good", "PASS"),
    ("rds-production-multi-az", "e2e-db-bad", "FAIL"),
    ("rds-sensitive-customer-key", "e2e-db-good", "PASS"),
    ("rds-sensitive-customer-key", "e2e-db-bad", "FAIL"),
    ("rds-snapshot-encrypted", "e2e-snap-good", "PASS"),
    ("rds-snapshot-encrypted", "e2e-snap-bad", "FAIL"),
    ("rds-snapshot-not-public", "e2e-snap-good", "PASS"),
    ("rds-snapshot-not-public", "e2e-snap-bad", "FAIL"),
    ("rds-storage-encrypted", "e2e-db-good", "PASS"),
    ("rds-storage-encrypted", "e2e-db-bad", "FAIL"),
    ("s3-audit-bucket-object-lock", "e2e-audit-good", "PASS"),
    ("s3-audit-bucket-object-lock", "e2e-audit-bad", "FAIL"),
    ("s3-bucket-access-logging", "e2e-s3-good", "PASS"),
    ("s3-bucket-access-logging", "e2e-s3-bad", "FAIL"),
    ("s3-bucket-default-encryption", "e2e-s3-good", "PASS"),
    ("s3-bucket-default-encryption", "e2e-s3-aes", "PASS"),
    ("s3-bucket-default-encryption", "e2e-s3-bad", "FAIL"),
    ("s3-bucket-kms-encryption", "e2e-s3-good", "PASS"),
    ("s3-bucket-kms-encryption", "e2e-s3-aes", "FAIL"),
    ("s3-bucket-public-access-block", "e2e-s3-good", "PASS"),
    ("s3-bucket-public-access-block", "e2e-s3-bad", "FAIL"),
    ("s3-bucket-min-tls-version", "e2e-s3-good", "PASS"),
    ("s3-bucket-min-tls-version", "e2e-s3-bad", "FAIL"),
    ("s3-bucket-tls-only", "e2e-s3-good", "PASS"),
    ("s3-bucket-tls-only", "e2e-s3-bad", "FAIL"),
    ("s3-bucket-versioning-enabled", "e2e-s3-good", "PASS"),
    ("s3-bucket-versioning-enabled", "e2e-s3-aes", "FAIL"),
    ("s3-bucket-versioning-enabled", "e2e-s3-bad", "FAIL"),
    ("secretsmanager-rotation-enabled", "e2e-secret-good", "PASS"),
    ("secretsmanager-rotation-enabled", "e2e-secret-bad", "FAIL"),
    ("sns-topic-kms-encryption", "e2e-topic-good", "PASS"),
    ("sns-topic-kms-encryption", "e2e-topic-bad", "FAIL"),
    ("sns-topic-not-public", "e2e-topic-good", "PASS"),
    ("sns-topic-not-public", "e2e-topic-bad", "FAIL"),
    ("sqs-queue-encrypted", "e2e-queue-good", "PASS"),
    ("sqs-queue-encrypted", "e2e-queue-bad", "FAIL"),
    ("sqs-queue-not-public", "e2e-queue-good", "PASS"),
    ("sqs-queue-not-public", "e2e-queue-bad", "FAIL"),
    ("sfn-lambda-targets-exist", "e2e-sm-good", "PASS"),
    ("sfn-lambda-targets-exist", "e2e-sm-bad", "FAIL"),
    ("sfn-role-can-invoke-lambdas", "e2e-sm-good", "PASS"),
    ("sfn-role-can-invoke-lambdas", "e2e-sm-bad", "FAIL"),
    ("sfn-logging-enabled", "e2e-sm-good", "PASS"),
    ("sfn-logging-enabled", "e2e-sm-bad", "FAIL"),
    (
        "ssm-secret-parameters-secure-string",
        "/e2e/db_password",
        "PASS",
    ),
    (
        "ssm-secret-parameters-secure-string",
        "/e2e/api_token",
        "FAIL",
    ),
    (
        "tags-dynamodb-table-classification",
        "e2e-table-good",
        "PASS",
    ),
    (
        "tags-dynamodb-table-classification",
        "e2e-table-bad",
        "FAIL",
    ),
    (
        "tags-kinesis-stream-classification",
        "e2e-stream-good",
        "PASS",
    ),
    (
        "tags-kinesis-stream-classification",
        "e2e-stream-untagged",
        "FAIL",
    ),
    (
        "tags-logs-group-classification",
        "e2e-logs-audit-good",
        "PASS",
    ),
    (
        "tags-logs-group-classification",
        "e2e-logs-untagged",
        "FAIL",
    ),
    ("tags-s3-bucket-classification", "e2e-s3-good", "PASS"),
    ("tags-s3-bucket-classification", "e2e-s3-bad", "FAIL"),
];

/// Resources that a `where` must leave out: no finding at all for them.
const EXCLUDED: &[(&str, &str)] = &[
    // RSA_2048 SIGN_VERIFY: cannot rotate automatically.
    ("kms-key-rotation-enabled", "{key-signing}"),
    // Tagged Purpose=access-logs.
    ("s3-bucket-access-logging", "e2e-logs-target"),
    // Not tagged audit / archive / application.
    ("s3-audit-bucket-object-lock", "e2e-s3-good"),
    ("s3-archive-bucket-lifecycle-tiers", "e2e-s3-good"),
    ("logs-application-max-retention", "e2e-logs-audit-good"),
    ("kinesis-audit-stream-retention", "e2e-stream-untagged"),
    // Not a secret-looking name.
    ("ssm-secret-parameters-secure-string", "/e2e/plain"),
];

/// Rules over resource types moto has no backend for (`DocumentDB`: `CreateDBCluster` with
/// engine docdb is refused) or whose attributes it does not emulate (Glacier vault tags and
/// locks). Their verdicts are covered by the rule tests' documents and the collector tests'
/// fault proxy; here they must list cleanly and find nothing.
const MOTO_CANNOT_SEED: &[&str] = &["docdb-cluster-audit-logs", "glacier-archive-vault-locked"];

/// Rules over a document per account (or per region, in this one-region scan): PASS here,
/// their FAIL is in their own tests.
const ONE_PER_ACCOUNT: &[&str] = &[
    "cloudtrail-multi-region-logging",
    "bedrock-invocation-logging",
];

/// The rule ids of the bundled pack, from `posture rules list`.
fn rule_ids() -> Vec<String> {
    let output = posture(&["rules", "list"]);
    assert!(output.status.success(), "posture rules list failed");
    let ids: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    // As many as rule files in rules/ (a rule per file in this pack; frameworks/ holds
    // framework files, not rules).
    let files = walkdir::WalkDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().parent().and_then(Path::file_name) != Some("frameworks".as_ref()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy();
            name.ends_with(".yaml")
                && !name.ends_with(".tests.yaml")
                && !name.ends_with(".data.yaml")
        })
        .count();
    assert_eq!(ids.len(), files, "rules: {ids:?}");
    assert!(ids.len() >= 38, "rules: {ids:?}");
    ids
}

#[test]
fn every_rule_gives_the_expected_verdicts() {
    seeded();
    isolated(verdicts_body);
}

async fn verdicts_body(env: TestEnv) {
    let config = account_config(&env.moto, ACCOUNT).await;
    let key_good = key_id(&config, KEY_GOOD_ALIAS).await;
    let key_bad = key_id(&config, KEY_BAD_ALIAS).await;
    let key_signing = key_id(&config, KEY_SIGNING_ALIAS).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, report) = scan(&env.moto, dir.path(), &[]);
    assert_eq!(code, 1, "FAILs at the default --fail-on low give exit 1");

    let ids = rule_ids();
    let rules: BTreeMap<&str, &Value> = report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| (r["id"].as_str().expect("id"), r))
        .collect();
    for id in &ids {
        let rule = rules
            .get(id.as_str())
            .unwrap_or_else(|| panic!("rule {id} missing from the report"));
        if MOTO_CANNOT_SEED.contains(&id.as_str()) {
            // Listed without error and with nothing to judge.
            assert_eq!(rule["outcome"], "NO_RESOURCES", "{id}: {rule}");
            continue;
        }
        assert_ne!(rule["outcome"], "ERROR", "{id}: {rule}");
        assert_eq!(rule["error"], 0, "{id}: {rule}");
        // Each rule has a failing resource here, except the rules over one document per
        // account or region.
        let outcome = if ONE_PER_ACCOUNT.contains(&id.as_str()) {
            "PASS"
        } else {
            "FAIL"
        };
        assert_eq!(rule["outcome"], outcome, "{id}: {rule}");
        assert!(
            rule["pass"].as_u64().expect("pass count") >= 1,
            "{id}: {rule}"
        );
    }
    assert_eq!(rules.len(), ids.len());
    // Every rule is covered by the table with both verdicts (the account rule's FAIL is in
    // its own test).
    for id in ids
        .iter()
        .filter(|id| !MOTO_CANNOT_SEED.contains(&id.as_str()))
    {
        let statuses: Vec<&str> = EXPECTED
            .iter()
            .filter(|(rule, _, _)| rule == id)
            .map(|(_, _, s)| *s)
            .collect();
        assert!(statuses.contains(&"PASS"), "no compliant resource for {id}");
        assert!(
            statuses.contains(&"FAIL") || ONE_PER_ACCOUNT.contains(&id.as_str()),
            "no non-compliant resource for {id}"
        );
    }

    let found = verdicts(&report);
    let errors: Vec<_> = found.iter().filter(|(_, s)| *s == "ERROR").collect();
    assert!(errors.is_empty(), "ERROR findings: {errors:#?}");
    let mut wrong = Vec::new();
    let account_region = format!("{ACCOUNT}/{REGION}");
    for (rule, name, expected) in EXPECTED {
        let name = match *name {
            "{key-good}" => key_good.as_str(),
            "{key-bad}" => key_bad.as_str(),
            "{account}" => ACCOUNT,
            "{account-region}" => account_region.as_str(),
            other => other,
        };
        let got = found.get(&(rule.to_string(), name.to_string()));
        if got.map(String::as_str) != Some(*expected) {
            wrong.push(format!("{rule} {name}: expected {expected}, got {got:?}"));
        }
    }
    for (rule, name) in EXCLUDED {
        let name = if *name == "{key-signing}" {
            key_signing.as_str()
        } else {
            name
        };
        if let Some(got) = found.get(&(rule.to_string(), name.to_string())) {
            wrong.push(format!("{rule} {name}: expected no finding, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));

    // Besides the seeded keys, the rotation rule may judge only moto's alias/aws/* keys (moto
    // makes the aws/dynamodb key CUSTOMER-managed; real AWS makes it AWS-managed and exempt).
    // The asymmetric signing key is outside the rule (EXCLUDED above).
    let mut moto_keys = std::collections::BTreeSet::new();
    let aliases = aws_sdk_kms::Client::new(&config)
        .list_aliases()
        .limit(100)
        .send()
        .await
        .expect("aliases");
    for alias in aliases.aliases() {
        if alias
            .alias_name()
            .is_some_and(|n| n.starts_with("alias/aws/"))
        {
            moto_keys.extend(alias.target_key_id().map(str::to_string));
        }
    }
    let others: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "kms-key-rotation-enabled")
        .map(|f| f["resource"]["name"].as_str().expect("key id"))
        .filter(|id| ![key_good.as_str(), key_bad.as_str()].contains(id))
        .collect();
    for id in &others {
        assert!(
            moto_keys.contains(*id),
            "kms-key-rotation-enabled judged key {id}, neither seeded nor moto's alias/aws/*"
        );
    }
    // Evidence carries the observed values: the audit bucket's retention in days.
    let lock = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| {
            f["rule_id"] == "s3-audit-bucket-object-lock"
                && f["resource"]["name"] == "e2e-audit-good"
        })
        .expect("object lock finding");
    assert_eq!(
        lock["evidence"]["object_lock.default_retention.days"], 2555,
        "{lock}"
    );
    assert_eq!(report["source"]["kind"], "live");
    assert_eq!(report["source"]["accounts"][0]["account"], ACCOUNT);
}

#[test]
fn an_account_without_a_trail_fails() {
    seeded();
    isolated(no_trail_body);
}

async fn no_trail_body(env: TestEnv) {
    // moto keeps each account apart by the account of the assumed role: this one is empty.
    let empty = "210987654321";
    let role = format!("arn:aws:iam::{empty}:role/e2e-scanner");
    let dir = tempfile::tempdir().expect("temp dir");
    let rule = "rules/cloudtrail/cloudtrail-multi-region-logging.yaml";
    let (code, report) = scan(
        &env.moto,
        dir.path(),
        &["--role-arn", &role, "--no-builtin-rules", "--rules", rule],
    );
    let found = verdicts(&report);
    assert_eq!(
        found.get(&("cloudtrail-multi-region-logging".into(), empty.into())),
        Some(&"FAIL".to_string()),
        "{found:?}"
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(code, 1);
    // The same rule alone on the seeded account passes: exit 0.
    let (code, report) = scan(
        &env.moto,
        dir.path(),
        &["--no-builtin-rules", "--rules", rule],
    );
    assert_eq!(
        verdicts(&report).get(&("cloudtrail-multi-region-logging".into(), ACCOUNT.into())),
        Some(&"PASS".to_string())
    );
    assert_eq!(code, 0);
}

// ---------------------------------------------------------------- read-only

#[test]
fn a_full_scan_only_reads() {
    seeded();
    isolated(read_only_body);
}

async fn read_only_body(env: TestEnv) {
    let proxy = FaultProxy::start(&env.moto);
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, report) = scan(&proxy.endpoint(), dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        report["findings"].as_array().expect("findings").len() > 80,
        "the scan through the proxy saw the seeded account"
    );
    // About 90 requests for this account since tags and IAM come in bulk listings.
    crate::support::fault_proxy::assert_only_reads(&proxy.requests(), 50);
    // Every action the scan called is in the policy `iam-policy` prints for the same rules.
    assert_policy_covers(&proxy.requests(), &["iam-policy"]);

    // And a snapshot of everything stays within `iam-policy --everything`.
    let snapshot_proxy = FaultProxy::start(&env.moto);
    let inventory = dir.path().join("everything.json");
    let role = scan_role(ACCOUNT);
    let output = posture(&[
        "snapshot",
        "--endpoint-url",
        &snapshot_proxy.endpoint(),
        "--region",
        REGION,
        "--role-arn",
        &role,
        "-o",
        inventory.to_str().expect("utf-8 path"),
        "-q",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_policy_covers(&snapshot_proxy.requests(), &["iam-policy", "--everything"]);

    // The policy the scan needs: reads only, and never a secret's value.
    let output = posture(&["iam-policy"]);
    assert!(output.status.success());
    let policy: Value = serde_json::from_slice(&output.stdout).expect("iam-policy prints JSON");
    let actions: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a.as_str().expect("action"))
        .collect();
    assert!(actions.len() > 30, "{actions:?}");
    for action in &actions {
        let (_, name) = action.split_once(':').expect("service:Action");
        assert!(
            ["List", "Get", "Describe"]
                .iter()
                .any(|p| name.starts_with(p)),
            "not a read action: {action}"
        );
        assert!(
            !crate::support::fault_proxy::SECRET_READS.contains(&name),
            "the scan policy grants {action}"
        );
    }
    assert_eq!(policy["Statement"][0]["Effect"], "Allow");
}

/// The IAM actions of `requests` (assuming the scan role aside) all appear in the policy
/// that `posture <policy_args>` prints.
fn assert_policy_covers(requests: &[crate::support::fault_proxy::Request], policy_args: &[&str]) {
    let output = posture(policy_args);
    assert!(output.status.success());
    let policy: Value = serde_json::from_slice(&output.stdout).expect("iam-policy prints JSON");
    let granted: std::collections::BTreeSet<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut called = std::collections::BTreeSet::new();
    for request in requests {
        let action = request
            .iam_action()
            .unwrap_or_else(|| panic!("no IAM action known for {}", request.describe()));
        if action != "sts:AssumeRole" {
            called.insert(action);
        }
    }
    assert!(called.len() > 10, "{called:?}");
    let missing: Vec<&String> = called
        .iter()
        .filter(|a| !granted.contains(a.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "`posture {}` lacks {missing:?}",
        policy_args.join(" ")
    );
}

// ---------------------------------------------------------------- offline re-evaluation

#[test]
fn a_saved_inventory_gives_the_same_findings() {
    seeded();
    isolated(inventory_body);
}

/// Without -q a live scan says on stderr what it is about to do (the endpoint above all),
/// which account it reached as whom, and how the collection went.
fn banner_and_summary_on_stderr(env: &TestEnv) {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let role = scan_role(ACCOUNT);
    let output = posture(&[
        "scan",
        "--endpoint-url",
        &env.moto,
        "--region",
        REGION,
        "--role-arn",
        &role,
        "--rule",
        "kms-key-rotation-enabled",
        "--format",
        "json",
        "--output",
        report.to_str().expect("utf-8 path"),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "posture: collecting 1 rule with 1 role, regions {REGION}, through endpoint {} (not AWS",
            env.moto
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "  account {ACCOUNT} as arn:aws:sts::{ACCOUNT}:assumed-role/"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("  collected "), "{stderr}");
    assert!(
        stderr.contains("; wrote "),
        "the closing summary line: {stderr}"
    );
}

/// On a terminal (a pseudo-terminal from util-linux `script`), a live scan draws the two bars
/// and clears them, leaving the one-line summary on screen; through a pipe it draws none.
fn progress_bars_on_a_terminal(env: &TestEnv) {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let role = scan_role(ACCOUNT);
    let args = [
        POSTURE,
        "scan",
        "--endpoint-url",
        &env.moto,
        "--region",
        REGION,
        "--role-arn",
        &role,
        "--format",
        "json",
        "--output",
        report.to_str().expect("utf-8 path"),
    ];
    // `script -c` takes one shell command line; the paths here have no quotes or spaces.
    let line = args.join(" ");
    assert!(!line.contains(['\'', '"']), "{line}");
    let mut command = posture_command("script");
    let output = command
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("util-linux script runs (the terminal test needs it)");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() || output.status.code() == Some(1),
        "{screen}"
    );
    // The bars were drawn with known totals ...
    let bar = regex::Regex::new(r"services \[[=> ]{32}\] \d+/\d+ service reads").unwrap();
    assert!(
        bar.is_match(&screen),
        "no services bar on the terminal: {screen:?}"
    );
    assert!(
        screen.contains("resources ["),
        "no resources bar: {screen:?}"
    );
    // ... and the last thing on screen is the summary, not a bar.
    let plain = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]")
        .unwrap()
        .replace_all(&screen, "");
    let last = plain
        .rsplit(['\n', '\r'])
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    assert!(
        last.contains("; wrote "),
        "last line: {last:?} in {screen:?}"
    );
    // Through a pipe (the other tests' stderr), no bar at all.
    let piped = posture(&args[1..]);
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("service reads"),
        "a bar through a pipe"
    );
}

async fn inventory_body(env: TestEnv) {
    banner_and_summary_on_stderr(&env);
    progress_bars_on_a_terminal(&env);
    let live_dir = tempfile::tempdir().expect("temp dir");
    let inventory = live_dir.path().join("inventory.json");
    let inventory = inventory.to_str().expect("utf-8 path");
    let (live_code, live) = scan(&env.moto, live_dir.path(), &["--save-inventory", inventory]);
    let offline_dir = tempfile::tempdir().expect("temp dir");
    let report = offline_dir.path().join("report.json");
    let output = posture(&[
        "scan",
        "--inventory",
        inventory,
        "--format",
        "json",
        "--output",
        report.to_str().expect("utf-8 path"),
        "--include-pass",
        "-q",
    ]);
    let offline: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("offline report"))
            .expect("JSON");
    // What posture collects passes its own inventory check: no group is set aside.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_eq!(output.status.code(), Some(live_code));
    assert_eq!(live_code, 1);
    assert!(live["findings"].as_array().expect("findings").len() > 80);
    assert_eq!(live["findings"], offline["findings"]);
    assert_eq!(live["rules"], offline["rules"]);
    assert_eq!(offline["source"]["kind"], "inventory");
    // An emulator run is never taken for a real account, even re-evaluated offline.
    assert_eq!(live["source"]["endpoint_url"], env.moto.as_str());
    assert_eq!(offline["source"]["endpoint_url"], env.moto.as_str());
    assert_eq!(
        offline["source"]["resource_count"],
        live["source"]["resource_count"]
    );
    // Object Lock is read only by the audit-bucket rule, whose `where` needs the audit tag: it is
    // fetched for audit buckets and skipped for the others (fewer requests, same verdicts).
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(inventory).expect("inventory"))
            .expect("JSON");
    let buckets: Vec<&Value> = saved["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|d| d["type"] == "aws.s3.bucket")
        .collect();
    let audit = buckets
        .iter()
        .filter(|d| d["tags"]["DataClassification"] == "audit");
    let others = buckets
        .iter()
        .filter(|d| d["tags"]["DataClassification"] != "audit");
    assert!(audit.clone().count() >= 2 && others.clone().count() >= 2);
    for bucket in audit {
        assert!(
            bucket["attributes"]["object_lock"].is_object(),
            "{}",
            bucket["name"]
        );
    }
    for bucket in others {
        assert!(
            bucket["attributes"].get("object_lock").is_none(),
            "{}",
            bucket["name"]
        );
    }
}
