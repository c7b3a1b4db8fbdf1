//! An inventory handed over for re-evaluation is data someone else wrote: before any rule reads
//! it, every document is checked against the catalog. A group whose value does not have the
//! catalog's shape (a string where an object belongs, `{}` without the fields posture always
//! collects) is moved to the document's `errors`, so every rule reading it is ERROR, never
//! PASS on garbage.

use std::collections::BTreeSet;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{CollectionError, Inventory};
use crate::catalog::{Catalog, Field, FieldType};

/// The code recorded under `errors` for a group that failed the check.
pub const INVALID_GROUP_CODE: &str = "InvalidInventoryData";

/// Why an inventory cannot be evaluated at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckError {
    /// A document names a type the catalog does not have.
    #[error("resources[{index}] ({arn}) has unknown type `{resource_type}`{}", hint(.nearest))]
    UnknownType {
        /// Position of the document in `resources`.
        index: usize,
        /// Its ARN.
        arn: String,
        /// The type it names.
        resource_type: String,
        /// Close type names, best first.
        nearest: Vec<String>,
    },
    /// Two documents of one type share an ARN: which of them would a rule judge?
    #[error("resources[{index}] repeats {resource_type} {arn} (first at resources[{first}])")]
    DuplicateArn {
        /// Position of the repeat.
        index: usize,
        /// Position of the first document with that ARN.
        first: usize,
        /// The type.
        resource_type: String,
        /// The ARN.
        arn: String,
    },
}

fn hint(nearest: &[String]) -> String {
    nearest
        .first()
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default()
}

/// Checks every document. Groups of the wrong shape become `errors` entries (one warning per
/// group names them); unknown types and duplicate ARNs make the whole inventory unusable.
pub fn check(
    inventory: &mut Inventory,
    catalog: &Catalog,
    now: OffsetDateTime,
) -> Result<Vec<String>, CheckError> {
    let mut warnings = Vec::new();
    let mut seen = std::collections::HashMap::new();
    // Derived facts judge date conditions at the collection time, as the rules do.
    let scan_clock = inventory
        .collected_at
        .as_deref()
        .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
        .unwrap_or(now);
    // Derived facts are this binary's reading of the data, never the file's. Each document's
    // own facts first (in parallel: documents are independent); the facts that combine
    // documents only after the groups of the wrong shape are dropped below, so a principal is
    // never judged on a `policies` group that is not usable.
    {
        use rayon::prelude::*;
        inventory
            .resources
            .par_iter_mut()
            .for_each(|doc| crate::derived::derive(doc, scan_clock));
    }
    for (index, doc) in inventory.resources.iter_mut().enumerate() {
        let Some(ty) = catalog.get(&doc.resource_type) else {
            return Err(CheckError::UnknownType {
                index,
                arn: doc.arn.clone(),
                resource_type: doc.resource_type.clone(),
                nearest: catalog.nearest_types(&doc.resource_type),
            });
        };
        if let Some(first) = seen.insert((doc.resource_type.clone(), doc.arn.clone()), index) {
            return Err(CheckError::DuplicateArn {
                index,
                first,
                resource_type: doc.resource_type.clone(),
                arn: doc.arn.clone(),
            });
        }
        let groups: BTreeSet<&String> = doc.attributes.keys().collect();
        let mut invalid = Vec::new();
        for name in groups {
            let value = &doc.attributes[name.as_str()];
            let problem = match ty.root.fields.get(name.as_str()) {
                Some(field) if field.group.is_some() => group_problem(name, value, field),
                // Fields the catalog does not know are never read by a rule: leave them.
                _ => None,
            };
            if let Some(problem) = problem {
                invalid.push((name.clone(), problem));
            }
        }
        for (group, problem) in invalid {
            doc.attributes.remove(&group);
            warnings.push(format!(
                "resources[{index}] ({}): group `{group}` is not usable: {problem}; rules that read it are ERROR",
                doc.arn
            ));
            doc.errors.insert(
                group,
                CollectionError::new("inventory", INVALID_GROUP_CODE, problem),
            );
        }
    }
    crate::derived::iam::principals(&mut inventory.resources, scan_clock);
    if let Some(warning) = collected_at_warning(inventory.collected_at.as_deref(), now) {
        warnings.push(warning);
    }
    Ok(warnings)
}

/// A group's value: an object of the catalog's shape, or null (not collected: the rules see
/// no data).
fn group_problem(name: &str, value: &Value, field: &Field) -> Option<String> {
    shape_problem(name, value, field)
}

/// The first place where `value` differs from `field`'s type, as "`path`: expected X, found Y".
fn shape_problem(path: &str, value: &Value, field: &Field) -> Option<String> {
    let (suffix, what) = first_mismatch(value, field)?;
    Some(format!("`{path}{suffix}`{what}"))
}

