//! Seeding helpers shared by the end-to-end tests: small wrappers over the SDK calls that put a
//! resource into a given compliance state, so a test reads as a list of states.

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLoggingStatus, BucketVersioningStatus, DefaultRetention,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, LoggingEnabled,
    ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode, ObjectLockRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging, Transition,
    TransitionStorageClass, VersioningConfiguration,
};
use aws_types::SdkConfig;
use serde_json::json;

use super::s3_client;

/// A tag list for S3 from `(key, value)` pairs.
fn s3_tagging(tags: &[(&str, &str)]) -> Tagging {
    let mut builder = Tagging::builder();
    for (key, value) in tags {
        builder = builder.tag_set(Tag::builder().key(*key).value(*value).build().expect("tag"));
    }
    builder.build().expect("tagging")
}

pub async fn bucket(config: &SdkConfig, name: &str, object_lock: bool, tags: &[(&str, &str)]) {
    let s3 = s3_client(config);
    let mut request = s3.create_bucket().bucket(name);
    if object_lock {
        request = request.object_lock_enabled_for_bucket(true);
    }
    request.send().await.expect("create bucket");
    if !tags.is_empty() {
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(s3_tagging(tags))
            .send()
            .await
            .expect("bucket tagging");
    }
}

/// Default encryption: `aws:kms` with `kms_key_arn` when given, else AES256.
pub async fn bucket_encryption(config: &SdkConfig, name: &str, kms_key_arn: Option<&str>) {
    let mut default = ServerSideEncryptionByDefault::builder();
    default = match kms_key_arn {
        Some(key) => default
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(key),
        None => default.sse_algorithm(ServerSideEncryption::Aes256),
    };
    s3_client(config)
        .put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            default.build().expect("sse default"),
                        )
                        .bucket_key_enabled(kms_key_arn.is_some())
                        .build(),
                )
                .build()
                .expect("sse config"),
        )
        .send()
        .await
        .expect("bucket encryption");
}

pub async fn bucket_versioning(config: &SdkConfig, name: &str, status: BucketVersioningStatus) {
    s3_client(config)
        .put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .expect("bucket versioning");
}

pub async fn bucket_public_access_block(config: &SdkConfig, name: &str) {
    s3_client(config)
        .put_public_access_block()
        .bucket(name)
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
}

/// A bucket policy that denies every request not made over TLS, or made with TLS before 1.2.
pub async fn bucket_tls_only_policy(config: &SdkConfig, name: &str) {
    let resources = [
        format!("arn:aws:s3:::{name}"),
        format!("arn:aws:s3:::{name}/*"),
    ];
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecure", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }, {
            "Sid": "DenyOldTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
        }]
    });
    s3_client(config)
        .put_bucket_policy()
        .bucket(name)
        .policy(policy.to_string())
        .send()
        .await
        .expect("bucket policy");
}

