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
    // No custom selectors: AWS's default, every management event.
    assert_eq!(
        good.attributes["event_selectors"],
        json!({"management_events": "ALL", "management_exclusions": [], "selectors": "default"})
    );
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

/// A multi-region trail homed in a region the scan does not read still covers the scanned one
/// (a shadow trail), and is read in its home region; one scanning both regions sees it once. A
/// single-region trail elsewhere covers nothing here. Event selectors say which management
/// events a trail records.
#[test]
fn shadow_trails_count_and_event_selectors_decide_what_a_trail_records() {
    isolated(shadow_trails_body);
}

async fn shadow_trails_body(env: TestEnv) {
    use aws_sdk_cloudtrail::types::{
        AdvancedEventSelector, AdvancedFieldSelector, EventSelector, ReadWriteType,
    };
    const ELSEWHERE: &str = "eu-west-1";
    let config = seed_config(&env.moto, REGION).await;
    s3_client(&config)
        .create_bucket()
        .bucket("sht-bucket")
        .send()
        .await
        .expect("bucket");
    let here = aws_sdk_cloudtrail::Client::new(&config);
    let there = aws_sdk_cloudtrail::Client::new(
        &config
            .to_builder()
            .region(aws_types::region::Region::new(ELSEWHERE))
            .build(),
    );
    for (client, name, multi_region) in [
        (&there, "sht-homed-elsewhere", true),
        (&there, "sht-local-elsewhere", false),
        (&here, "sht-write-only", true),
        (&here, "sht-data-only", true),
        (&here, "sht-no-kms-events", true),
    ] {
        client
            .create_trail()
            .name(name)
            .s3_bucket_name("sht-bucket")
            .is_multi_region_trail(multi_region)
            .send()
            .await
            .expect("trail");
    }
    there
        .start_logging()
        .name("sht-homed-elsewhere")
        .send()
        .await
        .expect("logging");
    here.put_event_selectors()
        .trail_name("sht-write-only")
        .event_selectors(
            EventSelector::builder()
                .read_write_type(ReadWriteType::WriteOnly)
                .include_management_events(true)
                .build(),
        )
        .send()
        .await
        .expect("selectors");
    let field = |name: &str, equals: &[&str], not_equals: &[&str]| {
        let mut f = AdvancedFieldSelector::builder().field(name);
        for v in equals {
            f = f.equals(*v);
        }
        for v in not_equals {
            f = f.not_equals(*v);
        }
        f.build().expect("field selector")
    };
    let advanced = |fields: Vec<AdvancedFieldSelector>| {
        AdvancedEventSelector::builder()
            .set_field_selectors(Some(fields))
            .build()
            .expect("advanced selector")
    };
    here.put_event_selectors()
        .trail_name("sht-data-only")
        .advanced_event_selectors(advanced(vec![
            field("eventCategory", &["Data"], &[]),
            field("resources.type", &["AWS::S3::Object"], &[]),
        ]))
        .send()
        .await
        .expect("selectors");
    here.put_event_selectors()
        .trail_name("sht-no-kms-events")
        .advanced_event_selectors(advanced(vec![
            field("eventCategory", &["Management"], &[]),
            field("eventSource", &[], &["kms.amazonaws.com"]),
        ]))
        .send()
        .await
        .expect("selectors");

    let plan = plan_of(&[(
        "aws.cloudtrail.trail",
        &["configuration", "status", "event_selectors"],
    )]);
    let t = "aws.cloudtrail.trail";
    let inventory = collect(&options(&env.moto), &plan, &NoProgress)
        .await
        .expect("collection succeeds");
    let shadow = doc(&inventory, t, "sht-homed-elsewhere");
    assert!(shadow.errors.is_empty(), "{:?}", shadow.errors);
    assert_eq!(shadow.region, ELSEWHERE);
    assert_eq!(shadow.attributes["configuration"]["home_region"], ELSEWHERE);
    assert_eq!(shadow.attributes["status"], json!({"is_logging": true}));
    assert_eq!(
        shadow.attributes["event_selectors"]["management_events"],
        "ALL"
    );
    let names: Vec<&str> = inventory
        .resources
        .iter()
        .filter(|d| d.resource_type == t)
        .map(|d| d.name.as_str())
        .collect();
    assert!(!names.contains(&"sht-local-elsewhere"), "{names:?}");

    let selectors = |name: &str| doc(&inventory, t, name).attributes["event_selectors"].clone();
    assert_eq!(
        selectors("sht-write-only"),
        json!({"management_events": "WRITE_ONLY", "management_exclusions": [], "selectors": "basic"})
    );
    assert_eq!(selectors("sht-data-only")["management_events"], "NONE");
    assert_eq!(
        selectors("sht-no-kms-events"),
        json!({
            "management_events": "ALL",
            "management_exclusions": ["eventSource not kms.amazonaws.com"],
            "selectors": "advanced"
        })
    );

    // Both regions scanned: every trail once, in its home region.
    let mut both = options(&env.moto);
    both.regions = RegionSelection::List(vec![REGION.to_string(), ELSEWHERE.to_string()]);
    let inventory = collect(&both, &plan, &NoProgress)
        .await
        .expect("collection succeeds");
    let mut seen: Vec<(String, String)> = inventory
        .resources
        .iter()
        .filter(|d| d.resource_type == t && d.name.starts_with("sht-"))
        .map(|d| (d.name.clone(), d.region.clone()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("sht-data-only".to_string(), REGION.to_string()),
            ("sht-homed-elsewhere".to_string(), ELSEWHERE.to_string()),
            ("sht-local-elsewhere".to_string(), ELSEWHERE.to_string()),
            ("sht-no-kms-events".to_string(), REGION.to_string()),
            ("sht-write-only".to_string(), REGION.to_string()),
        ]
    );
}
