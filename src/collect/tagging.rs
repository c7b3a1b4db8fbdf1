//! Tags of many resources in one request, through the Resource Groups Tagging API
//! (`tag:GetResources`, up to 100 resources a page) instead of one tag request per resource.
//!
//! The API returns every resource of the filtered service that is or was ever tagged, so a
//! resource it does not return has no tags. It is regional (S3 buckets are answered in their own
//! region). When it cannot be used (no `tag:GetResources` permission, a failed page, or the user
//! asked for `--tags-per-resource`), collectors read each resource's tags with the service's own
//! call instead: the index is an optimisation and never the only source of a tag verdict.

use std::collections::{BTreeMap, HashMap};

use aws_types::SdkConfig;

use super::{Scope, Service};
use crate::inventory::ResourceDoc;

/// Tags by ARN of every tagged resource of one service in one region.
#[derive(Debug, Default)]
pub(crate) struct TagIndex {
    by_arn: HashMap<String, BTreeMap<String, String>>,
}

impl TagIndex {
    /// The resource's tags; empty when the API did not list it, i.e. it has none.
    pub(crate) fn tags_of(&self, arn: &str) -> BTreeMap<String, String> {
        self.by_arn
            .get(normalize_arn(arn))
            .cloned()
            .unwrap_or_default()
    }

    fn insert(&mut self, arn: &str, tags: BTreeMap<String, String>) {
        self.by_arn.insert(normalize_arn(arn).to_string(), tags);
    }
}

/// Log group ARNs come with or without the `:*` suffix depending on the API that printed them.
fn normalize_arn(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

/// The tags of every resource of `service` (a tagging API resource type filter such as `s3` or
/// `dynamodb`) in `config`'s region, or `None` when the per-resource calls must be used.
pub(crate) async fn index(
    scope: &Scope<'_>,
    config: &SdkConfig,
    service: &str,
) -> Option<TagIndex> {
    if !scope.bulk_tags {
        return None;
    }
    let client = aws_sdk_resourcegroupstagging::Client::new(config);
    let mut index = TagIndex::default();
    let pages = client
        .get_resources()
        .resource_type_filters(service)
        .resources_per_page(100)
        .into_paginator()
        .send();
    // Any failure: fall back to reading each resource, which records its own errors.
    let pages = scope
        .pages(Service::Tagging, "tag:GetResources", pages)
        .await
        .ok()?;
    for mapping in pages.iter().flat_map(aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesOutput::resource_tag_mapping_list) {
        let Some(arn) = mapping.resource_arn() else {
            continue;
        };
        let tags = mapping
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        index.insert(arn, tags);
    }
    Some(index)
}

/// The index of `service` in the scope's region when the plan reads `resource_type`'s tags.
pub(crate) async fn index_for(
    scope: &Scope<'_>,
    resource_type: &str,
    service: &str,
) -> Option<TagIndex> {
    if !scope.wants(resource_type, "tags") {
        return None;
    }
    index(scope, &scope.config, service).await
}

/// Fills every document's tags from one listing of `service` in the scope's region; false when
/// the listing cannot be used and each resource's tags must be read on their own.
pub(crate) async fn fill(scope: &Scope<'_>, service: &str, docs: &mut [ResourceDoc]) -> bool {
    match index(scope, &scope.config, service).await {
        Some(index) => {
            for doc in docs.iter_mut() {
                doc.tags = index.tags_of(&doc.arn);
            }
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_resources_have_no_tags_and_log_group_suffixes_match() {
        let mut index = TagIndex::default();
        index.insert(
            "arn:aws:logs:us-east-1:1:log-group:/app:*",
            BTreeMap::from([("DataClass".to_string(), "audit".to_string())]),
        );
        assert_eq!(
            index.tags_of("arn:aws:logs:us-east-1:1:log-group:/app")["DataClass"],
            "audit"
        );
        assert_eq!(
            index.tags_of("arn:aws:logs:us-east-1:1:log-group:/app:*")["DataClass"],
            "audit"
        );
        assert!(
            index
                .tags_of("arn:aws:logs:us-east-1:1:log-group:/other")
                .is_empty()
        );
    }
}
