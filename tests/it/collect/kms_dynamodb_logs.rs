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
