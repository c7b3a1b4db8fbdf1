//! Bedrock's model invocation logging (one document per region) and Glacier vaults.

use super::*;

const OTHER_REGION: &str = "eu-west-3";

#[test]
fn invocation_logging_is_one_document_per_region() {
    isolated(bedrock_body);
}

async fn bedrock_body(env: TestEnv) {
    use aws_sdk_bedrock::types::{CloudWatchConfig, LoggingConfig};
    let config = seed_config(&env.moto, REGION).await;
    aws_sdk_bedrock::Client::new(&config)
        .put_model_invocation_logging_configuration()
        .logging_config(
            LoggingConfig::builder()
                .cloud_watch_config(
                    CloudWatchConfig::builder()
                        .log_group_name("/ar/bedrock")
                        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/ar-bedrock-logs"))
                        .build()
                        .expect("cloudwatch config"),
                )
                .text_data_delivery_enabled(true)
                .build(),
        )
        .send()
        .await
        .expect("logging configuration");

    let options = CollectOptions {
        regions: RegionSelection::List(vec![REGION.to_string(), OTHER_REGION.to_string()]),
        ..options(&env.moto)
    };
    let plan = plan_of(&[("aws.bedrock.account", &["invocation_logging"])]);
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");
    let here = doc(
        &inventory,
        "aws.bedrock.account",
        &format!("{ACCOUNT}/{REGION}"),
    );
    assert!(here.errors.is_empty(), "{:?}", here.errors);
    assert_eq!(
        here.arn,
        format!("arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-logging")
    );
    let logging = &here.attributes["invocation_logging"];
    assert_eq!(logging["enabled"], true);
    assert_eq!(logging["text_data"], true);
    assert_eq!(logging["log_group_name"], "/ar/bedrock");
    assert_eq!(
        logging["log_group_arn"],
        format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ar/bedrock")
    );
    // Never configured in the other region: logging is off there, a fact and not an error.
    let there = doc(
        &inventory,
        "aws.bedrock.account",
        &format!("{ACCOUNT}/{OTHER_REGION}"),
    );
    assert!(there.errors.is_empty(), "{:?}", there.errors);
    assert_eq!(there.attributes["invocation_logging"]["enabled"], false);
    assert_eq!(there.attributes["invocation_logging"]["text_data"], false);
}

/// Vaults are listed from moto; moto answers 404 to `ListTagsForVault` and `GetVaultLock`
/// (not emulated), which must be ERRORs on those groups, never "no tags" or "no lock".
#[test]
fn vaults_and_what_moto_cannot_answer() {
    isolated(glacier_body);
}

async fn glacier_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    aws_sdk_glacier::Client::new(&config)
        .create_vault()
        .account_id("-")
        .vault_name("ar-vault")
        .send()
        .await
        .expect("vault");
    let inventory = collect_all(&env.moto).await;
    let vault = doc(&inventory, "aws.glacier.vault", "ar-vault");
    assert!(vault.arn.ends_with(":vaults/ar-vault"), "{}", vault.arn);
    for group in ["tags", "lock"] {
        let error = vault
            .errors
            .get(group)
            .unwrap_or_else(|| panic!("{group}: {:?}", vault.attributes));
        assert_ne!(error.code, "ResourceNotFoundException", "{error:?}");
    }
    assert!(!vault.attributes.contains_key("lock"));
}
