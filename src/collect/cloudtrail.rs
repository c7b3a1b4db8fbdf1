//! CloudTrail trails, each read once in its home region (shadow copies in other regions are
//! not listed, so a multi-region trail is one document).

use serde_json::json;

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service, error};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.cloudtrail.trail";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(TYPE) {
        return Vec::new();
    }
    let client = aws_sdk_cloudtrail::Client::new(&scope.config);
    // DescribeTrails is not paginated: one call returns every trail.
    let trails = match scope
        .call(
            Service::CloudTrail,
            client.describe_trails().include_shadow_trails(false).send(),
        )
        .await
    {
        Ok(out) => out.trail_list().to_vec(),
        Err(e) => {
            scope.listing_failed(TYPE, error::reason(&e, "cloudtrail:DescribeTrails"));
            return Vec::new();
        }
    };
    let client = &client;
    scope
        .each(trails, |trail| async move {
            let name = trail.name().unwrap_or_default().to_string();
            let arn = trail.trail_arn().map_or_else(
                || scope.arn("cloudtrail", &format!("trail/{name}")),
                str::to_string,
            );
            let mut doc = scope.doc(TYPE, arn.clone(), &name);
            if let Some(home) = trail.home_region() {
                doc.region = home.to_string();
            }
            if scope.wants(TYPE, "configuration") {
                doc.set(
                    "configuration",
                    object(vec![
                        (
                            "multi_region",
                            json!(trail.is_multi_region_trail().unwrap_or(false)),
                        ),
                        (
                            "organization_trail",
                            json!(trail.is_organization_trail().unwrap_or(false)),
                        ),
                        ("home_region", opt_str(trail.home_region())),
                        (
                            "log_file_validation",
                            json!(trail.log_file_validation_enabled().unwrap_or(false)),
                        ),
                        ("kms_key_arn", opt_str(trail.kms_key_id())),
                        ("s3_bucket", opt_str(trail.s3_bucket_name())),
                        (
                            "cloudwatch_log_group_arn",
                            opt_str(trail.cloud_watch_logs_log_group_arn()),
                        ),
                    ]),
                );
            }
            if scope.wants(TYPE, "status") {
                match scope
                    .call(
                        Service::CloudTrail,
                        client.get_trail_status().name(&arn).send(),
                    )
                    .await
                {
                    Ok(out) => doc.set(
                        "status",
                        json!({ "is_logging": out.is_logging().unwrap_or(false) }),
                    ),
                    Err(e) => doc.fail("status", error::reason(&e, "cloudtrail:GetTrailStatus")),
                }
            }
            if scope.wants(TYPE, "tags") {
                let pages = client
                    .list_tags()
                    .resource_id_list(&arn)
                    .into_paginator()
                    .send();
                match scope
                    .pages(Service::CloudTrail, "cloudtrail:ListTags", pages)
                    .await
                {
                    Ok(pages) => {
                        doc.tags = tag_map(
                            pages
                                .iter()
                                .flat_map(|p| p.resource_tag_list())
                                .flat_map(|list| list.tags_list())
                                .map(|t| (t.key(), t.value().unwrap_or(""))),
                        )
                    }
                    Err(reason) => doc.fail("tags", reason),
                }
            }
            doc
        })
        .await
}
