//! `CloudTrail` trails and Kinesis streams.

use super::*;

// ---------------------------------------------------------------- CloudTrail, Kinesis

#[test]
fn trails_and_streams() {
    isolated(trails_and_streams_body);
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
