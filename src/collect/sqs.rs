//! SQS queues of one region: `ListQueues`, then one `GetQueueAttributes` per queue for the
//! encryption, redrive and policy groups (the listing gives only URLs), and tags from
//! tag:GetResources or `ListQueueTags`.

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Value, json};

use super::util::{object, resource_policy, tag_map};
use super::{Scope, Service, tagging};
use crate::inventory::{CollectionError, ResourceDoc};

const TYPE: &str = "aws.sqs.queue";
const ATTRIBUTES: &str = "sqs:GetQueueAttributes";
const GROUPS: [&str; 3] = ["encryption", "redrive", "policy"];

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_sqs::Client::new(&scope.config);
    let pages = client
        .list_queues()
        .max_results(1000)
        .into_paginator()
        .send();
    let Some(pages) = scope
        .listing(TYPE, Service::Sqs, "sqs:ListQueues", pages)
        .await
    else {
        return Vec::new();
    };
    let urls: Vec<String> = pages
        .iter()
        .flat_map(aws_sdk_sqs::operation::list_queues::ListQueuesOutput::queue_urls)
        .cloned()
        .collect();
    let index = tagging::index_for(scope, TYPE, "sqs").await;
    let (client, index) = (&client, index.as_ref());
    scope
        .each_found(urls, |url| async move {
            // https://sqs.<region>.amazonaws.com/<account>/<name>: the ARN is built from the
            // name so that tags and references work even when the attributes cannot be read.
            let name = url.rsplit('/').next().unwrap_or_default().to_string();
            let mut doc = scope.doc(TYPE, scope.arn("sqs", &name), &name);
            if GROUPS.iter().any(|g| scope.wants(TYPE, g)) {
                let request = client
                    .get_queue_attributes()
                    .queue_url(&url)
                    .attribute_names(QueueAttributeName::KmsMasterKeyId)
                    .attribute_names(QueueAttributeName::SqsManagedSseEnabled)
                    .attribute_names(QueueAttributeName::RedrivePolicy)
                    .attribute_names(QueueAttributeName::Policy)
                    .send();
                match scope.read(Service::Sqs, ATTRIBUTES, request).await {
                    Ok(out) => {
                        let attribute = |name: QueueAttributeName| {
                            out.attributes()
                                .and_then(|a| a.get(&name))
                                .map(String::as_str)
                                .filter(|v| !v.is_empty())
                        };
                        if scope.wants(TYPE, "encryption") {
                            doc.set(
                                "encryption",
                                encryption(
                                    attribute(QueueAttributeName::KmsMasterKeyId),
                                    attribute(QueueAttributeName::SqsManagedSseEnabled),
                                ),
                            );
                        }
                        if scope.wants(TYPE, "redrive") {
                            match redrive(attribute(QueueAttributeName::RedrivePolicy)) {
                                Ok(value) => doc.set("redrive", value),
                                Err(e) => doc.fail("redrive", e),
                            }
                        }
                        if scope.wants(TYPE, "policy") {
                            match resource_policy(attribute(QueueAttributeName::Policy), ATTRIBUTES)
                            {
                                Ok(value) => doc.set("policy", value),
                                Err(e) => doc.fail("policy", e),
                            }
                        }
                    }
                    // Deleted since it was listed: nothing left to describe.
                    Err(e)
                        if e.is_code(&[
                            "AWS.SimpleQueueService.NonExistentQueue",
                            "QueueDoesNotExist",
                        ]) =>
                    {
                        return None;
                    }
                    Err(e) => scope.fail_groups(&mut doc, TYPE, &GROUPS, &e),
                }
            }
            scope
                .fill_tags(TYPE, index, &mut doc, || async {
                    let request = client.list_queue_tags().queue_url(&url).send();
                    let out = scope
                        .read(Service::Sqs, "sqs:ListQueueTags", request)
                        .await?;
                    let pairs = out.tags().into_iter().flatten();
                    Ok(tag_map(pairs.map(|(k, v)| (k.as_str(), v.as_str()))))
                })
                .await;
            Some(doc)
        })
        .await
}

/// SSE-KMS when a key is named, else SSE-SQS when it is on. AWS makes the two exclusive; moto
/// reports `SqsManagedSseEnabled` true beside a key, so the key decides.
fn encryption(kms_key_id: Option<&str>, sqs_managed: Option<&str>) -> Value {
    let sqs_managed = sqs_managed.is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let kind = match (kms_key_id, sqs_managed) {
        (Some(_), _) => "KMS",
        (None, true) => "SQS",
        (None, false) => "NONE",
    };
    object(vec![
        ("enabled", json!(kind != "NONE")),
        ("type", json!(kind)),
        ("kms_key_id", json!(kms_key_id)),
    ])
}

/// The `RedrivePolicy` attribute, a JSON string: `{"deadLetterTargetArn": ..., "maxReceiveCount": N}`
/// (the count sometimes as a string). Absent: no dead-letter queue.
fn redrive(raw: Option<&str>) -> Result<Value, CollectionError> {
    let Some(raw) = raw else {
        return Ok(json!({}));
    };
    let invalid = |why: String| CollectionError::new(ATTRIBUTES, "InvalidRedrivePolicy", why);
    let parsed: Value = serde_json::from_str(raw).map_err(|e| invalid(e.to_string()))?;
    let arn = parsed
        .get("deadLetterTargetArn")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("the RedrivePolicy has no deadLetterTargetArn".into()))?;
    let count = match parsed.get("maxReceiveCount") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        _ => None,
    };
    Ok(object(vec![
        ("dead_letter_queue_arn", json!(arn)),
        ("max_receive_count", json!(count)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_key_is_kms_whatever_the_sqs_managed_flag_says() {
        assert_eq!(
            encryption(Some("alias/aws/sqs"), Some("true")),
            json!({"enabled": true, "type": "KMS", "kms_key_id": "alias/aws/sqs"})
        );
        assert_eq!(
            encryption(None, Some("true")),
            json!({"enabled": true, "type": "SQS"})
        );
        assert_eq!(
            encryption(None, Some("false")),
            json!({"enabled": false, "type": "NONE"})
        );
        assert_eq!(
            encryption(None, None),
            json!({"enabled": false, "type": "NONE"})
        );
    }

    #[test]
    fn redrive_policies_parse_or_fail_with_the_reason() {
        assert_eq!(redrive(None), Ok(json!({})));
        assert_eq!(
            redrive(Some(
                r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:dlq","maxReceiveCount":"5"}"#
            )),
            Ok(
                json!({"dead_letter_queue_arn": "arn:aws:sqs:us-east-1:1:dlq", "max_receive_count": 5})
            )
        );
        let error = redrive(Some(r#"{"maxReceiveCount":5}"#)).unwrap_err();
        assert_eq!(error.code, "InvalidRedrivePolicy");
        assert!(redrive(Some("{not json")).is_err());
    }
}
