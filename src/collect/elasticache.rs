//! `ElastiCache` replication groups (Redis OSS and Valkey) of one region: the
//! `DescribeReplicationGroups` listing carries every attribute the catalog names; tags come from
//! `ListTagsForResource` per group.

use aws_sdk_elasticache::types::ReplicationGroup;
use serde_json::json;

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.elasticache.replication_group";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_elasticache::Client::new(&scope.config);
    let pages = client
        .describe_replication_groups()
        .max_records(100)
        .into_paginator()
        .send();
    let Some(pages) = scope
        .listing(
            TYPE,
            Service::ElastiCache,
            "elasticache:DescribeReplicationGroups",
            pages,
        )
        .await
    else {
        return Vec::new();
    };
    let docs = pages
        .iter()
        .flat_map(aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput::replication_groups)
        .filter_map(|group| document(scope, group))
        .collect();
    if !scope.wants(TYPE, "tags") {
        return scope.done(docs);
    }
    // Tags are read per group rather than from tag:GetResources, whose coverage of
    // replication groups this scanner cannot vouch for (an index that omits a type reads as
    // "no tags"); accounts hold few replication groups, so the cost is small.
    let client = &client;
    scope
        .each(docs, |mut doc| async move {
            let request = client
                .list_tags_for_resource()
                .resource_name(&doc.arn)
                .send();
            match scope
                .read(
                    Service::ElastiCache,
                    "elasticache:ListTagsForResource",
                    request,
                )
                .await
            {
                Ok(out) => {
                    doc.tags = tag_map(
                        out.tag_list()
                            .iter()
                            .filter_map(|t| Some((t.key()?, t.value().unwrap_or("")))),
                    );
                }
                Err(e) => doc.fail("tags", e),
            }
            doc
        })
        .await
}

fn document(scope: &Scope<'_>, group: &ReplicationGroup) -> Option<ResourceDoc> {
    let id = group.replication_group_id()?;
    let arn = group.arn().map_or_else(
        || scope.arn("elasticache", &format!("replicationgroup:{id}")),
        str::to_string,
    );
    let mut doc = scope.doc(TYPE, arn, id);
    let groups = [
        (
            "configuration",
            object(vec![
                ("engine", opt_str(group.engine())),
                ("status", opt_str(group.status())),
                ("cluster_mode", json!(group.cluster_enabled())),
            ]),
        ),
        (
            "encryption",
            object(vec![
                ("at_rest", json!(group.at_rest_encryption_enabled())),
                ("in_transit", json!(group.transit_encryption_enabled())),
                (
                    "transit_mode",
                    opt_str(
                        group
                            .transit_encryption_mode()
                            .map(aws_sdk_elasticache::types::TransitEncryptionMode::as_str),
                    ),
                ),
                ("kms_key_id", opt_str(group.kms_key_id())),
            ]),
        ),
        (
            "authentication",
            object(vec![
                ("auth_token", json!(group.auth_token_enabled())),
                ("user_group_ids", json!(group.user_group_ids())),
            ]),
        ),
        (
            "availability",
            object(vec![
                (
                    "automatic_failover",
                    opt_str(
                        group
                            .automatic_failover()
                            .map(aws_sdk_elasticache::types::AutomaticFailoverStatus::as_str),
                    ),
                ),
                (
                    "multi_az",
                    opt_str(
                        group
                            .multi_az()
                            .map(aws_sdk_elasticache::types::MultiAzStatus::as_str),
                    ),
                ),
            ]),
        ),
        (
            "backup",
            object(vec![(
                "snapshot_retention_days",
                json!(group.snapshot_retention_limit()),
            )]),
        ),
    ];
    scope.set_wanted(TYPE, &mut doc, groups);
    Some(doc)
}
