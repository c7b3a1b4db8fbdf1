//! `CloudWatch` Logs log groups of one region: one `DescribeLogGroups` listing fills every group but
//! tags, which come from tag:GetResources or, failing that, one request per group.

use serde_json::json;

use super::util::{opt_i64, tag_map};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.logs.log_group";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_cloudwatchlogs::Client::new(&scope.config);
    let Some(pages) = scope
        .listing(
            TYPE,
            Service::Logs,
            "logs:DescribeLogGroups",
            client.describe_log_groups().into_paginator().send(),
        )
        .await
    else {
        return Vec::new();
    };
    let mut docs = Vec::new();
    for group in pages.iter().flat_map(
        aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput::log_groups,
    ) {
        let Some(name) = group.log_group_name() else {
            continue;
        };
        // `arn` ends in ":*"; `log_group_arn` (newer) does not, and is what tagging APIs take.
        let arn = group
            .log_group_arn()
            .map(str::to_string)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_string()))
            .unwrap_or_else(|| scope.arn("logs", &format!("log-group:{name}")));
        let mut doc = scope.doc(TYPE, arn, name);
        if scope.wants(TYPE, "retention") {
            let days = group.retention_in_days().filter(|d| *d > 0);
            let mut value = json!({ "never_expires": days.is_none() });
            if let Some(days) = days {
                value["days"] = json!(days);
            }
            doc.set("retention", value);
        }
        if scope.wants(TYPE, "encryption") {
            let mut value = json!({});
            if let Some(key) = group.kms_key_id() {
                value["kms_key_arn"] = json!(key);
            }
            doc.set("encryption", value);
        }
        if scope.wants(TYPE, "storage") {
            doc.set(
                "storage",
                json!({ "stored_bytes": opt_i64(group.stored_bytes()) }),
            );
        }
        docs.push(doc);
    }
    let client = &client;
    scope
        .with_tags(TYPE, "logs", docs, |doc| {
            let request = client
                .list_tags_for_resource()
                .resource_arn(&doc.arn)
                .send();
            async move {
                let out = scope
                    .read(Service::Logs, "logs:ListTagsForResource", request)
                    .await?;
                let pairs = out.tags().into_iter().flatten();
                Ok(tag_map(pairs.map(|(k, v)| (k.as_str(), v.as_str()))))
            }
        })
        .await
}
