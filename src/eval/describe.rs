//! Clauses in words, for failure messages and `posture explain`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::rules::{Clause, Op, Operand};

/// Parameter values shown in place of `$params.name` (empty: show the reference).
pub type Params = BTreeMap<String, Value>;

/// A value as a person reads it: strings bare, everything else as JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Puts a clause in words, with parameters substituted, for reasons and docs.
#[must_use]
pub fn describe(clause: &Clause, prefix: &str, params: &Params) -> String {
    match clause {
        Clause::All(items) => join(items, prefix, " and ", params),
        Clause::Any(items) => join(items, prefix, " or ", params),
        Clause::Not(inner) => format!("not ({})", describe(inner, prefix, params)),
        Clause::Check { path, ops } => {
            let subject = match (prefix.is_empty(), path.as_str()) {
                (true, ".") => "the item".to_string(),
                (true, _) => path.clone(),
                (false, ".") => prefix.to_string(),
                (false, _) => format!("{prefix}.{path}"),
            };
            ops.iter()
                .map(|op| format!("{subject} {}", describe_op(op, params)))
                .collect::<Vec<_>>()
                .join(" and ")
        }
        Clause::SomeResource {
            resource_type,
            filter,
        } => {
            format!("some {resource_type} with {}", describe(filter, "", params))
        }
    }
}

fn join(items: &[Clause], prefix: &str, sep: &str, params: &Params) -> String {
    let parts: Vec<String> = items.iter().map(|c| describe(c, prefix, params)).collect();
    if parts.len() == 1 {
        parts.into_iter().collect()
    } else {
        format!("({})", parts.join(sep))
    }
}

fn describe_op(op: &Op, params: &Params) -> String {
    let v = |o: &Operand| operand(o, params);
    match op {
        Op::Equals(o) => format!("= {}", v(o)),
        Op::NotEquals(o) => format!("!= {}", v(o)),
        Op::Compare(cmp, o) => format!("{} {}", cmp.symbol(), v(o)),
        Op::In(o) => format!("in {}", v(o)),
        Op::NotIn(o) => format!("not in {}", v(o)),
        Op::Contains(o) => format!("contains {}", v(o)),
        Op::Matches(re) => format!("matches /{}/", re.as_str()),
        Op::NotMatches(re) => format!("does not match /{}/", re.as_str()),
        Op::Exists(true) => "is set".into(),
        Op::Exists(false) => "is absent".into(),
        Op::AnyItem(c) => format!("has an item with {}", describe(c, "", params)),
        Op::AllItems(c) => format!("has only items with {}", describe(c, "", params)),
        Op::NoItem(c) => format!("has no item with {}", describe(c, "", params)),
        Op::Count { filter, bounds } => {
            let bounds: Vec<String> = bounds
                .iter()
                .map(|(c, o)| format!("{} {}", c.symbol(), v(o)))
                .collect();
            match filter {
                Some(f) => format!(
                    "has {} items with {}",
                    bounds.join(" and "),
                    describe(f, "", params)
                ),
                None => format!("has {} items", bounds.join(" and ")),
            }
        }
        Op::AgeDays(bounds) => {
            let bounds: Vec<String> = bounds
                .iter()
                .map(|(c, o)| format!("{} {}", c.symbol(), v(o)))
                .collect();
            format!("is {} days old", bounds.join(" and "))
        }
        Op::References {
            resource_types,
            attribute,
            filter,
        } => {
            let kinds = resource_types.join(" or ");
            match filter {
                Some(f) => format!(
                    "refers to a {kinds} ({attribute}) with {}",
                    describe(f, "", params)
                ),
                None => format!("refers to an existing {kinds} ({attribute})"),
            }
        }
        Op::HasKeys(keys) => format!("has keys {}", v(keys)),
        Op::AllowedByRole {
            role_path, action, ..
        } => {
            format!("is allowed {action} by the role at {role_path}")
        }
        Op::Deprecation {
            schedule,
            warn_days,
        } => {
            format!(
                "is not deprecated within {} days per {}",
                v(warn_days),
                schedule.file
            )
        }
    }
}

fn operand(operand: &Operand, params: &Params) -> String {
    match operand {
        Operand::Param(name) => params.get(name).map_or_else(|| operand.to_string(), show),
        Operand::Literal(value) => show(value),
    }
}
