//! Operators and their typing: which operators exist, which field shapes each accepts, and the
//! operands they take (literals or `$params.NAME`), checked against the catalog's field types.

use serde_json::Value;

use super::model::{Cmp, Op, Operand};
use super::parse::{Ctx, Scope};
use crate::catalog::{self, Field, FieldType};
use crate::yaml::{Kind, Node};

const OPS: &[&str] = &[
    "equals",
    "not_equals",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "contains",
    "matches",
    "not_matches",
    "exists",
    "any",
    "all",
    "none",
    "count",
    "age_days",
    "references",
    "has_keys",
    "deprecation",
    "allowed_by_role",
];
const COMPARISONS: &[&str] = &["gt", "gte", "lt", "lte", "equals"];

impl Ctx<'_> {
    pub(super) fn ops(&mut self, node: &Node, field: &Field, path: &str) -> Option<Vec<Op>> {
        let Some(entries) = node.as_map() else {
            self.error_help(
                node,
                format!(
                    "expected operators for `{path}` (a mapping), found {}",
                    node.kind_name()
                ),
                "write e.g. `{ equals: value }`",
            );
            return None;
        };
        if entries.is_empty() {
            self.error(node, format!("no operator given for `{path}`"));
            return None;
        }
        let before = self.diags.len();
        let mut ops = Vec::new();
        for (key, value) in entries {
            let Some(name) = key.as_str() else {
                self.error(key, "operator names must be strings");
                continue;
            };
            if !OPS.contains(&name) {
                self.unknown(key, "operator", name, OPS);
                continue;
            }
            if let Some(op) = self.op(name, key, value, field, path) {
                ops.push(op);
            }
        }
        (self.diags.len() == before).then_some(ops)
    }

    pub(super) fn op(
        &mut self,
        name: &str,
        key: &Node,
        value: &Node,
        field: &Field,
        path: &str,
    ) -> Option<Op> {
        let free = field.ty == FieldType::Object && field.fields.is_empty();
        let need = |ctx: &mut Self, ok: bool, what: &str| {
            if !ok && !free {
                ctx.error(
                    key,
                    format!(
                        "`{name}` needs {what}, but `{path}` is {}",
                        type_phrase(field)
                    ),
                );
            }
            ok || free
        };
        match name {
            "equals" | "not_equals" => {
                let operand = self.operand(value, Some(field))?;
                Some(if name == "equals" {
                    Op::Equals(operand)
                } else {
                    Op::NotEquals(operand)
                })
            }
            "gt" | "gte" | "lt" | "lte" => need(self, field.ty.is_numeric(), "a number")
                .then(|| self.number(value))
                .flatten()
                .map(|o| Op::Compare(cmp(name), o)),
            "in" | "not_in" => {
                let operand = self.list_operand(value, field)?;
                Some(if name == "in" {
                    Op::In(operand)
                } else {
                    Op::NotIn(operand)
                })
            }
            "contains" => {
                let item = match field.ty {
                    FieldType::Array => field.items.as_deref(),
                    FieldType::String => Some(field),
                    _ if free => None,
                    _ => {
                        need(self, false, "a list or a string");
                        return None;
                    }
                };
                self.operand(value, item).map(Op::Contains)
            }
            "matches" | "not_matches" => {
                if !need(self, field.ty == FieldType::String, "a string") {
                    return None;
                }
                let Some(pattern) = value.as_str() else {
                    self.error(
                        value,
                        format!("`{name}` takes a regular expression (a string)"),
                    );
                    return None;
                };
                match regex::Regex::new(pattern) {
                    Ok(re) => Some(if name == "matches" {
                        Op::Matches(re)
                    } else {
                        Op::NotMatches(re)
                    }),
                    Err(e) => {
                        self.error(value, format!("invalid regular expression: {e}"));
                        None
                    }
                }
            }
            "exists" => {
                if let Kind::Bool(b) = value.kind {
                    Some(Op::Exists(b))
                } else {
                    self.error(
                        value,
                        format!("`exists` takes true or false, found {}", value.kind_name()),
                    );
                    None
                }
            }
            "any" | "all" | "none" => {
                if !need(self, field.ty == FieldType::Array, "a list") || free {
                    return None;
                }
                let items = field.items.as_deref()?;
                let clause = Box::new(self.clause(
                    value,
                    Scope {
                        shape: items,
                        in_element: true,
                    },
                )?);
                Some(match name {
                    "any" => Op::AnyItem(clause),
                    "all" => Op::AllItems(clause),
                    _ => Op::NoItem(clause),
                })
            }
            "count" => {
                if !need(self, field.ty == FieldType::Array, "a list") || free {
                    return None;
                }
                let items = field.items.as_deref()?;
                let Some(entries) = value.as_map() else {
                    self.error(
                        value,
                        "`count` takes a mapping: optional `where`, and gt/gte/lt/lte/equals",
                    );
                    return None;
                };
                let mut filter = None;
                let mut bounds = Vec::new();
                for (k, v) in entries {
                    match k.as_str() {
                        Some("where") => {
                            filter = Some(Box::new(self.clause(
                                v,
                                Scope {
                                    shape: items,
                                    in_element: true,
                                },
                            )?));
                        }
                        Some(c) if COMPARISONS.contains(&c) => {
                            let n = self.number(v)?;
                            if c == "equals" {
                                bounds.push((Cmp::Gte, n.clone()));
                                bounds.push((Cmp::Lte, n));
                            } else {
                                bounds.push((cmp(c), n));
                            }
                        }
                        Some(other) => self.unknown(
                            k,
                            "key of count",
                            other,
                            &["where", "gt", "gte", "lt", "lte", "equals"],
                        ),
                        None => self.error(k, "keys must be strings"),
                    }
                }
                if bounds.is_empty() {
                    self.error(
                        value,
                        "`count` needs at least one bound (gt/gte/lt/lte/equals)",
                    );
                    return None;
                }
                Some(Op::Count { filter, bounds })
            }
            "age_days" => {
                if !need(self, field.ty == FieldType::String, "a timestamp (string)") {
                    return None;
                }
                let bounds = self.bounds(value, "age_days")?;
                Some(Op::AgeDays(bounds))
            }
            "references" => {
                let ok = field.ty == FieldType::String
                    || (field.ty == FieldType::Array
                        && field
                            .items
                            .as_ref()
                            .is_some_and(|i| i.ty == FieldType::String));
                if !need(self, ok, "a string or a list of strings") {
                    return None;
                }
                self.references(value)
            }
            "has_keys" => {
                if !need(self, field.ty == FieldType::Map, "a map (tags)") {
                    return None;
                }
                let strings = Field {
                    items: Some(Box::new(Field::leaf(FieldType::String, ""))),
                    ..Field::leaf(FieldType::Array, "")
                };
                self.list_operand(value, strings.items.as_deref()?)
                    .map(Op::HasKeys)
            }
            "allowed_by_role" => {
                let ok = field.ty == FieldType::String
                    || (field.ty == FieldType::Array
                        && field
                            .items
                            .as_ref()
                            .is_some_and(|i| i.ty == FieldType::String));
                if !need(self, ok, "a string or a list of strings (resource ARNs)") {
                    return None;
                }
                let role = value.get("role").and_then(Node::as_str);
                let action = value.get("action").and_then(Node::as_str);
                let (Some(role), Some(action)) = (role, action) else {
                    self.error(value, "`allowed_by_role` needs `role` (the path of the role ARN) and `action` (e.g. lambda:InvokeFunction)");
                    return None;
                };
                if !action.contains(':') {
                    self.error(
                        value.get("action").unwrap_or(value),
                        format!("`{action}` is not an IAM action (service:Action)"),
                    );
                    return None;
                }
                Some(Op::AllowedByRole {
                    role_path: role.to_string(),
                    action: action.to_string(),
                    permissions: self.catalog.role_permissions.clone(),
                })
            }
            "deprecation" => {
                if !need(self, field.ty == FieldType::String, "a string") {
                    return None;
                }
                self.deprecation(value)
            }
            _ => None,
        }
    }

    pub(super) fn references(&mut self, value: &Node) -> Option<Op> {
        for (key, _) in value.as_map().unwrap_or_default() {
            if let Some(k) = key
                .as_str()
                .filter(|k| !matches!(*k, "type" | "attribute" | "where"))
            {
                self.unknown(key, "key of references", k, &["type", "attribute", "where"]);
                return None;
            }
        }
        let type_node = value.get("type").unwrap_or(value);
        let names: Vec<&str> = match &type_node.kind {
            Kind::Str(s) => vec![s.as_str()],
            Kind::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            _ => Vec::new(),
        };
        if names.is_empty() {
            self.error(
                type_node,
                "`references` needs `type`: a resource type or a list of them",
            );
            return None;
        }
        let known: Vec<&str> = self.catalog.types.keys().map(String::as_str).collect();
        let mut types = Vec::new();
        for name in names {
            if let Some(ty) = self.catalog.get(name) {
                types.push(ty);
            } else {
                self.unknown(type_node, "resource type", name, &known);
                return None;
            }
        }
        let attribute = value
            .get("attribute")
            .and_then(Node::as_str)
            .unwrap_or("arn");
        let mut filter = None;
        for ty in &types {
            if let Err(e) = catalog::resolve(&ty.root, attribute) {
                self.error(
                    value.get("attribute").unwrap_or(value),
                    format!("{}: {}", ty.name, e.message),
                );
                return None;
            }
            if let Some(w) = value.get("where") {
                filter = Some(Box::new(self.clause(
                    w,
                    Scope {
                        shape: &ty.root,
                        in_element: false,
                    },
                )?));
            }
        }
        Some(Op::References {
            resource_types: types.iter().map(|t| t.name.clone()).collect(),
            attribute: attribute.to_string(),
            filter,
        })
    }

    pub(super) fn bounds(&mut self, node: &Node, op: &str) -> Option<Vec<(Cmp, Operand)>> {
        let Some(entries) = node.as_map() else {
            self.error(
                node,
                format!("`{op}` takes a mapping of gt/gte/lt/lte to numbers"),
            );
            return None;
        };
        let mut bounds = Vec::new();
        for (k, v) in entries {
            match k.as_str() {
                Some(c) if matches!(c, "gt" | "gte" | "lt" | "lte") => {
                    bounds.push((cmp(c), self.number(v)?));
                }
                other => self.unknown(
                    k,
                    &format!("key of {op}"),
                    other.unwrap_or(""),
                    &["gt", "gte", "lt", "lte"],
                ),
            }
        }
        (!bounds.is_empty()).then_some(bounds)
    }

    pub(super) fn param_ref(&mut self, node: &Node) -> Option<Option<(String, Value)>> {
        let Some(text) = node.as_str() else {
            return Some(None);
        };
        let Some(name) = text.strip_prefix("$params.") else {
            return Some(None);
        };
        if let Some(v) = self.params.get(name) {
            Some(Some((name.to_string(), v.clone())))
        } else {
            let names: Vec<String> = self.params.keys().cloned().collect();
            let known: Vec<&str> = names.iter().map(String::as_str).collect();
            if known.is_empty() {
                self.error(
                    node,
                    format!("unknown parameter `{name}`: the rule declares no `params`"),
                );
            } else {
                self.unknown(node, "parameter", name, &known);
            }
            None
        }
    }

    /// A value compared with a field of shape `expected` (None: any JSON value).
    pub(super) fn operand(&mut self, node: &Node, expected: Option<&Field>) -> Option<Operand> {
        let (operand, value) = match self.param_ref(node)? {
            Some((name, default)) => (Operand::Param(name), default),
            None => (Operand::Literal(node.to_json()), node.to_json()),
        };
        if let Some(field) = expected
            && !fits(&value, field)
        {
            self.error(
                node,
                format!(
                    "expected {}, found {}",
                    type_phrase(field),
                    json_kind(&value)
                ),
            );
            return None;
        }
        if let Some(field) = expected
            && !self.known_values(node, field, std::slice::from_ref(&value))
        {
            return None;
        }
        Some(operand)
    }

    /// Whether every string of `values` is one the field can hold (when the catalog lists
    /// them); otherwise an error with the nearest known value.
    fn known_values(&mut self, node: &Node, field: &Field, values: &[Value]) -> bool {
        if field.values.is_empty() {
            return true;
        }
        let Some(unknown) = values
            .iter()
            .filter_map(Value::as_str)
            .find(|v| !field.values.iter().any(|k| k == v))
        else {
            return true;
        };
        let known = field.values.join(", ");
        let near = crate::catalog::nearest(unknown, field.values.iter().map(String::as_str));
        let case = field
            .values
            .iter()
            .find(|k| k.eq_ignore_ascii_case(unknown));
        let help = match (case, near.first()) {
            (Some(k), _) => {
                format!("did you mean `{k}`? Values are case-sensitive; one of {known}")
            }
            (None, Some(k)) => format!("did you mean `{k}`? One of {known}"),
            (None, None) => format!("one of {known}"),
        };
        // In a list, point at the item.
        let at = match &node.kind {
            crate::yaml::Kind::Seq(items) => items
                .iter()
                .find(|i| i.as_str() == Some(unknown))
                .unwrap_or(node),
            _ => node,
        };
        self.error_help(
            at,
            format!(
                "`{unknown}` is not a value this field can hold, so the check could never match"
            ),
            help,
        );
        false
    }

    pub(super) fn list_operand(&mut self, node: &Node, field: &Field) -> Option<Operand> {
        let (operand, value) = match self.param_ref(node)? {
            Some((name, default)) => (Operand::Param(name), default),
            None => (Operand::Literal(node.to_json()), node.to_json()),
        };
        let Value::Array(items) = &value else {
            self.error(
                node,
                format!("expected a list, found {}", json_kind(&value)),
            );
            return None;
        };
        if let Some(bad) = items.iter().find(|v| !fits(v, field)) {
            self.error(
                node,
                format!(
                    "list items must be {}, found {}",
                    type_phrase(field),
                    json_kind(bad)
                ),
            );
            return None;
        }
        if !self.known_values(node, field, items) {
            return None;
        }
        Some(operand)
    }

    pub(super) fn number(&mut self, node: &Node) -> Option<Operand> {
        let (operand, value) = match self.param_ref(node)? {
            Some((name, default)) => (Operand::Param(name), default),
            None => (Operand::Literal(node.to_json()), node.to_json()),
        };
        if !value.is_number() {
            self.error(
                node,
                format!("expected a number, found {}", json_kind(&value)),
            );
            return None;
        }
        Some(operand)
    }
}

