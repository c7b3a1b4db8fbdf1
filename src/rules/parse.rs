//! Turns a rule file's YAML tree into validated rules, collecting every error of the file
//! (unknown keys, unknown types and paths, bad operators, wrong value types) with positions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::diagnostic::Diagnostic;
use super::model::{Clause, Cmp, Op, Operand, Rule, Schedule, Severity};
use crate::catalog::{self, Catalog, Field, FieldType};
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

/// Framework keys a rule may map to.
pub const FRAMEWORKS: &[&str] = &[
    "soc2",
    "hipaa",
    "gdpr",
    "ferpa",
    "coppa",
    "hkma-tm-g-1",
    "hkma-sa-2",
    "cis-aws-v3",
    "fsbp",
];

struct Ctx<'a> {
    file: &'a Path,
    catalog: &'a Catalog,
    params: BTreeMap<String, Value>,
    diags: Vec<Diagnostic>,
    /// Data files the rules of this file read, with their contents' schedules.
    data_files: BTreeMap<PathBuf, std::sync::Arc<Schedule>>,
}

/// The outcome of parsing one rule file.
pub struct ParsedFile {
    pub rules: Vec<(Rule, crate::yaml::Pos)>,
    pub diagnostics: Vec<Diagnostic>,
    pub data_files: Vec<PathBuf>,
}

/// Where a clause's paths are resolved: a resource type's root, or a list element.
#[derive(Clone, Copy)]
struct Scope<'c> {
    shape: &'c Field,
    in_element: bool,
}

/// Parses all rules of one file. Errors are returned all at once.
pub fn parse_file(file: &Path, text: &str, catalog: &Catalog) -> ParsedFile {
    let docs = match crate::yaml::parse(text) {
        Ok(docs) => docs,
        Err(e) => {
            return ParsedFile {
                rules: Vec::new(),
                diagnostics: vec![Diagnostic::new(file, e.pos, e.message)],
                data_files: Vec::new(),
            };
        }
    };
    let mut ctx = Ctx {
        file,
        catalog,
        params: BTreeMap::new(),
        diags: Vec::new(),
        data_files: BTreeMap::new(),
    };
    let mut rules = Vec::new();
    if docs.iter().all(|d| d.kind == Kind::Null) {
        ctx.diags.push(Diagnostic::new(
            file,
            Default::default(),
            "the file holds no rule",
        ));
    }
    for doc in &docs {
        match &doc.kind {
            Kind::Map(_) => rules.extend(ctx.rule(doc)),
            Kind::Seq(items) => {
                for item in items {
                    rules.extend(ctx.rule(item));
                }
            }
            Kind::Null => {}
            _ => ctx.error(
                doc,
                format!(
                    "expected a rule (a mapping) or a list of rules, found {}",
                    doc.kind_name()
                ),
            ),
        }
    }
    ParsedFile {
        rules,
        diagnostics: ctx.diags,
        data_files: ctx.data_files.into_keys().collect(),
    }
}

