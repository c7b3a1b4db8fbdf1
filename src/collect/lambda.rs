//! Lambda functions of one region. `ListFunctions` carries the configuration; environment
//! variable values are dropped at once and never stored. Event source mappings (the queues and
//! streams a function polls) come from one `ListEventSourceMappings` listing for the region,
//! shared out by function.

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
    if scope.wants(TYPE, "event_sources") {
        event_sources(scope, &client, &mut docs).await;
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

/// Sets each function's `event_sources` from the region's mappings; a failed listing is an
/// error on every function, since any of them could have a source.
async fn event_sources(
    scope: &Scope<'_>,
    client: &aws_sdk_lambda::Client,
    docs: &mut [ResourceDoc],
) {
    const ACTION: &str = "lambda:ListEventSourceMappings";
    let pages = client.list_event_source_mappings().into_paginator().send();
    let pages = match scope.pages(Service::Lambda, ACTION, pages).await {
        Ok(pages) => pages,
        Err(error) => {
            for doc in docs.iter_mut() {
                doc.fail("event_sources", error.clone());
            }
            return;
        }
    };
    let mut by_function: std::collections::HashMap<String, Vec<Value>> =
        std::collections::HashMap::new();
    for mapping in pages.iter().flat_map(
        aws_sdk_lambda::operation::list_event_source_mappings::ListEventSourceMappingsOutput::event_source_mappings,
    ) {
        let Some(function) = mapping.function_arn() else {
            continue;
        };
        let item = object(vec![
            ("uuid", opt_str(mapping.uuid())),
            ("arn", opt_str(mapping.event_source_arn())),
            ("state", opt_str(mapping.state())),
            (
                "on_failure_destination",
                opt_str(
                    mapping
                        .destination_config()
                        .and_then(|d| d.on_failure())
                        .and_then(|f| f.destination()),
                ),
            ),
        ]);
        by_function
            .entry(unqualified(function).to_string())
            .or_default()
            .push(item);
    }
    for doc in docs.iter_mut() {
        let items = by_function.remove(&doc.arn).unwrap_or_default();
        doc.set("event_sources", serde_json::json!({ "items": items }));
    }
}

/// A function ARN without its version or alias (`function:name:live` -> `function:name`).
fn unqualified(arn: &str) -> &str {
    let fields: Vec<&str> = arn.splitn(8, ':').collect();
    if fields.len() > 7 {
        let cut = fields[..7].iter().map(|f| f.len() + 1).sum::<usize>() - 1;
        &arn[..cut]
    } else {
        arn
    }
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