/// Lets the S3 logging service write into `target` (moto checks it, as S3 does).
pub async fn bucket_log_target_policy(config: &SdkConfig, target: &str) {
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"], "Resource": format!("arn:aws:s3:::{target}/*")
    }]});
    s3_client(config)
        .put_bucket_policy()
        .bucket(target)
        .policy(policy.to_string())
        .send()
        .await
        .expect("log target policy");
}

pub async fn bucket_logging(config: &SdkConfig, name: &str, target: &str) {
    s3_client(config)
        .put_bucket_logging()
        .bucket(name)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket(target)
                        .target_prefix(format!("{name}/"))
                        .build()
                        .expect("logging"),
                )
                .build(),
        )
        .send()
        .await
        .expect("bucket logging");
}

pub async fn bucket_object_lock(
    config: &SdkConfig,
    name: &str,
    mode: ObjectLockRetentionMode,
    years: i32,
) {
    s3_client(config)
        .put_object_lock_configuration()
        .bucket(name)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder().mode(mode).years(years).build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("object lock");
}

/// One enabled whole-bucket lifecycle rule: `transitions` of (days, class), then expiration.
pub async fn bucket_lifecycle(
    config: &SdkConfig,
    name: &str,
    transitions: &[(i32, TransitionStorageClass)],
    expiration_days: i32,
) {
    let mut rule = LifecycleRule::builder()
        .id("tiers")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .expiration(LifecycleExpiration::builder().days(expiration_days).build());
    for (days, class) in transitions {
        rule = rule.transitions(
            Transition::builder()
                .days(*days)
                .storage_class(class.clone())
                .build(),
        );
    }
    s3_client(config)
        .put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule.build().expect("lifecycle rule"))
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await
        .expect("bucket lifecycle");
}

/// Turns on point-in-time recovery of a table.
pub async fn table_pitr(ddb: &aws_sdk_dynamodb::Client, name: &str) {
    ddb.update_continuous_backups()
        .table_name(name)
        .point_in_time_recovery_specification(
            aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .expect("pitr"),
        )
        .send()
        .await
        .expect("pitr");
}

/// A pay-per-request `DynamoDB` table keyed on `pk`.
pub fn table_request(
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
) -> aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    ddb.create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
}

/// A customer-managed IAM policy; returns its ARN.
pub async fn iam_policy(config: &SdkConfig, name: &str, document: serde_json::Value) -> String {
    aws_sdk_iam::Client::new(config)
        .create_policy()
        .policy_name(name)
        .policy_document(document.to_string())
        .send()
        .await
        .expect("policy")
        .policy()
        .and_then(|p| p.arn())
        .expect("policy arn")
        .to_string()
}

/// A replication group that passes every `ElastiCache` rule: encrypted at rest and TLS-only in
/// transit, an AUTH token, failover across two zones, a week of snapshots.
pub async fn compliant_replication_group(config: &SdkConfig, id: &str, tags: &[(&str, &str)]) {
    use aws_sdk_elasticache::types::{Tag, TransitEncryptionMode};
    let mut request = aws_sdk_elasticache::Client::new(config)
        .create_replication_group()
        .replication_group_id(id)
        .replication_group_description("compliant")
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .num_cache_clusters(2)
        .at_rest_encryption_enabled(true)
        .transit_encryption_enabled(true)
        .transit_encryption_mode(TransitEncryptionMode::Required)
        .auth_token("a-long-enough-auth-token-1")
        .automatic_failover_enabled(true)
        .multi_az_enabled(true)
        .snapshot_retention_limit(7);
    for (key, value) in tags {
        request = request.tags(Tag::builder().key(*key).value(*value).build());
    }
    request.send().await.expect("replication group");
}

/// An `OpenSearch` domain that passes every `OpenSearch` rule: in a VPC, encrypted at rest and
/// between nodes, HTTPS with TLS 1.2, fine-grained access, audit and error logs published.
pub async fn compliant_search_domain(config: &SdkConfig, name: &str) {
    use aws_sdk_opensearch::types::{
        AdvancedSecurityOptionsInput, DomainEndpointOptions, EncryptionAtRestOptions,
        LogPublishingOption, LogType, NodeToNodeEncryptionOptions, TlsSecurityPolicy, VpcOptions,
    };
    let published = |log: &str| {
        LogPublishingOption::builder()
            .enabled(true)
            .cloud_watch_logs_log_group_arn(format!(
                "arn:aws:logs:{}:{}:log-group:/{name}/{log}",
                super::REGION,
                super::ACCOUNT
            ))
            .build()
    };
    aws_sdk_opensearch::Client::new(config)
        .create_domain()
        .domain_name(name)
        .encryption_at_rest_options(EncryptionAtRestOptions::builder().enabled(true).build())
        .node_to_node_encryption_options(
            NodeToNodeEncryptionOptions::builder().enabled(true).build(),
        )
        .domain_endpoint_options(
            DomainEndpointOptions::builder()
                .enforce_https(true)
                .tls_security_policy(TlsSecurityPolicy::PolicyMinTls12201907)
                .build(),
        )
        .vpc_options(VpcOptions::builder().subnet_ids("subnet-12345678").build())
        .advanced_security_options(
            AdvancedSecurityOptionsInput::builder()
                .enabled(true)
                .build(),
        )
        .log_publishing_options(LogType::AuditLogs, published("audit"))
        .log_publishing_options(LogType::EsApplicationLogs, published("errors"))
        .send()
        .await
        .expect("domain");
}
