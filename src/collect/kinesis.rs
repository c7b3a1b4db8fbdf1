//! Kinesis data streams of one region.

use aws_sdk_kinesis::operation::list_tags_for_stream::ListTagsForStreamOutput;
use serde_json::json;

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service};
use crate::inventory::{CollectionError, ResourceDoc};

const TYPE: &str = "aws.kinesis.stream";
const DESCRIBE: &str = "kinesis:DescribeStreamSummary";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
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
                let request = client.describe_stream_summary().stream_name(&name).send();
                match scope.read(Service::Kinesis, DESCRIBE, request).await {
                    Ok(out) => {
                        let summary = out.stream_description_summary();
                        if scope.wants(TYPE, "encryption") {
                            doc.set(
                                "encryption",
                                object(vec![
                                    (
                                        "type",
                                        json!(
                                            summary
                                                .and_then(|s| s.encryption_type())
                                                .map_or("NONE", |t| t.as_str())
                                        ),
                                    ),
                                    ("kms_key_id", opt_str(summary.and_then(|s| s.key_id()))),
                                ]),
                            );
                        }
                        if scope.wants(TYPE, "retention") {
                            match summary {
                                Some(s) => doc.set(
                                    "retention",
                                    json!({ "hours": s.retention_period_hours() }),
                                ),
                                None => doc.fail(
                                    "retention",
                                    CollectionError::new(
                                        DESCRIBE,
                                        "EmptyResponse",
                                        "no stream summary",
                                    ),
                                ),
                            }
                        }
                    }
                    Err(e) => scope.fail_groups(&mut doc, TYPE, &["encryption", "retention"], &e),
                }
            }
            let stream = name.clone();
            scope
                .fill_tags(TYPE, None, &mut doc, || async move {
                    // ListTagsForStream has no SDK paginator: the last key starts the next page.
                    let request = |start| {
                        client
                            .list_tags_for_stream()
                            .stream_name(&stream)
                            .set_exclusive_start_tag_key(start)
                            .send()
                    };
                    let pages = scope
                        .token_pages(
                            Service::Kinesis,
                            "kinesis:ListTagsForStream",
                            request,
                            next_start_key,
                        )
                        .await?;
                    let tags = pages.iter().flat_map(aws_sdk_kinesis::operation::list_tags_for_stream::ListTagsForStreamOutput::tags);
                    Ok(tag_map(tags.map(|t| (t.key(), t.value().unwrap_or("")))))
                })
                .await;
            doc
        })
        .await
}

/// The tag key the next page of `ListTagsForStream` starts after, when there are more tags.
fn next_start_key(out: &ListTagsForStreamOutput) -> Option<&str> {
    out.tags()
        .last()
        .filter(|_| out.has_more_tags())
        .map(aws_sdk_kinesis::types::Tag::key)
}
