//! The walk over a rule file's spanned YAML tree: each document, each rule, each condition
//! (`all`/`any`/`not`/`some_resource` and attribute checks), collecting every error of the file
//! with its position. What a rule's keys mean, what operators accept and what framework ids look
//! like live beside it in `schema`, `operators` and `frameworks`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::diagnostic::Diagnostic;
use super::model::{Clause, Rule, Schedule};
use super::operators::field_of_value;
use crate::catalog::{self, Catalog, Field};
use crate::yaml::{Kind, Node};

pub(super) struct Ctx<'a> {
    pub(super) file: &'a Path,
    pub(super) catalog: &'a Catalog,
    pub(super) params: BTreeMap<String, Value>,
    pub(super) diags: Vec<Diagnostic>,
    /// Data files the rules of this file read, with their contents' schedules.
    pub(super) data_files: BTreeMap<PathBuf, std::sync::Arc<Schedule>>,
}

/// The outcome of parsing one rule file.
pub struct ParsedFile {
    pub rules: Vec<(Rule, crate::yaml::Pos)>,
    pub diagnostics: Vec<Diagnostic>,
    pub data_files: Vec<PathBuf>,
}

/// Where a clause's paths are resolved: a resource type's root, or a list element.
#[derive(Clone, Copy)]
pub(super) struct Scope<'c> {
    pub(super) shape: &'c Field,
    pub(super) in_element: bool,
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
            crate::yaml::Pos {
                line: 1,
                col: 1,
                start: 0,
                end: 0,
            },
            "the file holds no rule (it is empty, or only comments and document markers)",
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

impl Ctx<'_> {
    pub(super) fn error(&mut self, node: &Node, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(self.file, node.pos, message));
    }

    pub(super) fn error_help(
        &mut self,
        node: &Node,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::new(self.file, node.pos, message).with_help(help));
    }

    pub(super) fn unknown(&mut self, node: &Node, what: &str, name: &str, known: &[&str]) {
        let near = catalog::nearest(name, known.iter().copied());
        let help = if near.is_empty() {
            format!("expected one of: {}", known.join(", "))
        } else {
            format!("did you mean {}?", quote_list(&near))
        };
        self.error_help(node, format!("unknown {what} `{name}`"), help);
    }

    pub(super) fn clause(&mut self, node: &Node, scope: Scope<'_>) -> Option<Clause> {
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

    pub(super) fn some_resource(&mut self, node: &Node) -> Option<Clause> {
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
}

pub(super) fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
