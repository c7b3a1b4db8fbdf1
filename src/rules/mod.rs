//! Rule files: loading, validation against the catalog, parameters and their overrides.

mod data_files;
mod diagnostic;
mod frameworks;
mod model;
mod operators;
mod parse;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

pub use diagnostic::Diagnostic;
pub use frameworks::FRAMEWORKS;
pub use model::{Clause, Cmp, Op, Operand, Rule, RuleFile, RuleSet, Schedule, Severity};
pub use operators::{fits, json_kind};

use crate::catalog::Catalog;

/// Rule files that failed validation, with their text so each error can show its line.
#[derive(Debug, Default)]
pub struct RuleErrors {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: BTreeMap<PathBuf, String>,
}

impl RuleErrors {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut ordered: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        ordered.sort_by_key(|d| (d.file.clone(), d.pos.line, d.pos.col));
        for d in ordered {
            let source = self.sources.get(&d.file).map_or("", String::as_str);
            out.push_str(&d.render(source));
        }
        let files: std::collections::BTreeSet<_> =
            self.diagnostics.iter().map(|d| &d.file).collect();
        out.push_str(&format!(
            "{} error{} in {} file{}\n",
            self.diagnostics.len(),
            if self.diagnostics.len() == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        ));
        out
    }
}

impl std::fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for RuleErrors {}

/// Rule files are YAML files; their sibling tests (`*.tests.yaml`) and data files
/// (`*.data.yaml`) are not rules.
#[must_use]
pub fn is_rule_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        && !name.ends_with(".tests.yaml")
        && !name.ends_with(".data.yaml")
}

