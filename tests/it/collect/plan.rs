//! Only what the plan asks for is requested, and only reads.

use super::*;

// ---------------------------------------------------------------- plan, read-only, accounts

pub(super) fn is_s3(request: &Request) -> bool {
    request.service().as_deref() == Some("s3")
}

#[test]
fn only_iam_plan_makes_no_s3_request() {
    isolated(only_iam_plan_body);
}

async fn only_iam_plan_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    s3_client(&config)
        .create_bucket()
        .bucket("oip-bucket")
        .send()
        .await
        .expect("bucket");
    aws_sdk_iam::Client::new(&config)
        .create_policy()
        .policy_name("oip-policy")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("policy");
    let proxy = FaultProxy::start(&env.moto);
    let plan = plan_of(&[("aws.iam.policy", &["policy"])]);
    let inventory = collect(&options(&proxy.endpoint()), &plan, &NoProgress)
        .await
        .expect("collect");

    let collected_at = inventory.collected_at.as_deref().expect("collected_at");
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    assert!(
        time::OffsetDateTime::parse(collected_at, rfc3339).is_ok(),
        "{collected_at}"
    );
    let requests = proxy.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.operation().as_deref() == Some("GetAccountAuthorizationDetails")),
        "no IAM listing"
    );
    let s3_requests: Vec<&String> = requests
        .iter()
        .filter(|r| is_s3(r))
        .map(|r| &r.target)
        .collect();
    assert!(
        s3_requests.is_empty(),
        "S3 requests with an IAM-only plan: {s3_requests:?}"
    );
    let services: std::collections::BTreeSet<String> =
        requests.iter().filter_map(Request::service).collect();
    assert_eq!(
        services,
        ["iam", "sts"]
            .iter()
            .map(std::string::ToString::to_string)
            .collect()
    );
    // Only the planned group (and the analysis derived from it without a request): no
    // roles, no account document.
    let policy = doc(&inventory, "aws.iam.policy", "oip-policy");
    assert!(policy.attributes.contains_key("policy"));
    assert!(policy.attributes.contains_key("analysis"));
    assert!(
        inventory
            .resources
            .iter()
            .all(|d| d.resource_type == "aws.iam.policy")
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.operation().as_deref() == Some("ListPolicyTags"))
    );
}

#[test]
fn full_collection_is_read_only() {
    isolated(read_only_body);
}

async fn read_only_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name("ro-secret")
        .secret_string("ro-value")
        .send()
        .await
        .expect("secret");
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name("ro-parameter")
        .value("ro-parameter-value")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("parameter");
    s3_client(&config)
        .create_bucket()
        .bucket("ro-bucket")
        .send()
        .await
        .expect("bucket");
    let proxy = FaultProxy::start(&env.moto);
    let inventory = collect_all(&proxy.endpoint()).await;
    doc(&inventory, "aws.secretsmanager.secret", "ro-secret");
    doc(&inventory, "aws.ssm.parameter", "ro-parameter");
    doc(&inventory, "aws.s3.bucket", "ro-bucket");

    crate::support::fault_proxy::assert_only_reads(&proxy.requests(), 20);
}
