//! `CloudTrail` trails, each read once in its home region (shadow copies in other regions are
//! not listed, so a multi-region trail is one document).

use serde_json::json;

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.cloudtrail.trail";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(TYPE) {
        return Vec::new();
    }
    let client = aws_sdk_cloudtrail::Client::new(&scope.config);
    // DescribeTrails is not paginated: one call returns every trail.
    let request = client.describe_trails().include_shadow_trails(false).send();
    let trails = match scope
        .read(Service::CloudTrail, "cloudtrail:DescribeTrails", request)
        .await
    {
        Ok(out) => out.trail_list().to_vec(),
        Err(e) => {
            scope.listing_failed(TYPE, e);
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
                let request = client.get_trail_status().name(&arn).send();
                let status = scope
                    .read(Service::CloudTrail, "cloudtrail:GetTrailStatus", request)
                    .await;
                doc.record(
                    "status",
                    status.map(|out| json!({ "is_logging": out.is_logging().unwrap_or(false) })),
                );
            }
            let pages = client.list_tags().resource_id_list(&arn).into_paginator();
            scope
                .fill_tags(TYPE, None, &mut doc, || async move {
                    let pages = scope
                        .pages(Service::CloudTrail, "cloudtrail:ListTags", pages.send())
                        .await?;
                    let tags = pages
                        .iter()
                        .flat_map(aws_sdk_cloudtrail::operation::list_tags::ListTagsOutput::resource_tag_list)
                        .flat_map(aws_sdk_cloudtrail::types::ResourceTag::tags_list);
                    Ok(tag_map(tags.map(|t| (t.key(), t.value().unwrap_or("")))))
                })
                .await;
            doc
        })
        .await
}
