//! Lambda functions, SSM parameters and Secrets Manager secrets: never a secret value.

use super::*;

// ---------------------------------------------------------------- Lambda, SSM, Secrets Manager

#[test]
fn lambda_ssm_secrets_never_keep_values() {
    isolated(lambda_ssm_secrets_body);
}

async fn lambda_ssm_secrets_body(env: TestEnv) {
    use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
    let config = seed_config(&env.moto, REGION).await;
    let role_arn = create_lambda_role(&config, "lss-role").await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    lambda
        .create_function()
        .function_name("lss-fn")
        .runtime(Runtime::Python312)
        .role(&role_arn)
        .handler("app.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(crate::support::empty_zip()))
                .build(),
        )
        .environment(
            Environment::builder()
                .variables("DB_PASSWORD", "hunter2-lambda-secret")
                .variables("MODE", "prod")
                .build(),
        )
        .tags("Team", "lss")
        .send()
        .await
        .expect("function");

    let ssm = aws_sdk_ssm::Client::new(&config);
    use aws_sdk_ssm::types::ParameterType;
    ssm.put_parameter()
        .name("/lss/secure")
        .value("ssm-secret-value")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("parameter");
    ssm.put_parameter()
        .name("/lss/plain")
        .value("plain-value")
        .r#type(ParameterType::String)
        .send()
        .await
        .expect("p");

    let sm = aws_sdk_secretsmanager::Client::new(&config);
    sm.create_secret()
        .name("lss-rotated")
        .secret_string("secretsmanager-secret-value")
        .kms_key_id("alias/lss-key")
        .send()
        .await
        .expect("secret");
    sm.rotate_secret()
        .secret_id("lss-rotated")
        .rotation_rules(
            aws_sdk_secretsmanager::types::RotationRulesType::builder()
                .automatically_after_days(30)
                .build(),
        )
        .rotate_immediately(false)
        .send()
        .await
        .expect("rotate");
    sm.create_secret()
        .name("lss-static")
        .secret_string("another-secret-value")
        .send()
        .await
        .expect("secret");

    let inventory = collect_all(&env.moto).await;

    let function = doc(&inventory, "aws.lambda.function", "lss-fn");
    assert!(function.errors.is_empty(), "{:?}", function.errors);
    let configuration = &function.attributes["configuration"];
    assert_eq!(
        configuration["environment_variable_names"],
        json!(["DB_PASSWORD", "MODE"])
    );
    assert_eq!(configuration["runtime"], "python3.12");
    assert_eq!(configuration["role_arn"], role_arn.as_str());
    assert_eq!(configuration["handler"], "app.handler");
    assert_eq!(configuration["package_type"], "Zip");
    let modified = configuration["last_modified"]
        .as_str()
        .expect("last_modified");
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    assert!(
        time::OffsetDateTime::parse(modified, rfc3339).is_ok(),
        "{modified}"
    );
    assert_eq!(function.tags.get("Team").map(String::as_str), Some("lss"));

    let parameter = doc(&inventory, "aws.ssm.parameter", "/lss/secure");
    assert_eq!(parameter.attributes["metadata"]["type"], "SecureString");
    assert_eq!(
        doc(&inventory, "aws.ssm.parameter", "/lss/plain").attributes["metadata"]["type"],
        "String"
    );

    let rotated = doc(&inventory, "aws.secretsmanager.secret", "lss-rotated");
    assert_eq!(rotated.attributes["rotation"]["enabled"], true);
    assert_eq!(rotated.attributes["rotation"]["interval_days"], 30);
    assert_eq!(
        rotated.attributes["encryption"],
        json!({"kms_key_id": "alias/lss-key"})
    );
    let fixed = doc(&inventory, "aws.secretsmanager.secret", "lss-static");
    assert_eq!(fixed.attributes["rotation"]["enabled"], false);
    assert_eq!(fixed.attributes["encryption"], json!({}));

    // No value of any kind reaches the inventory.
    let text = serde_json::to_string(&inventory).expect("serialize");
    for value in [
        "hunter2-lambda-secret",
        "ssm-secret-value",
        "plain-value",
        "secretsmanager-secret-value",
    ] {
        assert!(
            !text.contains(value),
            "the inventory contains the value {value}"
        );
    }
}
