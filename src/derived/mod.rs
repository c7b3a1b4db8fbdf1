//! Facts derived from collected data by this binary's reading of AWS semantics: the TLS facts
//! of an S3 bucket policy from its statements, whether a queue or topic policy is public, what each `EventBridge` target is, the analysis of
//! an IAM policy and the effective permissions of a principal. They are recomputed wherever a
//! document enters posture (collected, loaded from an inventory, written in a rule test), so a
//! document cannot
//! carry a derived verdict that its own statements contradict, and rule tests exercise the
//! detection on policy documents rather than on a precomputed boolean.

mod event_targets;
pub mod iam;
mod public_policy;
mod s3_tls;

use serde_json::Value;
use time::OffsetDateTime;

use crate::inventory::ResourceDoc;

/// Recomputes the derived fields of `doc` from the groups they are derived from, when those
/// groups are present and well-formed; anything else is left for the inventory check.
/// `now` is the scan clock (the collection time), which decides date conditions.
pub fn derive(doc: &mut ResourceDoc, now: OffsetDateTime) {
    match doc.resource_type.as_str() {
        "aws.iam.policy" => {
            let statements = doc
                .attributes
                .get("policy")
                .and_then(|p| p.get("statements"))
                .and_then(Value::as_array);
            if let Some(statements) = statements {
                let analysis = iam::policy_analysis(statements, now);
                doc.errors.remove("analysis");
                doc.set("analysis", analysis);
            } else if doc.attributes.remove("analysis").is_some()
                || doc.errors.contains_key("policy")
            {
                // No statements to derive it from: an analysis is never taken on trust.
                let error = doc.errors.get("policy").cloned().unwrap_or_else(|| {
                    crate::inventory::CollectionError::new(
                        "inventory",
                        "NotDerivable",
                        "analysis is derived from policy.statements, which this document lacks",
                    )
                });
                doc.fail("analysis", error);
            }
        }
        "aws.s3.bucket" => {
            let bucket_arn = doc.arn.clone();
            if let Some(Value::Object(policy)) = doc.attributes.get_mut("policy") {
                s3_tls::bucket_policy(&bucket_arn, policy);
            }
        }
        "aws.sqs.queue" | "aws.sns.topic" => {
            if let Some(Value::Object(policy)) = doc.attributes.get_mut("policy") {
                public_policy::annotate(policy);
            }
        }
        "aws.lambda.function" => {
            // An event source is described like an EventBridge target: what it resolves to.
            if let Some(Value::Array(items)) = doc
                .attributes
                .get_mut("event_sources")
                .and_then(|t| t.get_mut("items"))
            {
                items.iter_mut().for_each(event_targets::describe);
            }
        }
        "aws.events.rule" => {
            if let Some(Value::Array(items)) = doc
                .attributes
                .get_mut("targets")
                .and_then(|t| t.get_mut("items"))
            {
                items.iter_mut().for_each(event_targets::describe);
            }
        }
        _ => {}
    }
}

/// The strings of the list at `key` of a JSON object (a normalized statement's `actions`, a
/// group's `attached_policy_arns`); empty when absent.
pub(crate) fn strings<'a>(value: &'a Value, key: &str) -> Vec<&'a str> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// How evidence names a statement: its Sid, else `#<index>` in its document.
pub(crate) fn statement_label(statement: &Value, index: usize) -> String {
    statement
        .get("sid")
        .and_then(Value::as_str)
        .filter(|sid| !sid.is_empty())
        .map_or_else(|| format!("#{index}"), str::to_string)
}

/// Every derived fact of a set of documents: each document's own, then those that combine
/// documents (a principal's effective permissions).
pub fn derive_all(docs: &mut [ResourceDoc], now: OffsetDateTime) {
    use rayon::prelude::*;
    docs.par_iter_mut().for_each(|doc| derive(doc, now));
    iam::principals(docs, now);
}
