//! The rule schema: the keys a rule may have and its top-level fields (id, version, title,
//! severity, resource, params, the texts), checked and assembled into a `Rule`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{ParamRange, Rule, Severity};
use super::parse::{Ctx, Scope};
use crate::yaml::{Kind, Node};

const RULE_KEYS: &[&str] = &[
    "id",
    "version",
    "title",
    "severity",
    "resource",
    "where",
    "assert",
    "params",
    "frameworks",
    "rationale",
    "remediation",
];

impl Ctx<'_> {
    pub(super) fn string(&mut self, rule: &Node, key: &str, required: bool) -> Option<String> {
        match rule.get(key) {
            Some(Node {
                kind: Kind::Str(s), ..
            }) if !s.trim().is_empty() => Some(s.clone()),
            Some(node) => {
                self.error(
                    node,
                    format!(
                        "`{key}` must be a non-empty string, found {}",
                        node.kind_name()
                    ),
                );
                None
            }
            None if required => {
                self.error(rule, format!("rule is missing `{key}`"));
                None
            }
            None => None,
        }
    }

    pub(super) fn rule(&mut self, node: &Node) -> Option<(Rule, crate::yaml::Pos)> {
        let Some(entries) = node.as_map() else {
            self.error(
                node,
                format!("expected a rule (a mapping), found {}", node.kind_name()),
            );
            return None;
        };
        let before = self.diags.len();
        for (key, _) in entries {
            match key.as_str() {
                Some(k) if RULE_KEYS.contains(&k) => {}
                Some(k) => self.unknown(key, "rule key", k, RULE_KEYS),
                None => self.error(key, "rule keys must be strings"),
            }
        }
        let id = self.string(node, "id", true);
        if let (Some(id), Some(id_node)) = (&id, node.get("id"))
            && !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            self.error(
                id_node,
                format!("rule id `{id}` must be lowercase letters, digits and dashes"),
            );
        }
        let version = match node.get("version") {
            None => 1,
            Some(Node {
                kind: Kind::Int(v), ..
            }) if *v >= 1 && *v <= i64::from(u32::MAX) => *v as u32,
            Some(other) => {
                self.error(other, "`version` must be a positive integer");
                1
            }
        };
        let title = self.string(node, "title", true);
        let rationale = self.string(node, "rationale", true);
        let remediation = self.string(node, "remediation", true);
        let severity = if let Some(sev_node) = node.get("severity") {
            if let Some(s) = sev_node.as_str().and_then(Severity::parse) {
                Some(s)
            } else {
                let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
                let text = sev_node
                    .as_str()
                    .map_or_else(|| sev_node.kind_name().to_string(), String::from);
                self.unknown(sev_node, "severity", &text, &names);
                None
            }
        } else {
            self.error(node, "rule is missing `severity`");
            None
        };
        let (params, param_ranges) = self.params(node);
        self.params = params;
        let frameworks = self.frameworks(node);
        // `resource` is one type, or a list of types whose documents share the paths the rule
        // reads (users and roles for the principal rules): checked against each of them.
        let resource_types: Vec<(String, &Node)> = match node.get("resource") {
            Some(
                list @ Node {
                    kind: Kind::Seq(items),
                    ..
                },
            ) => {
                let names: Vec<(String, &Node)> = items
                    .iter()
                    .filter_map(|item| match &item.kind {
                        Kind::Str(s) if !s.trim().is_empty() => Some((s.clone(), item)),
                        _ => {
                            self.error(item, "each `resource` must be a resource type name");
                            None
                        }
                    })
                    .collect();
                if items.is_empty() {
                    self.error(list, "`resource` lists no resource type");
                }
                names
            }
            _ => self
                .string(node, "resource", true)
                .and_then(|name| node.get("resource").map(|n| (name, n)))
                .into_iter()
                .collect(),
        };
        let mut types = Vec::new();
        for (name, at) in &resource_types {
            match self.catalog.get(name) {
                Some(ty) => types.push(ty),
                None => {
                    let known: Vec<&str> = self.catalog.types.keys().map(String::as_str).collect();
                    self.unknown(at, "resource type", name, &known);
                }
            }
        }
        let (mut selector, mut assertion) = (None, None);
        if !types.is_empty() && types.len() == resource_types.len() {
            for (i, ty) in types.iter().enumerate() {
                let scope = Scope {
                    shape: &ty.root,
                    in_element: false,
                };
                let errors_before = self.diags.len();
                let (s, a) = (
                    node.get("where").and_then(|w| self.clause(w, scope)),
                    match node.get("assert") {
                        Some(a) => self.clause(a, scope),
                        None => {
                            self.error(node, "rule is missing `assert`");
                            None
                        }
                    },
                );
                if i == 0 {
                    (selector, assertion) = (s, a);
                }
                // One message per problem, not one per type.
                if self.diags.len() > errors_before {
                    break;
                }
            }
        }
        let resource_type = resource_types.first().map(|(name, _)| name.clone());
        let resource_types: Vec<String> =
            resource_types.into_iter().map(|(name, _)| name).collect();
        if self.diags.len() > before {
            return None;
        }
        Some((
            Rule {
                id: id?,
                version,
                title: title?,
                severity: severity?,
                resource_type: resource_type?,
                resource_types,
                selector,
                assertion: assertion?,
                params: std::mem::take(&mut self.params),
                param_ranges,
                frameworks,
                rationale: rationale?,
                remediation: remediation?,
                file: self.file.to_path_buf(),
            },
            node.pos,
        ))
    }

    /// The rule's parameters: each a default (a scalar or a list), or for numbers
    /// `{ default: N, min: N, max: N }` with optional bounds.
    pub(super) fn params(
        &mut self,
        rule: &Node,
    ) -> (BTreeMap<String, Value>, BTreeMap<String, ParamRange>) {
        let mut params = BTreeMap::new();
        let mut ranges = BTreeMap::new();
        let Some(node) = rule.get("params") else {
            return (params, ranges);
        };
        let Some(entries) = node.as_map() else {
            self.error(node, "`params` must be a mapping of name to default value");
            return (params, ranges);
        };
        for (key, value) in entries {
            let Some(name) = key.as_str() else {
                self.error(key, "parameter names must be strings");
                continue;
            };
            match &value.kind {
                Kind::Null => self.error(
                    value,
                    format!("parameter `{name}` needs a default that is a scalar or a list"),
                ),
                Kind::Map(_) => {
                    if let Some((default, range)) = self.bounded_param(name, value) {
                        params.insert(name.to_string(), default);
                        ranges.insert(name.to_string(), range);
                    }
                }
                _ => {
                    params.insert(name.to_string(), value.to_json());
                }
            }
        }
        (params, ranges)
    }

    /// `{ default: N, min: N, max: N }`: a numeric parameter with bounds the default obeys.
    fn bounded_param(&mut self, name: &str, node: &Node) -> Option<(Value, ParamRange)> {
        let mut ok = true;
        for (key, _) in node.as_map().unwrap_or_default() {
            if !matches!(key.as_str(), Some("default" | "min" | "max")) {
                self.error(
                    key,
                    format!("parameter `{name}`: expected `default`, `min` or `max` here (a default that is a mapping is not supported)"),
                );
                ok = false;
            }
        }
        let mut number = |this: &mut Self, key: &str| -> Option<f64> {
            let value = node.get(key)?;
            match value.kind {
                Kind::Int(i) => Some(i as f64),
                Kind::Float(f) if f.is_finite() => Some(f),
                _ => {
                    this.error(
                        value,
                        format!(
                            "parameter `{name}`: `{key}` must be a number, found {}",
                            value.kind_name()
                        ),
                    );
                    ok = false;
                    None
                }
            }
        };
        let Some(default_node) = node.get("default") else {
            self.error(
                node,
                format!("parameter `{name}` is a mapping without `default`"),
            );
            return None;
        };
        let default = number(self, "default");
        let range = ParamRange {
            min: number(self, "min"),
            max: number(self, "max"),
        };
        if let (Some(min), Some(max)) = (range.min, range.max)
            && min > max
        {
            self.error(
                node,
                format!("parameter `{name}`: `min` {min} is above `max` {max}"),
            );
            return None;
        }
        let default = default?;
        if !range.contains(default) {
            self.error(
                default_node,
                format!("parameter `{name}`: the default {default} is not {range}"),
            );
            return None;
        }
        ok.then(|| (default_node.to_json(), range))
    }
}
