//! Lambda functions of one region. `ListFunctions` carries the configuration; environment
//! variable values are dropped at once and never stored.

use super::util::{object, opt_str, strings, tag_map};
use super::{Scope, Service};
use aws_sdk_lambda::types::FunctionConfiguration;
use serde_json::Value;

use crate::inventory::{CollectionError, ResourceDoc};

const TYPE: &str = "aws.lambda.function";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_lambda::Client::new(&scope.config);
    let Some(pages) = scope
        .listing(
            TYPE,
            Service::Lambda,
            "lambda:ListFunctions",
            client.list_functions().into_paginator().send(),
        )
        .await
    else {
        return Vec::new();
    };
    let mut docs = Vec::new();
    for f in pages
        .iter()
        .flat_map(aws_sdk_lambda::operation::list_functions::ListFunctionsOutput::functions)
    {
        let Some(name) = f.function_name() else {
            continue;
        };
        let arn = f.function_arn().map_or_else(
            || scope.arn("lambda", &format!("function:{name}")),
            str::to_string,
        );
        let mut doc = scope.doc(TYPE, arn, name);
        if scope.wants(TYPE, "configuration") {
            doc.record("configuration", configuration(f));
        }
        docs.push(doc);
    }
    let client = &client;
    scope
        .with_tags(TYPE, "lambda", docs, |doc| {
            let request = client.list_tags().resource(&doc.arn).send();
            async move {
                let out = scope
                    .read(Service::Lambda, "lambda:ListTags", request)
                    .await?;
                let pairs = out.tags().into_iter().flatten();
                Ok(tag_map(pairs.map(|(k, v)| (k.as_str(), v.as_str()))))
            }
        })
        .await
}

/// The configuration group of one function. Lambda reports `Environment.Error` when it could
/// not read the function's environment (a KMS key it may not use, say): the configuration is
/// then incomplete, so it is an error, not data a rule may judge.
fn configuration(f: &FunctionConfiguration) -> Result<Value, CollectionError> {
    if let Some(error) = f.environment().and_then(|e| e.error()) {
        return Err(CollectionError::new(
            "lambda:ListFunctions",
            error.error_code().unwrap_or("EnvironmentError"),
            format!(
                "the function's environment could not be read: {}",
                error.message().unwrap_or("no message")
            ),
        ));
    }
    let mut variable_names: Vec<&str> = f
        .environment()
        .and_then(|e| e.variables())
        .map(|vars| vars.keys().map(String::as_str).collect())
        .unwrap_or_default();
    variable_names.sort_unstable();
    Ok(object(vec![
        (
            "runtime",
            opt_str(f.runtime().map(aws_sdk_lambda::types::Runtime::as_str)),
        ),
        (
            "package_type",
            opt_str(
                f.package_type()
                    .map(aws_sdk_lambda::types::PackageType::as_str),
            ),
        ),
        ("role_arn", opt_str(f.role())),
        ("handler", opt_str(f.handler())),
        (
            "last_modified",
            opt_str(f.last_modified().map(normalize_lambda_time).as_deref()),
        ),
        ("environment_variable_names", strings(variable_names)),
        ("kms_key_arn", opt_str(f.kms_key_arn())),
        (
            "dead_letter_target_arn",
            opt_str(f.dead_letter_config().and_then(|d| d.target_arn())),
        ),
        (
            "tracing_mode",
            opt_str(
                f.tracing_config()
                    .and_then(|t| t.mode())
                    .map(aws_sdk_lambda::types::TracingMode::as_str),
            ),
        ),
    ]))
}

/// Lambda writes `2024-01-02T03:04:05.000+0000`; RFC 3339 wants a colon in the offset.
fn normalize_lambda_time(raw: &str) -> String {
    let parsed = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).ok().or_else(|| {
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond][offset_hour sign:mandatory][offset_minute]"
        );
        time::OffsetDateTime::parse(raw, &format).ok()
    });
    match parsed.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    }) {
        Some(formatted) => formatted,
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::types::{EnvironmentError, EnvironmentResponse};

    use super::*;

    #[test]
    fn an_unreadable_environment_is_an_error_not_an_empty_one() {
        let environment = |error: Option<EnvironmentError>| {
            FunctionConfiguration::builder()
                .function_name("orders")
                .environment(
                    EnvironmentResponse::builder()
                        .variables("DB_PASSWORD", "hunter2")
                        .set_error(error)
                        .build(),
                )
                .build()
        };
        let readable = configuration(&environment(None)).expect("readable");
        assert_eq!(
            readable["environment_variable_names"],
            serde_json::json!(["DB_PASSWORD"])
        );
        assert!(
            !readable.to_string().contains("hunter2"),
            "values are never kept"
        );
        let failed = configuration(&environment(Some(
            EnvironmentError::builder()
                .error_code("KMSAccessDeniedException")
                .message("Lambda was unable to decrypt the environment variables")
                .build(),
        )))
        .expect_err("an Environment.Error");
        assert_eq!(failed.code, "KMSAccessDeniedException");
        assert_eq!(failed.action, "lambda:ListFunctions");
        assert!(failed.message.contains("unable to decrypt"));
    }
}
