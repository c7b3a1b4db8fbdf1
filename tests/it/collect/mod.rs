//! Live collection against moto server: each service seeded with a compliant and a
//! non-compliant resource through the SDK, then `posture::collect::collect` called directly.
//! Faults moto cannot produce come from `support::fault_proxy`.
//!
//! Tests share one moto server (see `support`), so every resource name starts with the test's
//! own prefix and assertions look resources up by name.

mod support;

use std::time::Duration;

use aws_sdk_s3::primitives::Blob;
use posture::collect::{CollectOptions, NoProgress, RegionSelection, collect};
use posture::inventory::Inventory;
use serde_json::json;
use support::fault_proxy::{Fault, FaultProxy, Request};
use support::{
    ACCOUNT, REGION, TestEnv, assumed_config, create_lambda_role, doc, full_plan, isolated,
    isolated_with, options, plan_of, s3_client, seed_config,
};

async fn collect_all(endpoint: &str) -> Inventory {
    collect(&options(endpoint), &full_plan(), &NoProgress)
        .await
        .expect("collection succeeds")
}

// ---------------------------------------------------------------- S3

#[test]
fn s3_buckets() {
    isolated("s3_buckets", s3_buckets_body);
}

async fn s3_buckets_body(env: TestEnv) {
    use aws_sdk_s3::types::*;
    let config = seed_config(&env.moto, REGION).await;
    let s3 = s3_client(&config);
    for name in ["s3t-good", "s3t-bad", "s3t-logs"] {
        let mut request = s3.create_bucket().bucket(name);
        if name == "s3t-good" {
            request = request.object_lock_enabled_for_bucket(true);
        }
        request.send().await.expect("create bucket");
    }
    let good = "s3t-good";
    s3.put_object_lock_configuration()
        .bucket(good)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::Compliance)
                                .years(7)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("object lock");
    s3.put_bucket_versioning()
        .bucket(good)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    s3.put_bucket_encryption()
        .bucket(good)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .kms_master_key_id("arn:aws:kms:us-east-1:123456789012:key/s3t")
                                .build()
                                .expect("sse default"),
                        )
                        .bucket_key_enabled(true)
                        .build(),
                )
                .build()
                .expect("sse config"),
        )
        .send()
        .await
        .expect("encryption");
    s3.put_bucket_lifecycle_configuration()
        .bucket(good)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("archive-all")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .transitions(
                            Transition::builder()
                                .days(30)
                                .storage_class(TransitionStorageClass::Glacier)
                                .build(),
                        )
                        .expiration(LifecycleExpiration::builder().days(3650).build())
                        .noncurrent_version_expiration(
                            NoncurrentVersionExpiration::builder()
                                .noncurrent_days(90)
                                .build(),
                        )
                        .build()
                        .expect("rule"),
                )
                .rules(
                    LifecycleRule::builder()
                        .id("logs-only")
                        .status(ExpirationStatus::Disabled)
                        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
                        .expiration(LifecycleExpiration::builder().days(7).build())
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await
        .expect("lifecycle");
    s3.put_public_access_block()
        .bucket(good)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .expect("public access block");
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecure", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
            "Resource": ["arn:aws:s3:::s3t-good", "arn:aws:s3:::s3t-good/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    });
    s3.put_bucket_policy()
        .bucket(good)
        .policy(policy.to_string())
        .send()
        .await
        .expect("policy");
    s3.put_bucket_tagging()
        .bucket(good)
        .tagging(
            Tagging::builder()
                .tag_set(
                    Tag::builder()
                        .key("DataClassification")
                        .value("audit")
                        .build()
                        .expect("tag"),
                )
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("tagging");
    // moto checks that the target bucket lets the logging service write, as S3 does.
    let logs_policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::s3t-logs/*"
    }]});
    s3.put_bucket_policy()
        .bucket("s3t-logs")
        .policy(logs_policy.to_string())
        .send()
        .await
        .expect("logs policy");
    s3.put_bucket_logging()
        .bucket(good)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket("s3t-logs")
                        .target_prefix("good/")
                        .build()
                        .expect("logging"),
                )
                .build(),
        )
        .send()
        .await
        .expect("logging");
    // A bucket in a region the scan does not cover: buckets are global, so it is collected.
    let eu = s3_client(&seed_config(&env.moto, "eu-west-1").await);
    eu.create_bucket()
        .bucket("s3t-eu")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("eu bucket");
    eu.put_object()
        .bucket("s3t-eu")
        .key("k")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("object");

    let inventory = collect_all(&env.moto).await;
    let t = "aws.s3.bucket";

    let good = doc(&inventory, t, "s3t-good");
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    assert_eq!(good.arn, "arn:aws:s3:::s3t-good");
    assert_eq!(good.region, REGION);
    assert_eq!(good.account, ACCOUNT);
    assert_eq!(
        good.tags.get("DataClassification").map(String::as_str),
        Some("audit")
    );
    assert_eq!(
        good.attributes["object_lock"],
        json!({"enabled": true, "default_retention": {"mode": "COMPLIANCE", "days": 2555}})
    );
    assert_eq!(
        good.attributes["versioning"],
        json!({"status": "Enabled", "mfa_delete": false})
    );
    assert_eq!(
        good.attributes["encryption"],
        json!({"enabled": true, "algorithm": "aws:kms", "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/s3t", "bucket_key": true})
    );
    let rules = good.attributes["lifecycle"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["id"], "archive-all");
    assert_eq!(rules[0]["status"], "Enabled");
    assert_eq!(rules[0]["applies_to_all_objects"], true);
    assert_eq!(rules[0]["prefix"], "");
    assert_eq!(
        rules[0]["transitions"],
        json!([{"days": 30, "storage_class": "GLACIER"}])
    );
    assert_eq!(rules[0]["expiration_days"], 3650);
    assert_eq!(rules[0]["noncurrent_expiration_days"], 90);
    assert_eq!(rules[1]["applies_to_all_objects"], false);
    assert_eq!(rules[1]["prefix"], "logs/");
    assert_eq!(rules[1]["status"], "Disabled");
    assert_eq!(
        good.attributes["logging"],
        json!({"enabled": true, "target_bucket": "s3t-logs", "target_prefix": "good/"})
    );
    assert_eq!(
        good.attributes["public_access_block"],
        json!({"block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true})
    );
    let policy = &good.attributes["policy"];
    assert_eq!(policy["present"], true);
    assert_eq!(policy["denies_insecure_transport"], true);
    assert_eq!(policy["statements"][0]["effect"], "Deny");
    assert_eq!(policy["statements"][0]["actions"], json!(["s3:*"]));

    // Nothing configured: every "not configured" answer is data, not an error.
    let bad = doc(&inventory, t, "s3t-bad");
    assert!(bad.errors.is_empty(), "{:?}", bad.errors);
    assert!(bad.tags.is_empty());
    assert_eq!(bad.attributes["object_lock"], json!({"enabled": false}));
    assert_eq!(bad.attributes["versioning"]["status"], "Disabled");
    assert_eq!(bad.attributes["encryption"]["enabled"], false);
    assert_eq!(bad.attributes["lifecycle"], json!({"rules": []}));
    assert_eq!(bad.attributes["logging"], json!({"enabled": false}));
    assert_eq!(
        bad.attributes["public_access_block"],
        json!({"block_public_acls": false, "ignore_public_acls": false, "block_public_policy": false, "restrict_public_buckets": false})
    );
    assert_eq!(
        bad.attributes["policy"],
        json!({"present": false, "denies_insecure_transport": false, "statements": []})
    );

    let eu = doc(&inventory, t, "s3t-eu");
    assert_eq!(eu.region, "eu-west-1");
    assert!(eu.errors.is_empty(), "{:?}", eu.errors);
    assert_eq!(eu.attributes["versioning"]["status"], "Disabled");
    // The scan itself covered only us-east-1.
    assert_eq!(inventory.accounts[0].regions, vec![REGION.to_string()]);
}

// ---------------------------------------------------------------- KMS, DynamoDB, Logs

#[test]
fn kms_dynamodb_logs() {
    isolated("kms_dynamodb_logs", kms_dynamodb_logs_body);
}

async fn kms_dynamodb_logs_body(env: TestEnv) {
    use aws_sdk_dynamodb::types::*;
    let config = seed_config(&env.moto, REGION).await;
    let kms = aws_sdk_kms::Client::new(&config);
    let good_key = kms
        .create_key()
        .description("kdl-good")
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("Owner")
                .tag_value("kdl")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("key");
    let good_key = good_key.key_metadata().expect("metadata").clone();
    kms.enable_key_rotation()
        .key_id(good_key.key_id())
        .send()
        .await
        .expect("rotation");
    kms.create_alias()
        .alias_name("alias/kdl-good")
        .target_key_id(good_key.key_id())
        .send()
        .await
        .expect("alias");
    let bad_key = kms
        .create_key()
        .description("kdl-bad")
        .send()
        .await
        .expect("key");
    let bad_key_id = bad_key
        .key_metadata()
        .expect("metadata")
        .key_id()
        .to_string();
    let good_key_arn = good_key.arn().expect("arn").to_string();

    let ddb = aws_sdk_dynamodb::Client::new(&config);
    for (name, encrypted) in [("kdl-table-good", true), ("kdl-table-bad", false)] {
        let mut request = support::seed::table_request(&ddb, name);
        if encrypted {
            request = request.sse_specification(
                SseSpecification::builder()
                    .enabled(true)
                    .sse_type(SseType::Kms)
                    .kms_master_key_id(&good_key_arn)
                    .build(),
            );
        }
        request.send().await.expect("table");
    }
    support::seed::table_pitr(&ddb, "kdl-table-good").await;

    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs.create_log_group()
        .log_group_name("kdl-logs-good")
        .kms_key_id(&good_key_arn)
        .send()
        .await
        .expect("log group");
    logs.put_retention_policy()
        .log_group_name("kdl-logs-good")
        .retention_in_days(365)
        .send()
        .await
        .expect("retention");
    logs.create_log_group()
        .log_group_name("kdl-logs-bad")
        .send()
        .await
        .expect("log group");

    let inventory = collect_all(&env.moto).await;

    let key = doc(&inventory, "aws.kms.key", good_key.key_id());
    assert!(key.errors.is_empty(), "{:?}", key.errors);
    assert_eq!(key.arn, good_key_arn);
    assert_eq!(key.attributes["rotation"]["enabled"], true);
    assert_eq!(
        key.attributes["aliases"],
        json!({"names": ["alias/kdl-good"]})
    );
    assert_eq!(key.attributes["metadata"]["manager"], "CUSTOMER");
    assert_eq!(key.attributes["metadata"]["state"], "Enabled");
    assert_eq!(key.attributes["metadata"]["key_spec"], "SYMMETRIC_DEFAULT");
    assert!(
        key.attributes["metadata"]["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(key.tags.get("Owner").map(String::as_str), Some("kdl"));
    let bad = doc(&inventory, "aws.kms.key", &bad_key_id);
    assert_eq!(bad.attributes["rotation"]["enabled"], false);
    assert_eq!(bad.attributes["aliases"], json!({"names": []}));

    let t = "aws.dynamodb.table";
    let table = doc(&inventory, t, "kdl-table-good");
    assert!(table.errors.is_empty(), "{:?}", table.errors);
    assert_eq!(
        table.arn,
        format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/kdl-table-good")
    );
    assert_eq!(table.attributes["sse"]["type"], "KMS");
    assert_eq!(
        table.attributes["sse"]["kms_key_arn"],
        good_key_arn.as_str()
    );
    assert_eq!(table.attributes["sse"]["key_managed_by"], "CUSTOMER");
    assert_eq!(
        table.attributes["point_in_time_recovery"],
        json!({"enabled": true})
    );
    assert_eq!(table.attributes["table"]["status"], "ACTIVE");
    let table = doc(&inventory, t, "kdl-table-bad");
    assert_eq!(
        table.attributes["sse"],
        json!({"type": "DEFAULT", "key_managed_by": "AWS_OWNED"})
    );
    assert_eq!(
        table.attributes["point_in_time_recovery"],
        json!({"enabled": false})
    );
    assert_eq!(table.attributes["ttl"]["enabled"], false);

    let t = "aws.logs.log_group";
    let group = doc(&inventory, t, "kdl-logs-good");
    assert_eq!(
        group.attributes["retention"],
        json!({"never_expires": false, "days": 365})
    );
    assert_eq!(
        group.attributes["encryption"],
        json!({"kms_key_arn": good_key_arn})
    );
    assert!(!group.arn.ends_with(":*"), "{}", group.arn);
    let group = doc(&inventory, t, "kdl-logs-bad");
    assert_eq!(
        group.attributes["retention"],
        json!({"never_expires": true})
    );
    assert_eq!(group.attributes["encryption"], json!({}));
}

// ---------------------------------------------------------------- Lambda, SSM, Secrets Manager

#[test]
fn lambda_ssm_secrets_never_keep_values() {
    isolated(
        "lambda_ssm_secrets_never_keep_values",
        lambda_ssm_secrets_body,
    );
}

async fn lambda_ssm_secrets_body(env: TestEnv) {
    use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
    let config = seed_config(&env.moto, REGION).await;
    let role_arn = create_lambda_role(&config, "lss-role").await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    lambda
        .create_function()
        .function_name("lss-fn")
        .runtime(Runtime::Python312)
        .role(&role_arn)
        .handler("app.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(support::empty_zip()))
                .build(),
        )
        .environment(
            Environment::builder()
                .variables("DB_PASSWORD", "hunter2-lambda-secret")
                .variables("MODE", "prod")
                .build(),
        )
        .tags("Team", "lss")
        .send()
        .await
        .expect("function");

    let ssm = aws_sdk_ssm::Client::new(&config);
    use aws_sdk_ssm::types::ParameterType;
    ssm.put_parameter()
        .name("/lss/secure")
        .value("ssm-secret-value")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("parameter");
    ssm.put_parameter()
        .name("/lss/plain")
        .value("plain-value")
        .r#type(ParameterType::String)
        .send()
        .await
        .expect("p");

    let sm = aws_sdk_secretsmanager::Client::new(&config);
    sm.create_secret()
        .name("lss-rotated")
        .secret_string("secretsmanager-secret-value")
        .kms_key_id("alias/lss-key")
        .send()
        .await
        .expect("secret");
    sm.rotate_secret()
        .secret_id("lss-rotated")
        .rotation_rules(
            aws_sdk_secretsmanager::types::RotationRulesType::builder()
                .automatically_after_days(30)
                .build(),
        )
        .rotate_immediately(false)
        .send()
        .await
        .expect("rotate");
    sm.create_secret()
        .name("lss-static")
        .secret_string("another-secret-value")
        .send()
        .await
        .expect("secret");

    let inventory = collect_all(&env.moto).await;

    let function = doc(&inventory, "aws.lambda.function", "lss-fn");
    assert!(function.errors.is_empty(), "{:?}", function.errors);
    let configuration = &function.attributes["configuration"];
    assert_eq!(
        configuration["environment_variable_names"],
        json!(["DB_PASSWORD", "MODE"])
    );
    assert_eq!(configuration["runtime"], "python3.12");
    assert_eq!(configuration["role_arn"], role_arn.as_str());
    assert_eq!(configuration["handler"], "app.handler");
    assert_eq!(configuration["package_type"], "Zip");
    let modified = configuration["last_modified"]
        .as_str()
        .expect("last_modified");
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    assert!(
        time::OffsetDateTime::parse(modified, rfc3339).is_ok(),
        "{modified}"
    );
    assert_eq!(function.tags.get("Team").map(String::as_str), Some("lss"));

    let parameter = doc(&inventory, "aws.ssm.parameter", "/lss/secure");
    assert_eq!(parameter.attributes["metadata"]["type"], "SecureString");
    assert_eq!(
        doc(&inventory, "aws.ssm.parameter", "/lss/plain").attributes["metadata"]["type"],
        "String"
    );

    let rotated = doc(&inventory, "aws.secretsmanager.secret", "lss-rotated");
    assert_eq!(rotated.attributes["rotation"]["enabled"], true);
    assert_eq!(rotated.attributes["rotation"]["interval_days"], 30);
    assert_eq!(
        rotated.attributes["encryption"],
        json!({"kms_key_id": "alias/lss-key"})
    );
    let fixed = doc(&inventory, "aws.secretsmanager.secret", "lss-static");
    assert_eq!(fixed.attributes["rotation"]["enabled"], false);
    assert_eq!(fixed.attributes["encryption"], json!({}));

    // No value of any kind reaches the inventory.
    let text = serde_json::to_string(&inventory).expect("serialize");
    for value in [
        "hunter2-lambda-secret",
        "ssm-secret-value",
        "plain-value",
        "secretsmanager-secret-value",
    ] {
        assert!(
            !text.contains(value),
            "the inventory contains the value {value}"
        );
    }
}

// ---------------------------------------------------------------- EventBridge, Step Functions

#[test]
fn events_and_state_machines() {
    isolated("events_and_state_machines", events_and_state_machines_body);
}

async fn events_and_state_machines_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let role_arn = create_lambda_role(&config, "esm-role").await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    events
        .create_event_bus()
        .name("esm-bus")
        .send()
        .await
        .expect("bus");
    events
        .put_rule()
        .name("esm-rule")
        .event_bus_name("esm-bus")
        .event_pattern(r#"{"source":["esm.app"]}"#)
        .send()
        .await
        .expect("rule");
    let function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:esm-target");
    events
        .put_targets()
        .rule("esm-rule")
        .event_bus_name("esm-bus")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("t1")
                .arn(&function_arn)
                .dead_letter_config(
                    aws_sdk_eventbridge::types::DeadLetterConfig::builder()
                        .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:esm-dlq"))
                        .build(),
                )
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("targets");
    events
        .put_rule()
        .name("esm-schedule")
        .schedule_expression("rate(1 hour)")
        .send()
        .await
        .expect("rule");

    let sfn = aws_sdk_sfn::Client::new(&config);
    let definition = json!({
        "StartAt": "Direct",
        "States": {
            "Direct": {"Type": "Task", "Resource": function_arn, "Next": "Invoke"},
            "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:esm-invoked"), "Payload.$": "$"},
                       "End": true}
        }
    });
    let log_group_arn = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:esm-sfn:*");
    use aws_sdk_sfn::types::*;
    sfn.create_state_machine()
        .name("esm-logged")
        .definition(definition.to_string())
        .role_arn(&role_arn)
        .logging_configuration(
            LoggingConfiguration::builder()
                .level(LogLevel::All)
                .include_execution_data(true)
                .destinations(
                    LogDestination::builder()
                        .cloud_watch_logs_log_group(
                            CloudWatchLogsLogGroup::builder()
                                .log_group_arn(&log_group_arn)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("state machine");
    let plain =
        json!({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": true}}});
    sfn.create_state_machine()
        .name("esm-silent")
        .definition(plain.to_string())
        .role_arn(&role_arn)
        .send()
        .await
        .expect("state machine");

    let inventory = collect_all(&env.moto).await;

    let bus = doc(&inventory, "aws.events.bus", "esm-bus");
    assert_eq!(
        bus.attributes["bus"],
        json!({"is_default": false, "has_policy": false})
    );
    assert_eq!(
        doc(&inventory, "aws.events.bus", "default").attributes["bus"]["is_default"],
        true
    );
    let rule = doc(&inventory, "aws.events.rule", "esm-rule");
    assert!(rule.errors.is_empty(), "{:?}", rule.errors);
    assert_eq!(rule.attributes["definition"]["bus_name"], "esm-bus");
    assert_eq!(rule.attributes["definition"]["on_default_bus"], false);
    assert_eq!(rule.attributes["definition"]["state"], "ENABLED");
    assert_eq!(
        rule.attributes["targets"],
        json!({"items": [{"id": "t1", "arn": function_arn, "dead_letter_arn": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:esm-dlq")}]})
    );
    let schedule = doc(&inventory, "aws.events.rule", "esm-schedule");
    assert_eq!(schedule.attributes["definition"]["on_default_bus"], true);
    assert_eq!(
        schedule.attributes["definition"]["schedule_expression"],
        "rate(1 hour)"
    );
    assert_eq!(schedule.attributes["targets"], json!({"items": []}));

    let machine = doc(&inventory, "aws.sfn.state_machine", "esm-logged");
    assert!(machine.errors.is_empty(), "{:?}", machine.errors);
    assert_eq!(
        machine.attributes["definition"]["lambda_function_arns"],
        // Sorted, so the order does not depend on the definition's map order.
        json!([
            format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:esm-invoked"),
            function_arn,
        ])
    );
    assert_eq!(machine.attributes["definition"]["type"], "STANDARD");
    assert_eq!(
        machine.attributes["definition"]["role_arn"],
        role_arn.as_str()
    );
    assert_eq!(
        machine.attributes["logging"],
        json!({"level": "ALL", "include_execution_data": true, "destinations": [log_group_arn]})
    );
    let silent = doc(&inventory, "aws.sfn.state_machine", "esm-silent");
    assert_eq!(
        silent.attributes["definition"]["lambda_function_arns"],
        json!([])
    );
    assert_eq!(silent.attributes["logging"]["level"], "OFF");
    assert_eq!(silent.attributes["tracing"], json!({"enabled": false}));
}

// ---------------------------------------------------------------- CloudTrail, Kinesis

#[test]
fn trails_and_streams() {
    isolated("trails_and_streams", trails_and_streams_body);
}

async fn trails_and_streams_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    s3_client(&config)
        .create_bucket()
        .bucket("tas-trail-bucket")
        .send()
        .await
        .expect("bucket");
    let trail = aws_sdk_cloudtrail::Client::new(&config);
    trail
        .create_trail()
        .name("tas-good")
        .s3_bucket_name("tas-trail-bucket")
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .send()
        .await
        .expect("trail");
    trail
        .start_logging()
        .name("tas-good")
        .send()
        .await
        .expect("logging");
    trail
        .create_trail()
        .name("tas-bad")
        .s3_bucket_name("tas-trail-bucket")
        .send()
        .await
        .expect("trail");

    let kinesis = aws_sdk_kinesis::Client::new(&config);
    for name in ["tas-stream-good", "tas-stream-bad"] {
        kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(1)
            .send()
            .await
            .expect("stream");
    }
    kinesis
        .start_stream_encryption()
        .stream_name("tas-stream-good")
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .expect("encryption");

    let inventory = collect_all(&env.moto).await;

    let good = doc(&inventory, "aws.cloudtrail.trail", "tas-good");
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    assert_eq!(good.attributes["configuration"]["multi_region"], true);
    assert_eq!(
        good.attributes["configuration"]["log_file_validation"],
        true
    );
    assert_eq!(
        good.attributes["configuration"]["s3_bucket"],
        "tas-trail-bucket"
    );
    assert_eq!(good.attributes["configuration"]["home_region"], REGION);
    assert_eq!(good.attributes["status"], json!({"is_logging": true}));
    let bad = doc(&inventory, "aws.cloudtrail.trail", "tas-bad");
    assert_eq!(bad.attributes["configuration"]["multi_region"], false);
    assert_eq!(bad.attributes["status"], json!({"is_logging": false}));

    let good = doc(&inventory, "aws.kinesis.stream", "tas-stream-good");
    assert_eq!(
        good.attributes["encryption"],
        json!({"type": "KMS", "kms_key_id": "alias/aws/kinesis"})
    );
    assert_eq!(good.attributes["retention"], json!({"hours": 24}));
    let bad = doc(&inventory, "aws.kinesis.stream", "tas-stream-bad");
    assert_eq!(bad.attributes["encryption"], json!({"type": "NONE"}));
}

// ---------------------------------------------------------------- IAM

#[test]
fn iam_policies_and_roles() {
    isolated("iam_policies_and_roles", iam_policies_and_roles_body);
}

async fn iam_policies_and_roles_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let admin = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    let limited = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["S3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::data/*"}
    ]});
    let admin_arn = iam
        .create_policy()
        .policy_name("iam-admin")
        .policy_document(admin.to_string())
        .send()
        .await
        .expect("policy")
        .policy()
        .and_then(|p| p.arn())
        .expect("arn")
        .to_string();
    let limited_arn = iam
        .create_policy()
        .policy_name("iam-limited")
        .policy_document(limited.to_string())
        .send()
        .await
        .expect("policy")
        .policy()
        .and_then(|p| p.arn())
        .expect("arn")
        .to_string();
    let role_arn = create_lambda_role(&config, "iam-app-role").await;
    iam.attach_role_policy()
        .role_name("iam-app-role")
        .policy_arn(&limited_arn)
        .send()
        .await
        .expect("attach");
    // Characters that percent-encoding changes, to prove the document is decoded.
    let inline = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:*:*:log-group:/app/a b+c:*"}
    ]});
    iam.put_role_policy()
        .role_name("iam-app-role")
        .policy_name("iam-inline")
        .policy_document(inline.to_string())
        .send()
        .await
        .expect("inline");
    iam.create_user()
        .user_name("iam-user")
        .send()
        .await
        .expect("user");
    iam.put_user_policy()
        .user_name("iam-user")
        .policy_name("iam-user-inline")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("user policy");
    iam.create_group()
        .group_name("iam-group")
        .send()
        .await
        .expect("group");
    iam.put_group_policy()
        .group_name("iam-group")
        .policy_name("iam-group-inline")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}).to_string(),
        )
        .send()
        .await
        .expect("group policy");

    let inventory = collect_all(&env.moto).await;
    let t = "aws.iam.policy";

    let admin = doc(&inventory, t, "iam-admin");
    assert!(admin.errors.is_empty(), "{:?}", admin.errors);
    assert_eq!(admin.arn, admin_arn);
    assert_eq!(admin.region, "global");
    assert_eq!(admin.attributes["policy"]["kind"], "managed");
    assert_eq!(admin.attributes["policy"]["attachment_count"], 0);
    assert_eq!(
        admin.attributes["policy"]["statements"][0]["actions"],
        json!(["*"])
    );
    assert_eq!(admin.attributes["analysis"]["allows_admin"], true);

    let limited = doc(&inventory, t, "iam-limited");
    assert_eq!(limited.attributes["policy"]["attachment_count"], 1);
    assert_eq!(limited.attributes["policy"]["statements"][0]["sid"], "Read");
    assert_eq!(
        limited.attributes["policy"]["statements"][0]["actions"],
        json!(["s3:getobject", "s3:listbucket"])
    );
    assert_eq!(limited.attributes["analysis"]["allows_admin"], false);

    let inline = doc(&inventory, t, "iam-inline");
    assert_eq!(inline.arn, format!("{role_arn}/inline-policy/iam-inline"));
    assert_eq!(inline.attributes["policy"]["kind"], "inline");
    assert_eq!(inline.attributes["policy"]["owner_arn"], role_arn.as_str());
    assert_eq!(
        inline.attributes["policy"]["statements"][0]["resources"],
        json!(["arn:aws:logs:*:*:log-group:/app/a b+c:*"])
    );
    let user_inline = doc(&inventory, t, "iam-user-inline");
    assert_eq!(user_inline.attributes["analysis"]["allows_admin"], true);
    assert_eq!(
        user_inline.attributes["policy"]["statements"][0]["not_actions"],
        json!(["iam:*"])
    );
    let group_inline = doc(&inventory, t, "iam-group-inline");
    assert_eq!(group_inline.attributes["analysis"]["allows_admin"], false);
    assert!(
        group_inline.attributes["policy"]["owner_arn"]
            .as_str()
            .is_some_and(|a| a.ends_with(":group/iam-group"))
    );

    let role = doc(&inventory, "aws.iam.role", "iam-app-role");
    assert!(role.errors.is_empty(), "{:?}", role.errors);
    assert_eq!(
        role.attributes["trust"],
        json!({"service_principals": ["lambda.amazonaws.com"], "aws_principals": []})
    );
    assert_eq!(
        role.attributes["policies"],
        json!({
            "attached_policy_arns": [limited_arn],
            "inline_policy_names": ["iam-inline"],
            "inline_policy_arns": [format!("{}/inline-policy/iam-inline", role.arn)]
        })
    );
    // The role's inline policy ARN names a collected policy document, so rules can join them.
    assert!(
        inventory
            .resources
            .iter()
            .any(|d| d.arn == format!("{}/inline-policy/iam-inline", role.arn))
    );

    let account = doc(&inventory, "aws.account", ACCOUNT);
    assert_eq!(account.attributes["identity"]["account_id"], ACCOUNT);
    assert!(account.errors.is_empty(), "{:?}", account.errors);
}

// ---------------------------------------------------------------- plan, read-only, accounts

fn is_s3(request: &Request) -> bool {
    request.service().as_deref() == Some("s3")
}

#[test]
fn only_iam_plan_makes_no_s3_request() {
    isolated("only_iam_plan_makes_no_s3_request", only_iam_plan_body);
}

async fn only_iam_plan_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    s3_client(&config)
        .create_bucket()
        .bucket("oip-bucket")
        .send()
        .await
        .expect("bucket");
    aws_sdk_iam::Client::new(&config)
        .create_policy()
        .policy_name("oip-policy")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("policy");
    let proxy = FaultProxy::start(&env.moto);
    let plan = plan_of(&[("aws.iam.policy", &["policy"])]);
    let inventory = collect(&options(&proxy.endpoint()), &plan, &NoProgress)
        .await
        .expect("collect");

    let collected_at = inventory.collected_at.as_deref().expect("collected_at");
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    assert!(
        time::OffsetDateTime::parse(collected_at, rfc3339).is_ok(),
        "{collected_at}"
    );
    let requests = proxy.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.operation().as_deref() == Some("GetAccountAuthorizationDetails")),
        "no IAM listing"
    );
    let s3_requests: Vec<&String> = requests
        .iter()
        .filter(|r| is_s3(r))
        .map(|r| &r.target)
        .collect();
    assert!(
        s3_requests.is_empty(),
        "S3 requests with an IAM-only plan: {s3_requests:?}"
    );
    let services: std::collections::BTreeSet<String> =
        requests.iter().filter_map(Request::service).collect();
    assert_eq!(
        services,
        ["iam", "sts"].iter().map(|s| s.to_string()).collect()
    );
    // Only the planned group: no analysis, no roles, no account document.
    let policy = doc(&inventory, "aws.iam.policy", "oip-policy");
    assert!(policy.attributes.contains_key("policy"));
    assert!(!policy.attributes.contains_key("analysis"));
    assert!(
        inventory
            .resources
            .iter()
            .all(|d| d.resource_type == "aws.iam.policy")
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.operation().as_deref() == Some("ListPolicyTags"))
    );
}

#[test]
fn full_collection_is_read_only() {
    isolated("full_collection_is_read_only", read_only_body);
}

async fn read_only_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name("ro-secret")
        .secret_string("ro-value")
        .send()
        .await
        .expect("secret");
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name("ro-parameter")
        .value("ro-parameter-value")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("parameter");
    s3_client(&config)
        .create_bucket()
        .bucket("ro-bucket")
        .send()
        .await
        .expect("bucket");
    let proxy = FaultProxy::start(&env.moto);
    let inventory = collect_all(&proxy.endpoint()).await;
    doc(&inventory, "aws.secretsmanager.secret", "ro-secret");
    doc(&inventory, "aws.ssm.parameter", "ro-parameter");
    doc(&inventory, "aws.s3.bucket", "ro-bucket");

    support::fault_proxy::assert_only_reads(&proxy.requests(), 20);
}

#[test]
fn assumed_role_identity_and_region_errors() {
    isolated("assumed_role_identity_and_region_errors", assumed_role_body);
}

async fn assumed_role_body(env: TestEnv) {
    let plan = plan_of(&[("aws.account", &["identity"])]);
    let options = CollectOptions {
        role_arns: vec![format!("arn:aws:iam::{ACCOUNT}:role/arie-scanner")],
        external_id: Some("arie-external".to_string()),
        role_session_name: "arie-session".to_string(),
        ..options(&env.moto)
    };
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");
    assert_eq!(inventory.resources.len(), 1);
    let account = &inventory.resources[0];
    assert_eq!(account.resource_type, "aws.account");
    let caller = account.attributes["identity"]["caller_arn"]
        .as_str()
        .expect("caller arn");
    assert!(
        caller.contains("assumed-role/arie-scanner/arie-session"),
        "{caller}"
    );
    assert_eq!(inventory.accounts.len(), 1);
    assert_eq!(inventory.accounts[0].caller_arn, caller);

    // moto has no account:ListRegions: "all regions" must fail with advice, not scan nothing.
    let all = CollectOptions {
        regions: RegionSelection::All,
        max_attempts: 1,
        ..support::options(&env.moto)
    };
    let error = collect(&all, &plan, &NoProgress)
        .await
        .expect_err("ListRegions is not available");
    assert!(format!("{error:#}").contains("--regions"), "{error:#}");
}

// ---------------------------------------------------------------- injected faults

fn s3_call(
    bucket: &'static str,
    subresource: &'static str,
) -> impl Fn(&Request) -> bool + Send + Sync {
    move |r: &Request| {
        r.method == "GET"
            && r.path().trim_end_matches('/') == format!("/{bucket}")
            && r.query()
                .split('&')
                .any(|p| p == subresource || p.starts_with(&format!("{subresource}=")))
    }
}

#[test]
fn faults_are_recorded_and_the_scan_goes_on() {
    isolated("faults_are_recorded_and_the_scan_goes_on", faults_body);
}

async fn faults_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let s3 = s3_client(&config);
    for bucket in [
        "flt-gone",
        "flt-nowhere",
        "flt-denied",
        "flt-throttled",
        "flt-broken",
        "flt-hung",
        "flt-fine",
    ] {
        s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("bucket");
    }
    aws_sdk_kms::Client::new(&config)
        .create_key()
        .description("flt-key")
        .send()
        .await
        .expect("key");
    let proxy = FaultProxy::start(&env.moto);
    let status = |status: u16, code: &str| Fault::Status {
        status,
        code: code.to_string(),
        message: format!("injected {code}"),
    };
    // An S3-compatible endpoint that rejects the region filter: each bucket is located alone.
    proxy.inject(
        |r: &Request| is_s3(r) && r.query().contains("bucket-region="),
        status(400, "InvalidArgument"),
        None,
    );
    proxy.inject(
        s3_call("flt-gone", "location"),
        status(404, "NoSuchBucket"),
        None,
    );
    proxy.inject(
        s3_call("flt-nowhere", "location"),
        status(403, "AccessDenied"),
        None,
    );
    proxy.inject(
        s3_call("flt-denied", "encryption"),
        status(403, "AccessDenied"),
        None,
    );
    proxy.inject(
        s3_call("flt-throttled", "versioning"),
        status(503, "SlowDown"),
        Some(2),
    );
    proxy.inject(
        s3_call("flt-broken", "lifecycle"),
        status(500, "InternalError"),
        None,
    );
    proxy.inject(
        s3_call("flt-hung", "logging"),
        Fault::Hang(Duration::from_secs(6)),
        None,
    );
    proxy.inject(
        |r: &Request| r.operation().as_deref() == Some("ListKeys"),
        status(500, "InternalError"),
        None,
    );

    // 2 s per attempt leaves room for a busy machine; the hang outlasts every attempt.
    let options = CollectOptions {
        max_attempts: 3,
        timeout: Duration::from_secs(2),
        ..options(&proxy.endpoint())
    };
    let plan = plan_of(&[
        (
            "aws.s3.bucket",
            &["encryption", "versioning", "lifecycle", "logging", "tags"],
        ),
        ("aws.kms.key", &["rotation"]),
    ]);
    let started = std::time::Instant::now();
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collection finishes");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let t = "aws.s3.bucket";

    // Deleted between ListBuckets and its first read: no document for a bucket that is gone.
    assert!(!inventory.resources.iter().any(|d| d.name == "flt-gone"));
    // Region unknown: every planned group says why, none is guessed.
    let nowhere = doc(&inventory, t, "flt-nowhere");
    assert!(nowhere.attributes.is_empty(), "{:?}", nowhere.attributes);
    assert_eq!(nowhere.errors.len(), 5, "{:?}", nowhere.errors);
    assert!(
        nowhere
            .errors
            .values()
            .all(|r| r.starts_with("AccessDenied") && r.ends_with("(s3:GetBucketLocation)"))
    );

    let denied = doc(&inventory, t, "flt-denied");
    let reason = denied.errors.get("encryption").expect("encryption error");
    assert!(
        reason.starts_with("AccessDenied: injected AccessDenied"),
        "{reason}"
    );
    assert!(
        reason.ends_with("(s3:GetEncryptionConfiguration)"),
        "{reason}"
    );
    assert!(!denied.attributes.contains_key("encryption"));
    assert_eq!(denied.attributes["versioning"]["status"], "Disabled");
    // One attempt only: AccessDenied is not retried.
    let attempts = proxy
        .requests()
        .iter()
        .filter(|r| s3_call("flt-denied", "encryption")(r))
        .count();
    assert_eq!(attempts, 1);

    let throttled = doc(&inventory, t, "flt-throttled");
    assert!(
        throttled.errors.is_empty(),
        "throttling within the retry budget: {:?}",
        throttled.errors
    );
    assert_eq!(throttled.attributes["versioning"]["status"], "Disabled");
    let attempts = proxy
        .requests()
        .iter()
        .filter(|r| s3_call("flt-throttled", "versioning")(r))
        .count();
    assert_eq!(attempts, 3);

    let broken = doc(&inventory, t, "flt-broken");
    let reason = broken.errors.get("lifecycle").expect("lifecycle error");
    assert!(reason.starts_with("InternalError"), "{reason}");
    assert!(broken.attributes.contains_key("encryption"));
    let attempts = proxy
        .requests()
        .iter()
        .filter(|r| s3_call("flt-broken", "lifecycle")(r))
        .count();
    assert_eq!(attempts, 3, "500s are retried up to max_attempts");

    let hung = doc(&inventory, t, "flt-hung");
    let reason = hung.errors.get("logging").expect("logging error");
    assert!(reason.starts_with("Timeout"), "{reason}");
    assert!(hung.attributes.contains_key("lifecycle"));

    let fine = doc(&inventory, t, "flt-fine");
    assert!(fine.errors.is_empty(), "{:?}", fine.errors);
    assert_eq!(fine.attributes["lifecycle"], json!({"rules": []}));

    // A failed listing invents nothing and is recorded on the account document.
    assert!(
        inventory
            .resources
            .iter()
            .all(|d| d.resource_type != "aws.kms.key")
    );
    let account = doc(&inventory, "aws.account", ACCOUNT);
    let reason = account
        .errors
        .get(&format!("aws.kms.key@{REGION}"))
        .expect("listing error");
    assert!(
        reason.contains("InternalError") && reason.contains("kms:ListKeys"),
        "{reason}"
    );
}

// ---------------------------------------------------------------- --regions all

#[test]
fn all_enabled_regions_are_scanned() {
    isolated("all_enabled_regions_are_scanned", all_regions_body);
}

fn is_list_regions(request: &Request) -> bool {
    request.service().as_deref() == Some("account") && request.path() == "/listRegions"
}

async fn all_regions_body(env: TestEnv) {
    for region in ["us-east-1", "eu-west-1", "ap-south-1"] {
        aws_sdk_kms::Client::new(&seed_config(&env.moto, region).await)
            .create_key()
            .description(format!("arg-{region}"))
            .send()
            .await
            .expect("key");
    }
    // moto has no Account API: the proxy answers ListRegions as AWS would for an account that
    // opted in to eu-west-1 (ap-south-1 is left out: not enabled).
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        is_list_regions,
        Fault::Json(
            json!({"Regions": [
                {"RegionName": "eu-west-1", "RegionOptStatus": "ENABLED"},
                {"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}
            ]})
            .to_string(),
        ),
        None,
    );
    let all_regions = CollectOptions {
        regions: RegionSelection::All,
        ..options(&proxy.endpoint())
    };
    let plan = plan_of(&[("aws.kms.key", &["metadata"])]);
    let inventory = collect(&all_regions, &plan, &NoProgress)
        .await
        .expect("collect");
    assert_eq!(inventory.accounts[0].regions, ["us-east-1", "eu-west-1"]);
    let regions_of_keys: std::collections::BTreeSet<&str> = inventory
        .resources
        .iter()
        .filter(|d| d.resource_type == "aws.kms.key")
        .map(|d| d.region.as_str())
        .collect();
    assert_eq!(
        regions_of_keys,
        ["eu-west-1", "us-east-1"].into_iter().collect(),
        "keys of enabled regions only"
    );
    let asked = proxy
        .requests()
        .into_iter()
        .find(is_list_regions)
        .expect("ListRegions sent");
    let body = String::from_utf8_lossy(&asked.body).to_string();
    assert!(
        body.contains("ENABLED") && body.contains("ENABLED_BY_DEFAULT"),
        "asks for enabled regions only: {body}"
    );

    // Without ListRegions there is no way to know the regions: say so, and how to go on.
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        is_list_regions,
        Fault::Status {
            status: 403,
            code: "AccessDeniedException".to_string(),
            message: "injected".to_string(),
        },
        None,
    );
    let all_regions = CollectOptions {
        regions: RegionSelection::All,
        ..options(&proxy.endpoint())
    };
    let error = collect(&all_regions, &plan, &NoProgress)
        .await
        .expect_err("no regions, no scan")
        .to_string();
    assert!(
        error.contains("account:ListRegions") && error.contains("--regions"),
        "{error}"
    );
}

// ---------------------------------------------------------------- tags in bulk

#[test]
fn tags_come_in_bulk_and_fall_back_per_resource() {
    isolated(
        "tags_come_in_bulk_and_fall_back_per_resource",
        bulk_tags_body,
    );
}

/// Operations that read one resource's tags.
fn is_per_resource_tag_read(request: &Request) -> bool {
    let operation = request.operation().unwrap_or_default();
    // S3 GetBucketTagging and Lambda ListTags are REST calls: known by their paths.
    request.target.contains("?tagging")
        || (request.service().as_deref() == Some("lambda") && request.path().contains("/tags/"))
        || [
            "ListTagsOfResource",
            "ListTagsForResource",
            "ListResourceTags",
        ]
        .contains(&operation.as_str())
}

async fn bulk_tags_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let owner = [("Owner", "btg"), ("DataClass", "audit")];
    support::seed::bucket(&config, "btg-tagged", false, &owner).await;
    support::seed::bucket(&config, "btg-untagged", false, &[]).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let tag = |k: &str, v: &str| {
        aws_sdk_dynamodb::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .expect("tag")
    };
    support::seed::table_request(&ddb, "btg-table")
        .tags(tag("Owner", "btg"))
        .tags(tag("DataClass", "audit"))
        .send()
        .await
        .expect("table");
    aws_sdk_cloudwatchlogs::Client::new(&config)
        .create_log_group()
        .log_group_name("/btg/app")
        .tags("Owner", "btg")
        .tags("DataClass", "audit")
        .send()
        .await
        .expect("log group");
    let ssm_tag = |k: &str, v: &str| {
        aws_sdk_ssm::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .expect("tag")
    };
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name("/btg/setting")
        .value("v")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .tags(ssm_tag("Owner", "btg"))
        .tags(ssm_tag("DataClass", "audit"))
        .send()
        .await
        .expect("parameter");
    let kms_tag = |k: &str, v: &str| {
        aws_sdk_kms::types::Tag::builder()
            .tag_key(k)
            .tag_value(v)
            .build()
            .expect("tag")
    };
    let key = aws_sdk_kms::Client::new(&config)
        .create_key()
        .tags(kms_tag("Owner", "btg"))
        .tags(kms_tag("DataClass", "audit"))
        .send()
        .await
        .expect("key");
    let key_id = key.key_metadata().expect("metadata").key_id().to_string();
    let role_arn = create_lambda_role(&config, "btg-role").await;
    let sfn_tag = |k: &str, v: &str| aws_sdk_sfn::types::Tag::builder().key(k).value(v).build();
    aws_sdk_sfn::Client::new(&config)
        .create_state_machine()
        .name("btg-machine")
        .definition(
            json!({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}})
                .to_string(),
        )
        .role_arn(&role_arn)
        .tags(sfn_tag("Owner", "btg"))
        .tags(sfn_tag("DataClass", "audit"))
        .send()
        .await
        .expect("state machine");
    aws_sdk_lambda::Client::new(&config)
        .create_function()
        .function_name("btg-function")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(&role_arn)
        .handler("app.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(Blob::new(support::empty_zip()))
                .build(),
        )
        .tags("Owner", "btg")
        .tags("DataClass", "audit")
        .send()
        .await
        .expect("function");
    let plan = plan_of(&[
        ("aws.s3.bucket", &["tags"]),
        ("aws.dynamodb.table", &["tags"]),
        ("aws.logs.log_group", &["tags"]),
        ("aws.ssm.parameter", &["tags"]),
        ("aws.kms.key", &["tags"]),
        ("aws.sfn.state_machine", &["tags"]),
        ("aws.lambda.function", &["tags"]),
    ]);
    let expected = json!({"DataClass": "audit", "Owner": "btg"});
    let check = |inventory: &Inventory, how: &str| {
        for (resource_type, name) in [
            ("aws.s3.bucket", "btg-tagged"),
            ("aws.dynamodb.table", "btg-table"),
            ("aws.logs.log_group", "/btg/app"),
            ("aws.ssm.parameter", "/btg/setting"),
            ("aws.kms.key", key_id.as_str()),
            ("aws.sfn.state_machine", "btg-machine"),
            ("aws.lambda.function", "btg-function"),
        ] {
            let found = doc(inventory, resource_type, name);
            assert!(found.errors.is_empty(), "{how}: {:?}", found.errors);
            assert_eq!(json!(found.tags), expected, "{how}: tags of {name}");
        }
        let untagged = doc(inventory, "aws.s3.bucket", "btg-untagged");
        assert!(
            untagged.tags.is_empty() && untagged.errors.is_empty(),
            "{how}"
        );
    };

    // Default: one GetResources listing per service, no tag request per resource.
    let proxy = FaultProxy::start(&env.moto);
    let bulk = collect(&options(&proxy.endpoint()), &plan, &NoProgress)
        .await
        .expect("collect");
    check(&bulk, "bulk");
    let requests = proxy.requests();
    let listings = requests
        .iter()
        .filter(|r| r.operation().as_deref() == Some("GetResources"))
        .count();
    // One listing per service, more only when other tests' tagged resources fill a page.
    assert!(
        listings >= 7,
        "one tag listing each for s3, dynamodb, logs, ssm, kms, states, lambda: {listings}"
    );
    let single: Vec<String> = requests
        .iter()
        .filter(|r| is_per_resource_tag_read(r))
        .map(|r| r.target.clone())
        .collect();
    assert!(single.is_empty(), "per-resource tag reads: {single:?}");

    // Denied GetResources: the same tags, read one resource at a time.
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        |r: &Request| r.operation().as_deref() == Some("GetResources"),
        Fault::Status {
            status: 400,
            code: "AccessDeniedException".to_string(),
            message: "injected".to_string(),
        },
        None,
    );
    let fallback = collect(&options(&proxy.endpoint()), &plan, &NoProgress)
        .await
        .expect("collect");
    check(&fallback, "fallback");
    assert!(proxy.requests().iter().any(is_per_resource_tag_read));

    // --tags-per-resource never asks the tagging API.
    let proxy = FaultProxy::start(&env.moto);
    let options = CollectOptions {
        tags_per_resource: true,
        ..options(&proxy.endpoint())
    };
    let direct = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");
    check(&direct, "per resource");
    assert!(
        proxy
            .requests()
            .iter()
            .all(|r| r.operation().as_deref() != Some("GetResources"))
    );
}

// ---------------------------------------------------------------- accounts, profiles, scale

#[test]
fn one_document_set_per_assumed_account() {
    isolated("one_document_set_per_assumed_account", accounts_body);
}

async fn accounts_body(env: TestEnv) {
    let accounts = ["111111111111", "222222222222"];
    let roles: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:role/acc-scanner"))
        .collect();
    for (account, role) in accounts.iter().zip(&roles) {
        let config = assumed_config(&env.moto, role).await;
        aws_sdk_ssm::Client::new(&config)
            .put_parameter()
            .name(format!("/acc/{account}"))
            .value("v")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("parameter");
    }
    let options = CollectOptions {
        role_arns: roles.clone(),
        ..options(&env.moto)
    };
    let plan = plan_of(&[
        ("aws.account", &["identity"]),
        ("aws.ssm.parameter", &["metadata"]),
    ]);
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");

    let seen: Vec<&str> = inventory
        .accounts
        .iter()
        .map(|a| a.account.as_str())
        .collect();
    assert_eq!(seen, accounts);
    for account in accounts {
        let identity = doc(&inventory, "aws.account", account);
        assert_eq!(identity.attributes["identity"]["account_id"], account);
        let parameter = doc(&inventory, "aws.ssm.parameter", &format!("/acc/{account}"));
        assert_eq!(parameter.account, account);
        assert!(
            parameter.arn.contains(&format!(":{account}:")),
            "{}",
            parameter.arn
        );
        // Each account sees only its own parameter.
        let other = inventory
            .resources
            .iter()
            .filter(|d| d.resource_type == "aws.ssm.parameter" && d.account == account)
            .count();
        assert_eq!(other, 1, "{account} has {other} parameters");
    }
}

#[test]
fn an_unreachable_account_does_not_stop_the_others() {
    isolated(
        "an_unreachable_account_does_not_stop_the_others",
        unreachable_body,
    );
}

async fn unreachable_body(env: TestEnv) {
    let reachable = "arn:aws:iam::333333333333:role/unr-scanner";
    let denied = "arn:aws:iam::444444444444:role/unr-scanner";
    let config = assumed_config(&env.moto, reachable).await;
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name("/unr/fine")
        .value("v")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .expect("parameter");
    let proxy = FaultProxy::start(&env.moto);
    let is_denied_assume = |r: &Request| {
        r.operation().as_deref() == Some("AssumeRole")
            && String::from_utf8_lossy(&r.body).contains("444444444444")
    };
    proxy.inject(
        is_denied_assume,
        Fault::Status {
            status: 403,
            code: "AccessDenied".to_string(),
            message: "injected: not authorized to perform sts:AssumeRole".to_string(),
        },
        None,
    );
    let plan = plan_of(&[
        ("aws.account", &["identity"]),
        ("aws.ssm.parameter", &["metadata"]),
    ]);
    let both = CollectOptions {
        role_arns: vec![denied.to_string(), reachable.to_string()],
        ..options(&proxy.endpoint())
    };
    let inventory = collect(&both, &plan, &NoProgress)
        .await
        .expect("the reachable account is scanned");
    let scanned: Vec<&str> = inventory
        .accounts
        .iter()
        .map(|a| a.account.as_str())
        .collect();
    assert_eq!(scanned, ["333333333333"]);
    assert_eq!(
        doc(&inventory, "aws.ssm.parameter", "/unr/fine").account,
        "333333333333"
    );
    let lost = doc(&inventory, "aws.account", &format!("role {denied}"));
    assert_eq!(lost.account, "444444444444");
    assert!(lost.attributes.is_empty());
    for key in ["identity", "aws.ssm.parameter@all regions"] {
        let reason = lost.errors.get(key).expect(key);
        assert!(
            reason.contains("444444444444") && reason.contains("AccessDenied"),
            "{key}: {reason}"
        );
    }

    // Nothing reachable at all: an error, not an empty report.
    let only_denied = CollectOptions {
        role_arns: vec![denied.to_string()],
        ..options(&proxy.endpoint())
    };
    let error = collect(&only_denied, &plan, &NoProgress)
        .await
        .expect_err("no account")
        .to_string();
    assert!(error.contains("cannot identify the account"), "{error}");
}

#[test]
fn profile_target_supplies_credentials_and_region() {
    let config = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("posture-test-profiles");
    // Static keys only: aws-config's profile role chains call STS through their own client,
    // which does not take --endpoint-url, so a `role_arn` profile cannot reach moto.
    let profiles = "[profile posture-alt]\n\
        region = eu-west-2\n\
        aws_access_key_id = testing-alt\n\
        aws_secret_access_key = testing-alt\n\
        \n\
        [profile posture-noregion]\n\
        aws_access_key_id = testing-alt\n\
        aws_secret_access_key = testing-alt\n";
    std::fs::write(&config, profiles).expect("write the profile file");
    let config = config.to_str().expect("utf-8 path").to_string();
    // Only the profile may supply credentials and region: without it, loading fails.
    isolated_with(
        "profile_target_supplies_credentials_and_region",
        &[
            ("AWS_CONFIG_FILE", Some(&config)),
            ("AWS_ACCESS_KEY_ID", None),
            ("AWS_SECRET_ACCESS_KEY", None),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_REGION", None),
            ("AWS_DEFAULT_REGION", None),
        ],
        profile_body,
    );
}

async fn profile_body(env: TestEnv) {
    let plan = plan_of(&[("aws.account", &["identity"])]);
    let options = CollectOptions {
        profiles: vec!["posture-alt".to_string()],
        regions: RegionSelection::Default,
        ..options(&env.moto)
    };
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");
    assert_eq!(inventory.accounts.len(), 1);
    assert_eq!(inventory.accounts[0].account, ACCOUNT);
    assert_eq!(inventory.accounts[0].regions, vec!["eu-west-2".to_string()]);

    // Without a region anywhere, the default selection refuses instead of guessing.
    let options = CollectOptions {
        profiles: vec!["posture-noregion".to_string()],
        regions: RegionSelection::Default,
        ..support::options(&env.moto)
    };
    let error = collect(&options, &plan, &NoProgress)
        .await
        .expect_err("no region");
    assert!(format!("{error:#}").contains("--regions"), "{error:#}");

    // The default chain has no credentials in this process: proof the profile supplied them.
    let options = CollectOptions {
        regions: RegionSelection::List(vec![REGION.into()]),
        ..support::options(&env.moto)
    };
    let error = collect(&options, &plan, &NoProgress)
        .await
        .expect_err("no default credentials");
    assert!(
        format!("{error:#}").contains("default credentials"),
        "{error:#}"
    );
}

#[derive(Default)]
struct CountingProgress {
    total: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
}

impl posture::collect::Progress for CountingProgress {
    fn add_total(&self, n: u64) {
        self.total.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn pages_are_followed_and_concurrency_is_bounded() {
    isolated("pages_are_followed_and_concurrency_is_bounded", paging_body);
}

async fn paging_body(env: TestEnv) {
    // Past one page of DescribeParameters (10), DescribeLogGroups (50) and ListTables (100).
    let config = seed_config(&env.moto, "ap-southeast-2").await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    for i in 0..25 {
        ssm.put_parameter()
            .name(format!("/pag/p{i:02}"))
            .value("v")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("parameter");
    }
    for i in 0..60 {
        logs.create_log_group()
            .log_group_name(format!("pag-{i:02}"))
            .send()
            .await
            .expect("group");
    }
    let proxy = FaultProxy::start(&env.moto);
    proxy.set_latency(Duration::from_millis(20));
    // Tags one request per parameter, so there are enough requests to crowd the limit.
    let options = CollectOptions {
        regions: RegionSelection::List(vec!["ap-southeast-2".to_string()]),
        concurrency: 3,
        tags_per_resource: true,
        ..options(&proxy.endpoint())
    };
    let plan = plan_of(&[
        ("aws.ssm.parameter", &["metadata", "tags"]),
        ("aws.logs.log_group", &["retention", "tags"]),
    ]);
    let progress = CountingProgress::default();
    let inventory = collect(&options, &plan, &progress).await.expect("collect");

    let count = |t: &str| {
        inventory
            .resources
            .iter()
            .filter(|d| d.resource_type == t)
            .count()
    };
    assert_eq!(count("aws.ssm.parameter"), 25);
    assert_eq!(count("aws.logs.log_group"), 60);
    assert!(inventory.resources.iter().all(|d| d.errors.is_empty()));
    let describe_pages = proxy
        .requests()
        .iter()
        .filter(|r| r.operation().as_deref() == Some("DescribeParameters"))
        .count();
    assert!(
        describe_pages >= 3,
        "DescribeParameters pages: {describe_pages}"
    );
    // 85 tag reads with 20 ms each: the limit is used, and never exceeded.
    let max = proxy.max_in_flight();
    assert!((2..=3).contains(&max), "max in flight {max}");

    let total = progress.total.load(std::sync::atomic::Ordering::SeqCst);
    let done = progress.done.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!((total, done), (85, 85));
}

#[test]
fn json_and_query_protocol_faults_are_recorded() {
    isolated(
        "json_and_query_protocol_faults_are_recorded",
        protocol_faults_body,
    );
}

async fn protocol_faults_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    for name in ["pf-throttled", "pf-fine"] {
        support::seed::table_request(&ddb, name)
            .send()
            .await
            .expect("table");
    }
    create_lambda_role(&config, "pf-role").await;

    let proxy = FaultProxy::start(&env.moto);
    let status = |status: u16, code: &str| Fault::Status {
        status,
        code: code.to_string(),
        message: format!("injected {code}"),
    };
    let throttled = |r: &Request| {
        r.operation().as_deref() == Some("DescribeContinuousBackups")
            && String::from_utf8_lossy(&r.body).contains("pf-throttled")
    };
    proxy.inject(throttled, status(400, "ThrottlingException"), None);
    // IAM is one query-protocol listing for the whole account: denied, nothing of IAM is known.
    let denied = |r: &Request| r.operation().as_deref() == Some("GetAccountAuthorizationDetails");
    proxy.inject(denied, status(403, "AccessDenied"), None);

    let options = CollectOptions {
        max_attempts: 3,
        ..options(&proxy.endpoint())
    };
    let plan = plan_of(&[
        ("aws.dynamodb.table", &["sse", "point_in_time_recovery"]),
        ("aws.iam.policy", &["policy", "analysis"]),
    ]);
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");

    let table = doc(&inventory, "aws.dynamodb.table", "pf-throttled");
    let reason = table
        .errors
        .get("point_in_time_recovery")
        .expect("throttled past retries");
    assert!(
        reason.starts_with("ThrottlingException: injected ThrottlingException")
            && reason.ends_with("(dynamodb:DescribeContinuousBackups)"),
        "{reason}"
    );
    assert_eq!(table.attributes["sse"]["type"], "DEFAULT");
    let attempts = proxy.requests().iter().filter(|r| throttled(r)).count();
    assert_eq!(attempts, 3, "throttling is retried up to max_attempts");
    let fine = doc(&inventory, "aws.dynamodb.table", "pf-fine");
    assert_eq!(
        fine.attributes["point_in_time_recovery"],
        json!({"enabled": false})
    );

    assert!(
        inventory
            .resources
            .iter()
            .all(|d| d.resource_type != "aws.iam.policy"),
        "a denied listing invents no policy"
    );
    let account = doc(&inventory, "aws.account", ACCOUNT);
    let reason = account
        .errors
        .get(&format!("aws.iam.policy@{REGION}"))
        .expect("listing error on the account");
    assert!(
        reason.starts_with("AccessDenied: injected AccessDenied")
            && reason.ends_with("(iam:GetAccountAuthorizationDetails)"),
        "{reason}"
    );
}
