//! `DynamoDB` tables of one region. One `DescribeTable` serves both `sse` and `table`; who
//! manages a table's KMS key comes from `kms:DescribeKey` (see `key_manager`).

use serde_json::json;

use super::key_manager::KeyManagers;
use super::util::{object, opt_i64, opt_str, tag_map};
use super::{Scope, Service, tagging};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.dynamodb.table";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_dynamodb::Client::new(&scope.config);
    let pages = client.list_tables().into_paginator().send();
    let Some(pages) = scope
        .listing(TYPE, Service::DynamoDb, "dynamodb:ListTables", pages)
        .await
    else {
        return Vec::new();
    };
    let names: Vec<String> = pages
        .iter()
        .flat_map(|p| p.table_names().iter().cloned())
        .collect();
    let tag_index = tagging::index_for(scope, TYPE, "dynamodb").await;
    let tag_index = tag_index.as_ref();
    let client = &client;
    let key_managers = KeyManagers::new(scope);
    let key_managers = &key_managers;
    scope
        .each_found(names, |name| async move {
            let arn = scope.arn("dynamodb", &format!("table/{name}"));
            let mut doc = scope.doc(TYPE, arn.clone(), &name);
            if scope.wants(TYPE, "sse") || scope.wants(TYPE, "table") {
                let request = client.describe_table().table_name(&name).send();
                match scope.read(Service::DynamoDb, "dynamodb:DescribeTable", request).await {
                    Ok(out) => {
                        let table = out.table();
                        if let Some(arn) = table.and_then(|t| t.table_arn()) {
                            doc.arn = arn.to_string();
                        }
                        if scope.wants(TYPE, "sse") {
                            let sse = table.and_then(|t| t.sse_description());
                            let enabled = sse.and_then(|s| s.status()).is_some_and(|s| {
                                matches!(s.as_str(), "ENABLED" | "ENABLING" | "UPDATING")
                            });
                            let key = sse.and_then(|s| s.kms_master_key_arn()).filter(|_| enabled);
                            match key {
                                // No SSE description (or a disabled one) means the AWS owned key.
                                None => doc.set("sse", json!({ "type": "DEFAULT", "key_managed_by": "AWS_OWNED" })),
                                Some(key) => match key_managers.manager_of(scope, key).await {
                                    Ok(manager) => doc.set(
                                        "sse",
                                        json!({
                                            "type": sse.and_then(|s| s.sse_type()).map_or("KMS", |t| t.as_str()),
                                            "kms_key_arn": key,
                                            "key_managed_by": manager,
                                        }),
                                    ),
                                    // Whose key it is cannot be told from its ARN: unknown, not CUSTOMER.
                                    Err(e) => doc.fail("sse", e),
                                },
                            }
                        }
                        if scope.wants(TYPE, "table") {
                            doc.set(
                                "table",
                                object(vec![
                                    ("status", opt_str(table.and_then(|t| t.table_status()).map(aws_sdk_dynamodb::types::TableStatus::as_str))),
                                    (
                                        "deletion_protection",
                                        json!(table.and_then(aws_sdk_dynamodb::types::TableDescription::deletion_protection_enabled).unwrap_or(false)),
                                    ),
                                    ("item_count", opt_i64(table.and_then(aws_sdk_dynamodb::types::TableDescription::item_count))),
                                    ("size_bytes", opt_i64(table.and_then(aws_sdk_dynamodb::types::TableDescription::table_size_bytes))),
                                ]),
                            );
                        }
                    }
                    // Deleted since ListTables: nothing left to describe.
                    Err(e) if e.is_code(&["ResourceNotFoundException"]) => return None,
                    Err(e) => scope.fail_groups(&mut doc, TYPE, &["sse", "table"], &e),
                }
            }
            // Tags before the tag-gated groups: rules selecting tables by tag decide which
            // other calls are needed.
            let arn = doc.arn.clone();
            scope
                .fill_tags(TYPE, tag_index, &mut doc, || async move {
                    // ListTagsOfResource has no SDK paginator.
                    let request = |token| client.list_tags_of_resource().resource_arn(&arn).set_next_token(token).send();
                    let pages = scope
                        .token_pages(Service::DynamoDb, "dynamodb:ListTagsOfResource", request, aws_sdk_dynamodb::operation::list_tags_of_resource::ListTagsOfResourceOutput::next_token)
                        .await?;
                    Ok(tag_map(pages.iter().flat_map(aws_sdk_dynamodb::operation::list_tags_of_resource::ListTagsOfResourceOutput::tags).map(|t| (t.key(), t.value()))))
                })
                .await;
            if scope.wants_for(TYPE, "point_in_time_recovery", &doc) {
                let request = client.describe_continuous_backups().table_name(&name).send();
                match scope.read(Service::DynamoDb, "dynamodb:DescribeContinuousBackups", request).await {
                    Ok(out) => {
                        let enabled = out
                            .continuous_backups_description()
                            .and_then(|d| d.point_in_time_recovery_description())
                            .and_then(|p| p.point_in_time_recovery_status())
                            .is_some_and(|s| s.as_str() == "ENABLED");
                        doc.set("point_in_time_recovery", json!({ "enabled": enabled }));
                    }
                    Err(e) => doc.fail("point_in_time_recovery", e),
                }
            }
            if scope.wants_for(TYPE, "ttl", &doc) {
                let request = client.describe_time_to_live().table_name(&name).send();
                match scope.read(Service::DynamoDb, "dynamodb:DescribeTimeToLive", request).await {
                    Ok(out) => {
                        let ttl = out.time_to_live_description();
                        let enabled = ttl
                            .and_then(|t| t.time_to_live_status())
                            .is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING"));
                        doc.set(
                            "ttl",
                            object(vec![
                                ("enabled", json!(enabled)),
                                ("attribute", opt_str(ttl.and_then(|t| t.attribute_name()))),
                            ]),
                        );
                    }
                    Err(e) => doc.fail("ttl", e),
                }
            }
            Some(doc)
        })
        .await
}