impl<'a> Ctx<'a> {
    fn error(&mut self, node: &Node, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(self.file, node.pos, message));
    }

    fn error_help(&mut self, node: &Node, message: impl Into<String>, help: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(self.file, node.pos, message).with_help(help));
    }

    fn unknown(&mut self, node: &Node, what: &str, name: &str, known: &[&str]) {
        let near = catalog::nearest(name, known.iter().copied());
        let help = if near.is_empty() {
            format!("expected one of: {}", known.join(", "))
        } else {
            format!("did you mean {}?", quote_list(&near))
        };
        self.error_help(node, format!("unknown {what} `{name}`"), help);
    }

    fn string(&mut self, rule: &Node, key: &str, required: bool) -> Option<String> {
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

    fn rule(&mut self, node: &Node) -> Option<(Rule, crate::yaml::Pos)> {
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
        let severity = match node.get("severity") {
            Some(sev_node) => match sev_node.as_str().and_then(Severity::parse) {
                Some(s) => Some(s),
                None => {
                    let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
                    let text = sev_node
                        .as_str()
                        .map(String::from)
                        .unwrap_or_else(|| sev_node.kind_name().to_string());
                    self.unknown(sev_node, "severity", &text, &names);
                    None
                }
            },
            None => {
                self.error(node, "rule is missing `severity`");
                None
            }
        };
        self.params = self.params(node);
        let frameworks = self.frameworks(node);
        let resource_type = self.string(node, "resource", true);
        let ty = resource_type.as_deref().and_then(|name| {
            let found = self.catalog.get(name);
            if found.is_none()
                && let Some(n) = node.get("resource")
            {
                let known: Vec<&str> = self.catalog.types.keys().map(String::as_str).collect();
                self.unknown(n, "resource type", name, &known);
            }
            found
        });
        let (mut selector, mut assertion) = (None, None);
        if let Some(ty) = ty {
            let scope = Scope {
                shape: &ty.root,
                in_element: false,
            };
            if let Some(w) = node.get("where") {
                selector = self.clause(w, scope);
            }
            match node.get("assert") {
                Some(a) => assertion = self.clause(a, scope),
                None => self.error(node, "rule is missing `assert`"),
            }
        }
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
                selector,
                assertion: assertion?,
                params: std::mem::take(&mut self.params),
                frameworks,
                rationale: rationale?,
                remediation: remediation?,
                file: self.file.to_path_buf(),
            },
            node.pos,
        ))
    }

    fn params(&mut self, rule: &Node) -> BTreeMap<String, Value> {
        let mut params = BTreeMap::new();
        let Some(node) = rule.get("params") else {
            return params;
        };
        let Some(entries) = node.as_map() else {
            self.error(node, "`params` must be a mapping of name to default value");
            return params;
        };
        for (key, value) in entries {
            match (key.as_str(), &value.kind) {
                (Some(name), Kind::Null | Kind::Map(_)) => self.error(
                    value,
                    format!("parameter `{name}` needs a default that is a scalar or a list"),
                ),
                (Some(name), _) => {
                    params.insert(name.to_string(), value.to_json());
                }
                (None, _) => self.error(key, "parameter names must be strings"),
            }
        }
        params
    }

    fn frameworks(&mut self, rule: &Node) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        let Some(node) = rule.get("frameworks") else {
            return out;
        };
        let Some(entries) = node.as_map() else {
            self.error(
                node,
                "`frameworks` must map a framework to a list of control ids",
            );
            return out;
        };
        for (key, value) in entries {
            let Some(name) = key.as_str() else { continue };
            if !FRAMEWORKS.contains(&name) {
                self.unknown(key, "framework", name, FRAMEWORKS);
                continue;
            }
            let ids: Option<Vec<String>> = match &value.kind {
                Kind::Seq(items) => items.iter().map(|i| i.as_str().map(String::from)).collect(),
                _ => None,
            };
            match ids {
                Some(ids) if !ids.is_empty() => {
                    if let Some(bad) = ids.iter().find(|id| !control_id_is_well_formed(name, id)) {
                        self.error_help(
                            value,
                            format!("`{bad}` is not a well-formed {name} control id"),
                            control_id_hint(name),
                        );
                    } else if let Some(dup) = ids
                        .iter()
                        .enumerate()
                        .find(|(i, id)| ids[..*i].contains(id))
                    {
                        self.error(
                            value,
                            format!("control id `{}` is listed twice under {name}", dup.1),
                        );
                    } else {
                        out.insert(name.to_string(), ids);
                    }
                }
                _ => self.error_help(
                    value,
                    format!(
                        "`frameworks.{name}` must be a non-empty list of control ids (strings)"
                    ),
                    "quote ids that look like numbers, e.g. [\"3.10\"]",
                ),
            }
        }
        out
    }

    fn clause(&mut self, node: &Node, scope: Scope<'_>) -> Option<Clause> {
        let Some(entries) = node.as_map() else {
            self.error(node, format!("expected a condition (a mapping of attribute path to operators, or all/any/not), found {}", node.kind_name()));
            return None;
        };
        if entries.is_empty() {
            self.error(node, "empty condition");
            return None;
        }
        let combinator = entries.iter().find_map(|(k, _)| {
            k.as_str()
                .filter(|k| matches!(*k, "all" | "any" | "not" | "some_resource"))
        });
        if let Some(name) = combinator {
            if entries.len() > 1 {
                self.error(
                    node,
                    format!(
                        "`{name}` must be the only key of its condition; wrap the others in `all`"
                    ),
                );
                return None;
            }
            let value = &entries[0].1;
            return match name {
                "not" => self.clause(value, scope).map(|c| Clause::Not(Box::new(c))),
                "some_resource" => self.some_resource(value),
                _ => {
                    let Kind::Seq(items) = &value.kind else {
                        self.error(
                            value,
                            format!(
                                "`{name}` takes a list of conditions, found {}",
                                value.kind_name()
                            ),
                        );
                        return None;
                    };
                    if items.is_empty() {
                        self.error(value, format!("`{name}` needs at least one condition"));
                        return None;
                    }
                    let clauses: Vec<Option<Clause>> =
                        items.iter().map(|i| self.clause(i, scope)).collect();
                    let clauses: Option<Vec<Clause>> = clauses.into_iter().collect();
                    let clauses = clauses?;
                    Some(if name == "all" {
                        Clause::All(clauses)
                    } else {
                        Clause::Any(clauses)
                    })
                }
            };
        }
        let mut checks = Vec::new();
        for (key, ops) in entries {
            let Some(path) = key.as_str() else {
                self.error(key, "attribute paths must be strings");
                continue;
            };
            let param_field;
            let field = if let Some(name) = path.strip_prefix("$params.") {
                let Some(default) = self.params.get(name) else {
                    self.param_ref(key);
                    continue;
                };
                param_field = field_of_value(default);
                &param_field
            } else if path == "." {
                if !scope.in_element {
                    self.error(
                        key,
                        "`.` (the list element itself) is only valid inside any/all/none/count",
                    );
                    continue;
                }
                scope.shape
            } else {
                match catalog::resolve(scope.shape, path) {
                    Ok(resolved) => resolved.field,
                    Err(e) => {
                        let mut d = Diagnostic::new(self.file, key.pos, e.message);
                        if !e.suggestions.is_empty() {
                            d = d
                                .with_help(format!("did you mean {}?", quote_list(&e.suggestions)));
                        }
                        self.diags.push(d);
                        continue;
                    }
                }
            };
            if let Some(ops) = self.ops(ops, field, path) {
                checks.push(Clause::Check {
                    path: path.to_string(),
                    ops,
                });
            }
        }
        if checks.len() != entries.len() {
            return None;
        }
        Some(if checks.len() == 1 {
            checks.remove(0)
        } else {
            Clause::All(checks)
        })
    }

    fn some_resource(&mut self, node: &Node) -> Option<Clause> {
        let type_name = node.get("type").and_then(Node::as_str);
        let Some(ty) = type_name.and_then(|n| self.catalog.get(n)) else {
            let target = node.get("type").unwrap_or(node);
            let known: Vec<&str> = self.catalog.types.keys().map(String::as_str).collect();
            self.unknown(target, "resource type", type_name.unwrap_or(""), &known);
            return None;
        };
        for (key, _) in node.as_map().unwrap_or_default() {
            if let Some(k) = key.as_str().filter(|k| !matches!(*k, "type" | "where")) {
                self.unknown(key, "key of some_resource", k, &["type", "where"]);
            }
        }
        let Some(filter) = node.get("where") else {
            self.error(node, "`some_resource` needs `where`");
            return None;
        };
        let filter = self.clause(
            filter,
            Scope {
                shape: &ty.root,
                in_element: false,
            },
        )?;
        Some(Clause::SomeResource {
            resource_type: ty.name.clone(),
            filter: Box::new(filter),
        })
    }

    fn ops(&mut self, node: &Node, field: &Field, path: &str) -> Option<Vec<Op>> {
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

    fn op(
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
            "exists" => match value.kind {
                Kind::Bool(b) => Some(Op::Exists(b)),
                _ => {
                    self.error(
                        value,
                        format!("`exists` takes true or false, found {}", value.kind_name()),
                    );
                    None
                }
            },
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

    fn references(&mut self, value: &Node) -> Option<Op> {
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
            match self.catalog.get(name) {
                Some(ty) => types.push(ty),
                None => {
                    self.unknown(type_node, "resource type", name, &known);
                    return None;
                }
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

    fn deprecation(&mut self, value: &Node) -> Option<Op> {
        let Some(schedule_name) = value.get("schedule").and_then(Node::as_str) else {
            self.error(
                value,
                "`deprecation` needs `schedule`: a *.data.yaml file next to the rule",
            );
            return None;
        };
        let warn_days = match value.get("warn_days") {
            Some(n) => self.number(n)?,
            None => Operand::Literal(Value::from(0)),
        };
        let path = self
            .file
            .parent()
            .unwrap_or(Path::new("."))
            .join(schedule_name);
        if let Some(schedule) = self.data_files.get(&path) {
            return Some(Op::Deprecation {
                schedule: schedule.clone(),
                warn_days,
            });
        }
        let node = value.get("schedule").unwrap_or(value);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                self.error(
                    node,
                    format!("cannot read schedule {}: {e}", path.display()),
                );
                return None;
            }
        };
        let entries = match crate::yaml::parse(&text) {
            Ok(docs) => docs.into_iter().next(),
            Err(e) => {
                self.error(
                    node,
                    format!(
                        "{}:{}:{}: {}",
                        path.display(),
                        e.pos.line,
                        e.pos.col,
                        e.message
                    ),
                );
                return None;
            }
        };
        let mut dates = BTreeMap::new();
        for (k, v) in entries.as_ref().and_then(Node::as_map).unwrap_or_default() {
            let date = match &v.kind {
                Kind::Null => None,
                Kind::Str(d) => match time::Date::parse(
                    d,
                    time::macros::format_description!("[year]-[month]-[day]"),
                ) {
                    Ok(date) => Some(date),
                    Err(_) => {
                        self.error(
                            node,
                            format!(
                                "{}:{}: `{d}` is not a YYYY-MM-DD date",
                                path.display(),
                                v.pos.line
                            ),
                        );
                        return None;
                    }
                },
                _ => {
                    self.error(
                        node,
                        format!(
                            "{}:{}: expected a YYYY-MM-DD date or null",
                            path.display(),
                            v.pos.line
                        ),
                    );
                    return None;
                }
            };
            if let Some(key) = k.as_str() {
                dates.insert(key.to_string(), date);
            }
        }
        if dates.is_empty() {
            self.error(node, format!("schedule {} has no entries", path.display()));
            return None;
        }
        let schedule = std::sync::Arc::new(Schedule {
            file: path.display().to_string(),
            dates,
        });
        self.data_files.insert(path, schedule.clone());
        Some(Op::Deprecation {
            schedule,
            warn_days,
        })
    }

    fn bounds(&mut self, node: &Node, op: &str) -> Option<Vec<(Cmp, Operand)>> {
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
                    bounds.push((cmp(c), self.number(v)?))
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

    fn param_ref(&mut self, node: &Node) -> Option<Option<(String, Value)>> {
        let Some(text) = node.as_str() else {
            return Some(None);
        };
        let Some(name) = text.strip_prefix("$params.") else {
            return Some(None);
        };
        match self.params.get(name) {
            Some(v) => Some(Some((name.to_string(), v.clone()))),
            None => {
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
    }

    /// A value compared with a field of shape `expected` (None: any JSON value).
    fn operand(&mut self, node: &Node, expected: Option<&Field>) -> Option<Operand> {
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
        Some(operand)
    }

    fn list_operand(&mut self, node: &Node, field: &Field) -> Option<Operand> {
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
        Some(operand)
    }

    fn number(&mut self, node: &Node) -> Option<Operand> {
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
fn field_of_value(value: &Value) -> Field {
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
            .map(field_of_value)
            .unwrap_or_else(|| Field::leaf(FieldType::String, ""));
        field.items = Some(Box::new(item));
    }
    field
}

/// The shape of each framework's control ids, so a typo in a mapping is caught at load time.
fn control_id_pattern(framework: &str) -> &'static str {
    match framework {
        "soc2" => r"^(CC[1-9]\.[0-9]{1,2}|A1\.[1-3]|C1\.[1-2]|PI1\.[1-5]|P[1-8]\.[0-9])$",
        "hipaa" => r"^164\.3(08|10|12|14|16)(\([A-Za-z0-9]{1,4}\))+$",
        "gdpr" => r"^Art\.[0-9]{1,2}(\([0-9]\)(\([a-z]\))?)?$",
        "ferpa" => r"^99\.[0-9]{1,2}$",
        "coppa" => r"^312\.[0-9]{1,2}$",
        "fsbp" => r"^[A-Za-z0-9]+\.[0-9]{1,3}$",
        _ => r"^[0-9]{1,2}(\.[0-9]{1,2}){0,3}$",
    }
}

fn control_id_hint(framework: &str) -> &'static str {
    match framework {
        "soc2" => "SOC 2 (TSC 2017) ids look like CC6.1, A1.2, C1.2",
        "hipaa" => "HIPAA Security Rule ids look like 164.312(a)(2)(iv)",
        "gdpr" => "GDPR ids look like Art.32 or Art.5(1)(e)",
        "ferpa" => "FERPA ids are 34 CFR part 99 sections, like 99.31",
        "coppa" => "COPPA ids are 16 CFR part 312 sections, like 312.10",
        "fsbp" => "AWS Foundational Security Best Practices ids look like S3.17 or KMS.4",
        _ => "section numbers look like 3.6 or 2.1.4 (quote them)",
    }
}

fn control_id_is_well_formed(framework: &str, id: &str) -> bool {
    static PATTERNS: std::sync::LazyLock<std::collections::HashMap<&'static str, regex::Regex>> =
        std::sync::LazyLock::new(|| {
            FRAMEWORKS
                .iter()
                .filter_map(|f| {
                    regex::Regex::new(control_id_pattern(f))
                        .ok()
                        .map(|re| (*f, re))
                })
                .collect()
        });
    PATTERNS.get(framework).is_some_and(|re| re.is_match(id))
}

fn cmp(name: &str) -> Cmp {
    match name {
        "gt" => Cmp::Gt,
        "gte" => Cmp::Gte,
        "lt" => Cmp::Lt,
        _ => Cmp::Lte,
    }
}

fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a JSON value can be compared with a field of this shape.
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
