//! Kinesis data streams of one region.

use serde_json::json;

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service, error};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.kinesis.stream";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    if !scope.wants_type(TYPE) {
        return Vec::new();
    }
    let client = aws_sdk_kinesis::Client::new(&scope.config);
    let pages = client.list_streams().into_paginator().send();
    let Some(pages) = scope
        .listing(TYPE, Service::Kinesis, "kinesis:ListStreams", pages)
        .await
    else {
        return Vec::new();
    };
    let mut streams: Vec<(String, Option<String>)> = Vec::new();
    for page in &pages {
        if page.stream_summaries().is_empty() {
            streams.extend(page.stream_names().iter().map(|n| (n.clone(), None)));
        } else {
            streams.extend(page.stream_summaries().iter().map(|s| {
                (
                    s.stream_name().to_string(),
                    Some(s.stream_arn().to_string()),
                )
            }));
        }
    }
    let client = &client;
    scope
        .each(streams, |(name, arn)| async move {
            let arn = arn.unwrap_or_else(|| scope.arn("kinesis", &format!("stream/{name}")));
            let mut doc = scope.doc(TYPE, arn, &name);
            if scope.wants(TYPE, "encryption") || scope.wants(TYPE, "retention") {
                match scope.call(Service::Kinesis, client.describe_stream_summary().stream_name(&name).send()).await {
                    Ok(out) => {
                        let summary = out.stream_description_summary();
                        if scope.wants(TYPE, "encryption") {
                            doc.set(
                                "encryption",
                                object(vec![
                                    (
                                        "type",
                                        json!(summary.and_then(|s| s.encryption_type()).map_or("NONE", |t| t.as_str())),
                                    ),
                                    ("kms_key_id", opt_str(summary.and_then(|s| s.key_id()))),
                                ]),
                            );
                        }
                        if scope.wants(TYPE, "retention") {
                            match summary {
                                Some(s) => doc.set("retention", json!({ "hours": s.retention_period_hours() })),
                                None => doc.fail("retention", "EmptyResponse: no stream summary (kinesis:DescribeStreamSummary)"),
                            }
                        }
                    }
                    Err(e) => {
                        let reason = error::reason(&e, "kinesis:DescribeStreamSummary");
                        for group in ["encryption", "retention"] {
                            if scope.wants(TYPE, group) {
                                doc.fail(group, reason.clone());
                            }
                        }
                    }
                }
            }
            if scope.wants(TYPE, "tags") {
                // ListTagsForStream has no SDK paginator: follow ExclusiveStartTagKey by hand.
                let mut start: Option<String> = None;
                loop {
                    let request = client.list_tags_for_stream().stream_name(&name).set_exclusive_start_tag_key(start.clone());
                    match scope.call(Service::Kinesis, request.send()).await {
                        Ok(out) => {
                            doc.tags.extend(tag_map(out.tags().iter().map(|t| (t.key(), t.value().unwrap_or("")))));
                            start = out.tags().last().map(|t| t.key().to_string());
                            if !out.has_more_tags() || start.is_none() {
                                break;
                            }
                        }
                        Err(e) => {
                            doc.fail("tags", error::reason(&e, "kinesis:ListTagsForStream"));
                            break;
                        }
                    }
                }
            }
            doc
        })
        .await
}