/// Every file under `paths` matching `keep`, sorted so loading order never changes results.
pub fn find_files(paths: &[PathBuf], keep: fn(&Path) -> bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        if !path.exists() {
            anyhow::bail!("no such rule file or directory: {}", path.display());
        }
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            let entry =
                entry.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            if entry.file_type().is_file() && keep(entry.path()) {
                files.push(entry.into_path());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Loads and validates every rule under `paths`. All errors of all files come back at once.
pub fn load(paths: &[PathBuf], catalog: &Catalog) -> anyhow::Result<Result<RuleSet, RuleErrors>> {
    let files = find_files(paths, is_rule_file)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        anyhow::bail!("no rule files (*.yaml) found in {}", shown.join(", "));
    }
    let mut errors = RuleErrors::default();
    let mut set = RuleSet::default();
    let mut first_seen: BTreeMap<String, (PathBuf, usize)> = BTreeMap::new();
    for file in files {
        let bytes = std::fs::read(&file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        let text = if let Ok(text) = String::from_utf8(bytes.clone()) {
            text
        } else {
            errors.diagnostics.push(Diagnostic::new(
                &file,
                Default::default(),
                "the file is not UTF-8 text",
            ));
            continue;
        };
        let parsed = parse::parse_file(&file, &text, catalog);
        errors.diagnostics.extend(parsed.diagnostics);
        for data_file in parsed.data_files {
            if let Ok(bytes) = std::fs::read(&data_file) {
                let digest = RuleFile {
                    path: data_file.display().to_string(),
                    sha256: hex::encode(Sha256::digest(&bytes)),
                };
                if !set.files.contains(&digest) {
                    set.files.push(digest);
                }
            }
        }
        for (rule, pos) in parsed.rules {
            if let Some((other, line)) = first_seen.get(&rule.id) {
                errors.diagnostics.push(Diagnostic::new(
                    &file,
                    pos,
                    format!(
                        "duplicate rule id `{}` (first defined at {}:{line})",
                        rule.id,
                        other.display()
                    ),
                ));
                continue;
            }
            first_seen.insert(rule.id.clone(), (file.clone(), pos.line));
            set.params.insert(rule.id.clone(), rule.params.clone());
            set.rules.push(rule);
        }
        set.files.push(RuleFile {
            path: file.display().to_string(),
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
        errors.sources.insert(file, text);
    }
    if !errors.diagnostics.is_empty() {
        return Ok(Err(errors));
    }
    set.rules.sort_by(|a, b| a.id.cmp(&b.id));
    set.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Ok(set))
}

/// Validates one rule file's text (for tests and editors); `path` only names it in errors.
pub fn parse_str(path: &Path, text: &str, catalog: &Catalog) -> Result<Vec<Rule>, RuleErrors> {
    let parsed = parse::parse_file(path, text, catalog);
    if parsed.diagnostics.is_empty() {
        Ok(parsed.rules.into_iter().map(|(rule, _)| rule).collect())
    } else {
        let sources = BTreeMap::from([(path.to_path_buf(), text.to_string())]);
        Err(RuleErrors {
            diagnostics: parsed.diagnostics,
            sources,
        })
    }
}

/// A `rule_id.name=value` override, from a flag or a config file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamOverride {
    pub rule: String,
    pub name: String,
    pub value: Value,
    /// Where it came from, for error messages (`--param`, `posture.toml`).
    pub origin: String,
}

impl ParamOverride {
    /// Parses `rule_id.name=value`; the value is read as a YAML scalar or flow list.
    pub fn parse_flag(text: &str) -> Result<Self, String> {
        let (key, raw) = text
            .split_once('=')
            .ok_or(format!("`{text}`: expected rule_id.name=value"))?;
        let (rule, name) = key
            .rsplit_once('.')
            .ok_or(format!("`{text}`: expected rule_id.name=value"))?;
        let value = match crate::yaml::parse(raw) {
            Ok(docs) => docs
                .first()
                .map_or(Value::String(String::new()), super::yaml::Node::to_json),
            Err(_) => Value::String(raw.to_string()),
        };
        Ok(ParamOverride {
            rule: rule.to_string(),
            name: name.to_string(),
            value,
            origin: "--param".into(),
        })
    }
}

impl RuleSet {
    /// Applies overrides; each must name a loaded rule and a declared parameter, with a value of
    /// the default's type.
    pub fn apply_overrides(&mut self, overrides: &[ParamOverride]) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        for o in overrides {
            let Some(params) = self.params.get_mut(&o.rule) else {
                let near =
                    crate::catalog::nearest(&o.rule, self.rules.iter().map(|r| r.id.as_str()));
                problems.push(format!(
                    "{}: no loaded rule has id `{}`{}",
                    o.origin,
                    o.rule,
                    near.first()
                        .map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default()
                ));
                continue;
            };
            let Some(default) = params.get(&o.name) else {
                let known: Vec<&String> = params.keys().collect();
                problems.push(format!(
                    "{}: rule `{}` has no parameter `{}` (it has: {})",
                    o.origin,
                    o.rule,
                    o.name,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
                continue;
            };
            let value = coerce(&o.value, default);
            if std::mem::discriminant(&value) != std::mem::discriminant(default) {
                problems.push(format!(
                    "{}: `{}.{}` must be {} like its default {}, found {}",
                    o.origin,
                    o.rule,
                    o.name,
                    json_kind(default),
                    default,
                    json_kind(&o.value)
                ));
                continue;
            }
            params.insert(o.name.clone(), value);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Keeps only rules mapped to `framework`.
    pub fn retain_framework(&mut self, framework: &str) {
        self.rules.retain(|r| r.frameworks.contains_key(framework));
    }
}

/// A flag value `5` for a string parameter means the string "5"; keep the author's type.
fn coerce(value: &Value, default: &Value) -> Value {
    match (default, value) {
        (Value::String(_), Value::Number(n)) => Value::String(n.to_string()),
        (Value::String(_), Value::Bool(b)) => Value::String(b.to_string()),
        (Value::Array(_), v @ (Value::String(_) | Value::Number(_))) => {
            Value::Array(vec![v.clone()])
        }
        _ => value.clone(),
    }
}
