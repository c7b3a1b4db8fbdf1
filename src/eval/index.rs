//! Indexes over the documents other resources refer to. `references` and `allowed_by_role`
//! used to scan every document of the referenced type for every value: 100,000 Lambda
//! functions against 100,000 roles was quadratic. Each (type, attribute) index is built once,
//! on first use, and shared by every rule and thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::DocView;

/// Positions in `Context::by_type[type]` of the documents whose attribute has a given value.
#[derive(Default)]
struct AttributeIndex {
    by_key: HashMap<String, Vec<usize>>,
    /// Documents whose attribute is a list or an object: compared one by one.
    unkeyed: Vec<usize>,
}

/// The ARN index, built up front, and the attribute indexes, built on demand.
pub(super) struct Indexes<'d> {
    by_arn: HashMap<&'d str, HashMap<&'d str, usize>>,
    by_attribute: Mutex<HashMap<(String, String), Arc<AttributeIndex>>>,
}

/// A key that two values share exactly when the evaluator calls them equal: numbers by value
/// (7 and 7.0), everything else by its JSON form. None for lists and objects.
fn key(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n.as_f64().map(|f| format!("n:{}", f.to_bits())),
        Value::String(s) => Some(format!("s:{s}")),
        Value::Bool(b) => Some(format!("b:{b}")),
        Value::Null => Some("null".into()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn lookup<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(root, |v, segment| v.get(segment))
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

impl<'d> Indexes<'d> {
    pub(super) fn new(by_type: &HashMap<&'d str, Vec<DocView<'d>>>) -> Self {
        let by_arn = by_type
            .iter()
            .map(|(ty, views)| {
                let arns = views
                    .iter()
                    .enumerate()
                    .map(|(at, view)| (view.doc.arn.as_str(), at))
                    .collect();
                (*ty, arns)
            })
            .collect();
        Indexes {
            by_arn,
            by_attribute: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn position(&self, resource_type: &str, arn: &str) -> Option<usize> {
        self.by_arn.get(resource_type)?.get(arn).copied()
    }

    pub(super) fn referenced(
        &self,
        resource_type: &str,
        attribute: &str,
        wanted: &Value,
        views: &[DocView<'d>],
    ) -> Vec<usize> {
        let Some(wanted_key) = key(wanted) else {
            // A list or object as the wanted value: rare enough to compare one by one.
            return (0..views.len())
                .filter(|&at| lookup(&views[at].root, attribute).is_some_and(|v| same(v, wanted)))
                .collect();
        };
        let index = self.attribute_index(resource_type, attribute, views);
        let mut found = index.by_key.get(&wanted_key).cloned().unwrap_or_default();
        found.extend(
            index
                .unkeyed
                .iter()
                .copied()
                .filter(|&at| lookup(&views[at].root, attribute).is_some_and(|v| same(v, wanted))),
        );
        found
    }

    fn attribute_index(
        &self,
        resource_type: &str,
        attribute: &str,
        views: &[DocView<'d>],
    ) -> Arc<AttributeIndex> {
        let id = (resource_type.to_string(), attribute.to_string());
        // A poisoned lock only means another thread panicked mid-build; the map is still
        // consistent (entries are inserted whole), so go on with it.
        if let Some(index) = self
            .by_attribute
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Arc::clone(index);
        }
        let mut index = AttributeIndex::default();
        for (at, view) in views.iter().enumerate() {
            match lookup(&view.root, attribute) {
                None => {}
                Some(value) => match key(value) {
                    Some(k) => index.by_key.entry(k).or_default().push(at),
                    None => index.unkeyed.push(at),
                },
            }
        }
        let index = Arc::new(index);
        self.by_attribute
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id)
            .or_insert(index)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ResourceDoc;
    use serde_json::json;

    #[test]
    fn the_index_finds_what_a_scan_of_every_document_finds() {
        let values = [
            json!("arn:a"),
            json!(7),
            json!(7.0),
            json!(["arn:a"]),
            json!(true),
            json!(null),
        ];
        let docs: Vec<ResourceDoc> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut doc = ResourceDoc::new("aws.iam.role", format!("arn:r{i}"), "1", "global");
                doc.attributes.insert("g".into(), json!({ "k": v }));
                doc
            })
            .collect();
        let mut by_type: HashMap<&str, Vec<DocView>> = HashMap::new();
        by_type.insert("aws.iam.role", docs.iter().map(DocView::new).collect());
        let indexes = Indexes::new(&by_type);
        let views = &by_type["aws.iam.role"];
        for wanted in values.iter().chain([json!("absent"), json!(8)].iter()) {
            let linear: Vec<usize> = (0..views.len())
                .filter(|&at| lookup(&views[at].root, "g.k").is_some_and(|v| same(v, wanted)))
                .collect();
            let mut indexed = indexes.referenced("aws.iam.role", "g.k", wanted, views);
            indexed.sort_unstable();
            assert_eq!(indexed, linear, "{wanted}");
        }
        assert_eq!(indexes.position("aws.iam.role", "arn:r2"), Some(2));
        assert_eq!(indexes.position("aws.iam.role", "arn:none"), None);
    }
}
