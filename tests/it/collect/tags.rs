//! Tags from tag:GetResources in bulk, and the per-resource fallback.

use super::*;

// ---------------------------------------------------------------- tags in bulk

#[test]
fn tags_come_in_bulk_and_fall_back_per_resource() {
    isolated(bulk_tags_body);
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
    crate::support::seed::bucket(&config, "btg-tagged", false, &owner).await;
    crate::support::seed::bucket(&config, "btg-untagged", false, &[]).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let tag = |k: &str, v: &str| {
        aws_sdk_dynamodb::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .expect("tag")
    };
    crate::support::seed::table_request(&ddb, "btg-table")
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
                .zip_file(Blob::new(crate::support::empty_zip()))
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
