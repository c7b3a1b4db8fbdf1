//! Facts derived from collected data by this binary's reading of AWS semantics: the TLS facts
//! of an S3 bucket policy from its statements, what each EventBridge target is. They are
//! recomputed wherever a document enters
//! posture (collected, loaded from an inventory, written in a rule test), so a document cannot
//! carry a derived verdict that its own statements contradict, and rule tests exercise the
//! detection on policy documents rather than on a precomputed boolean.

mod event_targets;
mod s3_tls;

use serde_json::Value;

use crate::inventory::ResourceDoc;

/// Recomputes the derived fields of `doc` from the groups they are derived from, when those
/// groups are present and well-formed; anything else is left for the inventory check.
pub fn derive(doc: &mut ResourceDoc) {
    match doc.resource_type.as_str() {
        "aws.s3.bucket" => {
            let bucket_arn = doc.arn.clone();
            if let Some(Value::Object(policy)) = doc.attributes.get_mut("policy") {
                s3_tls::bucket_policy(&bucket_arn, policy);
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
