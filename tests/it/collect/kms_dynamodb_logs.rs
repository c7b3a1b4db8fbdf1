//! KMS keys, `DynamoDB` tables and `CloudWatch` Logs groups.

use super::*;

// ---------------------------------------------------------------- KMS, DynamoDB, Logs

#[test]
fn kms_dynamodb_logs() {
    isolated(kms_dynamodb_logs_body);
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
        let mut request = crate::support::seed::table_request(&ddb, name);
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
    crate::support::seed::table_pitr(&ddb, "kdl-table-good").await;

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

/// `DynamoDB` reports `key/<uuid>` for the AWS managed key as for a customer key, so who manages
/// the key comes from `kms:DescribeKey`, read once per key; a denied `DescribeKey` leaves the
/// owner unknown (ERROR), never CUSTOMER by default.
#[test]
fn dynamodb_key_owner_comes_from_describe_key_once_per_key() {
    isolated(dynamodb_key_owner_body);
}

async fn dynamodb_key_owner_body(env: TestEnv) {
    use aws_sdk_dynamodb::types::*;
    let config = seed_config(&env.moto, REGION).await;
    let kms = aws_sdk_kms::Client::new(&config);
    let mut keys = Vec::new();
    for description in ["kdo-shared", "kdo-hidden"] {
        let key = kms
            .create_key()
            .description(description)
            .send()
            .await
            .expect("key");
        keys.push(
            key.key_metadata()
                .and_then(|m| m.arn())
                .expect("arn")
                .to_string(),
        );
    }
    let (shared, hidden) = (keys[0].clone(), keys[1].clone());
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    for (table, key) in [("kdo-a", &shared), ("kdo-b", &shared), ("kdo-c", &hidden)] {
        crate::support::seed::table_request(&ddb, table)
            .sse_specification(
                SseSpecification::builder()
                    .enabled(true)
                    .sse_type(SseType::Kms)
                    .kms_master_key_id(key)
                    .build(),
            )
            .send()
            .await
            .expect("table");
    }
    let proxy = FaultProxy::start(&env.moto);
    let hidden_key_id = hidden.rsplit('/').next().expect("key id").to_string();
    proxy.inject(
        move |r: &Request| {
            r.operation().as_deref() == Some("DescribeKey")
                && String::from_utf8_lossy(&r.body).contains(&hidden_key_id)
        },
        Fault::Status {
            status: 400,
            code: "AccessDeniedException".to_string(),
            message: "injected: not allowed to describe this key".to_string(),
        },
        None,
    );
    let plan = plan_of(&[("aws.dynamodb.table", &["sse"])]);
    let inventory = collect(&options(&proxy.endpoint()), &plan, &NoProgress)
        .await
        .expect("collection succeeds");

    let t = "aws.dynamodb.table";
    for table in ["kdo-a", "kdo-b"] {
        let doc = doc(&inventory, t, table);
        assert!(doc.errors.is_empty(), "{table}: {:?}", doc.errors);
        assert_eq!(
            doc.attributes["sse"]["key_managed_by"], "CUSTOMER",
            "{table}"
        );
        assert_eq!(
            doc.attributes["sse"]["kms_key_arn"],
            shared.as_str(),
            "{table}"
        );
    }
    let denied = doc(&inventory, t, "kdo-c");
    assert!(
        denied.attributes.get("sse").is_none(),
        "{:?}",
        denied.attributes
    );
    let error = denied.errors.get("sse").expect("sse is an error");
    assert_eq!(error.action, "kms:DescribeKey", "{error:?}");
    assert_eq!(error.code, "AccessDeniedException", "{error:?}");

    let describes: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|r| r.operation().as_deref() == Some("DescribeKey"))
        .map(|r| String::from_utf8_lossy(&r.body).to_string())
        .collect();
    let shared_id = shared.rsplit('/').next().expect("key id");
    assert_eq!(
        describes.iter().filter(|b| b.contains(shared_id)).count(),
        1,
        "one DescribeKey for the key two tables share: {describes:?}"
    );
}
