//! ElastiCache replication groups and OpenSearch domains.

use super::*;

#[test]
fn replication_groups_and_domains() {
    isolated(cache_search_body);
}

async fn cache_search_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let cache = aws_sdk_elasticache::Client::new(&config);
    cache
        .create_replication_group()
        .replication_group_id("cs-good")
        .replication_group_description("compliant")
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .num_cache_clusters(2)
        .at_rest_encryption_enabled(true)
        .transit_encryption_enabled(true)
        .transit_encryption_mode(aws_sdk_elasticache::types::TransitEncryptionMode::Required)
        .auth_token("a-long-enough-auth-token-1")
        .automatic_failover_enabled(true)
        .multi_az_enabled(true)
        .snapshot_retention_limit(7)
        .tags(
            aws_sdk_elasticache::types::Tag::builder()
                .key("team")
                .value("sessions")
                .build(),
        )
        .send()
        .await
        .expect("replication group");
    cache
        .create_replication_group()
        .replication_group_id("cs-bad")
        .replication_group_description("open")
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .send()
        .await
        .expect("replication group");

    let search = aws_sdk_opensearch::Client::new(&config);
    use aws_sdk_opensearch::types::*;
    search
        .create_domain()
        .domain_name("cs-domain-good")
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
        .log_publishing_options(
            LogType::AuditLogs,
            LogPublishingOption::builder()
                .enabled(true)
                .cloud_watch_logs_log_group_arn(format!(
                    "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/cs/audit"
                ))
                .build(),
        )
        .send()
        .await
        .expect("domain");
    search
        .create_domain()
        .domain_name("cs-domain-bad")
        .send()
        .await
        .expect("domain");

    let inventory = collect_all(&env.moto).await;

    let good = doc(&inventory, "aws.elasticache.replication_group", "cs-good");
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    assert_eq!(good.attributes["encryption"]["at_rest"], true);
    assert_eq!(good.attributes["encryption"]["in_transit"], true);
    assert_eq!(good.attributes["encryption"]["transit_mode"], "required");
    assert_eq!(good.attributes["authentication"]["auth_token"], true);
    assert_eq!(
        good.attributes["availability"],
        json!({"automatic_failover": "enabled", "multi_az": "enabled"})
    );
    assert_eq!(
        good.attributes["backup"],
        json!({"snapshot_retention_days": 7})
    );
    assert_eq!(good.tags["team"], "sessions");
    let bad = doc(&inventory, "aws.elasticache.replication_group", "cs-bad");
    assert_eq!(bad.attributes["encryption"]["at_rest"], false);
    assert_eq!(bad.attributes["encryption"]["in_transit"], false);
    assert_eq!(bad.attributes["authentication"]["auth_token"], false);

    let good = doc(&inventory, "aws.opensearch.domain", "cs-domain-good");
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    assert!(good.arn.ends_with(":domain/cs-domain-good"), "{}", good.arn);
    assert_eq!(
        good.attributes["encryption"]["at_rest"], true,
        "{:?}",
        good.attributes
    );
    assert_eq!(good.attributes["encryption"]["node_to_node"], true);
    assert_eq!(good.attributes["endpoint"]["enforce_https"], true);
    assert_eq!(
        good.attributes["endpoint"]["tls_policy"],
        "Policy-Min-TLS-1-2-2019-07"
    );
    assert_eq!(good.attributes["endpoint"]["in_vpc"], true);
    assert_eq!(good.attributes["logging"]["audit"], true);
    assert_eq!(good.attributes["logging"]["application"], false);
    assert_eq!(good.attributes["access"], json!({"fine_grained": true}));
    let bad = doc(&inventory, "aws.opensearch.domain", "cs-domain-bad");
    // moto's defaults, as AWS's: no HTTPS enforcement and the TLS 1.0 policy, a public endpoint.
    assert_eq!(bad.attributes["endpoint"]["enforce_https"], false);
    assert_eq!(bad.attributes["endpoint"]["in_vpc"], false);
    assert_eq!(bad.attributes["endpoint"]["public_endpoint"], true);
    assert_eq!(bad.attributes["access"], json!({"fine_grained": false}));
}

/// `DescribeDomains` throttled past the retries: ERROR on every group of those domains, the
/// domains themselves still listed.
#[test]
fn a_failed_domain_description_is_an_error_on_its_groups() {
    isolated(failed_description_body);
}

async fn failed_description_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    aws_sdk_opensearch::Client::new(&config)
        .create_domain()
        .domain_name("csf-domain")
        .send()
        .await
        .expect("domain");
    let proxy = FaultProxy::start(&env.moto);
    let describe = |r: &Request| r.method == "POST" && r.path().ends_with("/domain-info");
    proxy.inject(
        describe,
        Fault::Status {
            status: 400,
            code: "ThrottlingException".to_string(),
            message: "injected ThrottlingException".to_string(),
        },
        None,
    );
    let options = CollectOptions {
        max_attempts: 2,
        ..options(&proxy.endpoint())
    };
    let plan = plan_of(&[("aws.opensearch.domain", &["encryption", "endpoint"])]);
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");
    let domain = doc(&inventory, "aws.opensearch.domain", "csf-domain");
    for group in ["encryption", "endpoint"] {
        let error = domain.errors.get(group).expect(group);
        assert_eq!(
            (error.code.as_str(), error.action.as_str()),
            ("ThrottlingException", "es:DescribeDomains"),
            "{error:?}"
        );
    }
    assert!(
        proxy.requests().iter().any(describe),
        "DescribeDomains was sent"
    );
}