/// The shape of a parameter's default, so checks on `$params.NAME` are typed too.
pub(super) fn field_of_value(value: &Value) -> Field {
    let ty = match value {
        Value::Bool(_) => FieldType::Boolean,
        Value::Number(_) => FieldType::Number,
        Value::String(_) => FieldType::String,
        Value::Array(_) => FieldType::Array,
        Value::Object(_) | Value::Null => FieldType::Object,
    };
    let mut field = Field::leaf(ty, "parameter");
    if let Value::Array(items) = value {
        let item = items
            .first()
            .map_or_else(|| Field::leaf(FieldType::String, ""), field_of_value);
        field.items = Some(Box::new(item));
    }
    field
}

fn cmp(name: &str) -> Cmp {
    match name {
        "gt" => Cmp::Gt,
        "gte" => Cmp::Gte,
        "lt" => Cmp::Lt,
        _ => Cmp::Lte,
    }
}

/// Whether a JSON value can be compared with a field of this shape.
#[must_use]
pub fn fits(value: &Value, field: &Field) -> bool {
    match (field.ty, value) {
        (FieldType::Object, _) if field.fields.is_empty() => true,
        (FieldType::String, Value::String(_)) => true,
        (FieldType::Integer | FieldType::Number, Value::Number(_)) => true,
        (FieldType::Boolean, Value::Bool(_)) => true,
        (FieldType::Array, Value::Array(items)) => field
            .items
            .as_deref()
            .is_none_or(|item| items.iter().all(|i| fits(i, item))),
        (FieldType::Object | FieldType::Map, Value::Object(_)) => true,
        _ => false,
    }
}

/// The kind of a JSON value in words ("a string", "a list"), for error messages.
#[must_use]
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_phrase(field: &Field) -> String {
    match field.ty {
        FieldType::String => "a string".into(),
        FieldType::Integer => "an integer".into(),
        FieldType::Number => "a number".into(),
        FieldType::Boolean => "a boolean".into(),
        FieldType::Object => "an object".into(),
        FieldType::Map => "a map".into(),
        FieldType::Array => match field.items.as_deref() {
            Some(item) if item.ty != FieldType::Object => format!("a list of {}s", item.ty.name()),
            _ => "a list".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_default_types_the_checks_on_it() {
        let field = field_of_value(&serde_json::json!(["a", "b"]));
        assert_eq!(field.ty, FieldType::Array);
        assert_eq!(type_phrase(&field), "a list of strings");
        assert!(fits(&serde_json::json!(["c"]), &field));
        assert!(!fits(&serde_json::json!([1]), &field));
        assert_eq!(json_kind(&serde_json::json!(1)), "a number");
    }
}
