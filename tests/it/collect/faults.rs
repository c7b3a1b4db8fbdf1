//! Faults moto cannot produce, from the fault proxy: recorded on the documents with their code and action.

use super::plan::is_s3;
use super::*;

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
    isolated(faults_body);
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
            .all(|e| e.code == "AccessDenied" && e.action == "s3:GetBucketLocation"),
        "{:?}",
        nowhere.errors
    );

    let denied = doc(&inventory, t, "flt-denied");
    let error = denied.errors.get("encryption").expect("encryption error");
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("AccessDenied", "injected AccessDenied"),
        "{error:?}"
    );
    assert_eq!(
        (error.action.as_str(), error.service.as_str()),
        ("s3:GetEncryptionConfiguration", "s3")
    );
    assert_eq!((error.retryable, error.http_status), (false, Some(403)));
    assert!(error.is_access_denied());
    assert_eq!(
        error.to_string(),
        "AccessDenied: injected AccessDenied (s3:GetEncryptionConfiguration)"
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
    let error = broken.errors.get("lifecycle").expect("lifecycle error");
    assert_eq!(error.code, "InternalError", "{error:?}");
    assert_eq!((error.retryable, error.http_status), (true, Some(500)));
    assert!(broken.attributes.contains_key("encryption"));
    let attempts = proxy
        .requests()
        .iter()
        .filter(|r| s3_call("flt-broken", "lifecycle")(r))
        .count();
    assert_eq!(attempts, 3, "500s are retried up to max_attempts");

    let hung = doc(&inventory, t, "flt-hung");
    let error = hung.errors.get("logging").expect("logging error");
    assert_eq!(
        (error.code.as_str(), error.action.as_str(), error.retryable),
        ("Timeout", "s3:GetBucketLogging", true),
        "{error:?}"
    );
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
    let error = account
        .errors
        .get(&format!("aws.kms.key@{REGION}"))
        .expect("listing error");
    assert_eq!(
        (error.code.as_str(), error.action.as_str()),
        ("InternalError", "kms:ListKeys"),
        "{error:?}"
    );
}

#[test]
fn json_and_query_protocol_faults_are_recorded() {
    isolated(protocol_faults_body);
}

async fn protocol_faults_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    for name in ["pf-throttled", "pf-fine"] {
        crate::support::seed::table_request(&ddb, name)
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
    assert_eq!(
        (reason.code.as_str(), reason.message.as_str()),
        ("ThrottlingException", "injected ThrottlingException"),
        "{reason:?}"
    );
    assert_eq!(reason.action, "dynamodb:DescribeContinuousBackups");
    assert!(reason.retryable && reason.is_throttling(), "{reason:?}");
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
        reason.code == "AccessDenied"
            && reason.message == "injected AccessDenied"
            && reason.action == "iam:GetAccountAuthorizationDetails",
        "{reason:?}"
    );
}
