//! SNS topics of one region: `ListTopics` (ARNs only), then one `GetTopicAttributes` per topic
//! for the encryption and policy groups, and tags from tag:GetResources or `ListTagsForResource`.

use serde_json::json;

use super::util::{object, resource_policy, tag_map};
use super::{Scope, Service, tagging};
use crate::inventory::ResourceDoc;

const TYPE: &str = "aws.sns.topic";
const ATTRIBUTES: &str = "sns:GetTopicAttributes";
const GROUPS: [&str; 2] = ["encryption", "policy"];

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_sns::Client::new(&scope.config);
    let pages = client.list_topics().into_paginator().send();
    let Some(pages) = scope
        .listing(TYPE, Service::Sns, "sns:ListTopics", pages)
        .await
    else {
        return Vec::new();
    };
    let arns: Vec<String> = pages
        .iter()
        .flat_map(aws_sdk_sns::operation::list_topics::ListTopicsOutput::topics)
        .filter_map(|t| t.topic_arn().map(str::to_string))
        .collect();
    let index = tagging::index_for(scope, TYPE, "sns").await;
    let (client, index) = (&client, index.as_ref());
    scope
        .each_found(arns, |arn| async move {
            // arn:aws:sns:<region>:<account>:<name>
            let name = arn.rsplit(':').next().unwrap_or_default().to_string();
            let mut doc = scope.doc(TYPE, arn.clone(), &name);
            if GROUPS.iter().any(|g| scope.wants(TYPE, g)) {
                let request = client.get_topic_attributes().topic_arn(&arn).send();
                match scope.read(Service::Sns, ATTRIBUTES, request).await {
                    Ok(out) => {
                        let attribute = |name: &str| {
                            out.attributes()
                                .and_then(|a| a.get(name))
                                .map(String::as_str)
                                .filter(|v| !v.is_empty())
                        };
                        if scope.wants(TYPE, "encryption") {
                            let key = attribute("KmsMasterKeyId");
                            doc.set(
                                "encryption",
                                object(vec![
                                    ("enabled", json!(key.is_some())),
                                    ("kms_key_id", json!(key)),
                                ]),
                            );
                        }
                        if scope.wants(TYPE, "policy") {
                            match resource_policy(attribute("Policy"), ATTRIBUTES) {
                                Ok(value) => doc.set("policy", value),
                                Err(e) => doc.fail("policy", e),
                            }
                        }
                    }
                    // Deleted since it was listed: nothing left to describe.
                    Err(e) if e.is_code(&["NotFound"]) => return None,
                    Err(e) => scope.fail_groups(&mut doc, TYPE, &GROUPS, &e),
                }
            }
            scope
                .fill_tags(TYPE, index, &mut doc, || async {
                    let request = client.list_tags_for_resource().resource_arn(&arn).send();
                    let out = scope
                        .read(Service::Sns, "sns:ListTagsForResource", request)
                        .await?;
                    Ok(tag_map(out.tags().iter().map(|t| (t.key(), t.value()))))
                })
                .await;
            Some(doc)
        })
        .await
}
