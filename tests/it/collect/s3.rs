//! S3 buckets: every group, "not configured" answers as data, regions.

use super::*;

// ---------------------------------------------------------------- S3

#[test]
fn s3_buckets() {
    isolated(s3_buckets_body);
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
                .rules(
                    LifecycleRule::builder()
                        .id("purge-tmp")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
                        .expiration(
                            LifecycleExpiration::builder()
                                .date(aws_smithy_types::DateTime::from_secs(1_893_456_000))
                                .build(),
                        )
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
        }, {
            "Sid": "TlsFloor", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::s3t-good", "arn:aws:s3:::s3t-good/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
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
    assert_eq!(rules.len(), 3);
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
    assert_eq!(rules[2]["expiration_date"], "2030-01-01T00:00:00Z");
    assert_eq!(rules[2]["expiration_days"], serde_json::Value::Null);
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
    assert_eq!(policy["insecure_transport_statement"], "DenyInsecure");
    assert_eq!(policy["min_tls_version"], 1.2);
    assert_eq!(policy["min_tls_version_statement"], "TlsFloor");
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
        json!({"present": false, "denies_insecure_transport": false, "statements": [],
            "insecure_transport_statement": null, "min_tls_version": null,
            "min_tls_version_statement": null})
    );

    let eu = doc(&inventory, t, "s3t-eu");
    assert_eq!(eu.region, "eu-west-1");
    assert!(eu.errors.is_empty(), "{:?}", eu.errors);
    assert_eq!(eu.attributes["versioning"]["status"], "Disabled");
    // The scan itself covered only us-east-1.
    assert_eq!(inventory.accounts[0].regions, vec![REGION.to_string()]);
}
