//! SSM parameters of one region: metadata from `DescribeParameters` only. Values are never read
//! (no `GetParameter`, with or without decryption).

use super::util::{object, opt_str, rfc3339, tag_map};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.ssm.parameter";

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_ssm::Client::new(&scope.config);
    let Some(pages) = scope
        .listing(
            TYPE,
            Service::Ssm,
            "ssm:DescribeParameters",
            client.describe_parameters().into_paginator().send(),
        )
        .await
    else {
        return Vec::new();
    };
    let mut docs = Vec::new();
    for p in pages
        .iter()
        .flat_map(aws_sdk_ssm::operation::describe_parameters::DescribeParametersOutput::parameters)
    {
        let Some(name) = p.name() else { continue };
        let arn = p.arn().map_or_else(
            || {
                scope.arn(
                    "ssm",
                    &format!("parameter/{}", name.trim_start_matches('/')),
                )
            },
            str::to_string,
        );
        let mut doc = scope.doc(TYPE, arn, name);
        if scope.wants(TYPE, "metadata") {
            doc.set(
                "metadata",
                object(vec![
                    (
                        "type",
                        opt_str(p.r#type().map(aws_sdk_ssm::types::ParameterType::as_str)),
                    ),
                    ("kms_key_id", opt_str(p.key_id())),
                    (
                        "tier",
                        opt_str(p.tier().map(aws_sdk_ssm::types::ParameterTier::as_str)),
                    ),
                    (
                        "last_modified",
                        opt_str(p.last_modified_date().and_then(rfc3339).as_deref()),
                    ),
                ]),
            );
        }
        docs.push(doc);
    }
    // SSM's tag reads share a low per-account rate; one listing spares a request per parameter.
    let client = &client;
    scope
        .with_tags(TYPE, "ssm", docs, |doc| {
            let request = client
                .list_tags_for_resource()
                .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                .resource_id(&doc.name)
                .send();
            async move {
                let out = scope
                    .read(Service::Ssm, "ssm:ListTagsForResource", request)
                    .await?;
                Ok(tag_map(out.tag_list().iter().map(|t| (t.key(), t.value()))))
            }
        })
        .await
}
