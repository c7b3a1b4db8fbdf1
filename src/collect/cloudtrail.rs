//! `CloudTrail` trails: every trail that records this account's activity in a scanned region,
//! one document each. `DescribeTrails` lists shadow trails too (a multi-region trail homed in
//! another region, an organization trail seen from a member account), which is what makes them
//! count; a trail is kept in its home region when that region is scanned, else once, in the
//! account's first region. Status and event selectors are read in the trail's home region.

use aws_types::region::Region;
use serde_json::{Value, json};

use super::util::{object, opt_str, strings, tag_map};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.cloudtrail.trail";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(TYPE) {
        return Vec::new();
    }
    let client = aws_sdk_cloudtrail::Client::new(&scope.config);
    // DescribeTrails is not paginated: one call returns every trail.
    let request = client.describe_trails().include_shadow_trails(true).send();
    let trails: Vec<_> = match scope
        .read(Service::CloudTrail, "cloudtrail:DescribeTrails", request)
        .await
    {
        Ok(out) => out
            .trail_list()
            .iter()
            .filter(|t| {
                read_here(
                    t.home_region(),
                    &scope.region,
                    scope.home,
                    &scope.account_regions,
                )
            })
            .cloned()
            .collect(),
        Err(e) => {
            scope.listing_failed(TYPE, e);
            return Vec::new();
        }
    };
    let client = &client;
    scope
        .each(trails, |trail| async move {
            // Status and selectors are answered by the trail's home region.
            let home_client = match trail.home_region() {
                Some(home) if home != scope.region => aws_sdk_cloudtrail::Client::new(
                    &scope.config.to_builder().region(Region::new(home.to_string())).build(),
                ),
                _ => client.clone(),
            };
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
                let request = home_client.get_trail_status().name(&arn).send();
                let status = scope
                    .read(Service::CloudTrail, "cloudtrail:GetTrailStatus", request)
                    .await;
                doc.record(
                    "status",
                    status.map(|out| json!({ "is_logging": out.is_logging().unwrap_or(false) })),
                );
            }
            if scope.wants(TYPE, "event_selectors") {
                let request = home_client.get_event_selectors().trail_name(&arn).send();
                let selectors = scope
                    .read(Service::CloudTrail, "cloudtrail:GetEventSelectors", request)
                    .await
                    .map(|out| {
                        management_events(
                            out.event_selectors(),
                            out.advanced_event_selectors(),
                            trail.has_custom_event_selectors(),
                        )
                    });
                doc.record("event_selectors", selectors);
            }
            let pages = home_client.list_tags().resource_id_list(&arn).into_paginator();
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

/// Whether a trail listed in `region` is read there: in its home region when that region is
/// scanned, else (a shadow of a trail homed elsewhere) only in the account's first region, so
/// a multi-region trail listed in every region is one document.
fn read_here(home: Option<&str>, region: &str, first_region: bool, scanned: &[String]) -> bool {
    match home {
        Some(home) if home == region => true,
        Some(home) => first_region && !scanned.iter().any(|r| r == home),
        None => true,
    }
}

/// Which management events a trail records, from its basic or advanced event selectors: an
/// event is logged when any selector matches it. A trail without custom selectors logs every
/// management event (AWS's default).
fn management_events(
    basic: &[aws_sdk_cloudtrail::types::EventSelector],
    advanced: &[aws_sdk_cloudtrail::types::AdvancedEventSelector],
    has_custom: Option<bool>,
) -> Value {
    let mut kinds = ReadWrite::default();
    // What some selector leaves out; moot once one selector takes every management event.
    let mut exclusions: Vec<String> = Vec::new();
    let mut unrestricted = false;
    let source = if !basic.is_empty() {
        for selector in basic {
            if selector.include_management_events() == Some(false) {
                continue;
            }
            let excluded = selector.exclude_management_event_sources();
            match selector
                .read_write_type()
                .map(aws_sdk_cloudtrail::types::ReadWriteType::as_str)
            {
                Some("ReadOnly") => kinds.read = true,
                Some("WriteOnly") => kinds.write = true,
                // All, and the default when absent.
                _ => {
                    (kinds.read, kinds.write) = (true, true);
                    unrestricted |= excluded.is_empty();
                }
            }
            exclusions.extend(excluded.iter().map(|s| format!("eventSource not {s}")));
        }
        "basic"
    } else if !advanced.is_empty() {
        for selector in advanced {
            let fields = selector.field_selectors();
            let management = fields.iter().any(|f| {
                f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Management")
            });
            if !management {
                continue;
            }
            let (mut read, mut write) = (true, true);
            let before = exclusions.len();
            for field in fields {
                match field.field() {
                    "eventCategory" => {}
                    "readOnly" => {
                        let only = |values: &[String], v: &str| {
                            values.iter().all(|x| x == v) && !values.is_empty()
                        };
                        if only(field.equals(), "true") || only(field.not_equals(), "false") {
                            write = false;
                        } else if only(field.equals(), "false") || only(field.not_equals(), "true")
                        {
                            read = false;
                        }
                    }
                    other => exclusions.extend(describe_field(other, field)),
                }
            }
            kinds.read |= read;
            kinds.write |= write;
            unrestricted |= read && write && exclusions.len() == before;
        }
        "advanced"
    } else if has_custom == Some(true) {
        // Custom selectors that are all gone: nothing is selected.
        "custom"
    } else {
        (kinds.read, kinds.write) = (true, true);
        "default"
    };
    if unrestricted {
        exclusions.clear();
    }
    json!({
        "management_events": kinds.name(),
        "management_exclusions": strings(exclusions.iter().map(String::as_str)),
        "selectors": source,
    })
}

/// The read and write halves of management events a trail records.
#[derive(Default)]
struct ReadWrite {
    read: bool,
    write: bool,
}

impl ReadWrite {
    fn name(&self) -> &'static str {
        match (self.read, self.write) {
            (true, true) => "ALL",
            (true, false) => "READ_ONLY",
            (false, true) => "WRITE_ONLY",
            (false, false) => "NONE",
        }
    }
}

/// A narrowing field of an advanced management selector, as `eventSource not kms.amazonaws.com`.
fn describe_field(
    name: &str,
    field: &aws_sdk_cloudtrail::types::AdvancedFieldSelector,
) -> Vec<String> {
    let ops: [(&str, &[String]); 6] = [
        ("is", field.equals()),
        ("not", field.not_equals()),
        ("starts with", field.starts_with()),
        ("does not start with", field.not_starts_with()),
        ("ends with", field.ends_with()),
        ("does not end with", field.not_ends_with()),
    ];
    ops.iter()
        .flat_map(|(op, values)| values.iter().map(move |v| format!("{name} {op} {v}")))
        .collect()
}
