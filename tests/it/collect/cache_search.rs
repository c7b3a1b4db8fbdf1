//! ElastiCache replication groups and OpenSearch domains.

use super::*;

#[test]
fn replication_groups_and_domains() {
    isolated(cache_search_body);
}

async fn cache_search_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let cache = aws_sdk_elasticache::Client::new(&config);
    crate::support::seed::compliant_replication_group(&config, "cs-good", &[("team", "sessions")])
        .await;
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
    crate::support::seed::compliant_search_domain(&config, "cs-domain-good").await;
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
    assert_eq!(good.attributes["logging"]["application"], true);
    assert_eq!(good.attributes["logging"]["search_slow"], false);
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