/// The first mismatch below a value, as (path suffix, what is wrong). The suffix is built only
/// on the way back from a mismatch: a well-formed inventory allocates nothing here.
fn first_mismatch(value: &Value, field: &Field) -> Option<(String, String)> {
    if value.is_null() {
        return None;
    }
    let fits = match field.ty {
        FieldType::String => value.is_string(),
        FieldType::Integer => value.is_i64() || value.is_u64(),
        FieldType::Number => value.is_number(),
        FieldType::Boolean => value.is_boolean(),
        FieldType::Object | FieldType::Map => value.is_object(),
        FieldType::Array => value.is_array(),
    };
    if !fits {
        return Some((
            String::new(),
            format!(
                ": expected {}, found {}",
                expected(field.ty),
                crate::rules::json_kind(value)
            ),
        ));
    }
    let below = |segment: String, (suffix, what): (String, String)| (segment + &suffix, what);
    match (field.ty, value) {
        (FieldType::Object, Value::Object(map)) => field
            .fields
            .iter()
            .find(|(key, sub)| sub.required && !map.contains_key(key.as_str()))
            .map(|(key, _)| {
                (
                    format!(".{key}"),
                    " is missing; posture always collects it".to_string(),
                )
            })
            .or_else(|| {
                map.iter().find_map(|(key, v)| {
                    let sub = field.fields.get(key)?;
                    first_mismatch(v, sub).map(|m| below(format!(".{key}"), m))
                })
            }),
        (FieldType::Map, Value::Object(map)) => {
            let items = field.items.as_deref()?;
            map.iter()
                .find_map(|(key, v)| first_mismatch(v, items).map(|m| below(format!(".{key}"), m)))
        }
        (FieldType::Array, Value::Array(list)) => {
            let items = field.items.as_deref()?;
            list.iter()
                .enumerate()
                .find_map(|(i, v)| first_mismatch(v, items).map(|m| below(format!("[{i}]"), m)))
        }
        _ => None,
    }
}

fn expected(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "a string",
        FieldType::Integer => "an integer",
        FieldType::Number => "a number",
        FieldType::Boolean => "a boolean",
        FieldType::Object | FieldType::Map => "an object",
        FieldType::Array => "a list",
    }
}

/// Inventories a year old, or from the future, are probably not what the user meant to judge.
fn collected_at_warning(collected_at: Option<&str>, now: OffsetDateTime) -> Option<String> {
    let text = collected_at?;
    let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) else {
        return Some(format!(
            "collected_at `{text}` is not an RFC 3339 timestamp"
        ));
    };
    let age = now - at;
    if age < -time::Duration::hours(1) {
        Some(format!(
            "collected_at {text} is in the future (clock skew, or an edited inventory?)"
        ))
    } else if age > time::Duration::days(365) {
        Some(format!(
            "collected_at {text} is {} days ago: verdicts describe the account as it was then",
            age.whole_days()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ResourceDoc;
    use serde_json::json;

    fn inventory(docs: Vec<ResourceDoc>) -> Inventory {
        Inventory::new(Vec::new(), docs)
    }

    fn lambda(configuration: Value) -> ResourceDoc {
        let mut doc = ResourceDoc::new(
            "aws.lambda.function",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "123456789012",
            "us-east-1",
        );
        doc.attributes.insert("configuration".into(), configuration);
        doc
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2026-12-02T00:00:00Z", &Rfc3339).unwrap()
    }

    #[test]
    fn a_group_of_the_wrong_shape_becomes_an_error_entry() {
        for garbage in [json!("garbage"), json!({}), json!({"runtime": 5})] {
            let mut inv = inventory(vec![lambda(garbage.clone())]);
            let warnings = check(&mut inv, Catalog::builtin(), now()).unwrap();
            let doc = &inv.resources[0];
            assert!(!doc.attributes.contains_key("configuration"), "{garbage}");
            assert!(doc.errors["configuration"].is_code(&[INVALID_GROUP_CODE]));
            assert_eq!(warnings.len(), 1, "{warnings:?}");
        }
    }

    #[test]
    fn a_well_formed_group_and_null_pass_unchanged() {
        let mut inv = inventory(vec![lambda(
            json!({"handler": "app.main", "runtime": "python3.12", "environment_variable_names": []}),
        )]);
        assert!(
            check(&mut inv, Catalog::builtin(), now())
                .unwrap()
                .is_empty()
        );
        assert!(inv.resources[0].errors.is_empty());
        let mut inv = inventory(vec![lambda(Value::Null)]);
        assert!(
            check(&mut inv, Catalog::builtin(), now())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn duplicate_arns_and_unknown_types_are_errors() {
        let mut inv = inventory(vec![lambda(Value::Null), lambda(Value::Null)]);
        let err = check(&mut inv, Catalog::builtin(), now()).unwrap_err();
        assert!(
            matches!(
                err,
                CheckError::DuplicateArn {
                    index: 1,
                    first: 0,
                    ..
                }
            ),
            "{err}"
        );
        let mut doc = lambda(Value::Null);
        doc.resource_type = "aws.lambda.functions".into();
        let err = check(&mut inventory(vec![doc]), Catalog::builtin(), now()).unwrap_err();
        assert!(
            err.to_string()
                .contains("did you mean `aws.lambda.function`"),
            "{err}"
        );
    }

    #[test]
    fn old_and_future_inventories_are_warned_about() {
        let mut inv = inventory(Vec::new());
        inv.collected_at = Some("2020-01-01T00:00:00Z".into());
        let warnings = check(&mut inv, Catalog::builtin(), now()).unwrap();
        assert!(warnings[0].contains("days ago"), "{warnings:?}");
        inv.collected_at = Some("2030-01-01T00:00:00Z".into());
        let warnings = check(&mut inv, Catalog::builtin(), now()).unwrap();
        assert!(warnings[0].contains("in the future"), "{warnings:?}");
        inv.collected_at = Some("2026-11-30T00:00:00Z".into());
        assert!(
            check(&mut inv, Catalog::builtin(), now())
                .unwrap()
                .is_empty()
        );
    }
}
